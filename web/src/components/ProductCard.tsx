// One product in the catalogue: name, price, live stock, and a way in.
import { Link } from 'react-router';
import { graphql, useFragment, type FragmentType } from '../gql';
import { Money } from './Money';
import { StockBadge } from './StockBadge';

export const ProductCardFragment = graphql(`
  fragment ProductCard_product on Product {
    id
    sku
    name
    priceCents
    ...StockBadge_product
  }
`);

export function ProductCard(props: { product: FragmentType<typeof ProductCardFragment>; stockUnavailable: boolean }) {
  const product = useFragment(ProductCardFragment, props.product);
  return (
    <li className="card" aria-label={product.name}>
      <Link to={`/products/${product.id}`} className="card-title">
        {product.name}
      </Link>
      <span className="sku">{product.sku}</span>
      <Money cents={product.priceCents} />
      <StockBadge product={product} unavailable={props.stockUnavailable} />
    </li>
  );
}
