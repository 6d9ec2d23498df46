import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/types.js';
import { createTestDatabase, SERVER_URL, type TestDatabase } from './database.js';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TEST_BUILD_DIR } from './build-cli.js';

/**
 * The CLI as the tests' global setup (build-cli.ts) transpiled it from today's `src/`: Node starts
 * it in a third of the time tsx's loader takes, which adds up over the suites' hundred-odd children.
 */
export const CLI_MAIN = join(TEST_BUILD_DIR, 'cli', 'main.js');
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

/** Runs the `retrain` CLI (today's source, transpiled) in a child process, with exactly the environment given. */
export function runRetrain(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectResult(child);
}

/** Everything a finished child process wrote, with its exit code. */
export function collectResult(child: ChildProcessByStdio<null, Readable, Readable>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) as unknown }));
  });
}

/**
 * A migrated database a CLI child process reaches through `env`: a schema of its own on the
 * server, or an embedded folder. `seed` writes to it through the test's own connection, closed
 * again before the CLI runs (the embedded folder belongs to one process at a time).
 */
export interface CliDatabase {
  env: NodeJS.ProcessEnv;
  dir: string;
  seed(fn: (db: Database) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export async function createCliDatabase(prefix: string): Promise<CliDatabase> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const server: TestDatabase | undefined = SERVER_URL ? await createTestDatabase() : undefined;
  const env: NodeJS.ProcessEnv = server
    ? { DATABASE_URL: server.url }
    : { RETRAINING_DATA_DIR: join(dir, 'data') };
  const seed = async (fn: (db: Database) => Promise<void>) => {
    if (server) return fn(server.db);
    const db = await openEmbeddedDatabase({ dataDir: env.RETRAINING_DATA_DIR! });
    try {
      await fn(db);
    } finally {
      await db.close();
    }
  };
  await seed((db) => migrate(db).then(() => undefined));
  return {
    env,
    dir,
    seed,
    close: async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A long-running `retrain` child (start, worker) whose output can be waited on. */
export interface RetrainProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the combined stdout and stderr match `pattern`; rejects on timeout or exit. */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function spawnRetrain(args: string[], env: NodeJS.ProcessEnv, cwd?: string): RetrainProcess {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let closed = false;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      closed = true;
      for (const listener of [...listeners]) listener();
      resolve(code);
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (closed) {
          done();
          reject(new Error(`retrain ${args[0]} exited before printing ${pattern}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern}:\n${output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return { child, output: () => output, waitFor, exited };
}
