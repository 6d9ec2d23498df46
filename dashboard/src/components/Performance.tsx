/** Live equity and metrics over time per version (uPlot), and drift per feature. */
import { useMemo, useState } from 'react';
import {
  useApiResource,
  type DriftFeature,
  type DriftReport,
  type MetricsRecord,
} from '../../../src/react/index.js';
import { dateTime, decimal, integer, percent, words } from '../format.js';
import { Badge, Card, Empty, ErrorNote } from './common.js';
import { LineChart, type ChartSeries } from './LineChart.js';

const CHARTS = {
  totalReturn: {
    label: "Return over each check's window",
    value: (m: MetricsRecord) => numberOr(m.metrics.totalReturn),
    format: (v: number) => percent(v),
  },
  sharpeRatio: {
    label: 'Sharpe ratio',
    value: (m: MetricsRecord) => numberOr(m.metrics.sharpeRatio),
    format: (v: number) => v.toFixed(2),
  },
  winRate: {
    label: 'Win rate',
    value: (m: MetricsRecord) => numberOr(m.metrics.winRate),
    format: (v: number) => percent(v),
  },
  maxDrawdown: {
    label: 'Max drawdown',
    value: (m: MetricsRecord) => numberOr(m.metrics.maxDrawdown),
    format: (v: number) => percent(v),
  },
} as const;
type ChartName = keyof typeof CHARTS;

function numberOr(value: unknown, map: (v: number) => number = (v) => v): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? map(value) : null;
}

const DAY_MS = 86_400_000;
const formatEquity = (v: number) => v.toFixed(3);

export function Performance() {
  const [chart, setChart] = useState<ChartName>('sharpeRatio');
  const [source, setSource] = useState<'live' | 'ab_test'>('live');
  const since = useMemo(() => new Date(Date.now() - 90 * DAY_MS).toISOString(), []);
  const history = useApiResource((api) => api.getMetricsHistory({ source, since, limit: 10_000 }), {
    deps: [source, since],
    pollIntervalMs: 60_000,
  });
  const drift = useApiResource((api) => api.getDrift({ limit: 20 }), { pollIntervalMs: 60_000 });
  const equity = useApiResource((api) => api.getEquity({ since, points: 500 }), {
    deps: [since],
    pollIntervalMs: 60_000,
  });
  const equitySeries = useMemo<ChartSeries[]>(
    () =>
      (equity.data ?? []).map((curve) => ({
        label: `${curve.version} (${integer(curve.tradeCount)} trades, ${percent(curve.totalReturn)})`,
        points: curve.points,
      })),
    [equity.data],
  );
  const { value, format, label } = CHARTS[chart];

  const series = useMemo<ChartSeries[]>(() => {
    const byVersion = new Map<string, ChartSeries>();
    for (const record of history.data ?? []) {
      let line = byVersion.get(record.version);
      if (!line) byVersion.set(record.version, (line = { label: record.version, points: [] }));
      line.points.push([new Date(record.timestamp).getTime(), value(record)]);
    }
    return [...byVersion.values()];
  }, [history.data, value]);

  return (
    <div className="stack">
      <Card title="Live equity">
        <p className="muted">
          One unit compounded over each version's closed live trades (net of fees), in the order they closed,
          over the last 90 days.
        </p>
        <ErrorNote error={equity.error} />
        {equitySeries.length > 0 ? (
          <LineChart label="live equity" series={equitySeries} format={formatEquity} />
        ) : equity.loading ? (
          <p className="loading">Reading the trades…</p>
        ) : (
          <Empty>No closed live trade in the last 90 days.</Empty>
        )}
      </Card>
      <Card title="Metrics over time">
        <div className="row">
          <label>
            Show{' '}
            <select value={chart} onChange={(event) => setChart(event.target.value as ChartName)}>
              {Object.entries(CHARTS).map(([name, c]) => (
                <option key={name} value={name}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Of{' '}
            <select value={source} onChange={(event) => setSource(event.target.value as 'live' | 'ab_test')}>
              <option value="live">live trading</option>
              <option value="ab_test">A/B test candidates</option>
            </select>
          </label>
        </div>
        <ErrorNote error={history.error} />
        {series.length > 0 ? (
          <LineChart label={label} series={series} format={format} />
        ) : history.loading ? (
          <p className="loading">Reading the history…</p>
        ) : (
          <Empty>No checks in the last 90 days; the monitor records one per live check.</Empty>
        )}
      </Card>
      <Card title="Drift">
        <ErrorNote error={drift.error} />
        <DriftView reports={drift.data ?? []} loading={drift.loading} />
      </Card>
    </div>
  );
}

function DriftView({ reports, loading }: { reports: DriftReport[]; loading: boolean }) {
  if (reports.length === 0) return loading ? null : <Empty>No drift report yet.</Empty>;
  const features = reports.find((r) => r.kind === 'features');
  const returns = reports.find((r) => r.kind === 'returns');
  // Every feature, most moved first (older reports kept only the top five, as `top`).
  const measured = (features?.details.features ?? features?.details.top ?? []) as unknown as DriftFeature[];
  return (
    <>
      {features ? (
        <>
          <h3>
            Features of {features.version} <Badge value={features.verdict} />{' '}
            <span className="muted">
              {dateTime(features.timestamp)}, {integer(features.liveSamples)} live samples against{' '}
              {integer(features.referenceSamples)} from training
            </span>
          </h3>
          {measured.length > 0 ? (
            <div className="table-scroll">
              <table aria-label="feature drift">
                <thead>
                  <tr>
                    <th>Feature</th>
                    <th className="number">PSI</th>
                    <th className="number">KS D</th>
                    <th className="number">KS p</th>
                    <th className="number">Wasserstein</th>
                    <th>Drifted</th>
                  </tr>
                </thead>
                <tbody>
                  {measured.map((f) => (
                    <tr key={f.name} className={f.drifted ? 'drifted' : ''}>
                      <td>{f.name}</td>
                      <td className="number">{decimal(f.psi, 3)}</td>
                      <td className="number">{decimal(f.ks?.statistic, 3)}</td>
                      <td className="number">{decimal(f.ks?.pValue, 4)}</td>
                      <td className="number">{decimal(f.wasserstein, 3)}</td>
                      <td>{f.drifted ? <Badge value="drift" /> : 'no'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">{String(features.details.reason ?? 'No feature measured.')}</p>
          )}
        </>
      ) : null}
      {returns ? (
        <p>
          Trade returns of {returns.version}: <Badge value={returns.verdict} />{' '}
          <span className="muted">
            {integer(returns.liveSamples)} closed trades
            {typeof returns.details.reason === 'string' ? `; ${returns.details.reason}` : ''}
          </span>
        </p>
      ) : null}
      <details>
        <summary>Recent reports</summary>
        <ul className="checks">
          {reports.map((r) => (
            <li key={r.id}>
              {dateTime(r.timestamp)} {r.version} {words(r.kind)} <Badge value={r.verdict} />
            </li>
          ))}
        </ul>
      </details>
    </>
  );
}
