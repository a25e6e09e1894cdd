// The OpenAPI 3.1 description of the API, generated from the route declarations (api/routeSpec.ts):
// the zod schemas that validate requests become the JSON Schemas (2020-12, the dialect of OpenAPI 3.1)
// of the parameters and request bodies, and the authorization actions become the security
// requirements and the list of roles allowed. Served at /openapi.json and rendered at /docs (api/docs.ts).
import { z } from 'zod';
import pkg from '../package.json';
import { actionRoles } from './authz';
import { processes } from '../processes';
import { routeSpecs, type ResponseSpec, type RouteSpec } from './routeSpec';
import { issueSchema } from './schemas';
// Imported for their side effect: each module registers its routes with defineRoute.
import './routes/cases';
import './routes/tasks';
import './routes/principals';
import './routes/merchants';
import './routes/operations';
import './routes/webhooks';
import './routes/mailIntake';
import './routes/dataExports';
import './routes/personalData';
import './metrics';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema?: JsonSchema }>;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
  security?: Array<Record<string, string[]>>;
  'x-required-action'?: string;
  'x-allowed-roles'?: string[];
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier?: string; url?: string } };
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description?: string }>;
  paths: Record<string, Partial<Record<RouteSpec['method'], OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    headers: Record<string, { description: string; schema: JsonSchema }>;
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
  };
}

/** The body of every error answer (api/errors.ts, errorHandler). */
export const errorBodySchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('Machine-readable code, such as VALIDATION_FAILED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, TASK_NOT_OPEN'),
        message: z.string().describe('Human-readable explanation'),
        details: z
          .union([
            z.array(issueSchema).describe('VALIDATION_FAILED, INVALID_PAYLOAD, INVALID_CHARACTERS, MALFORMED_PATH: one entry per issue'),
            z.record(z.string(), z.unknown()).describe('Other codes: facts of the refusal, e.g. { "caseId" } for IDEMPOTENCY_KEY_REUSED, { "attemptsLeft" } for CODE_INVALID, { "retryAfterSeconds" } for a 429, { "allow" } for a 405'),
          ])
          .optional()
          .describe('Present for some codes: the list of issues of a refused request, or the facts of a refusal'),
        requestId: z.string().describe('The id of the request, also sent as the X-Request-Id header'),
      })
      .strict(),
  })
  .strict();

const tagDescriptions: Record<string, string> = {
  cases: 'Cases of every process: open (POST /v1/cases with its `type`), list, read, cancel, and the parties\' actions',
  audit: 'The hash-chained audit timeline of a case, its verification, and the signed dossier of a case',
  attachments: 'Evidence files of a case: uploaded as multipart, typed by their bytes, stored once per case by SHA-256',
  threads: "A case's messages between the customer (through the storefront), the merchant and staff; the other parties are told by e-mail",
  'inbound-mail': 'Replies by e-mail to case notices that could not be trusted, held for an agent to release into a case thread or discard',
  tasks: 'The task inbox: list, read, claim, release, assign, note, complete',
  reports: "Each process's reports (GET /v1/reports/<name>, declared in its module): figures over the read model, for staff",
  principals: 'Principals and their API keys (admin only)',
  parties: "Parties' contacts for notifications: a merchant's e-mail, display name and locale (admin, or the merchant itself)",
  operations: 'Liveness, readiness, metrics and this API description; no authentication',
};
const tagOrder = ['cases', 'attachments', 'threads', 'inbound-mail', 'audit', 'tasks', 'reports', 'principals', 'parties', 'webhooks', 'operations'];

const errorDescriptions: Record<number, string> = {
  400: 'The request is not valid (VALIDATION_FAILED, MALFORMED_JSON, IDEMPOTENCY_KEY_REQUIRED, INVALID_PAYLOAD, INVALID_CHARACTERS for a NUL character or a lone UTF-16 surrogate in any parameter, header or body string, MALFORMED_PATH, ...); details lists the issues',
  401: 'No API key, or an unknown or revoked one (UNAUTHENTICATED); for a webhook, a missing or bad signature or a stale timestamp (SIGNATURE_MISSING, SIGNATURE_INVALID, TIMESTAMP_STALE)',
  403: 'The principal\'s role may not take this action (FORBIDDEN)',
  404: 'Not found, or not visible to this principal (NOT_FOUND)',
  409: 'Conflicts with the current state (e.g. IDEMPOTENCY_KEY_REUSED, TASK_NOT_OPEN, TASK_CLAIMED_BY_OTHER, CASE_NOT_RUNNING, NOT_ALLOWED_AT_THIS_STEP; NONCE_REPLAYED for a webhook)',
  413: 'The request body or the uploaded file is too large (PAYLOAD_TOO_LARGE, FILE_TOO_LARGE)',
  415: 'The uploaded file is of a type not accepted, as its bytes show (UNSUPPORTED_FILE_TYPE)',
  410: 'Expired (e.g. CODE_EXPIRED, LINK_EXPIRED)',
  422: 'Refused by the policy; the code names the rule (e.g. POLICY_REFUSED)',
  423: 'Locked for a while after too many attempts (STEP_LOCKED); Retry-After says how long',
  429: 'Too many requests for this API key (RATE_LIMITED), or from this address without a valid key (AUTH_RATE_LIMITED, checked before authentication); retry after the Retry-After header\'s seconds',
  500: 'Internal error (INTERNAL)',
  503: 'A dependency is unavailable, or the case could not take the request now (CASE_BUSY): nothing changed, send it again',
};

const schemaParams = { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' } as const;
/** Answers are described as the handlers produce them (zod's output side). */
const outputParams = { ...schemaParams, io: 'output' } as const;

/** JSON-Schema keywords whose values are data, not schemas: $ref strings inside them are left alone. */
const dataKeywords = new Set(['const', 'default', 'enum', 'examples', 'example']);

function rewriteRefs(node: unknown, rewrite: (ref: string) => string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, rewrite));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out[k] = rewrite(v);
    else if (dataKeywords.has(k)) out[k] = v;
    else out[k] = rewriteRefs(v, rewrite);
  }
  return out;
}

function hasRef(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasRef);
  if (!node || typeof node !== 'object') return false;
  return Object.entries(node).some(([k, v]) => (k === '$ref' && typeof v === 'string') || (!dataKeywords.has(k) && hasRef(v)));
}

/**
 * What the edge refuses in every string (api/inputGuard.ts), said in the document: a free-text string of a request
 * (no pattern, enum, const or format of its own) gets this pattern. It names the NUL character only: a pattern with
 * the lone-surrogate range (^[^\\u0000\\ud800-\\udfff]*$, exact under the 'u' flag) is one that generators such as
 * Schemathesis's cannot use and drop, and no JSON encoder of well-formed text produces a lone surrogate. The
 * document's description and every 400 say both.
 */
export const NO_NUL_OR_LONE_SURROGATE = '^[^\\u0000]*$';

/** Adds NO_NUL_OR_LONE_SURROGATE to every free-text string of a request schema. */
export function forbidHostileStrings<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n) => forbidHostileStrings(n)) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = dataKeywords.has(k) ? v : forbidHostileStrings(v);
  const types = [out.type].flat();
  if (types.includes('string') && out.pattern === undefined && out.enum === undefined && out.const === undefined && out.format === undefined) out.pattern = NO_NUL_OR_LONE_SURROGATE;
  return out as T;
}

const componentName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Converts a zod schema to a JSON Schema for use inside the document. A schema without references is
 * returned inline; one with references (recursion, or schemas registered with an id) is moved to
 * components.schemas under `name`, its $defs next to it, and the references rewritten to point there:
 * a "#..." reference inside an OpenAPI document would otherwise resolve against the document root.
 */
function toSchema(schema: z.ZodType, name: string, components: OpenApiDocument['components'], io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...raw } = z.toJSONSchema(schema, io === 'input' ? schemaParams : outputParams) as JsonSchema;
  const converted = io === 'input' ? forbidHostileStrings(raw) : raw;
  if (!hasRef(converted)) return converted;
  const base = componentName(name);
  const { $defs, ...root } = converted as JsonSchema & { $defs?: Record<string, JsonSchema> };
  // A schema registered with an id (.meta({ id })) is one shared component under that id; other $defs (recursion)
  // belong to this schema and are named after it.
  const defName = (d: string) => (/^__schema\d+$/.test(d) ? `${base}_${componentName(d)}` : componentName(d));
  const rewrite = (ref: string) => {
    if (ref === '#') return `#/components/schemas/${base}`;
    const m = /^#\/\$defs\/(.+)$/.exec(ref);
    if (m) return `#/components/schemas/${defName(decodeURIComponent(m[1]))}`;
    throw new Error(`OpenAPI: unsupported reference ${ref} in the schema of ${name}`);
  };
  for (const [d, def] of Object.entries($defs ?? {})) {
    components.schemas[defName(d)] = rewriteRefs(def, rewrite) as JsonSchema;
  }
  if (Object.keys(root).length === 1 && typeof root.$ref === 'string') return { $ref: rewrite(root.$ref) }; // the schema itself is a shared component
  components.schemas[base] = rewriteRefs(root, rewrite) as JsonSchema;
  return { $ref: `#/components/schemas/${base}` };
}

/** Express-style /v1/cases/:caseId → OpenAPI /v1/cases/{caseId}, and the names of the path parameters. */
export function toOpenApiPath(expressPath: string): { path: string; params: string[] } {
  if (/[*?(){}]/.test(expressPath)) throw new Error(`OpenAPI: path ${expressPath} uses syntax this generator does not translate`);
  const params: string[] = [];
  const path = expressPath.replace(/:([A-Za-z_$][A-Za-z0-9_$]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

function queryParameters(spec: RouteSpec): OpenApiParameter[] {
  if (!spec.query) return [];
  const { $schema: _dialect, ...s } = forbidHostileStrings(z.toJSONSchema(spec.query, schemaParams) as JsonSchema);
  const properties = s.properties as Record<string, JsonSchema> | undefined;
  if (s.type !== 'object' || !properties || hasRef(s)) throw new Error(`OpenAPI: the query schema of ${spec.id} must be a flat z.object`);
  const required = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, prop]) => {
    const { description, ...schema } = prop;
    return { name, in: 'query' as const, required: required.has(name), ...(typeof description === 'string' && { description }), schema };
  });
}

function jsonResponse(description: string, schema?: JsonSchema): OpenApiResponse {
  return {
    description,
    headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } },
    ...(schema && { content: { 'application/json': { schema } } }),
  };
}

function successResponse(spec: RouteSpec, r: ResponseSpec, components: OpenApiDocument['components']): OpenApiResponse {
  const out: OpenApiResponse = { description: r.description, headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } } };
  for (const h of r.headers ?? []) {
    if (!components.headers[h]) throw new Error(`OpenAPI: ${spec.id} names an unknown response header ${h}`);
    out.headers![h === 'IdempotentReplayed' ? 'Idempotent-Replayed' : h] = { $ref: `#/components/headers/${h}` };
  }
  const type = r.contentType ?? 'application/json';
  if (r.schema) out.content = { [type]: { schema: toSchema(r.schema, `${spec.id}${r.status}Response`, components, 'output') } };
  else if (r.contentType) out.content = { [type]: { schema: { type: 'string' } } };
  else throw new Error(`OpenAPI: the ${r.status} answer of ${spec.id} has no schema`);
  return out;
}

function operationFor(spec: RouteSpec, pathParams: string[], components: OpenApiDocument['components']): OpenApiOperation {
  const roles = spec.action ? [...(actionRoles()[spec.action] ?? [])] : undefined;
  const parameters: OpenApiParameter[] = [
    ...pathParams.map((name) => ({ name, in: 'path' as const, required: true, schema: { type: 'string', pattern: NO_NUL_OR_LONE_SURROGATE } })),
    ...queryParameters(spec),
    ...Object.entries(spec.headers ?? {}).map(([name, h]) => ({
      name,
      in: 'header' as const,
      required: h.required,
      description: h.description,
      schema: h.schema ? (({ $schema: _d, ...js }) => js)(z.toJSONSchema(h.schema, schemaParams) as JsonSchema) : { type: 'string', pattern: NO_NUL_OR_LONE_SURROGATE },
    })),
  ];

  const errorRef = { $ref: '#/components/schemas/Error' };
  const responses: Record<string, OpenApiResponse> = {};
  for (const r of [spec.success, ...(spec.otherResponses ?? [])]) responses[String(r.status)] = successResponse(spec, r, components);
  // Every route refuses a NUL character or a lone surrogate in its parameters, headers and body (api/inputGuard.ts).
  const errorStatuses = new Set([400, ...spec.errors]);
  if (spec.body || spec.upload) errorStatuses.add(413); // express.json's limit (api/app.ts), an upload's
  if (spec.action) {
    // Authenticated routes live under /v1, behind authenticate() and the per-key rate limit (api/app.ts).
    errorStatuses.add(401);
    errorStatuses.add(403);
    errorStatuses.add(429);
  }
  for (const status of [...errorStatuses].sort((a, b) => a - b)) {
    if (responses[String(status)]) continue; // documented with its own body (e.g. the 503 of /readyz)
    const r = jsonResponse(errorDescriptions[status] ?? `Error ${status}`, errorRef);
    if (status === 429) r.headers!['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
    responses[String(status)] = r;
  }

  const access = spec.action
    ? `Allowed roles: ${roles!.join(', ')} (action \`${spec.action}\`; send \`Authorization: Bearer <key>\`).`
    : (spec.access ?? 'Public: no authentication.');
  const notes = [access];
  if (spec.query && (z.toJSONSchema(spec.query, schemaParams) as JsonSchema).additionalProperties === false) {
    notes.push('Unknown query parameters are rejected (400).');
  }

  return {
    operationId: spec.id,
    summary: spec.summary,
    description: notes.join('\n\n'),
    tags: [spec.tag],
    ...(parameters.length > 0 && { parameters }),
    ...(spec.body && { requestBody: requestBody(spec, spec.body, components) }),
    ...(spec.upload && {
      requestBody: {
        required: true,
        description: spec.upload.description,
        content: { 'multipart/form-data': { schema: { type: 'object', properties: { [spec.upload.field]: { type: 'string', format: 'binary' } }, required: [spec.upload.field] } } },
      },
    }),
    responses,
    ...(spec.action ? { security: [{ bearerAuth: [] }], 'x-required-action': spec.action, 'x-allowed-roles': roles } : { security: [] }),
  };
}

/** The body is required unless the handler accepts none (its schema accepts an empty object: claim, release, ...). */
function requestBody(spec: RouteSpec, body: z.ZodType, components: OpenApiDocument['components']): NonNullable<OpenApiOperation['requestBody']> {
  const optional = body.safeParse({}).success;
  return {
    required: !optional,
    ...(optional && { description: 'Optional: no body is the same as {}' }),
    content: { 'application/json': { schema: toSchema(body, `${spec.id}Request`, components) } },
  };
}

/** Builds the OpenAPI 3.1.0 document from every declared route. */
export function buildOpenApiDocument(): OpenApiDocument {
  const components: OpenApiDocument['components'] = {
    schemas: { Error: (({ $schema: _d, ...s }) => s)(z.toJSONSchema(errorBodySchema, schemaParams) as JsonSchema) },
    headers: {
      RequestId: { description: 'The id of the request (echoes a valid X-Request-Id request header, otherwise generated); logged with every line about the request', schema: { type: 'string' } },
      RetryAfter: { description: 'Whole seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
      Location: { description: 'The URL path of the resource the answer is about (e.g. /v1/cases/{caseId})', schema: { type: 'string' } },
      IdempotentReplayed: { description: '"true" when the answer replays an earlier request with the same Idempotency-Key and body: nothing new was created', schema: { type: 'string', enum: ['true'] } },
    },
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key, created per principal with POST /v1/principals or `npm run principals`' } },
  };

  const paths: OpenApiDocument['paths'] = {};
  const seenIds = new Set<string>();
  for (const spec of routeSpecs) {
    if (seenIds.has(spec.id)) throw new Error(`OpenAPI: operationId ${spec.id} used twice`);
    seenIds.add(spec.id);
    const { path, params } = toOpenApiPath(spec.path);
    const item = (paths[path] ??= {});
    if (item[spec.method]) throw new Error(`OpenAPI: ${spec.method.toUpperCase()} ${path} declared twice`);
    item[spec.method] = operationFor(spec, params, components);
  }

  const used = [...new Set(routeSpecs.map((r) => r.tag))];
  const rank = (t: string) => (tagOrder.includes(t) ? tagOrder.indexOf(t) : tagOrder.length + used.indexOf(t));
  const describe = (name: string) => tagDescriptions[name] ?? routeSpecs.find((r) => r.tag === name && r.tagDescription)?.tagDescription;
  const tags = used.sort((a, b) => rank(a) - rank(b)).map((name) => ({ name, ...(describe(name) && { description: describe(name) }) }));

  return {
    openapi: '3.1.0',
    // Relative: the document describes the server that serves it (try-it-out at /docs calls the same origin).
    servers: [{ url: '/', description: 'The server that serves this document' }],
    info: {
      title: 'Rights casework API',
      version: pkg.version,
      license: { name: 'Proprietary (UNLICENSED)', url: '/docs' },
      description: [
        'The HTTP API of the case-management engine for the e-commerce user-rights protection policy, built on Temporal. ' +
          'It opens cases such as the 7-day no-reason return, exchange or refund (policy 7.1, 7.3, 8.2), lets staff and merchants work the tasks the policy assigns them within its deadlines, and lets auditors read and verify hash-chained case timelines.',
        'Calls under /v1 need `Authorization: Bearer <key>`; each operation names the roles allowed to call it (x-allowed-roles) and the action checked (x-required-action). ' +
          'Errors answer `{ "error": { "code", "message", "details"?, "requestId" } }`; every response carries an X-Request-Id header. ' +
          'A NUL character or a lone UTF-16 surrogate in any path or query parameter, header or JSON body string is refused with 400 INVALID_CHARACTERS. ' +
          'A method a path does not declare answers 405 METHOD_NOT_ALLOWED with an Allow header; an unknown path 404.',
      ].join('\n\n'),
    },
    tags,
    paths,
    components,
  };
}

let cached: OpenApiDocument | undefined;

/** The document, built once (route declarations do not change after the modules load). */
export function openApiDocument(): OpenApiDocument {
  return (cached ??= buildOpenApiDocument());
}
