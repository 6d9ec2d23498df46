/**
 * A typed client of the HTTP API (docs/api.md): one method per route, every failure an ApiError,
 * and one shared event stream however many listeners subscribe.
 */
import { ApiError, apiErrorOf } from './errors.js';
import { openEventStream, type ConnectionState } from './event-stream.js';
import type {
  AbTest,
  AbTestResults,
  Alert,
  AlertSeverity,
  Bar,
  DeploymentEvent,
  DeploymentResult,
  DriftReport,
  EquityCurve,
  IngestReport,
  KeyRole,
  MetricsRecord,
  MetricsSource,
  ModelVersion,
  PredictRequest,
  Prediction,
  RetrainingJob,
  Schedule,
  ServerEvent,
  SystemHealth,
  SystemStatus,
  Trade,
  VersionComparison,
  VersionStatus,
  VersionWithEvents,
} from './types.js';

export interface ApiClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:8787`; '' for the page's own origin. */
  baseUrl: string;
  /** The admin key, or the read key for a read-only client. */
  key: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Reconnection backoff of the event stream. Defaults 1 s, doubling to 30 s. */
  eventStream?: { minDelayMs?: number; maxDelayMs?: number };
}

export interface EventSubscription {
  onConnectionChange?: (state: ConnectionState) => void;
}

type Query = Record<string, string | number | boolean | undefined>;

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(options: ApiClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, query?: Query): Promise<T> {
    let url = `${base}/v1${path}`;
    if (query) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query))
        if (value !== undefined) params.set(name, String(value));
      const text = params.toString();
      if (text) url += `?${text}`;
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.key}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ApiError(
        0,
        'network_error',
        `cannot reach ${base || 'the server'}: ${(error as Error).message}`,
      );
    }
    if (!response.ok) throw await apiErrorOf(response);
    return (await response.json()) as T;
  }
  const get = <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query);
  const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
  const id = (value: string) => encodeURIComponent(value);

  // One stream for every listener of this client; opened with the first, closed after the last.
  const listeners = new Set<{ onEvent: (event: ServerEvent) => void } & EventSubscription>();
  let connection: ConnectionState = { connected: false, error: null, retryInMs: null };
  let closeStream: (() => void) | null = null;

  function subscribeEvents(onEvent: (event: ServerEvent) => void, subscription: EventSubscription = {}) {
    const listener = { onEvent, ...subscription };
    listeners.add(listener);
    if (connection.connected) listener.onConnectionChange?.(connection);
    closeStream ??= openEventStream({
      url: `${base}/v1/events`,
      key: options.key,
      fetch: fetchImpl,
      ...options.eventStream,
      onEvent: (event) => {
        for (const each of [...listeners]) each.onEvent(event);
      },
      onConnectionChange: (state) => {
        connection = state;
        for (const each of [...listeners]) each.onConnectionChange?.(state);
      },
    });
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && closeStream) {
        closeStream();
        closeStream = null;
        connection = { connected: false, error: null, retryInMs: null };
      }
    };
  }

  return {
    baseUrl: base,

    // Trading bots.
    predict: (body: PredictRequest) => post<Prediction>('/predict', body),
    sendTrades: (trades: Trade[]) => post<IngestReport>('/trades', { trades }),
    sendBars: (body: { symbol?: string; interval?: string; bars: Bar[] }) =>
      post<IngestReport>('/bars', body),

    // State of the system.
    getStatus: () => get<SystemStatus>('/status'),
    getHealth: () => get<SystemHealth>('/health'),
    getSchedule: (query: { count?: number } = {}) => get<Schedule>('/schedule', query),
    /** POST /v1/system/start: the scheduler and worker of the server's system; answers the status. */
    startSystem: () => post<SystemStatus>('/system/start'),
    stopSystem: () => post<SystemStatus>('/system/stop'),

    // Retraining jobs.
    listJobs: (query: { limit?: number } = {}) =>
      get<{ jobs: RetrainingJob[] }>('/jobs', query).then((answer) => answer.jobs),
    getJob: (jobId: string) => get<RetrainingJob>(`/jobs/${id(jobId)}`),
    startRetraining: () => post<RetrainingJob>('/jobs'),

    // Versions and deployments.
    listVersions: (query: { status?: VersionStatus; limit?: number } = {}) =>
      get<{ versions: ModelVersion[] }>('/versions', query).then((answer) => answer.versions),
    getVersion: (version: string) => get<VersionWithEvents>(`/versions/${id(version)}`),
    compareVersions: (a: string, b: string) => get<VersionComparison>('/versions/compare', { a, b }),
    listDeployments: (query: { limit?: number } = {}) =>
      get<{ events: DeploymentEvent[] }>('/deployments', query).then((answer) => answer.events),
    deploy: (body: { version: string; reason?: string; force?: boolean }) =>
      post<DeploymentResult>('/deploy', body),
    rollback: (body: { reason: string; version?: string }) => post<DeploymentResult>('/rollback', body),

    // A/B tests.
    listAbTests: (query: { limit?: number } = {}) =>
      get<{ tests: AbTest[] }>('/ab-tests', query).then((answer) => answer.tests),
    getAbTest: (testId: string) => get<AbTestResults>(`/ab-tests/${id(testId)}`),
    startAbTest: (body: { modelB: string; modelA?: string; trafficSplit?: number; mode?: 'ab' | 'shadow' }) =>
      post<AbTest>('/ab-tests', body),
    stopAbTest: (testId: string, reason: string) => post<AbTest>(`/ab-tests/${id(testId)}/stop`, { reason }),

    // Alerts and monitoring.
    /** Open alerts by default; `state` 'resolved' or 'all' (or `all: true`) for the others. */
    listAlerts: (
      query: {
        state?: 'open' | 'resolved' | 'all';
        all?: boolean;
        severity?: AlertSeverity;
        limit?: number;
      } = {},
    ) => get<{ alerts: Alert[] }>('/alerts', query).then((answer) => answer.alerts),
    acknowledgeAlert: (alertId: string) => post<Alert>(`/alerts/${id(alertId)}/acknowledge`),
    resolveAlert: (alertId: string, resolution: string) =>
      post<Alert>(`/alerts/${id(alertId)}/resolve`, { resolution }),
    getMetricsHistory: (
      query: { version?: string; since?: string; source?: MetricsSource; limit?: number } = {},
    ) => get<{ metrics: MetricsRecord[] }>('/metrics/history', query).then((answer) => answer.metrics),
    /** Live equity per version from `since` (default 90 days ago), at most `points` points each. */
    getEquity: (query: { version?: string; since?: string; points?: number } = {}) =>
      get<{ since: string; curves: EquityCurve[] }>('/equity', query).then((answer) => answer.curves),
    getDrift: (query: { version?: string; limit?: number } = {}) =>
      get<{ reports: DriftReport[] }>('/drift', query).then((answer) => answer.reports),

    /** What the key may do: `admin` everything, `read` the GET routes and predictions. */
    whoami: () => get<{ role: KeyRole }>('/whoami'),

    subscribeEvents,
  };
}
