// One subscription's events between the bus and GraphQL's subscribe(): a bounded queue
// read as an async iterator. It never throws (graphql-ws would treat a throw from the
// source as a broken connection, and the gateway's connection to a subgraph carries many
// subscriptions); it ends instead, with a last item that says why.
import { codedError, ErrorCode, unauthenticated } from './errors.js';

/** Why a subscription's stream ended on the subgraph's side. */
export type LiveEnd = { end: 'expired' } | { end: 'overflow'; limit: number };

export interface LiveQueue<T> extends AsyncIterableIterator<T | LiveEnd> {
  return(): Promise<IteratorResult<T | LiveEnd>>;
  push(item: T): void;
  /** Ends the stream after what is queued, with `reason` as its last item. */
  finish(reason: LiveEnd): void;
}

export const isLiveEnd = (item: unknown): item is LiveEnd => typeof item === 'object' && item !== null && 'end' in item;

/** Events queued for one subscription before it counts as too slow. */
export const DEFAULT_QUEUE_LIMIT = 1000;

export function liveQueue<T>(onClose: () => void, limit = DEFAULT_QUEUE_LIMIT): LiveQueue<T> {
  const items: (T | LiveEnd)[] = [];
  let waiting: ((result: IteratorResult<T | LiveEnd>) => void) | undefined;
  let ending = false;
  let done = false;

  const close = () => {
    if (done) return;
    done = true;
    onClose();
    waiting?.({ value: undefined, done: true });
    waiting = undefined;
  };
  const put = (item: T | LiveEnd) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve({ value: item, done: false });
    } else items.push(item);
  };

  const queue: LiveQueue<T> = {
    push(item) {
      if (done || ending) return;
      if (items.length >= limit) return queue.finish({ end: 'overflow', limit });
      put(item);
    },
    finish(reason) {
      if (done || ending) return;
      ending = true;
      put(reason);
    },
    next() {
      if (items.length > 0) return Promise.resolve({ value: items.shift()!, done: false });
      if (done || ending) {
        close();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      items.length = 0;
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}

/**
 * A Subscription field's `resolve` (`resolve: liveEvent<Product>`): each item is the event
 * itself, or the error that ends the subscription (the queue ended, or the caller's token
 * expired since the subscription began: every event is checked, as every request is).
 */
export function liveEvent<T>(item: T | LiveEnd, _args: unknown, context: { expiresAt?: number }): T {
  if (isLiveEnd(item)) {
    if (item.end === 'expired') throw unauthenticated('The token has expired; sign in again.');
    throw codedError(ErrorCode.SlowConsumer, `More than ${item.limit} events were waiting for this subscription; subscribe again.`);
  }
  if (context.expiresAt !== undefined && Date.now() >= context.expiresAt) throw unauthenticated('The token has expired; sign in again.');
  return item;
}
