import type { Command } from 'commander';

/** The options every database command takes: --json, --data-dir, and (unless told not to) --config. */
export function commonOptions(command: Command, options: { config?: boolean } = {}): Command {
  command.option('--json', 'print one JSON document for scripts');
  if (options.config !== false) {
    command.option(
      '--config <file>',
      'configuration file (default RETRAINING_CONFIG or ./retraining.config.json)',
    );
  }
  return command.option(
    '--data-dir <dir>',
    'embedded database folder (default RETRAINING_DATA_DIR or ./.retraining)',
  );
}
