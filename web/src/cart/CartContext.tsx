// The cart as React state, saved in localStorage (it survives a reload, and the tabs of
// the shop share it).
import { createContext, useContext, useEffect, useReducer, type Dispatch, type ReactNode } from 'react';
import { cartReducer, loadCart, saveCart, type Cart, type CartAction } from './cart';

const KEY = 'storefront.cart';
const CartContext = createContext<{ cart: Cart; dispatch: Dispatch<CartAction> } | null>(null);

type Action = CartAction | { type: 'replace'; cart: Cart };

export function CartProvider({ children, storage = localStorage }: { children: ReactNode; storage?: Storage }) {
  const [cart, dispatch] = useReducer((state: Cart, action: Action) => (action.type === 'replace' ? action.cart : cartReducer(state, action)), storage, (s) => loadCart(s, KEY));
  useEffect(() => saveCart(cart, storage, KEY), [cart, storage]);
  useEffect(() => {
    const listener = (event: StorageEvent) => {
      if (event.key === KEY) dispatch({ type: 'replace', cart: loadCart(storage, KEY) });
    };
    window.addEventListener('storage', listener);
    return () => window.removeEventListener('storage', listener);
  }, [storage]);
  return <CartContext.Provider value={{ cart, dispatch }}>{children}</CartContext.Provider>;
}

export function useCart() {
  const context = useContext(CartContext);
  if (!context) throw new TypeError('useCart() needs a <CartProvider> above it.');
  return context;
}
