/**
 * Hostile input on every write route: random and adversarial JSON (wrong types, huge numbers,
 * SQL fragments, long and unicode strings, deep nesting) and raw text that is not JSON. Always a
 * 4xx with the error shape, never a 5xx; and the stored rows unchanged by any refused request.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer, type ApiServer } from '../../src/api/server.js';
import { migrate } from '../../src/db/migrate.js';
import { Logger } from '../../src/logging/logger.js';
import { RetrainingSystem } from '../../src/orchestration/system.js';
import { initTensorFlow } from '../../src/rl/backend.js';
import { tableRowCounts } from '../../src/store/status.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';

const ADMIN = 'fuzz-admin-key-0123456789abcdef';
const RUNS = 60;

let test: TestDatabase;
let system: RetrainingSystem;
let server: ApiServer;

const nasty = fc.oneof(
  fc.constantFrom(
    "1.0.0'; DROP TABLE ml_model_versions; --",
    '" OR 1=1 --',
    '$1',
    '\u0000',
    '../../etc/passwd',
    '{"__proto__": {"admin": true}}',
    '𝕳𝖊𝖑𝖑𝖔 👋 مرحبا',
    'NaN',
    'Infinity',
    '-0',
    '1e400',
    '9.9.9',
    '00000000-0000-0000-0000-000000000000',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 5000, maxLength: 20_000 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.double(),
    fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0, -1, 101),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'version',
          'reason',
          'force',
          'trades',
          'bars',
          'key',
          'observation',
          'modelB',
          'resolution',
        ),
        fc.string({ maxLength: 10 }),
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;
/** A JSON text nested `depth` levels deep. */
const deep = fc.integer({ min: 100, max: 5000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth));
const body = fc.oneof(
  value.map((v) => JSON.stringify(v) ?? 'null'),
  deep.map((text) => `{"version": ${text}}`),
  fc.string({ maxLength: 200 }),
);

const ROUTES = [
  '/v1/deploy',
  '/v1/rollback',
  '/v1/ab-tests',
  '/v1/trades',
  '/v1/bars',
  '/v1/predict',
  '/v1/jobs',
  '/v1/alerts/00000000-0000-0000-0000-000000000000/acknowledge',
  '/v1/alerts/00000000-0000-0000-0000-000000000000/resolve',
  '/v1/ab-tests/00000000-0000-0000-0000-000000000000/stop',
];

describe(`hostile request bodies (${BACKEND})`, () => {
  beforeAll(async () => {
    await initTensorFlow();
    test = await createTestDatabase();
    await migrate(test.db);
    const first = await registerRandomModel(test.db, 'fuzz-a');
    await registerRandomModel(test.db, 'fuzz-b');
    system = await RetrainingSystem.create(
      {},
      { db: test.db, jobs: false, logger: new Logger({ logToConsole: false }), env: {} },
    );
    await system.services.deploymentManager.deploy(first);
    server = await buildApiServer({
      system,
      keys: { admin: ADMIN, source: 'environment' },
      logger: new Logger({ logToConsole: false }),
      rateLimitPerMinute: 1_000_000,
    });
  }, 120_000);
  afterAll(async () => {
    await server?.app.close();
    await system?.stop(0);
    await test?.close();
  });

  it.each(ROUTES)(
    '%s answers every hostile body with a 4xx and changes nothing it refused',
    async (url) => {
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const before = await tableRowCounts(test.db);
          const answer = await server.app.inject({
            method: 'POST',
            url,
            payload,
            headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          });
          expect(
            answer.statusCode,
            `${url} ${payload.slice(0, 200)} → ${answer.body.slice(0, 300)}`,
          ).toBeLessThan(500);
          if (answer.statusCode >= 400) {
            const error = answer.json() as { error: { code: string; message: string } };
            expect(typeof error.error.code).toBe('string');
            expect(error.error.message).not.toMatch(/\n\s+at /);
            expect(await tableRowCounts(test.db)).toEqual(before);
          }
        }),
        { numRuns: RUNS, seed: 20261126 },
      );
    },
    120_000,
  );
});
