import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { DeploymentManager } from '../../deployment/deployment-manager.js';
import { DatabaseLockedError, DatabaseUnavailableError } from '../../errors.js';
import { Logger } from '../../logging/logger.js';
import { Alerter } from '../../monitoring/alerts/alerter.js';
import { AlertDispatcher } from '../../monitoring/alerts/dispatcher.js';
import { channelsFromEnvironment, deliveryFromEnvironment } from '../../monitoring/alerts/environment.js';
import type { SystemHealth } from '../../monitoring/health.js';
import { MonitoringService, type MonitoringReport } from '../../monitoring/monitoring-service.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { commonOptions } from '../options.js';
import { printResult, table, type OutputOptions } from '../output.js';

type Flags = OutputOptions & DatabaseFlags & { config?: string };

const common = (command: Command) => commonOptions(command);

function formatHealth(health: SystemHealth): string {
  return [
    `status: ${health.status}`,
    table(
      ['check', 'status', 'detail'],
      health.checks.map((c) => [c.name, c.status, c.message]),
    ),
  ].join('\n');
}

function formatReport(report: MonitoringReport): string {
  const lines: string[] = [];
  if (report.performance.length === 0) lines.push('performance: no production model (or tracking is off)');
  for (const check of report.performance) {
    const m = check.metrics;
    lines.push(
      `${check.role} ${check.version}: ${check.degradation.verdict}${check.confirmed ? ' (confirmed)' : ''}, ` +
        `${m.tradeCount} trades, win rate ${m.winRate?.toFixed(3) ?? '-'}, Sharpe ${m.sharpeRatio?.toFixed(2) ?? '-'}, ` +
        `max drawdown ${(m.maxDrawdown * 100).toFixed(1)} %; action: ${check.action}`,
    );
    for (const reason of check.degradation.reasons) lines.push(`  - ${reason}`);
  }
  if (report.abTest)
    lines.push(`A/B test ${report.abTest.id}: ${report.abTest.action} (${report.abTest.reason})`);
  if (report.drift) {
    for (const kind of ['features', 'returns'] as const) {
      const row = report.drift[kind];
      lines.push(`drift (${kind}) of ${row.version}: ${row.verdict}, ${row.liveSamples} live samples`);
    }
  } else lines.push('drift: not checked (disabled or no production model)');
  return lines.join('\n');
}

export function registerMonitoring(program: Command): void {
  common(
    program
      .command('health')
      .description('system health and its reasons; exit 0 when healthy, 1 when degraded or critical'),
  ).action(async (options: Flags) => {
    const { config } = await loadConfig(options.config ? { file: options.config } : {});
    let health: SystemHealth;
    try {
      health = await withDatabase(options, (db) =>
        new MonitoringService(db, config, new DeploymentManager(db, config.deployment), {
          logger: new Logger({ logToConsole: false }),
        }).getSystemHealth(),
      );
    } catch (error) {
      // A database that cannot be opened is the health answer, not a crash of the command.
      if (!(error instanceof DatabaseUnavailableError || error instanceof DatabaseLockedError)) throw error;
      health = {
        status: 'critical',
        issues: [`the database is unreachable: ${error.message}`],
        checks: [{ name: 'database', status: 'critical', message: error.message }],
        checkedAt: new Date(),
      };
    }
    printResult(options, health, formatHealth);
    if (health.status !== 'healthy') process.exitCode = 1;
  });

  common(
    program
      .command('monitor')
      .description(
        'run one round of monitoring now: live metrics, degradation (and rollback), drift; alerts go to the configured channels',
      ),
  ).action(async (options: Flags) => {
    const { config } = await loadConfig(options.config ? { file: options.config } : {});
    const logger = new Logger({ context: { service: 'monitoring' } });
    const channels = channelsFromEnvironment(process.env, logger);
    const report = await withDatabase(options, async (db) => {
      const alerter = new Alerter({
        db,
        dispatcher: new AlertDispatcher({ channels, logger, ...deliveryFromEnvironment(process.env) }),
        logger,
        enabled: config.monitoring.alertsEnabled,
      });
      const deployments = new DeploymentManager(db, config.deployment, {
        logger,
        evaluation: config.evaluation,
      });
      const monitoring = new MonitoringService(db, config, deployments, { logger, alerter });
      try {
        return await monitoring.runChecks();
      } finally {
        // Deliveries finish (or give up after their retries) before the database closes.
        await monitoring.close();
      }
    });
    printResult(options, report, formatReport);
  });
}
