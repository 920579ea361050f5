// The catalogue: search, cursor paging (both in the URL, so a page can be shared and Back
// works), and live stock. Names and prices load once; stock is polled on its own, so when
// the stock service fails the page keeps what it has and marks the stock unavailable.
import { useEffect, useRef, type FormEvent } from 'react';
import { useQuery } from '@apollo/client/react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { ProductCard } from '../components/ProductCard';
import { ErrorNotice } from '../errors/ErrorNotice';
import { graphql } from '../gql';

export const PAGE_SIZE = 12;
/** How often the stock on screen is refreshed. */
export const STOCK_POLL_MS = 5000;

const CatalogueQuery = graphql(`
  query Catalogue($first: Int!, $after: String, $search: String) {
    products(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        ...ProductCard_product
      }
    }
  }
`);

const CatalogueStockQuery = graphql(`
  query CatalogueStock($first: Int!, $after: String, $search: String) {
    products(first: $first, after: $after, search: $search) {
      nodes {
        id
        ...StockBadge_product
      }
    }
  }
`);

export function CataloguePage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const search = params.get('q') ?? '';
  const after = params.get('after');
  const variables = { first: PAGE_SIZE, after, search: search || null };

  const catalogue = useQuery(CatalogueQuery, { variables });
  const stock = useQuery(CatalogueStockQuery, { variables, pollInterval: STOCK_POLL_MS, fetchPolicy: 'network-only', skip: !catalogue.data });
  const products = catalogue.data?.products;
  useFirstRenderMark(Boolean(products?.nodes.length));

  function onSearch(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const text = String(new FormData(event.currentTarget).get('q') ?? '').trim();
    navigate(text ? `/?q=${encodeURIComponent(text)}` : '/');
  }

  return (
    <section>
      <h1>Catalogue</h1>
      <form role="search" onSubmit={onSearch} className="search">
        <input type="search" name="q" aria-label="Search products" placeholder="Search by name or SKU" defaultValue={search} key={search} />
        <button type="submit">Search</button>
      </form>

      {stock.error && products && (
        <div role="status" className="notice notice-warning">
          Live stock is unavailable right now; names and prices are as last loaded. Retrying every {STOCK_POLL_MS / 1000} s.
        </div>
      )}
      {catalogue.error && !products && <ErrorNotice error={catalogue.error} onRetry={() => void catalogue.refetch()} />}
      {catalogue.loading && !products && <p aria-busy="true">Loading the catalogue…</p>}

      {products && (
        <>
          <p className="muted">
            {products.totalCount} {products.totalCount === 1 ? 'product' : 'products'}
            {search && <> matching “{search}”</>}
          </p>
          {products.nodes.length === 0 ? (
            <p>Nothing matches. <Link to="/">See everything</Link></p>
          ) : (
            <ul className="grid" aria-label="Products">
              {products.nodes.map((product) => (
                <ProductCard key={product.id} product={product} stockUnavailable={Boolean(stock.error)} />
              ))}
            </ul>
          )}
          <nav className="pager" aria-label="Pages">
            {after && (
              <button type="button" onClick={() => (location.state?.paged ? navigate(-1) : navigate(search ? `/?q=${encodeURIComponent(search)}` : '/'))}>
                ← Previous page
              </button>
            )}
            {products.pageInfo.hasNextPage && products.pageInfo.endCursor && (
              <Link
                to={`/?${new URLSearchParams({ ...(search ? { q: search } : {}), after: products.pageInfo.endCursor })}`}
                state={{ paged: true }}
              >
                Next page →
              </Link>
            )}
          </nav>
        </>
      )}
    </section>
  );
}

// Private: marks the moment products first appear (performance.mark), which the browser
// test reads as the time to the first catalogue render.
function useFirstRenderMark(rendered: boolean) {
  const marked = useRef(false);
  useEffect(() => {
    if (rendered && !marked.current) {
      marked.current = true;
      performance.mark('catalogue-rendered');
    }
  }, [rendered]);
}
