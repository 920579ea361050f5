// Preloaded into a service process (NODE_OPTIONS=--import) by tests that must know which
// modules it loaded: every module resolved, import or require, is written to the file
// LOADED_MODULES_FILE names when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    loaded.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE!, [...loaded].join('\n')));
