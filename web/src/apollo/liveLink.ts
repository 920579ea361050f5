// Subscriptions over the gateway's WebSocket (graphql-ws, `graphql-transport-ws`): the
// signed-in user's token goes in connection_init, read at every (re)connect; a change of
// session opens a new connection, so the gateway never holds a signed-out user's
// subscriptions; a lost connection is retried with growing, jittered waits, and once it is
// back the page's queries are read again, since what happened meanwhile is not replayed.
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import type { SessionStore } from '../session/sessionStore';

/** The first wait before reconnecting, and the most any wait grows to. */
const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 30_000;

export function createLiveLink({ uri, sessions, onReconnected }: { uri: string; sessions: SessionStore; onReconnected: () => void }): GraphQLWsLink {
  let connectedBefore = false;
  const client = createClient({
    url: uri.replace(/^http/, 'ws'),
    // Opened by the first subscription, closed after the last: a page without live data holds no socket.
    lazy: true,
    connectionParams: () => {
      const token = sessions.get().session?.token;
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    // Every close is worth retrying: 1001 (the gateway restarting), 4403 (a token that
    // expired: the HTTP side ends the session, and the new one reconnects), a lost network.
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: waitBeforeRetry,
    on: {
      connected: () => {
        if (connectedBefore) onReconnected();
        connectedBefore = true;
      },
    },
  });

  let token = sessions.get().session?.token;
  sessions.subscribe(() => {
    const next = sessions.get().session?.token;
    if (next === token) return;
    token = next;
    // Closes the socket (if one is open); graphql-ws reconnects with the new token and
    // subscribes again whatever is still subscribed.
    client.terminate();
  });
  return new GraphQLWsLink(client);
}

// Private: exponential, capped, with jitter, so that a gateway restart is not met by every
// tab reconnecting in the same instant.
function waitBeforeRetry(retries: number): Promise<void> {
  const ceiling = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** retries);
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}
