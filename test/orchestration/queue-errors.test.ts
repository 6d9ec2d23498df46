import { expect, it } from 'vitest';
import { Logger } from '../../src/logging/logger.js';
import { repeatsQuieted } from '../../src/orchestration/jobs.js';
import { describeDatabaseIndependent } from '../helpers/database-independent.js';

describeDatabaseIndependent('job queue errors during an outage', () => {
  it('logs the first of a run of identical errors in full, then one line a minute with the count', () => {
    const logger = new Logger({ logToConsole: false });
    let clock = 0;
    const report = repeatsQuieted(logger, 'job queue error', 60_000, () => clock);
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    for (let second = 0; second < 150; second++) {
      clock = second * 1000;
      report(refused);
    }
    clock = 151_000;
    report(new Error('terminating connection due to administrator command'));
    const lines = logger.getLogs().map((entry) => [entry.message, entry.data?.error ?? entry.data?.message]);
    // The first of a run carries its stack; the summaries do not.
    expect(logger.getLogs().map((entry) => 'stack' in (entry.data ?? {}))).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(lines).toEqual([
      ['job queue error', 'connect ECONNREFUSED 127.0.0.1:5432'],
      ['job queue error (repeated 60 times in 60 s)', 'connect ECONNREFUSED 127.0.0.1:5432'],
      ['job queue error (repeated 60 times in 60 s)', 'connect ECONNREFUSED 127.0.0.1:5432'],
      ['job queue error', 'terminating connection due to administrator command'],
    ]);
  });
});
