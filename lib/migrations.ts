// Whether every migration under prisma/migrations is already applied, read straight from Prisma's own
// `_prisma_migrations` table: lets start-up skip the Prisma CLI (seconds) when there is nothing to do.
// Any doubt answers "not up to date", and the caller runs `prisma migrate deploy`, which decides.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'prisma', 'migrations');

/** A migration directory: its name and the SHA-256 (hex) of its migration.sql, as Prisma records it; null when the file is missing. */
export interface MigrationDir {
  name: string;
  checksum: string | null;
}

/** A row of `_prisma_migrations` (the columns the decision needs). */
export interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

export type MigrationsDecision = { upToDate: true; applied: number } | { upToDate: false; reason: string };

/** Prisma's checksum of a migration: the hex SHA-256 of migration.sql's bytes. */
export function migrationChecksum(sql: Buffer | string): string {
  return crypto.createHash('sha256').update(sql).digest('hex');
}

/**
 * The decision, pure: up to date when every directory has a row that finished, was not rolled back and
 * carries the directory's checksum; no row is a failed attempt still pending (Prisma would refuse to
 * deploy); and no applied row names a migration this checkout does not have.
 */
export function migrationsUpToDate(dirs: MigrationDir[], rows: MigrationRow[] | null): MigrationsDecision {
  if (rows === null) return { upToDate: false, reason: 'no _prisma_migrations table' };
  const failed = rows.find((r) => r.finished_at == null && r.rolled_back_at == null);
  if (failed) return { upToDate: false, reason: `migration ${failed.migration_name} started but did not finish` };
  const known = new Set(dirs.map((d) => d.name));
  const unknown = rows.find((r) => r.rolled_back_at == null && !known.has(r.migration_name));
  if (unknown) return { upToDate: false, reason: `the database has migration ${unknown.migration_name}, which prisma/migrations does not` };
  for (const d of dirs) {
    if (d.checksum === null) return { upToDate: false, reason: `${d.name} has no migration.sql` };
    const applied = rows.filter((r) => r.migration_name === d.name && r.finished_at != null && r.rolled_back_at == null);
    if (applied.length === 0) return { upToDate: false, reason: `${d.name} is not applied` };
    if (!applied.some((r) => r.checksum === d.checksum)) return { upToDate: false, reason: `${d.name} was changed after it was applied` };
  }
  return { upToDate: true, applied: dirs.length };
}

/** Every migration directory with the checksum of its migration.sql, in name order (Prisma's order). */
export function readMigrationDirs(dir = MIGRATIONS_DIR): MigrationDir[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const file = path.join(dir, name, 'migration.sql');
      return { name, checksum: fs.existsSync(file) ? migrationChecksum(fs.readFileSync(file)) : null };
    });
}

/** The rows of `_prisma_migrations` (in the URL's `schema`, as Prisma uses it; default public), or null when the table does not exist (a fresh database). */
export async function readMigrationRows(databaseUrl: string): Promise<MigrationRow[] | null> {
  const schema = new URL(databaseUrl).searchParams.get('schema') || 'public';
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query<{ t: string | null }>(`SELECT to_regclass(format('%I._prisma_migrations', $1::text))::text AS t`, [schema]);
    const table = exists.rows[0]?.t;
    if (!table) return null;
    const r = await client.query<MigrationRow>(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM ${table}`);
    return r.rows;
  } finally {
    await client.end();
  }
}

/** Reads the directory and the database and decides; a database that cannot be read answers "not up to date" with the reason. */
export async function checkMigrations(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<MigrationsDecision> {
  const dirs = readMigrationDirs(dir);
  let rows: MigrationRow[] | null;
  try {
    rows = await readMigrationRows(databaseUrl);
  } catch (err) {
    return { upToDate: false, reason: `could not read _prisma_migrations: ${(err as Error).message}` };
  }
  return migrationsUpToDate(dirs, rows);
}

/** Prisma's own table, as its schema engine creates it on PostgreSQL (checked against `prisma migrate deploy`'s). */
const PRISMA_MIGRATIONS_TABLE = `CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

/** The advisory lock Prisma's schema engine holds while it migrates: a `migrate deploy` running at the same time waits for this pass. */
const PRISMA_ADVISORY_LOCK = 72707369;

export type FreshApply = { applied: number } | { notFresh: string };

/**
 * Applies every migration to an empty database in one transaction, and records each in `_prisma_migrations` as
 * `prisma migrate deploy` would (its checksum, finished, one step applied), so that the CLI and `checkMigrations`
 * find them applied. Starting the Prisma CLI and its WASM schema engine, and its round trips per migration, cost
 * seconds that a fresh database otherwise waits for; one pass is a fraction of that.
 *
 * Only a database where the default `public` schema holds no table at all, and only the `public` schema; anything
 * else answers `notFresh` and is left to `prisma migrate deploy`, which decides. A failing migration rolls the whole
 * pass back (nothing is recorded) and throws.
 */
export async function applyMigrationsToEmptyDatabase(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<FreshApply> {
  const schema = new URL(databaseUrl).searchParams.get('schema') || 'public';
  if (schema !== 'public') return { notFresh: `schema ${schema} (only public is migrated in one pass)` };
  const dirs = readMigrationDirs(dir);
  const missing = dirs.find((d) => d.checksum === null);
  if (missing) return { notFresh: `${missing.name} has no migration.sql` };
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${PRISMA_ADVISORY_LOCK})`);
    const tables = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`);
    const types = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')`);
    if (tables.rows[0].n !== '0' || types.rows[0].n !== '0') {
      await client.query('ROLLBACK');
      return { notFresh: 'the database is not empty' };
    }
    await client.query(PRISMA_MIGRATIONS_TABLE);
    for (const d of dirs) {
      const sql = fs.readFileSync(path.join(dir, d.name, 'migration.sql'), 'utf8');
      try {
        await client.query(sql); // no parameters: the simple query protocol, which runs every statement of the file
      } catch (err) {
        throw new Error(`migration ${d.name} failed: ${(err as Error).message}`);
      }
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, clock_timestamp(), 1)`,
        [crypto.randomUUID(), d.checksum, d.name],
      );
    }
    await client.query('COMMIT');
    return { applied: dirs.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
