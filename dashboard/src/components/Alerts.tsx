/** Alerts, open and resolved, coloured by severity; the admin key acknowledges and resolves them. */
import { useState, type FormEvent } from 'react';
import { useAlerts, type Alert } from '../../../src/react/index.js';
import { dateTime, relative, words } from '../format.js';
import { Badge, Card, Empty, ErrorNote, useAction, useIsAdmin } from './common.js';

export function Alerts() {
  const { alerts, loading, error, acknowledgeAlert, resolveAlert } = useAlerts({ all: true, limit: 200 });
  const open = alerts.filter((a) => a.resolvedAt === null);
  const resolved = alerts.filter((a) => a.resolvedAt !== null);
  return (
    <div className="stack">
      <ErrorNote error={error} />
      <AlertList
        title={`Open alerts (${open.length})`}
        label="open alerts"
        empty={loading ? null : 'No open alert.'}
        alerts={open}
        onAcknowledge={acknowledgeAlert}
        onResolve={resolveAlert}
      />
      <AlertList
        title={`Resolved (${resolved.length})`}
        label="resolved alerts"
        empty={loading ? null : 'None resolved yet.'}
        alerts={resolved}
        onAcknowledge={acknowledgeAlert}
        onResolve={resolveAlert}
      />
    </div>
  );
}

function AlertList(props: {
  title: string;
  label: string;
  /** Shown when the list is empty; null while loading. */
  empty: string | null;
  alerts: Alert[];
  onAcknowledge: (id: string) => Promise<Alert>;
  onResolve: (id: string, resolution: string) => Promise<Alert>;
}) {
  return (
    <Card title={props.title}>
      {props.alerts.length === 0 && props.empty !== null ? <Empty>{props.empty}</Empty> : null}
      <ul className="alerts" aria-label={props.label}>
        {props.alerts.map((alert) => (
          <AlertItem
            key={alert.id}
            alert={alert}
            onAcknowledge={props.onAcknowledge}
            onResolve={props.onResolve}
          />
        ))}
      </ul>
    </Card>
  );
}

function AlertItem(props: {
  alert: Alert;
  onAcknowledge: (id: string) => Promise<Alert>;
  onResolve: (id: string, resolution: string) => Promise<Alert>;
}) {
  const { alert } = props;
  const admin = useIsAdmin();
  const action = useAction();
  const [resolution, setResolution] = useState('');
  const open = alert.resolvedAt === null;

  const onResolve = async (event: FormEvent) => {
    event.preventDefault();
    await action.run(() => props.onResolve(alert.id, resolution.trim()));
  };

  return (
    <li className={`alert severity-${alert.severity}`} data-alert={alert.id}>
      <div className="alert-head">
        <Badge value={alert.severity} /> <strong>{words(alert.type)}</strong>
        {alert.version ? <span className="muted"> · version {alert.version}</span> : null}
        <span className="muted">
          {' '}
          · {relative(alert.timestamp)}
          {alert.occurrences > 1 ? ` · ${alert.occurrences} times, last ${relative(alert.lastSeenAt)}` : ''}
        </span>
        {alert.acknowledged && open ? <span className="tag">acknowledged</span> : null}
      </div>
      <p>{alert.message}</p>
      {!open ? (
        <p className="muted">
          Resolved {dateTime(alert.resolvedAt)}
          {alert.resolution ? `: ${alert.resolution}` : ''}
        </p>
      ) : null}
      {admin && open ? (
        <div className="actions">
          {!alert.acknowledged ? (
            <button
              type="button"
              disabled={action.busy}
              onClick={() => void action.run(() => props.onAcknowledge(alert.id))}
            >
              Acknowledge
            </button>
          ) : null}
          <form className="inline-form" onSubmit={(event) => void onResolve(event)} aria-label="resolve">
            <input
              required
              value={resolution}
              onChange={(event) => setResolution(event.target.value)}
              placeholder="What was done"
              aria-label="resolution"
            />
            <button type="submit" disabled={action.busy || !resolution.trim()}>
              Resolve
            </button>
          </form>
        </div>
      ) : null}
      <ErrorNote error={action.error} />
    </li>
  );
}
