// Operational routes that need no authentication: liveness, readiness and the API description.
// Declared here (not in app.ts) so that api/openapi.ts can list them without importing the app.
// The handlers are mounted in api/app.ts.
import { defineRoute } from '../routeSpec';

export const operationRoutes = {
  health: defineRoute({ id: 'getHealth', method: 'get', path: '/healthz', action: null, summary: 'Liveness: the process is up and answering', tag: 'operations', success: { status: 200, description: '{ "status": "ok" }' }, errors: [] }),
  readiness: defineRoute({
    id: 'getReadiness',
    method: 'get',
    path: '/readyz',
    action: null,
    summary: 'Readiness: PostgreSQL and Temporal are reachable; degraded while the official holiday data ends within 60 days',
    tag: 'operations',
    // The 503 answer is not the shared Error body but the same { status, checks } shape, so it is described here.
    success: { status: 200, description: '{ "status": "ready", "checks": { "database": "ok", "temporal": "ok", "calendar": "ok" } }; status "degraded" (still 200) while the official holiday data ends within 60 days; answers 503 with status "not ready" and the failing checks otherwise' },
    errors: [],
  }),
  openapi: defineRoute({ id: 'getOpenApiDocument', method: 'get', path: '/openapi.json', action: null, summary: 'This API described as OpenAPI 3.1, generated from the zod schemas that validate requests', tag: 'operations', success: { status: 200, description: 'The OpenAPI 3.1.0 document' }, errors: [] }),
  docs: defineRoute({ id: 'getApiReference', method: 'get', path: '/docs', action: null, summary: 'A readable HTML reference generated from the OpenAPI document', tag: 'operations', success: { status: 200, description: 'A self-contained HTML page (no scripts, no external resources)' }, errors: [] }),
};
