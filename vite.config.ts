/**
 * Vite configuration: serves and builds the page and its workers. Every response carries the
 * cross-origin isolation headers SharedArrayBuffer needs (dev and preview servers alike);
 * worker scripts additionally get their class's Content-Security-Policy (see
 * docs/isolation.md and src/node/worker-csp.ts).
 */
import { defineConfig } from 'vite';
import { workerCspPlugin, workerOutputNames } from './src/node/worker-csp.js';

export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  plugins: [workerCspPlugin()],
  // Predictable worker file names, so the servers can match each class's entry (worker-csp.ts).
  worker: { format: 'es', rolldownOptions: { output: workerOutputNames } },
  build: { target: 'es2022', sourcemap: true },
});
