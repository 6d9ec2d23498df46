import { Command, CommanderError } from 'commander';
import { registerAlerts } from './commands/alerts.js';
import { registerConfig } from './commands/config.js';
import { registerDemo } from './commands/demo.js';
import { registerDeploymentCommands } from './commands/deployment.js';
import { registerImport } from './commands/import.js';
import { registerMigrate } from './commands/migrate.js';
import { registerMonitoring } from './commands/monitoring.js';
import { registerRetraining } from './commands/retraining.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { reportError } from './output.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function buildProgram(version: string): Command {
  const program = new Command('retrain')
    .description('Continuous retraining, evaluation and safe deployment of PPO/CPPO trading models')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // An option after a subcommand belongs to it (`alerts resolve ID --json`), not to its parent.
    .enablePositionalOptions()
    .exitOverride();
  registerStart(program);
  registerMigrate(program);
  registerStatus(program);
  registerConfig(program);
  registerImport(program);
  registerDemo(program);
  registerDeploymentCommands(program);
  registerAlerts(program);
  registerMonitoring(program);
  registerRetraining(program);
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride();
  return program;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 failed, 2 usage or configuration error. */
export async function runCli(argv: string[], version: string): Promise<number> {
  const program = buildProgram(version);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    // A command that ran but reports a failure (e.g. `health` when degraded) sets process.exitCode.
    return process.exitCode === 1 ? 1 : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; every other commander error is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportError(error, { json });
  }
}
