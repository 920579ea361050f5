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

const SUBGRAPHS = ['users', 'inventory', 'orders', 'notifications'] as const;

/**
 * The real subgraph schemas copied into a fresh directory with one of them broken by
 * `edit`, composed; answers the CompositionError's message and where `needle` (a piece
 * of the broken text) sits in the broken file, as "file:line:column".
 */
async function compositionErrorFor(broken: (typeof SUBGRAPHS)[number], edit: (sdl: string) => string, needle: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'compose-'));
  let config = 'subgraphs:\n';
  const texts: Record<string, string> = {};
  for (const name of SUBGRAPHS) {
    const sdl = await readFile(fromRoot('subgraphs', name, 'schema.graphql'), 'utf8');
    texts[name] = name === broken ? edit(sdl) : sdl;
    await writeFile(path.join(dir, `${name}.graphql`), texts[name]);
    config += `  ${name}:\n    routing_url: http://localhost/${name}\n    schema: { file: ./${name}.graphql }\n`;
  }
  await writeFile(path.join(dir, 'supergraph.yaml'), config);
  const error = await composeSupergraph(await readSupergraphConfig(path.join(dir, 'supergraph.yaml'))).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CompositionError);
  const where = (name: string, piece: string) => {
    const before = texts[name].slice(0, texts[name].indexOf(piece)).split('\n');
    return `${path.join(dir, `${name}.graphql`)}:${before.length}:${before[before.length - 1].length + 1}`;
  };
  return { message: (error as Error).message, at: where(broken, needle), where };
}

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
    await expect(composeSupergraph(await readSupergraphConfig(path.join(dir, 'supergraph.yaml')))).rejects.toThrow(
      /subgraph "broken": Syntax Error: Expected ":", found <EOF>\.\n +in \S*broken\.graphql:1:18$/,
    );
  });
});

describe('a composition error of the real subgraphs', () => {
  it('names the subgraph, the field and where it is in the file, for an unknown type', async () => {
    const { message, at } = await compositionErrorFor('orders', (sdl) => sdl.replace('items: [OrderItem!]!', 'items: [OrderLine!]!'), 'OrderLine!');
    expect(message).toBe(`Composition failed:\n  - subgraph "orders": Unknown type OrderLine [INVALID_GRAPHQL]\n      Order.items in ${at}`);
  });

  it('names both subgraphs and each declaration of a field that only one of them may resolve', async () => {
    const { message, where } = await compositionErrorFor(
      'orders',
      (sdl) => sdl.replace('type Product @key(fields: "id", resolvable: false) {\n  id: ID!\n', 'type Product @key(fields: "id", resolvable: false) {\n  id: ID!\n  name: String!\n'),
      'name: String!',
    );
    expect(message).toContain('  - subgraphs "inventory", "orders": Non-shareable field "Product.name" is resolved from multiple subgraphs');
    expect(message).toContain(`[INVALID_FIELD_SHARING]\n      Product.name in ${where('inventory', 'name: String!')}\n      Product.name in ${where('orders', 'name: String!')}`);
  });

  it('names the subgraph whose public field refers to an internal type, though composition does not', async () => {
    const { message, at } = await compositionErrorFor('inventory', (sdl) => sdl.replace('reserved: Int!', 'reserved: ReservationOutcome!'), 'reserved: ReservationOutcome!');
    expect(message).toContain('  - subgraph "inventory": Type "ReservationOutcome" is @inaccessible but is referenced by "Product.reserved"');
    expect(message).toContain(`\n      Product.reserved in ${at}`);
  });
});
