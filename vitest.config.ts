import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Transpiles src/ for the CLI child processes the tests start (see the file).
    globalSetup: ['test/helpers/build-cli.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default on this 2-core machine is one file at a time, but many suites mostly wait
    // (child processes, timers, pg-boss polling, a cron tick): three at once keep both cores busy.
    maxWorkers: 3,
  },
});
