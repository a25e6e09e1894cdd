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
