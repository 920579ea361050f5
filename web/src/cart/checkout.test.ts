import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { describe, expect, it } from 'vitest';
import { placeOnce } from './checkout';

const graphQLError = (extensions: Record<string, unknown>) => new CombinedGraphQLErrors({ data: null, errors: [{ message: 'refused', extensions }] });
const noWait = async () => {};

/** A fake placeOrder: answers (or throws) from a script, one entry per attempt, and records the keys it got. */
function server(script: (Error | string)[]) {
  const keys: string[] = [];
  return {
    keys,
    send: async (key: string) => {
      keys.push(key);
      const next = script[keys.length - 1];
      if (next === undefined || next instanceof Error) throw next ?? new Error('no more answers');
      return next;
    },
  };
}

describe('placing an order once', () => {
  it('sends again with the same key when an answer is lost, and returns the order', async () => {
    const fake = server([new TypeError('Failed to fetch'), 'order-1']);
    await expect(placeOnce({ send: fake.send, idempotencyKey: 'k1', sleep: noWait })).resolves.toBe('order-1');
    expect(fake.keys).toEqual(['k1', 'k1']);
  });

  it('sends again when the server could not know the outcome (extensions.outcome "unknown") or a part was unavailable', async () => {
    const fake = server([graphQLError({ code: 'SUBGRAPH_UNAVAILABLE', outcome: 'unknown' }), graphQLError({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'orders' }), 'order-1']);
    const retries: number[] = [];
    await expect(placeOnce({ send: fake.send, idempotencyKey: 'k1', sleep: noWait, onRetry: (attempt) => retries.push(attempt) })).resolves.toBe('order-1');
    expect(fake.keys).toEqual(['k1', 'k1', 'k1']);
    expect(retries).toEqual([1, 2]);
  });

  it.each([
    ['OUT_OF_STOCK', { code: 'OUT_OF_STOCK', productId: 'p', available: 0, requested: 1 }],
    ['LIMIT_EXCEEDED', { code: 'LIMIT_EXCEEDED' }],
    ['UNAUTHENTICATED', { code: 'UNAUTHENTICATED' }],
    ['RATE_LIMITED', { code: 'RATE_LIMITED', retryAfterSeconds: 30 }],
  ])('does not retry a definite refusal: %s', async (_code, extensions) => {
    const fake = server([graphQLError(extensions), 'order-1']);
    await expect(placeOnce({ send: fake.send, idempotencyKey: 'k1', sleep: noWait })).rejects.toBeInstanceOf(CombinedGraphQLErrors);
    expect(fake.keys).toEqual(['k1']);
  });

  it('gives up after its retries, waiting longer before each, with the last error', async () => {
    const lost = new TypeError('Failed to fetch');
    const fake = server([lost, lost, lost, 'too late']);
    const waits: number[] = [];
    await expect(placeOnce({ send: fake.send, idempotencyKey: 'k1', delaysMs: [100, 300], sleep: async (ms) => void waits.push(ms) })).rejects.toBe(lost);
    expect(fake.keys).toEqual(['k1', 'k1', 'k1']);
    expect(waits).toEqual([100, 300]);
  });
});
