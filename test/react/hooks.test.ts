// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiProvider,
  createApiClient,
  useAlerts,
  useContinuousRetraining,
  useSystemHealth,
  type Alert,
  type ApiClient,
} from '../../src/react/index.js';
import { startTestApi, type TestApi } from './api-process.js';

let api: TestApi;
let admin: ApiClient;

const wrapper = (client: ApiClient) =>
  function Wrapper({ children }: { children: ReactNode }) {
    return createElement(ApiProvider, { client }, children);
  };

describe('React hooks against a real server', () => {
  beforeAll(async () => {
    api = await startTestApi({ models: ['a', 'b', 'c'], deploy: 2 });
    admin = createApiClient({ baseUrl: api.base, key: api.admin, eventStream: { minDelayMs: 50 } });
  }, 120_000);
  afterEach(() => cleanup());
  afterAll(async () => {
    await api?.close();
  });

  it('useContinuousRetraining reads the status and production metrics, retrains, rolls back and starts an A/B test', async () => {
    const [a, b, c] = api.versions as [string, string, string];
    const { result } = renderHook(() => useContinuousRetraining(false, { pollIntervalMs: 0 }), {
      wrapper: wrapper(admin),
    });
    expect(result.current.isLoading).toBe(true);
    await waitFor(() => expect(result.current.system).not.toBeNull());
    expect(result.current.isLoading).toBe(false);
    expect(result.current.isRunning).toBe(false);
    expect(result.current.system?.productionVersion?.version).toBe(b);
    expect(result.current.metrics).toEqual(result.current.system?.productionVersion?.metrics);

    let jobId = '';
    await act(async () => {
      jobId = (await result.current.runRetraining()).id;
    });
    // No market data in this database: the job ends skipped; the status follows it by itself.
    const jobs = createApiClient({ baseUrl: api.base, key: api.read });
    await waitFor(async () => expect((await jobs.getJob(jobId)).status).toBe('skipped'), { timeout: 20_000 });
    await waitFor(() => expect(result.current.system?.currentJob).toBeNull());

    let rolledBack = '';
    await act(async () => {
      rolledBack = (await result.current.rollbackModel('live Sharpe fell')).version;
    });
    expect(rolledBack).toBe(a);
    await waitFor(() => expect(result.current.system?.productionVersion?.version).toBe(a));

    await act(async () => {
      const test = await result.current.startABTest(a, c, 30);
      expect(test).toMatchObject({ modelAVersion: a, modelBVersion: c, trafficSplit: 30, status: 'active' });
    });
    const [test] = await admin.listAbTests();
    await admin.stopAbTest(test!.id, 'test over');

    // A refused action rejects and is kept in `error`, in the API's terms, until cleared.
    await act(async () => {
      await expect(result.current.rollbackModel('')).rejects.toMatchObject({ code: 'invalid_input' });
    });
    expect(result.current.errorDetail).toMatchObject({ status: 400, field: 'reason' });
    expect(result.current.actionError).toBe(result.current.errorDetail);
    // `error` is words, renderable as the product README does (`<div>Error: {error}</div>`).
    expect(result.current.error).toBe('Request body: reason is required and cannot be empty.');
    act(() => result.current.clearError());
    expect(result.current.error).toBeNull();
    expect(result.current.actionError).toBeNull();
  });

  it('useContinuousRetraining: an action is `isActing`, not `isLoading`, and its failure leaves `error` by itself', async () => {
    const { result } = renderHook(
      () => useContinuousRetraining(false, { pollIntervalMs: 0, actionErrorMs: 300 }),
      { wrapper: wrapper(admin) },
    );
    await waitFor(() => expect(result.current.system).not.toBeNull());
    let pending: Promise<unknown> = Promise.resolve();
    act(() => {
      pending = result.current.rollbackModel('').catch((error: unknown) => error);
    });
    // While the request is out, the component keeps its content (the README's `if (isLoading)`).
    expect(result.current.isActing).toBe(true);
    expect(result.current.isLoading).toBe(false);
    await act(async () => {
      await pending;
    });
    expect(result.current.isActing).toBe(false);
    expect(result.current.errorDetail).toMatchObject({ status: 400 });
    // A component that shows `error` instead of its buttons gets them back.
    await waitFor(() => expect(result.current.error).toBeNull(), { timeout: 5_000 });
  });

  it("the product README's example component renders: loading, the status, an action's error in words, then its button again", async () => {
    // As the product README writes it, but rolling back without a reason, which the API refuses.
    function RetrainingDashboard() {
      const { isLoading, error, isRunning, rollbackModel } = useContinuousRetraining(false, {
        pollIntervalMs: 0,
        actionErrorMs: 500,
      });
      if (isLoading) return createElement('div', null, 'Loading...');
      if (error) return createElement('div', null, 'Error: ', error);
      return createElement(
        'div',
        null,
        createElement('p', null, `Status: ${isRunning ? 'Running' : 'Stopped'}`),
        createElement(
          'button',
          { onClick: () => void rollbackModel('').catch(() => undefined) },
          'Roll back',
        ),
      );
    }
    render(createElement(RetrainingDashboard), { wrapper: wrapper(admin) });
    expect(screen.getByText('Loading...')).toBeTruthy();
    await screen.findByText('Status: Stopped', {}, { timeout: 10_000 });
    fireEvent.click(screen.getByRole('button', { name: 'Roll back' }));
    const shown = await screen.findByText(/^Error: /, {}, { timeout: 10_000 });
    expect(shown.textContent).toMatch(/reason/i);
    await screen.findByRole('button', { name: 'Roll back' }, { timeout: 5_000 });
  });

  it('useContinuousRetraining follows server-sent deployments without polling, with a client of its own', async () => {
    const { result } = renderHook(() =>
      useContinuousRetraining(false, { baseUrl: api.base, apiKey: api.read, pollIntervalMs: 0 }),
    );
    await waitFor(() => expect(result.current.system).not.toBeNull());
    const before = result.current.system!.productionVersion!.version;
    const target = api.versions.find((v) => v !== before && v !== api.versions[2])!;
    await admin.deploy({ version: target, force: true, reason: 'event test' });
    await waitFor(() => expect(result.current.system?.productionVersion?.version).toBe(target), {
      timeout: 10_000,
    });
  });

  it('useContinuousRetraining starts a stopped system when autoStart is set, and stops it', async () => {
    expect((await admin.getStatus()).running).toBe(false);
    const { result } = renderHook(() => useContinuousRetraining(true, admin));
    await waitFor(() => expect(result.current.isRunning).toBe(true), { timeout: 20_000 });
    await act(async () => {
      expect((await result.current.stopSystem()).running).toBe(false);
    });
    expect(result.current.isRunning).toBe(false);
  });

  it('useAlerts shows a raised alert as it arrives, acknowledges it and resolves it', async () => {
    const { result } = renderHook(() => useAlerts({ pollIntervalMs: 0 }), { wrapper: wrapper(admin) });
    await waitFor(() => expect(result.current.loading).toBe(false));
    const raised = await api.command<Alert>('raiseAlert', {
      type: 'performance_degradation',
      severity: 'critical',
      message: 'live Sharpe 0.1 is below 0.5',
    });
    await waitFor(() => expect(result.current.alerts.map((alert) => alert.id)).toContain(raised.id), {
      timeout: 10_000,
    });

    await act(async () => {
      expect(await result.current.acknowledgeAlert(raised.id)).toMatchObject({ acknowledged: true });
    });
    expect(result.current.alerts.find((alert) => alert.id === raised.id)?.acknowledged).toBe(true);

    await act(async () => {
      await expect(result.current.resolveAlert(raised.id, '')).rejects.toMatchObject({ field: 'resolution' });
      await result.current.resolveAlert(raised.id, 'rolled back to the previous version');
    });
    expect(result.current.alerts.map((alert) => alert.id)).not.toContain(raised.id);

    const all = renderHook(() => useAlerts({ all: true, pollIntervalMs: 0 }), { wrapper: wrapper(admin) });
    await waitFor(() =>
      expect(all.result.current.alerts.find((alert) => alert.id === raised.id)).toMatchObject({
        resolution: 'rolled back to the previous version',
      }),
    );
  });

  it('useSystemHealth reads the health with its reasons and reads it again on refresh', async () => {
    const { result } = renderHook(() => useSystemHealth({ pollIntervalMs: 0 }), { wrapper: wrapper(admin) });
    await waitFor(() => expect(result.current.health).not.toBeNull());
    const first = result.current.health!;
    expect(first.checks.map((check) => check.name)).toContain('production_model');
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await result.current.refresh();
    });
    expect(result.current.health!.checkedAt > first.checkedAt).toBe(true);
  });

  it('says what is missing when a hook has no client', () => {
    expect(() => renderHook(() => useSystemHealth())).toThrow(/wrap the component in <ApiProvider/);
  });
});
