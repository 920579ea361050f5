// The Apollo Client the storefront uses: a normalized cache, the signed-in user's token on
// every request, operations sent by their persisted id, and a session that ends when the
// gateway refuses its token.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type FieldPolicy } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { problemsOf } from '../errors/problems';
import type { SessionStore } from '../session/sessionStore';
import { operationId } from './operationIds';

export function createApolloClient({ uri, sessions }: { uri: string; sessions: SessionStore }): ApolloClient {
  const withToken = new SetContextLink(({ headers }) => {
    const token = sessions.get().session?.token;
    return token ? { headers: { ...headers, authorization: `Bearer ${token}` } } : {};
  });
  // A signed-in request refused as UNAUTHENTICATED means the token is no longer good
  // (expired, or the secret was rotated): drop it and ask to log in again.
  const endRefusedSession = new ErrorLink(({ error, operation }) => {
    const signedIn = Boolean(operation.getContext().headers?.authorization);
    if (signedIn && problemsOf(error).some((problem) => problem.kind === 'unauthenticated')) sessions.end();
  });
  const persisted = new PersistedQueryLink({ generateHash: operationId });
  const http = new HttpLink({ uri });

  return new ApolloClient({
    link: ApolloLink.from([endRefusedSession, withToken, persisted, http]),
    cache: new InMemoryCache({
      typePolicies: {
        // Connections have no id: merge a page's fields rather than replace the object, so
        // a query reading only some of them (the stock poll) keeps the others.
        ProductConnection: { merge: true },
        OrderConnection: { merge: true },
        NotificationConnection: { merge: true },
        UserConnection: { merge: true },
        PageInfo: { merge: true },
        User: {
          fields: {
            orders: olderPagesAppended(['status']),
            notifications: olderPagesAppended(['unreadOnly']),
          },
        },
      },
    }),
  });
}

/**
 * A connection field whose "show older" pages (fetchMore with `after`) add to the list
 * already shown; a read from the start replaces it.
 */
function olderPagesAppended(keyArgs: string[]): FieldPolicy {
  return {
    keyArgs,
    merge(existing: { nodes?: unknown[] } | undefined, incoming: { nodes?: unknown[] }, { args }) {
      if (!args?.after || !existing?.nodes || !incoming.nodes) return incoming;
      return { ...existing, ...incoming, nodes: [...existing.nodes, ...incoming.nodes] };
    },
  };
}
