/**
 * The year report: a markdown table per week with a summary, and an SVG chart of the live equity
 * (cumulative pnl of every reported trade) with a marker at each deployment and rollback. Plain
 * text both, so they can be read in a terminal, a pull request or a browser.
 */
import type { Marker, YearReport } from './summary.js';

const fmt = (value: number | null, digits = 2) => (value === null ? '–' : value.toFixed(digits));

export function yearMarkdown(report: YearReport): string {
  const { summary: s } = report;
  const lines = [
    `# A simulated year (seed ${report.seed}, ${report.weeks.length} weeks, ${report.seconds.toFixed(0)} s)`,
    '',
    '| weeks | versions | deployments | promotions | rollbacks | A/B tests (B won / A kept / inconclusive / stopped / active) | alerts critical / high / medium / low (open) |',
    '| ----- | -------- | ----------- | ---------- | --------- | ----------------------------------------------------------- | ------------------------------------------- |',
    `| ${report.weeks.length} | ${s.versions} | ${s.deployments} | ${s.promotions} | ${s.rollbacks} | ${s.abTests.total} (${s.abTests.promoted} / ${s.abTests.keptA} / ${s.abTests.inconclusive} / ${s.abTests.stopped} / ${s.abTests.active}) | ${s.alerts.critical} / ${s.alerts.high} / ${s.alerts.medium} / ${s.alerts.low} (${s.openAlerts}) |`,
    '',
    `Versions by status: ${Object.entries(s.versionsByStatus)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ')}. Retraining jobs: ${Object.entries(s.retrainings)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ')}.`,
    '',
    `Wall time by step: ${Object.entries(report.timings)
      .map(([step, seconds]) => `${step} ${seconds.toFixed(1)} s`)
      .join(', ')}.`,
    '',
    '| quarter | trades | pnl | live Sharpe | win rate |',
    '| ------- | ------ | --- | ----------- | -------- |',
    ...s.quarters.map(
      (q) => `| Q${q.quarter} | ${q.trades} | ${fmt(q.pnl)} | ${fmt(q.sharpe)} | ${fmt(q.winRate, 3)} |`,
    ),
    '',
    '| week | era | production | trades | pnl | live Sharpe | deployments and A/B tests | retraining | alerts c/h/m/l | invariants |',
    '| ---- | --- | ---------- | ------ | --- | ----------- | ------------------------- | ---------- | -------------- | ---------- |',
    ...report.weeks.map((w) =>
      [
        '',
        w.week,
        w.era,
        w.production ?? '–',
        w.trades,
        fmt(w.pnl),
        fmt(w.sharpe),
        w.events.join('; ') || '–',
        w.retrainings.join('; ').replaceAll('|', '/') || '–',
        `${w.alerts.critical}/${w.alerts.high}/${w.alerts.medium}/${w.alerts.low}`,
        `${w.invariantsHeld} held`,
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
  ];
  return lines.join('\n');
}

const WIDTH = 960;
const HEIGHT = 360;
const PAD = { left: 64, right: 16, top: 28, bottom: 36 };
const ERA_FILL: Record<string, string> = {
  trending: '#eef6ee',
  mean_reverting: '#f6eeee',
  volatile: '#f4f1e4',
};

/** Cumulative live pnl per session, era bands behind it, deployments (green) and rollbacks (red) as markers. */
export function yearSvg(report: YearReport): string {
  const points: { t: number; equity: number }[] = [];
  let equity = 0;
  for (const week of report.weeks) {
    for (const session of week.sessions) {
      equity += session.pnl;
      points.push({ t: session.at.getTime(), equity });
    }
  }
  const first = report.weeks[0]?.start.getTime() ?? 0;
  const last = first + report.weeks.length * 7 * 86_400_000;
  const values = [0, ...points.map((p) => p.equity)];
  const low = Math.min(...values);
  const high = Math.max(...values);
  const span = high - low || 1;
  const x = (t: number) => PAD.left + ((t - first) / (last - first || 1)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - ((v - low) / span) * (HEIGHT - PAD.top - PAD.bottom);
  const bands = report.weeks.map((w) => {
    const x0 = x(w.start.getTime());
    const x1 = x(w.start.getTime() + 7 * 86_400_000);
    return `<rect x="${x0.toFixed(1)}" y="${PAD.top}" width="${(x1 - x0).toFixed(1)}" height="${HEIGHT - PAD.top - PAD.bottom}" fill="${ERA_FILL[w.era] ?? '#fff'}"/>`;
  });
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.equity).toFixed(1)}`)
    .join(' ');
  const markers = report.weeks
    .flatMap((w) => w.markers)
    .map((m: Marker) => {
      const mx = x(m.at.getTime()).toFixed(1);
      const colour = m.kind === 'rollback' ? '#c0392b' : '#27ae60';
      return `<line x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="${colour}" stroke-dasharray="3,3"><title>${m.kind} ${escape(m.label)} ${m.at.toISOString()}</title></line>`;
    });
  const ticks = [low, (low + high) / 2, high].map(
    (v) =>
      `<text x="${PAD.left - 6}" y="${y(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${v.toFixed(0)}</text>`,
  );
  const quarters = report.summary.quarters.map((q, i) => {
    const qx = x(first + ((i + 0.5) * (last - first)) / report.summary.quarters.length);
    return `<text x="${qx.toFixed(1)}" y="${HEIGHT - 12}" text-anchor="middle">Q${q.quarter}: Sharpe ${fmt(q.sharpe)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>Live equity over a simulated year (seed ${report.seed})</title>`,
    ...bands,
    `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#999"/>`,
    ...markers,
    `<path d="${path}" fill="none" stroke="#2c3e50" stroke-width="1.5"/>`,
    ...ticks,
    ...quarters,
    `<text x="${PAD.left}" y="16">cumulative live pnl; bands: trending (green), mean-reverting (red), volatile (yellow); dashed: deployment (green), rollback (red)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
