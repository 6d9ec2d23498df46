/**
 * The dashboard's build: `vite build --config dashboard/vite.config.ts` writes dist/dashboard,
 * which `retrain start` serves at `/`. `vite --config dashboard/vite.config.ts` serves it while
 * editing, with the API of a `retrain start` (RETRAINING_API_URL, default http://127.0.0.1:8787) behind
 * `/v1` and `/docs`.
 */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
  },
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/docs'].map((path) => [path, process.env.RETRAINING_API_URL ?? 'http://127.0.0.1:8787']),
    ),
  },
});
