// PostgreSQL access through Prisma's JS query engine and the pg driver adapter (works offline); the hot write path of
// the cases (activities/caseWrites.ts) runs plain SQL on the same pg pool.
import { PrismaClient, Prisma } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

export type Db = PrismaClient;
export { Prisma };

/** The pool on the client itself, so that a wrapper (a test's Proxy) still finds it. */
const POOL = Symbol('pg pool');

export function createDb(databaseUrl: string, opts: { maxConnections?: number } = {}): Db {
  // A query waits at most 15 s for a connection, then fails (an activity retries; a request answers 500), never forever.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: opts.maxConnections ?? 10, connectionTimeoutMillis: 15_000 });
  // An interactive transaction waits up to 10 s for a connection and may run 15 s (Prisma's 2 s and 5 s fail spuriously
  // on a loaded machine, and each failure costs an activity retry with backoff).
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }), transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
  Object.defineProperty(db, POOL, { value: pool, configurable: true }); // configurable: a test's Proxy may stand in another
  return db;
}

/** The pg pool under `db`: the same connections (one, on the embedded PGlite), for plain SQL. */
export function poolOf(db: Db): pg.Pool {
  const pool = (db as unknown as { [POOL]?: pg.Pool })[POOL];
  if (!pool) throw new Error('This database client was not made by createDb');
  return pool;
}

/** Runs `fn` in a transaction on one connection of `db`'s pool: committed if it resolves, rolled back if it throws. */
export async function withPgTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await poolOf(db).connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.release(broken);
  }
}

/** True when the error is a unique-constraint violation. */
export function isUniqueViolation(err: unknown): boolean {
  // A statement sent on the pool itself (poolOf).
  if (err instanceof pg.DatabaseError) return err.code === '23505';
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (err.code === 'P2002') return true;
  // A raw statement's violation (P2010) carries the driver's own error.
  const cause = (err.meta as { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } } | undefined)?.driverAdapterError?.cause;
  return err.code === 'P2010' && (cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505');
}
