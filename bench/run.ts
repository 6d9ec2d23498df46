/**
 * `npm run bench -- NAME [--json]`: runs one benchmark. Each benchmark module registers itself in
 * BENCHMARKS as it is written; none exists yet.
 */
const BENCHMARKS: Record<string, () => Promise<Record<string, number>>> = {};

const args = process.argv.slice(2);
const name = args.find((arg) => !arg.startsWith('--'));
const json = args.includes('--json');

if (!name || !(name in BENCHMARKS)) {
  const known = Object.keys(BENCHMARKS);
  process.stderr.write(
    `usage: npm run bench -- NAME [--json]\n${known.length ? `benchmarks: ${known.join(', ')}` : 'no benchmarks exist yet'}\n`,
  );
  process.exit(2);
}

const figures = await BENCHMARKS[name]!();
for (const [key, value] of Object.entries(figures)) process.stdout.write(`${key.padEnd(32)} ${value}\n`);
if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
