import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { seedDemoData, type DemoReport } from '../../market/demo.js';
import { formatImportReport } from '../../market/import/report.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { printResult, type OutputOptions } from '../output.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'store the demo market (3 synthetic symbols, 5-minute bars) and its simulated live trades; idempotent',
    )
    .option('--now <instant>', 'pretend it is this instant (ISO 8601); default now')
    .option('--json', 'print one JSON document for scripts')
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(async (options: OutputOptions & DatabaseFlags & { now?: string }) => {
      const now = options.now === undefined ? new Date() : new Date(options.now);
      if (Number.isNaN(now.getTime()))
        throw new ValidationError(`--now "${options.now}" is not an instant`, 'now');
      const report = await withDatabase(options, (db) => seedDemoData(db, now));
      printResult(options, report, (value: DemoReport) =>
        [
          `demo market: ${value.sessions} sessions`,
          formatImportReport(value.bars),
          formatImportReport(value.trades),
        ].join('\n'),
      );
    });
}
