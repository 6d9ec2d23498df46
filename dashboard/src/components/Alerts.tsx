/** Alerts, open and resolved, coloured by severity; the admin key acknowledges and resolves them. */
import { useCallback, useState, type FormEvent } from 'react';
import { useAlerts, type Alert } from '../../../src/react/index.js';
import { dateTime, relative, words } from '../format.js';
import { Badge, Card, Empty, ErrorNote, useAction, useIsAdmin } from './common.js';

/** How many resolved alerts are listed, newest first. */
const RESOLVED_SHOWN = 50;

export function Alerts() {
  // Read apart, so open alerts are all listed however many were resolved before them.
  const open = useAlerts({ state: 'open', limit: 1000 });
  const resolved = useAlerts({ state: 'resolved', limit: RESOLVED_SHOWN });
  const { refresh: refreshResolved } = resolved;
  const resolve = useCallback(
    async (id: string, resolution: string) => {
      const row = await open.resolveAlert(id, resolution);
      void refreshResolved();
      return row;
    },
    [open.resolveAlert, refreshResolved],
  );
  return (
    <div className="stack">
      <ErrorNote error={open.error ?? resolved.error} />
      <AlertList
        title={`Open alerts (${open.alerts.length})`}
        label="open alerts"
        empty={open.loading ? null : 'No open alert.'}
        alerts={open.alerts}
        onAcknowledge={open.acknowledgeAlert}
        onResolve={resolve}
      />
      <AlertList
        title={
          resolved.alerts.length >= RESOLVED_SHOWN
            ? `Resolved (the last ${RESOLVED_SHOWN})`
            : `Resolved (${resolved.alerts.length})`
        }
        label="resolved alerts"
        empty={resolved.loading ? null : 'None resolved yet.'}
        alerts={resolved.alerts}
        onAcknowledge={resolved.acknowledgeAlert}
        onResolve={resolved.resolveAlert}
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
