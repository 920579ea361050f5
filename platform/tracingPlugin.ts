// Names each request's server span (platform/http.ts) for its operation, as the GraphQL
// semantic conventions do ("query OrdersPage"), so a trace list reads as what was asked.
// Added only while tracing is on.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { trace } from '@opentelemetry/api';

export function tracingPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, operationName }) {
          const span = trace.getActiveSpan();
          if (!span || !operation) return;
          span.setAttribute('graphql.operation.type', operation.operation);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
          span.updateName(operationName ? `${operation.operation} ${operationName}` : operation.operation);
        },
      };
    },
  };
}
