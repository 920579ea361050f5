// Pages for signed-in users (and, with `admin`, for admins): others are asked to log in.
import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import { useSession } from './SessionContext';

export function RequireSession({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { session, expired } = useSession();
  const location = useLocation();
  if (!session) {
    return (
      <section className="narrow">
        <p role="status">
          {expired ? 'Your session has ended. ' : ''}
          <Link to="/login" state={{ from: location.pathname + location.search }}>
            Log in
          </Link>{' '}
          to see this page.
        </p>
      </section>
    );
  }
  if (admin && session.role !== 'ADMIN') return <p role="alert">This page is for the shop's admins.</p>;
  return children;
}
