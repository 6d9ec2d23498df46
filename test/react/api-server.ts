/**
 * A real API server (buildApiServer over a RetrainingSystem on a test database) in a process of
 * its own, for the tests of the React code: those run in jsdom, where every import is prepared
 * for a browser and the server's code (PGlite, TensorFlow.js) cannot load. Started by
 * `startTestApi` (api-process.ts); it speaks JSON lines prefixed with `@@` on stdout and takes
 * commands on stdin, to change what a browser cannot (raise an alert, record metrics).
 */
import { createInterface } from 'node:readline';
import { buildApiServer } from '../../src/api/server.js';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import type { NewAlert } from '../../src/store/alerts.js';
import { recordDriftReport, type NewDriftReport } from '../../src/store/drift.js';
import { recordPerformanceMetrics, type NewPerformanceMetrics } from '../../src/store/performance-metrics.js';
import { setVersionStatus } from '../../src/store/versions.js';
import { createTestDatabase } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';
import type { TestApiSetup } from './api-process.js';

const ADMIN_KEY = 'admin-key-for-react-tests-0123456789';
const READ_KEY = 'read-key-for-react-tests-0123456789ab';

const send = (message: unknown) => process.stdout.write(`@@${JSON.stringify(message)}\n`);

async function main(): Promise<void> {
  const setup = JSON.parse(process.argv[2] ?? '{}') as TestApiSetup;
  await initTensorFlow();
  const test = await createTestDatabase();
  await migrate(test.db);
  const versions: string[] = [];
  for (const seed of setup.models ?? []) versions.push(await registerRandomModel(test.db, seed));
  const system = await RetrainingSystem.create(
    { deployment: { cooldownPeriodHours: 6 } },
    { db: test.db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
  );
  const { deploymentManager, alerter } = system.services;
  for (const [index, version] of versions.slice(0, setup.deploy ?? 0).entries()) {
    await deploymentManager.deploy(version, {
      actor: 'test',
      ...(index > 0 ? { force: true, reason: 'test setup' } : {}),
    });
  }
  const server = await buildApiServer({
    system,
    keys: { admin: ADMIN_KEY, read: READ_KEY, source: 'environment' },
    eventPollMs: 100,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.app.server.address() as { port: number };

  const commands: Record<string, (input: never) => Promise<unknown>> = {
    raiseAlert: async (input: NewAlert) => (await alerter.raise(input)).alert,
    recordMetrics: (input: NewPerformanceMetrics & { timestamp?: string }) =>
      recordPerformanceMetrics(test.db, {
        ...input,
        ...(input.timestamp ? { timestamp: new Date(input.timestamp) } : {}),
      }),
    recordDrift: (input: NewDriftReport) => recordDriftReport(test.db, input),
    setVersionStatus: async (input: { version: string; status: 'validated' }) =>
      setVersionStatus(test.db, input.version, input.status),
    /** Ends every open event stream, as a restarting proxy would. */
    endStreams: async () => {
      const count = server.context.streams.size;
      for (const stream of server.context.streams) stream.end();
      server.context.streams.clear();
      return count;
    },
    streamCount: async () => server.context.streams.size,
  };

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await server.app.close();
    await system.stop(0);
    await test.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close());
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const { id, command, input } = JSON.parse(line) as { id: number; command: string; input?: unknown };
    const run = commands[command];
    if (!run) {
      send({ id, error: `unknown command ${command}` });
      return;
    }
    run(input as never).then(
      (result) => send({ id, result }),
      (error: Error) => send({ id, error: error.message }),
    );
  });
  // The test process went away (or closed stdin): stop.
  lines.on('close', () => void close());

  send({ ready: true, base: `http://127.0.0.1:${port}`, admin: ADMIN_KEY, read: READ_KEY, versions });
}

main().catch((error: Error) => {
  send({ failed: error.stack ?? error.message });
  process.exit(1);
});
