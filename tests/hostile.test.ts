// Hostile input, generated: a few hundred bad requests (broken HTTP bodies, wrong types,
// impossible values, odd unicode, SQL-looking and huge strings) at the gateway and straight
// at each subgraph, with the services in production mode. Every reply must be a well-formed
// GraphQL error with the status its kind deserves and nothing internal in it; every process
// must still answer /health; and no database may have changed by a single row.
// Deterministic: HOSTILE_SEED picks the sequence (a failure prints it).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { serviceKeysEnv } from './support/serviceKeys.js';
import { startStack, type Stack } from './support/stack.js';
import { snapshotAll } from './support/tables.js';

const SEED = Number(process.env.HOSTILE_SEED ?? 20261122);
const ADMIN_PASSWORD = 'hostile-test-admin-password';
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'hostile-test-jwt-secret-0123456789abcdef',
  ...serviceKeysEnv(),
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD,
  SEED_DEMO_DATA: 'true',
};

let stack: Stack;
let tokens: { admin: string; customer: string };
let known: { productId: string; orderId: string; sku: string };

beforeAll(async () => {
  stack = await startStack({ env: PRODUCTION });
  tokens = { admin: await stack.logIn('admin@example.com', ADMIN_PASSWORD), customer: await stack.logIn('ada@example.com', 'customer-password') };
  const orders = await stack.query('{ orders(first: 1) { nodes { id items { product { id sku } } } } }', {}, { token: tokens.admin });
  const order = orders.data.orders.nodes[0];
  known = { orderId: order.id, productId: order.items[0].product.id, sku: order.items[0].product.sku };
});
afterAll(() => stack?.stop());

/** mulberry32: a small seeded generator, so a failing sequence can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

const ODD_STRINGS = [
  '',
  ' ',
  "' OR 1=1 --",
  '"; DROP TABLE "users"; --',
  'Robert\'); DELETE FROM products; --',
  '\u0000',
  'nul\u0000inside',
  '\ud800', // a lone surrogate
  '\u202egnp.exe', // right-to-left override
  'e\u0301\u0301\u0301\u0301', // stacked combining marks
  '🦄'.repeat(50),
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '__proto__',
  'x'.repeat(100_000),
];
const BAD_IDS = ['', 'not-a-uuid', '123', "' OR '1'='1", '00000000-0000-0000-0000-00000000000g', 'x'.repeat(5000), '\u0000', '🦄'];
const BAD_INTS = [0, -1, -2147483648, 1001, 2147483647, 1_000_000_000];
const NOT_INTS = [1.5, '7', null, true, 1e20, -0.0001, 'NaN', [], {}];

interface Attack {
  kind: string;
  target: 'gateway' | 'users' | 'inventory' | 'orders' | 'notifications';
  /** Raw request, when the attack is in the HTTP layer itself. */
  raw?: { method?: string; contentType?: string | null; body?: string; search?: string };
  operation?: { query: string; variables?: unknown };
  token?: 'admin' | 'customer';
  /** Statuses acceptable for this kind of mistake. */
  statuses: number[];
  /** A read may answer "nothing there" (null data, no error) rather than an error. */
  mayFindNothing?: boolean;
}

function attacks(): Attack[] {
  const { next, pick } = generator(SEED);
  const targets = ['gateway', 'users', 'inventory', 'orders', 'notifications'] as const;
  const list: Attack[] = [];
  const add = (count: number, make: () => Omit<Attack, 'target'> & { target?: Attack['target'] }) => {
    for (let i = 0; i < count; i++) {
      const attack = make();
      list.push({ target: pick(targets), ...attack });
    }
  };
  // Broken HTTP: every process answers these in its HTTP layer or in Apollo Server's.
  add(12, () => ({ kind: 'malformed JSON', raw: { body: pick(['{', '{"query": ', '{"query": "{ __typename }"', 'nul', '{"a":1}}', '\u0000{}']) }, statuses: [400] }));
  add(12, () => ({ kind: 'JSON that is not an operation', raw: { body: JSON.stringify(pick([[], 42, 'query', null, { query: 42 }, { query: null }, { variables: {} }, { query: '{ __typename }', variables: 'x' }, { query: '{ __typename }', variables: [1] }])) }, statuses: [400] }));
  add(8, () => ({ kind: 'a batch', raw: { body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]) }, statuses: [400] }));
  add(8, () => ({ kind: 'wrong content type', raw: { contentType: pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null]), body: '{"query":"{ __typename }"}' }, statuses: [400, 415] }));
  add(6, () => ({ kind: 'mutation over GET', raw: { method: 'GET', contentType: null, search: `?query=${encodeURIComponent('mutation { cancelOrder(id: "x") { id } }')}` }, statuses: [400, 405] }));
  add(4, () => ({ kind: 'body over 1 MiB', raw: { body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(1_100_000)}` }) }, statuses: [413] }));
  add(10, () => ({ kind: 'not GraphQL', operation: { query: pick(['{', 'mutation {', '{ products { nodes { id }', '"\u0000"', '{ __typename } }', 'query ($x: Int!) { __typename }']) }, statuses: [400] }));
  add(10, () => ({ kind: 'unknown field or wrong argument', operation: { query: pick(['{ nope }', '{ products(first: "x") { totalCount } }', '{ products(bogus: 1) { totalCount } }', 'mutation { placeOrder { id } }']) }, statuses: [400] }));

  // Through the gateway: values the schema cannot hold, and values the rules refuse.
  const gateway = { target: 'gateway' as const };
  add(25, () => ({
    ...gateway,
    kind: 'placeOrder with impossible lines',
    token: 'customer',
    operation: {
      query: 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      variables: {
        input: pick([
          { items: [] },
          { items: [{ productId: pick(BAD_IDS), quantity: 1 }] },
          { items: [{ productId: known.productId, quantity: pick(BAD_INTS) }] },
          { items: [{ productId: known.productId, quantity: pick(NOT_INTS) }] },
          { items: [{ productId: '7d5ba4b5-1c53-4b42-9d2f-000000000000', quantity: 1 }] },
          { items: Array.from({ length: 51 }, () => ({ productId: known.productId, quantity: 1 })) },
          { items: [{ productId: known.productId, quantity: 1 }], idempotencyKey: 'k'.repeat(201) },
          JSON.parse(`{ "items": [{ "productId": "${known.productId}", "quantity": 1, "__proto__": { "quantity": 5 } }], "constructor": { "prototype": { "admin": true } } }`),
          { items: 'everything' },
          null,
        ]),
      },
    },
    statuses: [200, 400],
  }));
  add(25, () => ({
    ...gateway,
    kind: 'signUp with an invalid field',
    operation: {
      query: 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }',
      variables: {
        // The password is always out of bounds, so nothing here can create an account.
        input: { email: pick([...ODD_STRINGS, 'no-at-sign', 'a@b', `${'x'.repeat(300)}@example.com`, 'new@example.com']), name: pick(ODD_STRINGS), password: pick(['', 'short', 'p'.repeat(257), '\u0000'.repeat(7)]) },
      },
    },
    statuses: [200, 400],
  }));
  add(20, () => ({
    ...gateway,
    kind: 'logIn with garbage',
    operation: { query: 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', variables: { e: pick([...ODD_STRINGS, 'admin@example.com']), p: pick(ODD_STRINGS) } },
    statuses: [200, 400],
  }));
  add(30, () => ({
    ...gateway,
    kind: 'admin product mutations with invalid values',
    token: 'admin',
    operation: pick([
      { query: 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', variables: { i: { sku: pick([...ODD_STRINGS, known.sku]), name: pick(ODD_STRINGS), priceCents: pick([...BAD_INTS.filter((n) => n <= 0), ...NOT_INTS]), stock: 1 } } },
      { query: 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', variables: { i: { sku: known.sku, name: 'Duplicate', priceCents: 100, stock: 1 } } },
      { query: 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', variables: { i: { sku: 'VALID-SKU-1', name: 'x', priceCents: 100, stock: pick([-1, -2147483648, ...NOT_INTS]) } } },
      { query: 'mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }', variables: { id: pick(BAD_IDS), i: { name: 'x' } } },
      { query: 'mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { id } }', variables: { id: known.productId, i: pick([{ priceCents: -1 }, { name: '' }, { sku: "' OR 1=1 --" }, { priceCents: 1.5 }]) } },
      { query: 'mutation($id: ID!, $q: Int!) { restock(productId: $id, quantity: $q) { id } }', variables: { id: pick([...BAD_IDS, known.productId]), q: pick([0, -5, -2147483648, ...NOT_INTS]) } },
      { query: 'mutation($id: ID!) { deleteProduct(id: $id) }', variables: { id: pick(BAD_IDS) } },
    ]),
    statuses: [200, 400],
  }));
  add(20, () => ({
    ...gateway,
    kind: 'order transitions on ids that are not orders',
    token: pick(['admin', 'customer'] as const),
    operation: { query: `mutation($id: ID!) { ${pick(['cancelOrder', 'completeOrder'])}(id: $id) { id } }`, variables: { id: pick([...BAD_IDS, '7d5ba4b5-1c53-4b42-9d2f-000000000000']) } },
    statuses: [200, 400],
  }));
  add(20, () => ({
    ...gateway,
    kind: 'reads with odd arguments',
    mayFindNothing: true,
    token: pick(['admin', 'customer'] as const),
    operation: pick([
      { query: 'query($f: Int, $s: String) { products(first: $f, search: $s) { totalCount } }', variables: { f: pick([-1, 101, 2147483647, ...NOT_INTS.filter((value) => value !== null)]), s: pick(ODD_STRINGS) } }, // null is the default
      { query: 'query($a: String) { products(after: $a) { totalCount } }', variables: { a: pick(ODD_STRINGS.filter(Boolean)) } },
      { query: 'query($a: String) { orders(after: $a) { totalCount } }', variables: { a: pick([...ODD_STRINGS.filter(Boolean), 'eyJhIjoxfQ']) } },
      { query: 'query($id: ID!) { user(id: $id) { email } }', variables: { id: pick(BAD_IDS.filter(Boolean)) } },
    ]),
    statuses: [200, 400],
  }));

  // Straight at a subgraph: the entity resolver fed garbage.
  add(20, () => ({
    target: pick(['users', 'inventory', 'orders', 'notifications'] as const),
    kind: '_entities with garbage representations',
    mayFindNothing: true,
    token: 'customer',
    operation: {
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
      variables: { r: pick([[{}], [{ __typename: 'Nope', id: '1' }], [{ __typename: 'User' }], [{ __typename: 'Product', id: pick(BAD_IDS) }], [null], 'x', [{ __typename: 'Order', id: { $gt: '' } }]]) },
    },
    statuses: [200, 400],
  }));
  return list.map((attack) => ({ ...attack, kind: `${attack.kind} (draw ${next().toFixed(3)})` }));
}

const CLIENT_CODES = new Set(['BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'OUT_OF_STOCK']);
// What must never reach a client in production: stacks, files, SQL engine words, hosts.
const LEAKS = [/\bat .+\.(js|ts):\d+/, /node_modules/, /\bprisma\b/i, /\bP\d{4}\b/, /\bpg\b|postgres/i, /127\.0\.0\.1|localhost/, /\/work\/|\/tmp\//];

async function send(attack: Attack): Promise<{ status: number; text: string }> {
  const url = attack.target === 'gateway' ? stack.gatewayUrl : stack.subgraphUrls[attack.target];
  const raw = attack.raw ?? { body: JSON.stringify(attack.operation) };
  const headers: Record<string, string> = {};
  const contentType = raw.contentType === undefined ? 'application/json' : raw.contentType;
  if (contentType) headers['content-type'] = contentType;
  if (attack.token) headers.authorization = `Bearer ${tokens[attack.token]}`;
  const response = await fetch(url + (raw.search ?? ''), { method: raw.method ?? 'POST', headers, body: raw.method === 'GET' ? undefined : raw.body });
  return { status: response.status, text: await response.text() };
}

function problemsWith(attack: Attack, reply: { status: number; text: string }): string[] {
  const problems: string[] = [];
  if (!attack.statuses.includes(reply.status)) problems.push(`status ${reply.status}, expected ${attack.statuses.join(' or ')}`);
  let body: any;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return [...problems, `not JSON: ${reply.text.slice(0, 120)}`];
  }
  if (!Array.isArray(body?.errors) || body.errors.length === 0) {
    // "Nothing there" is a fair answer to a read: every field it returned must be empty
    // (null, or an entity stub that says only its type, as for a reference it cannot resolve).
    const empty = (value: unknown): boolean =>
      value === null || (Array.isArray(value) && value.every(empty)) || (typeof value === 'object' && Object.keys(value!).join() === '__typename');
    if (attack.mayFindNothing && body?.data && Object.values(body.data).every(empty)) return problems;
    return [...problems, `no errors: ${reply.text.slice(0, 200)}`];
  }
  for (const error of body.errors) {
    if (typeof error.message !== 'string') problems.push('an error without a message');
    if (!CLIENT_CODES.has(error.extensions?.code)) problems.push(`code ${error.extensions?.code}: ${String(error.message).slice(0, 160)}`);
    if (error.extensions?.stacktrace) problems.push('a stack trace');
  }
  const leak = LEAKS.find((pattern) => pattern.test(reply.text));
  if (leak) problems.push(`leaks ${leak}: ${reply.text.slice(0, 200)}`);
  return problems;
}

const snapshots = () => snapshotAll([stack.users, stack.inventory, stack.orders, stack.notifications]);

it(`answers a few hundred generated bad requests with well-formed errors, stays up, and changes nothing (seed ${SEED})`, async () => {
  const before = await snapshots();
  const list = attacks();
  const problems: string[] = [];
  const byTarget: Record<string, number> = {};
  // A few at a time, as clients would send them.
  for (let i = 0; i < list.length; i += 8) {
    await Promise.all(
      list.slice(i, i + 8).map(async (attack) => {
        byTarget[attack.target] = (byTarget[attack.target] ?? 0) + 1;
        const found = problemsWith(attack, await send(attack));
        if (found.length > 0) problems.push(`[seed ${SEED} #${list.indexOf(attack)}] ${attack.kind} → ${attack.target}: ${found.join('; ')}`);
      }),
    );
  }
  expect(problems).toEqual([]);
  expect(list.length).toBeGreaterThan(200);
  expect(Object.keys(byTarget).sort()).toEqual(['gateway', 'inventory', 'notifications', 'orders', 'users']);

  for (const url of [stack.gatewayUrl, ...Object.values(stack.subgraphUrls)]) {
    expect((await fetch(new URL('/health', url))).status).toBe(200);
  }
  expect(await snapshots()).toEqual(before);
}, 120_000);
