// Hostile clients, the sibling of tests/hostile.test.ts: what a determined client does
// beyond single bad requests — operation names by the thousand, emails the size of the
// body limit, bursts of sign-ins and sign-ups, forged forwarding headers — at the gateway
// and straight at the users subgraph, with the services in production mode and the limits
// at their documented defaults. Every reply must be a well-formed GraphQL error (or an
// answer) with a status its kind deserves and nothing internal in it; /metrics must not
// grow; every process must still answer /health; and no table may have changed by a row.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { clientFrom, type Client, type Reply } from './support/clients.js';
import { serviceKeysEnv } from './support/serviceKeys.js';
import { startStack, type Stack } from './support/stack.js';
import { snapshotAll } from './support/tables.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'hostile-clients-jwt-secret-0123456789abc',
  ...serviceKeysEnv(),
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'hostile-clients-admin-password',
  SEED_DEMO_DATA: 'true',
  // The documented defaults (the test settings turn the limits off).
  RATE_LIMIT_PER_IP: '1200',
  RATE_LIMIT_PER_USER: '600',
  LOGIN_FAILURES_PER_IP: '50',
  LOGIN_ATTEMPTS_PER_ACCOUNT: '10',
  SIGNUPS_PER_IP: '20',
  SIGN_IN_CONCURRENCY_PER_IP: '2',
  PASSWORD_HASH_MAX_WAIT_MS: '2000',
  // Scraped below; port 0 picks a free one.
  GATEWAY_METRICS_PORT: '0',
  USERS_METRICS_PORT: '0',
};
const CODES = new Set(['OPERATION_RESOLUTION_FAILURE', 'BAD_USER_INPUT', 'UNAUTHENTICATED', 'RATE_LIMITED', 'CONFLICT']);
const LEAKS = [/\bat .+\.(js|ts):\d+/, /node_modules/, /\bprisma\b/i, /\bP\d{4}\b/, /\bpg\b|postgres/i, /127\.0\.0\.1|localhost/, /\/work\/|\/tmp\//];

let stack: Stack;
let metricsUrls: { gateway: string; users: string };
const clients: Client[] = [];
const client = (address: string) => {
  const made = clientFrom(address);
  clients.push(made);
  return made;
};

beforeAll(async () => {
  stack = await startStack({ env: PRODUCTION });
  metricsUrls = { gateway: stack.metricsUrls.gateway!, users: stack.metricsUrls.users! };
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map((each) => each.close()));
  await stack?.stop();
});

const snapshots = () => snapshotAll([stack.users, stack.inventory, stack.orders, stack.notifications]);
const randomName = () => `N${randomBytes(1000).toString('hex').slice(1)}`;
const LOG_IN = 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }';
const SIGN_UP = 'mutation($i: SignUpInput!) { signUp(input: $i) { token } }';

function problemsWith(kind: string, reply: Reply, statuses: number[]): string[] {
  const problems: string[] = [];
  if (!statuses.includes(reply.status)) problems.push(`status ${reply.status}, expected ${statuses.join(' or ')}`);
  for (const error of reply.body.errors ?? []) {
    if (typeof error.message !== 'string') problems.push('an error without a message');
    if (!CODES.has(error.extensions?.code)) problems.push(`code ${error.extensions?.code}: ${String(error.message).slice(0, 160)}`);
  }
  const text = JSON.stringify(reply.body);
  const leak = LEAKS.find((pattern) => pattern.test(text));
  if (leak) problems.push(`leaks ${leak}: ${text.slice(0, 200)}`);
  return problems.map((problem) => `${kind}: ${problem}`);
}

/**
 * Series of a scrape (name and labels), less Node's own whose labels come and go with the
 * process's life: the GC histogram's kinds as collections happen, and the active handles,
 * requests and resources by type (a ShutdownWrap while a socket closes).
 */
const NODE_RUNTIME_SERIES = /^nodejs_(gc_duration_seconds|active_handles|active_requests|active_resources)\b/;
const seriesOf = (text: string) =>
  text.split('\n').filter((line) => line && !line.startsWith('#') && !NODE_RUNTIME_SERIES.test(line)).map((line) => line.slice(0, line.lastIndexOf(' '))).sort();
const scrape = async (url: string) => (await fetch(url)).text();

it('answers operation names by the thousand, oversized emails, sign-in bursts and forged forwarding headers with well-formed errors, and changes nothing', async () => {
  const before = await snapshots();
  const problems: string[] = [];
  const check = (kind: string, statuses: number[]) => (reply: Reply) => {
    problems.push(...problemsWith(kind, reply, statuses));
    return reply;
  };
  const gatewayUrl = stack.gatewayUrl;
  const usersUrl = stack.subgraphUrls.users;

  // 1. High-cardinality operation names: unknown ones are refused, valid ones are labelled up to a cap.
  const namer = client('127.0.0.40');
  const seriesBefore = { gateway: seriesOf(await scrape(metricsUrls.gateway)), users: seriesOf(await scrape(metricsUrls.users)) };
  for (const url of [gatewayUrl, usersUrl]) {
    // One first, so the series such requests touch exist before the comparison below.
    await namer.post(url, { query: '{ __typename }', operationName: randomName() }).then(check('unknown operation name', [400]));
  }
  const seriesWarm = { gateway: seriesOf(await scrape(metricsUrls.gateway)), users: seriesOf(await scrape(metricsUrls.users)) };
  for (let i = 0; i < 300; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        namer.post(j % 2 ? usersUrl : gatewayUrl, { query: '{ __typename }', operationName: randomName() }).then(check('unknown operation name', [400])),
      ),
    );
  }
  expect(seriesOf(await scrape(metricsUrls.gateway))).toEqual(seriesWarm.gateway);
  expect(seriesOf(await scrape(metricsUrls.users))).toEqual(seriesWarm.users);
  expect(seriesWarm.gateway.length - seriesBefore.gateway.length).toBeLessThan(40); // the `invalid` label's buckets and its error code
  for (let i = 0; i < 150; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => namer.post(gatewayUrl, { query: `query Q${i + j}_${'x'.repeat(40)} { __typename }` }).then(check('many valid operation names', [200]))));
  }
  const labels = new Set([...(await scrape(metricsUrls.gateway)).matchAll(/operation="([^"]*)"/g)].map((match) => match[1]!));
  expect(labels.size).toBeLessThanOrEqual(103);
  expect([...labels].every((label) => label.length <= 64)).toBe(true);

  // 2. Oversized emails, at the gateway and straight at users, in logIn and signUp.
  const mailer = client('127.0.0.41');
  for (const length of [255, 1000, 100_000, 900_000]) {
    const email = `${'e'.repeat(length - 12)}@example.com`;
    for (const url of [gatewayUrl, usersUrl]) {
      await mailer.post(url, { query: LOG_IN, variables: { e: email, p: 'whatever-password' } }).then(check(`logIn with a ${length}-character email`, [200]));
      await mailer.post(url, { query: SIGN_UP, variables: { i: { email, name: 'Big', password: 'long-enough-password' } } }).then(check(`signUp with a ${length}-character email`, [200]));
    }
  }

  // 3. Bursts: wrong passwords from one address, sign-ups of a taken email from another, and
  // logIns straight at the users subgraph (no gateway in front).
  const [guesser, signer, direct] = [client('127.0.0.42'), client('127.0.0.43'), client('127.0.0.44')];
  const burst = await Promise.all([
    ...Array.from({ length: 100 }, () => guesser.post(gatewayUrl, { query: LOG_IN, variables: { e: `guess-${randomUUID()}@example.com`, p: 'wrong-password' } }).then(check('logIn burst', [200, 429]))),
    ...Array.from({ length: 30 }, () => signer.post(gatewayUrl, { query: SIGN_UP, variables: { i: { email: 'ada@example.com', name: 'Ada again', password: 'long-enough-password' } } }).then(check('signUp burst', [200, 429]))),
    ...Array.from({ length: 60 }, () => direct.post(usersUrl, { query: LOG_IN, variables: { e: `direct-${randomUUID()}@example.com`, p: 'wrong-password' } }).then(check('logIn burst at users', [200]))),
  ]);
  const guesses = burst.slice(0, 100).filter((reply) => reply.body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED').length;
  expect(guesses).toBeLessThanOrEqual(50);

  // 4. Forged forwarding headers from a peer that is not a trusted proxy: counted as that peer.
  const { url: proxiedUrl } = await stack.addGateway({ ...PRODUCTION, RATE_LIMIT_PER_IP: '20', TRUSTED_PROXIES: '127.0.0.99, 10.0.0.0/8' });
  const forger = client('127.0.0.45');
  const forgeries = [
    () => ({ 'x-forwarded-for': `${randomUUID().slice(0, 3)}.${Math.floor(Math.random() * 255)}.0.1` }),
    () => ({ 'x-forwarded-for': Array.from({ length: 500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ') }),
    () => ({ 'x-forwarded-for': '10.0.0.1, 127.0.0.99' }),
    () => ({ 'x-forwarded-for': 'unknown, _hidden, ::ffff:999.1.1.1, [::1]:x, 2001:db8::/64, ' + 'x'.repeat(4000) }),
    () => ({ forwarded: 'for=198.51.100.1;proto=https', 'x-real-ip': '198.51.100.2' }),
  ];
  const forged: Reply[] = [];
  for (let i = 0; i < 30; i++) forged.push(await forger.post(proxiedUrl, { query: '{ __typename }' }, forgeries[i % forgeries.length]!()).then(check('forged forwarding header', [200, 429])));
  expect(forged.map((reply) => reply.status)).toEqual([...Array(20).fill(200), ...Array(10).fill(429)]);

  expect(problems).toEqual([]);
  for (const url of [gatewayUrl, proxiedUrl, ...Object.values(stack.subgraphUrls)]) {
    expect((await fetch(new URL('/health', url))).status).toBe(200);
  }
  expect(await snapshots()).toEqual(before);
}, 300_000);
