/**
 * What must hold after every simulated week, read back from the database the system wrote. Each
 * check returns violations naming the invariant and the rows that break it; `docs/simulation.md`
 * states each one exactly.
 */
import type { Database } from '../db/types.js';
import { listAbTests } from '../store/ab-tests.js';
import { listAlerts } from '../store/alerts.js';
import { listDeploymentEvents, type DeploymentEventRow } from '../store/deployment-events.js';
import { listDriftReports } from '../store/drift.js';
import { listTrades } from '../store/live-trades.js';
import { listPerformanceMetrics } from '../store/performance-metrics.js';
import { tableRowCounts } from '../store/status.js';
import { listVersions, type ModelVersionRow, type VersionStatus } from '../store/versions.js';
import { alertCause, type AlertContext } from './alerts.js';
import type { FedTrade } from './desk.js';

export const INVARIANTS = [
  'one production version',
  'every status change has its deployment event',
  'no trade lost or counted twice',
  'metrics history without holes',
  'every open alert has a cause',
  'system time only',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: InvariantName;
  message: string;
}

export interface InvariantInput {
  db: Database;
  now: Date;
  /** The simulation's first instant: nothing the system writes may be older. */
  epoch: Date;
  week: { start: Date; end: Date; fed: readonly FedTrade[] };
  /** Trades fed since the start. */
  totalFed: number;
  /** Every monitoring tick so far and whether it ran the checks. */
  rounds: readonly { at: Date; due: boolean }[];
  /** The on-call's last review, or null before the first. */
  lastReview: Date | null;
  alertContext: AlertContext;
}

export class InvariantError extends Error {
  constructor(
    readonly week: number,
    readonly violations: readonly Violation[],
  ) {
    super(
      `simulated week ${week}: ${violations.length} invariant violation(s):\n` +
        violations.map((v) => `  - ${v.invariant}: ${v.message}`).join('\n'),
    );
  }
}

const ALL = 1_000_000;

export async function checkInvariants(input: InvariantInput): Promise<Violation[]> {
  const { db } = input;
  const versions = await listVersions(db, { limit: ALL });
  // Oldest first; within one instant, in the order they were written.
  const events = (await listDeploymentEvents(db, { limit: ALL })).reverse();
  return [
    ...productionInvariant(versions, events),
    ...ledgerInvariant(versions, events),
    ...(await tradesInvariant(input)),
    ...(await metricsInvariant(input, events)),
    ...(await alertsInvariant(input)),
    ...(await clockInvariant(input, versions, events)),
  ];
}

function productionInvariant(versions: ModelVersionRow[], events: DeploymentEventRow[]): Violation[] {
  const production = versions.filter((v) => v.status === 'production').map((v) => v.version);
  const deployed = events.some((e) => e.action === 'deploy');
  const expected = deployed ? 1 : 0;
  if (production.length === expected) return [];
  return [
    {
      invariant: 'one production version',
      message: `${production.length} versions in production (${production.join(', ') || 'none'}); expected ${expected}`,
    },
  ];
}

/**
 * Replays the ledger into the status each version must have. A version whose run did not finish
 * is `failed` without an event: that is not a deployment change (it never left `training`).
 */
function ledgerInvariant(versions: ModelVersionRow[], events: DeploymentEventRow[]): Violation[] {
  const replayed = new Map<string, VersionStatus>();
  const lastProductionEvent = new Map<string, DeploymentEventRow>();
  for (const e of events) {
    switch (e.action) {
      case 'register':
        replayed.set(e.version, 'training');
        break;
      case 'validate':
      case 'ab_test_stop':
        replayed.set(e.version, 'validated');
        break;
      case 'reject':
        replayed.set(e.version, 'rejected');
        break;
      case 'ab_test_start':
        replayed.set(e.version, 'ab_testing');
        break;
      case 'ab_test_complete':
        // A promoted candidate stays in ab_testing until its deploy event.
        if (e.details?.winner !== 'model_b') replayed.set(e.version, 'retired');
        break;
      case 'deploy':
      case 'rollback':
        if (e.fromVersion) replayed.set(e.fromVersion, e.action === 'deploy' ? 'retired' : 'rolled_back');
        replayed.set(e.version, 'production');
        lastProductionEvent.set(e.version, e);
        break;
    }
  }
  const violations: Violation[] = [];
  const add = (message: string) =>
    violations.push({ invariant: 'every status change has its deployment event', message });
  for (const v of versions) {
    const expected = replayed.get(v.version);
    const unfinished = v.status === 'failed' && expected === 'training';
    if (expected !== v.status && !unfinished)
      add(`${v.version} is ${v.status} but its events say ${expected ?? 'nothing (no register event)'}`);
    const last = lastProductionEvent.get(v.version);
    if (v.status === 'production' && last && v.deployedAt?.getTime() !== last.timestamp.getTime()) {
      add(
        `${v.version} deployed_at ${v.deployedAt?.toISOString()} differs from its ${last.action} event at ${last.timestamp.toISOString()}`,
      );
    }
  }
  return violations;
}

/** This week's fed trades are stored once each, with the version and A/B arm that made them. */
async function tradesInvariant(input: InvariantInput): Promise<Violation[]> {
  const { db, week } = input;
  const violations: Violation[] = [];
  const add = (message: string) => violations.push({ invariant: 'no trade lost or counted twice', message });
  const stored = await listTrades(db, { from: week.start, to: week.end, includeOpen: true, limit: ALL });
  const byKey = new Map(stored.map((row) => [row.idempotencyKey, row]));
  if (byKey.size !== stored.length) add(`${stored.length - byKey.size} trade keys stored twice this week`);
  const fedKeys = new Set(week.fed.map((f) => f.trade.idempotencyKey));
  if (fedKeys.size !== week.fed.length) add(`the desk fed ${week.fed.length - fedKeys.size} keys twice`);
  const lost = week.fed.filter((f) => !byKey.has(f.trade.idempotencyKey));
  if (lost.length > 0)
    add(
      `${lost.length} of ${week.fed.length} trades fed this week are not stored (${lost[0]!.trade.idempotencyKey}…)`,
    );
  const unknown = stored.filter((row) => !fedKeys.has(row.idempotencyKey));
  if (unknown.length > 0) add(`${unknown.length} stored trades this week were never fed`);
  const misattributed = week.fed.filter((f) => {
    const row = byKey.get(f.trade.idempotencyKey);
    return row && (row.arm !== f.arm || row.modelVersion !== f.trade.modelVersion || row.status !== 'closed');
  });
  if (misattributed.length > 0) {
    const f = misattributed[0]!;
    const row = byKey.get(f.trade.idempotencyKey)!;
    add(
      `${misattributed.length} trades stored with another version, arm or status than fed: ${f.trade.idempotencyKey} fed ${f.trade.modelVersion}/${f.arm ?? '-'}, stored ${row.modelVersion}/${row.arm ?? '-'} ${row.status}`,
    );
  }
  const total = (await tableRowCounts(db)).live_trades;
  if (total !== input.totalFed) add(`${total} trades stored in all; ${input.totalFed} were fed`);
  return violations;
}

/**
 * Every monitoring tick was due (the checks ran every `checkIntervalHours`), and every round that
 * had a production model wrote exactly one live metrics row for the version in production before
 * it, one feature and one returns drift report, and one `ab_test` row per split test running;
 * no metrics row exists at any other instant.
 */
async function metricsInvariant(input: InvariantInput, events: DeploymentEventRow[]): Promise<Violation[]> {
  const { db, epoch } = input;
  const violations: Violation[] = [];
  const add = (message: string) => violations.push({ invariant: 'metrics history without holes', message });
  const metrics = await listPerformanceMetrics(db, { since: epoch, limit: ALL });
  const drift = await listDriftReports(db, { since: epoch, limit: ALL });
  const tests = (await listAbTests(db, ALL)).filter((t) => t.mode === 'ab');
  const rounds = new Set(input.rounds.map((r) => r.at.getTime()));
  const changes = events.filter(
    (e) => (e.action === 'deploy' || e.action === 'rollback') && e.status === 'success',
  );
  for (const round of input.rounds) {
    const at = round.at.getTime();
    const when = round.at.toISOString();
    if (!round.due) add(`the monitoring tick at ${when} did not run the checks`);
    const production = changes.filter((e) => e.timestamp.getTime() < at).at(-1)?.version ?? null;
    const live = metrics.filter((m) => m.source === 'live' && m.timestamp.getTime() === at);
    const expectedLive = production && round.due ? [production] : [];
    if (live.map((m) => m.version).join() !== expectedLive.join())
      add(
        `live metrics at ${when}: ${live.map((m) => m.version).join(', ') || 'none'}; expected ${expectedLive.join(', ') || 'none'}`,
      );
    for (const kind of ['features', 'returns'] as const) {
      const reports = drift.filter((d) => d.kind === kind && d.timestamp.getTime() === at);
      if (reports.length !== expectedLive.length)
        add(`${reports.length} ${kind} drift reports at ${when}; expected ${expectedLive.length}`);
    }
    const arms = metrics
      .filter((m) => m.source === 'ab_test' && m.timestamp.getTime() === at)
      .map((m) => m.version);
    const running = tests
      .filter((t) => t.startTime.getTime() < at && (t.endTime === null || t.endTime.getTime() >= at))
      .map((t) => t.modelBVersion);
    const expectedArms = production && round.due ? running : [];
    if (arms.sort().join() !== expectedArms.sort().join())
      add(
        `A/B metrics at ${when}: ${arms.join(', ') || 'none'}; expected ${expectedArms.join(', ') || 'none'}`,
      );
  }
  const stray = [...metrics, ...drift].filter((row) => !rounds.has(row.timestamp.getTime()));
  if (stray.length > 0)
    add(
      `${stray.length} metrics or drift rows at no monitoring round (${stray[0]!.timestamp.toISOString()})`,
    );
  return violations;
}

async function alertsInvariant(input: InvariantInput): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (message: string) => violations.push({ invariant: 'every open alert has a cause', message });
  for (const alert of await listAlerts(input.db, { limit: ALL })) {
    const what = `${alert.type} alert ${alert.id} (${alert.message.slice(0, 80)})`;
    if (alert.resolvedAt) {
      if (!alert.resolution?.trim()) add(`${what} is resolved without a resolution`);
      if (alert.resolvedAt < alert.timestamp) add(`${what} was resolved before it was raised`);
      continue;
    }
    const cause = alertCause(alert, input.alertContext);
    const sinceReview = input.lastReview === null || alert.lastSeenAt > input.lastReview;
    if (!cause.holds && !sinceReview)
      add(
        `${what} is open though ${cause.reason}, and the review at ${input.lastReview!.toISOString()} saw it`,
      );
  }
  return violations;
}

/** Every instant the system stamped comes from the simulated clock: none before the start or after now. */
async function clockInvariant(
  input: InvariantInput,
  versions: ModelVersionRow[],
  events: DeploymentEventRow[],
): Promise<Violation[]> {
  const { db, epoch, now } = input;
  const stamps: { what: string; at: Date | null }[] = [
    ...versions.map((v) => ({ what: `${v.version} deployed_at`, at: v.deployedAt })),
    ...events.map((e) => ({ what: `${e.action} event of ${e.version}`, at: e.timestamp })),
    ...(await listAlerts(db, { limit: ALL })).flatMap((a) => [
      { what: `alert ${a.id} timestamp`, at: a.timestamp },
      { what: `alert ${a.id} last_seen_at`, at: a.lastSeenAt },
      { what: `alert ${a.id} resolved_at`, at: a.resolvedAt },
    ]),
    ...(await listPerformanceMetrics(db, { limit: ALL })).map((m) => ({
      what: `metrics of ${m.version}`,
      at: m.timestamp,
    })),
    ...(await listDriftReports(db, { limit: ALL })).map((d) => ({
      what: `${d.kind} drift report of ${d.version}`,
      at: d.timestamp,
    })),
    ...(await listAbTests(db, ALL)).flatMap((t) => [
      { what: `A/B test ${t.id} start`, at: t.startTime },
      { what: `A/B test ${t.id} end`, at: t.endTime },
    ]),
  ];
  return stamps
    .filter(({ at }) => at !== null && (at < epoch || at > now))
    .slice(0, 5)
    .map(({ what, at }) => ({
      invariant: 'system time only' as const,
      message: `${what} is ${at!.toISOString()}, outside the simulated ${epoch.toISOString()} … ${now.toISOString()}`,
    }));
}
