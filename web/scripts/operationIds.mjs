// Writes src/gql/operation-ids.json: each operation's id in the persisted query list, by
// operation name. The app bundles this instead of the manifest, whose document bodies it
// never needs (the gateway holds those).
import { readFileSync, writeFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../persisted-query-manifest.json', import.meta.url), 'utf8'));
const ids = Object.fromEntries(manifest.operations.map(({ name, id }) => [name, id]));
writeFileSync(new URL('../src/gql/operation-ids.json', import.meta.url), `${JSON.stringify(ids, null, 2)}\n`);
console.log(`${manifest.operations.length} operations in persisted-query-manifest.json`);
