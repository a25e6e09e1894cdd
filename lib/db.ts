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
  // PostgreSQL restarting or going away closes the pool's connections: an idle one's error is emitted on the pool, a
  // checked-out one's between two queries on the client. Unheard, either ends the process (Node's 'error' event). The
  // pool drops a broken connection either way and the next query gets the error, so the events themselves are heard
  // and dropped here.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
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

/** Node's socket errors of a server that cannot be reached or went away. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** Prisma's codes for a database it cannot reach, that closed the connection, or whose pool had none to give. */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** The driver adapter's kinds for the same. */
const ADAPTER_UNAVAILABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/**
 * True when the error says the database is not available now (down, restarting, unreachable, out of connections), as
 * opposed to refusing what was asked: SQLSTATE class 08 (connection exception), 57P01-57P03 (shut down, starting up),
 * 53300 (too many connections), a socket error, or the pool's wait for a connection running out. Looks through the
 * error's causes and Prisma's driver-adapter error.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (UNREACHABLE.has(code) || PRISMA_UNAVAILABLE.has(code) || /^08/.test(code) || /^57P0[123]$/.test(code) || code === '53300')) return true;
    const adapter = e.meta?.driverAdapterError?.cause ?? (e.name === 'DriverAdapterError' ? e.cause : undefined);
    if (adapter && (ADAPTER_UNAVAILABLE.has(adapter.kind) || /^(08|57P0[123]|53300)/.test(String(adapter.originalCode ?? '')))) return true;
    if (typeof e.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection/i.test(e.message)) return true;
  }
  return false;
}
