import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearMarkdown, yearSvg } from '../../src/simulation/report.js';
import { INVARIANTS } from '../../src/simulation/invariants.js';
import type { YearReport } from '../../src/simulation/summary.js';
import { simulateYear } from '../../src/simulation/year.js';
import { listAlerts } from '../../src/store/alerts.js';
import { listDeploymentEvents } from '../../src/store/deployment-events.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const WEEKS = 52;
const SEED = 1;
const OUT = `test-artifacts/simulation/${BACKEND}`;

describe(`a simulated year of weekly operation (${BACKEND})`, () => {
  let test: TestDatabase;
  let report: YearReport;

  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(async () => {
    await test.close();
  });

  it('runs 52 weekly cycles with every invariant holding after each week, and writes the report', async () => {
    // simulateYear throws an InvariantError naming the week and the broken invariant.
    report = await simulateYear({ db: test.db, weeks: WEEKS, seed: SEED });
    expect(report.weeks.map((w) => w.week)).toEqual(Array.from({ length: WEEKS }, (_, i) => i + 1));
    expect(report.weeks.every((w) => w.invariantsHeld === INVARIANTS.length)).toBe(true);
    await mkdir(OUT, { recursive: true });
    await writeFile(`${OUT}/report.md`, yearMarkdown(report));
    await writeFile(`${OUT}/year.svg`, yearSvg(report));
  }, 300_000);

  it('was an eventful year: A/B tests decided, a candidate promoted, and a degradation rolled back', async () => {
    const { summary } = report;
    expect(summary.deployments).toBeGreaterThanOrEqual(2);
    expect(summary.versions).toBeGreaterThanOrEqual(WEEKS);
    expect(summary.abTests.total).toBeGreaterThanOrEqual(1);
    expect(summary.abTests.active).toBeLessThanOrEqual(1);
    // Tests end by the monitoring round's look at the evidence, on trades attributed to their arms:
    // at least one candidate won its test and became production.
    expect(summary.promotions).toBeGreaterThanOrEqual(1);
    expect(summary.abTests.promoted).toBeGreaterThanOrEqual(1);
    expect(summary.abTests.keptA + summary.abTests.inconclusive).toBeGreaterThanOrEqual(1);
    expect(report.weeks.reduce((sum, w) => sum + w.trades, 0)).toBeGreaterThan(WEEKS * 50);
    // When the market turns mean-reverting the promoted trend model degrades: monitoring confirms
    // it and rolls back to the earlier version that was good in production.
    const alerts = await listAlerts(test.db, { limit: 10_000 });
    expect(alerts.filter((a) => a.type === 'performance_degradation').length).toBeGreaterThanOrEqual(1);
    expect(summary.rollbacks).toBeGreaterThanOrEqual(1);
    const events = await listDeploymentEvents(test.db, { limit: 10_000 });
    const promoted = new Set(
      events.filter((e) => e.action === 'deploy' && e.actor === 'ab-test').map((e) => e.version),
    );
    const rolledBackByMonitoring = events.filter((e) => e.action === 'rollback' && e.actor === 'monitoring');
    expect(rolledBackByMonitoring.some((e) => e.fromVersion !== null && promoted.has(e.fromVersion))).toBe(
      true,
    );
    expect(report.summary.quarters).toHaveLength(4);
  });
});
