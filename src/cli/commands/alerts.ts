import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { acknowledgeAlert, listAlerts, resolveAlert, type AlertRow } from '../../store/alerts.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { commonOptions } from '../options.js';
import { printResult, table, type OutputOptions } from '../output.js';

type Flags = OutputOptions & DatabaseFlags;

const common = (command: Command) => commonOptions(command, { config: false });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkId(id: string): string {
  if (!UUID.test(id))
    throw new ValidationError(`alert id "${id}" is not a UUID; list alerts with \`retrain alerts\``, 'id');
  return id;
}

function formatAlerts(alerts: AlertRow[]): string {
  if (alerts.length === 0) return 'no alerts';
  return table(
    ['id', 'severity', 'type', 'time', 'seen', 'state', 'message'],
    alerts.map((a) => [
      a.id,
      a.severity,
      a.type,
      a.timestamp.toISOString().slice(0, 16),
      a.occurrences,
      a.resolvedAt ? 'resolved' : a.acknowledged ? 'acknowledged' : 'open',
      a.message.length > 80 ? `${a.message.slice(0, 77)}…` : a.message,
    ]),
  );
}

export function registerAlerts(program: Command): void {
  const alerts = common(
    program
      .command('alerts')
      .description(
        'open alerts (--all: resolved ones too); `alerts ack ID`, `alerts resolve ID --resolution R`',
      )
      .option('--all', 'include resolved alerts')
      .enablePositionalOptions(),
  ).action(async (options: Flags & { all?: boolean }) => {
    const rows = await withDatabase(options, (db) =>
      listAlerts(db, options.all ? { limit: 500 } : { active: true, limit: 500 }),
    );
    printResult(options, rows, formatAlerts);
  });

  common(alerts.command('ack').description('acknowledge an alert').argument('<id>', 'the alert id')).action(
    async (id: string, options: Flags) => {
      const row = await withDatabase(options, (db) => acknowledgeAlert(db, checkId(id)));
      printResult(options, row, (a) => `acknowledged ${a.id}: ${a.message}`);
    },
  );

  common(
    alerts
      .command('resolve')
      .description('resolve an alert, saying how')
      .argument('<id>', 'the alert id')
      .requiredOption('--resolution <text>', 'what was done'),
  ).action(async (id: string, options: Flags & { resolution: string }) => {
    if (!options.resolution.trim())
      throw new ValidationError('--resolution needs a text saying what was done', 'resolution');
    const row = await withDatabase(options, (db) => resolveAlert(db, checkId(id), options.resolution));
    printResult(options, row, (a) => `resolved ${a.id}: ${a.resolution}`);
  });
}
