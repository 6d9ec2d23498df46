/** The product README's health hook: the system's health with its reasons, kept current. */
import type { ApiClient } from './client.js';
import type { SystemHealth } from './types.js';
import { useApiResource } from './use-api-resource.js';

export interface SystemHealthOptions {
  /** Default 30 s; jobs, deployments and alerts also trigger a read. */
  pollIntervalMs?: number;
  client?: ApiClient;
}

export interface SystemHealthState {
  /** Null until read. */
  health: SystemHealth | null;
  loading: boolean;
  error: Error | null;
  refresh: () => Promise<void>;
}

export function useSystemHealth(options: SystemHealthOptions = {}): SystemHealthState {
  const resource = useApiResource((api) => api.getHealth(), {
    ...(options.client ? { client: options.client } : {}),
    events: ['job', 'deployment', 'alert'],
    pollIntervalMs: options.pollIntervalMs ?? 30_000,
  });
  return {
    health: resource.data ?? null,
    loading: resource.loading,
    error: resource.error,
    refresh: resource.refresh,
  };
}
