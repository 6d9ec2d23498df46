/** Model versions: the table, two side by side, deploy and roll back, and the deployment timeline. */
import { useState, type FormEvent } from 'react';
import {
  useApiClient,
  useApiResource,
  type ModelVersion,
  type VersionStatus,
} from '../../../src/react/index.js';
import { dateTime, KEY_METRICS, words } from '../format.js';
import { Badge, Card, Empty, ErrorNote, useAction, useIsAdmin } from './common.js';

export function Versions() {
  const versions = useApiResource((api) => api.listVersions({ limit: 100 }), {
    events: ['deployment', 'job'],
    pollIntervalMs: 60_000,
  });
  const timeline = useApiResource((api) => api.listDeployments({ limit: 50 }), {
    events: ['deployment'],
    pollIntervalMs: 60_000,
  });
  const list = versions.data ?? [];
  const admin = useIsAdmin();
  const refresh = () => {
    void versions.refresh();
    void timeline.refresh();
  };

  return (
    <div className="stack">
      <Card title="Versions">
        <ErrorNote error={versions.error} />
        {list.length === 0 && !versions.loading ? (
          <Empty>No version has been trained yet.</Empty>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Status</th>
                  <th>Trained</th>
                  {KEY_METRICS.map((metric) => (
                    <th key={metric.name} className="number">
                      {metric.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {list.map((version) => (
                  <tr key={version.version} data-version={version.version}>
                    <td>
                      <strong>{version.version}</strong> <span className="muted">{version.modelType}</span>
                    </td>
                    <td>
                      <Badge value={version.status} />
                    </td>
                    <td>{dateTime(version.createdAt)}</td>
                    {KEY_METRICS.map((metric) => (
                      <td key={metric.name} className="number">
                        {metric.format(version.metrics[metric.name])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {list.length >= 2 ? <Compare versions={list} /> : null}
      {admin && list.length > 0 ? <DeploymentActions versions={list} onDone={refresh} /> : null}
      <Card title="Deployment timeline">
        <ErrorNote error={timeline.error} />
        <ol className="timeline" aria-label="deployment timeline">
          {(timeline.data ?? []).map((event) => (
            <li key={event.id} data-action={event.action}>
              <time dateTime={event.timestamp}>{dateTime(event.timestamp)}</time>{' '}
              <strong>{words(event.action)}</strong>{' '}
              {event.fromVersion && event.action !== 'register' ? `${event.fromVersion} → ` : ''}
              {event.version} <Badge value={event.status} />
              {event.reason ? <span className="reason">“{event.reason}”</span> : null}
              {event.actor ? <span className="muted"> by {event.actor}</span> : null}
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}

function Compare({ versions }: { versions: ModelVersion[] }) {
  const production = versions.find((v) => v.status === 'production');
  const [a, setA] = useState(production?.version ?? versions[1]!.version);
  const [b, setB] = useState(versions.find((v) => v.version !== a)!.version);
  const comparison = useApiResource((api) => api.compareVersions(a, b), { deps: [a, b], enabled: a !== b });
  const names = Object.keys(comparison.data?.metrics ?? {});
  const known = KEY_METRICS.filter((m) => names.includes(m.name));
  const select = (value: string, set: (v: string) => void, label: string) => (
    <label>
      {label}{' '}
      <select value={value} onChange={(event) => set(event.target.value)}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            {v.version} ({words(v.status)})
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <Card title="Compare versions">
      <div className="row">
        {select(a, setA, 'A')}
        {select(b, setB, 'B')}
      </div>
      <ErrorNote error={comparison.error} />
      {a === b ? (
        <Empty>Choose two different versions.</Empty>
      ) : known.length === 0 ? (
        <Empty>These versions have no metrics in common.</Empty>
      ) : (
        <div className="table-scroll">
          <table aria-label="comparison">
            <thead>
              <tr>
                <th>Metric</th>
                <th className="number">{a}</th>
                <th className="number">{b}</th>
                <th className="number">B − A</th>
              </tr>
            </thead>
            <tbody>
              {known.map(({ name, label, format }) => {
                const row = comparison.data!.metrics[name]!;
                return (
                  <tr key={name}>
                    <td>{label}</td>
                    <td className="number">{format(row.a)}</td>
                    <td className="number">{format(row.b)}</td>
                    <td className={`number ${row.difference > 0 ? 'up' : row.difference < 0 ? 'down' : ''}`}>
                      {row.difference > 0 ? '+' : ''}
                      {format(row.difference)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

/** The statuses a deployment (or a rollback) may take to production (src/registry/lifecycle.ts). */
const DEPLOYABLE: ReadonlySet<VersionStatus> = new Set(['validated', 'ab_testing', 'retired', 'rolled_back']);

function DeploymentActions({ versions, onDone }: { versions: ModelVersion[]; onDone: () => void }) {
  const client = useApiClient();
  const deployable = versions.filter((v) => DEPLOYABLE.has(v.status));
  const [picked, setTarget] = useState('');
  // The choice falls back to the first deployable version when the list changes under it.
  const target = deployable.some((v) => v.version === picked) ? picked : (deployable[0]?.version ?? '');
  const [deployReason, setDeployReason] = useState('');
  const [force, setForce] = useState(false);
  const [rollbackTo, setRollbackTo] = useState('');
  const [rollbackReason, setRollbackReason] = useState('');
  const deploy = useAction();
  const rollback = useAction();
  const [done, setDone] = useState<string | null>(null);

  const onDeploy = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await deploy.run(() =>
      client.deploy({
        version: target,
        ...(deployReason.trim() ? { reason: deployReason.trim() } : {}),
        ...(force ? { force } : {}),
      }),
    );
    if (answer) {
      setDone(
        `Version ${answer.version} is in production${answer.previous ? ` (was ${answer.previous})` : ''}.`,
      );
      setDeployReason('');
      setForce(false);
      onDone();
    }
  };
  const onRollback = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await rollback.run(() =>
      client.rollback({ reason: rollbackReason.trim(), ...(rollbackTo ? { version: rollbackTo } : {}) }),
    );
    if (answer) {
      setDone(`Rolled back to ${answer.version}${answer.previous ? ` from ${answer.previous}` : ''}.`);
      setRollbackReason('');
      onDone();
    }
  };

  return (
    <Card title="Deploy or roll back">
      {done ? (
        <p className="done" role="status">
          {done}
        </p>
      ) : null}
      <form className="form" onSubmit={(event) => void onDeploy(event)} aria-label="deploy">
        <label>
          Version{' '}
          <select value={target} onChange={(event) => setTarget(event.target.value)}>
            {deployable.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version} ({words(v.status)})
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason <input value={deployReason} onChange={(event) => setDeployReason(event.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} />{' '}
          Deploy inside the cooldown (needs a reason)
        </label>
        <button type="submit" disabled={deploy.busy || !target}>
          Deploy
        </button>
        <ErrorNote error={deploy.error} />
      </form>
      <form className="form" onSubmit={(event) => void onRollback(event)} aria-label="rollback">
        <label>
          Roll back to{' '}
          <select value={rollbackTo} onChange={(event) => setRollbackTo(event.target.value)}>
            <option value="">the last good version</option>
            {deployable.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version} ({words(v.status)})
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason{' '}
          <input
            required
            name="rollback-reason"
            value={rollbackReason}
            onChange={(event) => setRollbackReason(event.target.value)}
            placeholder="e.g. live Sharpe fell below 0.5"
          />
        </label>
        <button type="submit" className="danger" disabled={rollback.busy || !rollbackReason.trim()}>
          Roll back
        </button>
        <ErrorNote error={rollback.error} />
      </form>
    </Card>
  );
}
