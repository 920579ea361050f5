// Subscriptions at the gateway, put together: the planner, the connections to the
// subgraphs, the executor, and the two client transports on /graphql.
import type { ApolloServer } from '@apollo/server';
import type { ServiceMap } from '@apollo/gateway';
import type { ValidationRule } from 'graphql';
import type { Tokens } from '../../platform/auth.js';
import type { LiveTransport } from '../../platform/http.js';
import type { Logger } from '../../platform/logger.js';
import type { TrustedProxies } from '../clientAddress.js';
import type { GatewayContext } from '../context.js';
import type { RequestLimits } from '../requestLimits.js';
import { createSubscriptionExecutor } from './execute.js';
import { createLiveOperations, type DocumentResolver } from './operations.js';
import { createSubscriptionPlanner } from './planner.js';
import type { SubscriptionSettings } from './settings.js';
import { sseTransport } from './sse.js';
import { createUpstream } from './upstream.js';
import { webSocketTransport } from './websocket.js';

type Format = Parameters<typeof createSubscriptionExecutor>[0]['format'];

export interface GatewaySubscriptions extends LiveTransport {
  /** Open WebSockets and SSE streams (for tests and the bench). */
  connections(): number;
}

export function createGatewaySubscriptions(options: {
  supergraphSdl: string;
  settings: SubscriptionSettings;
  tokens: Tokens;
  limits: RequestLimits;
  trustedProxies: TrustedProxies;
  parseOptions: { maxTokens: number };
  validationRules: readonly ValidationRule[];
  apollo: ApolloServer<GatewayContext>;
  /** Persisted documents: ids resolved, and in safelist mode nothing else run. */
  documents: DocumentResolver;
  /** The gateway's data sources (the ones queries use), by subgraph name. */
  services: () => ServiceMap & Record<string, { url: string }>;
  format: Format;
  log: Logger;
}): GatewaySubscriptions {
  const planner = createSubscriptionPlanner(options.supergraphSdl);
  const upstream = createUpstream((subgraph) => {
    const source = options.services()[subgraph];
    if (!source) throw new Error(`No subgraph named ${subgraph}`);
    return source.url;
  });
  const executor = createSubscriptionExecutor({ planner, upstream, services: options.services, format: options.format, log: options.log });
  const operations = createLiveOperations({ ...options, planner, executor });
  const format = options.format as never;
  const webSocket = webSocketTransport({ operations, settings: options.settings, format, log: options.log });
  const sse = sseTransport({ operations, format });
  return {
    upgrade: webSocket.upgrade,
    stream: sse.stream,
    connections: () => webSocket.connections() + sse.streams(),
    async close() {
      await Promise.all([webSocket.close(), sse.close()]);
      await upstream.close();
    },
  };
}
