/**
 * Something read from the API and kept current: loaded on mount, read again every
 * `pollIntervalMs`, and soon after a server-sent event of the kinds it depends on (or the event
 * stream coming back, since events sent while it was down are lost).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from './client.js';
import { useApiClient } from './context.js';
import type { ServerEvent, ServerEventType } from './types.js';

export interface ApiResourceOptions {
  /** Default: the ApiProvider's client. */
  client?: ApiClient;
  /** Event kinds after which the resource is read again. Default none. */
  events?: readonly ServerEventType[];
  /** 0 or absent: no polling. */
  pollIntervalMs?: number;
  /** Values the loader depends on (like useEffect's): a change reads again. */
  deps?: readonly unknown[];
  /** False: nothing is read (e.g. until a version is chosen). Default true. */
  enabled?: boolean;
  /** Called with each server-sent event of the listed kinds, before the read it causes. */
  onEvent?: (event: ServerEvent) => void;
}

export interface ApiResource<T> {
  data: T | undefined;
  /** The last read's failure; cleared by a successful read. */
  error: Error | null;
  /** True until the first read has answered. */
  loading: boolean;
  refresh: () => Promise<void>;
  /** Replaces the data at once, e.g. with the row an action answered, before the next read. */
  setData: (update: (data: T | undefined) => T | undefined) => void;
}

/** Events often come in bursts (one per changed row): one read after the burst is enough. */
const EVENT_DEBOUNCE_MS = 250;

export function useApiResource<T>(
  load: (client: ApiClient) => Promise<T>,
  options: ApiResourceOptions = {},
): ApiResource<T> {
  const client = useApiClient(options.client);
  const enabled = options.enabled ?? true;
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(enabled);
  const loadRef = useRef(load);
  loadRef.current = load;
  const onEventRef = useRef(options.onEvent);
  onEventRef.current = options.onEvent;
  // Only the newest read may set the state: an older, slower answer is dropped.
  const sequence = useRef(0);
  const mounted = useRef(true);

  const refresh = useCallback(async () => {
    if (!enabled) return;
    const mine = ++sequence.current;
    try {
      const value = await loadRef.current(client);
      if (!mounted.current || mine !== sequence.current) return;
      setDataState(() => value);
      setError(null);
    } catch (caught) {
      if (!mounted.current || mine !== sequence.current) return;
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      if (mounted.current && mine === sequence.current) setLoading(false);
    }
    // The caller's dependencies decide when the loader changes meaning.
  }, [client, enabled, ...(options.deps ?? [])]);

  useEffect(() => {
    mounted.current = true;
    if (enabled) {
      setLoading(true);
      void refresh();
    } else {
      sequence.current++; // a read still on its way when disabled is dropped
      setLoading(false);
    }
    return () => {
      mounted.current = false;
    };
  }, [refresh, enabled]);

  const pollIntervalMs = options.pollIntervalMs ?? 0;
  useEffect(() => {
    if (!enabled || pollIntervalMs <= 0) return;
    const timer = setInterval(() => void refresh(), pollIntervalMs);
    return () => clearInterval(timer);
  }, [refresh, enabled, pollIntervalMs]);

  const eventKinds = (options.events ?? []).join(',');
  useEffect(() => {
    if (!enabled || eventKinds === '') return;
    const kinds = new Set(eventKinds.split(','));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      if (timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          void refresh();
        }, EVENT_DEBOUNCE_MS);
      }
    };
    const unsubscribe = client.subscribeEvents(
      (event) => {
        if (!kinds.has(event.type)) return;
        onEventRef.current?.(event);
        soon();
      },
      {
        // Events sent before the stream (re)connected are lost: read again once it is up.
        onConnectionChange: (state) => {
          if (state.connected) soon();
        },
      },
    );
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [client, refresh, enabled, eventKinds]);

  const setData = useCallback((update: (value: T | undefined) => T | undefined) => setDataState(update), []);
  return { data, error, loading, refresh, setData };
}
