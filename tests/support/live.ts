// Subscription clients for tests, as a client application would use them: graphql-ws
// (Apollo Client's GraphQLWsLink underneath) and graphql-sse, each collecting what arrives
// so a test can wait for the next event, the end, or the close code.
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import type { FormattedExecutionResult } from 'graphql';
import WebSocket from 'ws';
import { counterValue, waitFor } from './wait.js';
import type { Registry } from 'prom-client';

export interface Subscription<T = any> {
  /** The next event (data and errors), in order; rejects if none comes within `timeoutMs`. */
  next(timeoutMs?: number): Promise<FormattedExecutionResult<T>>;
  /** Resolves once the subscription has ended (completed, or failed with `error`). */
  ended: Promise<{ error?: unknown }>;
  /** Events received and not yet taken with next(). */
  pending(): FormattedExecutionResult<T>[];
  unsubscribe(): void;
}

function collector<T>() {
  const events: FormattedExecutionResult<T>[] = [];
  const waiters: ((event: FormattedExecutionResult<T>) => void)[] = [];
  let end!: (value: { error?: unknown }) => void;
  const ended = new Promise<{ error?: unknown }>((resolve) => (end = resolve));
  return {
    sink: {
      next: (event: FormattedExecutionResult<T>) => {
        const waiter = waiters.shift();
        if (waiter) waiter(event);
        else events.push(event);
      },
      error: (error: unknown) => end({ error }),
      complete: () => end({}),
    },
    ended,
    next(timeoutMs = 20_000) {
      const ready = events.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise<FormattedExecutionResult<T>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((event) => {
          clearTimeout(timer);
          resolve(event);
        });
      });
    },
    pending: () => [...events],
  };
}

export interface WsConnection {
  client: WsClient;
  /** `extensions` as a client sends them (e.g. `persistedQuery`). */
  subscribe<T = any>(query: string | undefined, variables?: Record<string, unknown>, extensions?: Record<string, unknown>): Subscription<T>;
  /** Resolves with the close code and reason when the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** A graphql-ws client on the gateway's /graphql; the token goes in connection_init. */
export function wsConnection(httpUrl: string, options: { token?: string; params?: Record<string, unknown> } = {}): WsConnection {
  let onClosed!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createWsClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: options.params ?? (options.token ? { authorization: `Bearer ${options.token}` } : {}),
    retryAttempts: 0,
    lazy: false,
    // The close is what such a test looks at (closed), not a failure to print.
    onNonLazyError: () => {},
    on: { closed: (event) => onClosed({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
  });
  return {
    client,
    closed,
    subscribe<T>(query: string | undefined, variables?: Record<string, unknown>, extensions?: Record<string, unknown>) {
      const collected = collector<T>();
      const unsubscribe = client.subscribe<T>({ query: query as string, variables, extensions }, collected.sink as never);
      return { next: collected.next, ended: collected.ended, pending: collected.pending, unsubscribe };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** A graphql-sse subscription (distinct connections mode); the token goes in the Authorization header. */
export function sseSubscribe<T = any>(httpUrl: string, query: string | undefined, variables?: Record<string, unknown>, token?: string, extensions?: Record<string, unknown>): Subscription<T> & { dispose(): void } {
  const client = createSseClient({
    url: httpUrl,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  const collected = collector<T>();
  const unsubscribe = client.subscribe<T>({ query: query as string, variables, extensions }, collected.sink as never);
  return { next: collected.next, ended: collected.ended, pending: collected.pending, unsubscribe, dispose: () => client.dispose() };
}

/** Waits until a subgraph holds `count` subscriptions of `field` (so an event published now reaches them). */
export function waitForLive(registry: Registry, field: string, count: number): Promise<void> {
  return waitFor(`${count} ${field} subscriptions at the subgraph`, async () => (await counterValue(registry, 'live_subscriptions', 'field', field)) === count, { everyMs: 20 });
}

/** The same, read from a service process's /metrics. */
export function waitForLiveAt(metricsUrl: string, field: string, count: number): Promise<void> {
  return waitFor(`${count} ${field} subscriptions at ${metricsUrl}`, async () => {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split('\n').find((l) => l.startsWith('live_subscriptions') && l.includes(`field="${field}"`));
    return (line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0) === count;
  }, { everyMs: 50 });
}
