/** The product README's alerts hook: open alerts (or resolved, or all), kept current, acknowledged and resolved. */
import { useCallback } from 'react';
import type { ApiClient } from './client.js';
import { useApiClient } from './context.js';
import type { Alert, AlertSeverity } from './types.js';
import { useApiResource } from './use-api-resource.js';

export interface AlertsOptions {
  /** Which alerts: default 'open'. */
  state?: 'open' | 'resolved' | 'all';
  /** The same as `state: 'all'`. */
  all?: boolean;
  severity?: AlertSeverity;
  limit?: number;
  /** Default 30 s; alerts also arrive as server-sent events. */
  pollIntervalMs?: number;
  client?: ApiClient;
}

export interface Alerts {
  /** Newest first; empty until read. */
  alerts: Alert[];
  loading: boolean;
  error: Error | null;
  acknowledgeAlert: (id: string) => Promise<Alert>;
  /** `resolution` says what was done; it is required. */
  resolveAlert: (id: string, resolution: string) => Promise<Alert>;
  refresh: () => Promise<void>;
}

export function useAlerts(options: AlertsOptions = {}): Alerts {
  const { severity, limit, client } = options;
  const state = options.state ?? (options.all ? 'all' : 'open');
  const resource = useApiResource((api) => api.listAlerts({ state, severity, limit }), {
    ...(client ? { client } : {}),
    events: ['alert'],
    pollIntervalMs: options.pollIntervalMs ?? 30_000,
    deps: [state, severity, limit],
  });
  const { refresh, setData } = resource;

  /** The row an action answered replaces the listed one at once; a resolved one leaves the open list. */
  const apply = useCallback(
    (row: Alert) => {
      setData((alerts) =>
        (alerts ?? [])
          .map((alert) => (alert.id === row.id ? row : alert))
          .filter((alert) => state !== 'open' || alert.resolvedAt === null),
      );
      void refresh();
      return row;
    },
    [state, refresh, setData],
  );
  const api = useApiClient(client);
  const acknowledgeAlert = useCallback((id: string) => api.acknowledgeAlert(id).then(apply), [api, apply]);
  const resolveAlert = useCallback(
    (id: string, resolution: string) => api.resolveAlert(id, resolution).then(apply),
    [api, apply],
  );

  return {
    alerts: resource.data ?? [],
    loading: resource.loading,
    error: resource.error,
    acknowledgeAlert,
    resolveAlert,
    refresh,
  };
}
