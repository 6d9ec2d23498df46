import type { Command } from 'commander';
import { latestSchemaVersion, schemaVersion } from '../../db/migrate.js';
import type { Database } from '../../db/types.js';
import { tableRowCounts } from '../../store/status.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { printResult, table, type OutputOptions } from '../output.js';

export interface StatusReport {
  database: { kind: Database['kind']; location: string };
  schemaVersion: number;
  latestSchemaVersion: number;
  upToDate: boolean;
  tables: Record<string, number>;
}

export async function readStatus(db: Database): Promise<StatusReport> {
  const version = await schemaVersion(db);
  const latest = latestSchemaVersion();
  return {
    database: { kind: db.kind, location: db.location },
    schemaVersion: version,
    latestSchemaVersion: latest,
    upToDate: version === latest,
    tables: await tableRowCounts(db),
  };
}

export function formatStatus(report: StatusReport): string {
  const schema = report.upToDate
    ? `schema version ${report.schemaVersion} (current)`
    : `schema version ${report.schemaVersion} of ${report.latestSchemaVersion}: run \`retrain migrate\``;
  return [
    `database: ${report.database.kind === 'embedded' ? 'embedded PostgreSQL (PGlite)' : 'PostgreSQL server'} at ${report.database.location}`,
    schema,
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
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(async (options: OutputOptions & DatabaseFlags) => {
      const report = await withDatabase(options, readStatus, { migrate: false });
      printResult(options, report, formatStatus);
    });
}
