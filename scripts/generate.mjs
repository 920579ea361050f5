// Generates what the TypeScript build compiles but the repository does not hold, for each
// subgraph: its Prisma client (prisma/<subgraph>/schema.prisma) and its resolver types
// (subgraphs/<subgraph>/schema.graphql, scripts/codegen.config.mjs). Offline, and only
// what changed since the last run: this runs before every build and every `npm start`.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const force = process.argv.includes('--force');
const versionOf = (name) => JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
const hashOf = (...parts) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest('hex');
/** Whether `stamp` already holds `hash`: what it was made from has not changed. */
const fresh = (stamp, hash) => !force && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;

generatePrismaClients();
await generateResolverTypes();

// `prisma generate` asks for the native schema engine without running it; that engine
// cannot be downloaded on our machines, so we point it at an existing file.
function generatePrismaClients() {
  const prismaVersion = versionOf('prisma');
  for (const subgraph of readdirSync(path.join(root, 'prisma'))) {
    const schema = path.join(root, 'prisma', subgraph, 'schema.prisma');
    if (!existsSync(schema)) continue;
    const stamp = path.join(root, 'subgraphs', subgraph, 'generated', 'prisma', '.schema-hash');
    const hash = hashOf(prismaVersion, readFileSync(schema));
    if (fresh(stamp, hash)) continue;
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
}

// Loading GraphQL Code Generator takes about a second, so it is loaded only when a schema,
// the config or a codegen package changed.
async function generateResolverTypes() {
  const configFile = path.join(root, 'scripts', 'codegen.config.mjs');
  const { default: config } = await import(configFile);
  const outputs = Object.keys(config.generates);
  const hash = hashOf(
    ['@graphql-codegen/cli', '@graphql-codegen/typescript', '@graphql-codegen/typescript-resolvers'].map(versionOf).join(' '),
    readFileSync(configFile),
    ...outputs.map((output) => readFileSync(path.join(root, config.generates[output].schema))),
  );
  const stamp = path.join(root, 'node_modules', '.cache', 'resolver-types-hash');
  if (fresh(stamp, hash) && outputs.every((output) => existsSync(path.join(root, output)))) return;
  const { generate } = await import('@graphql-codegen/cli');
  await generate({ ...config, cwd: root }, true);
  mkdirSync(path.dirname(stamp), { recursive: true });
  writeFileSync(stamp, hash);
}
