import { ValidationError } from '../errors.js';
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

/** `--seed <n>`: a safe integer, or undefined when not given. */
export function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(seed)) {
    throw new ValidationError(`--seed ${text} is not an integer`, 'seed');
  }
  return seed;
}
