// Runs once before any test file (jest's globalSetup): makes the migrated PGlite templates
// the test databases and the test's service processes start from (templates.ts), outside
// every test's time limit.
import { migratedTemplateFile, SUBGRAPHS } from './templates.js';

export default async function globalSetup(): Promise<void> {
  // Service processes started by tests keep their databases embedded whatever the run.
  for (const subgraph of SUBGRAPHS) await migratedTemplateFile(subgraph);
}
