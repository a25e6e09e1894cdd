// What every part of the harness shares: the running system's addresses, a database handle, a Temporal
// client, the principals the harness created for itself, and an HTTP client that honours 429 Retry-After.
//
// The harness watches cases through the API only (task inbox, case resource), never by polling the database:
// the embedded PGlite is one PostgreSQL session shared by every socket, so a second client's extended-protocol
// messages can interleave with the system's own (an unnamed statement or portal replaced mid-query). The few
// direct writes and reads it needs (its principals, the case rows of directly started workflows, a registration's
// SMS code) go through `quietDb`, which on PGlite first waits until the worker has run no activity for a while.
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ApiDeps } from '../../api/deps';
import { createDb, type Db } from '../../lib/db';
import { createPrincipal } from '../../lib/principals';
import { ClientPool } from '../../lib/temporal';
import type { Role } from '../../policy/roles';
import { now, progress, sleep } from './util';

export interface Key {
  id: string;
  apiKey: string;
  role: Role;
  merchantId: string | null;
}

/** A merchant of one part of the run: its own id, so its inbox holds only that part's cases; one key per lane. */
export interface Merchant {
  merchantId: string;
  keys: Key[];
}

export interface BenchContext {
  apiUrl: string;
  /** Every API replica (API_URLS, comma-separated; else apiUrl alone): calls go round them in turn. */
  apiUrls?: string[];
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  /** Where the system's mail catcher writes .eml files (DATA_DIR/mail). */
  mailDir: string;
  concurrency: number;
  db: Db;
  connection: Connection;
  client: Client;
  /** Just enough of the API's dependencies to start a case's workflow exactly as the API does. */
  startDeps: ApiDeps;
  runId: string;
  /** One key per lane, so the per-key rate limit applies per lane. */
  storefronts: Key[];
  agents: Key[];
  merchants: Record<string, Merchant>;
  /** 429 answers met (and waited out) so far. */
  rateLimited: number;
  /** Cases this run opened and left open, for the cleanup note or --cleanup. */
  opened: Set<string>;
  /** The database's version() and whether it is the embedded PGlite (inside the system process). */
  dbVersion: string;
  embedded: boolean;
  /** Cases per second reaching their first task, once measured (sizes the timers' lead time). */
  firstTaskRate?: number;
}

export const ROOT = path.resolve(__dirname, '..', '..');
const DEV_PGLITE_URL = 'postgresql://postgres:postgres@127.0.0.1:55432/postgres?sslmode=disable';

/** Sum of the worker's activity executions, from GET /metrics. */
async function activityCount(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^casework_activity_executions_total\{[^}]*\} (\d+(?:\.\d+)?)/gm)) sum += Number(m[1]);
  return sum;
}

/** Waits until the worker has completed no activity for `quietMs` (read from GET /metrics). */
export async function waitIdle(apiUrl: string, quietMs = 3000, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await activityCount(apiUrl);
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`the worker was still running activities after ${timeoutMs / 1000} s`);
    await sleep(500);
    const n = await activityCount(apiUrl);
    if (n !== last) {
      last = n;
      since = Date.now();
    }
  }
}

/** Runs `fn` on the database; on the embedded PGlite only once the worker is idle (see the header). */
export async function quietDb<T>(ctx: BenchContext, fn: (db: Db) => Promise<T>): Promise<T> {
  if (ctx.embedded) await waitIdle(ctx.apiUrl);
  return fn(ctx.db);
}

export async function createContext(concurrency: number, merchantGroups: string[]): Promise<BenchContext> {
  const apiUrls = (process.env.API_URLS ?? process.env.API_URL ?? 'http://127.0.0.1:3000').split(',').map((u) => u.trim().replace(/\/$/, ''));
  const apiUrl = apiUrls[0];
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const taskQueue = process.env.TEMPORAL_TASK_QUEUE ?? 'casework';
  const databaseUrl = process.env.DATABASE_URL ?? DEV_PGLITE_URL;
  const mailDir = process.env.BENCH_MAIL_DIR ?? path.join(path.resolve(ROOT, process.env.DATA_DIR ?? '.data'), 'mail');

  const ready = await fetch(`${apiUrl}/readyz`).catch((err: Error) => {
    throw new Error(`the system is not reachable at ${apiUrl} (${err.message}); start it with bash scripts/dev or set API_URL`);
  });
  if (!ready.ok) throw new Error(`${apiUrl}/readyz answered ${ready.status}: ${await ready.text()}`);

  progress('waiting until the worker is idle before touching the database');
  await waitIdle(apiUrl);
  const db = createDb(databaseUrl, { maxConnections: 1 });
  const version = (await db.$queryRawUnsafe<{ version: string }[]>('SELECT version() AS version'))[0]?.version ?? 'unknown';
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace, identity: 'bench' });
  const startDeps = { temporal: { connection, clients: new ClientPool(connection, namespace), namespace, taskQueue, uiUrl: '' } } as unknown as ApiDeps;

  const runId = crypto.randomBytes(3).toString('hex');
  const ctx: BenchContext = {
    apiUrl, apiUrls, temporalAddress, namespace, taskQueue, databaseUrl, mailDir, concurrency, db, connection, client, startDeps, runId,
    storefronts: [], agents: [], merchants: {}, rateLimited: 0, opened: new Set(),
    dbVersion: version, embedded: /pglite|emscripten|wasm/i.test(version),
  };

  const admin = process.env.BENCH_ADMIN_KEY;
  progress(`creating principals (${admin ? 'through the API with BENCH_ADMIN_KEY' : 'directly in the database'}), run ${runId}`);
  const make = async (name: string, role: Role, merchantId?: string, withContact = false): Promise<Key> => {
    const contact = withContact && merchantId ? { email: `${merchantId}@merchant.test`, locale: 'en' as const } : undefined;
    if (admin) {
      const r = await call(ctx, 'POST', '/v1/principals', admin, { name, role, ...(merchantId && { merchantId }), ...(contact && { contact }) });
      if (r.status !== 201) throw new Error(`creating principal ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      return { id: r.body.id, apiKey: r.body.apiKey, role, merchantId: merchantId ?? null };
    }
    const p = await createPrincipal(db, { name, role, merchantId, contact });
    return { id: p.id, apiKey: p.apiKey, role, merchantId: p.merchantId };
  };
  for (let i = 0; i < concurrency; i++) {
    ctx.storefronts.push(await make(`bench ${runId} storefront ${i}`, 'storefront'));
    ctx.agents.push(await make(`bench ${runId} agent ${i}`, 'agent'));
  }
  for (const group of merchantGroups) {
    const merchantId = `m-bench-${runId}-${group}`;
    const keys: Key[] = [];
    for (let i = 0; i < concurrency; i++) keys.push(await make(`bench ${runId} ${group} merchant ${i}`, 'merchant', merchantId, i === 0));
    ctx.merchants[group] = { merchantId, keys };
  }
  return ctx;
}

export async function closeContext(ctx: BenchContext): Promise<void> {
  await ctx.connection.close();
  await ctx.db.$disconnect();
}

export interface Answer {
  status: number;
  body: any;
  /** Duration of the attempt that was answered (429 attempts and their waits excluded). */
  ms: number;
  /** Date.now() when the answer arrived. */
  at: number;
}

/** One API call; a 429 is waited out (Retry-After) and retried, and counted in ctx.rateLimited. */
let turn = 0;
export async function call(ctx: Pick<BenchContext, 'apiUrl' | 'rateLimited' | 'apiUrls'>, method: string, route: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  for (;;) {
    const t = now();
    const base = ctx.apiUrls && ctx.apiUrls.length > 1 ? ctx.apiUrls[turn++ % ctx.apiUrls.length] : ctx.apiUrl;
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const elapsed = now() - t;
    if (res.status === 429) {
      ctx.rateLimited++;
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      continue;
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, ms: elapsed, at: Date.now() };
  }
}

/** A call that must succeed with `expected`; anything else throws with the answer. */
export async function must(ctx: BenchContext, expected: number, method: string, route: string, key: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> {
  const r = await call(ctx, method, route, key, body, headers);
  if (r.status !== expected) throw new Error(`${method} ${route}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}
