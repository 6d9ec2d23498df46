/**
 * Starts api-server.ts (a real API server on a test database) in a child process and talks to
 * it: the address and keys, and commands for what only the server side can do.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

export interface TestApiSetup {
  /** Seeds of the validated versions to register, in order (1.0.0, 1.1.0…). */
  models?: string[];
  /** How many of them to deploy, in order (each later one forced past the cooldown). */
  deploy?: number;
}

export interface TestApi {
  base: string;
  admin: string;
  read: string;
  /** The registered versions, in the order of `models`. */
  versions: string[];
  command<T = unknown>(name: string, input?: unknown): Promise<T>;
  close(): Promise<void>;
}

const ROOT = join(import.meta.dirname, '..', '..');
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const SERVER = join(import.meta.dirname, 'api-server.ts');

export function startTestApi(setup: TestApiSetup = {}, timeoutMs = 90_000): Promise<TestApi> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, SERVER, JSON.stringify(setup)], {
    cwd: ROOT,
    env: process.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));

  return new Promise<TestApi>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the test API server did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test API server exited with ${code} before it was ready`));
      for (const pending of waiting.values()) pending.reject(new Error('the test API server exited'));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('@@')) return;
      const message = JSON.parse(line.slice(2)) as Record<string, unknown>;
      if (message.failed) {
        reject(new Error(`the test API server failed: ${String(message.failed)}`));
        return;
      }
      if (message.ready) {
        clearTimeout(timer);
        resolve({
          base: message.base as string,
          admin: message.admin as string,
          read: message.read as string,
          versions: message.versions as string[],
          command: <T>(name: string, input?: unknown) =>
            new Promise<T>((done, fail) => {
              const id = ++next;
              waiting.set(id, { resolve: done as (value: unknown) => void, reject: fail });
              child.stdin!.write(`${JSON.stringify({ id, command: name, input })}\n`);
            }),
          close: async () => {
            child.stdin!.end();
            const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(killer);
          },
        });
        return;
      }
      const pending = waiting.get(message.id as number);
      if (!pending) return;
      waiting.delete(message.id as number);
      if (message.error) pending.reject(new Error(String(message.error)));
      else pending.resolve(message.result);
    });
  });
}
