// Hostile strings at the edge (api/inputGuard.ts): every operation of the API description, with a NUL character in
// each path parameter and each query parameter, and a NUL or a lone surrogate in each string field of its body,
// answers 400 INVALID_CHARACTERS naming the field, and nothing in the database changes. Against the real system.
import net from 'node:net';
import { createPrincipal } from '../../lib/principals';
import type { Role } from '../../policy/roles';
import { catalogueRoles } from '../../processes';
import { routeSpecs } from '../../api/routeSpec';
import '../../api/openapi';
import { call, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let doc: any;
/** Keys of every role of the catalogue (a process's own roles too), created for this test: a request goes with a role allowed to make it, so only the guard stops it. */
const keys: Record<string, string[]> = {};
const ours: string[] = [];
const calls: Record<string, number> = {};
/** A fresh key every 40 requests: the per-key rate limit (burst 60) must not answer first. */
const keyOf = (role: Role) => {
  const n = (calls[role] = (calls[role] ?? 0) + 1);
  return keys[role][Math.floor(n / 40) % keys[role].length];
};

beforeAll(async () => {
  sys = await startTestSystem();
  for (const role of catalogueRoles()) {
    keys[role] = [];
    for (let i = 0; i < 16; i++) {
      const p = await createPrincipal(sys.db, { name: `hostile-${role}-${i}`, role, ...(role === 'merchant' && { merchantId: 'x1' }) });
      keys[role].push(p.apiKey);
      ours.push(p.id);
    }
  }
  doc = (await call(sys, 'GET', '/openapi.json')).body;
});
afterAll(async () => {
  await sys?.stop();
});

/**
 * What this test's principals could have written (other test files share the database, so whole-table counts move):
 * cases they opened, audit events they caused, their idempotency records, notes, assignments, principals created
 * with the names of these bodies, and the contact of the merchant id the requests name ('x1').
 */
async function snapshot(): Promise<Record<string, number>> {
  const q = async (sql: string) => Number((await sys.db.$queryRawUnsafe<{ n: bigint }[]>(sql, ours))[0].n);
  return {
    cases: await q(`SELECT count(*) AS n FROM cases WHERE opened_by = ANY($1)`),
    auditEvents: await q(`SELECT count(*) AS n FROM audit_events WHERE actor = ANY($1)`),
    idempotency: await q(`SELECT count(*) AS n FROM idempotency_records WHERE principal_id = ANY($1)`),
    notes: await q(`SELECT count(*) AS n FROM task_notes WHERE author_id = ANY($1)`),
    assigned: await q(`SELECT count(*) AS n FROM tasks WHERE assignee_id = ANY($1)`),
    // a lone surrogate would reach PostgreSQL as U+FFFD
    principals: await q(`SELECT count(*) AS n FROM principals WHERE NOT (id = ANY($1)) AND name LIKE '%' || chr(65533) || '%'`),
    merchantContact: await q(`SELECT count(*) AS n FROM parties WHERE id = 'x1' AND cardinality($1::text[]) >= 0`),
    revoked: await q(`SELECT count(*) AS n FROM principals WHERE id = ANY($1) AND revoked_at IS NOT NULL`),
  };
}

const resolve = (s: any): any => (s?.$ref ? resolve(doc.components.schemas[s.$ref.split('/').pop()]) : s);

/** Every dotted path to a string in a JSON Schema (through properties, items, oneOf/anyOf/allOf and if/then/else). */
function stringPaths(schema: any, prefix: string[] = [], out = new Map<string, string[]>(), depth = 0): Map<string, string[]> {
  const s = resolve(schema);
  if (!s || typeof s !== 'object' || depth > 12) return out;
  const types = [s.type].flat();
  if (types.includes('string') || (s.type === undefined && (s.pattern || s.enum?.some((v: unknown) => typeof v === 'string') || typeof s.const === 'string'))) out.set(prefix.join('.'), prefix);
  for (const [k, v] of Object.entries<any>(s.properties ?? {})) stringPaths(v, [...prefix, k], out, depth + 1);
  if (s.items) stringPaths(s.items, [...prefix, '0'], out, depth + 1);
  for (const k of ['oneOf', 'anyOf', 'allOf']) for (const b of s[k] ?? []) stringPaths(b, prefix, out, depth + 1);
  return out;
}

/** A body with `value` at `path` (arrays where the path has an index). */
function bodyWith(path: string[], value: string): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (/^\d+$/.test(head)) return [bodyWith(rest, value)];
  return { [head]: bodyWith(rest, value) };
}

function operations() {
  return Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.entries<any>(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
}

function urlFor(path: string, params: Record<string, string>) {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => params[name] ?? 'x1');
}

function expectRefused(r: { status: number; body: any }, where: { in: string; path: string }, label: string) {
  expect({ label, status: r.status, code: r.body?.error?.code }).toEqual({ label, status: 400, code: 'INVALID_CHARACTERS' });
  expect(r.body.error.details[0]).toMatchObject({ in: where.in, path: where.path, code: 'invalid_characters' });
}

const key = () => keyOf('admin');

test('the reported request answers 400, not 500', async () => {
  const r = await call(sys, 'GET', '/v1/tasks?caseId=%00', { key: keyOf('agent') });
  expectRefused(r, { in: 'query', path: 'caseId' }, 'GET /v1/tasks?caseId=%00');
  expect(r.body.error.message).toMatch(/NUL/);
});

test('every operation refuses NUL in every path and query parameter, and NUL or a lone surrogate in every body string; nothing changes', async () => {
  const before = await snapshot();
  let tried = 0;
  for (const { path, method, op } of operations()) {
    const role = (op['x-allowed-roles']?.[0] ?? 'admin') as Role;
    const key = () => keyOf(role);
    const params = (op.parameters ?? []) as { name: string; in: string }[];
    const headers: Record<string, string> = { 'Idempotency-Key': `hostile-${tried}-key` };
    for (const p of params.filter((p) => p.in === 'path')) {
      const r = await call(sys, method, urlFor(path, { [p.name]: 'a%00b' }), { key: key(), headers, ...(op.requestBody && { body: {} }) });
      expectRefused(r, { in: 'path', path: p.name }, `${method} ${path} path ${p.name}`);
      // a lone surrogate cannot be written in a URL: its UTF-8 form is not valid UTF-8, refused as such
      const bad = await call(sys, method, urlFor(path, { [p.name]: '%ED%A0%80' }), { key: key(), headers, ...(op.requestBody && { body: {} }) });
      expect({ label: `${method} ${path} path ${p.name} surrogate`, status: bad.status, code: bad.body?.error?.code }).toEqual({ label: `${method} ${path} path ${p.name} surrogate`, status: 400, code: 'MALFORMED_PATH' });
      tried += 2;
    }
    for (const p of params.filter((p) => p.in === 'query')) {
      const r = await call(sys, method, `${urlFor(path, {})}?${encodeURIComponent(p.name)}=%00`, { key: key(), headers, ...(op.requestBody && { body: {} }) });
      expectRefused(r, { in: 'query', path: p.name }, `${method} ${path} query ${p.name}`);
      tried++;
    }
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    // A signed webhook's body is raw bytes at the edge (rawBody): checked once its signature is (test/api/webhooks.api.test.ts).
    const raw = routeSpecs.some((r) => r.id === op.operationId && r.rawBody);
    if (bodySchema && !raw) {
      const paths = [...stringPaths(bodySchema).values()].filter((p) => p.length > 0);
      for (const p of paths) {
        for (const value of ['a\u0000b', 'a\ud800b', '\udc00']) {
          const r = await call(sys, method, urlFor(path, {}), { key: key(), headers, body: bodyWith(p, value) });
          expectRefused(r, { in: 'body', path: p.join('.') }, `${method} ${path} body ${p.join('.')} ${JSON.stringify(value)}`);
          tried++;
        }
      }
      // a property name is a string too
      const r = await call(sys, method, urlFor(path, {}), { key: key(), headers, body: { 'k\u0000': 'v' } });
      expect({ op: op.operationId, status: r.status, code: r.body?.error?.code }).toEqual({ op: op.operationId, status: 400, code: 'INVALID_CHARACTERS' });
    }
  }
  expect(tried).toBeGreaterThan(100);
  expect(await snapshot()).toEqual(before);
});

test('a NUL in a header, refused by the HTTP parser before the app, still answers a structured JSON 400', async () => {
  const { url } = sys.api;
  const u = new URL(url);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.write(`GET /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key()}\r\nX-Note: a\u0000b\r\n\r\n`));
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
  expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  expect(body.error).toMatchObject({ code: 'MALFORMED_REQUEST' });
});

test('a well-formed surrogate pair (an emoji) is not refused by the guard', async () => {
  const r = await call(sys, 'POST', '/v1/principals', { key: key(), body: { name: 'emoji 😀', role: 'agent' } });
  expect(r.status).toBe(201);
});

test('an amount whose minor units would not fit the integer column is refused with 400, not 500 (found by fuzzing)', async () => {
  const r = await call(sys, 'POST', '/v1/cases', {
    key: keyOf('agent'),
    headers: { 'Idempotency-Key': 'hostile-amount-overflow' },
    body: {
      type: 'warranty_repair',
      order: { orderId: 'o1', lineItemId: 'l1', productRef: 'SKU-1', customerId: 'c1', merchantId: 'm1', deliveredAt: new Date().toISOString(), amount: '29077035', currency: 'CNY' },
      warrantyMonths: 12,
      problemCategory: 'other',
      description: 'x',
    },
  });
  expect(r.status).toBe(400);
  expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'order.amount' })]);
});
