import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Logger, type LoggerOptions } from '../../src/logging/index.js';

function capture() {
  const chunks: string[] = [];
  return {
    stream: { write: (chunk: string) => chunks.push(chunk) },
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function quiet(options: LoggerOptions = {}): Logger {
  return new Logger({ logToConsole: false, ...options });
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Logger buffer', () => {
  it('keeps exactly the last maxLogs entries, oldest first', () => {
    const logger = quiet({ maxLogs: 1000 });
    for (let i = 0; i < 2500; i++) logger.info(`entry ${i}`);
    const logs = logger.getLogs();
    expect(logs).toHaveLength(1000);
    expect(logs[0]?.message).toBe('entry 1500');
    expect(logs[999]?.message).toBe('entry 2499');
    expect(logs.map((entry) => entry.message)).toEqual(
      Array.from({ length: 1000 }, (_, i) => `entry ${1500 + i}`),
    );
  });

  it('defaults to 1000 entries and rejects a maxLogs that is not an integer >= 1', () => {
    const logger = quiet();
    for (let i = 0; i < 1001; i++) logger.info('x');
    expect(logger.getLogs()).toHaveLength(1000);
    for (const maxLogs of [0, -1, 1.5, Number.NaN]) {
      expect(() => quiet({ maxLogs })).toThrow(/maxLogs/);
    }
  });

  it('records time, level, message, context and data', () => {
    const logger = quiet({ context: { service: 'retrainer' } });
    logger.info('started', { version: 3 });
    logger.warn('no data');
    const [first, second] = logger.getLogs();
    expect(first).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      message: 'started',
      context: { service: 'retrainer' },
      data: { version: 3 },
    });
    expect(second).not.toHaveProperty('data');
  });

  it('clear() empties the buffer', () => {
    const logger = quiet();
    logger.info('a');
    logger.clear();
    expect(logger.getLogs()).toEqual([]);
    logger.info('b');
    expect(logger.getLogs().map((entry) => entry.message)).toEqual(['b']);
  });
});

describe('levels', () => {
  it('neither buffers nor prints entries below the level', () => {
    const out = capture();
    const logger = new Logger({ level: 'warn', destination: out.stream, format: 'json' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(logger.getLogs().map((entry) => entry.level)).toEqual(['warn', 'error']);
    expect(out.lines().map((line) => line.level)).toEqual(['warn', 'error']);
  });

  it('defaults to LOG_LEVEL from the environment, else info', () => {
    vi.stubEnv('LOG_LEVEL', 'DEBUG');
    expect(quiet().level).toBe('debug');
    vi.stubEnv('LOG_LEVEL', '');
    expect(quiet().level).toBe('info');
    vi.stubEnv('LOG_LEVEL', 'verbose');
    expect(() => quiet()).toThrow(/LOG_LEVEL/);
    expect(quiet({ level: 'error' }).level).toBe('error');
  });
});

describe('child loggers', () => {
  it('add context to every entry and share the buffer and level', () => {
    const root = quiet({ level: 'info', maxLogs: 3, context: { service: 'retrainer' } });
    const job = root.child({ jobId: 'job-1' });
    const version = job.child({ version: 7 });
    root.info('root');
    job.info('job');
    version.info('version');
    version.debug('hidden');
    expect(root.getLogs().map((entry) => entry.context)).toEqual([
      { service: 'retrainer' },
      { service: 'retrainer', jobId: 'job-1' },
      { service: 'retrainer', jobId: 'job-1', version: 7 },
    ]);
    expect(job.getLogs()).toEqual(root.getLogs());
    job.info('fourth');
    expect(version.getLogs().map((entry) => entry.message)).toEqual(['job', 'version', 'fourth']);
  });

  it('share the console sink', () => {
    const out = capture();
    const root = new Logger({ destination: out.stream, format: 'json' });
    root.child({ jobId: 'j' }).info('from child');
    expect(out.lines()).toEqual([expect.objectContaining({ msg: 'from child', context: { jobId: 'j' } })]);
  });
});

describe('getLogs filters', () => {
  const logger = quiet({ level: 'debug' });
  const a = logger.child({ jobId: 'a' });
  const b = logger.child({ jobId: 'b', version: 1 });
  a.debug('a1');
  b.info('b1');
  a.warn('a2');
  b.error('b2');
  a.info('a3');

  it('by minimum level', () => {
    expect(logger.getLogs({ level: 'warn' }).map((entry) => entry.message)).toEqual(['a2', 'b2']);
  });

  it('by limit, keeping the most recent', () => {
    expect(logger.getLogs({ limit: 2 }).map((entry) => entry.message)).toEqual(['b2', 'a3']);
    expect(logger.getLogs({ limit: 0 })).toEqual([]);
    expect(() => logger.getLogs({ limit: -1 })).toThrow(/limit/);
  });

  it('by partial context, combined with level and limit', () => {
    expect(logger.getLogs({ context: { jobId: 'a' } }).map((entry) => entry.message)).toEqual([
      'a1',
      'a2',
      'a3',
    ]);
    expect(logger.getLogs({ context: { jobId: 'b', version: 1 } })).toHaveLength(2);
    expect(logger.getLogs({ context: { jobId: 'a' }, level: 'info', limit: 1 })[0]?.message).toBe('a3');
  });
});

describe('console output', () => {
  it('writes one pino JSON line per entry with level, time, msg, context and data', () => {
    const out = capture();
    const logger = new Logger({ destination: out.stream, format: 'json', context: { jobId: 'j1' } });
    logger.info('trained 100%s', { episodes: 10 });
    logger.error('failed');
    const [first, second] = out.lines();
    const [entry] = logger.getLogs();
    expect(first).toEqual({
      level: 'info',
      time: entry?.time,
      msg: 'trained 100%s',
      context: { jobId: 'j1' },
      data: { episodes: 10 },
    });
    expect(second).toMatchObject({ level: 'error', msg: 'failed' });
  });

  it('pretty format is one compact line per entry', () => {
    const out = capture();
    const logger = new Logger({ destination: out.stream, format: 'pretty' }).child({ jobId: 'j1' });
    logger.warn('slow\nepisode', { seconds: 1.5, note: 'two words' });
    expect(out.text()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}slow\\nepisode jobId=j1 seconds=1\.5 note="two words"\n$/,
    );
  });

  it('defaults to JSON when the destination is not a TTY and prints nothing when logToConsole is false', () => {
    const out = capture();
    new Logger({ destination: out.stream }).info('json');
    expect(out.lines()[0]).toMatchObject({ msg: 'json' });
    const silent = capture();
    const logger = new Logger({ destination: silent.stream, logToConsole: false });
    logger.info('kept');
    logger.flush();
    expect(silent.text()).toBe('');
    expect(logger.getLogs()).toHaveLength(1);
  });

  it('writes synchronously to a file descriptor destination', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logger-'));
    const file = join(dir, 'log.jsonl');
    const fd = openSync(file, 'w');
    try {
      const logger = new Logger({ destination: fd, format: 'json' });
      logger.info('to fd', { n: 1 });
      // Read before flush(): a CLI that exits right after logging must not lose the line.
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ msg: 'to fd', data: { n: 1 } });
      logger.flush();
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives a destination that throws', () => {
    const logger = new Logger({
      format: 'json',
      destination: {
        write: () => {
          throw new Error('EPIPE');
        },
      },
    });
    expect(() => logger.info('still buffered')).not.toThrow();
    expect(logger.getLogs()).toHaveLength(1);
  });
});

describe('data', () => {
  it('serialises errors to name, message, stack and code', () => {
    const logger = quiet();
    const error = Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
    logger.error('failed', error);
    logger.error('wrapped', { err: new Error('outer', { cause: new Error('inner') }) });
    const [first, second] = logger.getLogs();
    expect(first?.data).toEqual({
      name: 'TypeError',
      message: 'bad input',
      stack: expect.stringContaining('TypeError: bad input'),
      code: 'E_BAD',
    });
    expect(second?.data).toMatchObject({
      err: { name: 'Error', message: 'outer', cause: { name: 'Error', message: 'inner' } },
    });
  });

  it('does not crash on cyclic data, in the buffer or on the console', () => {
    const out = capture();
    const logger = new Logger({ destination: out.stream, format: 'json' });
    const job: Record<string, unknown> = { id: 'j1' };
    job.self = job;
    job.list = [job];
    expect(() => logger.info('cycle', { job })).not.toThrow();
    expect(logger.getLogs()[0]?.data).toEqual({
      job: { id: 'j1', self: '[Circular]', list: ['[Circular]'] },
    });
    expect(out.lines()[0]).toMatchObject({ data: { job: { self: '[Circular]' } } });
  });
});
