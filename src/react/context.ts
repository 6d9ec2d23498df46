/**
 * One API client for a React tree: `<ApiProvider client={…}>` (or `baseUrl` and `apiKey`), read
 * by every hook, so they share one connection to the event stream.
 */
import { createContext, createElement, useContext, useMemo, type ReactNode } from 'react';
import { createApiClient, type ApiClient } from './client.js';

const ApiContext = createContext<ApiClient | null>(null);

export type ApiProviderProps = { children?: ReactNode } & (
  | { client: ApiClient; baseUrl?: undefined; apiKey?: undefined }
  | { client?: undefined; baseUrl?: string; apiKey: string }
);

export function ApiProvider(props: ApiProviderProps) {
  const { client: given, baseUrl = '', apiKey } = props;
  const client = useMemo(
    () => given ?? createApiClient({ baseUrl, key: apiKey ?? '' }),
    [given, baseUrl, apiKey],
  );
  return createElement(ApiContext.Provider, { value: client }, props.children);
}

/** The client of the nearest ApiProvider, or `client` when one is given. */
export function useApiClient(client?: ApiClient): ApiClient {
  const provided = useContext(ApiContext);
  const chosen = client ?? provided;
  if (!chosen) {
    throw new Error(
      'no API client: wrap the component in <ApiProvider client={createApiClient({ baseUrl, key })}> or pass a client',
    );
  }
  return chosen;
}
