/**
 * What the system did in a simulated week and over the year, read from the database it wrote
 * (the ledger, alerts, A/B tests, jobs, trades), not from what the simulation believes happened.
 */
import type { Database } from '../db/types.js';
import { liveMetrics } from '../monitoring/performance.js';
import { listAbTests } from '../store/ab-tests.js';
import { ALERT_SEVERITIES, listAlerts, type AlertSeverity } from '../store/alerts.js';
import { listDeploymentEvents, type DeploymentEventRow } from '../store/deployment-events.js';
import { closedTradeReturns } from '../store/live-trades.js';
import { listJobs } from '../store/retraining-jobs.js';
import { findProductionVersion, listVersions } from '../store/versions.js';
import type { FedTrade } from './desk.js';
import type { EraKind } from './market.js';

const ALL = 1_000_000;

export interface Marker {
  at: Date;
  kind: 'deploy' | 'rollback';
  label: string;
}

export interface WeekRow {
  /** 1-based week of the year. */
  week: number;
  start: Date;
  era: EraKind;
  /** In production at the week's end. */
  production: string | null;
  trades: number;
  /** Sum of the week's trades' pnl, in price units. */
  pnl: number;
  /** Live Sharpe of the week's trades, as monitoring computes it (per trade, annualised). */
  sharpe: number | null;
  /** The ledger's deployment changes and A/B events of the week. */
  events: string[];
  retrainings: string[];
  alerts: Record<AlertSeverity, number>;
  /** PnL of each session, for the equity curve. */
  sessions: { at: Date; pnl: number }[];
  markers: Marker[];
  invariantsHeld: number;
}

export interface QuarterRow {
  quarter: number;
  trades: number;
  pnl: number;
  sharpe: number | null;
  winRate: number | null;
}

export interface YearReport {
  seed: number;
  seconds: number;
  /** Wall seconds by kind of step (retrain, session, check, review, invariants). */
  timings: Record<string, number>;
  weeks: WeekRow[];
  summary: {
    versions: number;
    versionsByStatus: Record<string, number>;
    retrainings: Record<string, number>;
    deployments: number;
    promotions: number;
    rollbacks: number;
    abTests: {
      total: number;
      promoted: number;
      keptA: number;
      inconclusive: number;
      stopped: number;
      active: number;
    };
    alerts: Record<AlertSeverity, number>;
    openAlerts: number;
    quarters: QuarterRow[];
  };
}

export async function summariseWeek(
  db: Database,
  input: {
    week: number;
    start: Date;
    end: Date;
    era: EraKind;
    fed: readonly FedTrade[];
    retrainings: string[];
    invariantsHeld: number;
  },
): Promise<WeekRow> {
  const inWeek = (at: Date) => at >= input.start && at < input.end;
  const events = (await listDeploymentEvents(db, { limit: ALL }))
    .filter((e) => inWeek(e.timestamp))
    .reverse();
  const alerts = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>;
  for (const alert of await listAlerts(db, { limit: ALL }))
    if (inWeek(alert.timestamp)) alerts[alert.severity]++;
  const closed = input.fed
    .map((f) => f.trade)
    .filter((t) => t.pnl !== null && t.exitTime !== null)
    .sort((a, b) => a.exitTime!.getTime() - b.exitTime!.getTime());
  const metrics = liveMetrics(
    {
      returns: Float64Array.from(closed, (t) => t.pnl! / (t.entryPrice * t.quantity)),
      exitTimes: Float64Array.from(closed, (t) => t.exitTime!.getTime()),
    },
    { start: input.start, end: input.end },
  );
  const sessions = new Map<number, number>();
  for (const t of closed) {
    const day = Math.floor(t.exitTime!.getTime() / 86_400_000) * 86_400_000 + 16 * 3_600_000;
    sessions.set(day, (sessions.get(day) ?? 0) + t.pnl!);
  }
  return {
    week: input.week + 1,
    start: input.start,
    era: input.era,
    production: (await findProductionVersion(db))?.version ?? null,
    trades: closed.length,
    pnl: closed.reduce((sum, t) => sum + t.pnl!, 0),
    sharpe: metrics.sharpeRatio,
    events: events.filter((e) => e.action !== 'register').map(describeEvent),
    retrainings: input.retrainings,
    alerts,
    sessions: [...sessions].map(([at, pnl]) => ({ at: new Date(at), pnl })),
    markers: events
      .filter((e) => e.action === 'deploy' || e.action === 'rollback')
      .map((e) => ({
        at: e.timestamp,
        kind: e.action as Marker['kind'],
        label: e.action === 'rollback' ? `${e.fromVersion}→${e.version}` : e.version,
      })),
    invariantsHeld: input.invariantsHeld,
  };
}

function describeEvent(e: DeploymentEventRow): string {
  switch (e.action) {
    case 'deploy':
      return e.actor === 'ab-test' ? `promoted ${e.version}` : `deployed ${e.version}`;
    case 'rollback':
      return `rolled back ${e.fromVersion} → ${e.version}`;
    case 'ab_test_start':
      return `A/B ${e.version} started`;
    case 'ab_test_complete':
      return `A/B ${e.version} ended (${String(e.details?.winner ?? '?')})`;
    case 'ab_test_stop':
      return `A/B ${e.version} stopped`;
    default:
      return `${e.action} ${e.version}`;
  }
}

export async function summariseYear(
  db: Database,
  input: {
    seed: number;
    rows: WeekRow[];
    seconds: number;
    timings: Record<string, number>;
  },
): Promise<YearReport> {
  const versions = await listVersions(db, { limit: ALL });
  const events = await listDeploymentEvents(db, { limit: ALL });
  const tests = await listAbTests(db, ALL);
  const alerts = await listAlerts(db, { limit: ALL });
  const countBy = <T>(items: readonly T[], key: (item: T) => string) =>
    items.reduce<Record<string, number>>(
      (acc, item) => ({ ...acc, [key(item)]: (acc[key(item)] ?? 0) + 1 }),
      {},
    );
  const severities = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>;
  for (const alert of alerts) severities[alert.severity]++;
  const quarters: QuarterRow[] = [];
  const weeksPerQuarter = Math.ceil(input.rows.length / 4);
  for (let q = 0; q * weeksPerQuarter < input.rows.length; q++) {
    const rows = input.rows.slice(q * weeksPerQuarter, (q + 1) * weeksPerQuarter);
    const from = rows[0]!.start;
    const to = new Date(rows.at(-1)!.start.getTime() + 7 * 86_400_000);
    const metrics = liveMetrics(await closedTradeReturns(db, { from, to }), { start: from, end: to });
    quarters.push({
      quarter: q + 1,
      trades: metrics.tradeCount,
      pnl: rows.reduce((sum, r) => sum + r.pnl, 0),
      sharpe: metrics.sharpeRatio,
      winRate: metrics.winRate,
    });
  }
  return {
    seed: input.seed,
    seconds: input.seconds,
    timings: input.timings,
    weeks: input.rows,
    summary: {
      versions: versions.length,
      versionsByStatus: countBy(versions, (v) => v.status),
      retrainings: countBy(await listJobs(db, ALL), (j) => j.status),
      deployments: events.filter((e) => e.action === 'deploy').length,
      promotions: events.filter((e) => e.action === 'deploy' && e.actor === 'ab-test').length,
      rollbacks: events.filter((e) => e.action === 'rollback').length,
      abTests: {
        total: tests.length,
        promoted: tests.filter((t) => t.winner === 'model_b').length,
        keptA: tests.filter((t) => t.winner === 'model_a').length,
        inconclusive: tests.filter((t) => t.winner === 'inconclusive').length,
        stopped: tests.filter((t) => t.status === 'stopped').length,
        active: tests.filter((t) => t.status === 'active').length,
      },
      alerts: severities,
      openAlerts: alerts.filter((a) => a.resolvedAt === null).length,
      quarters,
    },
  };
}
