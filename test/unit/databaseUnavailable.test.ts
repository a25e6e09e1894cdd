// A request that meets PostgreSQL away (stopped, restarting, unreachable) is answered 503 DATABASE_UNAVAILABLE with a
// structured JSON body and Retry-After, at once, not 500 INTERNAL (api/errors.ts, lib/db.ts isDatabaseUnavailable). The
// errors are the real ones: Prisma (driver adapter) and the pg pool against a port nothing listens on. And a pool whose
// connection breaks ends no process (lib/db.ts hears the pool's error events).
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { errorHandler } from '../../api/errors';
import { createDb, isDatabaseUnavailable, poolOf } from '../../lib/db';
import { freePort } from '../../scripts/tools';

let server: ReturnType<ReturnType<typeof express>['listen']>;
let base: string;
let db: ReturnType<typeof createDb>;

beforeAll(async () => {
  db = createDb(`postgresql://nobody:nothing@127.0.0.1:${await freePort()}/none`, { maxConnections: 2 });
  const app = express();
  app.get('/prisma', async (_req, res, next) => {
    try {
      res.json(await db.case.findFirst());
    } catch (err) {
      next(err);
    }
  });
  app.get('/pool', async (_req, res, next) => {
    try {
      res.json((await poolOf(db).query('SELECT 1')).rows);
    } catch (err) {
      next(err);
    }
  });
  app.get('/bug', (_req, _res, next) => next(new Error('a bug')));
  app.use(errorHandler);
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await db?.$disconnect().catch(() => undefined);
});

test.each(['/prisma', '/pool'])('%s against an unreachable database: 503 DATABASE_UNAVAILABLE, Retry-After, a JSON body without a stack', async (route) => {
  const started = Date.now();
  const r = await fetch(`${base}${route}`);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(r.status).toBe(503);
  expect(r.headers.get('retry-after')).toBe('5');
  const text = await r.text();
  expect(JSON.parse(text)).toEqual({ error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is not available now; send the request again later' } });
  expect(text).not.toMatch(/ECONNREFUSED|\bat .+:\d+:\d+/);
});

test('any other error stays 500 INTERNAL', async () => {
  const r = await fetch(`${base}/bug`);
  expect(r.status).toBe(500);
  expect(((await r.json()) as { error: { code: string } }).error.code).toBe('INTERNAL');
});

test('what counts as the database being away, and what does not', () => {
  const sqlState = (code: string) => Object.assign(new pg.DatabaseError('x', 1, 'error'), { code });
  expect(isDatabaseUnavailable(sqlState('57P01'))).toBe(true); // terminating connection due to administrator command
  expect(isDatabaseUnavailable(sqlState('57P03'))).toBe(true); // the database system is starting up
  expect(isDatabaseUnavailable(sqlState('08006'))).toBe(true); // connection failure
  expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  expect(isDatabaseUnavailable(Object.assign(new Error('P1001'), { code: 'P1001' }))).toBe(true);
  expect(isDatabaseUnavailable(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNREFUSED' }) }))).toBe(true);
  expect(isDatabaseUnavailable(sqlState('23505'))).toBe(false); // a unique violation is the request's own
  expect(isDatabaseUnavailable(sqlState('40001'))).toBe(false); // a serialization failure too
  expect(isDatabaseUnavailable(new Error('a bug'))).toBe(false);
});

test("a connection broken while idle in the pool ends no process: the pool's error event is heard", async () => {
  const pool = poolOf(db);
  expect(pool.listenerCount('error')).toBeGreaterThan(0);
  expect(() => pool.emit('error', new Error('Connection terminated unexpectedly'), {} as pg.PoolClient)).not.toThrow();
});
