// The Apollo Client the storefront uses: a normalized cache, the signed-in user's token on
// every request, operations sent by their persisted id, and a session that ends when the
// gateway refuses its token. Subscriptions go over the gateway's WebSocket (liveLink.ts),
// everything else over HTTP.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type FieldPolicy } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { getMainDefinition } from '@apollo/client/utilities';
import { problemsOf } from '../errors/problems';
import type { SessionStore } from '../session/sessionStore';
import { createLiveLink } from './liveLink';
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
  // Events sent while the socket was down are not replayed: read the page's data again.
  const live = createLiveLink({ uri, sessions, onReconnected: () => void client.refetchQueries({ include: 'active' }) });
  const isSubscription = ({ query }: ApolloLink.Operation) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  };

  // The id goes on both paths: in safelist mode the gateway runs only persisted documents,
  // over its WebSocket as over HTTP.
  const client: ApolloClient = new ApolloClient({
    link: ApolloLink.from([endRefusedSession, persisted, ApolloLink.split(isSubscription, live, ApolloLink.from([withToken, http]))]),
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
  return client;
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
