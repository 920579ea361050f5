// The error codes clients see in `extensions.code`, and the one place that decides
// what of an unexpected error reaches a client.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  BadUserInput = 'BAD_USER_INPUT',
  OutOfStock = 'OUT_OF_STOCK',
  Conflict = 'CONFLICT',
  /** A per-customer cap (PENDING orders, pending units) would be passed; `limit` and `max` say which and how much. */
  LimitExceeded = 'LIMIT_EXCEEDED',
  /** Too many requests (or failed sign-ins) from this client; `retryAfterSeconds` says when to return. */
  RateLimited = 'RATE_LIMITED',
  /** The gateway could not reach the subgraph that owns part of the answer. */
  SubgraphUnavailable = 'SUBGRAPH_UNAVAILABLE',
  /** The gateway runs only the operations of its persisted query lists (PERSISTED_DOCUMENTS=required). */
  PersistedQueryNotInList = 'PERSISTED_QUERY_NOT_IN_LIST',
  /** A subscription past a limit: too many at once (per connection or user), or events read too slowly. */
  SubscriptionLimit = 'SUBSCRIPTION_LIMIT',
  /** Events came faster than the subscriber read them; the subscription ended. */
  SlowConsumer = 'SLOW_CONSUMER',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
}

/** A deliberate error: its message and extensions are meant for the client. */
export function codedError(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

/**
 * An error that refuses the whole HTTP request before anything runs (a bad token, a rate
 * limit), with the status clients and proxies act on. Errors from resolvers stay HTTP 200,
 * as GraphQL over HTTP has it: the gateway must read a subgraph's refusal as an answer
 * (with its code and message), not as a failed call.
 */
export function refusingRequest(error: GraphQLError, status: number): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status } } });
}

export const unauthenticated = (message = 'You must be signed in to do this.') =>
  codedError(ErrorCode.Unauthenticated, message);
export const forbidden = (message = 'You are not allowed to do this.') =>
  codedError(ErrorCode.Forbidden, message);
export const notFound = (what: string, id: string) =>
  codedError(ErrorCode.NotFound, `${what} ${id} was not found.`, { id });
export const badInput = (message: string, field?: string) =>
  codedError(ErrorCode.BadUserInput, message, field ? { field } : {});
export const conflict = (message: string, details: Record<string, unknown> = {}) =>
  codedError(ErrorCode.Conflict, message, details);

/** Every code a client may see: ours and Apollo Server's own. */
export const CLIENT_CODES: ReadonlySet<string> = new Set<string>([
  ...Object.values(ErrorCode),
  // Apollo Server's own request errors are safe to pass through.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * Apollo Server's `formatError`: errors with a known code pass as they are (minus
 * the stack in production); anything else is a bug or an infrastructure fault
 * (SQL, a socket, a host name) and is masked so nothing internal leaks.
 */
export function createErrorFormatter(options: { production: boolean; onUnexpected?: (error: unknown) => void }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code) && code !== ErrorCode.InternalServerError) {
      if (!options.production) return formatted;
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    options.onUnexpected?.(error);
    if (!options.production) return formatted;
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.InternalServerError },
    };
  };
}
