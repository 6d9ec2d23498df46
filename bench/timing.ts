/** Per-call timing for the latency benchmarks: microseconds of each call, sorted. */
export function timeEach(runs: number, fn: (i: number) => void): Float64Array {
  const times = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return times.sort();
}

/** The p-quantile (0..1) of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Seconds of the fastest of `repeats` runs, after one warm-up run that lets V8 optimise. */
export function bestSeconds(run: () => unknown, repeats: number): number {
  run();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}
