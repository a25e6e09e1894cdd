// The HTTP API: a thin layer that validates, authorizes, and starts or updates workflows.
import express, { Router, type Express } from 'express';
import type { ApiDeps } from './deps';
import { docsAssets, docsHtml, setDocHeaders } from './docs';
import { openApiDocument } from './openapi';
import { methodNotAllowed } from './methods';
import { mount, routeSpecs } from './routeSpec';
import { operationRoutes } from './routes/operations';
import { ApiError, errorHandler } from './errors';
import { authenticate, requestContext } from './middleware';
import { httpMetrics, metricsRouter, Registry } from './metrics';
import { DEFAULT_AUTH_FAILURE_LIMITS, DEFAULT_RATE_LIMITS, rateLimit, TokenBuckets } from './rateLimit';
import { attachmentsRouter } from './routes/attachments';
import { threadsRouter } from './routes/threads';
import { webhooksRouter } from './routes/webhooks';
import { inboundMailRouter } from './routes/inboundMail';
import { mailIntakeRouter } from './routes/mailIntake';
import { dataExportsRouter } from './routes/dataExports';
import { casesRouter } from './routes/cases';
import { merchantsRouter } from './routes/merchants';
import { principalsRouter } from './routes/principals';
import { tasksRouter } from './routes/tasks';
import { personalDataRouter } from './routes/personalData';
import { createPersonalReads } from '../lib/personalAccess';
import { sealerFor } from '../lib/sealedFields';
import { catalogueRoleDecls } from '../processes';

export function createApp(given: ApiDeps): Express {
  // Personal fields shown in clear or masked by role, reads in clear by staff recorded (policy 2.2.2).
  const deps: ApiDeps = { ...given, personalReads: given.personalReads ?? createPersonalReads(given.db, catalogueRoleDecls, () => sealerFor(given.db, given.ports.keys)) };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(deps.logger));
  const metrics = deps.metrics ?? new Registry();
  app.use(httpMetrics(metrics));
  // Signed webhooks read their raw bytes (the signature is over them): before the JSON parser, outside API keys.
  app.use(webhooksRouter(deps));
  app.use(express.json({ limit: '64kb' }));
  app.use(methodNotAllowed(routeSpecs));

  const ops = Router();
  mount(ops, operationRoutes.health, (_req, res) => {
    res.json({ status: 'ok' });
  });
  mount(ops, operationRoutes.readiness, async (_req, res) => {
    const checks: Record<string, string> = {};
    try {
      await deps.db.$queryRaw`SELECT 1`;
      checks.database = 'ok';
    } catch (err) {
      checks.database = `unavailable: ${(err as Error).message.slice(0, 200)}`;
    }
    try {
      await deps.temporal.connection.workflowService.getSystemInfo({});
      checks.temporal = 'ok';
    } catch (err) {
      checks.temporal = `unavailable: ${(err as Error).message.slice(0, 200)}`;
    }
    const ok = Object.values(checks).every((v) => v === 'ok');
    // The official holiday data ending within 60 days makes the service degraded, not unready: deadlines after it
    // are computed over the statutory holidays (provisional) until the next notice is imported.
    const calendar = deps.calendars?.coverage();
    if (calendar) checks.calendar = calendar.degraded ? `official holiday data ends ${calendar.officialThrough ?? 'before today'} (${Math.max(0, calendar.daysLeft)} days left): import the next State Council notice` : 'ok';
    res.status(ok ? 200 : 503).json({ status: !ok ? 'not ready' : calendar?.degraded ? 'degraded' : 'ready', checks });
  });
  // The API description and its HTML rendering, built on first request and then served from memory.
  let openApiJson: string | undefined;
  mount(ops, operationRoutes.openapi, (_req, res) => {
    openApiJson ??= JSON.stringify(openApiDocument());
    res.type('application/json').send(openApiJson);
  });
  mount(ops, operationRoutes.docs, (_req, res) => {
    // Swagger UI from this origin; the CSP makes sure no script or resource from elsewhere ever loads.
    setDocHeaders(res);
    res.type('html').send(docsHtml);
  });
  app.use(ops);
  app.use(docsAssets());

  app.use(metricsRouter(deps, metrics));
  // The e-mail intake's confirmation links: public pages, their signed token the authorisation (outside /v1).
  app.use(mailIntakeRouter(deps));
  // A subject's personal-data export: its signed, expiring download link (outside /v1, no API key).
  app.use(dataExportsRouter(deps));

  app.use('/v1', authenticate(deps.db, new TokenBuckets(deps.authFailureLimits ?? DEFAULT_AUTH_FAILURE_LIMITS)));
  app.use('/v1', rateLimit(deps.limits ?? DEFAULT_RATE_LIMITS));
  app.use(casesRouter(deps));
  app.use(attachmentsRouter(deps));
  app.use(threadsRouter(deps));
  app.use(inboundMailRouter(deps));
  app.use(tasksRouter(deps));
  app.use(principalsRouter(deps));
  app.use(merchantsRouter(deps));
  app.use(personalDataRouter(deps));
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
