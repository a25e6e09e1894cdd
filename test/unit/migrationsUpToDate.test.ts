// Start-up skips `prisma migrate deploy` only when _prisma_migrations already records every migration directory,
// finished, not rolled back, with the checksum of its migration.sql as it is now (lib/migrations.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkMigrations, migrationChecksum, migrationsUpToDate, readMigrationDirs, MIGRATIONS_DIR, type MigrationRow } from '../../lib/migrations';

const dirs = [
  { name: '20260101000000_init', checksum: migrationChecksum('CREATE TABLE a (id int);\n') },
  { name: '20260102000000_more', checksum: migrationChecksum('CREATE TABLE b (id int);\n') },
];
const done = (name: string, checksum: string, extra: Partial<MigrationRow> = {}): MigrationRow => ({ migration_name: name, checksum, finished_at: new Date('2026-01-02T00:00:00Z'), rolled_back_at: null, ...extra });
const allDone = dirs.map((d) => done(d.name, d.checksum!));

describe('migrationsUpToDate: skip the Prisma CLI or run it', () => {
  test('every directory applied with its checksum: skip', () => {
    expect(migrationsUpToDate(dirs, allDone)).toEqual({ upToDate: true, applied: 2 });
  });

  test('rows in any order, and a rolled-back earlier attempt beside the applied one: skip', () => {
    const rows = [done(dirs[1].name, dirs[1].checksum!), done(dirs[0].name, 'old', { finished_at: null, rolled_back_at: new Date() }), done(dirs[0].name, dirs[0].checksum!)];
    expect(migrationsUpToDate(dirs, rows)).toEqual({ upToDate: true, applied: 2 });
  });

  test.each<[string, MigrationRow[] | null, RegExp]>([
    ['no _prisma_migrations table (a fresh database)', null, /no _prisma_migrations table/],
    ['an empty table', [], /20260101000000_init is not applied/],
    ['a new migration directory', [allDone[0]], /20260102000000_more is not applied/],
    ['a migration edited after it was applied', [allDone[0], done(dirs[1].name, migrationChecksum('CREATE TABLE b (id bigint);\n'))], /20260102000000_more was changed/],
    ['an attempt that started and did not finish', [allDone[0], done(dirs[1].name, dirs[1].checksum!, { finished_at: null })], /did not finish/],
    ['the only row rolled back', [allDone[0], done(dirs[1].name, dirs[1].checksum!, { rolled_back_at: new Date() })], /20260102000000_more is not applied/],
    ['a migration the checkout does not have', [...allDone, done('20260103000000_elsewhere', 'x')], /20260103000000_elsewhere/],
  ])('%s: run the CLI', (_case, rows, reason) => {
    const d = migrationsUpToDate(dirs, rows);
    expect(d.upToDate).toBe(false);
    expect(!d.upToDate && d.reason).toMatch(reason);
  });

  test('a directory without migration.sql: run the CLI', () => {
    expect(migrationsUpToDate([...dirs, { name: '20260103000000_empty', checksum: null }], allDone)).toMatchObject({ upToDate: false });
  });
});

describe('readMigrationDirs', () => {
  test("checksums are the hex SHA-256 of each migration.sql's bytes, directories in name order", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    for (const [name, sql] of [['20260102000000_b', 'SELECT 2;\r\n'], ['20260101000000_a', 'SELECT 1;\n']]) {
      fs.mkdirSync(path.join(root, name));
      fs.writeFileSync(path.join(root, name, 'migration.sql'), sql);
    }
    fs.mkdirSync(path.join(root, '20260103000000_c'));
    fs.writeFileSync(path.join(root, 'migration_lock.toml'), 'provider = "postgresql"\n');
    expect(readMigrationDirs(root)).toEqual([
      { name: '20260101000000_a', checksum: 'b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd' }, // sha256sum of the file
      { name: '20260102000000_b', checksum: 'c2fb0d1c749ca4844e0da66c12a21108d2505f9b0bfe070ce0ed099365a43e63' }, // byte for byte: CRLF kept
      { name: '20260103000000_c', checksum: null },
    ]);
    fs.rmSync(root, { recursive: true });
  });
});

// The suite's database (test/globalSetup.ts) was migrated by `prisma migrate deploy`: the check must agree with Prisma.
const describeDb = process.env.DATABASE_URL ? describe : describe.skip;
// `prisma migrate deploy` (the JS schema engine behind the driver adapter) splits a script at every semicolon, comments
// included: a comment with one fails the migration on a database that is not fresh ("syntax error at or near ...").
test('no migration has a semicolon in a comment', () => {
  const offending = readMigrationDirs(MIGRATIONS_DIR).flatMap((d) =>
    fs
      .readFileSync(path.join(MIGRATIONS_DIR, d.name, 'migration.sql'), 'utf8')
      .split('\n')
      .flatMap((line, i) => (/--.*;/.test(line) ? [`${d.name}:${i + 1}`] : [])),
  );
  expect(offending).toEqual([]);
});

describeDb('checkMigrations against the migrated test database', () => {
  test('up to date, every migration directory applied', async () => {
    const count = fs.readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
    expect(await checkMigrations(process.env.DATABASE_URL!)).toEqual({ upToDate: true, applied: count });
  });

  test('a schema Prisma never migrated: not up to date', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.searchParams.set('schema', 'never_migrated');
    expect(await checkMigrations(url.toString())).toEqual({ upToDate: false, reason: 'no _prisma_migrations table' });
  });
});
