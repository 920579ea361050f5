// Log in, then back to where the shopper was going.
import { useState, type FormEvent } from 'react';
import { useMutation } from '@apollo/client/react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ErrorNotice } from '../errors/ErrorNotice';
import { graphql } from '../gql';
import { useSession } from '../session/SessionContext';
import { useSignIn } from '../session/useSignIn';

const LogInMutation = graphql(`
  mutation LogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) {
      token
      user {
        id
        name
        role
      }
    }
  }
`);

export function LogInPage() {
  const { expired } = useSession();
  const { signIn } = useSignIn();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? '/';
  const [logIn, { loading }] = useMutation(LogInMutation);
  const [error, setError] = useState<unknown>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    try {
      const { data } = await logIn({ variables: { email: String(form.get('email')), password: String(form.get('password')) } });
      if (data) {
        await signIn(data.logIn);
        navigate(from, { replace: true });
      }
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section className="narrow">
      <h1>Log in</h1>
      {expired && !error && (
        <div role="status" className="notice notice-warning">
          Your session has ended. Log in again to continue.
        </div>
      )}
      <ErrorNotice error={error} />
      <form onSubmit={onSubmit} className="stacked">
        <label>
          Email <input type="email" name="email" autoComplete="username" required />
        </label>
        <label>
          Password <input type="password" name="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={loading}>
          {loading ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p>
        New here? <Link to="/signup" state={{ from }}>Create an account</Link>
      </p>
    </section>
  );
}
