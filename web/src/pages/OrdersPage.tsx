// My orders, newest first, each status kept live (orderUpdated). With a part of the shop
// down, the orders still show, with a notice for what is missing (product names when the
// stock service is down).
import { useQuery, useSubscription } from '@apollo/client/react';
import { Link } from 'react-router';
import { OrderCard } from '../components/OrderCard';
import { ErrorNotice } from '../errors/ErrorNotice';
import { describeSubgraph, unavailableParts } from '../errors/problems';
import { graphql } from '../gql';
import { RequireSession } from '../session/RequireSession';

const MyOrdersQuery = graphql(`
  query MyOrders($first: Int!, $after: String) {
    me {
      id
      orders(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          ...OrderCard_order
        }
      }
    }
  }
`);

// Each event lands in the normalized cache under its Order's id, so the card on the page
// shows the new status without a reload.
const MyOrderUpdatesSubscription = graphql(`
  subscription MyOrderUpdates {
    orderUpdated {
      id
      status
      updatedAt
    }
  }
`);

export function OrdersPage() {
  return (
    <RequireSession>
      <MyOrders />
    </RequireSession>
  );
}

function MyOrders() {
  const { data, error, loading, refetch, fetchMore } = useQuery(MyOrdersQuery, {
    variables: { first: 10 },
    errorPolicy: 'all',
    fetchPolicy: 'cache-and-network',
  });
  useSubscription(MyOrderUpdatesSubscription, {
    // An order placed elsewhere (another tab) is not in the list yet: read the first page again.
    onData: ({ data: event }) => {
      const id = event.data?.orderUpdated.id;
      if (id && !data?.me?.orders.nodes.some((order) => order.id === id)) void refetch();
    },
  });
  const orders = data?.me?.orders;
  const missing = unavailableParts(error);
  return (
    <section>
      <h1>My orders</h1>
      {missing.length > 0 && orders && <PartialNotice parts={missing} />}
      {error && !orders && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {loading && !orders && <p aria-busy="true">Loading your orders…</p>}
      {orders &&
        (orders.nodes.length === 0 ? (
          <p>
            No orders yet. <Link to="/">Browse the catalogue</Link>
          </p>
        ) : (
          <>
            <p className="muted">{orders.totalCount} orders</p>
            <ul className="orders" aria-label="Orders">
              {orders.nodes.map((order) => (
                <OrderCard key={order.id} order={order} />
              ))}
            </ul>
            {orders.pageInfo.hasNextPage && (
              <button type="button" onClick={() => void fetchMore({ variables: { after: orders.pageInfo.endCursor } })}>
                Show older orders
              </button>
            )}
          </>
        ))}
    </section>
  );
}

export function PartialNotice({ parts }: { parts: string[] }) {
  return (
    <div role="status" className="notice notice-warning">
      Some details are missing: the {parts.map(describeSubgraph).join(' and ')} {parts.length === 1 ? 'service is' : 'services are'} unavailable right now.
    </div>
  );
}
