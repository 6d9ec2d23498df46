/**
 * The dashboard end to end in headless Chromium: `retrain start` on the demo market serving the
 * freshly built dashboard, opened through the link it prints; a retraining run and watched to its
 * end, an alert acknowledged, a version rolled back and the timeline changed. Screenshots at
 * laptop and phone widths go to test-artifacts/.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTensorFlow } from '../../src/rl/backend.js';
import { raiseAlert } from '../../src/store/alerts.js';
import { recordDriftReport } from '../../src/store/drift.js';
import { recordPerformanceMetrics } from '../../src/store/performance-metrics.js';
import { createCliDatabase, spawnRetrain, type CliDatabase, type RetrainProcess } from '../helpers/cli.js';
import { BACKEND } from '../helpers/database.js';
import { registerRandomModel } from '../helpers/models.js';
import { featureDriftReport } from '../helpers/drift-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
const DASHBOARD = join(ROOT, 'dist', 'dashboard');
const ARTIFACTS = join(ROOT, 'test-artifacts');
// A small model so a retraining takes seconds; the test is about the page, not the agent.
const CONFIG = { training: { epochs: 6, batchSize: 256, hyperparameterOptimization: { enabled: false } } };
const LAPTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const FINISHED = ['succeeded', 'failed', 'skipped', 'cancelled'];

/**
 * Builds the dashboard beside dist/dashboard and swaps it in with two renames, so a server
 * starting meanwhile (another test) finds either the old build, the new one, or none.
 */
async function buildDashboard(): Promise<void> {
  const fresh = `${DASHBOARD}.build-${process.pid}`;
  await build({
    configFile: join(ROOT, 'dashboard', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: fresh, emptyOutDir: true },
  });
  const old = `${DASHBOARD}.old-${process.pid}`;
  if (existsSync(DASHBOARD)) renameSync(DASHBOARD, old);
  renameSync(fresh, DASHBOARD);
  rmSync(old, { recursive: true, force: true });
}

const hasChromium = existsSync(CHROMIUM);
const title = hasChromium
  ? `dashboard in Chromium (${BACKEND})`
  : `dashboard in Chromium: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`;

describe.skipIf(!hasChromium)(title, () => {
  let cli: CliDatabase;
  let server: RetrainProcess;
  let browser: Browser;
  let page: Page;
  let url = '';
  let admin = '';
  const versions: string[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status, `${method} ${path}: ${await response.clone().text()}`).toBeLessThan(300);
    return (await response.json()) as Record<string, unknown>;
  };
  const shot = (name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const goTo = async (tab: string) => {
    await page.getByRole('navigation', { name: 'pages' }).getByRole('link', { name: tab }).click();
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const built = buildDashboard();
    await initTensorFlow();
    cli = await createCliDatabase('dashboard-e2e');
    // Two validated versions (to deploy, then roll back), an open alert, live metrics and drift.
    await cli.seed(async (db) => {
      // a and b deployed in turn; c a candidate for an A/B test.
      for (const seed of ['a', 'b', 'c']) versions.push(await registerRandomModel(db, seed));
      await raiseAlert(db, {
        type: 'performance_degradation',
        severity: 'high',
        message: 'live Sharpe 0.2 of 1.1.0 is below the threshold 0.5',
        version: versions[1]!,
      });
      const day = 86_400_000;
      for (let i = 0; i < 6; i++) {
        for (const [k, version] of versions.entries()) {
          await recordPerformanceMetrics(db, {
            version,
            source: 'live',
            timestamp: new Date(Date.now() - (6 - i) * day + k * 3_600_000),
            metrics: { totalReturn: (k ? 0.004 : 0.002) * i, sharpeRatio: 0.8 + 0.1 * i * (k ? 1 : -1) },
            tradeCount: 20 * i,
          });
        }
      }
      await recordDriftReport(db, featureDriftReport(versions[1]!));
    });
    const configFile = join(cli.dir, 'retraining.config.json');
    writeFileSync(configFile, JSON.stringify(CONFIG));
    await built;
    server = spawnRetrain(
      ['start', '--port', '0', '--config', configFile, '--demo', '--no-first-model'],
      { ...cli.env, RETRAINING_DATA_DIR: cli.env.RETRAINING_DATA_DIR ?? join(cli.dir, 'data') },
      cli.dir,
    );
    const link = await server.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+)\/#key=(\S+)/, 120_000);
    [, url, admin] = link as unknown as [string, string, string];
    await server.waitFor(/ready at http/, 60_000);
    // Closed live trades of the production version, for its equity curve.
    const hour = 3_600_000;
    const trades = Array.from({ length: 40 }, (_, i) => ({
      key: `e2e-${i}`,
      symbol: 'DEMO',
      side: i % 3 === 0 ? 'short' : 'long',
      quantity: 1,
      entryTime: new Date(Date.now() - (80 - 2 * i) * hour).toISOString(),
      entryPrice: 100,
      exitTime: new Date(Date.now() - (79 - 2 * i) * hour).toISOString(),
      exitPrice: 100 + Math.sin(i) * 0.8,
      fees: 0.01,
      status: 'closed',
      modelVersion: versions[1],
    }));
    await call('POST', '/v1/trades', { trades });
    await call('POST', '/v1/deploy', { version: versions[0] });
    await call('POST', '/v1/deploy', { version: versions[1], force: true, reason: 'e2e setup' });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: LAPTOP });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
    await cli?.close();
  }, 60_000);

  it('opens through the printed link, keeps the key out of the address bar and shows production', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}/#key=${admin}`);
    const production = page.getByRole('region', { name: 'Production model' });
    await production.getByText(versions[1]!).waitFor();
    expect(page.url()).toBe(`${url}/`);
    expect(await page.evaluate('sessionStorage.getItem("retraining.apiKey")')).toBe(admin);
    await page.getByRole('region', { name: 'Health' }).waitFor();
    await shot('overview');
    expect(errors).toEqual([]);
  });

  it('rolls a version back with a reason and shows it on the timeline', async () => {
    await goTo('Versions');
    const rollback = page.getByRole('form', { name: 'rollback' });
    await rollback.getByLabel('Reason').fill('live Sharpe fell below 0.5');
    await rollback.getByRole('button', { name: 'Roll back' }).click();
    await page.getByText(`Rolled back to ${versions[0]} from ${versions[1]}.`).waitFor();
    const newest = page.getByRole('list', { name: 'deployment timeline' }).locator('li').first();
    await newest.getByText('“live Sharpe fell below 0.5”').waitFor();
    expect(await newest.getAttribute('data-action')).toBe('rollback');
    await shot('versions');
    const status = await call('GET', '/v1/status');
    expect(status.productionVersion).toMatchObject({ version: versions[0] });
  });

  it('acknowledges an alert', async () => {
    await goTo('Alerts');
    const alert = page.locator('li.alert', { hasText: 'live Sharpe 0.2' });
    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await alert.getByText('acknowledged', { exact: true }).waitFor();
    expect(await alert.getAttribute('class')).toContain('severity-high');
    await shot('alerts');
    const [row] = (await call('GET', '/v1/alerts')).alerts as { acknowledged: boolean }[];
    expect(row?.acknowledged).toBe(true);
  });

  it('draws live equity and metrics per version with uPlot, and drift per feature', async () => {
    await goTo('Performance');
    const equity = page.getByRole('img', { name: 'live equity' });
    await equity.locator('canvas').waitFor();
    expect(await equity.locator('.u-legend').textContent()).toContain(`${versions[1]} (40 trades`);
    const sharpe = page.getByRole('img', { name: 'Sharpe ratio' });
    await sharpe.locator('canvas').waitFor();
    expect(await sharpe.locator('.u-legend').textContent()).toContain(versions[1]!);
    await page.getByRole('table', { name: 'feature drift' }).getByText('rsi_14').waitFor();
    await shot('performance');
  });

  it('runs a retraining from the overview and follows it to its end', async () => {
    await goTo('Overview');
    await page.getByRole('button', { name: 'Run retraining now' }).click();
    const job = page.locator('.job');
    await page
      .locator('.job[data-status="running"], .job[data-status="queued"]')
      .waitFor({ timeout: 30_000 });
    await job.getByLabel('job progress').waitFor();
    await job.getByLabel('job log').waitFor({ timeout: 60_000 });
    await shot('retraining');
    await page
      .locator(FINISHED.map((status) => `.job[data-status="${status}"]`).join(', '))
      .waitFor({ timeout: 300_000 });
    const [last] = (await call('GET', '/v1/jobs?limit=1')).jobs as {
      status: string;
      resultVersion: string | null;
      error: string | null;
    }[];
    // The demo market has what a retraining needs: it runs to its end and registers a version
    // (deployed or not, as its gates judge).
    expect(last, JSON.stringify(last)).toMatchObject({ status: 'succeeded' });
    expect(await job.getAttribute('data-status')).toBe('succeeded');
    await job.getByText(last!.resultVersion!, { exact: true }).waitFor();
    await shot('retraining-finished');
    await goTo('Versions');
    await page.locator(`tr[data-version="${last!.resultVersion}"]`).waitFor();
  }, 360_000);

  it('starts an A/B test of a candidate and shows its split and arms', async () => {
    await goTo('A/B tests');
    const form = page.getByRole('form', { name: 'start test' });
    await form.getByLabel(/Candidate/).selectOption(versions[2]!);
    await form.getByLabel(/Traffic to B/).fill('20');
    await form.getByRole('button', { name: 'Start the test' }).click();
    const results = page.getByRole('region', { name: `vs ${versions[2]} (B)` });
    await results.getByText(/80 % of traffic to A, 20 % to B/).waitFor();
    await results.getByText(/P\(B beats A\)/).waitFor();
    await shot('ab-tests');
    const [test] = (await call('GET', '/v1/ab-tests')).tests as { modelBVersion: string; status: string }[];
    expect(test).toMatchObject({ modelBVersion: versions[2], status: 'active' });
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize(PHONE);
    for (const tab of ['Overview', 'Versions', 'Alerts']) {
      await goTo(tab);
      await page.locator('section.card').first().waitFor();
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, tab).toBeLessThanOrEqual(0);
      await shot(`phone-${tab.toLowerCase()}`);
    }
  });
});
