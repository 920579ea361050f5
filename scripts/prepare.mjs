// Makes a checkout ready to run: installs dependencies when they are missing or older
// than package-lock.json, then builds (Prisma clients, TypeScript, supergraph). Plain
// JavaScript so that it runs on whatever Node the machine has; everything after it
// runs on the Node 24 that the install brings (the `node` devDependency).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const node24 = path.join(root, 'node_modules', '.bin', 'node');

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}` } });
}

export function prepare() {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  // `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages out of
  // the lock file (npm/cli#4828), which `npm ci` then rejects; install follows the lock
  // file all the same and leaves it unchanged.
  if (!existsSync(installed) || !existsSync(node24)) {
    console.log('Installing dependencies…');
    run(npm, ['install', '--no-audit', '--no-fund']);
  } else if (mtime(path.join(root, 'package-lock.json')) > mtime(installed)) {
    console.log('package-lock.json changed: updating dependencies…');
    run(npm, ['install', '--no-audit', '--no-fund']);
  }
  run(npm, ['run', '--silent', 'build']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) prepare();
