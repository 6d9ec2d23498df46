/**
 * A simulated year of operation on a fresh database (embedded in memory, or a new schema of
 * DATABASE_URL's server), its invariants checked after every week; writes report.md and year.svg.
 *
 *   tsx scripts/simulate-year.ts [--weeks 52] [--seed 1] [--out test-artifacts/simulation]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/connect.js';
import { yearMarkdown, yearSvg } from '../src/simulation/report.js';
import { simulateYear } from '../src/simulation/year.js';

const { values } = parseArgs({
  options: {
    weeks: { type: 'string', default: '52' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'test-artifacts/simulation' },
  },
});
const weeks = Number(values.weeks);
const seed = Number(values.seed);
if (!Number.isInteger(weeks) || weeks < 1 || !Number.isInteger(seed)) {
  console.error('usage: simulate-year [--weeks N ≥ 1] [--seed INTEGER] [--out DIR]');
  process.exit(2);
}

const url = process.env.DATABASE_URL?.trim();
const schema = `simulation_${seed}_${Date.now()}`;
const db = await openDatabase(url ? { url, schema } : { dataDir: 'memory://' });
try {
  const report = await simulateYear({
    db,
    weeks,
    seed,
    onWeek: (row) =>
      console.error(
        `week ${row.week} ${row.era}: ${row.production ?? '-'}, ${row.trades} trades, ${row.events.join('; ') || 'no changes'}`,
      ),
  });
  await mkdir(values.out, { recursive: true });
  const markdown = yearMarkdown(report);
  await writeFile(join(values.out, 'report.md'), markdown);
  await writeFile(join(values.out, 'year.svg'), yearSvg(report));
  console.log(markdown);
  console.error(`wrote ${join(values.out, 'report.md')} and ${join(values.out, 'year.svg')}`);
} finally {
  if (url) await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
}
