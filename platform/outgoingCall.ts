// Every HTTP call one service makes to another goes out here: undici's request API on a
// pool whose connects are bounded, and a deadline that holds while a connection is still
// being opened, not only once the request is on the wire.
//
// undici's `signal` is only acted on once a request has a connection: aborted while the
// connect is pending (a host that drops SYNs: no refusal, no reset), the request waits
// for the connect to fail by undici's own timeout (10 s by default) and then reports a
// connect error, not a timeout. The rehearsal (docs/rehearsal.md) saw a 2 s deadline take
// 10 s per attempt, retried as if refused: 32 s. So the call races its own deadline, and
// the pool's connect timeout is bounded too, so a connect left behind ends soon after.
import { Agent, request, type Dispatcher } from 'undici';

export interface CallPoolOptions {
  /** The longest a connect may take; no call's deadline is longer (its budget, or a background call's bound). */
  connectTimeoutMs: number;
  /** Connections kept per origin. @default 64 */
  connections?: number;
  /** How long a kept-alive connection serves before it is replaced (undici's clientTtl). */
  connectionTtlMs?: number;
}

/** A keep-alive pool whose connects give up after `connectTimeoutMs`. */
export function createCallPool({ connectTimeoutMs, connections = 64, connectionTtlMs }: CallPoolOptions): Agent {
  return new Agent({ keepAliveTimeout: 30_000, connections, clientTtl: connectionTtlMs, connect: { timeout: connectTimeoutMs } });
}

export interface BoundedRequest {
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  /** How long to wait for the whole answer, connect and body included. */
  timeoutMs: number;
  dispatcher: Dispatcher;
}

/** One call with its whole answer read: status and body text, or a rejection (isTimeout tells a deadline from a refusal). */
export async function callWithDeadline(url: string, { method, headers, body, timeoutMs, dispatcher }: BoundedRequest): Promise<{ status: number; text: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  let onAbort!: () => void;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  let response: Dispatcher.ResponseData;
  try {
    // undici drops an aborted request when its connection comes (it is never written), so
    // giving up on it here cannot send it later.
    response = await Promise.race([request(url, { method, headers, body, dispatcher, signal }), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  // Once connected, the signal itself aborts a body that is late.
  return { status: response.statusCode, text: await response.body.text() };
}

/** Connection errors that prove the request was never written: nothing can have happened at the callee. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const codeOf = (error: unknown): string => {
  const { code, cause } = (error ?? {}) as { code?: string; cause?: { code?: string } };
  return code ?? cause?.code ?? '';
};

/**
 * The call ran out of time: its deadline struck, or its connect took too long (a host
 * that drops packets). Another attempt would wait as long again, so it is not retried
 * the way a refused connection is.
 */
export function isTimeout(error: unknown): boolean {
  const code = codeOf(error);
  return (error as Error)?.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT';
}

/** The request never left: refused, no such host, no route, or the connect timed out. */
export function neverSent(error: unknown): boolean {
  return NEVER_SENT.has(codeOf(error));
}
