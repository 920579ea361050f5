// The customer directory: find a customer by name or email, then see their orders.
import { useState, type FormEvent } from 'react';
import { useQuery } from '@apollo/client/react';
import { ErrorNotice } from '../errors/ErrorNotice';
import { graphql } from '../gql';

const FindCustomersQuery = graphql(`
  query FindCustomers($first: Int!, $after: String, $search: String) {
    users(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
        email
        role
        createdAt
      }
    }
  }
`);

export function AdminCustomers({ onShowOrders }: { onShowOrders: (customer: { id: string; name: string }) => void }) {
  const [search, setSearch] = useState('');
  const [after, setAfter] = useState<string[]>([]);
  const { data, error, refetch } = useQuery(FindCustomersQuery, { variables: { first: 10, after: after.at(-1) ?? null, search: search || null } });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSearch(String(new FormData(event.currentTarget).get('search') ?? '').trim());
    setAfter([]);
  }

  const users = data?.users;
  return (
    <section aria-labelledby="admin-customers">
      <h2 id="admin-customers">Customers</h2>
      <form role="search" onSubmit={onSubmit} className="search">
        <input type="search" name="search" aria-label="Find a customer" placeholder="Name or email" />
        <button type="submit">Find</button>
      </form>
      {error && <ErrorNotice error={error} onRetry={() => void refetch()} />}
      {users && (
        <>
          <p className="muted">
            {users.totalCount} {users.totalCount === 1 ? 'account' : 'accounts'}
            {search && <> matching “{search}”</>}
          </p>
          <ul className="customers" aria-label="Customers">
            {users.nodes.map((user) => (
              <li key={user.id}>
                <strong>{user.name}</strong> &lt;{user.email}&gt; · {user.role.toLowerCase()} since {new Date(user.createdAt).toLocaleDateString()}{' '}
                <button type="button" onClick={() => onShowOrders({ id: user.id, name: user.name })}>
                  Show {user.name}'s orders
                </button>
              </li>
            ))}
          </ul>
          <nav className="pager" aria-label="Customer pages">
            {after.length > 0 && (
              <button type="button" onClick={() => setAfter(after.slice(0, -1))}>
                ← Previous
              </button>
            )}
            {users.pageInfo.hasNextPage && users.pageInfo.endCursor && (
              <button type="button" onClick={() => setAfter([...after, users.pageInfo.endCursor!])}>
                Next →
              </button>
            )}
          </nav>
        </>
      )}
    </section>
  );
}
