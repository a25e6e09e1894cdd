// Operational routes that need no authentication: liveness, readiness and the API description.
// Declared here (not in app.ts) so that api/openapi.ts can list them without importing the app.
// The handlers are mounted in api/app.ts.
import { z } from 'zod';
import { defineRoute } from '../routeSpec';
import { healthSchema, readinessSchema } from '../schemas';

export const operationRoutes = {
  health: defineRoute({ id: 'getHealth', method: 'get', path: '/healthz', action: null, summary: 'Liveness: the process is up and answering', tag: 'operations', success: { status: 200, description: 'The process is up', schema: healthSchema }, errors: [] }),
  readiness: defineRoute({
    id: 'getReadiness',
    method: 'get',
    path: '/readyz',
    action: null,
    summary: 'Readiness: PostgreSQL and Temporal are reachable; degraded while the official holiday data ends within 60 days',
    tag: 'operations',
    // The 503 answer is not the shared Error body but the same { status, checks } shape, so it is described here.
    success: { status: 200, description: 'Ready: { "status": "ready", "checks": { "database": "ok", "temporal": "ok", "calendar": "ok" } }; status "degraded" (still 200) while the official holiday data ends within 60 days', schema: readinessSchema },
    otherResponses: [{ status: 503, description: 'Not ready: status "not ready" and the failing checks (the same body, not the Error body)', schema: readinessSchema }],
    errors: [],
  }),
  openapi: defineRoute({ id: 'getOpenApiDocument', method: 'get', path: '/openapi.json', action: null, summary: 'This API described as OpenAPI 3.1, generated from the zod schemas that validate requests', tag: 'operations', success: { status: 200, description: 'The OpenAPI 3.1.0 document', schema: z.looseObject({ openapi: z.string(), info: z.record(z.string(), z.unknown()), paths: z.record(z.string(), z.unknown()) }).describe('An OpenAPI 3.1 document') }, errors: [] }),
  docs: defineRoute({ id: 'getApiReference', method: 'get', path: '/docs', action: null, summary: 'The interactive API reference (Swagger UI) rendered from /openapi.json, served from this origin', tag: 'operations', success: { status: 200, description: 'An HTML page; its scripts and styles load from /docs/assets on this origin only', contentType: 'text/html' }, errors: [] }),
};
