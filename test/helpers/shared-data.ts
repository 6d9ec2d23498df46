import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared/data beside the repository: real market data; tests skip with a message when absent. */
export const SHARED_DATA_DIR = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
export const HAS_SHARED_DATA = existsSync(SHARED_DATA_DIR);

if (!HAS_SHARED_DATA) {
  console.warn(`skipping real-data tests: ${SHARED_DATA_DIR} is absent`);
}

export const sharedFile = (name: string) => `${SHARED_DATA_DIR}${name}`;
