/** The first page: health and its reasons, production and its live metrics, the schedule, the running job. */
import {
  useApiResource,
  useContinuousRetraining,
  type MetricsRecord,
  type RetrainingJob,
} from '../../../src/react/index.js';
import { dateTime, percent, relative, words } from '../format.js';
import { Badge, Card, Empty, ErrorNote, MetricList, useAction, useIsAdmin } from './common.js';

export function Overview() {
  const { system, errorDetail: error, actionError, runRetraining } = useContinuousRetraining();
  const admin = useIsAdmin();
  const action = useAction();
  const production = system?.productionVersion ?? null;
  const live = useApiResource(
    (api) =>
      api.getMetricsHistory({
        version: production!.version,
        source: 'live',
        // The newest check only.
        limit: 1,
        ...(production?.deployedAt ? { since: production.deployedAt } : {}),
      }),
    {
      enabled: production !== null,
      deps: [production?.version, production?.deployedAt],
      pollIntervalMs: 60_000,
    },
  );
  const latestLive: MetricsRecord | undefined = live.data?.at(-1);
  const jobs = useApiResource((api) => api.listJobs({ limit: 5 }), {
    events: ['job'],
    pollIntervalMs: 30_000,
  });
  const job = system?.currentJob ?? null;
  const lastJob = job ? null : (jobs.data?.[0] ?? null);

  if (!system) {
    return error ? <ErrorNote error={error} /> : <p className="loading">Reading the system's status…</p>;
  }
  const health = system.health;
  return (
    <div className="grid">
      {/* A failed run request is shown beside its button, not twice. */}
      <ErrorNote error={actionError ? null : error} />
      <Card title="Health" aside={<Badge value={health.status} />}>
        {health.issues.length > 0 ? (
          <ul className="issues">
            {health.issues.map((issue) => (
              <li key={issue}>{issue}</li>
            ))}
          </ul>
        ) : (
          <p>Every check passes.</p>
        )}
        <details>
          <summary>All checks</summary>
          <ul className="checks">
            {health.checks.map((check) => (
              <li key={check.name}>
                <Badge value={check.status} /> <strong>{words(check.name)}</strong>: {check.message}
              </li>
            ))}
          </ul>
        </details>
        <p className="muted">Checked {relative(health.checkedAt)}.</p>
      </Card>

      <Card
        title="Production model"
        aside={production ? <Badge value="production" label={production.version} /> : null}
      >
        {production ? (
          <>
            <p>
              {production.modelType.toUpperCase()}, deployed {dateTime(production.deployedAt)}.
            </p>
            <h3>Live since deployment</h3>
            {latestLive ? (
              <>
                <MetricList metrics={latestLive.metrics} />
                <p className="muted">
                  Last check {relative(latestLive.timestamp)}:{' '}
                  {words(String(latestLive.metrics.verdict ?? 'unknown'))}.
                </p>
              </>
            ) : (
              <Empty>No live check yet; the monitor measures live trades on its schedule.</Empty>
            )}
            <h3>At validation</h3>
            <MetricList metrics={production.metrics} />
          </>
        ) : (
          <Empty>No model is in production yet.</Empty>
        )}
      </Card>

      <Card title="Retraining">
        <p>
          Next scheduled run:{' '}
          {system.nextRuns[0] ? (
            <strong>
              {dateTime(system.nextRuns[0])} ({relative(system.nextRuns[0])})
            </strong>
          ) : (
            'none (the schedule is off)'
          )}
        </p>
        {job ? (
          <JobView job={job} />
        ) : lastJob ? (
          <JobView job={lastJob} />
        ) : (
          <Empty>No retraining has run yet.</Empty>
        )}
        {admin && (
          <div className="actions">
            <button
              type="button"
              disabled={action.busy || job !== null}
              onClick={() => void action.run(runRetraining)}
            >
              {job ? 'A retraining is running' : 'Run retraining now'}
            </button>
          </div>
        )}
        <ErrorNote error={action.error} />
      </Card>
    </div>
  );
}

function JobView({ job }: { job: RetrainingJob }) {
  const running = job.status === 'running' || job.status === 'queued';
  const tail = job.logs.slice(-8);
  return (
    <div className="job" data-status={job.status}>
      <p>
        {running ? 'Running' : 'Last'} job <Badge value={job.status} /> started by {words(job.trigger)}{' '}
        {relative(job.startedAt ?? job.createdAt)}
        {job.stage ? (
          <>
            , stage <strong>{words(job.stage)}</strong>
          </>
        ) : null}
        {job.resultVersion ? (
          <>
            , version <strong>{job.resultVersion}</strong>
          </>
        ) : null}
        .
      </p>
      <progress max={1} value={job.progress} aria-label="job progress" />{' '}
      <span>{percent(job.progress, 0)}</span>
      {job.error ? (
        <p className="error">
          {job.status === 'skipped' ? 'Skipped' : job.status === 'cancelled' ? 'Cancelled' : 'Stopped'}:{' '}
          {job.error}
        </p>
      ) : null}
      {tail.length > 0 ? (
        <pre className="log" aria-label="job log">
          {tail.map((line) => `${new Date(line.time).toLocaleTimeString()}  ${line.message}`).join('\n')}
        </pre>
      ) : null}
    </div>
  );
}
