import type { Command } from 'commander';
import { CONFIG_ENV_VARIABLES, loadConfig, type LoadedConfig } from '../../config/index.js';
import { printResult, type OutputOptions } from '../output.js';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('validate and print the effective configuration (defaults < file < environment)')
    .option('--json', 'print one JSON document for scripts')
    .option('--config <file>', 'configuration file (default RETRAINING_CONFIG or ./retraining.config.json)')
    .addHelpText(
      'after',
      `\nEnvironment variables:\n${Object.entries(CONFIG_ENV_VARIABLES)
        .map(([name, variable]) => `  ${name.padEnd(28)} ${variable.description}`)
        .join('\n')}`,
    )
    .action(async (options: OutputOptions & { config?: string }) => {
      const loaded = await loadConfig(options.config ? { file: options.config } : {});
      printResult(options, loaded, formatConfig);
    });
}

function formatConfig(loaded: LoadedConfig): string {
  return `configuration is valid (from ${loaded.sources.join(', ')}):\n${JSON.stringify(loaded.config, null, 2)}`;
}
