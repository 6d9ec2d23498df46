import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Logger } from '../../../src/logging/index.js';
import type { AlertRow } from '../../../src/store/alerts.js';

/** Stands in for the webhook and Slack receivers: the secret token sits in the path, as Slack's does. */
export const SECRET_TOKEN = 'xoxTOKENs3cr3t0000';
export const HOOK_PATH = `/services/T0001/B0002/${SECRET_TOKEN}`;

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the server does with the n-th request (0-based): answer with a status, or never answer. */
export type Responder = (index: number) => number | 'hang';

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpReceiver(respond: Responder = () => 200): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const index = requests.length;
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = respond(index);
      if (answer === 'hang') return;
      response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no_service');
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${HOOK_PATH}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A URL on a port that nothing listens on: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}${HOOK_PATH}`;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  messages: ReceivedMail[];
  logins: { username: string | undefined; password: string | undefined }[];
  close(): Promise<void>;
}

/** With `password`, logins with any other password are refused. */
export async function startSmtpReceiver(options: { password?: string } = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const logins: SmtpReceiver['logins'] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username, password: auth.password ?? undefined });
      if (options.password !== undefined && auth.password !== options.password) {
        callback(new Error('Invalid username or password'));
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
  });
  return { port, messages, logins, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The header value (unfolded) and the decoded parts of a simple MIME message. */
export function parseMail(raw: string): {
  header(name: string): string | undefined;
  text: string;
  html: string;
} {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const headers = head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const header = (name: string) =>
    headers
      .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.replace(/^[^:]+:\s*/, '');
  const body = rest.join('\r\n\r\n');
  const part = (type: string) => {
    const match = new RegExp(`Content-Type: ${type}[^]*?\\r\\n\\r\\n([^]*?)\\r\\n--`, 'i').exec(body);
    return decodeQuotedPrintable(match?.[1] ?? '');
  };
  return { header, text: part('text/plain'), html: part('text/html') };
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** A logger that keeps everything it writes, console output included, for secret checks. */
export function capturingLogger(): { logger: Logger; output: () => string } {
  const chunks: string[] = [];
  const logger = new Logger({
    level: 'debug',
    format: 'json',
    destination: { write: (chunk: string) => chunks.push(chunk) },
  });
  return { logger, output: () => chunks.join('') + JSON.stringify(logger.getLogs()) };
}

export function alertRow(overrides: Partial<AlertRow> = {}): AlertRow {
  const at = new Date('2026-04-02T03:04:05.678Z');
  return {
    id: '0b9f3c9e-0000-4000-8000-000000000001',
    type: 'model_drift',
    severity: 'critical',
    timestamp: at,
    message: 'PSI 0.31 on log returns exceeds 0.25',
    details: { psi: 0.31, feature: 'logReturn' },
    acknowledged: false,
    acknowledgedAt: null,
    resolvedAt: null,
    resolution: null,
    version: '1.4.0',
    dedupeKey: 'drift:logReturn',
    occurrences: 1,
    lastSeenAt: at,
    ...overrides,
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
