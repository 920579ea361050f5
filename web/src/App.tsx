// The storefront's pages. The explorer is loaded only when asked for: it is most of the
// bytes (GraphiQL and its editor) and no shopper needs it.
import { lazy, Suspense, useEffect } from 'react';
import { Route, Routes, useLocation, useNavigate } from 'react-router';
import { AdminPage } from './admin/AdminPage';
import { Header } from './components/Header';
import { CartPage } from './pages/CartPage';
import { CataloguePage } from './pages/CataloguePage';
import { InboxPage } from './pages/InboxPage';
import { LogInPage } from './pages/LogInPage';
import { OrdersPage } from './pages/OrdersPage';
import { ProductPage } from './pages/ProductPage';
import { SettingsPage } from './pages/SettingsPage';
import { SignUpPage } from './pages/SignUpPage';
import { useSession } from './session/SessionContext';

const ExplorerPage = lazy(() => import('./explorer/ExplorerPage'));

export function App() {
  useLogInWhenSessionEnds();
  return (
    <Routes>
      <Route
        path="/explorer"
        element={
          <Suspense fallback={<p aria-busy="true">Loading the explorer…</p>}>
            <ExplorerPage />
          </Suspense>
        }
      />
      <Route path="*" element={<Shop />} />
    </Routes>
  );
}

function Shop() {
  return (
    <>
      <Header />
      <main>
        <Routes>
          <Route path="/" element={<CataloguePage />} />
          <Route path="/products/:id" element={<ProductPage />} />
          <Route path="/cart" element={<CartPage />} />
          <Route path="/login" element={<LogInPage />} />
          <Route path="/signup" element={<SignUpPage />} />
          <Route path="/orders" element={<OrdersPage />} />
          <Route path="/inbox" element={<InboxPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/admin" element={<AdminPage />} />
          <Route path="*" element={<p>There is no such page here.</p>} />
        </Routes>
      </main>
    </>
  );
}

// Private: when the gateway refuses the token (UNAUTHENTICATED), go to the log-in page and
// come back here afterwards.
function useLogInWhenSessionEnds() {
  const { expired } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  useEffect(() => {
    if (expired && location.pathname !== '/login') navigate('/login', { state: { from: location.pathname + location.search } });
    // Only a newly ended session sends the shopper away, not every later navigation.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [expired]);
}
