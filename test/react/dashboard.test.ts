// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../dashboard/src/App.js';
import { createApiClient, type Alert } from '../../src/react/index.js';
import { startTestApi, type TestApi } from './api-process.js';
import { featureDriftReport } from '../helpers/drift-fixture.js';

let api: TestApi;
const STORAGE_KEY = 'retraining.apiKey';
const LONG = { timeout: 10_000 };

function open(key: string | null, page = '') {
  if (key) window.sessionStorage.setItem(STORAGE_KEY, key);
  window.history.replaceState(null, '', `/${page ? `#/${page}` : ''}`);
  return render(createElement(App, { baseUrl: api.base }));
}

async function goTo(page: string) {
  await act(async () => {
    window.location.hash = `#/${page}`;
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
}

describe('dashboard in jsdom against a real server', () => {
  beforeAll(async () => {
    api = await startTestApi({ models: ['a', 'b', 'c'], deploy: 2 });
  }, 120_000);
  afterEach(() => {
    cleanup();
    window.sessionStorage.clear();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('takes the key from the #key= link, keeps it for the tab and removes it from the address bar', async () => {
    window.history.replaceState(null, '', `/#key=${api.admin}`);
    render(createElement(App, { baseUrl: api.base }));
    expect(window.location.hash).toBe('');
    expect(window.sessionStorage.getItem(STORAGE_KEY)).toBe(api.admin);
    const production = await screen.findByRole('region', { name: 'Production model' }, LONG);
    expect(within(production).getByText(api.versions[1]!)).toBeTruthy();
    const health = screen.getByRole('region', { name: 'Health' });
    expect(health.textContent).toContain(`model ${api.versions[1]} is in production`);

    fireEvent.click(await screen.findByRole('button', { name: 'Run retraining now' }));
    // No market data here: the job is skipped, and the page shows it finished.
    const retraining = screen.getByRole('region', { name: 'Retraining' });
    await waitFor(() => expect(within(retraining).getByText('skipped')).toBeTruthy(), { timeout: 20_000 });
  });

  it('shows the read key everything but the write buttons', async () => {
    const raised = await api.command<Alert>('raiseAlert', {
      type: 'system',
      severity: 'medium',
      message: 'an alert the read key sees but cannot touch',
    });
    open(api.read);
    await screen.findByText('read-only key', {}, LONG);
    await screen.findByRole('region', { name: 'Production model' }, LONG);
    expect(screen.queryByRole('button', { name: 'Run retraining now' })).toBeNull();
    await goTo('versions');
    await screen.findByRole('region', { name: 'Deployment timeline' });
    expect(screen.queryByRole('form', { name: 'rollback' })).toBeNull();
    await goTo('ab-tests');
    await screen.findByRole('region', { name: /A\/B tests/ }, LONG);
    expect(screen.queryByRole('form', { name: 'start test' })).toBeNull();
    await goTo('alerts');
    const openAlerts = await screen.findByRole('list', { name: 'open alerts' }, LONG);
    await within(openAlerts).findByText(raised.message, {}, LONG);
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Resolve' })).toBeNull();
    expect(screen.queryByRole('form', { name: 'resolve' })).toBeNull();
    await createApiClient({ baseUrl: api.base, key: api.admin }).resolveAlert(raised.id, 'test over');
  });

  it('says an invalid key is not valid and signs in with the form instead', async () => {
    window.history.replaceState(null, '', '/#key=not-a-key-of-this-server');
    render(createElement(App, { baseUrl: api.base }));
    const problem = await screen.findByRole('alert', {}, LONG);
    expect(problem.textContent).toMatch(/^This key is not valid/);
    expect(window.sessionStorage.getItem(STORAGE_KEY)).toBeNull();
    const form = screen.getByRole('form', { name: 'sign in' });
    fireEvent.change(within(form).getByLabelText('API key'), { target: { value: api.admin } });
    fireEvent.click(within(form).getByRole('button', { name: 'Open the dashboard' }));
    await screen.findByRole('button', { name: 'Run retraining now' }, LONG);
  });

  it('compares versions, rolls back with a reason and shows it on the deployment timeline', async () => {
    const [a, b] = api.versions as [string, string];
    open(api.admin, 'versions');
    const table = await screen.findByRole('region', { name: 'Versions' }, LONG);
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    expect(within(table).getByText('production')).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Compare versions' })).toBeTruthy();

    const rollback = screen.getByRole('form', { name: 'rollback' });
    const button = within(rollback).getByRole('button', { name: 'Roll back' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    fireEvent.change(within(rollback).getByLabelText(/Reason/), { target: { value: 'live Sharpe fell' } });
    fireEvent.click(button);
    await screen.findByText(`Rolled back to ${a} from ${b}.`, {}, LONG);
    const timeline = screen.getByRole('list', { name: 'deployment timeline' });
    await waitFor(() => expect(within(timeline).getByText('“live Sharpe fell”')).toBeTruthy(), LONG);
    expect(timeline.firstElementChild?.getAttribute('data-action')).toBe('rollback');

    // Deploying the version just rolled back from is inside the cooldown: the server's reason is shown.
    const deploy = screen.getByRole('form', { name: 'deploy' });
    fireEvent.change(within(deploy).getByRole('combobox'), { target: { value: b } });
    fireEvent.click(within(deploy).getByRole('button', { name: 'Deploy' }));
    expect((await within(deploy).findByRole('alert', {}, LONG)).textContent).toMatch(/cooldown/);
  });

  it('acknowledges and resolves alerts, coloured by severity', async () => {
    const raised = await api.command<Alert>('raiseAlert', {
      type: 'model_drift',
      severity: 'critical',
      message: 'live features drifted: rsi (PSI 0.41)',
    });
    open(api.admin, 'alerts');
    const item = await waitFor(() => {
      const found = document.querySelector(`[data-alert="${raised.id}"]`);
      expect(found).not.toBeNull();
      return found as HTMLElement;
    }, LONG);
    expect(item.className).toContain('severity-critical');
    fireEvent.click(within(item).getByRole('button', { name: 'Acknowledge' }));
    await within(item).findByText('acknowledged', {}, LONG);

    fireEvent.change(within(item).getByLabelText('resolution'), {
      target: { value: 'retrained on new data' },
    });
    fireEvent.click(within(item).getByRole('button', { name: 'Resolve' }));
    const resolved = screen.getByRole('list', { name: 'resolved alerts' });
    await within(resolved).findByText(/retrained on new data/, {}, LONG);
    expect(within(screen.getByRole('list', { name: 'open alerts' })).queryByText(raised.message)).toBeNull();
  });

  it('shows live equity and metrics over time per version, and drift per feature', async () => {
    const [a, b] = api.versions as [string, string];
    const day = 86_400_000;
    for (const [index, version] of [a, a, b, b].entries()) {
      await api.command('recordMetrics', {
        version,
        source: 'live',
        timestamp: new Date(Date.now() - (5 - index) * day).toISOString(),
        metrics: {
          totalReturn: 0.01 * index,
          sharpeRatio: 1 + index / 10,
          winRate: 0.5,
          maxDrawdown: 0.02,
          verdict: 'ok',
        },
        tradeCount: 40,
      });
    }
    await api.command('recordDrift', featureDriftReport(b));
    // Closed live trades of a: +1 %, then +2 % of notional (pnl over entry price × quantity).
    const trade = (n: number, pnl: number) => ({
      key: `equity-${n}`,
      symbol: 'SPY',
      side: 'long' as const,
      quantity: 2,
      entryTime: new Date(Date.now() - (3 - n) * day).toISOString(),
      entryPrice: 100,
      exitTime: new Date(Date.now() - (3 - n) * day + 3_600_000).toISOString(),
      exitPrice: 100 + pnl / 2,
      pnl,
      status: 'closed' as const,
      modelVersion: a,
    });
    await createApiClient({ baseUrl: api.base, key: api.admin }).sendTrades([trade(0, 2), trade(1, 4)]);
    open(api.read, 'performance');
    // jsdom has no canvas, so a chart falls back to a table of the same points.
    const equity = await screen.findByRole('table', { name: 'live equity' }, LONG);
    const curve = `${a} (2 trades, 3.0 %)`;
    expect(within(equity).getAllByText(curve)).toHaveLength(2);
    expect(within(equity).getByText('1.010')).toBeTruthy();
    expect(within(equity).getByText('1.030')).toBeTruthy(); // 1.01 × 1.02 = 1.0302
    const sharpe = await screen.findByRole('table', { name: 'Sharpe ratio' }, LONG);
    expect(within(sharpe).getAllByText(a)).toHaveLength(2);
    expect(within(sharpe).getAllByText(b)).toHaveLength(2);
    expect(within(sharpe).getByText('1.30')).toBeTruthy();
    const drift = screen.getByRole('table', { name: 'feature drift' });
    expect(within(drift).getByText('rsi_14').closest('tr')?.className).toBe('drifted');
    expect(within(drift).getByText('0.410')).toBeTruthy();
  });

  it('starts an A/B test and shows its split, arms, P(B beats A) and recommendation', async () => {
    const c = api.versions[2]!;
    open(api.admin, 'ab-tests');
    const form = await screen.findByRole('form', { name: 'start test' }, LONG);
    fireEvent.change(within(form).getByLabelText(/Candidate/), { target: { value: c } });
    fireEvent.change(within(form).getByLabelText(/Traffic to B/), { target: { value: '20' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Start the test' }));
    const results = await screen.findByRole(
      'region',
      { name: new RegExp(`vs ${c.replace(/\./g, '\\.')} \\(B\\)`) },
      LONG,
    );
    expect(within(results).getByText(/80 % of traffic to A, 20 % to B/)).toBeTruthy();
    await within(results).findByText(/P\(B beats A\)/, {}, LONG);
    expect(within(results).getByText(/Continue: not enough evidence yet/)).toBeTruthy();
    expect(within(results).getAllByRole('row')).toHaveLength(3);
    const [test] = await createApiClient({ baseUrl: api.base, key: api.admin }).listAbTests();
    expect(test).toMatchObject({ modelBVersion: c, trafficSplit: 20, status: 'active' });
  });
});
