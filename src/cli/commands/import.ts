import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { importBarsFromCsv } from '../../market/import/bars.js';
import { formatImportReport, type ImportReport } from '../../market/import/report.js';
import { importTradesFromCsv } from '../../market/import/trades.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { printResult, type OutputOptions } from '../output.js';
import { progressLine } from '../progress.js';

interface BarFlags extends OutputOptions, DatabaseFlags {
  symbol?: string;
  interval?: string;
  columns?: string;
  timezone?: string;
  prices?: string;
  strict?: boolean;
}

export function registerImport(program: Command): void {
  const command = program.command('import').description('import market bars or live trades from CSV files');

  command
    .command('bars')
    .description('import OHLCV bars from a CSV file (idempotent: importing it again changes nothing)')
    .argument('<file>', 'CSV file with a header, e.g. Date,Open,High,Low,Close,Adj Close,Volume')
    .option('--symbol <symbol>', 'symbol of the bars (or, with a symbol column, the only one to import)')
    .option('--interval <interval>', 'bar interval: 1m, 5m, 15m, 1h, 1d… (default: inferred)')
    .option(
      '--columns <map>',
      'column names in order, - to ignore one, e.g. date,time,open,high,low,close,volume,-',
    )
    .option('--timezone <zone>', 'IANA zone of times without an offset', 'UTC')
    .option('--prices <kind>', 'raw or adjusted (uses Adj Close / adjusted columns)', 'raw')
    .option('--strict', 'refuse the file if any row would be skipped')
    .option('--json', 'print one JSON document for scripts')
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(async (file: string, options: BarFlags) => {
      if (options.prices !== 'raw' && options.prices !== 'adjusted') {
        throw new ValidationError(`--prices "${options.prices}" is not raw or adjusted`, 'prices');
      }
      const progress = progressLine(`importing ${file}`, !options.json && process.stderr.isTTY === true);
      const report = await withDatabase(options, (db) =>
        importBarsFromCsv(db, file, {
          ...(options.symbol ? { symbol: options.symbol } : {}),
          ...(options.interval ? { interval: options.interval } : {}),
          ...(options.columns ? { columns: options.columns } : {}),
          timeZone: options.timezone ?? 'UTC',
          prices: options.prices as 'raw' | 'adjusted',
          strict: options.strict === true,
          onProgress: ({ rowsRead, bytesRead, totalBytes }) =>
            progress.update(bytesRead, totalBytes, `${rowsRead} rows`),
        }),
      );
      progress.done();
      printResult(options, report, formatImportReport);
    });

  command
    .command('trades')
    .description(
      'import live trades from a CSV file (a trade whose idempotency key is stored is kept as it is)',
    )
    .argument(
      '<file>',
      'CSV with idempotency_key,symbol,side,quantity,entry_time,entry_price[,exit_time,exit_price,fees,pnl,status,model_version,account]',
    )
    .option('--timezone <zone>', 'IANA zone of times without an offset', 'UTC')
    .option('--strict', 'refuse the file if any row would be skipped')
    .option('--json', 'print one JSON document for scripts')
    .option('--data-dir <dir>', 'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)')
    .action(
      async (
        file: string,
        options: OutputOptions & DatabaseFlags & { timezone?: string; strict?: boolean },
      ) => {
        const report: ImportReport = await withDatabase(options, (db) =>
          importTradesFromCsv(db, file, {
            timeZone: options.timezone ?? 'UTC',
            strict: options.strict === true,
          }),
        );
        printResult(options, report, formatImportReport);
      },
    );
}
