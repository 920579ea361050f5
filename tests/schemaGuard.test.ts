// The guard on the public schema: api.graphql is the committed record of what clients
// see, and the subgraphs must compose to exactly that file. When they do not, the test
// names every change and whether it breaks clients (GraphQL Inspector's verdict), so a
// breaking change can only land with its record updated in the same change, in review.
//
// Every difference fails, safe ones included: the record is what clients and reviewers
// read, and a record behind the API would let a later removal of an unrecorded field go
// unnoticed. Updating it is one command, `npm run compose`.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';
import { compose, readSupergraphConfig } from '../gateway/composition.js';
import { fromRoot } from '../platform/paths.js';

const LEVEL_WORDS: Record<CriticalityLevel, string> = {
  [CriticalityLevel.Breaking]: 'breaking',
  [CriticalityLevel.Dangerous]: 'dangerous',
  [CriticalityLevel.NonBreaking]: 'safe',
};
const LEVEL_ORDER = [CriticalityLevel.Breaking, CriticalityLevel.Dangerous, CriticalityLevel.NonBreaking];

/**
 * Null when `current` is the committed record, or else what to tell the developer: each
 * change with its level and schema coordinate, breaking ones first.
 */
async function verdict(committed: string, current: string): Promise<string | null> {
  if (committed === current) return null;
  const changes = await diff(buildSchema(committed), buildSchema(current));
  changes.sort((a, b) => LEVEL_ORDER.indexOf(a.criticality.level) - LEVEL_ORDER.indexOf(b.criticality.level));
  const count = (level: CriticalityLevel) => changes.filter((change) => change.criticality.level === level).length;
  const tally = LEVEL_ORDER.filter((level) => count(level) > 0).map((level) => `${count(level)} ${LEVEL_WORDS[level]}`);
  const lines = changes.map((change) => `  ${LEVEL_WORDS[change.criticality.level].padEnd(9)} ${change.path ?? ''}: ${change.message}`);
  return [
    changes.length === 0
      ? 'api.graphql is not what `npm run compose` writes, though the schema is the same (its layout or header differ).'
      : `The public API schema is not the committed api.graphql (${tally.join(', ')}):`,
    ...lines,
    ...(count(CriticalityLevel.Breaking) > 0
      ? ['A breaking change fails queries that clients already send; add a field beside the old one and deprecate it instead, if you can.']
      : []),
    'If the change is meant, run `npm run compose`, which rewrites api.graphql, and commit api.graphql with the change.',
  ].join('\n');
}

const SUBGRAPHS = ['users', 'inventory', 'orders', 'notifications'] as const;
type Edits = Partial<Record<(typeof SUBGRAPHS)[number], (sdl: string) => string>>;

/** A supergraph.yaml in a fresh directory, over copies of the subgraph schemas with `edits` applied. */
async function editedSupergraph(edits: Edits = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'schema-guard-'));
  let config = 'subgraphs:\n';
  for (const name of SUBGRAPHS) {
    const sdl = await readFile(fromRoot('subgraphs', name, 'schema.graphql'), 'utf8');
    const edited = edits[name]?.(sdl) ?? sdl;
    if (edited === sdl && edits[name]) throw new TypeError(`the edit of ${name}'s schema changed nothing: its SDL is not what the test expects`);
    await writeFile(path.join(dir, `${name}.graphql`), edited);
    config += `  ${name}:\n    routing_url: http://localhost/${name}\n    schema: { file: ./${name}.graphql }\n`;
  }
  await writeFile(path.join(dir, 'supergraph.yaml'), config);
  return path.join(dir, 'supergraph.yaml');
}

const apiSchemaOf = async (configFile: string) => (await compose(await readSupergraphConfig(configFile))).apiSchemaSdl;

describe('the public API schema guard', () => {
  it('finds the committed api.graphql to be what supergraph.yaml composes to', async () => {
    const current = await apiSchemaOf(fromRoot('supergraph.yaml'));
    const committed = await readFile(fromRoot('api.graphql'), 'utf8');
    const message = await verdict(committed, current);
    if (message !== null) throw new Error(message);
  });

  it('names each breaking change by its schema coordinate', async () => {
    const before = await apiSchemaOf(await editedSupergraph());
    const after = await apiSchemaOf(
      await editedSupergraph({
        inventory: (sdl) => sdl.replace('  id: ID!\n  sku: String!\n', '  id: ID!\n'),
        users: (sdl) => sdl.replace('user(id: ID!): User', 'user(id: ID!, includeDeleted: Boolean!): User'),
        orders: (sdl) => sdl.replace('  "The reservation was released."\n  CANCELLED\n', ''),
      }),
    );
    const message = await verdict(before, after);
    expect(message).toMatch(/^The public API schema is not the committed api\.graphql \(3 breaking\):$/m);
    expect(message).toMatch(/^ {2}breaking +Product\.sku: Field 'sku' was removed from object type 'Product'$/m);
    expect(message).toMatch(/^ {2}breaking +Query\.user\.includeDeleted: Argument 'includeDeleted: Boolean!' added to field 'Query\.user'$/m);
    expect(message).toMatch(/^ {2}breaking +OrderStatus\.CANCELLED: Enum value 'CANCELLED' (was )?removed from enum 'OrderStatus'$/m);
    expect(message).toContain('run `npm run compose`');
  });

  it('asks for the record to be updated on a safe or dangerous change too, without calling it breaking', async () => {
    const before = await apiSchemaOf(await editedSupergraph());
    const after = await apiSchemaOf(
      await editedSupergraph({
        inventory: (sdl) => sdl.replace('  priceCents: Int!\n  "Units on hand."', '  priceCents: Int!\n  weightGrams: Int\n  "Units on hand."'),
        orders: (sdl) => sdl.replace('  CANCELLED\n}', '  CANCELLED\n  REFUNDED\n}'),
      }),
    );
    const message = await verdict(before, after);
    expect(message).toMatch(/\(1 dangerous, 1 safe\):$/m);
    expect(message).toMatch(/^ {2}dangerous +OrderStatus\.REFUNDED: Enum value 'REFUNDED' (was )?added to enum 'OrderStatus'$/m);
    expect(message).toMatch(/^ {2}safe +Product\.weightGrams: Field 'weightGrams' was added to object type 'Product'$/m);
    expect(message).not.toContain('breaking');
  });

  it('passes once `npm run compose` has rewritten the record, which the build leaves alone', async () => {
    const configFile = await editedSupergraph({ inventory: (sdl) => sdl.replace('  id: ID!\n  sku: String!\n', '  id: ID!\n') });
    const apiFile = path.join(path.dirname(configFile), 'api.graphql');
    const composeScript = (...args: string[]) =>
      promisify(execFile)(process.execPath, [fromRoot('dist/gateway/compose.js'), ...args, configFile, path.join(path.dirname(configFile), 'supergraph.graphql')]);

    await composeScript('--supergraph-only');
    await expect(stat(apiFile)).rejects.toMatchObject({ code: 'ENOENT' });

    await composeScript();
    const written = await readFile(apiFile, 'utf8');
    expect(await verdict(written, await apiSchemaOf(configFile))).toBeNull();
    expect(await verdict(await apiSchemaOf(await editedSupergraph()), written)).toMatch(/^ {2}breaking +Product\.sku: /m);
  });
});
