import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../../src/logging/index.js';
import {
  AlertDeliveryError,
  emailChannel,
  logChannel,
  slackChannel,
  webhookChannel,
} from '../../../src/monitoring/alerts/index.js';
import {
  HOOK_PATH,
  SECRET_TOKEN,
  alertRow,
  parseMail,
  refusedUrl,
  startHttpReceiver,
  startSmtpReceiver,
  type HttpReceiver,
  type SmtpReceiver,
} from './servers.js';

const SEVERE = new Set(['critical', 'high'] as const);
const signal = () => AbortSignal.timeout(5_000);

let http: HttpReceiver | undefined;
let smtp: SmtpReceiver | undefined;
afterEach(async () => {
  await http?.close();
  await smtp?.close();
  http = smtp = undefined;
});

describe('webhook channel', () => {
  it('posts the alert as JSON to the webhook URL', async () => {
    http = await startHttpReceiver();
    const channel = webhookChannel({ url: http.url, severities: SEVERE });
    await channel.send(alertRow({ occurrences: 3 }), signal());

    expect(channel.name).toBe('webhook');
    expect(http.requests).toHaveLength(1);
    const [request] = http.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(HOOK_PATH);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      id: '0b9f3c9e-0000-4000-8000-000000000001',
      type: 'model_drift',
      severity: 'critical',
      message: 'PSI 0.31 on log returns exceeds 0.25',
      details: { psi: 0.31, feature: 'logReturn' },
      version: '1.4.0',
      timestamp: '2026-04-02T03:04:05.678Z',
      occurrences: 3,
      source: 'ai-trading-retraining',
    });
  });

  it('rejects a non-2xx answer naming the status but not the URL', async () => {
    http = await startHttpReceiver(() => 503);
    const channel = webhookChannel({ url: http.url, severities: SEVERE });
    const error = await channel.send(alertRow(), signal()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect((error as AlertDeliveryError).message).toBe(
      'alert channel "webhook": got HTTP 503 (no_service); expected 2xx',
    );
    expect((error as AlertDeliveryError).retryable).toBe(true);
    expect(JSON.stringify(error)).not.toContain(SECRET_TOKEN);
  });

  it('marks a 404 as not worth retrying', async () => {
    http = await startHttpReceiver(() => 404);
    const channel = webhookChannel({ url: http.url, severities: SEVERE });
    const error = await channel.send(alertRow(), signal()).catch((caught: unknown) => caught);
    expect((error as AlertDeliveryError).retryable).toBe(false);
  });

  it('names the network error code, not the URL, when nothing listens', async () => {
    const url = await refusedUrl();
    const channel = webhookChannel({ url, severities: SEVERE });
    const error = (await channel.send(alertRow(), signal()).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe('alert channel "webhook": request failed (ECONNREFUSED)');
    expect(error.message).not.toContain('127.0.0.1');
  });

  it('gives up after its own timeout when the receiver never answers', async () => {
    http = await startHttpReceiver(() => 'hang');
    const channel = webhookChannel({ url: http.url, severities: SEVERE, timeoutMs: 50 });
    await expect(channel.send(alertRow(), signal())).rejects.toThrow(
      'alert channel "webhook": request timed out',
    );
  });
});

describe('Slack channel', () => {
  it('posts an incoming-webhook message with text and blocks', async () => {
    http = await startHttpReceiver();
    const channel = slackChannel({ url: http.url, severities: SEVERE });
    const alert = alertRow({ severity: 'high', message: 'Sharpe fell to 0.4 <below 0.8> & falling' });
    await channel.send(alert, signal());

    expect(channel.name).toBe('slack');
    const body = JSON.parse(http.requests[0]?.body ?? '') as { text: string; blocks: unknown[] };
    expect(body.text).toBe(
      ':red_circle: [HIGH] model_drift: Sharpe fell to 0.4 &lt;below 0.8&gt; &amp; falling',
    );
    expect(body.blocks).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: ':red_circle: *HIGH* · `model_drift`\nSharpe fell to 0.4 &lt;below 0.8&gt; &amp; falling',
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'version: 1.4.0 · alert 0b9f3c9e-0000-4000-8000-000000000001 · 2026-04-02T03:04:05.678Z',
          },
        ],
      },
    ]);
  });

  it('reports the short error code Slack answers with', async () => {
    http = await startHttpReceiver(() => 410);
    const channel = slackChannel({ url: http.url, severities: SEVERE });
    await expect(channel.send(alertRow(), signal())).rejects.toThrow(
      'alert channel "slack": got HTTP 410 (no_service); expected 2xx',
    );
  });
});

describe('e-mail channel', () => {
  it('sends the alert over SMTP with a subject naming severity, type and message', async () => {
    smtp = await startSmtpReceiver();
    const channel = emailChannel({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'Retraining <retraining@example.com>',
      to: ['ops@example.com', 'quant@example.com'],
      severities: SEVERE,
    });
    await channel.send(alertRow({ details: { psi: 0.31 } }), signal());

    expect(channel.name).toBe('email');
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail?.from).toBe('retraining@example.com');
    expect(mail?.to).toEqual(['ops@example.com', 'quant@example.com']);
    const parsed = parseMail(mail?.raw ?? '');
    expect(parsed.header('subject')).toBe('[CRITICAL] model_drift: PSI 0.31 on log returns exceeds 0.25');
    expect(parsed.header('from')).toBe('Retraining <retraining@example.com>');
    expect(parsed.header('to')).toBe('ops@example.com, quant@example.com');
    expect(parsed.text).toContain('Severity: critical\r\nType: model_drift\r\n');
    expect(parsed.text).toContain('Message: PSI 0.31 on log returns exceeds 0.25');
    expect(parsed.text).toContain('Model version: 1.4.0');
    expect(parsed.text).toContain('"psi": 0.31');
    expect(parsed.html).toContain('<h2>[CRITICAL] model_drift: PSI 0.31 on log returns exceeds 0.25</h2>');
    expect(smtp.logins).toEqual([]);
  });

  it('logs in with the user and password of the SMTP URL', async () => {
    smtp = await startSmtpReceiver();
    const channel = emailChannel({
      smtpUrl: `smtp://alerts:p%40ss%2Fw0rd@127.0.0.1:${smtp.port}`,
      from: 'retraining@example.com',
      to: ['ops@example.com'],
      severities: SEVERE,
    });
    await channel.send(alertRow(), signal());
    expect(smtp.logins).toEqual([{ username: 'alerts', password: 'p@ss/w0rd' }]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('fails without the password in the error when the server is down', async () => {
    const port = new URL(await refusedUrl()).port;
    const channel = emailChannel({
      smtpUrl: `smtp://alerts:hunter2secret@127.0.0.1:${port}`,
      from: 'retraining@example.com',
      to: ['ops@example.com'],
      severities: SEVERE,
    });
    const error = (await channel.send(alertRow(), signal()).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect(error.message).toMatch(/^alert channel "email": SMTP ESOCKET: connect ECONNREFUSED/);
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain('hunter2secret');
  });

  it('reports a refused login without the password', async () => {
    smtp = await startSmtpReceiver({ password: 'the-right-one' });
    const channel = emailChannel({
      smtpUrl: `smtp://alerts:hunter2secret@127.0.0.1:${smtp.port}`,
      from: 'retraining@example.com',
      to: ['ops@example.com'],
      severities: SEVERE,
    });
    const error = (await channel.send(alertRow(), signal()).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(/^alert channel "email": SMTP EAUTH: Invalid login/);
    expect(error.message).not.toContain('hunter2secret');
    expect(smtp.messages).toEqual([]);
  });
});

describe('log channel', () => {
  it('writes the alert to the log at a level matching its severity', async () => {
    const logger = new Logger({ logToConsole: false });
    const channel = logChannel(logger);
    expect([...channel.severities]).toEqual(['critical', 'high', 'medium', 'low']);
    await channel.send(alertRow(), signal());
    await channel.send(alertRow({ severity: 'low', message: 'a quiet note' }), signal());
    const [critical, low] = logger.getLogs();
    expect(critical?.level).toBe('error');
    expect(critical?.message).toBe('alert [CRITICAL] model_drift: PSI 0.31 on log returns exceeds 0.25');
    expect(critical?.data).toMatchObject({
      alertId: '0b9f3c9e-0000-4000-8000-000000000001',
      version: '1.4.0',
    });
    expect(low?.level).toBe('info');
  });
});
