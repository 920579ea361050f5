// Signing in and out: the token goes to the session store, and whatever the cache held
// for the previous user goes away.
import { useApolloClient } from '@apollo/client/react';
import { useSessionStore } from './SessionContext';

export interface AuthPayload {
  token: string;
  user: { id: string; name: string; role: 'CUSTOMER' | 'ADMIN' };
}

export function useSignIn() {
  const client = useApolloClient();
  const sessions = useSessionStore();
  return {
    async signIn({ token, user }: AuthPayload) {
      await client.clearStore();
      sessions.signIn({ token, userId: user.id, name: user.name, role: user.role });
    },
    async signOut() {
      sessions.signOut();
      await client.clearStore();
    },
  };
}
