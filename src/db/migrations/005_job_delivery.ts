/**
 * Which queue delivery a retraining job belongs to: pg-boss keeps a job's id through its retries,
 * so a cron tick's retry finds the row its first delivery made (instead of making a second one),
 * and a running job whose delivery the queue no longer holds is known to be orphaned.
 */
export const sql = /* sql */ `
ALTER TABLE retraining_jobs ADD COLUMN queue_job_id UUID;
CREATE UNIQUE INDEX retraining_jobs_queue_job_idx ON retraining_jobs (queue_job_id) WHERE queue_job_id IS NOT NULL;
`;
