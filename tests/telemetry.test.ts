// Telemetry no client can grow: an operationName that names no operation is the client's
// mistake (400), metric labels come only from bounded sets, and in production /metrics is
// served on a port of its own rather than on the public one. Real gateways and a real
// users subgraph over HTTP; the heap is measured in this process after forced collections.
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { composeSupergraph, readSupergraphConfig } from '../gateway/composition.js';
import { readGatewayConfig } from '../gateway/config.js';
import { createGateway, type Gateway } from '../gateway/server.js';
import { fromRoot } from '../platform/paths.js';
import type { UsersService } from '../subgraphs/users/server.js';
import { freePort } from './support/processes.js';
import { serviceKeysEnv } from './support/serviceKeys.js';
import { bootUsers, TEST_ENV } from './support/services.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'telemetry-test-jwt-secret-0123456789abcd',
  ...serviceKeysEnv(),
  ADMIN_EMAIL: 'ops@example.com',
  ADMIN_PASSWORD: 'telemetry-test-admin-password',
};

let supergraphSdl: string;
const gateways: Gateway[] = [];
let users: UsersService | undefined;

beforeAll(async () => {
  supergraphSdl = await composeSupergraph(await readSupergraphConfig(fromRoot('supergraph.yaml')));
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await users?.stop();
});

/** A gateway alone (the operations here never reach a subgraph), with `env` on the test settings. */
async function startGateway(env: Record<string, string> = {}) {
  const gateway = await createGateway(readGatewayConfig({ ...TEST_ENV, ...env }), { supergraphSdl });
  gateways.push(gateway);
  return gateway.listen(0, '127.0.0.1');
}

async function post(url: string, body: unknown) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

/** Sends `count` requests made by `body(i)`, a few at a time as clients would. */
async function send(url: string, count: number, body: (i: number) => unknown) {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => post(url, body(i + j))));
  }
}

const scrape = async (metricsUrl: string) => (await fetch(metricsUrl)).text();
const operationLabels = (text: string) =>
  new Set([...text.matchAll(/^graphql_request_duration_seconds_count\{[^}]*operation="((?:[^"\\]|\\.)*)"/gm)].map((match) => match[1]!));
const heapMb = () => {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
/** A scrape less Node's garbage-collection histogram, whose series appear per kind of collection as they first happen (four at most). */
const withoutGcSeries = (text: string) => text.split('\n').filter((line) => !line.includes('nodejs_gc_duration_seconds')).join('\n');
/** Every series a scrape holds (name and labels, without the value). */
const seriesOf = (text: string) => text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.slice(0, line.lastIndexOf(' '))).sort();
const randomName = () => `N${randomBytes(1000).toString('hex').slice(1)}`; // 2,000 characters

describe('an operationName that names no operation', () => {
  it('is refused as OPERATION_RESOLUTION_FAILURE with HTTP 400, at the gateway and at a subgraph, without echoing the name whole', async () => {
    const gateway = await startGateway();
    users = await bootUsers();
    const subgraph = await users.listen(0, '127.0.0.1');
    for (const url of [gateway.url, subgraph.url]) {
      const unknown = await post(url, { query: '{ __typename }', operationName: randomName() });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors.map((error: any) => error.extensions.code)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
      expect(unknown.body.errors[0].message.length).toBeLessThan(200);
      const unnamed = await post(url, { query: 'query A { __typename } query B { __typename }' });
      expect(unnamed.status).toBe(400);
      expect(unnamed.body.errors[0].extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
      // The same document with a name it holds runs.
      expect(await post(url, { query: 'query A { __typename } query B { __typename }', operationName: 'B' })).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    }
  });
});

describe('metric labels', () => {
  it('2,000 requests with distinct random operation names leave /metrics the same size and the heap flat', async () => {
    const { url, metricsUrl } = await startGateway();
    const attack = () => ({ query: '{ __typename }', operationName: randomName() });
    await send(url, 200, attack); // every series such requests touch now exists
    const heapBefore = heapMb();
    const before = withoutGcSeries(await scrape(metricsUrl!));
    await send(url, 2000, attack);
    const heapAfter = heapMb();
    const after = withoutGcSeries(await scrape(metricsUrl!));
    console.log(`2,000 random operation names: /metrics ${before.length} → ${after.length} bytes, heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB`);
    // The same series, their counts a digit or two longer.
    expect(seriesOf(after)).toEqual(seriesOf(before));
    expect(after.length - before.length).toBeLessThan(512);
    expect(heapAfter - heapBefore).toBeLessThan(4);
  }, 120_000);

  it('names at most 100 distinct operations of at most 64 characters; the rest are "other", and nothing from a document that failed', async () => {
    const { url, metricsUrl } = await startGateway();
    await send(url, 150, (i) => ({ query: `query Op${i} { __typename }` }));
    await post(url, { query: `query ${'L'.repeat(65)} { __typename }` });
    await post(url, { query: 'query Broken { __typename', operationName: 'Broken' });
    await post(url, { query: 'query Invalid { nope }', operationName: 'Invalid' });
    await post(url, { query: '{ __typename }' });
    const labels = operationLabels(await scrape(metricsUrl!));
    const named = [...labels].filter((label) => /^Op\d+$/.test(label));
    expect(named).toHaveLength(100);
    expect([...labels].filter((label) => !/^Op\d+$/.test(label)).sort()).toEqual(['anonymous', 'invalid', 'other']);
    // A name seen before the cap keeps its own label after it.
    await post(url, { query: 'query Op0 { __typename }' });
    expect(operationLabels(await scrape(metricsUrl!)).has('Op0')).toBe(true);
  });
});

describe('where /metrics is served', () => {
  it('in production, on the metrics port only: not on the public port of the gateway or of a subgraph', async () => {
    const gateway = await startGateway({ ...PRODUCTION, GATEWAY_METRICS_PORT: '0' });
    const subgraphService = await bootUsers({ env: { ...PRODUCTION, USERS_METRICS_PORT: '0' } });
    try {
      const subgraph = await subgraphService.listen(0, '127.0.0.1');
      for (const running of [gateway, subgraph]) {
        expect((await fetch(new URL('/metrics', running.url))).status).toBe(404);
        expect(running.metricsUrl).toBeDefined();
        expect(new URL(running.metricsUrl!).port).not.toBe(String(running.port));
        const scraped = await fetch(running.metricsUrl!);
        expect(scraped.status).toBe(200);
        expect(await scraped.text()).toContain('process_resident_memory_bytes');
        // The metrics port answers nothing else.
        expect((await fetch(new URL('/graphql', running.metricsUrl!), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status).toBe(404);
        expect((await fetch(new URL('/health', running.url))).status).toBe(200);
        expect((await fetch(new URL('/ready', running.url))).status).toBe(200);
      }
    } finally {
      await subgraphService.stop();
    }
  });

  it('in production without a metrics port, nowhere; in development, on the service port unless a metrics port is set', async () => {
    const silent = await startGateway(PRODUCTION);
    expect(silent.metricsUrl).toBeUndefined();
    expect((await fetch(new URL('/metrics', silent.url))).status).toBe(404);
    const development = await startGateway();
    expect(development.metricsUrl).toBe(new URL('/metrics', development.url).href);
    expect((await fetch(development.metricsUrl!)).status).toBe(200);
    const separate = await startGateway({ GATEWAY_METRICS_PORT: '0' });
    expect((await fetch(new URL('/metrics', separate.url))).status).toBe(404);
    expect((await fetch(separate.metricsUrl!)).status).toBe(200);
  });

  it('a metrics port that is taken fails the start, and leaves nothing listening', async () => {
    const holder = await startGateway({ GATEWAY_METRICS_PORT: '0' });
    const gateway = await createGateway(readGatewayConfig({ ...TEST_ENV, GATEWAY_METRICS_PORT: new URL(holder.metricsUrl!).port }), { supergraphSdl });
    const port = await freePort();
    await expect(gateway.listen(port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
