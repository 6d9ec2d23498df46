import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { cronProblem, isTimeZone } from '../../config/schema.js';
import { ConfigError, ValidationError } from '../../errors.js';
import { Logger } from '../../logging/logger.js';
import { nextRuns } from '../../orchestration/jobs.js';
import type { PipelineResult, PipelineStage } from '../../orchestration/pipeline.js';
import { RetrainingSystem } from '../../orchestration/system.js';
import { commonOptions, parseSeed } from '../options.js';
import { printResult, table, type OutputOptions } from '../output.js';
import { progressLine } from '../progress.js';

type Flags = OutputOptions & { config?: string; dataDir?: string };

const common = (command: Command) => commonOptions(command);

const fmt = (value: number | null | undefined, digits = 3) =>
  typeof value === 'number' ? Number(value.toFixed(digits)).toString() : '-';

function summary(result: PipelineResult & { jobId: string }): string {
  const lines = [`${result.status}: ${result.reason}`, ''];
  lines.push(
    table(
      ['stage', 'seconds'],
      Object.entries(result.stageSeconds).map(([stage, seconds]) => [stage, fmt(seconds, 2)]),
    ),
  );
  if (result.candidate) {
    const rows = (
      ['sharpeRatio', 'winRate', 'profitFactor', 'maxDrawdown', 'totalReturn', 'tradeCount'] as const
    ).map((name) => [name, fmt(result.candidate?.[name]), fmt(result.production?.[name])]);
    lines.push('', table(['held-out metric', 'candidate', 'production'], rows));
  }
  if (result.gates)
    lines.push('', `gates: ${result.gates.verdict}`, ...result.gates.reasons.map((r) => `  - ${r}`));
  lines.push('', `job ${result.jobId}, seed ${result.seed}`);
  return lines.join('\n');
}

export function registerRetraining(program: Command): void {
  common(
    program
      .command('run')
      .description(
        'run one retraining now, in the foreground: collect, validate, tune, train, evaluate, register, gate, deploy',
      )
      .option('--seed <n>', 'seed for a reproducible run (default: from the job id)'),
  ).action(async (options: Flags & { seed?: string }) => {
    const seed = parseSeed(options.seed);
    const { config } = await loadConfig(options.config ? { file: options.config } : {});
    const logger = new Logger({ context: { service: 'retrain-run' }, level: 'warn' });
    const system = await RetrainingSystem.create(config, {
      jobs: false,
      logger,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    });
    const bar = progressLine('retraining', !options.json && process.stderr.isTTY === true);
    let stage: PipelineStage = 'collect';
    try {
      const { job, result } = await system.services.retrainingService.runRetraining({
        ...(seed !== undefined ? { seed } : {}),
        onStage: (next, progress) => {
          stage = next;
          bar.update(progress, 1, next);
        },
        onTrainingProgress: (p) =>
          bar.update(p.iteration, p.iterations, `${stage} ${p.iteration}/${p.iterations}`),
      });
      bar.done();
      printResult(options, { ...result, jobId: job.id }, summary);
      if (result.status === 'failed' || result.status === 'cancelled') process.exitCode = 1;
    } finally {
      await system.stop();
    }
  });

  common(
    program
      .command('worker')
      .description(
        'take retraining jobs, hyperparameter trials and monitoring ticks from the database until stopped (SIGINT/SIGTERM finish or release the current job, and hand running trials back)',
      )
      .option('--no-scheduler', 'do not fire the cron schedule from this process')
      .option(
        '--trial-threads <n>',
        'hyperparameter trials this process runs at once (default RETRAINING_TRIAL_THREADS or one per core)',
      ),
  ).action(async (options: Flags & { scheduler: boolean; trialThreads?: string }) => {
    const trialThreads = options.trialThreads === undefined ? undefined : Number(options.trialThreads);
    if (
      trialThreads !== undefined &&
      !(Number.isInteger(trialThreads) && trialThreads >= 1 && trialThreads <= 256)
    ) {
      throw new ValidationError(
        `--trial-threads ${options.trialThreads} is not valid; expected an integer from 1 to 256`,
        'trialThreads',
      );
    }
    const { config } = await loadConfig(options.config ? { file: options.config } : {});
    const logger = new Logger({ context: { service: 'retrain-worker' } });
    const system = await RetrainingSystem.create(config, {
      logger,
      scheduler: options.scheduler,
      ...(trialThreads !== undefined ? { trialThreads } : {}),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    });
    await system.start();
    const worker = system.services.retrainingService.worker;
    logger.info('worker started', { worker, database: system.db.location });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info('stopping: finishing the current job', { signal });
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await system.stop();
    printResult(options, { worker, stopped: true }, () => `worker ${worker} stopped`);
  });

  common(
    program
      .command('schedule')
      .description('the next run instants of the configured schedule, or of the expression given')
      .option('--cron <expr>', 'a cron expression (5 fields: minute hour day month weekday)')
      .option('--tz <zone>', 'an IANA time zone, e.g. Europe/Berlin')
      .option('--from <time>', 'start after this ISO 8601 instant (default now)')
      .option('--count <n>', 'how many instants', '5'),
  ).action(async (options: Flags & { cron?: string; tz?: string; from?: string; count: string }) => {
    const { config } = await loadConfig(options.config ? { file: options.config } : {});
    const timezone = options.tz ?? config.schedule.timezone;
    const cronExpression = options.cron ?? config.schedule.cronExpression;
    if (!isTimeZone(timezone)) {
      throw new ConfigError([
        {
          field: '--tz',
          value: timezone,
          message: `--tz "${timezone}" is not an IANA time zone (e.g. Europe/Berlin)`,
        },
      ]);
    }
    const problem = cronProblem(cronExpression, timezone);
    if (problem) {
      throw new ConfigError([
        { field: '--cron', value: cronExpression, message: `--cron "${cronExpression}" ${problem}` },
      ]);
    }
    const from = options.from === undefined ? new Date() : new Date(options.from);
    if (Number.isNaN(from.getTime())) {
      throw new ValidationError(`--from "${options.from}" is not an ISO 8601 time`, 'from');
    }
    const count = Number(options.count);
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      throw new ValidationError(`--count ${options.count} is not an integer from 1 to 1000`, 'count');
    }
    const runs = nextRuns({ cronExpression, timezone }, from, count).map((d) => isoWithOffset(d, timezone));
    const enabled = options.cron !== undefined || config.schedule.enabled;
    printResult(options, { cronExpression, timezone, enabled, runs }, (r) =>
      [
        `${r.cronExpression} (${r.timezone})${r.enabled ? '' : ' — schedule disabled in the config'}`,
        ...r.runs,
      ].join('\n'),
    );
  });
}

/** 2026-03-08T01:30:00-05:00: the wall-clock time in the zone with its UTC offset. */
export function isoWithOffset(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offset = Math.round((local - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const mm = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${sign}${hh}:${mm}`;
}
