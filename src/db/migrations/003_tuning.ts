/**
 * Hyperparameter search: every trial of a retraining job's study with its parameters, its seed,
 * its whole learning curve and its score. A trial is leased to the worker running it: one whose
 * lease ran out (the worker died) is marked preempted and run again, never left running.
 */
export const sql = /* sql */ `
CREATE TABLE tuning_trials (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id UUID NOT NULL REFERENCES retraining_jobs (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  params JSONB NOT NULL,
  seed BIGINT NOT NULL,
  state VARCHAR(20) NOT NULL DEFAULT 'running',
  value DOUBLE PRECISION,
  curve JSONB NOT NULL DEFAULT '[]'::jsonb,
  error TEXT,
  worker TEXT,
  lease_until TIMESTAMP WITH TIME ZONE,
  attempts INTEGER NOT NULL DEFAULT 1,
  duration_ms DOUBLE PRECISION,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  finished_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT tuning_trials_number_key UNIQUE (job_id, number),
  CONSTRAINT tuning_trials_state_check CHECK (state IN ('running', 'complete', 'pruned', 'failed', 'preempted')),
  CONSTRAINT tuning_trials_value_check CHECK (value IS NULL OR (value > '-Infinity' AND value < 'Infinity')),
  CONSTRAINT tuning_trials_curve_check CHECK (jsonb_typeof(curve) = 'array')
);
`;
