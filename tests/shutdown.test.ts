// Graceful shutdown of real processes: on SIGTERM a service stops accepting connections,
// answers every request already in flight (no reset connection), then exits 0; a request
// that cannot finish within SHUTDOWN_GRACE_MS is cut so the process still ends.
import { request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFaultyProxy, type FaultyProxy } from './support/faultyProxy.js';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';

const LOG_IN = JSON.stringify({ query: 'mutation { logIn(email: "admin@example.com", password: "admin-password") { token } }' });

let services: ServiceProcesses;
let proxy: FaultyProxy;

beforeAll(async () => {
  services = await serviceProcesses();
  await services.start('users');
  proxy = await startFaultyProxy(services.url('users'));
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await services?.dispose();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/**
 * A POST whose body is sent in two halves: the server has the request in hand (headers
 * read, handler waiting for the rest) until `finish` is called.
 */
function twoPartRequest(url: string, body: string) {
  let finish!: () => void;
  const reply = new Promise<Reply>((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    const half = Math.floor(body.length / 2);
    outgoing.write(body.slice(0, half));
    finish = () => outgoing.end(body.slice(half));
  });
  return { reply, finish: () => finish() };
}

const post = (url: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (response) => ({
    status: response.status,
    body: (await response.json()) as any,
  }));

const refusesConnections = (url: string) => fetch(url.replace('/graphql', '/health')).then(() => false, () => true);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SIGTERM with requests in flight', () => {
  it('the gateway answers requests still waiting on a slow subgraph, refuses new ones, and exits 0', async () => {
    await services.start('gateway', { USERS_URL: proxy.url });
    proxy.replyDelayMs = 1500;
    const inFlight = Array.from({ length: 5 }, () => post(services.url('gateway'), LOG_IN));
    await sleep(500); // every request has reached the users subgraph; its replies are held
    const exited = services.signal('gateway', 'SIGTERM');
    await sleep(200);
    expect(await refusesConnections(services.url('gateway'))).toBe(true);

    for (const answer of await Promise.all(inFlight)) {
      expect(answer.status).toBe(200);
      expect(answer.body.data.logIn.token).toEqual(expect.any(String));
    }
    expect(await exited).toBe(0);
    proxy.replyDelayMs = 0;
  }, 60_000);

  it('a request that outlives SHUTDOWN_GRACE_MS is cut, and the process still exits 0 soon after', async () => {
    await services.start('gateway', { USERS_URL: proxy.url, SHUTDOWN_GRACE_MS: '500', SUBGRAPH_TIMEOUT_MS: '60000' });
    proxy.blackhole = true;
    const stuck = post(services.url('gateway'), LOG_IN).then(() => 'answered', () => 'cut');
    await sleep(300);
    const started = Date.now();
    const code = await services.signal('gateway', 'SIGTERM');
    const tookMs = Date.now() - started;
    proxy.blackhole = false;
    expect(code).toBe(0);
    expect(await stuck).toBe('cut');
    // Bounded by the grace, not by the 60 s subgraph timeout (generous for a loaded machine).
    expect(tookMs).toBeLessThan(10_000);
  }, 60_000);

  it('a subgraph answers requests it is still reading, with connection: close, refuses new ones, and exits 0', async () => {
    const url = services.url('users');
    const inFlight = Array.from({ length: 5 }, () => twoPartRequest(url, LOG_IN));
    await sleep(300); // the server has every request's headers and waits for the bodies
    const exited = services.signal('users', 'SIGTERM');
    await sleep(300);
    expect(await refusesConnections(url)).toBe(true);

    for (const request of inFlight) request.finish();
    for (const answer of await Promise.all(inFlight.map((request) => request.reply))) {
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close'); // keep-alive clients move on
      expect(answer.body.data.logIn.token).toEqual(expect.any(String));
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
