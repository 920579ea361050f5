import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { describe, expect, it } from 'vitest';
import { mainProblem, problemsOf, unavailableParts } from './problems';

const graphQLErrors = (...errors: { message?: string; extensions: Record<string, unknown> }[]) =>
  new CombinedGraphQLErrors({ data: null, errors: errors.map(({ message = 'm', extensions }) => ({ message, extensions })) });

function serverError(status: number, body: string, headers: Record<string, string> = {}) {
  return new ServerError(`Response not successful: Received status code ${status}`, { response: new Response(body, { status, headers }), bodyText: body });
}

describe('errors by extensions.code', () => {
  it('reads OUT_OF_STOCK with what is available', () => {
    expect(mainProblem(graphQLErrors({ message: 'Only 1 left', extensions: { code: 'OUT_OF_STOCK', productId: 'p1', available: 1, requested: 3 } }))).toEqual({
      kind: 'out-of-stock',
      productId: 'p1',
      available: 1,
      requested: 3,
      message: 'Only 1 left',
    });
  });

  it('reads RATE_LIMITED with when to try again', () => {
    expect(mainProblem(graphQLErrors({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 12 } }))).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 12 });
  });

  it('reads SUBGRAPH_UNAVAILABLE with the part that is missing', () => {
    const error = graphQLErrors({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory', reason: 'unreachable' } }, { extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'inventory' } });
    expect(mainProblem(error)).toMatchObject({ kind: 'unavailable', subgraph: 'inventory', message: 'The stock and products service is unavailable right now.' });
    expect(unavailableParts(error)).toEqual(['inventory']);
  });

  it('reads an unknown outcome (extensions.outcome) as "retry with the same key", whatever its code', () => {
    expect(mainProblem(graphQLErrors({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', outcome: 'unknown' } }))?.kind).toBe('outcome-unknown');
  });

  it('passes on the message of a refusal it has no special case for (LIMIT_EXCEEDED, CONFLICT…)', () => {
    expect(mainProblem(graphQLErrors({ message: 'At most 5 pending orders.', extensions: { code: 'LIMIT_EXCEEDED' } }))).toEqual({
      kind: 'refused',
      code: 'LIMIT_EXCEEDED',
      field: null,
      message: 'At most 5 pending orders.',
    });
  });

  it('never shows an internal error message', () => {
    expect(mainProblem(graphQLErrors({ message: 'relation "x" does not exist', extensions: { code: 'INTERNAL_SERVER_ERROR' } }))?.message).not.toContain('relation');
  });

  it('puts what the shopper must do first: log in before waiting out a limit, before a missing part', () => {
    const error = graphQLErrors({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 5 } }, { extensions: { code: 'UNAUTHENTICATED' } });
    expect(problemsOf(error).map((problem) => problem.kind)).toEqual(['unauthenticated', 'rate-limited', 'unavailable']);
  });
});

describe('errors without a GraphQL body', () => {
  it('reads the GraphQL errors of a 4xx answered as application/json (the gateway refusing a request)', () => {
    const body = JSON.stringify({ errors: [{ message: 'Too many requests.', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 30 } }] });
    expect(mainProblem(serverError(429, body))).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 30 });
  });

  it('falls back on Retry-After for a bare 429', () => {
    expect(mainProblem(serverError(429, 'slow down', { 'retry-after': '7' }))).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 7 });
  });

  it('reads a failed fetch as the network', () => {
    expect(mainProblem(new TypeError('Failed to fetch'))?.kind).toBe('network');
  });

  it('has nothing to say about no error', () => {
    expect(problemsOf(undefined)).toEqual([]);
  });
});
