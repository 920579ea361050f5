import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../testing/MemoryStorage';
import { cartCount, cartReducer, cartTotalCents, emptyCart, loadCart, MAX_QUANTITY, saveCart, type Cart } from './cart';

const keyboard = { id: 'p-keyboard', name: 'Keyboard', priceCents: 4999 };
const mouse = { id: 'p-mouse', name: 'Mouse', priceCents: 1999 };

function cartOf(...actions: Parameters<typeof cartReducer>[1][]): Cart {
  return actions.reduce(cartReducer, emptyCart);
}

describe('what the cart holds', () => {
  it('adds a product once, adding quantities when it is added again', () => {
    const cart = cartOf({ type: 'add', product: keyboard, quantity: 1 }, { type: 'add', product: mouse, quantity: 2 }, { type: 'add', product: keyboard, quantity: 2 });
    expect(cart.lines).toEqual([
      { productId: 'p-keyboard', name: 'Keyboard', priceCents: 4999, quantity: 3 },
      { productId: 'p-mouse', name: 'Mouse', priceCents: 1999, quantity: 2 },
    ]);
    expect(cartCount(cart)).toBe(5);
    expect(cartTotalCents(cart)).toBe(3 * 4999 + 2 * 1999);
  });

  it("keeps quantities within the server's limits: whole units, 1 to 1000", () => {
    expect(cartOf({ type: 'add', product: keyboard, quantity: 5000 }).lines[0]!.quantity).toBe(MAX_QUANTITY);
    expect(cartOf({ type: 'add', product: keyboard, quantity: 2.7 }).lines[0]!.quantity).toBe(2);
    const cart = cartOf({ type: 'add', product: keyboard, quantity: 2 }, { type: 'set-quantity', productId: 'p-keyboard', quantity: 0 });
    expect(cart.lines).toEqual([]);
  });
});

describe('one idempotency key per checkout', () => {
  const withItems = cartOf({ type: 'add', product: keyboard, quantity: 1 });

  it('keeps the first attempt\u2019s key for every later attempt of the same cart', () => {
    const first = cartReducer(withItems, { type: 'begin-checkout', key: 'k1' });
    const retried = cartReducer(first, { type: 'begin-checkout', key: 'k2' });
    expect(retried.checkoutKey).toBe('k1');
  });

  it('starts a new checkout when the cart changes, or once the order is placed', () => {
    const begun = cartReducer(withItems, { type: 'begin-checkout', key: 'k1' });
    expect(cartReducer(begun, { type: 'set-quantity', productId: 'p-keyboard', quantity: 2 }).checkoutKey).toBeNull();
    expect(cartReducer(begun, { type: 'add', product: mouse, quantity: 1 }).checkoutKey).toBeNull();
    expect(cartReducer(begun, { type: 'remove', productId: 'p-keyboard' }).checkoutKey).toBeNull();
    expect(cartReducer(begun, { type: 'placed' })).toEqual(emptyCart);
  });

  it('keeps the key when a change changes nothing (the same quantity again)', () => {
    const begun = cartReducer(withItems, { type: 'begin-checkout', key: 'k1' });
    expect(cartReducer(begun, { type: 'set-quantity', productId: 'p-keyboard', quantity: 1 }).checkoutKey).toBe('k1');
  });
});

describe('the saved cart', () => {
  it('survives a reload with its checkout key, so a retry after a reload is still the same checkout', () => {
    const storage = new MemoryStorage();
    const cart = cartReducer(cartOf({ type: 'add', product: keyboard, quantity: 2 }), { type: 'begin-checkout', key: 'k1' });
    saveCart(cart, storage);
    expect(loadCart(storage)).toEqual(cart);
  });

  it('reads damaged storage as an empty cart, and drops lines it cannot trust (and then the key)', () => {
    const storage = new MemoryStorage();
    storage.setItem('storefront.cart', '{not json');
    expect(loadCart(storage)).toEqual(emptyCart);
    storage.setItem('storefront.cart', JSON.stringify({ lines: [{ productId: 'p', name: 'P', priceCents: 1, quantity: 1 }, { productId: 'q', quantity: -3 }], checkoutKey: 'k1' }));
    expect(loadCart(storage)).toEqual({ lines: [{ productId: 'p', name: 'P', priceCents: 1, quantity: 1 }], checkoutKey: null });
  });
});
