import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { migrate } from '../../db/migrate.js';
import { seedDemoData } from '../../market/demo.js';
import { tableRowCounts } from '../../store/status.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { printResult, type OutputOptions } from '../output.js';
import { formatStatus, readStatus, type StatusReport } from './status.js';

/**
 * What `retrain start` does not do yet: it prepares the database and the demo market; the
 * scheduler, worker and monitoring run under `retrain worker`, a retraining under `retrain run`.
 */
const NOT_BUILT_YET = [
  'the HTTP API and dashboard (until then: `retrain worker` runs the schedule, jobs and monitoring; `retrain run` retrains now)',
];

interface StartResult {
  config: { valid: true; sources: string[] };
  migrations: { applied: number };
  /** Sessions of demo market stored by this start, or null when none was needed. */
  demo: { sessions: number; barsInserted: number; tradesInserted: number } | null;
  status: StatusReport;
  notBuiltYet: string[];
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'validate the configuration, migrate the database, store the demo market on a new embedded database, report its status',
    )
    .option('--demo', 'store (or extend) the demo market and trades even on a server or a database with bars')
    .option('--no-demo', 'never store the demo market')
    .option('--json', 'print one JSON document for scripts')
    .option('--config <file>', 'configuration file (default RETRAINING_CONFIG or ./retraining.config.json)')
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(async (options: OutputOptions & DatabaseFlags & { config?: string; demo?: boolean }) => {
      // The configuration is checked before anything touches the database.
      const loaded = await loadConfig(options.config ? { file: options.config } : {});
      const result = await withDatabase(
        options,
        async (db): Promise<StartResult> => {
          const report = await migrate(db);
          // A newcomer's first start gets data to look at; an operator's server database is left alone.
          const empty = (await tableRowCounts(db)).market_bars === 0;
          const seed =
            options.demo === true ? true : options.demo === false ? false : db.kind === 'embedded' && empty;
          const demo = seed ? await seedDemoData(db) : null;
          return {
            config: { valid: true, sources: loaded.sources },
            migrations: { applied: report.applied.length },
            demo: demo && {
              sessions: demo.sessions,
              barsInserted: demo.bars.stored.inserted,
              tradesInserted: demo.trades.stored.inserted,
            },
            status: await readStatus(db, loaded.config),
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
          ...(value.demo
            ? [
                `demo market stored: ${value.demo.sessions} sessions, ${value.demo.barsInserted} new bars, ` +
                  `${value.demo.tradesInserted} new simulated trades`,
              ]
            : []),
          formatStatus(value.status),
          '',
          `Not built yet: ${value.notBuiltYet.join('; ')}.`,
        ].join('\n'),
      );
    });
}
