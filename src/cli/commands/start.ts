import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { migrate } from '../../db/migrate.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { printResult, type OutputOptions } from '../output.js';
import { formatStatus, readStatus, type StatusReport } from './status.js';

/** What `retrain start` does today; the API, dashboard, scheduler and workers join it as they are built. */
const NOT_BUILT_YET = [
  'market data import and the demo market',
  'PPO/CPPO training',
  'model registry and deployment',
  'monitoring and alerts',
  'the scheduler and workers',
  'the HTTP API and dashboard',
];

interface StartResult {
  config: { valid: true; sources: string[] };
  migrations: { applied: number };
  status: StatusReport;
  notBuiltYet: string[];
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('validate the configuration, migrate the database and report its status')
    .option('--json', 'print one JSON document for scripts')
    .option('--config <file>', 'configuration file (default RETRAINING_CONFIG or ./retraining.config.json)')
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(async (options: OutputOptions & DatabaseFlags & { config?: string }) => {
      // The configuration is checked before anything touches the database.
      const loaded = await loadConfig(options.config ? { file: options.config } : {});
      const result = await withDatabase(
        options,
        async (db): Promise<StartResult> => {
          const report = await migrate(db);
          return {
            config: { valid: true, sources: loaded.sources },
            migrations: { applied: report.applied.length },
            status: await readStatus(db),
            notBuiltYet: NOT_BUILT_YET,
          };
        },
        { migrate: false },
      );
      printResult(options, result, (value) =>
        [
          `configuration is valid (${value.config.sources.join(', ')})`,
          value.migrations.applied > 0
            ? `applied ${value.migrations.applied} migration(s)`
            : 'schema is current',
          formatStatus(value.status),
          '',
          `Not built yet: ${value.notBuiltYet.join('; ')}.`,
        ].join('\n'),
      );
    });
}
