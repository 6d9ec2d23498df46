/**
 * One weekly retraining with the default config (hyperparameter search included) on the demo
 * market, in one process on the embedded database: wall time in total and per stage. The goal is
 * under 10 minutes on a 2-core machine. `RETRAIN_BENCH_TRIALS` overrides `maxTrials` to measure a
 * shorter search.
 */
import { DEFAULT_RETRAINING_CONFIG } from '../src/config/defaults.js';
import { mergeConfig } from '../src/config/merge.js';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { Logger } from '../src/logging/logger.js';
import { seedDemoData } from '../src/market/demo.js';
import { PIPELINE_STAGES } from '../src/orchestration/pipeline.js';
import { RetrainingSystem } from '../src/orchestration/system.js';

export async function benchRetrain(): Promise<Record<string, number>> {
  const db = await openEmbeddedDatabase({ dataDir: 'memory://' });
  const now = new Date('2026-11-25T21:30:00Z');
  try {
    await migrate(db);
    await seedDemoData(db, now);
    const trials = Number(
      process.env.RETRAIN_BENCH_TRIALS ??
        DEFAULT_RETRAINING_CONFIG.training.hyperparameterOptimization.maxTrials,
    );
    const config = mergeConfig(DEFAULT_RETRAINING_CONFIG, {
      training: { hyperparameterOptimization: { maxTrials: trials } },
    });
    const system = await RetrainingSystem.create(config, {
      db,
      jobs: false,
      logger: new Logger({ level: 'error' }),
      now: () => now,
      env: {},
    });
    const started = performance.now();
    const { result } = await system.services.retrainingService.runRetraining({ seed: 1 });
    const total = (performance.now() - started) / 1000;
    await system.stop();
    const figures: Record<string, number> = { seconds_total: total };
    for (const stage of PIPELINE_STAGES) {
      const seconds = result.stageSeconds[stage];
      if (seconds !== undefined) figures[`seconds_${stage}`] = seconds;
    }
    figures.trials = trials;
    process.stderr.write(`${result.status}: ${result.reason}\n`);
    return figures;
  } finally {
    await db.close();
  }
}
