import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import type { Database } from '../../db/types.js';
import { AbTestManager, type AbTestResults } from '../../deployment/ab-test-manager.js';
import { DeploymentManager } from '../../deployment/deployment-manager.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { compareVersionRows } from '../../registry/registry.js';
import { findActiveAbTest } from '../../store/ab-tests.js';
import { listVersions } from '../../store/versions.js';
import { withDatabase, type DatabaseFlags } from '../context.js';
import { commonOptions } from '../options.js';
import { printResult, table, type OutputOptions } from '../output.js';

type Flags = OutputOptions & DatabaseFlags & { config?: string };

const common = (command: Command) => commonOptions(command);

async function withManagers<T>(
  flags: Flags,
  fn: (managers: { db: Database; deployments: DeploymentManager; abTests: AbTestManager }) => Promise<T>,
): Promise<T> {
  const { config } = await loadConfig(flags.config ? { file: flags.config } : {});
  return withDatabase(flags, (db) => {
    const deployments = new DeploymentManager(db, config.deployment);
    return fn({ db, deployments, abTests: new AbTestManager(db, deployments, config) });
  });
}

const number = (value: unknown) => (typeof value === 'number' ? Number(value.toFixed(3)).toString() : '-');

export function registerDeploymentCommands(program: Command): void {
  common(
    program
      .command('versions')
      .description('list model versions with their status and key metrics, or compare two')
      .option('--compare <versions...>', 'two versions to compare side by side'),
  ).action(async (options: Flags & { compare?: string[] }) => {
    if (options.compare && options.compare.length !== 2) {
      throw new ValidationError('--compare takes two versions, e.g. --compare 1.2.0 1.3.0', 'compare');
    }
    await withManagers(options, async ({ db }) => {
      if (options.compare) {
        const comparison = await compareVersionRows(db, options.compare[0]!, options.compare[1]!);
        printResult(options, comparison, (c) =>
          table(
            ['metric', c.a.version, c.b.version, 'difference'],
            Object.entries(c.metrics).map(([name, m]) => [
              name,
              number(m.a),
              number(m.b),
              number(m.difference),
            ]),
          ),
        );
        return;
      }
      const versions = await listVersions(db, { limit: 200 });
      printResult(options, versions, (rows) =>
        rows.length === 0
          ? 'no model versions yet'
          : table(
              ['version', 'type', 'status', 'created', 'sharpe', 'win rate', 'deployed'],
              rows.map((v) => [
                v.version,
                v.modelType,
                v.status,
                v.createdAt.toISOString().slice(0, 16),
                number(v.metrics.sharpeRatio),
                number(v.metrics.winRate),
                v.deployedAt?.toISOString().slice(0, 16) ?? '-',
              ]),
            ),
      );
    });
  });

  common(
    program
      .command('deploy')
      .description('put a version in production (refused inside the cooldown unless forced with a reason)')
      .argument('<version>', 'the version to deploy')
      .option('--reason <text>', 'why; kept in the deployment ledger')
      .option('--force', 'deploy inside the cooldown period (needs --reason)'),
  ).action(async (version: string, options: Flags & { reason?: string; force?: boolean }) => {
    const result = await withManagers(options, ({ deployments }) =>
      deployments.deploy(version, {
        ...(options.reason ? { reason: options.reason } : {}),
        force: options.force === true,
        actor: 'cli',
      }),
    );
    printResult(options, result, (r) => `deployed ${r.version}${r.previous ? ` (was ${r.previous})` : ''}`);
  });

  common(
    program
      .command('rollback')
      .description('take the production version out and restore the last good one (or --to VERSION)')
      .requiredOption('--reason <text>', 'why; kept with the rolled-back version')
      .option('--to <version>', 'the version to restore'),
  ).action(async (options: Flags & { reason: string; to?: string }) => {
    const result = await withManagers(options, ({ deployments }) =>
      deployments.rollback({
        reason: options.reason,
        ...(options.to ? { toVersion: options.to } : {}),
        actor: 'cli',
      }),
    );
    printResult(options, result, (r) => `rolled back ${r.previous} → ${r.version}`);
  });

  const ab = program.command('ab').description('A/B tests of a candidate against the production version');
  common(
    ab
      .command('start')
      .description('start an A/B test: A must be in production')
      .argument('<modelA>', 'the production version')
      .argument('<modelB>', 'the candidate version')
      .requiredOption('--split <percent>', 'share of traffic for B, 0..100')
      .option('--shadow', 'B sees every request but never answers (scored on the returns that follow)'),
  ).action(async (modelA: string, modelB: string, options: Flags & { split: string; shadow?: boolean }) => {
    const split = Number(options.split);
    const test = await withManagers(options, ({ abTests }) =>
      abTests.startABTest(modelA, modelB, split, { mode: options.shadow ? 'shadow' : 'ab' }),
    );
    printResult(
      options,
      test,
      (t) => `started A/B test ${t.id}: ${t.modelAVersion} vs ${t.modelBVersion}, ${t.trafficSplit}% to B`,
    );
  });

  common(
    ab
      .command('results')
      .description('per-arm trades and metrics, P(B beats A) and the recommendation')
      .argument('[id]', 'the test (default: the active one)'),
  ).action(async (id: string | undefined, options: Flags) => {
    const results = await withManagers(options, async ({ db, abTests }) => {
      const testId = id ?? (await findActiveAbTest(db))?.id;
      if (!testId) throw new NotFoundError('no A/B test is active; name one by its id');
      return abTests.getABTestResults(testId);
    });
    printResult(options, results, formatResults);
  });

  common(
    ab
      .command('stop')
      .description('end an A/B test without a winner')
      .argument('<id>', 'the test')
      .requiredOption('--reason <text>', 'why'),
  ).action(async (id: string, options: Flags & { reason: string }) => {
    const test = await withManagers(options, ({ abTests }) => abTests.stopABTest(id, options.reason));
    printResult(options, test, (t) => `stopped A/B test ${t.id}`);
  });
}

function formatResults(results: AbTestResults): string {
  const { test, decision } = results;
  const p = decision.probabilityBBeatsA;
  return [
    `A/B test ${test.id} (${test.status}): A ${test.modelAVersion} vs B ${test.modelBVersion}, ${test.trafficSplit}% to B`,
    table(
      ['arm', 'trades', 'mean return', 'win rate'],
      [
        ['A', decision.a.trades, number(decision.a.mean), number(decision.a.winRate)],
        ['B', decision.b.trades, number(decision.b.mean), number(decision.b.winRate)],
      ],
    ),
    `P(B beats A) = ${p === null ? 'n/a' : p.toFixed(3)}; recommendation: ${decision.recommendation} (${decision.reason})`,
  ].join('\n');
}
