import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';
import { CompositionError, composeSupergraph, readSupergraphConfig } from '../gateway/composition.js';
import { fromRoot } from '../platform/paths.js';

describe('composing supergraph.yaml', () => {
  it('composes the four subgraphs', async () => {
    const subgraphs = await readSupergraphConfig(fromRoot('supergraph.yaml'));
    expect(subgraphs.map((s) => s.name)).toEqual(['users', 'inventory', 'orders', 'notifications']);
    const sdl = await composeSupergraph(subgraphs);
    expect(sdl).toContain('join__graph');
  });

  it('exposes the contract to clients and hides the internal reservation operations', async () => {
    const subgraphs = await readSupergraphConfig(fromRoot('supergraph.yaml'));
    const services = await Promise.all(
      subgraphs.map(async (s) => ({ name: s.name, url: s.routingUrl, typeDefs: parse(await readFile(s.schemaFile, 'utf8')) })),
    );
    const result = composeServices(services);
    expect(result.errors).toBeUndefined();
    const api = printSchema(result.schema!.toAPISchema().toGraphQLJSSchema());
    for (const piece of [
      'me: User',
      'user(id: ID!): User',
      'signUp(input: SignUpInput!): AuthPayload!',
      'logIn(email: String!, password: String!): AuthPayload!',
      'products(first: Int = 20, after: String, search: String): ProductConnection!',
      'createProduct(input: CreateProductInput!): Product!',
      'restock(productId: ID!, quantity: Int!): Product!',
      'deleteProduct(id: ID!): Boolean!',
      'orders(first: Int = 20, after: String, status: OrderStatus, userId: ID): OrderConnection!',
      'placeOrder(input: PlaceOrderInput!): Order!',
      'cancelOrder(id: ID!): Order!',
      'completeOrder(id: ID!): Order!',
      'orders(first: Int = 20, after: String, status: OrderStatus): OrderConnection!',
      'inStock(quantity: Int! = 1): Boolean!',
      'notifications(first: Int = 20, after: String, unreadOnly: Boolean = false): NotificationConnection',
      'markNotificationRead(id: ID!): Notification!',
    ]) {
      expect(api).toContain(piece);
    }
    for (const hidden of ['reserveStock', 'releaseReservation', 'commitReservation', 'ReservationLineInput', 'ReservedLine', 'receiveOrderEvents', 'EventReceipt', 'EventOutcome']) {
      expect(api).not.toContain(hidden);
    }
  });

  it('fails naming the subgraph and the reason when two subgraphs disagree', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'compose-'));
    await writeFile(path.join(dir, 'a.graphql'), 'type Query { thing: Thing } type Thing @key(fields: "id") { id: ID! name: String! }');
    await writeFile(path.join(dir, 'b.graphql'), 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) type Query { other: Int } type Thing @key(fields: "id") { id: ID! name: Int! }');
    await writeFile(
      path.join(dir, 'supergraph.yaml'),
      'subgraphs:\n  alpha:\n    routing_url: http://a\n    schema: { file: ./a.graphql }\n  beta:\n    routing_url: http://b\n    schema: { file: ./b.graphql }\n',
    );
    const error = await composeSupergraph(await readSupergraphConfig(path.join(dir, 'supergraph.yaml'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompositionError);
    expect((error as Error).message).toMatch(/alpha|beta/);
    expect((error as Error).message).toContain('Thing.name');

    // The compose script reports the same and exits non-zero, which stops `npm start`.
    const run = promisify(execFile)(process.execPath, [fromRoot('dist/gateway/compose.js'), path.join(dir, 'supergraph.yaml'), path.join(dir, 'out.graphql')]);
    const failure = await run.catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('Thing.name');
  });

  it('names the subgraph whose schema file does not parse', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'compose-'));
    await writeFile(path.join(dir, 'broken.graphql'), 'type Query { oops');
    await writeFile(path.join(dir, 'supergraph.yaml'), 'subgraphs:\n  broken:\n    routing_url: http://x\n    schema: { file: ./broken.graphql }\n');
    await expect(composeSupergraph(await readSupergraphConfig(path.join(dir, 'supergraph.yaml')))).rejects.toThrow(/subgraph "broken"/);
  });
});
