// An empty database is migrated in one pass (lib/migrations.ts): it must end exactly as `prisma migrate deploy` leaves
// it (same schema, every migration recorded with its checksum), so that the Prisma CLI, start-up's own check and any
// later migration treat it as Prisma-migrated. Real PostgreSQL (TEST_DATABASE_ADMIN_URL) and the embedded PGlite.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrationsToEmptyDatabase, checkMigrations, readMigrationDirs } from '../../lib/migrations';
import { requireEnv, ROOT } from '../helpers/env';
import { freePort } from '../../scripts/tools';

const adminUrl = () => requireEnv('TEST_DATABASE_ADMIN_URL');
const created: string[] = [];

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function createDatabase(suffix: string): Promise<string> {
  const name = `casework_mig_${process.pid}_${suffix}`;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  created.push(name);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** The Prisma CLI (scripts/prisma) until it exits or prints `done` (it idles about 10 s on an engine timer after its work). */
function prisma(args: string[], databaseUrl: string, done: RegExp): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['scripts/prisma', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let finished = false;
    const collect = (d: Buffer) => {
      output += d;
      if (!finished && done.test(output)) {
        finished = true;
        child.kill('SIGTERM');
        resolve({ code: 0, output });
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => finished || resolve({ code: code ?? 1, output }));
  });
}

/** Everything a migration can create in the public schema, as the catalogue describes it, in a stable order. */
async function schemaOf(databaseUrl: string): Promise<Record<string, string[]>> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query<{ d: string }>(sql)).rows.map((r) => r.d);
    return {
      columns: await q(`SELECT table_name || '.' || column_name || ' ' || data_type || '/' || udt_name || ' ' || is_nullable || ' ' || coalesce(column_default, '') || ' ' || coalesce(character_maximum_length::text, '') AS d
        FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`),
      constraints: await q(`SELECT t.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid) AS d
        FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND con.contype::text <> 'n' ORDER BY 1`), // NOT NULL is in `columns` (PostgreSQL 18, as in PGlite, also lists it here)
      indexes: await q(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`),
      triggers: await q(`SELECT pg_get_triggerdef(tg.oid) AS d FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND NOT tg.tgisinternal ORDER BY 1`),
      functions: await q(`SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY p.proname`),
      types: await q(`SELECT t.typname || ' ' || t.typtype::text || ' ' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') AS d
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') ORDER BY 1`),
      relations: await q(`SELECT c.relname || ' ' || c.relkind::text AS d FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1`),
      views: await q(`SELECT viewname || ' ' || definition AS d FROM pg_views WHERE schemaname = 'public' ORDER BY 1`),
      privileges: await q(`SELECT table_name || ' ' || grantee || ' ' || privilege_type AS d FROM information_schema.role_table_grants WHERE table_schema = 'public' ORDER BY 1`),
    };
  } finally {
    await c.end();
  }
}

async function migrationRows(databaseUrl: string) {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(`SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`)).rows;
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  await admin(async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
});

describe('every migration in one pass on an empty database', () => {
  let onePass: string;
  let deployed: string;

  beforeAll(async () => {
    [onePass, deployed] = await Promise.all([createDatabase('onepass'), createDatabase('deploy')]);
    const deploy = await prisma(['migrate', 'deploy'], deployed, /All migrations have been successfully applied\./);
    expect(deploy.code).toBe(0);
    expect(await applyMigrationsToEmptyDatabase(onePass)).toEqual({ applied: readMigrationDirs().length });
  }, 120_000);

  test('the schema is the one `prisma migrate deploy` makes, object for object', async () => {
    const [a, b] = await Promise.all([schemaOf(onePass), schemaOf(deployed)]);
    expect(a.relations.length).toBeGreaterThan(10);
    expect(a).toEqual(b);
  });

  test('_prisma_migrations holds the rows Prisma writes: every migration, its checksum, finished, one step', async () => {
    const [a, b] = await Promise.all([migrationRows(onePass), migrationRows(deployed)]);
    expect(a).toEqual(b);
    expect(a.map((r) => r.migration_name)).toEqual(readMigrationDirs().map((d) => d.name));
  });

  test('start-up finds it up to date, and so does `prisma migrate status`; `migrate deploy` has nothing to apply', async () => {
    expect(await checkMigrations(onePass)).toEqual({ upToDate: true, applied: readMigrationDirs().length });
    const status = await prisma(['migrate', 'status'], onePass, /Database schema is up to date!/);
    expect(status.output).toMatch(/Database schema is up to date!/);
    expect(status.code).toBe(0);
    const deploy = await prisma(['migrate', 'deploy'], onePass, /No pending migrations to apply\.|have been successfully applied/);
    expect(deploy.output).toMatch(/No pending migrations to apply\./);
  }, 120_000);

  test('a database that is not empty is left to `prisma migrate deploy`: nothing is written', async () => {
    const url = await createDatabase('notempty');
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE something_else (id int)');
    await c.end();
    expect(await applyMigrationsToEmptyDatabase(url)).toEqual({ notFresh: 'the database is not empty' });
    expect(await checkMigrations(url)).toMatchObject({ upToDate: false, reason: 'no _prisma_migrations table' });
    // and a migrated one is not migrated twice
    expect(await applyMigrationsToEmptyDatabase(onePass)).toEqual({ notFresh: 'the database is not empty' });
  });

  test('a migration that fails rolls the whole pass back: no table, no row', async () => {
    const url = await createDatabase('broken');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    fs.mkdirSync(path.join(dir, '20260101000000_ok'));
    fs.writeFileSync(path.join(dir, '20260101000000_ok', 'migration.sql'), 'CREATE TABLE a (id int);\n');
    fs.mkdirSync(path.join(dir, '20260102000000_broken'));
    fs.writeFileSync(path.join(dir, '20260102000000_broken', 'migration.sql'), 'CREATE TABLE b (id int REFERENCES nowhere (id));\n');
    await expect(applyMigrationsToEmptyDatabase(url, dir)).rejects.toThrow(/20260102000000_broken failed/);
    const c = new Client({ connectionString: url });
    await c.connect();
    const left = await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    await c.end();
    expect(left.rows).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the embedded PostgreSQL (PGlite, as `scripts/dev` runs it) ends with the same schema and is up to date', async () => {
    // In a process of its own, as scripts/system.ts runs it (PGlite loads its WASM through a dynamic import, which
    // jest's module sandbox refuses).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pglite-'));
    const port = await freePort();
    const server = spawn(
      process.execPath,
      ['-e', `const { PGlite } = require('@electric-sql/pglite'); const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');
        (async () => { const db = await PGlite.create(process.env.PGLITE_DIR); await new PGLiteSocketServer({ db, port: Number(process.env.PGLITE_PORT), host: '127.0.0.1', maxConnections: 4 }).start(); console.log('listening'); })();`],
      { cwd: ROOT, env: { ...process.env, PGLITE_DIR: dataDir, PGLITE_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => String(d).includes('listening') && resolve());
      server.once('exit', (code) => reject(new Error(`PGlite exited (${code})`)));
    });
    try {
      const url = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
      expect(await applyMigrationsToEmptyDatabase(url)).toEqual({ applied: readMigrationDirs().length });
      expect(await checkMigrations(url)).toEqual({ upToDate: true, applied: readMigrationDirs().length });
      const [a, b] = [await schemaOf(url), await schemaOf(deployed)];
      // PGlite's only role is postgres, the owner: grants to the test role differ by construction.
      expect({ ...a, privileges: [] }).toEqual({ ...b, privileges: [] });
    } finally {
      server.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
