// The GraphQL-over-HTTP details a client notices, at the gateway: graphql-http's audit of
// the spec, and the status of a document that cannot run for each kind of client. A lone
// gateway suffices: every audited request asks only for `__typename`, which the gateway
// answers itself.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditServer, type AuditResult } from 'graphql-http';
import { readGatewayConfig } from '../gateway/config.js';
import { createGateway, type Gateway } from '../gateway/server.js';
import { fromRoot } from '../platform/paths.js';
import { TEST_ENV } from './support/services.js';

let gateway: Gateway;
let url: string;

beforeAll(async () => {
  gateway = await createGateway(readGatewayConfig({ ...TEST_ENV, NODE_ENV: 'development' }), {
    supergraphSdl: await readFile(fromRoot('supergraph.graphql'), 'utf8'),
  });
  url = (await gateway.listen(0, '127.0.0.1')).url;
});
afterAll(() => gateway.stop());

const post = (body: string, accept?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body });

describe("graphql-http's audit of the GraphQL over HTTP spec", () => {
  it('finds no error and no warning in development mode', async () => {
    const results = await auditServer({ url });
    const count = (status: AuditResult['status']) => results.filter((result) => result.status === status).length;
    const failures = await Promise.all(
      results.filter((result) => result.status !== 'ok').map(async (result) => `${result.status} ${result.name}: ${'reason' in result ? result.reason : ''}`),
    );
    // The counts go to the test's output: the README quotes them.
    console.log(`graphql-http audit: ${count('ok')} ok, ${count('warn')} warnings, ${count('notice')} notices, ${count('error')} errors of ${results.length}\n${failures.join('\n')}`);
    expect(failures.filter((line) => line.startsWith('error'))).toEqual([]);
    // And no SHOULD is missed (the notices are MAYs: GETs without a preflight header are CSRF-refused on purpose).
    expect(failures.filter((line) => line.startsWith('warn'))).toEqual([]);
  });
});

describe('a document that cannot run', () => {
  it.each([
    ['does not parse', '{ products {', 'GRAPHQL_PARSE_FAILED'],
    ['does not validate', '{ products { nope } }', 'GRAPHQL_VALIDATION_FAILED'],
  ])('that %s answers 200 with the error to an application/json client', async (_case, query, code) => {
    for (const accept of [undefined, 'application/json', '*/*']) {
      const response = await post(JSON.stringify({ query }), accept);
      expect([accept, response.status, response.headers.get('content-type')]).toEqual([accept, 200, 'application/json; charset=utf-8']);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe(code);
    }
  });

  it('answers 400 to a client that reads application/graphql-response+json, as the spec has it', async () => {
    for (const accept of ['application/graphql-response+json', 'application/graphql-response+json, application/json;q=0.9']) {
      const response = await post(JSON.stringify({ query: '{ products {' }), accept);
      expect([accept, response.status, response.headers.get('content-type')]).toEqual([accept, 400, 'application/graphql-response+json; charset=utf-8']);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    }
  });

  it('keeps 400 for a request that is not GraphQL over HTTP at all (a batch, a body without a query)', async () => {
    expect((await post(JSON.stringify([{ query: '{ __typename }' }]))).status).toBe(400);
    expect((await post(JSON.stringify({ variables: {} }))).status).toBe(400);
  });
});
