/**
 * A one-line progress display on stderr, redrawn in place on a terminal and silent otherwise
 * (scripts and CI logs get the report at the end, not a stream of carriage returns).
 */
export function progressLine(label: string, enabled = process.stderr.isTTY === true) {
  let last = 0;
  return {
    update(done: number, total: number, detail = ''): void {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      process.stderr.write(`\r${label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}`);
    },
    done(): void {
      if (enabled && last > 0) process.stderr.write('\n');
    },
  };
}
