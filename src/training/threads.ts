/**
 * Starting a worker thread of ours from the compiled package or from the sources. From dist/ the
 * compiled module; from sources (tsx, tests) a bootstrap that imports the TypeScript module
 * through tsx's `tsImport`: tsx registers its loader on the main thread only, and Node does not
 * pass loader hooks on to worker threads.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `name` is a module in this folder without its extension, e.g. `trial-worker`. */
export function startWorkerThread(name: string): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url));
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(join(dirname(tsxPackage), 'dist', 'esm', 'api', 'index.mjs')).href;
  const module = new URL(`./${name}.ts`, import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(module)}, ${JSON.stringify(module)}));`;
  return new Worker(bootstrap, { eval: true });
}
