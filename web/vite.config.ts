// Vite: the storefront as static files with content-hashed names (dist/assets/*), served
// by server.mjs; Vitest runs the component tests in jsdom.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [react()],
  // The explorer bundles the API schema from ../api.graphql.
  server: { port: 5173, strictPort: true, fs: { allow: ['..'] } },
  preview: { port: 5173, strictPort: true },
  build: {
    target: 'es2022',
    // The explorer (GraphiQL and its editor) is a chunk of its own, loaded only at /explorer;
    // scripts/bundleReport.mjs holds the budget of what loads first.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      onwarn(warning, warn) {
        // GraphiQL's modules say "use no memo" (for React's compiler), which bundling drops harmlessly.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: {
    // Component tests (*.test.tsx) ask for jsdom in their first line; the rest run in Node.
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
