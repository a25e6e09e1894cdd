// The OpenAPI description (/openapi.json) and the HTML reference (/docs) against the app as actually mounted:
// every Express route is described, nothing described is missing from the app, and the schemas are the zod
// schemas that validate requests. No database or Temporal: serving the description must not need them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { z } from 'zod';
import pkg from '../../package.json';
import { createApp } from '../../api/app';
import { actionRoles } from '../../api/authz';
import type { ApiDeps } from '../../api/deps';
import { buildOpenApiDocument, errorBodySchema, forbidHostileStrings, type OpenApiDocument, type OpenApiOperation } from '../../api/openapi';
import { routeSpecs } from '../../api/routeSpec';
import { openCaseBody } from '../../api/routes/cases';
import { processes } from '../../processes';
import { createLogger } from '../../lib/logger';

/** A stand-in that records every property read, so the test can show the app never used it. */
const touched: string[] = [];
function recorder(name: string): any {
  return new Proxy({}, {
    get(_target, prop) {
      touched.push(`${name}.${String(prop)}`);
      return undefined;
    },
  });
}

let app: Express;
let server: http.Server;
let base: string;
let touchedByConstruction: string[];

beforeAll(async () => {
  const deps: ApiDeps = {
    db: recorder('db'),
    logger: createLogger('openapi-test', 'silent'),
    temporal: recorder('temporal'),
    ports: recorder('ports'),
    currentPolicy: () => {
      touched.push('currentPolicy()');
      throw new Error('currentPolicy must not be called');
    },
  };
  app = createApp(deps);
  touchedByConstruction = [...touched];
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
});

async function getDocument(): Promise<OpenApiDocument> {
  const res = await fetch(`${base}/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApiDocument;
}

const METHODS = ['get', 'post', 'delete', 'put', 'patch', 'head', 'options'] as const;

function operations(doc: OpenApiDocument): Array<{ method: string; path: string; op: OpenApiOperation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, OpenApiOperation>)
      .filter(([method]) => (METHODS as readonly string[]).includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

/** Every route mounted in the app, read from the Express 5 router (app.router), nested routers included. */
function mountedRoutes(expressApp: Express): Array<{ method: string; path: string }> {
  const join = (prefix: string, path: string) => `${prefix.replace(/\/$/, '')}${path}` || '/';
  const out: Array<{ method: string; path: string }> = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const p of [layer.route.path].flat()) {
          if (typeof p !== 'string') throw new Error(`route with a non-string path: ${String(p)}`);
          for (const [method, on] of Object.entries(layer.route.methods as Record<string, boolean>)) {
            if (on) out.push({ method, path: join(prefix, p) });
          }
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        // router 2.x (Express 5) keeps the path given to use() as rawPath
        for (const mountPath of [layer.rawPath].flat()) {
          if (typeof mountPath !== 'string') throw new Error(`router mounted at a non-string path: ${String(mountPath)}`);
          walk(layer.handle.stack, join(prefix, mountPath));
        }
      }
    }
  };
  const router = (expressApp as any).router;
  expect(Array.isArray(router?.stack)).toBe(true);
  walk(router.stack, '');
  return out;
}

const toOpenApi = (expressPath: string) => expressPath.replace(/:([A-Za-z_$][A-Za-z0-9_$]*)/g, '{$1}');
const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

test('GET /openapi.json answers an OpenAPI 3.1.0 document, the same bytes on every request', async () => {
  const first = await fetch(`${base}/openapi.json`);
  expect(first.status).toBe(200);
  expect(first.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await first.text();
  const doc = JSON.parse(text) as OpenApiDocument;
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.info.title).toBe('Rights casework API');
  expect(doc.info.version).toBe(pkg.version);
  expect(doc.info.description).toMatch(/policy/);
  expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  // JSON Schema inside OpenAPI 3.1 is the document's dialect: no per-schema $schema left over from zod
  expect(text).not.toContain('"$schema"');

  const second = await fetch(`${base}/openapi.json`);
  expect(await second.text()).toBe(text);
});

test('every route mounted in the app is in the document, and every operation in the document is mounted', async () => {
  const doc = await getDocument();
  const mounted = mountedRoutes(app).map((r) => key(r.method, toOpenApi(r.path)));
  // the walk really reached the nested routers, not just the app's own layers
  expect(mounted).toEqual(expect.arrayContaining(['GET /healthz', 'GET /readyz', 'GET /openapi.json', 'GET /docs', 'POST /v1/cases', 'POST /v1/cases/{caseId}/actions/shipment', 'GET /v1/reports/repairs/sla', 'GET /v1/tasks', 'DELETE /v1/principals/{principalId}']));
  expect(new Set(mounted).size).toBe(mounted.length);

  const described = operations(doc).map((o) => key(o.method, o.path));
  expect([...described].sort()).toEqual([...mounted].sort());

  // and each declared route is described under its own id
  expect(operations(doc).map((o) => o.op.operationId).sort()).toEqual(routeSpecs.map((r) => r.id).sort());
});

test('the converted health route still answers', async () => {
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});

test('path templates and path parameters agree', async () => {
  const doc = await getDocument();
  for (const { path, op } of operations(doc)) {
    const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
    expect({ op: op.operationId, params: declared.map((p) => p.name) }).toEqual({ op: op.operationId, params: inTemplate });
    for (const p of declared) expect(p.required).toBe(true);
  }
});

test('authenticated operations declare bearer auth, the allowed roles, and 401/403 with the Error body; public ones do not', async () => {
  const doc = await getDocument();
  const errorRef = '#/components/schemas/Error';
  let secured = 0;
  for (const { path, op } of operations(doc)) {
    const isSecured = (op.security?.length ?? 0) > 0;
    // Signed webhooks are authenticated by their signature, not by an API key (api/routes/webhooks.ts).
    const signed = path.startsWith('/v1/webhooks/');
    // authenticate() guards everything under /v1 but the webhooks, and nothing else
    expect({ op: op.operationId, secured: isSecured }).toEqual({ op: op.operationId, secured: path.startsWith('/v1/') && !signed });
    if (isSecured) {
      secured++;
      expect(op.security).toEqual([{ bearerAuth: [] }]);
      expect(op.responses['401']?.content?.['application/json'].schema).toEqual({ $ref: errorRef });
      expect(op.responses['403']?.content?.['application/json'].schema).toEqual({ $ref: errorRef });
      const action = op['x-required-action'] as string;
      expect(Object.keys(actionRoles())).toContain(action);
      expect(op['x-allowed-roles']).toEqual([...actionRoles()[action]]);
      for (const role of actionRoles()[action]) expect(op.description).toContain(role);
    } else if (signed) {
      expect(op['x-required-action']).toBeUndefined();
      expect(op.responses['401']?.content?.['application/json'].schema).toEqual({ $ref: errorRef });
      expect(op.description).toMatch(/signed with the source's HMAC-SHA256 key/);
    } else {
      expect(op['x-required-action']).toBeUndefined();
      expect(op.responses['401']).toBeUndefined();
      expect(op.description).toMatch(/no authentication/i);
    }
    for (const [status, r] of Object.entries(op.responses)) {
      if (Number(status) >= 400 && !(op.operationId === 'getReadiness' && status === '503')) expect({ op: op.operationId, status, schema: r.content?.['application/json'].schema }).toEqual({ op: op.operationId, status, schema: { $ref: errorRef } });
    }
  }
  expect(secured).toBeGreaterThan(10);
});

test('the documented Error schema is what the API answers', async () => {
  const doc = await getDocument();
  expect(doc.components.schemas.Error).toMatchObject({ type: 'object', required: ['error'] });
  expect(doc.components.schemas.Error).toEqual((({ $schema: _d, ...s }) => s)(z.toJSONSchema(errorBodySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>));

  const res = await fetch(`${base}/v1/tasks`); // no API key: answered by authenticate() before any database read
  expect(res.status).toBe(401);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(errorBodySchema.safeParse(body).success).toBe(true);
  expect(body.error).toMatchObject({ code: 'UNAUTHENTICATED', requestId: res.headers.get('x-request-id') });
});

test('openCase: the body is a oneOf with one variant per process, told apart by `type`, each the zod schema that validates it', async () => {
  const doc = await getDocument();
  const op = doc.paths['/v1/cases']?.post;
  expect(op?.operationId).toBe('openCase');
  expect(op!.requestBody?.required).toBe(true);
  const schema = op!.requestBody!.content['application/json'].schema as { oneOf: { properties: Record<string, any>; required: string[]; additionalProperties: boolean }[] };
  expect(schema.oneOf).toHaveLength(processes.length);
  expect(schema.oneOf.map((v) => v.properties.type.const)).toEqual(processes.map((p) => p.caseType));
  const { $schema: _dialect, ...fromZod } = forbidHostileStrings(z.toJSONSchema(openCaseBody(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
  expect(schema).toEqual(fromZod);
  const ret = schema.oneOf.find((v) => v.properties.type.const === 'return')!;
  expect(ret.required).toEqual(expect.arrayContaining(['type', 'order', 'requestType', 'reasonCode']));
  expect(ret.required).not.toContain('customerContact');
  expect(ret.additionalProperties).toBe(false);
  expect(ret.properties.order.required).toEqual(expect.arrayContaining(['orderId', 'amount', 'currency']));
  // 电子商务法 art. 20: goods not received may be refunded before any delivery, so deliveredAt is optional.
  expect(ret.properties.order.properties.deliveredAt).toBeDefined();

  const header = op!.parameters?.find((p) => p.name === 'Idempotency-Key');
  expect(header).toMatchObject({ in: 'header', required: true, schema: { type: 'string' } });
  expect(header!.schema).toMatchObject({ pattern: '^[\\w.:-]{8,128}$' });
  expect(Object.keys(op!.responses).sort()).toEqual(['200', '201', '400', '401', '403', '409', '413', '422', '429']);
  // the replay: 200 with Idempotent-Replayed and Location, the same case body as the 201
  expect(op!.responses['201'].headers).toHaveProperty('Location');
  expect(op!.responses['200'].headers).toMatchObject({ Location: { $ref: '#/components/headers/Location' }, 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } });
  expect(op!.responses['200'].content).toEqual(op!.responses['201'].content);
});

test("the repair on the case resource documents its repair count and the other repairers' records (三包 art. 11); the opening takes them", async () => {
  const doc = await getDocument();
  const repair = (doc.components.schemas as Record<string, any>).Repair;
  expect(repair.required).toEqual(expect.arrayContaining(['repairCount', 'externalRecords']));
  expect(repair.properties.repairCount.anyOf.find((v: any) => v.type === 'object')).toMatchObject({ required: ['platform', 'external', 'confirmedExternal', 'total'], additionalProperties: false });
  expect(repair.properties.externalRecords.items.properties.status).toMatchObject({ enum: ['pending', 'confirmed', 'rejected'] });
  const open = (doc.paths['/v1/cases']!.post!.requestBody!.content['application/json'].schema as { oneOf: any[] }).oneOf.find((v) => v.properties.type.const === 'warranty_repair');
  expect(open.required).not.toContain('externalRepairs');
  expect(open.properties.externalRepairs).toMatchObject({ type: 'array', maxItems: 4, items: { required: ['repairer', 'repairedOn', 'evidenceIds'], additionalProperties: false } });
});

test('each party action is its own operation, with its body, declared by the process that has it', async () => {
  const doc = await getDocument();
  const names = [...new Set(processes.flatMap((p) => Object.keys(p.actions)))];
  expect(names.length).toBe(processes.reduce((n, p) => n + Object.keys(p.actions).length, 0));
  for (const p of processes) {
    for (const [name, action] of Object.entries(p.actions) as [string, { body: z.ZodType; roles: readonly string[] }][]) {
      const op = doc.paths[`/v1/cases/{caseId}/actions/${name}`]?.post;
      expect(op?.operationId).toBe(`caseAction_${name.replace(/-/g, '_')}`);
      const { $schema: _d, ...fromZod } = forbidHostileStrings(z.toJSONSchema(action.body, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
      expect(op!.requestBody!.content['application/json'].schema).toEqual(fromZod);
      expect(op!['x-allowed-roles']).toEqual([...action.roles]);
    }
  }
});

test('query schemas become query parameters with their required flags', async () => {
  const doc = await getDocument();
  const list = doc.paths['/v1/tasks']?.get;
  const byName = Object.fromEntries((list?.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
  expect(Object.keys(byName)).toEqual(expect.arrayContaining(['role', 'status', 'assignee', 'dueBefore', 'limit', 'cursor']));
  expect(byName.limit).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } });
  expect(byName.assignee.description).toBe("a principal id, 'me', or 'none'");
  expect(byName.assignee.schema).not.toHaveProperty('description');
  expect(byName.role.schema.enum).toContain('supervisor');

  const getCase = doc.paths['/v1/cases/{caseId}']?.get;
  expect(getCase?.parameters?.find((p) => p.name === 'live')).toMatchObject({ in: 'query', required: false, schema: { enum: ['true', 'false'] } });
});

test('GET /docs is Swagger UI served from this origin: the page, its assets and its initializer, nothing from elsewhere', async () => {
  const res = await fetch(`${base}/docs`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const csp = res.headers.get('content-security-policy')!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  const html = await res.text();
  expect(html).toMatch(/^<!doctype html>/i);
  // every script, stylesheet and image is a path on this origin, and each one answers
  const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
  expect(refs).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/docs/assets/init.js']));
  expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script
  for (const ref of refs) {
    expect(ref).toMatch(/^\/(?!\/)/);
    const asset = await fetch(`${base}${ref}`);
    expect({ ref, status: asset.status }).toEqual({ ref, status: 200 });
    expect(asset.headers.get('content-type')).toMatch(ref.endsWith('.js') ? /javascript/ : ref.endsWith('.css') ? /text\/css/ : /image\/png/);
    await asset.arrayBuffer();
  }
  const init = await (await fetch(`${base}/docs/assets/init.js`)).text();
  expect(init).toContain("url: '/openapi.json'");
  expect(init).toContain('validatorUrl: null');
  expect((await fetch(`${base}/docs/assets/index.html`)).status).toBe(404);
  expect((await fetch(`${base}/docs/assets/..%2fpackage.json`)).status).toBe(404);
});

test('the document names this server, and public operations say they need no security', async () => {
  const doc = (await getDocument()) as OpenApiDocument & { servers: unknown };
  expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
  for (const { path, op } of operations(doc)) if (!path.startsWith('/v1/')) expect({ op: op.operationId, security: op.security }).toEqual({ op: op.operationId, security: [] });
});

test('every success answer has a schema (JSON) or a content type (text), from the route declarations', async () => {
  const doc = await getDocument();
  for (const { op } of operations(doc)) {
    for (const [status, r] of Object.entries(op.responses)) {
      if (Number(status) >= 300) continue;
      const content = Object.entries(r.content ?? {});
      expect({ op: op.operationId, status, has: content.length === 1 && !!content[0][1].schema }).toEqual({ op: op.operationId, status, has: true });
    }
  }
  // the completion payload: one branch per task type (or group of task types sharing a schema), from the catalogue
  const complete = doc.paths['/v1/tasks/{taskId}/complete']!.post!;
  const payload = (complete.requestBody!.content['application/json'].schema as any).properties.payload;
  const titled = (payload.anyOf as { title: string }[]).flatMap((b) => b.title.split(', '));
  expect(titled.sort()).toEqual(processes.flatMap((p) => Object.keys(p.tasks)).sort());
  // claim and release take no body
  expect(doc.paths['/v1/tasks/{taskId}/claim']!.post!.requestBody!.required).toBe(false);
  expect(doc.paths['/v1/tasks/{taskId}/release']!.post!.requestBody!.required).toBe(false);
  expect(doc.paths['/v1/cases/{caseId}/cancel']!.post!.requestBody!.required).toBe(true);
});

test('a method a known path does not declare answers 405 with Allow; an unknown path 404', async () => {
  // fetch refuses TRACE: a plain http request
  const raw = (method: string, path: string) =>
    new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, allow: res.headers.allow, body }));
      });
      req.on('error', reject);
      req.end();
    });
  for (const method of ['TRACE', 'PATCH', 'PUT', 'DELETE', 'POST']) {
    const res = await raw(method, '/healthz');
    expect({ method, status: res.status, allow: res.allow }).toEqual({ method, status: 405, allow: 'GET, HEAD, OPTIONS' });
    expect(errorBodySchema.safeParse(JSON.parse(res.body)).success).toBe(true);
  }
  const put = await fetch(`${base}/v1/cases/RET-1`, { method: 'PUT' });
  expect(put.status).toBe(405);
  expect(put.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  const body = (await put.json()) as { error: { code: string; details: { allow: string[] } } };
  expect(body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', details: { allow: ['GET', 'HEAD', 'OPTIONS'] } });
  const unknown = await fetch(`${base}/nothing-here`, { method: 'PATCH' });
  expect(unknown.status).toBe(404);
  const options = await fetch(`${base}/v1/principals`, { method: 'OPTIONS' });
  expect(options.status).toBe(204);
  expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
});

test('Redocly lint with the recommended rules finds nothing in the served document (offline)', async () => {
  const text = await (await fetch(`${base}/openapi.json`)).text();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-lint-'));
  const file = path.join(dir, 'openapi.json');
  fs.writeFileSync(file, text);
  // @redocly/openapi-core is ESM-only: its lint API runs in a child process (scripts/openapi/lint.mjs)
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'openapi', 'lint.mjs'), file], { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
  fs.rmSync(dir, { recursive: true, force: true });
  const problems = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { severity: string; ruleId: string; message: string });
  expect({ status: r.status, stderr: r.stderr, problems }).toEqual({ status: 0, stderr: '', problems: [] });
});

test('building the app and serving its description never touched the database, Temporal or the policy', () => {
  expect(touchedByConstruction).toEqual([]);
  expect(touched).toEqual([]);
});
