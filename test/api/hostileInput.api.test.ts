// Hostile strings at the edge (api/inputGuard.ts): every operation of the API description, with a NUL character in
// each path parameter and each query parameter, and a NUL or a lone surrogate in each string field of its body,
// answers 400 INVALID_CHARACTERS naming the field, and nothing in the database changes. Against the real system.
import { createPrincipal } from '../../lib/principals';
import { call, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let doc: any;
const keys: string[] = [];
let calls = 0;
/** A fresh admin key every 40 requests: the per-key rate limit (burst 60) must not answer first. */
const key = () => keys[Math.floor(calls++ / 40) % keys.length];

beforeAll(async () => {
  sys = await startTestSystem();
  for (let i = 0; i < 25; i++) keys.push((await createPrincipal(sys.db, { name: `hostile-${i}`, role: 'admin' })).apiKey);
  doc = (await call(sys, 'GET', '/openapi.json')).body;
});
afterAll(async () => {
  await sys?.stop();
});

/** Row counts of every table: nothing may change. */
async function snapshot(): Promise<Record<string, number>> {
  const tables = await sys.db.$queryRawUnsafe<{ t: string }[]>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  const out: Record<string, number> = {};
  for (const { t } of tables) out[t] = Number((await sys.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "${t}"`))[0].n);
  return out;
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

test('the reported request answers 400, not 500', async () => {
  const r = await call(sys, 'GET', '/v1/tasks?caseId=%00', { key: key() });
  expectRefused(r, { in: 'query', path: 'caseId' }, 'GET /v1/tasks?caseId=%00');
  expect(r.body.error.message).toMatch(/NUL/);
});

test('every operation refuses NUL in every path and query parameter, and NUL or a lone surrogate in every body string; nothing changes', async () => {
  const before = await snapshot();
  let tried = 0;
  for (const { path, method, op } of operations()) {
    const params = (op.parameters ?? []) as { name: string; in: string }[];
    const headers: Record<string, string> = { 'Idempotency-Key': `hostile-${calls}-key` };
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
    if (bodySchema) {
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

test('a well-formed surrogate pair (an emoji) is not refused by the guard', async () => {
  const r = await call(sys, 'POST', '/v1/principals', { key: key(), body: { name: 'emoji 😀', role: 'agent' } });
  expect(r.status).toBe(201);
});
