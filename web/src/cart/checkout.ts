// Placing the cart's order so that it happens once: every attempt carries the checkout's
// idempotency key, and an attempt whose answer was lost (no answer, a cut connection, a
// server that could not know the outcome) is sent again as it was, a few times, before the
// shopper is asked. A definite refusal (out of stock, a limit, signed out) is not retried.
import { problemsOf, type Problem } from '../errors/problems';

/** Waits before the 2nd and 3rd attempts: short, since the shopper is watching. */
export const RETRY_DELAYS_MS = [1000, 3000];

const RETRYABLE: Problem['kind'][] = ['network', 'outcome-unknown', 'unavailable'];

export interface CheckoutOptions<T> {
  /** Sends placeOrder with this idempotency key; throws what Apollo Client throws. */
  send: (idempotencyKey: string) => Promise<T>;
  idempotencyKey: string;
  delaysMs?: number[];
  sleep?: (ms: number) => Promise<void>;
  /** Told before each retry (to say "still trying…"). */
  onRetry?: (attempt: number, problem: Problem) => void;
}

/** Resolves with the order, or rejects with the last error once retrying cannot help. */
export async function placeOnce<T>({ send, idempotencyKey, delaysMs = RETRY_DELAYS_MS, sleep = wait, onRetry }: CheckoutOptions<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(idempotencyKey);
    } catch (error) {
      const [problem] = problemsOf(error);
      if (!problem || !RETRYABLE.includes(problem.kind) || attempt >= delaysMs.length) throw error;
      onRetry?.(attempt + 1, problem);
      await sleep(delaysMs[attempt]!);
    }
  }
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A new idempotency key for a checkout. */
export function newCheckoutKey(): string {
  return `checkout-${crypto.randomUUID()}`;
}
