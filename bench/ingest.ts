/**
 * `ingest`: bar import into PostgreSQL in rows per second (checks, COPY into a staging table, one
 * idempotent merge), on the server and embedded, for bars given as objects (the API's path) and,
 * as extra figures, from a CSV file end to end (streaming parse included); beside a naive
 * baseline: one INSERT … ON CONFLICT per row on the server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { openServerDatabase } from '../src/db/server.js';
import type { Database } from '../src/db/types.js';
import { importBars, importBarsFromCsv } from '../src/market/import/bars.js';
import type { ImportReport } from '../src/market/import/report.js';
import type { MarketBar } from '../src/store/market-bars.js';

const ROWS = 200_000;
const BASELINE_ROWS = 5_000;
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function writeCsv(path: string, rows: number): void {
  const lines = ['Date,Time,Open,High,Low,Close,Volume'];
  let price = 100;
  const start = Date.UTC(2020, 0, 1);
  for (let i = 0; i < rows; i++) {
    const ts = new Date(start + i * 60_000).toISOString();
    price *= 1 + Math.sin(i * 12.9898) * 0.001;
    const p = price.toFixed(4);
    lines.push(
      `${ts.slice(0, 10)},${ts.slice(11, 19)},${p},${(price * 1.001).toFixed(4)},${(price * 0.999).toFixed(4)},${p},${i % 977}`,
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function makeBars(rows: number, symbol: string): MarketBar[] {
  const bars: MarketBar[] = [];
  let price = 100;
  const start = Date.UTC(2022, 0, 1);
  for (let i = 0; i < rows; i++) {
    price *= 1 + Math.sin(i * 12.9898) * 0.001;
    const ts = new Date(start + i * 60_000);
    bars.push({
      symbol,
      interval: '1m',
      ts,
      open: price,
      high: price * 1.001,
      low: price * 0.999,
      close: price,
      volume: i % 977,
    });
  }
  return bars;
}

async function rowsPerSecond(run: () => Promise<ImportReport>): Promise<number> {
  const started = performance.now();
  const report = await run();
  const seconds = (performance.now() - started) / 1000;
  if (report.stored.inserted !== ROWS)
    throw new Error(`expected ${ROWS} rows, stored ${report.stored.inserted}`);
  return ROWS / seconds;
}

async function baseline(db: Database): Promise<number> {
  const start = Date.UTC(2021, 0, 1);
  const started = performance.now();
  for (let i = 0; i < BASELINE_ROWS; i++) {
    await db.query(
      `INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (symbol, interval, ts) DO UPDATE SET close = EXCLUDED.close`,
      ['BASE', '1m', new Date(start + i * 60_000), 100, 101, 99, 100, i],
    );
  }
  return BASELINE_ROWS / ((performance.now() - started) / 1000);
}

export async function benchIngest(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const path = join(dir, 'bars.csv');
  writeCsv(path, ROWS);
  const bars = makeBars(ROWS, 'BENCH');
  const schema = `bench_ingest_${process.pid}`;
  try {
    const server = await openServerDatabase({ url: SERVER_URL, schema });
    let serverRate: number;
    let serverCsvRate: number;
    let baselineRate: number;
    try {
      await migrate(server);
      serverRate = await rowsPerSecond(() => importBars(server, bars));
      serverCsvRate = await rowsPerSecond(() =>
        importBarsFromCsv(server, path, { symbol: 'CSV', interval: '1m' }),
      );
      baselineRate = await baseline(server);
    } finally {
      await server.exec(`DROP SCHEMA ${schema} CASCADE`);
      await server.close();
    }
    const embedded = await openEmbeddedDatabase({ dataDir: join(dir, 'data') });
    let embeddedRate: number;
    let embeddedCsvRate: number;
    try {
      await migrate(embedded);
      embeddedRate = await rowsPerSecond(() => importBars(embedded, bars));
      embeddedCsvRate = await rowsPerSecond(() =>
        importBarsFromCsv(embedded, path, { symbol: 'CSV', interval: '1m' }),
      );
    } finally {
      await embedded.close();
    }
    return {
      rows_per_s_server: Math.round(serverRate),
      rows_per_s_embedded: Math.round(embeddedRate),
      baseline_rows_per_s: Math.round(baselineRate),
      csv_rows_per_s_server: Math.round(serverCsvRate),
      csv_rows_per_s_embedded: Math.round(embeddedCsvRate),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await benchIngest());
}
