// Create an account (a customer), signed in at once.
import { useState, type FormEvent } from 'react';
import { useMutation } from '@apollo/client/react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ErrorNotice } from '../errors/ErrorNotice';
import { graphql } from '../gql';
import { useSignIn } from '../session/useSignIn';

const SignUpMutation = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        name
        role
      }
    }
  }
`);

export function SignUpPage() {
  const { signIn } = useSignIn();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? '/';
  const [signUp, { loading }] = useMutation(SignUpMutation);
  const [error, setError] = useState<unknown>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    try {
      const input = { name: String(form.get('name')), email: String(form.get('email')), password: String(form.get('password')) };
      const { data } = await signUp({ variables: { input } });
      if (data) {
        await signIn(data.signUp);
        navigate(from, { replace: true });
      }
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section className="narrow">
      <h1>Create an account</h1>
      <ErrorNotice error={error} />
      <form onSubmit={onSubmit} className="stacked">
        <label>
          Name <input name="name" autoComplete="name" required maxLength={100} />
        </label>
        <label>
          Email <input type="email" name="email" autoComplete="email" required />
        </label>
        <label>
          Password <input type="password" name="password" autoComplete="new-password" required minLength={8} maxLength={256} />
        </label>
        <button type="submit" disabled={loading}>
          {loading ? 'Creating your account…' : 'Sign up'}
        </button>
      </form>
      <p>
        Have an account? <Link to="/login" state={{ from }}>Log in</Link>
      </p>
    </section>
  );
}
