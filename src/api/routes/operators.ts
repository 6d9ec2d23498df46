/** What operators and scripts call: status, jobs, versions, deployments, the schedule. */
import type { FastifyInstance } from 'fastify';
import { compareVersionRows } from '../../registry/registry.js';
import { listDeploymentEvents } from '../../store/deployment-events.js';
import { getVersion, listVersions, VERSION_STATUSES, type VersionStatus } from '../../store/versions.js';
import {
  DEPLOY_BODY,
  EMPTY_BODY,
  ERROR,
  ID_PARAMS,
  LIMIT_QUERY,
  OBJECT,
  ROLLBACK_BODY,
  VERSION,
  VERSION_PARAMS,
} from '../schemas.js';
import type { ApiContext } from '../server.js';

const errors = { 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 429: ERROR, 503: ERROR };

export function registerOperatorRoutes(app: FastifyInstance, context: ApiContext): void {
  const { system, predictor } = context;
  const { retrainingService, deploymentManager } = system.services;

  app.get(
    '/status',
    {
      schema: {
        summary: 'Running state, production version, current job, next runs, health',
        tags: ['operations'],
        response: errors,
      },
    },
    async () => system.getStatus(),
  );

  app.get(
    '/whoami',
    {
      schema: { summary: 'The role of the key sent: admin or read', tags: ['operations'], response: errors },
    },
    async (request) => ({ role: request.role }),
  );

  for (const [action, run] of [
    ['start', () => system.resume()],
    ['stop', () => system.pause()],
  ] as const) {
    app.post(
      `/system/${action}`,
      {
        schema: {
          summary:
            action === 'start'
              ? 'Take retraining and monitoring jobs again in this process'
              : 'Stop taking retraining and monitoring jobs in this process (a running job finishes; the API keeps serving)',
          tags: ['operations'],
          body: EMPTY_BODY,
          response: errors,
        },
      },
      async () => {
        await run();
        return system.getStatus();
      },
    );
  }

  app.get(
    '/health',
    { schema: { summary: 'Health with its reasons', tags: ['operations'], response: errors } },
    async () => retrainingService.checkSystemHealth(),
  );

  app.get<{ Querystring: { limit: number } }>(
    '/jobs',
    {
      schema: {
        summary: 'Retraining jobs, newest first',
        tags: ['jobs'],
        querystring: { type: 'object', properties: { limit: LIMIT_QUERY } },
        response: errors,
      },
    },
    async (request) => ({ jobs: await retrainingService.listJobs(request.query.limit) }),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      schema: {
        summary: 'One job with its stage, progress, logs and result',
        tags: ['jobs'],
        params: ID_PARAMS,
        response: errors,
      },
    },
    async (request) => retrainingService.getJob(request.params.id),
  );

  app.post(
    '/jobs',
    {
      schema: {
        summary: 'Start a retraining now (409 while one is running)',
        tags: ['jobs'],
        body: EMPTY_BODY,
        response: { 202: OBJECT, ...errors },
      },
    },
    async (_request, reply) => {
      const job = await retrainingService.startRetraining({ trigger: 'api' });
      void reply.status(202);
      return job;
    },
  );

  app.get<{ Querystring: { limit: number; status?: VersionStatus } }>(
    '/versions',
    {
      schema: {
        summary: 'Model versions, newest first',
        tags: ['versions'],
        querystring: {
          type: 'object',
          properties: { limit: LIMIT_QUERY, status: { type: 'string', enum: [...VERSION_STATUSES] } },
        },
        response: errors,
      },
    },
    async (request) => ({
      versions: await listVersions(system.db, {
        limit: request.query.limit,
        ...(request.query.status ? { status: request.query.status } : {}),
      }),
    }),
  );

  // Registered before `/versions/:version`, so `compare` is not read as a version.
  app.get<{ Querystring: { a: string; b: string } }>(
    '/versions/compare',
    {
      schema: {
        summary: 'Two versions side by side, with the difference of each metric (b − a)',
        tags: ['versions'],
        querystring: { type: 'object', required: ['a', 'b'], properties: { a: VERSION, b: VERSION } },
        response: errors,
      },
    },
    async (request) => compareVersionRows(system.db, request.query.a, request.query.b),
  );

  app.get<{ Params: { version: string } }>(
    '/versions/:version',
    {
      schema: {
        summary: 'One version and its deployment events',
        tags: ['versions'],
        params: VERSION_PARAMS,
        response: errors,
      },
    },
    async (request) => {
      const version = await getVersion(system.db, request.params.version);
      const events = await listDeploymentEvents(system.db, { version: version.version, limit: 100 });
      return { ...version, events };
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/deployments',
    {
      schema: {
        summary: 'The deployment event timeline, newest first',
        tags: ['versions'],
        querystring: { type: 'object', properties: { limit: LIMIT_QUERY } },
        response: errors,
      },
    },
    async (request) => ({ events: await listDeploymentEvents(system.db, { limit: request.query.limit }) }),
  );

  app.post<{ Body: { version: string; reason?: string; force?: boolean } }>(
    '/deploy',
    {
      schema: {
        summary: 'Deploy a validated version (409 inside the cooldown unless `force` with a reason)',
        tags: ['versions'],
        body: DEPLOY_BODY,
        response: errors,
      },
    },
    async (request) => {
      const { version, reason, force } = request.body;
      const result = await deploymentManager.deploy(version, {
        ...(reason ? { reason } : {}),
        ...(force ? { force } : {}),
        actor: 'api',
      });
      await predictor.refresh();
      return result;
    },
  );

  app.post<{ Body: { reason: string; version?: string } }>(
    '/rollback',
    {
      schema: {
        summary: 'Roll production back to the last good version (or `version`); the reason is kept',
        tags: ['versions'],
        body: ROLLBACK_BODY,
        response: errors,
      },
    },
    async (request) => {
      const result = await retrainingService.rollbackModel(request.body.reason, request.body.version);
      await predictor.refresh();
      return result;
    },
  );

  app.get<{ Querystring: { count: number } }>(
    '/schedule',
    {
      schema: {
        summary: 'The retraining schedule and its next runs',
        tags: ['operations'],
        querystring: {
          type: 'object',
          properties: { count: { type: 'integer', minimum: 1, maximum: 100, default: 5 } },
        },
        response: errors,
      },
    },
    async (request) => {
      const { schedule } = system.config;
      return { ...schedule, nextRuns: retrainingService.nextRuns(request.query.count) };
    },
  );
}
