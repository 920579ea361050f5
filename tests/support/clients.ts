// HTTP clients for tests that need several client addresses on one machine: Linux routes
// all of 127.0.0.0/8 to loopback, so a connection bound to 127.0.0.2 reaches a server on
// 127.0.0.1 from another address, as another client's would.
import { Agent, request } from 'undici';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** Milliseconds from sending to the whole answer. */
  ms: number;
}

export interface Client {
  post(url: string, body: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

/** A client whose connections come from `localAddress` (127.0.0.x). */
export function clientFrom(localAddress: string): Client {
  const dispatcher = new Agent({ localAddress });
  return {
    async post(url, body, headers = {}) {
      const started = performance.now();
      // The address family must match the bound source: no "localhost" that may mean ::1.
      const target = url.replace('//localhost:', '//127.0.0.1:');
      const response = await request(target, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body: JSON.parse(text), ms: performance.now() - started };
    },
    close: () => dispatcher.close(),
  };
}

/** The codes of an answer's errors. */
export const codesOf = (reply: { body: any }): string[] => (reply.body.errors ?? []).map((error: any) => error.extensions?.code);
