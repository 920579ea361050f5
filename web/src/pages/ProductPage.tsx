// One product: its details, live stock, and "Add to cart".
import { useState } from 'react';
import { useQuery } from '@apollo/client/react';
import { Link, useParams } from 'react-router';
import { useCart } from '../cart/CartContext';
import { MAX_QUANTITY } from '../cart/cart';
import { Money } from '../components/Money';
import { StockBadge } from '../components/StockBadge';
import { ErrorNotice } from '../errors/ErrorNotice';
import { graphql } from '../gql';
import { STOCK_POLL_MS } from './CataloguePage';

const ProductQuery = graphql(`
  query Product($id: ID!) {
    product(id: $id) {
      id
      sku
      name
      priceCents
      ...StockBadge_product
    }
  }
`);

const ProductStockQuery = graphql(`
  query ProductStock($id: ID!) {
    product(id: $id) {
      id
      ...StockBadge_product
    }
  }
`);

export function ProductPage() {
  const { id = '' } = useParams();
  const { dispatch } = useCart();
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number | null>(null);
  const { data, error, loading, refetch } = useQuery(ProductQuery, { variables: { id } });
  const stock = useQuery(ProductStockQuery, { variables: { id }, pollInterval: STOCK_POLL_MS, fetchPolicy: 'network-only', skip: !data?.product });

  if (loading && !data) return <p aria-busy="true">Loading…</p>;
  if (!data?.product) {
    return error ? <ErrorNotice error={error} onRetry={() => void refetch()} /> : <p>This product is not in the catalogue. <Link to="/">Back to the catalogue</Link></p>;
  }
  const product = data.product;
  return (
    <section className="product">
      <p>
        <Link to="/">← Catalogue</Link>
      </p>
      <h1>{product.name}</h1>
      <p className="sku">SKU {product.sku}</p>
      <p className="price">
        <Money cents={product.priceCents} />
      </p>
      <p>
        <StockBadge product={product} unavailable={Boolean(stock.error)} />
      </p>
      {stock.error && (
        <div role="status" className="notice notice-warning">
          Live stock is unavailable right now; you can still add to the cart, and checkout confirms what is available.
        </div>
      )}
      <form
        className="add-to-cart"
        onSubmit={(event) => {
          event.preventDefault();
          dispatch({ type: 'add', product, quantity });
          setAdded(quantity);
        }}
      >
        <label>
          Quantity{' '}
          <input type="number" min={1} max={MAX_QUANTITY} value={quantity} onChange={(event) => setQuantity(Math.max(1, Number(event.target.value) || 1))} />
        </label>
        <button type="submit">Add to cart</button>
      </form>
      {added !== null && (
        <p role="status">
          Added {added} to your cart. <Link to="/cart">Go to the cart</Link>
        </p>
      )}
    </section>
  );
}
