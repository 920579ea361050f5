// How one service calls another: a circuit breaker per target (a dead target costs
// milliseconds, not a timeout, until a half-open probe finds it back), and retries with
// capped, jittered exponential backoff only where the caller says a call is safe to repeat,
// and only while the request's budget has room for the wait and another attempt.
// Built on cockatiel; timeouts are the fetch's own AbortSignal so a slow answer is a failure.
import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBackoff,
} from 'cockatiel';

import type { Deadline } from './deadline.js';
import type { Metrics } from './metrics.js';

export { BrokenCircuitError };

export interface ResilienceOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  breakerThreshold?: number;
  /** How long the breaker stays open before letting one probe through. @default 5000 */
  halfOpenAfterMs?: number;
  /** Extra attempts for calls marked repeatable. @default 2 */
  retries?: number;
}

/** Where a policy reports its calls and its circuit's state. */
export interface CallObserver {
  target: string;
  metrics: Metrics;
}

/** How one call may be repeated. */
export interface CallOptions {
  /** Whether the call is safe to send again (a query, never a mutation). */
  repeatable: boolean;
  /** The request's deadline: no retry starts whose wait would not leave time for it. */
  deadline?: Deadline;
}

export interface CallPolicy {
  breaker: CircuitBreakerPolicy;
  /** Runs `call` through the breaker, retrying it when repeatable, its failure is worth another try, and the budget allows. */
  execute<T>(call: () => Promise<T>, options: CallOptions): Promise<T>;
}

export interface FailureRules {
  /** The target is unavailable (counts against the circuit). */
  isFailure(error: unknown): boolean;
  /** Of those, the ones another attempt may cure. @default isFailure */
  isRetryable?(error: unknown): boolean;
}

export function createCallPolicy(rules: FailureRules, options: ResilienceOptions = {}, observer?: CallObserver): CallPolicy {
  const { breakerThreshold = 5, halfOpenAfterMs = 5000, retries = 2 } = options;
  const { isFailure, isRetryable = isFailure } = rules;
  const failures = handleWhen((error) => !(error instanceof BrokenCircuitError) && isFailure(error));
  const breaker = circuitBreaker(failures, { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(breakerThreshold) });
  const backoffs = new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 });
  const target = observer?.target ?? 'unknown';
  observer?.metrics.circuitState.set({ target }, 0);
  breaker.onStateChange((state) => observer?.metrics.circuitState.set({ target }, state === CircuitState.Closed ? 0 : 1));

  // Private: times each attempt, so a retried call shows as its attempts.
  async function timed<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await call();
    } catch (error) {
      outcome = isFailure(error) ? 'unavailable' : 'error';
      throw error;
    } finally {
      observer?.metrics.upstreamCalls.observe({ target, outcome }, (performance.now() - started) / 1000);
    }
  }

  // Private: cockatiel's retry policy waits out its backoff whatever the caller's budget,
  // so the loop is ours; the backoff (exponential, decorrelated jitter) and the breaker are cockatiel's.
  async function withRetries<T>(call: () => Promise<T>, deadline: Deadline | undefined): Promise<T> {
    let backoff: IBackoff<unknown> | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await breaker.execute(() => timed(call));
      } catch (error) {
        const worthAnother = !(error instanceof BrokenCircuitError) && isFailure(error) && isRetryable(error);
        if (!worthAnother || attempt > retries) throw error;
        backoff = backoff ? backoff.next(undefined) : backoffs.next();
        if (deadline && backoff.duration >= deadline.workRemainingMs()) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoff!.duration));
      }
    }
  }

  return {
    breaker,
    execute: (call, { repeatable, deadline }) => (repeatable && retries > 0 ? withRetries(call, deadline) : breaker.execute(() => timed(call))),
  };
}
