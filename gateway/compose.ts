// `npm run compose [-- config [supergraph output]]`: supergraph.yaml → supergraph.graphql,
// and the public API schema → api.graphql beside supergraph.yaml (the committed record of
// what clients see). Exits non-zero, naming the subgraph, the field and the reason, when
// the subgraphs do not compose.
//
// `--supergraph-only` leaves api.graphql alone: the build uses it, so that building or
// starting never rewrites a committed file, and an API change stays the developer's to
// record (tests/schemaGuard.test.ts asks for it).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fromRoot } from '../platform/paths.js';
import { CompositionError, compose, readSupergraphConfig } from './composition.js';

const { values: options, positionals } = parseArgs({ options: { 'supergraph-only': { type: 'boolean', default: false } }, allowPositionals: true });
const configFile = positionals[0] ?? fromRoot('supergraph.yaml');
const outputFile = positionals[1] ?? process.env.SUPERGRAPH_PATH ?? fromRoot('supergraph.graphql');
const apiSchemaFile = path.join(path.dirname(configFile), 'api.graphql');
try {
  const { supergraphSdl, apiSchemaSdl } = await compose(await readSupergraphConfig(configFile));
  await writeFile(outputFile, supergraphSdl);
  if (options['supergraph-only']) {
    console.log(`Composed ${configFile} into ${outputFile}`);
  } else {
    await writeFile(apiSchemaFile, apiSchemaSdl);
    console.log(`Composed ${configFile} into ${outputFile}, and its public API schema into ${apiSchemaFile}`);
  }
} catch (error) {
  console.error(error instanceof CompositionError ? error.message : error);
  process.exit(1);
}
