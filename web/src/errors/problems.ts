// What went wrong, in the terms a page acts on: one `Problem` per error the gateway sent,
// read from `extensions.code` (the contract's codes, README "Errors"), never from messages.
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import type { GraphQLFormattedError } from 'graphql';

export type Problem =
  /** The token was refused (expired, revoked) or a sign-in failed: log in (again). */
  | { kind: 'unauthenticated'; message: string }
  /** Too many requests: try again after `retryAfterSeconds`. */
  | { kind: 'rate-limited'; retryAfterSeconds: number; message: string }
  /** A part of the shop (`subgraph`) is unreachable: show what arrived, say what is missing. */
  | { kind: 'unavailable'; subgraph: string | null; message: string }
  /** Not enough stock for a line of an order. */
  | { kind: 'out-of-stock'; productId: string; available: number; requested: number; message: string }
  /** The server could not know whether a mutation happened: retry it as it was (same idempotency key). */
  | { kind: 'outcome-unknown'; message: string }
  /** The request never got an answer (offline, connection cut): a retry may work. */
  | { kind: 'network'; message: string }
  /** A deliberate refusal with its own message (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, CONFLICT, LIMIT_EXCEEDED…). */
  | { kind: 'refused'; code: string; field: string | null; message: string }
  /** Anything else: a bug somewhere; the message is all there is. */
  | { kind: 'unexpected'; message: string };

const SUBGRAPH_NAMES: Record<string, string> = {
  inventory: 'stock and products',
  orders: 'orders',
  users: 'accounts',
  notifications: 'notifications',
};

/** Every problem in an error from Apollo Client (or a fetch), most actionable first. */
export function problemsOf(error: unknown): Problem[] {
  if (!error) return [];
  if (CombinedGraphQLErrors.is(error)) return sortProblems(error.errors.map(fromGraphQLError));
  if (ServerError.is(error)) {
    // A body in GraphQL's shape (the gateway's own 4xx answers) says more than the status.
    const errors = graphQLErrorsIn(error.bodyText);
    if (errors) return sortProblems(errors.map(fromGraphQLError));
    if (error.statusCode === 429) return [rateLimited(Number(error.response.headers.get('retry-after')) || 60)];
    return [{ kind: 'unexpected', message: `The shop answered with an error (HTTP ${error.statusCode}).` }];
  }
  if (error instanceof TypeError || (error instanceof Error && error.name === 'AbortError')) {
    return [{ kind: 'network', message: 'The shop could not be reached. Check your connection.' }];
  }
  return [{ kind: 'unexpected', message: error instanceof Error ? error.message : String(error) }];
}

/** The one problem a page should act on first, if any. */
export function mainProblem(error: unknown): Problem | undefined {
  return problemsOf(error)[0];
}

/** The subgraphs an answer came back without (partial data), for "… unavailable" notices. */
export function unavailableParts(error: unknown): string[] {
  const names = problemsOf(error).flatMap((problem) => (problem.kind === 'unavailable' && problem.subgraph ? [problem.subgraph] : []));
  return [...new Set(names)];
}

export function describeSubgraph(subgraph: string | null): string {
  return (subgraph && SUBGRAPH_NAMES[subgraph]) ?? 'part of the shop';
}

function fromGraphQLError(error: GraphQLFormattedError): Problem {
  const extensions = error.extensions ?? {};
  const code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
  // A placeOrder whose result the server could not know: whatever the code, retry as it was.
  if (extensions.outcome === 'unknown') {
    return { kind: 'outcome-unknown', message: 'We could not confirm your order. Trying again is safe: it will not be placed twice.' };
  }
  switch (code) {
    case 'UNAUTHENTICATED':
      return { kind: 'unauthenticated', message: error.message };
    case 'RATE_LIMITED':
      return rateLimited(Number(extensions.retryAfterSeconds) || 60);
    case 'SUBGRAPH_UNAVAILABLE': {
      const subgraph = typeof extensions.subgraph === 'string' ? extensions.subgraph : null;
      return { kind: 'unavailable', subgraph, message: `The ${describeSubgraph(subgraph)} service is unavailable right now.` };
    }
    case 'OUT_OF_STOCK':
      return {
        kind: 'out-of-stock',
        productId: String(extensions.productId ?? ''),
        available: Number(extensions.available ?? 0),
        requested: Number(extensions.requested ?? 0),
        message: error.message,
      };
    case 'INTERNAL_SERVER_ERROR':
      return { kind: 'unexpected', message: 'Something went wrong on our side. Please try again.' };
    default:
      return { kind: 'refused', code, field: typeof extensions.field === 'string' ? extensions.field : null, message: error.message };
  }
}

function rateLimited(retryAfterSeconds: number): Problem {
  return { kind: 'rate-limited', retryAfterSeconds, message: `Too many requests. You can try again in ${retryAfterSeconds} s.` };
}

function graphQLErrorsIn(body: string): GraphQLFormattedError[] | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    return Array.isArray(parsed.errors) && parsed.errors.length > 0 ? (parsed.errors as GraphQLFormattedError[]) : undefined;
  } catch {
    return undefined;
  }
}

// Private: what a person must do first comes first (log in before waiting out a limit…).
const ORDER: Problem['kind'][] = ['unauthenticated', 'rate-limited', 'outcome-unknown', 'out-of-stock', 'refused', 'unavailable', 'network', 'unexpected'];
function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}
