import { TABLES } from '../../src/db/migrations/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import {
  abTests,
  alerts,
  artifacts,
  deploymentEvents,
  liveTrades,
  marketBars,
  performanceMetrics,
  predictionSamples,
  retrainingJobs,
  status,
  versions,
} from '../../src/store/index.js';
import type { LiveTrade } from '../../src/store/live-trades.js';
import type { MarketBar } from '../../src/store/market-bars.js';
import { importBars } from '../../src/market/import/bars.js';
import { NotFoundError } from '../../src/errors.js';
import { BACKEND, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { addVersions, versionInput } from '../helpers/fixtures.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let test: TestDatabase;
beforeEach(async () => {
  test = await createTestDatabase();
  await migrate(test.db);
});
afterEach(async () => {
  await test.close();
});

describe(`store round trips (${BACKEND})`, () => {
  it('stores a model version with JSONB, time zone aware timestamps and a UUID', async () => {
    const input = versionInput('1.0.0', {
      trainedOn: new Date('2026-03-29T00:30:00.123Z'),
      hyperparameters: { learningRate: 0.0003, widths: [64, 64] },
      checksum: 'a'.repeat(64),
      performanceScore: 87,
    });
    const stored = await versions.insertVersion(test.db, input);
    expect(stored.id).toMatch(UUID);
    expect(stored.status).toBe('training');
    const loaded = await versions.getVersion(test.db, '1.0.0');
    expect(loaded).toEqual(stored);
    expect(loaded.trainedOn.toISOString()).toBe('2026-03-29T00:30:00.123Z');
    expect(loaded.metrics).toEqual(input.metrics);
    expect(loaded.hyperparameters).toEqual({ learningRate: 0.0003, widths: [64, 64] });
    expect(loaded.createdAt).toBeInstanceOf(Date);
    await expect(versions.getVersion(test.db, '9.9.9')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('moves a version through statuses and finds the production one', async () => {
    await addVersions(test.db, '1.0.0', '1.1.0');
    const deployedAt = new Date('2026-11-22T03:00:00Z');
    await versions.setVersionStatus(test.db, '1.1.0', 'production', { deployedAt });
    expect((await versions.findProductionVersion(test.db))?.version).toBe('1.1.0');
    const rolled = await versions.setVersionStatus(test.db, '1.1.0', 'rolled_back', {
      rollbackReason: 'live Sharpe fell',
    });
    expect(rolled.deployedAt?.toISOString()).toBe(deployedAt.toISOString());
    expect(rolled.rollbackReason).toBe('live Sharpe fell');
    expect(await versions.findProductionVersion(test.db)).toBeNull();
    expect((await versions.listVersions(test.db, { status: 'rolled_back' })).map((v) => v.version)).toEqual([
      '1.1.0',
    ]);
    const updated = await versions.updateVersionMetrics(test.db, '1.0.0', { sharpeRatio: 2 }, 90);
    expect(updated.metrics).toEqual({ sharpeRatio: 2 });
    expect(updated.performanceScore).toBe(90);
  });

  it('stores artifact bytes exactly', async () => {
    await addVersions(test.db, '1.0.0');
    const data = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
    await artifacts.insertArtifact(test.db, {
      version: '1.0.0',
      contentType: 'application/x-tar',
      sha256: 'b'.repeat(64),
      data,
    });
    const loaded = await artifacts.findArtifact(test.db, '1.0.0');
    expect(loaded?.sizeBytes).toBe(70_000);
    expect(loaded?.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(Buffer.from(loaded!.data), Buffer.from(data))).toBe(0);
    expect(await artifacts.findArtifact(test.db, '2.0.0')).toBeNull();
  });

  it('starts, reads and ends an A/B test', async () => {
    await addVersions(test.db, '1.0.0', '1.1.0');
    const started = await abTests.insertAbTest(test.db, {
      modelAVersion: '1.0.0',
      modelBVersion: '1.1.0',
      trafficSplit: 20,
      startTime: new Date('2026-11-22T04:00:00Z'),
      minConfidence: 0.8,
    });
    expect(started.id).toMatch(UUID);
    expect((await abTests.findActiveAbTest(test.db))?.id).toBe(started.id);
    await abTests.updateAbTestMetrics(test.db, started.id, { a: { trades: 10 }, b: { trades: 3 } });
    const ended = await abTests.endAbTest(test.db, started.id, {
      status: 'completed',
      endTime: new Date('2026-11-23T04:00:00Z'),
      winner: 'model_b',
      reason: 'P(B>A)=0.93',
    });
    expect(ended).toMatchObject({
      status: 'completed',
      winner: 'model_b',
      metrics: { a: { trades: 10 }, b: { trades: 3 } },
    });
    expect(
      await abTests.endAbTest(test.db, started.id, {
        status: 'stopped',
        endTime: new Date(),
        winner: null,
        reason: 'x',
      }),
    ).toBeNull();
    expect(await abTests.findActiveAbTest(test.db)).toBeNull();
    await expect(abTests.getAbTest(test.db, '00000000-0000-0000-0000-000000000000')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('deduplicates an open alert, then acknowledges and resolves it', async () => {
    const first = await alerts.raiseAlert(test.db, {
      type: 'model_drift',
      severity: 'high',
      message: 'PSI 0.3',
      dedupeKey: 'drift:1.0.0',
      details: { psi: [0.3] },
    });
    const repeat = await alerts.raiseAlert(test.db, {
      type: 'model_drift',
      severity: 'high',
      message: 'PSI 0.31',
      dedupeKey: 'drift:1.0.0',
    });
    expect(first.created).toBe(true);
    expect(repeat.created).toBe(false);
    expect(repeat.alert.id).toBe(first.alert.id);
    expect(repeat.alert.occurrences).toBe(2);
    expect(repeat.alert.details).toEqual({ psi: [0.3] });
    const acknowledged = await alerts.acknowledgeAlert(test.db, first.alert.id);
    expect(acknowledged.acknowledged).toBe(true);
    const resolved = await alerts.resolveAlert(test.db, first.alert.id, 'retrained');
    expect(resolved.resolution).toBe('retrained');
    expect(await alerts.listAlerts(test.db, { active: true })).toEqual([]);
    const again = await alerts.raiseAlert(test.db, {
      type: 'model_drift',
      severity: 'high',
      message: 'PSI 0.4',
      dedupeKey: 'drift:1.0.0',
    });
    expect(again.created).toBe(true);
    expect((await alerts.listAlerts(test.db)).length).toBe(2);
  });

  it('records deployment events and performance metrics per version', async () => {
    await addVersions(test.db, '1.0.0', '1.1.0');
    const event = await deploymentEvents.recordDeploymentEvent(test.db, {
      version: '1.1.0',
      fromVersion: '1.0.0',
      action: 'deploy',
      status: 'success',
      reason: 'gates passed',
      details: { split: 10 },
    });
    expect(event.id).toMatch(UUID);
    expect(await deploymentEvents.listDeploymentEvents(test.db, { version: '1.1.0' })).toEqual([event]);
    for (const hour of [1, 2, 3]) {
      await performanceMetrics.recordPerformanceMetrics(test.db, {
        version: '1.1.0',
        timestamp: new Date(Date.UTC(2026, 10, 22, hour)),
        metrics: { sharpeRatio: hour },
        tradeCount: hour * 10,
      });
    }
    const history = await performanceMetrics.listPerformanceMetrics(test.db, {
      version: '1.1.0',
      since: new Date(Date.UTC(2026, 10, 22, 2)),
    });
    expect(history.map((row) => row.metrics)).toEqual([{ sharpeRatio: 2 }, { sharpeRatio: 3 }]);
  });

  it('imports bars idempotently and updates a corrected bar', async () => {
    const bars: MarketBar[] = Array.from({ length: 500 }, (_, i) => ({
      symbol: 'ORCL',
      interval: '1d',
      ts: new Date(Date.UTC(2020, 0, 1 + i)),
      open: 10 + i,
      high: 11 + i,
      low: 9 + i,
      close: 10.5 + i,
      volume: 1000 * i,
    }));
    expect((await importBars(test.db, bars)).stored).toEqual({ inserted: 500, updated: 0, unchanged: 0 });
    expect((await importBars(test.db, bars)).stored).toEqual({ inserted: 0, updated: 0, unchanged: 500 });
    const corrected = [{ ...bars[7]!, close: 99 }];
    expect((await importBars(test.db, corrected)).stored).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: 0,
    });
    const loaded = await marketBars.listBars(test.db, {
      symbol: 'ORCL',
      interval: '1d',
      from: bars[5]!.ts,
      to: bars[8]!.ts,
    });
    expect(loaded.map((bar) => bar.close)).toEqual([15.5, 16.5, 99, 18.5]);
    expect(loaded[0]).toEqual(bars[5]);
    expect(await marketBars.summariseBars(test.db)).toEqual([
      { symbol: 'ORCL', interval: '1d', bars: 500, first: bars[0]!.ts, last: bars[499]!.ts },
    ]);
  });

  it('inserts trades once per idempotency key and reads them back with their observation', async () => {
    await addVersions(test.db, '1.0.0', '1.1.0');
    const ab = await abTests.insertAbTest(test.db, {
      modelAVersion: '1.0.0',
      modelBVersion: '1.1.0',
      trafficSplit: 10,
      startTime: new Date(),
    });
    const trade = (key: string, minutes: number, overrides: Partial<LiveTrade> = {}): LiveTrade => ({
      idempotencyKey: key,
      symbol: 'NVDA',
      side: 'long',
      quantity: 2,
      entryTime: new Date(Date.UTC(2026, 10, 20, 14, minutes)),
      entryPrice: 100,
      exitTime: new Date(Date.UTC(2026, 10, 20, 15, minutes)),
      exitPrice: 101,
      fees: 0.2,
      pnl: 1.8,
      status: 'closed',
      modelVersion: '1.1.0',
      abTestId: ab.id,
      arm: 'B',
      observation: [0.1, -0.2, 1e-9],
      account: 'acct-1',
      ...overrides,
    });
    const batch = [
      trade('t1', 0),
      trade('t2', 5),
      trade('t3', 10, {
        status: 'open',
        exitTime: null,
        exitPrice: null,
        pnl: null,
        arm: null,
        abTestId: null,
      }),
    ];
    expect(await liveTrades.insertTrades(test.db, batch)).toEqual({ inserted: 3, closed: 0 });
    expect(await liveTrades.insertTrades(test.db, [...batch, trade('t4', 15)])).toEqual({
      inserted: 1,
      closed: 0,
    });
    // The open trade arrives closed: it is closed; a changed closed trade is left as it was.
    const closing = trade('t3', 10, { arm: null, abTestId: null, exitPrice: 105, pnl: 9.8 });
    const rewritten = trade('t1', 0, { exitPrice: 1, pnl: -200 });
    expect(await liveTrades.insertTrades(test.db, [closing, rewritten])).toEqual({ inserted: 0, closed: 1 });
    expect(await liveTrades.findTrade(test.db, 't3')).toMatchObject({
      status: 'closed',
      exitPrice: 105,
      pnl: 9.8,
    });
    expect(await liveTrades.findTrade(test.db, 't1')).toMatchObject({ exitPrice: 101, pnl: 1.8 });
    const closed = await liveTrades.listTrades(test.db);
    expect(closed.map((t) => t.idempotencyKey)).toEqual(['t4', 't3', 't2', 't1']);
    expect(closed[3]).toMatchObject({ ...batch[0], id: expect.stringMatching(UUID) });
    const all = await liveTrades.listTrades(test.db, { includeOpen: true, abTestId: undefined });
    expect(all).toHaveLength(4);
    expect((await liveTrades.findTrade(test.db, 't3'))?.observation).toEqual([0.1, -0.2, 1e-9]);
    expect(await liveTrades.listTrades(test.db, { abTestId: ab.id })).toHaveLength(3);
  });

  it('tracks a retraining job from queued to succeeded with its logs', async () => {
    await addVersions(test.db, '1.0.0');
    const job = await retrainingJobs.createJob(test.db, {
      trigger: 'schedule',
      config: { epochs: 3 },
      dataStart: new Date('2026-11-15T00:00:00Z'),
      dataEnd: new Date('2026-11-22T00:00:00Z'),
    });
    expect(job).toMatchObject({ status: 'queued', progress: 0, logs: [], attempt: 1 });
    await retrainingJobs.startJob(test.db, job.id, 'host-1');
    await retrainingJobs.updateJobProgress(test.db, job.id, {
      stage: 'collect',
      progress: 0.1,
      logs: [{ time: 't1', level: 'info', message: 'collected 500 trades' }],
    });
    await retrainingJobs.updateJobProgress(test.db, job.id, {
      stage: 'train',
      progress: 0.5,
      logs: [{ time: 't2', level: 'info', message: 'epoch 1' }],
    });
    expect((await retrainingJobs.findRunningJob(test.db))?.id).toBe(job.id);
    const done = await retrainingJobs.finishJob(test.db, job.id, {
      status: 'succeeded',
      resultVersion: '1.0.0',
      result: { gates: 'passed' },
    });
    expect(done).toMatchObject({
      status: 'succeeded',
      progress: 1,
      stage: 'train',
      resultVersion: '1.0.0',
      worker: 'host-1',
    });
    expect(done.logs.map((line) => line.message)).toEqual(['collected 500 trades', 'epoch 1']);
    expect(done.finishedAt).toBeInstanceOf(Date);
    expect((await retrainingJobs.listJobs(test.db)).map((j) => j.id)).toEqual([job.id]);
  });

  it('stores prediction samples for drift in time order', async () => {
    await addVersions(test.db, '1.0.0');
    const samples = Array.from({ length: 50 }, (_, i) => ({
      version: '1.0.0',
      ts: new Date(Date.UTC(2026, 10, 20, 0, 50 - i)),
      observation: [i, i / 2],
      action: i % 3,
      arm: null,
      symbol: 'ES',
    }));
    expect(await predictionSamples.insertPredictionSamples(test.db, samples)).toBe(50);
    const loaded = await predictionSamples.listPredictionSamples(test.db, { version: '1.0.0' });
    expect(loaded).toHaveLength(50);
    expect(loaded[0]).toMatchObject({ observation: [49, 24.5], action: 1, symbol: 'ES' });
    expect(typeof loaded[0]!.id).toBe('number');
  });

  it('counts rows in every table', async () => {
    await addVersions(test.db, '1.0.0', '1.1.0');
    const counts = await status.tableRowCounts(test.db);
    expect(counts.ml_model_versions).toBe(2);
    expect(counts.live_trades).toBe(0);
    expect(Object.keys(counts)).toHaveLength(TABLES.length);
  });
});
