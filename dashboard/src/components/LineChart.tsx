/**
 * Lines over time with uPlot, one per series; uPlot is loaded when the first chart is drawn (it
 * needs a canvas). Without one (an old browser, a test's DOM) the points are listed in a table.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { dateTime } from '../format.js';

export interface ChartSeries {
  label: string;
  /** [epoch milliseconds, value], in time order. */
  points: [number, number | null][];
}

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];
const HEIGHT = 260;

export function LineChart(props: {
  label: string;
  series: ChartSeries[];
  format: (value: number) => string;
}) {
  const { format, label } = props;
  const box = useRef<HTMLDivElement>(null);
  const [unavailable, setUnavailable] = useState(false);
  // A poll that read the same points gives a new array: the chart is redrawn only when they change.
  const signature = JSON.stringify(props.series);
  const series = useMemo(() => props.series, [signature]);
  const pointCount = series.reduce((sum, s) => sum + s.points.length, 0);

  useEffect(() => {
    let plot: { destroy(): void; setSize(size: { width: number; height: number }): void } | null = null;
    let observer: ResizeObserver | null = null;
    let cancelled = false;
    void (async () => {
      try {
        const { default: UPlot } = await import('uplot');
        const element = box.current;
        if (cancelled || !element) return;
        const times = [...new Set(series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
        const byTime = series.map((s) => new Map(s.points));
        const data: (number | null)[][] = [
          times.map((t) => t / 1000),
          ...byTime.map((values) => times.map((t) => values.get(t) ?? null)),
        ];
        plot = new UPlot(
          {
            width: Math.max(element.clientWidth, 280),
            height: HEIGHT,
            scales: { x: { time: true } },
            series: [
              {},
              ...series.map((s, index) => ({
                label: s.label,
                stroke: COLOURS[index % COLOURS.length]!,
                width: 2,
                spanGaps: true,
                // Dots mark sparse checks; a long curve is a line.
                points: { show: pointCount <= 200, size: 5 },
                value: (_plot: unknown, value: number | null) => (value === null ? '–' : format(value)),
              })),
            ],
            axes: [
              {},
              { size: 64, values: (_plot: unknown, ticks: number[]) => ticks.map((t) => format(t)) },
            ],
          },
          data as never,
          element,
        );
        observer = new ResizeObserver(() =>
          plot?.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }),
        );
        observer.observe(element);
      } catch {
        if (!cancelled) setUnavailable(true);
      }
    })();
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [series, format, pointCount]);

  if (unavailable) {
    return (
      <div className="table-scroll">
        <table aria-label={label}>
          <thead>
            <tr>
              <th>Series</th>
              <th>Time</th>
              <th className="number">Value</th>
            </tr>
          </thead>
          <tbody>
            {series.flatMap((s) =>
              s.points.map(([time, value]) => (
                <tr key={`${s.label}@${time}`}>
                  <td>{s.label}</td>
                  <td>{dateTime(new Date(time).toISOString())}</td>
                  <td className="number">{value === null ? '–' : format(value)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </div>
    );
  }
  return <div className="chart" ref={box} role="img" aria-label={label} />;
}
