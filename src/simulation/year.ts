/**
 * A year of operation in minutes: the simulation moves the clock and feeds the market, and the
 * system's own components do the rest. Each simulated week, day by day: the on-call reviews alerts
 * at 08:00; on weekdays the session's bars are stored at the 16:00 close and the bots' trades,
 * decided by the real `Predictor`, are reported through the trade importer (the API's path); the
 * monitoring tick runs at 20:00 (live metrics, degradation and rollback, the A/B test, drift); the
 * retraining runs at the cron schedule's instants (Sunday 02:00 UTC). After every week the
 * invariants are read back from the database; the first violation stops the year.
 */
import type { RetrainingConfigInput } from '../config/schema.js';
import type { Database } from '../db/types.js';
import { Predictor } from '../deployment/predictor.js';
import { Logger } from '../logging/logger.js';
import { importBars } from '../market/import/bars.js';
import { importTrades } from '../market/import/trades.js';
import { RetrainingSystem } from '../orchestration/system.js';
import { initTensorFlow } from '../rl/backend.js';
import { listJobs } from '../store/retraining-jobs.js';
import { listVersions } from '../store/versions.js';
import type { AlertContext } from './alerts.js';
import { reviewAlerts } from './alerts.js';
import { SimulatedClock } from './clock.js';
import { barsBetween, manualSession, TradingDesk, type FedTrade } from './desk.js';
import { checkInvariants, INVARIANTS, InvariantError } from './invariants.js';
import { DEFAULT_ERAS, generateYearMarket, type MarketEra } from './market.js';
import { summariseWeek, summariseYear, type WeekRow, type YearReport } from './summary.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Small and quick on purpose: the point is the operations, not model quality. Three PPO
 * iterations on a week of 5-minute bars, no tuning, daily checks; gates a trend follower judged on
 * one held-out day can meet (a low win rate, ten trades); and a decay threshold of a half, because
 * a live Sharpe over a few days' trades scatters widely around the backtest's (at the product's
 * 10 % a model earning half its backtest Sharpe is rolled back); A/B tests give the candidate half
 * the bots. The learning rate is three times the product's so that a week's retraining moves the
 * warm-started model far enough to trade differently: at 0.001 the arms traded almost alike and no
 * test was won. A confidence of 0.55 lets a real difference win within a test's two weeks (about
 * 80 trades per arm a week). With these, seed 1's year promotes candidates and monitoring rolls
 * them back when the market turns (docs/simulation.md).
 */
export const SIMULATION_CONFIG: RetrainingConfigInput = {
  dataCollection: { lookbackDays: 7, minTradesThreshold: 30 },
  training: {
    epochs: 3,
    batchSize: 1024,
    learningRate: 0.003,
    hyperparameterOptimization: { enabled: false },
  },
  evaluation: {
    minTradesForValidation: 10,
    minWinRate: 0.3,
    minProfitFactor: 1.1,
    performanceDecayThreshold: 0.5,
  },
  deployment: {
    abTesting: { enabled: true, trafficSplit: 50, minConfidenceThreshold: 0.55 },
    cooldownPeriodHours: 24,
  },
  monitoring: { modelDriftDetection: { checkIntervalHours: 24 } },
};

export interface YearOptions {
  db: Database;
  weeks?: number;
  seed?: number;
  /** Monday 00:00 UTC of the first week. */
  start?: Date;
  historyWeeks?: number;
  symbols?: string[];
  eras?: readonly MarketEra[];
  config?: RetrainingConfigInput;
  logger?: Logger;
  /** Called after each week's invariants held. */
  onWeek?: (row: WeekRow) => void;
}

export const DEFAULT_START = new Date('2030-01-07T00:00:00Z');

type Step = { at: Date; kind: 'review' | 'session' | 'check' | 'retrain' };

export async function simulateYear(options: YearOptions): Promise<YearReport> {
  const started = performance.now();
  const weeks = options.weeks ?? 52;
  const seed = options.seed ?? 1;
  const historyWeeks = options.historyWeeks ?? 4;
  const start = options.start ?? DEFAULT_START;
  const { db } = options;
  const market = generateYearMarket({
    seed,
    start,
    historyWeeks,
    weeks,
    symbols: options.symbols ?? ['SYNA', 'SYNB', 'SYNC', 'SYND'],
    interval: '5m',
    eras: options.eras ?? DEFAULT_ERAS,
  });
  const epoch = market.weekStart(-historyWeeks);
  const clock = new SimulatedClock(epoch);
  const logger = options.logger ?? new Logger({ logToConsole: false });
  await initTensorFlow();
  const system = await RetrainingSystem.create(options.config ?? SIMULATION_CONFIG, {
    db,
    jobs: false,
    env: {},
    logger,
    now: clock.now,
    firstModelLookbackDays: historyWeeks * 7,
  });
  const { retrainingService, alerter } = system.services;
  const predictor = new Predictor(db, {
    now: clock.now,
    sampleRate: 0.2,
    maxSamplesPerSecond: Infinity,
    seed,
  });
  const desk = new TradingDesk(market.bars);
  const rounds: { at: Date; due: boolean }[] = [];
  const rows: WeekRow[] = [];
  let lastReview: Date | null = null;
  let totalFed = 0;
  /** Wall seconds per kind of step, to see where a simulated year's time goes. */
  const timings: Record<Step['kind'] | 'invariants', number> = {
    review: 0,
    session: 0,
    check: 0,
    retrain: 0,
    invariants: 0,
  };

  const alertContext = async (): Promise<AlertContext> => ({
    statuses: new Map((await listVersions(db, { limit: 1_000_000 })).map((v) => [v.version, v.status])),
    latestJob: (await listJobs(db, 1))[0]?.status ?? null,
  });

  try {
    for (let week = -historyWeeks; week < weeks; week++) {
      const weekStart = market.weekStart(week);
      const weekEnd = market.weekStart(week + 1);
      const fed: FedTrade[] = [];
      const retrainings: string[] = [];
      // The schedule goes live with the last history week, whose retraining makes the first model.
      const cron = week >= -1 ? retrainingService.nextRuns(8, new Date(weekStart.getTime() - 1)) : [];
      const steps: Step[] = [
        ...cron.filter((at) => at < weekEnd).map((at) => ({ at, kind: 'retrain' as const })),
        ...Array.from({ length: 7 }, (_, d) => [
          { at: new Date(weekStart.getTime() + d * DAY_MS + 8 * HOUR_MS), kind: 'review' as const },
          ...(d < 5
            ? [{ at: new Date(weekStart.getTime() + d * DAY_MS + 16 * HOUR_MS), kind: 'session' as const }]
            : []),
          { at: new Date(weekStart.getTime() + d * DAY_MS + 20 * HOUR_MS), kind: 'check' as const },
        ]).flat(),
      ].sort((a, b) => a.at.getTime() - b.at.getTime());

      for (const step of steps) {
        clock.advanceTo(step.at);
        const stepStarted = performance.now();
        if (step.kind === 'review') {
          await reviewAlerts(alerter, await alertContext());
          lastReview = step.at;
        } else if (step.kind === 'session') {
          const dayStart = new Date(step.at.getTime() - 16 * HOUR_MS);
          const sessionBars = [...market.bars.values()].flatMap((list) =>
            barsBetween(list, dayStart, step.at),
          );
          await importBars(db, sessionBars, { interval: market.options.interval });
          await predictor.refresh();
          const session = predictor.ready
            ? desk.tradeSession(predictor, dayStart, step.at)
            : manualSession(market.bars, dayStart, step.at, seed);
          await importTrades(
            db,
            session.map((f) => f.trade),
          );
          await predictor.flushSamples();
          fed.push(...session);
          totalFed += session.length;
        } else if (step.kind === 'check') {
          rounds.push({ at: step.at, due: await retrainingService.monitoringTick() });
        } else {
          const { result } = await retrainingService.runRetraining({
            trigger: 'schedule',
            seed: seed * 1000 + week + historyWeeks,
          });
          retrainings.push(
            result.status === 'succeeded' ? result.reason : `${result.status}: ${result.reason}`,
          );
        }
        timings[step.kind] += (performance.now() - stepStarted) / 1000;
      }

      const checkStarted = performance.now();
      const violations = await checkInvariants({
        db,
        now: clock.now(),
        epoch,
        week: { start: weekStart, end: weekEnd, fed },
        totalFed,
        rounds,
        lastReview,
        alertContext: await alertContext(),
      });
      timings.invariants += (performance.now() - checkStarted) / 1000;
      if (violations.length > 0) throw new InvariantError(week, violations);
      if (week < 0) continue;
      const row = await summariseWeek(db, {
        week,
        start: weekStart,
        end: weekEnd,
        era: market.eraOf(week).kind,
        fed,
        retrainings,
        invariantsHeld: INVARIANTS.length,
      });
      rows.push(row);
      options.onWeek?.(row);
    }
    return await summariseYear(db, {
      seed,
      rows,
      seconds: (performance.now() - started) / 1000,
      timings,
    });
  } finally {
    await predictor.stop();
    await system.stop();
  }
}
