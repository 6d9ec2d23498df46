/** A/B tests, alerts, live metrics, drift, and the event stream the dashboard listens to. */
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../errors.js';
import { listAbTests } from '../../store/ab-tests.js';
import { ALERT_SEVERITIES, listAlerts, type AlertSeverity } from '../../store/alerts.js';
import type { MetricsSource } from '../../store/performance-metrics.js';
import { getVersion } from '../../store/versions.js';
import { formatServerEvent } from '../events.js';
import { HttpError } from '../errors.js';
import {
  AB_TEST_BODY,
  EMPTY_BODY,
  ERROR,
  ID_PARAMS,
  LIMIT_QUERY,
  OBJECT,
  REASON_BODY,
  RESOLVE_BODY,
  VERSION,
} from '../schemas.js';
import type { ApiContext } from '../server.js';

const errors = { 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 429: ERROR, 503: ERROR };
const HEARTBEAT_MS = 15_000;

export function registerMonitoringRoutes(app: FastifyInstance, context: ApiContext): void {
  const { system, predictor, events } = context;
  const { abTestManager, alerter, monitoringService } = system.services;

  app.get<{ Querystring: { limit: number } }>(
    '/ab-tests',
    {
      schema: {
        summary: 'A/B tests, newest first',
        tags: ['ab-tests'],
        querystring: { type: 'object', properties: { limit: LIMIT_QUERY } },
        response: errors,
      },
    },
    async (request) => ({ tests: await listAbTests(system.db, request.query.limit) }),
  );

  app.post<{ Body: { modelA?: string; modelB: string; trafficSplit: number; mode: 'ab' | 'shadow' } }>(
    '/ab-tests',
    {
      schema: {
        summary: 'Start an A/B (or shadow) test of a validated candidate against production',
        tags: ['ab-tests'],
        body: AB_TEST_BODY,
        response: { 201: OBJECT, ...errors },
      },
    },
    async (request, reply) => {
      const { modelB, trafficSplit, mode } = request.body;
      const modelA =
        request.body.modelA ?? (await system.services.deploymentManager.getProductionVersion())?.version;
      if (!modelA) throw new HttpError(409, 'conflict', 'no version is in production to test against');
      const test = await abTestManager.startABTest(modelA, modelB, trafficSplit, { mode });
      await predictor.refresh();
      void reply.status(201);
      return test;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/ab-tests/:id',
    {
      schema: {
        summary: 'A test with its trades and metrics per arm, P(B beats A) and the recommendation',
        tags: ['ab-tests'],
        params: ID_PARAMS,
        response: errors,
      },
    },
    async (request) => abTestManager.getABTestResults(request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/ab-tests/:id/stop',
    {
      schema: {
        summary: 'Stop an active test; production stays, the candidate goes back to validated',
        tags: ['ab-tests'],
        params: ID_PARAMS,
        body: REASON_BODY,
        response: errors,
      },
    },
    async (request) => {
      const test = await abTestManager.stopABTest(request.params.id, request.body.reason);
      await predictor.refresh();
      return test;
    },
  );

  app.get<{
    Querystring: {
      state?: 'open' | 'resolved' | 'all';
      all: boolean;
      severity?: AlertSeverity;
      limit: number;
    };
  }>(
    '/alerts',
    {
      schema: {
        summary: 'Open alerts (or resolved ones, or all), newest first',
        tags: ['alerts'],
        querystring: {
          type: 'object',
          properties: {
            state: {
              type: 'string',
              enum: ['open', 'resolved', 'all'],
              description: 'Which alerts; default open (`all=true` is the same as `state=all`)',
            },
            all: { type: 'boolean', default: false },
            severity: { type: 'string', enum: [...ALERT_SEVERITIES] },
            limit: LIMIT_QUERY,
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const { state = request.query.all ? 'all' : 'open', severity, limit } = request.query;
      return {
        alerts: await listAlerts(system.db, {
          ...(state === 'all' ? {} : { active: state === 'open' }),
          ...(severity ? { severity } : {}),
          limit,
        }),
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/alerts/:id/acknowledge',
    {
      schema: {
        summary: 'Acknowledge an alert (it stays open until resolved)',
        tags: ['alerts'],
        params: ID_PARAMS,
        body: EMPTY_BODY,
        response: errors,
      },
    },
    async (request) => alerter.acknowledge(request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { resolution: string } }>(
    '/alerts/:id/resolve',
    {
      schema: {
        summary: 'Resolve an alert with what was done',
        tags: ['alerts'],
        params: ID_PARAMS,
        body: RESOLVE_BODY,
        response: errors,
      },
    },
    async (request) => alerter.resolve(request.params.id, request.body.resolution),
  );

  app.get<{ Querystring: { version?: string; since?: string; source?: MetricsSource; limit: number } }>(
    '/metrics/history',
    {
      schema: {
        summary: 'Live metrics per check: the newest `limit`, oldest first',
        tags: ['monitoring'],
        querystring: {
          type: 'object',
          properties: {
            version: VERSION,
            since: { type: 'string', maxLength: 40, description: 'ISO 8601' },
            source: { type: 'string', enum: ['live', 'backtest', 'validation', 'ab_test'] },
            limit: { ...LIMIT_QUERY, maximum: 10_000, default: 500 },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const { version, since, source, limit } = request.query;
      let sinceDate: Date | undefined;
      if (since !== undefined) {
        sinceDate = new Date(since);
        if (Number.isNaN(sinceDate.getTime()))
          throw new ValidationError(`since "${since}" is not an ISO 8601 time`, 'since');
      }
      return {
        metrics: await monitoringService.getMetricsHistory({
          limit,
          ...(version ? { version } : {}),
          ...(sinceDate ? { since: sinceDate } : {}),
          ...(source ? { source } : {}),
        }),
      };
    },
  );

  app.get<{ Querystring: { version?: string; since?: string; points: number } }>(
    '/equity',
    {
      schema: {
        summary:
          "Live equity per version: one unit compounded over its closed trades' net returns, in exit order",
        tags: ['monitoring'],
        querystring: {
          type: 'object',
          properties: {
            version: VERSION,
            since: { type: 'string', maxLength: 40, description: 'ISO 8601; default 90 days ago' },
            points: { type: 'integer', minimum: 2, maximum: 5000, default: 1000 },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const { version, since, points } = request.query;
      const sinceDate = since === undefined ? new Date(Date.now() - 90 * 86_400_000) : new Date(since);
      if (Number.isNaN(sinceDate.getTime()))
        throw new ValidationError(`since "${since}" is not an ISO 8601 time`, 'since');
      if (version !== undefined) await getVersion(system.db, version); // 404 for an unknown one
      return {
        since: sinceDate.toISOString(),
        curves: await monitoringService.getEquityCurves({
          since: sinceDate,
          maxPoints: points,
          ...(version !== undefined ? { version } : {}),
        }),
      };
    },
  );

  app.get<{ Querystring: { version?: string; limit: number } }>(
    '/drift',
    {
      schema: {
        summary: 'Drift reports (features and trade returns), newest first',
        tags: ['monitoring'],
        querystring: { type: 'object', properties: { version: VERSION, limit: LIMIT_QUERY } },
        response: errors,
      },
    },
    async (request) => ({
      reports: await monitoringService.getDriftHistory({
        limit: request.query.limit,
        ...(request.query.version ? { version: request.query.version } : {}),
      }),
    }),
  );

  app.get(
    '/events',
    {
      config: { rateLimit: false },
      schema: {
        summary: 'Server-sent events: `job` (progress), `deployment` (ledger events) and `alert`',
        tags: ['monitoring'],
        response: errors,
      },
    },
    (request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(': connected\n\n');
      let id = 0;
      const unsubscribe = events.subscribe((event) => raw.write(formatServerEvent(event, ++id)));
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe();
        context.streams.delete(raw);
      };
      context.streams.add(raw);
      request.raw.on('close', close);
      raw.on('error', close);
    },
  );
}
