import { sql as initial } from './001_initial.js';
import { sql as drift } from './002_drift.js';
import { sql as tuning } from './003_tuning.js';
import { sql as trialQueue } from './004_trial_queue.js';
import { sql as jobDelivery } from './005_job_delivery.js';

export interface Migration {
  /** Applied in ascending order; never renumber or edit one that has shipped. */
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'drift', sql: drift },
  { version: 3, name: 'tuning', sql: tuning },
  { version: 4, name: 'trial_queue', sql: trialQueue },
  { version: 5, name: 'job_delivery', sql: jobDelivery },
];

/** The tables the system owns, in an order that respects foreign keys (referenced first). */
export const TABLES = [
  'ml_model_versions',
  'ab_tests',
  'performance_alerts',
  'deployment_events',
  'model_performance_metrics',
  'market_bars',
  'live_trades',
  'model_artifacts',
  'retraining_jobs',
  'prediction_samples',
  'model_drift_references',
  'drift_reports',
  'tuning_trials',
  'trial_workers',
  'monitoring_checks',
] as const;

export type TableName = (typeof TABLES)[number];
