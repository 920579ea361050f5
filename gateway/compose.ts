// `npm run compose`: supergraph.yaml → supergraph.graphql. Exits non-zero, naming the
// subgraph and the reason, when the subgraphs do not compose.
import { writeFile } from 'node:fs/promises';
import { fromRoot } from '../platform/paths.js';
import { CompositionError, composeSupergraph, readSupergraphConfig } from './composition.js';

const configFile = process.argv[2] ?? fromRoot('supergraph.yaml');
const outputFile = process.argv[3] ?? process.env.SUPERGRAPH_PATH ?? fromRoot('supergraph.graphql');
try {
  const sdl = await composeSupergraph(await readSupergraphConfig(configFile));
  await writeFile(outputFile, sdl);
  console.log(`Composed ${configFile} into ${outputFile}`);
} catch (error) {
  console.error(error instanceof CompositionError ? error.message : error);
  process.exit(1);
}
