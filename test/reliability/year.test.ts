import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearMarkdown, yearSvg } from '../../src/simulation/report.js';
import { INVARIANTS } from '../../src/simulation/invariants.js';
import type { YearReport } from '../../src/simulation/summary.js';
import { simulateYear } from '../../src/simulation/year.js';
import { listAlerts } from '../../src/store/alerts.js';
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

  it('was an eventful year: a retrained model deployed, A/B tests run, and a degradation acted on', async () => {
    const { summary } = report;
    expect(summary.deployments).toBeGreaterThanOrEqual(1);
    expect(summary.versions).toBeGreaterThanOrEqual(WEEKS);
    expect(summary.abTests.total).toBeGreaterThanOrEqual(1);
    expect(summary.abTests.active).toBeLessThanOrEqual(1);
    // Tests end by the monitoring round's look at the evidence, on trades attributed to their arms.
    expect(summary.abTests.keptA + summary.abTests.inconclusive).toBeGreaterThanOrEqual(1);
    expect(report.weeks.reduce((sum, w) => sum + w.trades, 0)).toBeGreaterThan(WEEKS * 50);
    // The market turns mean-reverting in week 11: the trend model degrades. Monitoring rolls it
    // back when an earlier good version exists, and raises a critical alert when none does.
    const alerts = await listAlerts(test.db, { limit: 10_000 });
    const degraded = alerts.filter((a) => a.type === 'performance_degradation');
    expect(degraded.length).toBeGreaterThanOrEqual(1);
    const actedOn =
      summary.rollbacks > 0 ||
      alerts.some((a) => a.severity === 'critical' && a.message.includes('could not be rolled back'));
    expect(actedOn).toBe(true);
    expect(report.summary.quarters).toHaveLength(4);
  });
});
