/**
 * React hooks and a typed client of the HTTP API, for your own React app:
 *
 *   const client = createApiClient({ baseUrl: 'http://127.0.0.1:8787', key });
 *   <ApiProvider client={client}><App /></ApiProvider>
 *   const { system, runRetraining } = useContinuousRetraining();
 *
 * React is a peer of this entry point only; the server side never imports it.
 */
export { createApiClient, type ApiClient, type ApiClientOptions, type EventSubscription } from './client.js';
export { ApiProvider, useApiClient, type ApiProviderProps } from './context.js';
export { ApiError, describeError } from './errors.js';
export {
  EventStreamParser,
  openEventStream,
  type ConnectionState,
  type EventStreamOptions,
} from './event-stream.js';
export { useAlerts, type Alerts, type AlertsOptions } from './use-alerts.js';
export { useApiResource, type ApiResource, type ApiResourceOptions } from './use-api-resource.js';
export {
  useContinuousRetraining,
  type ContinuousRetraining,
  type ContinuousRetrainingConfig,
} from './use-continuous-retraining.js';
export { useSystemHealth, type SystemHealthOptions, type SystemHealthState } from './use-system-health.js';
export type * from './types.js';
