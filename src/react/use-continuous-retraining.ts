/**
 * The product README's main hook: the system's status kept current (polling and server-sent
 * events), and its actions — start and stop, retrain, A/B test, roll back.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createApiClient, type ApiClient } from './client.js';
import { useApiClient } from './context.js';
import { describeError } from './errors.js';
import type { AbTest, DeploymentResult, ModelMetrics, RetrainingJob, SystemStatus } from './types.js';
import { useApiResource } from './use-api-resource.js';

export interface ContinuousRetrainingConfig {
  /** With `apiKey`: a client of its own instead of the ApiProvider's. */
  baseUrl?: string;
  apiKey?: string;
  /** How often the status is read besides the events. Default 10 s; 0 only on events. */
  pollIntervalMs?: number;
  /** How long a failed action stays in `error` unless cleared sooner. Default 15 s; 0 until cleared. */
  actionErrorMs?: number;
}

export interface ContinuousRetraining {
  /** The `GET /v1/status` object; null until it is read. */
  system: SystemStatus | null;
  /** True until the first status read answers (actions do not set it: see `isActing`). */
  isLoading: boolean;
  /** True while an action (start, stop, retrain, A/B test, rollback) is waiting for its answer. */
  isActing: boolean;
  /**
   * What went wrong, in words a person understands (`describeError`), so `{error}` renders as the
   * product README shows: a failed action, until the next action succeeds, `clearError()` is called
   * or `actionErrorMs` pass; otherwise the last failed status read (until the next one succeeds).
   */
  error: string | null;
  /** The same failure as an Error (an `ApiError` with `status`, `code` and `field` from the API). */
  errorDetail: Error | null;
  /** The failed action alone (same lifetime as above); null when the last failure was a read. */
  actionError: Error | null;
  /** Forgets a failed action's error. */
  clearError: () => void;
  isRunning: boolean;
  /** The production version's metrics; null without one. */
  metrics: ModelMetrics | null;
  startSystem: () => Promise<SystemStatus>;
  stopSystem: () => Promise<SystemStatus>;
  /** Starts a retraining job (`POST /v1/jobs`); it runs on the server. */
  runRetraining: () => Promise<RetrainingJob>;
  /** `trafficSplit` is the % of traffic to B. */
  startABTest: (modelA: string, modelB: string, trafficSplit: number) => Promise<AbTest>;
  /** To the last good version, or `version`; the reason is kept in the deployment ledger. */
  rollbackModel: (reason: string, version?: string) => Promise<DeploymentResult>;
  refresh: () => Promise<void>;
}

const isClient = (config: unknown): config is ApiClient =>
  typeof config === 'object' && config !== null && typeof (config as ApiClient).getStatus === 'function';

export function useContinuousRetraining(
  autoStart = false,
  config: ContinuousRetrainingConfig | ApiClient = {},
): ContinuousRetraining {
  const settings = isClient(config) ? {} : config;
  const own = useMemo(() => {
    if (isClient(config)) return config;
    if (settings.apiKey === undefined) {
      if (settings.baseUrl !== undefined)
        throw new TypeError('useContinuousRetraining: config.baseUrl needs config.apiKey');
      return undefined;
    }
    return createApiClient({ baseUrl: settings.baseUrl ?? '', key: settings.apiKey });
    // A new client only when the address or the key changes, not on every render's new object.
  }, [isClient(config) ? config : null, settings.baseUrl, settings.apiKey]);
  const client = useApiClient(own);

  const status = useApiResource((api) => api.getStatus(), {
    client,
    events: ['job', 'deployment', 'alert'],
    pollIntervalMs: settings.pollIntervalMs ?? 10_000,
  });
  const [pending, setPending] = useState(0);
  const [actionError, setActionError] = useState<Error | null>(null);
  const { refresh, setData } = status;
  const actionErrorMs = settings.actionErrorMs ?? 15_000;
  // A failed action is news for a while, not for ever: a component that shows `error` instead of
  // its buttons (as the product README's example does) gets them back.
  useEffect(() => {
    if (!actionError || actionErrorMs <= 0) return;
    const timer = setTimeout(() => setActionError(null), actionErrorMs);
    return () => clearTimeout(timer);
  }, [actionError, actionErrorMs]);
  const clearError = useCallback(() => setActionError(null), []);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  /** Runs an action, records its failure, and reads the status again either way. */
  const act = useCallback(
    async <T>(action: () => Promise<T>): Promise<T> => {
      setPending((n) => n + 1);
      try {
        const result = await action();
        setActionError(null);
        return result;
      } catch (error) {
        setActionError(error instanceof Error ? error : new Error(String(error)));
        throw error;
      } finally {
        setPending((n) => n - 1);
        if (mounted.current) void refresh();
      }
    },
    [refresh],
  );

  const startSystem = useCallback(
    () =>
      act(async () => {
        const answer = await client.startSystem();
        setData(() => answer);
        return answer;
      }),
    [act, client, setData],
  );
  const stopSystem = useCallback(
    () =>
      act(async () => {
        const answer = await client.stopSystem();
        setData(() => answer);
        return answer;
      }),
    [act, client, setData],
  );
  const runRetraining = useCallback(() => act(() => client.startRetraining()), [act, client]);
  const startABTest = useCallback(
    (modelA: string, modelB: string, trafficSplit: number) =>
      act(() => client.startAbTest({ modelA, modelB, trafficSplit })),
    [act, client],
  );
  const rollbackModel = useCallback(
    (reason: string, version?: string) =>
      act(() => client.rollback({ reason, ...(version !== undefined ? { version } : {}) })),
    [act, client],
  );

  // autoStart: start the system once, if the first status read finds it stopped.
  const autoStarted = useRef(false);
  useEffect(() => {
    if (!autoStart || autoStarted.current || !status.data) return;
    autoStarted.current = true;
    if (!status.data.running) startSystem().catch(() => undefined);
  }, [autoStart, status.data, startSystem]);

  const system = status.data ?? null;
  const failure = actionError ?? status.error;
  return {
    system,
    isLoading: status.loading && status.data === undefined,
    isActing: pending > 0,
    error: failure ? describeError(failure) : null,
    errorDetail: failure,
    actionError,
    clearError,
    isRunning: system?.running ?? false,
    metrics: system?.productionVersion?.metrics ?? null,
    startSystem,
    stopSystem,
    runRetraining,
    startABTest,
    rollbackModel,
    refresh,
  };
}
