// Generates each subgraph's Prisma client (prisma/<subgraph>/schema.prisma) offline.
// `prisma generate` asks for the native schema engine without running it; that engine
// cannot be downloaded on our machines, so we point it at an existing file.
// A client is regenerated only when its schema or the Prisma version changed.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const prismaVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/prisma/package.json'), 'utf8')).version;
const force = process.argv.includes('--force');

for (const subgraph of readdirSync(path.join(root, 'prisma'))) {
  const schema = path.join(root, 'prisma', subgraph, 'schema.prisma');
  if (!existsSync(schema)) continue;
  const output = path.join(root, 'subgraphs', subgraph, 'generated', 'prisma');
  const stamp = path.join(output, '.schema-hash');
  const hash = createHash('sha256').update(prismaVersion).update(readFileSync(schema)).digest('hex');
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) continue;
  execFileSync(path.join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', schema], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
  writeFileSync(stamp, hash);
}
