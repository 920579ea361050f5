// The repository root, found from this compiled file (dist/platform/paths.js), so
// services find their schema, migrations and seed data whatever the working directory.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const fromRoot = (...parts: string[]) => path.join(ROOT, ...parts);
