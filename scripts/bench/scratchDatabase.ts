// A scratch database for a benchmark that needs no running system (scripts/bench-inbox.ts,
// scripts/bench-complaints-report.ts): created on TEST_DATABASE_ADMIN_URL's server, migrated, dropped afterwards.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client as Pg } from 'pg';
import { applyMigrationsToEmptyDatabase } from '../../lib/migrations';

/** Runs `work` on a new migrated database named `<prefix>_<pid>`; drops it after, unless `keep`. */
export async function withScratchDatabase<T>(prefix: string, work: (databaseUrl: string, dbName: string) => Promise<T>, o: { keep?: boolean; progress?: (msg: string) => void } = {}): Promise<T> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_ADMIN_URL is required (a server where the user may create databases)');
  const dbName = `${prefix}_${process.pid}`;
  const admin = new Pg({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  try {
    o.progress?.(`migrating ${dbName}`);
    // A database created a moment ago: every migration in one pass (lib/migrations.ts), else the Prisma CLI.
    if (!('applied' in (await applyMigrationsToEmptyDatabase(databaseUrl)))) {
      execFileSync('bash', [path.join(__dirname, '..', 'prisma'), 'migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'ignore' });
    }
    return await work(databaseUrl, dbName);
  } finally {
    if (o.keep) o.progress?.(`kept ${dbName}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}
