// An Apollo Server plugin: one log line per GraphQL request (operation, duration,
// outcome, error codes, request id) and the matching request and error metrics.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export function requestLogPlugin<TContext extends BaseContext>(log: Logger, metrics: Metrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, errors, response }) {
          const seconds = (performance.now() - started) / 1000;
          const codes = (errors ?? []).map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          const operation = operationName ?? request.operationName ?? 'anonymous';
          const outcome = codes.length > 0 ? 'error' : 'ok';
          metrics.requests.observe({ operation, outcome }, seconds);
          for (const code of codes) metrics.errors.inc({ code });
          log.info(
            {
              requestId: (contextValue as { requestId?: string }).requestId ?? request.http?.headers.get('x-request-id'),
              operation,
              durationMs: Math.round(seconds * 10_000) / 10,
              outcome,
              ...(codes.length > 0 ? { codes } : {}),
              status: response.http.status ?? 200,
            },
            'graphql request',
          );
        },
      };
    },
  };
}
