// Runs once before any test file (jest's globalSetup): makes the migrated PGlite templates
// the test databases start from (templates.ts), outside every test's time limit. Nothing
// to do on PostgreSQL, where a fresh database migrates in milliseconds.
import { migratedTemplate, SUBGRAPHS } from './templates.js';

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_POSTGRES_URL) return;
  for (const subgraph of SUBGRAPHS) await migratedTemplate(subgraph);
}
