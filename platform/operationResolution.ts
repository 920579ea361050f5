// Refuses a request whose document holds no operation to run (an operationName that names
// none of its operations, or several operations and no name) as the client's mistake it
// is: OPERATION_RESOLUTION_FAILURE, HTTP 400, before anything runs. Apollo Server answers
// it so on its own only where it executes the schema itself; behind the gateway's executor
// the same request surfaced as an internal error with HTTP 500.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import { MAX_OPERATION_NAME } from './requestLog.js';

export function operationResolutionPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const name = request.operationName;
          // The name is the client's own text, up to the body limit: it is not echoed whole.
          const shown = name && name.length > MAX_OPERATION_NAME ? `${name.slice(0, MAX_OPERATION_NAME)}…` : name;
          const message = name === undefined || name === null ? 'The document holds several operations: say which to run in operationName.' : `The document has no operation named "${shown}".`;
          throw new GraphQLError(message, { extensions: { code: ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE, http: { status: 400 } } });
        },
      };
    },
  };
}
