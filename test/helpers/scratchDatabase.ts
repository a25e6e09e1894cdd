// A database of a test file's own on the tests' PostgreSQL server (TEST_DATABASE_ADMIN_URL), for a test that must not
// share the suite's database: created empty before the file's tests, migrated (every migration, or only those before
// `before`), and dropped after them. Call it at the top level of the test file, before the file's own hooks.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { readMigrationDirs, MIGRATIONS_DIR } from '../../lib/migrations';
import { requireEnv } from './env';

/** Runs one statement as the server's administrator (on its `postgres` database). */
async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: requireEnv('TEST_DATABASE_ADMIN_URL') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export interface ScratchDatabase {
  /** Its URL, once the file's tests run. */
  readonly url: string;
  /** A connection to it, open while the file's tests run. */
  readonly sql: Client;
}

export function scratchDatabase(prefix: string, o: { before?: string } = {}): ScratchDatabase {
  const name = `${prefix}_${process.pid}`;
  let url = '';
  let sql: Client | undefined;
  beforeAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name}`);
    await admin(`CREATE DATABASE ${name}`);
    const u = new URL(requireEnv('TEST_DATABASE_ADMIN_URL'));
    u.pathname = `/${name}`;
    url = u.toString();
    sql = new Client({ connectionString: url });
    await sql.connect();
    for (const d of readMigrationDirs().map((m) => m.name)) {
      if (o.before && d >= o.before) break;
      await sql.query(fs.readFileSync(path.join(MIGRATIONS_DIR, d, 'migration.sql'), 'utf8'));
    }
  });
  afterAll(async () => {
    await sql?.end();
    // FORCE: a pool the file opened on it may still be closing.
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  return {
    get url() {
      return url;
    },
    get sql() {
      if (!sql) throw new Error('the scratch database is open only while the file’s tests run');
      return sql;
    },
  };
}
