import { resolveConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

/** The ConfigError `run` throws; fails the test when it throws nothing or something else. */
export function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

export async function configErrorOfAsync(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** Issue messages for the defaults overlaid with `partial` (which may hold anything). */
export function messagesFor(partial: unknown): string[] {
  return configErrorOf(() => resolveConfig(partial as never)).issues.map((issue) => issue.message);
}
