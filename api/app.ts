// The HTTP API: a thin layer that validates, authorizes, and starts or updates workflows.
import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { ApiError, errorHandler } from './errors';
import { authenticate, requestContext } from './middleware';
import { casesRouter } from './routes/cases';
import { principalsRouter } from './routes/principals';
import { returnsRouter } from './routes/returns';
import { tasksRouter } from './routes/tasks';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(deps.logger));
  app.use(express.json({ limit: '64kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
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
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  });

  app.use('/v1', authenticate(deps.db));
  app.use(returnsRouter(deps));
  app.use(casesRouter(deps));
  app.use(tasksRouter(deps));
  app.use(principalsRouter(deps));
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
