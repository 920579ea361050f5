// One order as its buyer sees it: status, lines, total, and "Cancel" while it is PENDING.
import { useState } from 'react';
import { useMutation } from '@apollo/client/react';
import { graphql, useFragment, type FragmentType } from '../gql';
import { ErrorNotice } from '../errors/ErrorNotice';
import { orderNumber } from './orderNumber';
import { Money } from './Money';

export const OrderCardFragment = graphql(`
  fragment OrderCard_order on Order {
    id
    status
    totalCents
    createdAt
    items {
      quantity
      unitPriceCents
      subtotalCents
      product {
        id
        name
      }
    }
  }
`);

export const CancelOrderMutation = graphql(`
  mutation CancelOrder($id: ID!) {
    cancelOrder(id: $id) {
      id
      status
      updatedAt
      items {
        quantity
        product {
          id
          available
          inStock
        }
      }
    }
  }
`);

export function OrderCard(props: { order: FragmentType<typeof OrderCardFragment> }) {
  const order = useFragment(OrderCardFragment, props.order);
  const [cancel, { loading }] = useMutation(CancelOrderMutation);
  const [error, setError] = useState<unknown>(null);
  const placed = new Date(order.createdAt);
  return (
    <li className="order" aria-label={`Order ${orderNumber(order.id)}`}>
      <header>
        <strong>Order {orderNumber(order.id)}</strong> · <time dateTime={order.createdAt}>{placed.toLocaleString()}</time> ·{' '}
        <span className={`status status-${order.status.toLowerCase()}`}>{order.status}</span>
      </header>
      <ul>
        {order.items.map((item, index) => (
          <li key={item.product?.id ?? index}>
            {item.quantity} × {item.product?.name ?? <em>product details unavailable</em>} at <Money cents={item.unitPriceCents} /> ={' '}
            <Money cents={item.subtotalCents} />
          </li>
        ))}
      </ul>
      <footer>
        Total <Money cents={order.totalCents} />
        {order.status === 'PENDING' && (
          <button
            type="button"
            disabled={loading}
            onClick={async () => {
              setError(null);
              try {
                await cancel({ variables: { id: order.id } });
              } catch (caught) {
                setError(caught);
              }
            }}
          >
            {loading ? 'Cancelling…' : 'Cancel order'}
          </button>
        )}
      </footer>
      <ErrorNotice error={error} />
    </li>
  );
}
