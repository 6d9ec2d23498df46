import type { Command } from 'commander';
import { migrate, type MigrationReport } from '../../db/migrate.js';
import type { Database } from '../../db/types.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { printResult, type OutputOptions } from '../output.js';

export interface MigrateResult extends MigrationReport {
  database: { kind: Database['kind']; location: string };
}

export function formatMigration(result: MigrateResult): string {
  const applied = result.applied.map((migration) => `  applied ${migration.version} ${migration.name}`);
  const summary =
    result.applied.length === 0
      ? `schema is current (version ${result.schemaVersion})`
      : `schema migrated to version ${result.schemaVersion}`;
  return [`database: ${result.database.kind} at ${result.database.location}`, ...applied, summary].join('\n');
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending schema migrations to DATABASE_URL or the embedded database')
    .option('--json', 'print one JSON document for scripts')
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(async (options: OutputOptions & DatabaseFlags) => {
      const result = await withDatabase(
        options,
        async (db) => ({
          database: { kind: db.kind, location: db.location },
          ...(await migrate(db)),
        }),
        { migrate: false },
      );
      printResult(options, result, formatMigration);
    });
}
