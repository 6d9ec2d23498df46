/**
 * Trials as jobs: a trial is `queued` until a worker claims it, carries the task a worker needs to
 * rebuild it (data reference, settings) and the numbers of the completed trials its pruner compared
 * it with, so any trial can be re-run; a cancelled study's trials end `cancelled`. `trial_workers`
 * is each process's count of trial slots with a heartbeat, so a study keeps as many trials in
 * flight as there are live slots. `monitoring_checks` keeps when the periodic checks last ran.
 */
export const sql = /* sql */ `
ALTER TABLE tuning_trials DROP CONSTRAINT tuning_trials_state_check;
ALTER TABLE tuning_trials ADD CONSTRAINT tuning_trials_state_check
  CHECK (state IN ('queued', 'running', 'complete', 'pruned', 'failed', 'preempted', 'cancelled'));
ALTER TABLE tuning_trials ADD COLUMN task JSONB;
ALTER TABLE tuning_trials ADD COLUMN pruned_against JSONB NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE tuning_trials ADD CONSTRAINT tuning_trials_pruned_against_check
  CHECK (jsonb_typeof(pruned_against) = 'array');
CREATE INDEX tuning_trials_running_idx ON tuning_trials (lease_until) WHERE state = 'running';

CREATE TABLE trial_workers (
  worker TEXT PRIMARY KEY,
  slots INTEGER NOT NULL,
  seen_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT trial_workers_slots_check CHECK (slots >= 1)
);

CREATE TABLE monitoring_checks (
  name TEXT PRIMARY KEY,
  last_run_at TIMESTAMP WITH TIME ZONE NOT NULL
);
`;
