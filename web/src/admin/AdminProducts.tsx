// Products for the admin: stock on hand, reserved and available; restock; create.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@apollo/client/react';
import { Money } from '../components/Money';
import { ErrorNotice } from '../errors/ErrorNotice';
import { graphql, useFragment, type FragmentType } from '../gql';

const AdminProductsQuery = graphql(`
  query AdminProducts($first: Int!, $after: String, $search: String) {
    products(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        ...AdminProductRow_product
      }
    }
  }
`);

const AdminProductRowFragment = graphql(`
  fragment AdminProductRow_product on Product {
    id
    sku
    name
    priceCents
    stock
    reserved
    available
    inStock
  }
`);

const RestockMutation = graphql(`
  mutation Restock($productId: ID!, $quantity: Int!) {
    restock(productId: $productId, quantity: $quantity) {
      id
      ...AdminProductRow_product
    }
  }
`);

const CreateProductMutation = graphql(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      ...AdminProductRow_product
    }
  }
`);

export function AdminProducts() {
  const [search, setSearch] = useState('');
  const [after, setAfter] = useState<string[]>([]);
  const { data, error, refetch } = useQuery(AdminProductsQuery, {
    variables: { first: 20, after: after.at(-1) ?? null, search: search || null },
    fetchPolicy: 'cache-and-network',
  });
  const products = data?.products;
  return (
    <section aria-labelledby="admin-products">
      <h2 id="admin-products">Products</h2>
      <CreateProductForm />
      <form
        role="search"
        className="search"
        onSubmit={(event) => {
          event.preventDefault();
          setSearch(String(new FormData(event.currentTarget).get('search') ?? '').trim());
          setAfter([]);
        }}
      >
        <input type="search" name="search" aria-label="Find a product" placeholder="Name or SKU" />
        <button type="submit">Find</button>
      </form>
      {error && !products && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {products && (
        <>
          <table className="lines" aria-label="Stock">
            <thead>
              <tr>
                <th>SKU</th>
                <th>Name</th>
                <th>Price</th>
                <th>On hand</th>
                <th>Reserved</th>
                <th>Available</th>
                <th>Restock</th>
              </tr>
            </thead>
            <tbody>
              {products.nodes.map((product) => (
                <AdminProductRow key={product.id} product={product} />
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Product pages">
            {after.length > 0 && (
              <button type="button" onClick={() => setAfter(after.slice(0, -1))}>
                ← Previous
              </button>
            )}
            {products.pageInfo.hasNextPage && products.pageInfo.endCursor && (
              <button type="button" onClick={() => setAfter([...after, products.pageInfo.endCursor!])}>
                Next →
              </button>
            )}
          </nav>
        </>
      )}
    </section>
  );
}

function AdminProductRow(props: { product: FragmentType<typeof AdminProductRowFragment> }) {
  const product = useFragment(AdminProductRowFragment, props.product);
  const [restock, { loading }] = useMutation(RestockMutation);
  const [error, setError] = useState<unknown>(null);
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    setError(null);
    try {
      await restock({ variables: { productId: product.id, quantity: Number(new FormData(form).get('quantity')) } });
      form.reset();
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <tr aria-label={product.name}>
      <td>{product.sku}</td>
      <td>{product.name}</td>
      <td>
        <Money cents={product.priceCents} />
      </td>
      <td>{product.stock}</td>
      <td>{product.reserved}</td>
      <td>{product.available}</td>
      <td>
        <form onSubmit={onSubmit} className="inline">
          <input type="number" name="quantity" min={1} required aria-label={`Units to add to ${product.name}`} />
          <button type="submit" disabled={loading}>
            Restock
          </button>
        </form>
        <ErrorNotice error={error} />
      </td>
    </tr>
  );
}

function CreateProductForm() {
  const [create, { loading }] = useMutation(CreateProductMutation, {
    // The new product belongs somewhere in every catalogue page: read them again.
    update: (cache) => {
      cache.evict({ fieldName: 'products' });
      cache.gc();
    },
  });
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<string | null>(null);
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const fields = new FormData(form);
    setError(null);
    setCreated(null);
    try {
      const input = {
        sku: String(fields.get('sku')),
        name: String(fields.get('name')),
        priceCents: Math.round(Number(fields.get('price')) * 100),
        stock: Number(fields.get('stock')),
      };
      const { data } = await create({ variables: { input } });
      if (data) setCreated(input.name);
      form.reset();
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <form onSubmit={onSubmit} className="create-product" aria-label="New product">
      <h3>New product</h3>
      <label>
        SKU <input name="sku" required pattern="[A-Za-z0-9._\-]+" />
      </label>
      <label>
        Name <input name="name" required />
      </label>
      <label>
        Price ($) <input name="price" type="number" min={0} step="0.01" required />
      </label>
      <label>
        Stock <input name="stock" type="number" min={0} required />
      </label>
      <button type="submit" disabled={loading}>
        Create product
      </button>
      {created && <p role="status">Created {created}.</p>}
      <ErrorNotice error={error} />
    </form>
  );
}
