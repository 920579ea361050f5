// @vitest-environment jsdom
// The checkout as a shopper uses it, against a fake gateway: Apollo Client's link is the
// boundary (no network here); everything above it is the real page, cart and client cache.
import { ApolloClient, ApolloLink, InMemoryCache } from '@apollo/client';
import { ApolloProvider } from '@apollo/client/react';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Observable, of, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { CartProvider } from '../cart/CartContext';
import { saveCart } from '../cart/cart';
import { SessionProvider } from '../session/SessionContext';
import { createSessionStore } from '../session/sessionStore';
import { MemoryStorage } from '../testing/MemoryStorage';
import { CartPage } from './CartPage';

type Answer = (variables: Record<string, any>) => Observable<ApolloLink.Result>;

const order = (quantity: number) => ({
  data: {
    placeOrder: {
      __typename: 'Order',
      id: 'order-1',
      status: 'PENDING',
      totalCents: 4999 * quantity,
      items: [{ __typename: 'OrderItem', quantity, product: { __typename: 'Product', id: 'p-keyboard', available: 10 - quantity, inStock: true } }],
    },
  },
});

function renderCart(answers: Answer[], quantity = 1) {
  const sent: Record<string, any>[] = [];
  const link = new ApolloLink((operation) => {
    sent.push(operation.variables);
    const answer = answers[sent.length - 1];
    return answer ? answer(operation.variables) : throwError(() => new Error('unexpected request'));
  });
  const storage = new MemoryStorage();
  storage.setItem('storefront.token', JSON.stringify({ token: 't', userId: 'u1', name: 'Ada', role: 'CUSTOMER' }));
  saveCart({ lines: [{ productId: 'p-keyboard', name: 'Keyboard', priceCents: 4999, quantity }], checkoutKey: null }, storage);
  render(
    <SessionProvider store={createSessionStore(storage)}>
      <ApolloProvider client={new ApolloClient({ link, cache: new InMemoryCache() })}>
        <CartProvider storage={storage}>
          <MemoryRouter>
            <CartPage />
          </MemoryRouter>
        </CartProvider>
      </ApolloProvider>
    </SessionProvider>,
  );
  return { sent, storage };
}

afterEach(cleanup);

describe('checkout', () => {
  it('places one order for a double click', async () => {
    const { sent } = renderCart([() => of(order(1)), () => of(order(1))]);
    const button = screen.getByRole('button', { name: 'Place order' });
    fireEvent.click(button);
    fireEvent.click(button);
    expect(await screen.findByText(/Order placed/)).toBeTruthy();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual({ input: { items: [{ productId: 'p-keyboard', quantity: 1 }], idempotencyKey: expect.stringMatching(/^checkout-/) } });
  });

  it('sends the same idempotency key again when the answer was lost, and empties the cart once placed', async () => {
    const { sent, storage } = renderCart([() => throwError(() => new TypeError('Failed to fetch')), () => of(order(1))]);
    fireEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect(await screen.findByText(/Order placed/, undefined, { timeout: 5000 })).toBeTruthy();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.input.idempotencyKey).toBe(sent[0]!.input.idempotencyKey);
    // The cart is saved by an effect after the render that shows the order: on a busy
    // machine the text can be found before the save has run.
    await waitFor(() => expect(JSON.parse(storage.getItem('storefront.cart')!)).toEqual({ lines: [], checkoutKey: null }));
  });

  it('shows OUT_OF_STOCK with what is available, and offers to take that much', async () => {
    const outOfStock = { data: null, errors: [{ message: 'Only 1 left.', extensions: { code: 'OUT_OF_STOCK', productId: 'p-keyboard', available: 1, requested: 3 } }] };
    const { sent } = renderCart([() => of(outOfStock), () => of(order(1))], 3);
    fireEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Keyboard has 1 available, you asked for 3');
    fireEvent.click(screen.getByRole('button', { name: 'Change to 1' }));
    expect((screen.getByRole('spinbutton', { name: 'Quantity of Keyboard' }) as HTMLInputElement).value).toBe('1');
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect(await screen.findByText(/Order placed/)).toBeTruthy();
    // A changed cart is a new checkout: a new key, since the server refuses a key reused for other items.
    expect(sent[1]!.input.idempotencyKey).not.toBe(sent[0]!.input.idempotencyKey);
  });
});
