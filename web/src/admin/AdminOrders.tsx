// Every order, newest first, with its customer; filter by status or customer; complete or
// cancel the PENDING ones.
import { useState } from 'react';
import { useMutation, useQuery } from '@apollo/client/react';
import { orderNumber } from '../components/orderNumber';
import { Money } from '../components/Money';
import { CancelOrderMutation } from '../components/OrderCard';
import { ErrorNotice } from '../errors/ErrorNotice';
import { unavailableParts } from '../errors/problems';
import { graphql, useFragment, type FragmentType } from '../gql';
import type { OrderStatus } from '../gql/graphql';
import { PartialNotice } from '../pages/OrdersPage';

const AdminOrdersQuery = graphql(`
  query AdminOrders($first: Int!, $after: String, $status: OrderStatus, $userId: ID) {
    orders(first: $first, after: $after, status: $status, userId: $userId) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        ...AdminOrderRow_order
      }
    }
  }
`);

const AdminOrderRowFragment = graphql(`
  fragment AdminOrderRow_order on Order {
    id
    status
    totalCents
    createdAt
    user {
      id
      name
      email
    }
    items {
      quantity
      product {
        id
        name
      }
    }
  }
`);

const CompleteOrderMutation = graphql(`
  mutation CompleteOrder($id: ID!) {
    completeOrder(id: $id) {
      id
      status
      updatedAt
      items {
        quantity
        product {
          id
          stock
          available
          inStock
        }
      }
    }
  }
`);

const STATUSES: (OrderStatus | '')[] = ['', 'PENDING', 'COMPLETED', 'CANCELLED'];

export function AdminOrders({ customer, onClearCustomer }: { customer: { id: string; name: string } | null; onClearCustomer: () => void }) {
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [after, setAfter] = useState<string[]>([]);
  const variables = { first: 20, after: after.at(-1) ?? null, status: status || null, userId: customer?.id ?? null };
  const { data, error, loading, refetch } = useQuery(AdminOrdersQuery, { variables, errorPolicy: 'all', fetchPolicy: 'cache-and-network' });
  const orders = data?.orders;
  const missing = unavailableParts(error);
  return (
    <section aria-labelledby="admin-orders">
      <h2 id="admin-orders">Orders</h2>
      <div className="toolbar">
        <label>
          Status{' '}
          <select
            value={status}
            onChange={(event) => {
              setStatus(event.target.value as OrderStatus | '');
              setAfter([]);
            }}
          >
            {STATUSES.map((each) => (
              <option key={each} value={each}>
                {each || 'All'}
              </option>
            ))}
          </select>
        </label>
        {customer && (
          <span>
            Customer: {customer.name}{' '}
            <button type="button" onClick={onClearCustomer}>
              All customers
            </button>
          </span>
        )}
      </div>
      {missing.length > 0 && orders && <PartialNotice parts={missing} />}
      {error && !orders && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {loading && !orders && <p aria-busy="true">Loading orders…</p>}
      {orders && (
        <>
          <table className="lines" aria-label="All orders">
            <thead>
              <tr>
                <th>Order</th>
                <th>Placed</th>
                <th>Customer</th>
                <th>Items</th>
                <th>Total</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {orders.nodes.map((order) => (
                <AdminOrderRow key={order.id} order={order} />
              ))}
            </tbody>
          </table>
          <p className="muted">{orders.totalCount} orders</p>
          <nav className="pager" aria-label="Order pages">
            {after.length > 0 && (
              <button type="button" onClick={() => setAfter(after.slice(0, -1))}>
                ← Newer
              </button>
            )}
            {orders.pageInfo.hasNextPage && orders.pageInfo.endCursor && (
              <button type="button" onClick={() => setAfter([...after, orders.pageInfo.endCursor!])}>
                Older →
              </button>
            )}
          </nav>
        </>
      )}
    </section>
  );
}

function AdminOrderRow(props: { order: FragmentType<typeof AdminOrderRowFragment> }) {
  const order = useFragment(AdminOrderRowFragment, props.order);
  const [complete, completing] = useMutation(CompleteOrderMutation);
  const [cancel, cancelling] = useMutation(CancelOrderMutation);
  const [error, setError] = useState<unknown>(null);
  const busy = completing.loading || cancelling.loading;
  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <tr aria-label={`Order ${orderNumber(order.id)}`}>
      <td>{orderNumber(order.id)}</td>
      <td>
        <time dateTime={order.createdAt}>{new Date(order.createdAt).toLocaleString()}</time>
      </td>
      <td>{order.user ? `${order.user.name} <${order.user.email}>` : <em>customer unavailable</em>}</td>
      <td>{order.items.map((item) => `${item.quantity} × ${item.product?.name ?? '(unavailable)'}`).join(', ')}</td>
      <td>
        <Money cents={order.totalCents} />
      </td>
      <td>
        <span className={`status status-${order.status.toLowerCase()}`}>{order.status}</span>
      </td>
      <td>
        {order.status === 'PENDING' && (
          <>
            <button type="button" disabled={busy} onClick={() => run(() => complete({ variables: { id: order.id } }))}>
              Complete
            </button>{' '}
            <button type="button" disabled={busy} onClick={() => run(() => cancel({ variables: { id: order.id } }))}>
              Cancel
            </button>
          </>
        )}
        <ErrorNotice error={error} />
      </td>
    </tr>
  );
}
