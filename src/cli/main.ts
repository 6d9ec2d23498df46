import { readFileSync } from 'node:fs';
import { runCli } from './program.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const code = await runCli(process.argv.slice(2), pkg.version);
// Let pending output drain, then end even if a library left a timer running.
process.exitCode = code;
setImmediate(() => process.exit(code));
