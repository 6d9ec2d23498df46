import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader by absolute URL, so a child started in another folder still finds it. */
export const TSX_LOADER = pathToFileURL(
  fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url)),
).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => unknown;
}

/** Runs the `retrain` CLI from source in a child process, with exactly the environment given. */
export function runRetrain(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) as unknown }));
  });
}
