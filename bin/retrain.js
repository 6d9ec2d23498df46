#!/usr/bin/env node
// The published entry point: runs the compiled CLI (built by `npm run build`, which `npm install` runs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('retrain: dist/ is missing; run `npm run build` (npm install runs it) and try again.');
  process.exit(1);
}
await import(main.href);
