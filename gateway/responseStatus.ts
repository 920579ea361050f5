// The HTTP status of a GraphQL request error, as GraphQL over HTTP has it: a client that
// reads `application/json` gets 200 for every well-formed request, the errors in the body
// (the spec's SHOULD: for such a client a status speaks of HTTP, not of GraphQL), while one
// that reads `application/graphql-response+json` gets 4xx for a document that cannot run,
// as Apollo Server answers everyone.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import Negotiator from 'negotiator';
import { ErrorCode } from '../platform/errors.js';

// Apollo Server's media types, in its order of preference (chooseContentTypeForSingleResultResponse).
const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
const JSON_GRAPHQL_CALLBACK = 'application/json; callbackSpec=1.0; charset=utf-8';

/**
 * Errors that refuse a well-formed request's document or variables before it runs. Not
 * OPERATION_RESOLUTION_FAILURE (an operationName naming no operation in the document): it
 * stays 400 for every client, as the README and docs/hostile-clients.md promise, because
 * a client sending names at random is what the gateway's telemetry bounds, and a 4xx is
 * what a proxy or a client counting statuses sees of it.
 */
const REQUEST_ERROR_CODES = new Set<unknown>([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  // Variables the operation cannot take (Apollo Server's status400ForVariableCoercionErrors).
  ErrorCode.BadUserInput,
  ErrorCode.PersistedQueryNotInList,
]);

/** Whether Apollo Server answers a request with this Accept header as `application/json`. */
export function answersAsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  const preferred = new Negotiator({ headers: { accept } }).mediaType([APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, JSON_GRAPHQL_CALLBACK]);
  return preferred !== GRAPHQL_RESPONSE_JSON;
}

/** The status of a request error for a client with this Accept header. */
export function requestErrorStatus(accept: string | undefined): number {
  return answersAsJson(accept) ? 200 : 400;
}

/**
 * Turns Apollo Server's 400 for a document that does not parse or validate into 200 for
 * `application/json` clients. A request that is not GraphQL over HTTP at all (a batch, a
 * form post, a GET mutation) keeps its 4xx: that is about HTTP.
 */
export function jsonClientStatusPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ request }) {
      return {
        async willSendResponse({ response, errors }) {
          if (response.http.status !== 400 || !errors?.length) return;
          if (!errors.every((error) => REQUEST_ERROR_CODES.has(error.extensions?.code))) return;
          if (answersAsJson(request.http?.headers.get('accept'))) response.http.status = 200;
        },
      };
    },
  };
}
