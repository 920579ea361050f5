// What the gateway refuses before any subgraph works on it: operations too deep, too wide
// or too long, batches, cross-site requests; too many requests per IP and per user (with
// RateLimit-* and Retry-After headers); too many failed sign-ins per IP and per account.
// Real gateways over HTTP in front of real subgraphs; each gateway gets its own limits.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createRateLimitStore } from '../platform/rateLimit.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  // Only the users subgraph reads LOGIN_ATTEMPTS_PER_ACCOUNT; the gateways get their own env.
  stack = await startStack({ demoData: true, env: { LOGIN_ATTEMPTS_PER_ACCOUNT: '3' } });
});
afterAll(() => stack.stop());

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

// As Apollo Client 4 asks (an application/json client gets 200 for a refused document: tests/httpAudit.test.ts).
const ACCEPT = 'application/graphql-response+json, application/json;q=0.9';

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const codesOf = (reply: Reply) => (reply.body.errors ?? []).map((error: any) => error.extensions?.code);
const LOG_IN = 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }';
const logIn = (url: string, email: string, password: string, headers: Record<string, string> = {}) =>
  post(url, { query: LOG_IN, variables: { email, password } }, headers);

describe('query limits', () => {
  /** `levels` nested selections: me { orders { nodes { user { orders { nodes { … } } } } } }. */
  function deepQuery(levels: number): string {
    const steps = ['orders { nodes {', 'user {'];
    let open = '';
    let close = '';
    for (let level = 2; level < levels; level++) {
      const step = steps[level % 2]!;
      open += ` ${step}`;
      close += step.startsWith('orders') ? ' } }' : ' }';
    }
    return `{ me {${open} id${close} } }`;
  }

  it('refuses an operation nested deeper than QUERY_MAX_DEPTH, before asking any subgraph', async () => {
    const before = stack.statements();
    const reply = await post(stack.gatewayUrl, { query: deepQuery(12) });
    expect(reply.status).toBe(400);
    expect(codesOf(reply)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(reply.body.errors[0].message).toMatch(/depth/i);
    expect(stack.statements()).toEqual(before);
  });

  it('accepts the deepest operations a client needs (the canonical query, orders through edges)', async () => {
    const token = await stack.adminToken();
    const query = '{ user(id: "00000000-0000-4000-8000-000000000000") { orders { edges { node { items { product { name } } } } } } }';
    expect(codesOf(await post(stack.gatewayUrl, { query }, { authorization: `Bearer ${token}` }))).toEqual([]);
  });

  it('refuses pages of pages past QUERY_MAX_COST, and accepts the canonical query at 100 orders', async () => {
    const token = await stack.adminToken();
    const canonical = '{ orders(first: 100) { nodes { id status totalCents user { id name email } items { quantity unitPriceCents product { id name stock available } } } } }';
    expect(codesOf(await post(stack.gatewayUrl, { query: canonical }, { authorization: `Bearer ${token}` }))).toEqual([]);
    const pagesOfPages = '{ orders(first: 100) { nodes { user { orders(first: 100) { nodes { items { product { name } } } } } } } }';
    const reply = await post(stack.gatewayUrl, { query: pagesOfPages }, { authorization: `Bearer ${token}` });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].message).toMatch(/cost/i);
  });

  it('refuses more aliases than QUERY_MAX_ALIASES', async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: products(first: 1) { totalCount }`).join(' ')} }`;
    const reply = await post(stack.gatewayUrl, { query });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].message).toMatch(/aliases/i);
  });

  it('refuses an operation of more tokens than QUERY_MAX_TOKENS', async () => {
    const query = `{ products(first: 1) { nodes { ${'id '.repeat(2500)} } } }`;
    const reply = await post(stack.gatewayUrl, { query });
    expect(reply.status).toBe(400);
    expect(codesOf(reply)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(reply.body.errors[0].message).toMatch(/more tha[nt] 2000 tokens/i) // graphql-js spells it "that";
  });

  it('refuses a batch of operations in one request', async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('refuses requests a browser could send cross-site without a preflight (CSRF)', async () => {
    const form = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' });
    expect(form.status).toBe(400);
    expect(await form.text()).toMatch(/Cross-Site Request Forgery/);
    const get = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`);
    expect(get.status).toBe(400);
    // A client that says it is one (any of Apollo's preflight headers) may use GET.
    const allowed = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(allowed.status).toBe(200);
  });

  it('in production: no introspection, no field suggestions, no Sandbox', async () => {
    const production = await stack.addGateway({
      NODE_ENV: 'production',
      JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef',
    });
    const introspection = await post(production.url, { query: '{ __schema { types { name } } }' });
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors[0].message).toMatch(/introspection/i);
    const typo = await post(production.url, { query: '{ product { nam } }' });
    expect(typo.body.errors[0].message).not.toMatch(/did you mean/i);
    const page = await fetch(production.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('embeddable-sandbox');
    // In development the same typo gets help.
    expect((await post(stack.gatewayUrl, { query: '{ products { nodes { nam } } }' })).body.errors[0].message).toMatch(/did you mean/i);
  });
});

describe('rate limits per IP and per user', () => {
  it('answers within the limit with RateLimit headers, then 429 RATE_LIMITED with Retry-After', async () => {
    const { url } = await stack.addGateway({ RATE_LIMIT_PER_IP: '5' });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await post(url, { query: '{ products(first: 1) { totalCount } }' });
      expect(reply.status).toBe(200);
      remaining.push(reply.headers.get('ratelimit-remaining'));
      expect(reply.headers.get('ratelimit-limit')).toBe('5');
      expect(reply.headers.get('ratelimit-policy')).toBe('5;w=60');
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    const before = stack.statements();
    const refused = await post(url, { query: '{ products(first: 1) { totalCount } }' });
    expect(refused.status).toBe(429);
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.errors[0].extensions.retryAfterSeconds).toBe(retryAfter);
    expect(stack.statements()).toEqual(before); // refused before any subgraph was asked
  });

  it('counts each signed-in user on its own, whatever IP they use', async () => {
    const { url } = await stack.addGateway({ RATE_LIMIT_PER_USER: '3' });
    const ada = { authorization: `Bearer ${await stack.logIn('ada@example.com', 'customer-password')}` };
    const alan = { authorization: `Bearer ${await stack.logIn('alan@example.com', 'customer-password')}` };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(url, { query: '{ me { name } }' }, ada)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await post(url, { query: '{ me { name } }' }, alan)).status).toBe(200);
    expect((await post(url, { query: '{ me { name } }' })).status).toBe(200); // anonymous: no user limit
  });

  it('ignores X-Forwarded-For unless it comes from a trusted proxy', async () => {
    const direct = await stack.addGateway({ RATE_LIMIT_PER_IP: '2' });
    const spoofed = [];
    for (let i = 0; i < 3; i++) spoofed.push((await post(direct.url, { query: '{ __typename }' }, { 'x-forwarded-for': `10.0.0.${i}` })).status);
    expect(spoofed).toEqual([200, 200, 429]);

    const behindProxy = await stack.addGateway({ RATE_LIMIT_PER_IP: '2', TRUSTED_PROXIES: '127.0.0.1' });
    const viaProxy = (client: string) => post(behindProxy.url, { query: '{ __typename }' }, { 'x-forwarded-for': `6.6.6.6, ${client}` });
    expect([(await viaProxy('10.0.0.1')).status, (await viaProxy('10.0.0.1')).status, (await viaProxy('10.0.0.1')).status]).toEqual([200, 200, 429]);
    expect((await viaProxy('10.0.0.2')).status).toBe(200); // another client behind the same proxy
  });
});

describe('sign-in throttling', () => {
  it('per IP at the gateway: past LOGIN_FAILURES_PER_IP failures, even a right password waits', async () => {
    const { url } = await stack.addGateway({ LOGIN_FAILURES_PER_IP: '3' });
    // Different accounts each time, so the per-account count (3) is not what stops it.
    for (const email of ['nobody1@example.com', 'nobody2@example.com', 'nobody3@example.com']) {
      expect(codesOf(await logIn(url, email, 'wrong-password'))).toEqual(['UNAUTHENTICATED']);
    }
    const refused = await logIn(url, 'ada@example.com', 'customer-password');
    expect(refused.status).toBe(429);
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other operations from that IP are not affected.
    expect((await post(url, { query: '{ products(first: 1) { totalCount } }' })).status).toBe(200);
  });

  it('refuses several logIn fields in one request (aliases would multiply the guesses)', async () => {
    const { url } = await stack.addGateway({ LOGIN_FAILURES_PER_IP: '3' });
    const query = 'mutation { a: logIn(email: "ada@example.com", password: "guess-one") { token } b: logIn(email: "ada@example.com", password: "guess-two") { token } }';
    const reply = await post(url, { query });
    expect(codesOf(reply)).toEqual(['BAD_USER_INPUT']);
  });

  it('per account in the users subgraph: the 4th attempt in the window is refused, known email or not', async () => {
    const answers = async (email: string, password: string) => codesOf(await logIn(stack.gatewayUrl, email, password));
    for (const email of ['alan@example.com', 'no-such-user@example.com']) {
      for (let i = 0; i < 3; i++) expect(await answers(email, 'wrong-password')).toEqual(['UNAUTHENTICATED']);
      expect(await answers(email, 'customer-password')).toEqual(['RATE_LIMITED']);
    }
    // Another account is untouched, and a success clears its count.
    expect(await answers('grace@example.com', 'wrong-password')).toEqual(['UNAUTHENTICATED']);
    expect(await answers('grace@example.com', 'wrong-password')).toEqual(['UNAUTHENTICATED']);
    expect(await answers('grace@example.com', 'customer-password')).toEqual([]);
    expect(await answers('grace@example.com', 'wrong-password')).toEqual(['UNAUTHENTICATED']);
    expect(await answers('grace@example.com', 'customer-password')).toEqual([]);
  });

  it('a refused sign-in through the gateway carries the subgraph’s message, not its address', async () => {
    const reply = await logIn(stack.gatewayUrl, 'ada@example.com', 'wrong-password');
    expect(reply.body.errors).toHaveLength(1);
    expect(reply.body.errors[0].message).toBe('Invalid email or password.');
    expect(JSON.stringify(reply.body)).not.toMatch(/127\.0\.0\.1|localhost|:\d{4,5}\//);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
(redisUrl ? describe : describe.skip)('limits shared through Redis (TEST_REDIS_URL)', () => {
  it('counts a client across every gateway instance that shares the Redis', async () => {
    const env = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `test-${process.pid}-${Date.now()}`, RATE_LIMIT_PER_IP: '4' };
    const [a, b] = [await stack.addGateway(env), await stack.addGateway(env)];
    const status = async (url: string) => (await post(url, { query: '{ __typename }' })).status;
    expect([await status(a.url), await status(b.url), await status(a.url), await status(b.url)]).toEqual([200, 200, 200, 200]);
    expect([await status(a.url), await status(b.url)]).toEqual([429, 429]);
  });

  it('a store that has waited for its connection counts its very first request in Redis', async () => {
    // Without the wait the first hit fails fast (no offline queue) and lands in the
    // process's own memory: a freshly started instance would let a client past the shared limit.
    const keyPrefix = `test-first-${process.pid}-${Date.now()}`;
    const store = createRateLimitStore({ redisUrl: redisUrl!, keyPrefix });
    const probe = new Redis(redisUrl!);
    try {
      await store.connected();
      await store.limit('ip', 5, 60).hit('198.51.100.7');
      expect(await probe.get(`${keyPrefix}:ip:198.51.100.7`)).toBe('1');
    } finally {
      await store.close();
      probe.disconnect();
    }
  });

  it('when Redis cannot be reached, each instance still limits on its own count', async () => {
    const { url } = await stack.addGateway({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_PER_IP: '2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(url, { query: '{ __typename }' })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
