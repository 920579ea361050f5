// The cart and its checkout: one placeOrder per checkout, however many clicks or retries.
import { useEffect, useRef, useState } from 'react';
import { useApolloClient } from '@apollo/client/react';
import { Link, useLocation } from 'react-router';
import { useCart } from '../cart/CartContext';
import { cartTotalCents, MAX_QUANTITY, type Cart } from '../cart/cart';
import { newCheckoutKey, placeOnce } from '../cart/checkout';
import { Money } from '../components/Money';
import { ErrorNotice } from '../errors/ErrorNotice';
import { mainProblem, type Problem } from '../errors/problems';
import { graphql } from '../gql';
import { useSession } from '../session/SessionContext';

const PlaceOrderMutation = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      totalCents
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

type Checkout =
  | { state: 'idle' }
  | { state: 'placing'; retrying: number }
  | { state: 'placed'; orderId: string; totalCents: number }
  | { state: 'failed'; error: unknown };

export function CartPage() {
  const { cart, dispatch } = useCart();
  const { session } = useSession();
  const client = useApolloClient();
  const location = useLocation();
  const [checkout, setCheckout] = useState<Checkout>({ state: 'idle' });
  // A second click while the first is on its way changes nothing (the button is disabled
  // too; this covers the clicks that land before React re-renders it).
  const inFlight = useRef(false);
  // A changed cart is a new checkout: what stopped the last one no longer applies.
  useEffect(() => setCheckout((current) => (current.state === 'failed' ? { state: 'idle' } : current)), [cart.lines]);

  async function placeOrder() {
    if (inFlight.current || cart.lines.length === 0) return;
    inFlight.current = true;
    const idempotencyKey = cart.checkoutKey ?? newCheckoutKey();
    dispatch({ type: 'begin-checkout', key: idempotencyKey });
    setCheckout({ state: 'placing', retrying: 0 });
    const items = cart.lines.map((line) => ({ productId: line.productId, quantity: line.quantity }));
    try {
      const { data } = await placeOnce({
        idempotencyKey,
        send: (key) => client.mutate({ mutation: PlaceOrderMutation, variables: { input: { items, idempotencyKey: key } } }),
        onRetry: (attempt) => setCheckout({ state: 'placing', retrying: attempt }),
      });
      dispatch({ type: 'placed' });
      setCheckout({ state: 'placed', orderId: data!.placeOrder.id, totalCents: data!.placeOrder.totalCents });
    } catch (error) {
      setCheckout({ state: 'failed', error });
    } finally {
      inFlight.current = false;
    }
  }

  if (checkout.state === 'placed') {
    return (
      <section>
        <h1>Thank you!</h1>
        <p role="status">
          Order placed: <Money cents={checkout.totalCents} />. A confirmation is on its way to your <Link to="/inbox">inbox</Link>.
        </p>
        <p>
          <Link to="/orders">See my orders</Link> · <Link to="/">Keep shopping</Link>
        </p>
      </section>
    );
  }

  const placing = checkout.state === 'placing';
  const problem = checkout.state === 'failed' ? mainProblem(checkout.error) : undefined;
  return (
    <section>
      <h1>Your cart</h1>
      {cart.lines.length === 0 ? (
        <p>
          Your cart is empty. <Link to="/">Browse the catalogue</Link>
        </p>
      ) : (
        <>
          <CartLines cart={cart} disabled={placing} />
          <p className="total">
            Estimated total <Money cents={cartTotalCents(cart)} />
            <span className="muted"> (prices are confirmed when the order is placed)</span>
          </p>
          {problem && <CheckoutProblem problem={problem} error={checkout.state === 'failed' ? checkout.error : null} cart={cart} onRetry={placeOrder} />}
          {session ? (
            <button type="button" className="primary" onClick={placeOrder} disabled={placing}>
              {placing ? (checkout.retrying ? `Placing order… (retry ${checkout.retrying})` : 'Placing order…') : 'Place order'}
            </button>
          ) : (
            <p>
              <Link to="/login" state={{ from: location.pathname }}>
                Log in to place your order
              </Link>
            </p>
          )}
        </>
      )}
    </section>
  );
}

function CartLines({ cart, disabled }: { cart: Cart; disabled: boolean }) {
  const { dispatch } = useCart();
  return (
    <table className="lines">
      <thead>
        <tr>
          <th>Product</th>
          <th>Price</th>
          <th>Quantity</th>
          <th>Subtotal</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {cart.lines.map((line) => (
          <tr key={line.productId}>
            <td>
              <Link to={`/products/${line.productId}`}>{line.name}</Link>
            </td>
            <td>
              <Money cents={line.priceCents} />
            </td>
            <td>
              <input
                type="number"
                aria-label={`Quantity of ${line.name}`}
                min={1}
                max={MAX_QUANTITY}
                value={line.quantity}
                disabled={disabled}
                onChange={(event) => dispatch({ type: 'set-quantity', productId: line.productId, quantity: Number(event.target.value) || 1 })}
              />
            </td>
            <td>
              <Money cents={line.priceCents * line.quantity} />
            </td>
            <td>
              <button type="button" disabled={disabled} onClick={() => dispatch({ type: 'remove', productId: line.productId })}>
                Remove
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What stopped the checkout; for missing stock, how much there is and a one-click fix. */
function CheckoutProblem({ problem, error, cart, onRetry }: { problem: Problem; error: unknown; cart: Cart; onRetry: () => void }) {
  const { dispatch } = useCart();
  if (problem.kind !== 'out-of-stock') return <ErrorNotice error={error} onRetry={onRetry} />;
  const line = cart.lines.find((each) => each.productId === problem.productId);
  const name = line?.name ?? 'A product';
  return (
    <div role="alert" className="notice notice-error">
      <span>
        Not enough stock: {name} has {problem.available} available, you asked for {problem.requested}.
      </span>
      {line &&
        (problem.available > 0 ? (
          <button type="button" onClick={() => dispatch({ type: 'set-quantity', productId: line.productId, quantity: problem.available })}>
            Change to {problem.available}
          </button>
        ) : (
          <button type="button" onClick={() => dispatch({ type: 'remove', productId: line.productId })}>
            Remove it
          </button>
        ))}
    </div>
  );
}
