// The shop's header: where to go, the cart, the unread notifications (live), who is signed in.
import { useQuery, useSubscription } from '@apollo/client/react';
import { NavLink, useNavigate } from 'react-router';
import { useCart } from '../cart/CartContext';
import { cartCount } from '../cart/cart';
import { graphql } from '../gql';
import { useSession } from '../session/SessionContext';
import { useSignIn } from '../session/useSignIn';

/**
 * The unread count is a small query of its own, read again at each new notification
 * (notificationAdded) and, as a fallback for a socket that cannot connect, now and then.
 */
export const UNREAD_POLL_MS = 60_000;

const UnreadCountQuery = graphql(`
  query UnreadCount {
    me {
      id
      notifications(first: 0, unreadOnly: true) {
        totalCount
      }
    }
  }
`);

const NotificationAddedSubscription = graphql(`
  subscription NotificationAdded {
    notificationAdded {
      id
      subject
    }
  }
`);

export function Header() {
  const { session } = useSession();
  const { cart } = useCart();
  const { signOut } = useSignIn();
  const navigate = useNavigate();
  const unread = useQuery(UnreadCountQuery, { skip: !session, pollInterval: UNREAD_POLL_MS, errorPolicy: 'all' });
  useSubscription(NotificationAddedSubscription, { skip: !session, onData: () => void unread.refetch() });
  const unreadCount = unread.data?.me?.notifications?.totalCount ?? 0;
  const items = cartCount(cart);
  return (
    <header className="site">
      <NavLink to="/" className="brand">
        Supergraph shop
      </NavLink>
      <nav aria-label="Main">
        <NavLink to="/" end>
          Catalogue
        </NavLink>
        <NavLink to="/cart">Cart{items > 0 && ` (${items})`}</NavLink>
        {session && <NavLink to="/orders">My orders</NavLink>}
        {session && (
          <NavLink to="/inbox" aria-label={unreadCount > 0 ? `Inbox, ${unreadCount} unread` : 'Inbox'}>
            Inbox{unreadCount > 0 && <span className="count">{unreadCount}</span>}
          </NavLink>
        )}
        {session && <NavLink to="/settings">Settings</NavLink>}
        {session?.role === 'ADMIN' && <NavLink to="/admin">Admin</NavLink>}
        <NavLink to="/explorer">Explorer</NavLink>
      </nav>
      <div className="account">
        {session ? (
          <>
            <span>{session.name}</span>
            <button
              type="button"
              onClick={async () => {
                await signOut();
                navigate('/');
              }}
            >
              Log out
            </button>
          </>
        ) : (
          <>
            <NavLink to="/login">Log in</NavLink>
            <NavLink to="/signup">Sign up</NavLink>
          </>
        )}
      </div>
    </header>
  );
}
