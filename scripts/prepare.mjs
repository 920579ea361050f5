// Makes a checkout ready to run: installs dependencies when they are missing or older
// than package-lock.json, then builds (Prisma clients, TypeScript, supergraph), and the
// storefront in web/ (its own package.json and lock) when its sources changed. Plain
// JavaScript so that it runs on whatever Node the machine has; everything after it
// runs on the Node 24 that the install brings (the `node` devDependency).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const node24 = path.join(root, 'node_modules', '.bin', 'node');

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);

// Every step runs with the project's Node first on the PATH, once the install has brought it.
const stepEnv = { ...process.env, PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}` };

function run(command, args, cwd = root) {
  execFileSync(command, args, { cwd, stdio: 'inherit', env: stepEnv });
}

// The first install runs on whatever Node the machine has (20 here), so npm warns in a
// block of five lines about every package that asks for a newer one, this project
// included, though none of them will ever run on it: everything after the install runs on
// the Node 24 it brings. Those warnings are left out (npm's others are shown); one line
// says instead which Node runs what.
function install(cwd) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24 && cwd === root) {
    console.log(`(npm installs with this machine's Node ${process.versions.node}; the project then runs on its own Node 24, node_modules/.bin/node.)`);
  }
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund'], {
    cwd,
    stdio: ['inherit', 'inherit', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: stepEnv,
  });
  const shown = (result.stderr ?? '').split('\n').filter((line) => !line.startsWith('npm warn EBADENGINE'));
  process.stderr.write(shown.join('\n'));
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`npm install failed in ${cwd} (exit code ${result.status})`);
}

export function prepare() {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  // `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages out of
  // the lock file (npm/cli#4828), which `npm ci` then rejects; install follows the lock
  // file all the same and leaves it unchanged.
  if (!existsSync(installed) || !existsSync(node24)) {
    console.log('Installing dependencies…');
    install(root);
  } else if (mtime(path.join(root, 'package-lock.json')) > mtime(installed)) {
    console.log('package-lock.json changed: updating dependencies…');
    install(root);
  }
  run(npm, ['run', '--silent', 'build']);
  prepareStorefront();
}

const web = path.join(root, 'web');
// What the storefront's build reads: a change to any of these makes `npm start` rebuild it.
const STOREFRONT_SOURCES = ['src', 'public', 'scripts', 'index.html', 'package.json', 'package-lock.json', 'vite.config.ts', 'codegen.ts', 'persisted-query-manifest.config.json', 'tsconfig.json'];

function prepareStorefront() {
  const installed = path.join(web, 'node_modules', '.package-lock.json');
  if (!existsSync(installed) || mtime(path.join(web, 'package-lock.json')) > mtime(installed)) {
    console.log("Installing the storefront's dependencies…");
    install(web);
  }
  const sources = [...STOREFRONT_SOURCES.map((name) => path.join(web, name)), path.join(root, 'api.graphql')];
  const built = Math.min(mtime(path.join(web, 'dist', 'index.html')), mtime(path.join(web, 'persisted-query-manifest.json')));
  if (Math.max(...sources.map(newest)) > built) {
    console.log('Building the storefront…');
    run(npm, ['run', '--silent', 'build'], web);
  }
}

// Private: the newest modification time under a file or folder (generated code excluded).
function newest(file) {
  if (!existsSync(file)) return 0;
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(file)
    .filter((name) => name !== 'gql' && name !== 'node_modules')
    .reduce((latest, name) => Math.max(latest, newest(path.join(file, name))), stats.mtimeMs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) prepare();
