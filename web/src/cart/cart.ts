// The cart: what the shopper means to buy, and the idempotency key of the checkout that
// buys it. One key per checkout: every attempt to place this cart (a double click, a
// retry after a lost answer, a reload in between) sends the same key, so the gateway
// returns the same order instead of making a second one. Changing the cart starts a new
// checkout (the server refuses a key reused for other items), and so does a placed order.

export interface CartLine {
  productId: string;
  name: string;
  /** The price when added, for the estimate; the order is charged at checkout's price. */
  priceCents: number;
  quantity: number;
}

export interface Cart {
  lines: CartLine[];
  /** The idempotency key of the current checkout, made at its first attempt. */
  checkoutKey: string | null;
}

/** The server's limits on a line (README "Decisions a client should know"). */
export const MAX_QUANTITY = 1000;
export const MAX_LINES = 50;

export const emptyCart: Cart = { lines: [], checkoutKey: null };

export type CartAction =
  | { type: 'add'; product: { id: string; name: string; priceCents: number }; quantity: number }
  | { type: 'set-quantity'; productId: string; quantity: number }
  | { type: 'remove'; productId: string }
  | { type: 'begin-checkout'; key: string }
  | { type: 'placed' };

export function cartReducer(cart: Cart, action: CartAction): Cart {
  switch (action.type) {
    case 'add': {
      const existing = cart.lines.find((line) => line.productId === action.product.id);
      if (!existing && cart.lines.length >= MAX_LINES) return cart;
      const lines = existing
        ? cart.lines.map((line) => (line === existing ? { ...line, quantity: clamp(line.quantity + action.quantity) } : line))
        : [...cart.lines, { productId: action.product.id, name: action.product.name, priceCents: action.product.priceCents, quantity: clamp(action.quantity) }];
      return changed(cart, lines);
    }
    case 'set-quantity': {
      if (action.quantity <= 0) return cartReducer(cart, { type: 'remove', productId: action.productId });
      const lines = cart.lines.map((line) => (line.productId === action.productId ? { ...line, quantity: clamp(action.quantity) } : line));
      return changed(cart, lines);
    }
    case 'remove':
      return changed(cart, cart.lines.filter((line) => line.productId !== action.productId));
    case 'begin-checkout':
      // An attempt already under way keeps its key: that is what makes a retry safe.
      return cart.checkoutKey ? cart : { ...cart, checkoutKey: action.key };
    case 'placed':
      return emptyCart;
  }
}

export function cartTotalCents(cart: Cart): number {
  return cart.lines.reduce((total, line) => total + line.priceCents * line.quantity, 0);
}

export function cartCount(cart: Cart): number {
  return cart.lines.reduce((count, line) => count + line.quantity, 0);
}

// Private: any change to what is bought is a new checkout, so its key goes.
function changed(cart: Cart, lines: CartLine[]): Cart {
  const same = lines.length === cart.lines.length && lines.every((line, i) => line.productId === cart.lines[i]!.productId && line.quantity === cart.lines[i]!.quantity);
  return same ? cart : { lines, checkoutKey: null };
}

function clamp(quantity: number): number {
  return Math.max(1, Math.min(MAX_QUANTITY, Math.floor(quantity)));
}

/** Reads a cart saved by `saveCart`, or an empty one if there is none or it is damaged. */
export function loadCart(storage: Storage, key = 'storefront.cart'): Cart {
  try {
    const saved = JSON.parse(storage.getItem(key) ?? 'null') as Cart | null;
    if (!saved || !Array.isArray(saved.lines)) return emptyCart;
    const lines = saved.lines.filter(
      (line) => typeof line?.productId === 'string' && typeof line.name === 'string' && Number.isInteger(line.priceCents) && Number.isInteger(line.quantity) && line.quantity > 0,
    );
    return { lines, checkoutKey: typeof saved.checkoutKey === 'string' && lines.length === saved.lines.length ? saved.checkoutKey : null };
  } catch {
    return emptyCart;
  }
}

export function saveCart(cart: Cart, storage: Storage, key = 'storefront.cart'): void {
  storage.setItem(key, JSON.stringify(cart));
}
