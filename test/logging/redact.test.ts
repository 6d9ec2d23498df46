import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Logger, REDACTED, isSensitiveKey, redact, redactString } from '../../src/logging/index.js';

const DB_URL = 'postgres://trader:s3cr3t-pw@db.internal:5432/models';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl';

function capturingLogger() {
  const chunks: string[] = [];
  const logger = new Logger({
    format: 'json',
    destination: { write: (chunk: string) => chunks.push(chunk) },
  });
  return { logger, text: () => chunks.join('') };
}

describe('redactString', () => {
  it('hides the password of a URL of any scheme', () => {
    expect(redactString(`connect ${DB_URL} failed`)).toBe(
      `connect postgres://trader:${REDACTED}@db.internal:5432/models failed`,
    );
    expect(redactString('redis://:hunter2@cache:6379')).toBe(`redis://:${REDACTED}@cache:6379`);
    expect(redactString('amqps://u:p@ss/w@mq/vhost')).toBe(`amqps://u:${REDACTED}@mq/vhost`);
  });

  it('leaves URLs without credentials alone', () => {
    for (const text of ['https://api.example.com:443/v1', 'http://localhost:3000/users/ann@example.com']) {
      expect(redactString(text)).toBe(text);
    }
  });

  it('hides Bearer tokens and JWTs', () => {
    expect(redactString('Authorization: Bearer abc.def')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString('sent bearer abc.def to api')).toBe(`sent bearer ${REDACTED} to api`);
    expect(redactString(`key was ${JWT}`)).toBe(`key was ${REDACTED}`);
  });

  it('hides sensitive key=value and "key": "value" pairs', () => {
    expect(redactString('api_key=abc123 mode=live')).toBe(`api_key=${REDACTED} mode=live`);
    expect(redactString('{"password":"pw","user":"bob"}')).toBe(`{"password":"${REDACTED}","user":"bob"}`);
    expect(redactString(`SUPABASE_SERVICE_ROLE_KEY=${JWT}`)).toBe(`SUPABASE_SERVICE_ROLE_KEY=${REDACTED}`);
    expect(redactString('{\\"apiKey\\":\\"zz\\"}')).toBe(`{\\"apiKey\\":\\"${REDACTED}\\"}`);
    expect(redactString(`DATABASE_URL=${DB_URL}`)).toBe(`DATABASE_URL=${REDACTED}`);
    expect(redactString('checks passed: 5, sharpe=1.2')).toBe('checks passed: 5, sharpe=1.2');
  });

  it('finds pairs inside the values of other pairs and stays fast on long input', () => {
    expect(redactString('a=password=x')).toBe(`a=password=${REDACTED}`);
    expect(redactString('{"note":"token=x y"}')).toBe(`{"note":"token=${REDACTED} y"}`);
    const start = performance.now();
    expect(redactString('a='.repeat(100_000))).toHaveLength(200_000);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('never outputs a password embedded in a generated URL', () => {
    const chars = (set: string, minLength: number) =>
      fc.string({ unit: fc.constantFrom(...set), minLength, maxLength: 24 });
    const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    // Everything RFC 3986 allows unencoded in a password, plus percent escapes.
    const passwordChars = `${alnum}-._~!$&'()*+,;=:%`;
    const scheme = fc
      .tuple(chars('abcdefghijklmnopqrstuvwxyz', 1), chars('abcdefghijklmnopqrstuvwxyz0123456789+.-', 0))
      .map(([head, tail]) => head + tail);
    fc.assert(
      fc.property(
        scheme,
        chars(`${alnum}-._~`, 0),
        chars(passwordChars, 6),
        chars('abcdefghijklmnopqrstuvwxyz0123456789.-', 1),
        chars(`${alnum}_`, 0),
        (protocol, user, password, host, db) => {
          const visible = `${protocol}://${user}@${host}/${db} ${REDACTED}`;
          fc.pre(!visible.includes(password));
          const out = redactString(`connecting to ${protocol}://${user}:${password}@${host}/${db} now`);
          expect(out).not.toContain(password);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('redact', () => {
  it('replaces the values of sensitive keys at any depth', () => {
    expect(
      redact({
        db: { password: 'pw', host: 'h' },
        apiKey: 'k',
        'x-api-key': 'k',
        SUPABASE_SERVICE_ROLE_KEY: JWT,
        SUPABASE_ANON_KEY: 'anon',
        headers: [{ authorization: 'Bearer t', cookie: 'sid=1' }],
        nested: { credentials: { user: 'u' } },
        gate: { passed: true },
      }),
    ).toEqual({
      db: { password: REDACTED, host: 'h' },
      apiKey: REDACTED,
      'x-api-key': REDACTED,
      SUPABASE_SERVICE_ROLE_KEY: REDACTED,
      SUPABASE_ANON_KEY: REDACTED,
      headers: [{ authorization: REDACTED, cookie: REDACTED }],
      nested: { credentials: REDACTED },
      gate: { passed: true },
    });
  });

  it('scrubs strings under any key and keeps the input untouched', () => {
    const input = { url: DB_URL, notes: ['token=abc'] };
    expect(redact(input)).toEqual({
      url: `postgres://trader:${REDACTED}@db.internal:5432/models`,
      notes: [`token=${REDACTED}`],
    });
    expect(input.url).toBe(DB_URL);
  });

  it('is cycle-safe and depth-limited', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.me = cyclic;
    expect(redact(cyclic)).toEqual({ a: 1, me: '[Circular]' });
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    expect(JSON.stringify(redact(deep))).toContain('[Truncated]');
  });

  it('recognises sensitive key names', () => {
    for (const key of ['password', 'dbPassword', 'clientSecret', 'refresh_token', 'DATABASE_URL', 'dsn']) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
    for (const key of ['jobId', 'passed', 'checksPassed', 'version', 'sharpeRatio', 'author']) {
      expect(isSensitiveKey(key), key).toBe(false);
    }
  });
});

describe('Logger redaction', () => {
  it('keeps secrets out of the buffer and the console sink', () => {
    const { logger, text } = capturingLogger();
    const job = logger.child({ jobId: 'j1', databaseUrl: DB_URL });
    job.error(`cannot reach ${DB_URL}`, {
      url: DB_URL,
      db: { password: 's3cr3t-pw' },
      apiKey: 'ak-123',
      SUPABASE_SERVICE_ROLE_KEY: JWT,
      header: 'Authorization: Bearer abc.def',
    });
    job.warn('retrying', new Error(`connect ${DB_URL} refused`));

    const buffered = JSON.stringify(logger.getLogs());
    const printed = text();
    for (const secret of ['s3cr3t-pw', 'ak-123', JWT, 'abc.def']) {
      expect(buffered).not.toContain(secret);
      expect(printed).not.toContain(secret);
    }
    const lines = printed
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      msg: `cannot reach postgres://trader:${REDACTED}@db.internal:5432/models`,
      context: { jobId: 'j1', databaseUrl: REDACTED },
      data: {
        url: `postgres://trader:${REDACTED}@db.internal:5432/models`,
        db: { password: REDACTED },
        apiKey: REDACTED,
        SUPABASE_SERVICE_ROLE_KEY: REDACTED,
        header: `Authorization: Bearer ${REDACTED}`,
      },
    });
    expect(lines[1]).toMatchObject({
      data: { message: `connect postgres://trader:${REDACTED}@db.internal:5432/models refused` },
    });
  });
});
