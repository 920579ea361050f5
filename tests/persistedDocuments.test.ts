// Persisted documents at the gateway: automatic persisted queries for any client, the
// storefront's manifests by id, and the safelist mode (PERSISTED_DOCUMENTS=required) in
// which nothing else runs. Real gateways over HTTP in front of real subgraphs.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readGatewayConfig } from '../gateway/config.js';
import { loadPersistedDocuments } from '../gateway/persistedDocuments.js';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { sseSubscribe, waitForLive, wsConnection } from './support/live.js';
import { startStack, type Stack } from './support/stack.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// As Apollo's manifest generator writes them: the id is the SHA-256 of the body.
const CATALOGUE = 'query Catalogue($first: Int) { products(first: $first) { nodes { id name available __typename } __typename } }';
const ME = 'query Me { me { id name __typename } }';
const STOCK = 'subscription Stock($ids: [ID!]!) { productAvailabilityChanged(ids: $ids) { id available __typename } }';
const apolloManifest = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: sha256(CATALOGUE), name: 'Catalogue', type: 'query', body: CATALOGUE },
    { id: sha256(ME), name: 'Me', type: 'query', body: ME },
    { id: sha256(STOCK), name: 'Stock', type: 'subscription', body: STOCK },
  ],
};
// GraphQL Code Generator's client preset writes { id: body }, its ids of its own choosing.
const TOTAL = 'query Total { products { totalCount } }';
const codegenManifest = { 'total-v1': TOTAL };

let stack: Stack;
let folder: string;
let optional: string;
let required: string;

interface Reply {
  status: number;
  body: any;
}

async function send(url: string, body: Record<string, unknown>, { accept, method = 'POST' }: { accept?: string; method?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...(accept ? { accept } : {}) };
  const response =
    method === 'GET'
      ? await fetch(`${url}?${new URLSearchParams(Object.entries(body).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]))}`, { headers })
      : await fetch(url, { method, headers, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}
const byId = (id: string, variables?: Record<string, unknown>) => ({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
const codesOf = (reply: Reply) => (reply.body.errors ?? []).map((error: any) => error.extensions?.code);

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'persisted-documents-'));
  const apollo = path.join(folder, 'storefront.json');
  const codegen = path.join(folder, 'codegen.json');
  await writeFile(apollo, JSON.stringify(apolloManifest));
  await writeFile(codegen, JSON.stringify(codegenManifest));
  stack = await startStack({ demoData: true });
  optional = (await stack.addGateway({ PERSISTED_DOCUMENTS_MANIFESTS: `${apollo}, ${codegen}` })).url;
  required = (await stack.addGateway({ PERSISTED_DOCUMENTS: 'required', PERSISTED_DOCUMENTS_MANIFESTS: `${apollo},${codegen}` })).url;
}, 180_000); // four databases to create and migrate: a busy machine takes longer than jest's minute
afterAll(async () => {
  await stack?.stop();
  await rm(folder, { recursive: true, force: true });
});

describe('automatic persisted queries (any client, the default mode)', () => {
  it('asks for an unknown hash once, then runs it by hash after the client sent it with its document', async () => {
    const query = '{ products(first: 2) { nodes { sku } } }';
    expect(codesOf(await send(stack.gatewayUrl, byId(sha256(query))))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registered = await send(stack.gatewayUrl, { query, ...byId(sha256(query)) });
    expect(registered.body.data.products.nodes).toHaveLength(2);
    const again = await send(stack.gatewayUrl, byId(sha256(query)));
    expect(again.body).toEqual(registered.body);
  });

  it('refuses a document sent under a hash that is not its own', async () => {
    const reply = await send(stack.gatewayUrl, { query: '{ products { totalCount } }', ...byId(sha256('{ me { id } }')) });
    expect(reply.status).toBe(400);
    expect(reply.body.data).toBeUndefined();
  });
});

describe('manifests, in the default mode', () => {
  it("runs a manifest's operation by its id on the first request, in either manifest format", async () => {
    const catalogue = await send(optional, byId(sha256(CATALOGUE), { first: 3 }));
    expect(catalogue.body.errors).toBeUndefined();
    expect(catalogue.body.data.products.nodes).toHaveLength(3);
    expect(catalogue.body.data.products.nodes[0]).toEqual({ id: expect.any(String), name: expect.any(String), available: expect.any(Number), __typename: 'Product' });
    expect((await send(optional, byId('total-v1'))).body.data.products.totalCount).toBeGreaterThan(3);
  });

  it('still runs free-form documents (Sandbox, curl)', async () => {
    expect((await send(optional, { query: '{ products(first: 1) { nodes { sku } } }' })).body.data.products.nodes).toHaveLength(1);
  });
});

describe('safelist mode (PERSISTED_DOCUMENTS=required)', () => {
  it("runs a manifest's operations, by id or as the same document in full", async () => {
    const token = await stack.logIn('ada@example.com', 'customer-password');
    const me = await fetch(required, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(byId(sha256(ME))),
    }).then((response) => response.json() as Promise<any>);
    expect(me.data.me).toEqual({ id: expect.any(String), name: expect.any(String), __typename: 'User' });
    expect((await send(required, byId(sha256(CATALOGUE), { first: 1 }))).body.data.products.nodes).toHaveLength(1);
    expect((await send(required, byId('total-v1'))).body.data.products.totalCount).toBeGreaterThan(0);
    expect((await send(required, { query: CATALOGUE, variables: { first: 1 } })).body.data.products.nodes).toHaveLength(1);
  });

  it('refuses an unknown id: PERSISTED_QUERY_NOT_FOUND, nothing runs', async () => {
    const reply = await send(required, byId(sha256('{ products { totalCount } }')));
    expect(codesOf(reply)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(reply.body.data).toBeUndefined();
  });

  it('refuses a free-form document, before parsing it: PERSISTED_QUERY_NOT_IN_LIST', async () => {
    for (const query of ['{ products(first: 1) { nodes { sku } } }', '{ __schema { types { name } } }', '{ products {']) {
      const reply = await send(required, { query });
      expect([query, codesOf(reply)]).toEqual([query, ['PERSISTED_QUERY_NOT_IN_LIST']]);
      expect(reply.body.data).toBeUndefined();
      expect(reply.body.errors[0].message).toMatch(/persisted/);
    }
  });

  it('refuses registering a document by its hash, over GET too', async () => {
    const query = '{ products(first: 1) { nodes { sku } } }';
    expect(codesOf(await send(required, { query, ...byId(sha256(query)) }))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(codesOf(await send(required, { query }, { method: 'GET' }))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    // …so the hash is still unknown afterwards.
    expect(codesOf(await send(required, byId(sha256(query))))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('answers the refusal 200 to an application/json client and 400 to an application/graphql-response+json one', async () => {
    const query = '{ products { totalCount } }';
    expect((await send(required, { query }, { accept: 'application/json' })).status).toBe(200);
    expect((await send(required, { query }, { accept: 'application/graphql-response+json' })).status).toBe(400);
  });

  it('counts refusals in graphql_errors_total', async () => {
    const metrics = await fetch(required.replace(/\/graphql$/, '/metrics')).then((response) => response.text());
    const line = metrics.split('\n').find((each) => each.startsWith('graphql_errors_total') && each.includes('PERSISTED_QUERY_NOT_IN_LIST'));
    expect(Number(line?.split(' ').at(-1))).toBeGreaterThanOrEqual(5);
  });
});

describe('safelist mode over WebSocket and SSE', () => {
  const refusal = { error: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_NOT_IN_LIST' }) })] };

  it("runs a manifest's subscription by its id, as Apollo Client's GraphQLWsLink sends it (id and document)", async () => {
    const admin = await stack.logIn(DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD);
    const product = (await stack.query('{ products(first: 1) { nodes { id available } } }')).data.products.nodes[0];
    const connection = wsConnection(required);
    try {
      const watch = connection.subscribe(STOCK, { ids: [product.id] }, byId(sha256(STOCK)).extensions);
      await waitForLive(stack.inventory.metrics.registry, 'productAvailabilityChanged', 1);
      const restocked = await stack.query('mutation($id: ID!) { restock(productId: $id, quantity: 1) { id available } }', { id: product.id }, { token: admin });
      expect(restocked.errors).toBeUndefined();
      const event = await watch.next();
      expect(event.data).toEqual({ productAvailabilityChanged: { id: product.id, available: restocked.data.restock.available, __typename: 'Product' } });
    } finally {
      await connection.dispose();
    }
  });

  it('refuses a free-form subscription or query over WebSocket, and a subscription over SSE: PERSISTED_QUERY_NOT_IN_LIST', async () => {
    const connection = wsConnection(required);
    try {
      const subscription = connection.subscribe('subscription { productAvailabilityChanged(ids: ["x"]) { id } }');
      await expect(subscription.ended).resolves.toMatchObject(refusal);
      // A query over the socket must not get round the safelist the HTTP path keeps.
      const query = connection.subscribe('{ __schema { types { name } } }');
      await expect(query.ended).resolves.toMatchObject(refusal);
      expect(query.pending()).toEqual([]);
    } finally {
      await connection.dispose();
    }
    const overSse = sseSubscribe(required, 'subscription { productAvailabilityChanged(ids: ["x"]) { id } }');
    try {
      const event = await overSse.next();
      expect(event.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    } finally {
      overSse.dispose();
    }
  });
});

describe('configuration', () => {
  it('refuses a mode it does not know, naming the variable', () => {
    expect(() => readGatewayConfig({ PERSISTED_DOCUMENTS: 'strict' })).toThrow(/PERSISTED_DOCUMENTS must be optional or required, got "strict"/);
  });

  it('will not start a safelist without a manifest with operations in it', async () => {
    const missing = readGatewayConfig({ PERSISTED_DOCUMENTS: 'required', PERSISTED_DOCUMENTS_MANIFESTS: path.join(folder, 'nope.json') });
    await expect(loadPersistedDocuments(missing.persistedDocuments)).rejects.toThrow(/PERSISTED_DOCUMENTS_MANIFESTS names .*nope\.json, which cannot be read/);
    const empty = path.join(folder, 'empty.json');
    await writeFile(empty, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [] }));
    const none = readGatewayConfig({ PERSISTED_DOCUMENTS: 'required', PERSISTED_DOCUMENTS_MANIFESTS: empty });
    await expect(loadPersistedDocuments(none.persistedDocuments)).rejects.toThrow(/PERSISTED_DOCUMENTS_MANIFESTS names no manifest with operations/);
  });

  it('refuses a file that is not a manifest', async () => {
    const wrong = path.join(folder, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ operations: [{ id: 1 }] }));
    const config = readGatewayConfig({ PERSISTED_DOCUMENTS_MANIFESTS: wrong });
    await expect(loadPersistedDocuments(config.persistedDocuments)).rejects.toThrow(/neither an Apollo persisted query manifest nor a map of ids to documents/);
  });
});
