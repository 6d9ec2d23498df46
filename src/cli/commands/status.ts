import type { Command } from 'commander';
import { latestSchemaVersion, schemaVersion } from '../../db/migrate.js';
import type { Database } from '../../db/types.js';
import { loadConfig } from '../../config/index.js';
import type { RetrainingConfig } from '../../config/schema.js';
import { nextRuns } from '../../orchestration/jobs.js';
import { findRunningJob } from '../../store/retraining-jobs.js';
import { tableRowCounts } from '../../store/status.js';
import { findProductionVersion } from '../../store/versions.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { printResult, table, type OutputOptions } from '../output.js';

export interface StatusReport {
  database: { kind: Database['kind']; location: string };
  schemaVersion: number;
  latestSchemaVersion: number;
  upToDate: boolean;
  tables: Record<string, number>;
  /** On a current schema: what is in production, what runs, and when the schedule fires next. */
  production?: { version: string; deployedAt: Date | null } | null;
  currentJob?: { id: string; stage: string | null; progress: number; worker: string | null } | null;
  schedule?: { enabled: boolean; cronExpression: string; timezone: string; nextRuns: Date[] };
}

export async function readStatus(db: Database, config?: RetrainingConfig): Promise<StatusReport> {
  const version = await schemaVersion(db);
  const latest = latestSchemaVersion();
  const report: StatusReport = {
    database: { kind: db.kind, location: db.location },
    schemaVersion: version,
    latestSchemaVersion: latest,
    upToDate: version === latest,
    tables: await tableRowCounts(db),
  };
  if (!report.upToDate || !config) return report;
  const production = await findProductionVersion(db);
  const running = await findRunningJob(db);
  const { schedule } = config;
  return {
    ...report,
    production: production ? { version: production.version, deployedAt: production.deployedAt } : null,
    currentJob: running
      ? { id: running.id, stage: running.stage, progress: running.progress, worker: running.worker }
      : null,
    schedule: {
      enabled: schedule.enabled,
      cronExpression: schedule.cronExpression,
      timezone: schedule.timezone,
      nextRuns: schedule.enabled ? nextRuns(schedule, new Date(), 3) : [],
    },
  };
}

export function formatStatus(report: StatusReport): string {
  const schema = report.upToDate
    ? `schema version ${report.schemaVersion} (current)`
    : `schema version ${report.schemaVersion} of ${report.latestSchemaVersion}: run \`retrain migrate\``;
  const lines = [
    `database: ${report.database.kind === 'embedded' ? 'embedded PostgreSQL (PGlite)' : 'PostgreSQL server'} at ${report.database.location}`,
    schema,
  ];
  if (report.production !== undefined) {
    lines.push(`production: ${report.production ? report.production.version : 'none'}`);
  }
  if (report.currentJob !== undefined) {
    const job = report.currentJob;
    lines.push(
      `retraining: ${job ? `${job.id} at ${job.stage ?? 'start'} (${Math.round(job.progress * 100)} %) on ${job.worker ?? '?'}` : 'none running'}`,
    );
  }
  if (report.schedule) {
    const s = report.schedule;
    lines.push(
      `schedule: ${s.enabled ? `${s.cronExpression} (${s.timezone}), next ${s.nextRuns.map((d) => d.toISOString()).join(', ')}` : 'disabled'}`,
    );
  }
  return [
    ...lines,
    '',
    table(
      ['table', 'rows'],
      Object.entries(report.tables).map(([name, rows]) => [name, rows]),
    ),
  ].join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show the database in use, its schema version and the rows in each table')
    .option('--json', 'print one JSON document for scripts')
    .option('--config <file>', 'configuration file (default RETRAINING_CONFIG or ./retraining.config.json)')
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(async (options: OutputOptions & DatabaseFlags & { config?: string }) => {
      const { config } = await loadConfig(options.config ? { file: options.config } : {});
      const report = await withDatabase(options, (db) => readStatus(db, config), { migrate: false });
      printResult(options, report, formatStatus);
    });
}
