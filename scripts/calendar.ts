// The national holiday calendar from the command line (see scripts/calendar). Results are JSON on stdout (one object
// per line for list); progress and problems go to stderr, prefixed [calendar]. Exit codes: 0 done, 1 refused or
// failed (nothing stored), 2 usage.
import fs from 'node:fs';
import path from 'node:path';
import { createDb, type Db } from '../lib/db';
import { noticeProblems, noticeSource, readNotice } from '../lib/calendarImport';
import { coverageStatus, readImportedYears, snapshotOf, storeImportedYear } from '../lib/calendarStore';
import { holidayYearVersion, statutoryHolidays } from '../policy/nationalHolidays';

const USAGE = 'usage: scripts/calendar import FILE [--dry-run] [--year YYYY] [--by NAME] | list | show YEAR';

class UsageError extends Error {}

const say = (line: string) => process.stderr.write(`[calendar] ${line}\n`);
const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return v;
}

function databaseUrl(): string {
  return process.env.DATABASE_URL ?? `postgresql://postgres:postgres@127.0.0.1:${process.env.PGLITE_PORT ?? 55432}/postgres?sslmode=disable`;
}

async function importNotice(db: () => Db, args: string[]): Promise<void> {
  const file = args[0];
  if (!file || file.startsWith('--')) throw new UsageError('import needs a FILE');
  const onlyYear = option(args, '--year');
  const dryRun = args.includes('--dry-run');
  say(`reading ${file}`);
  const notice = readNotice(fs.readFileSync(file));
  let years = notice.years;
  if (onlyYear !== undefined) {
    years = years.filter((y) => y.year === Number(onlyYear));
    if (!years.length) throw new Error(`${file} has no dates in ${onlyYear}`);
  }
  say(`${notice.format}, sha256 ${notice.sha256.slice(0, 16)}: ${years.map((y) => `${y.year} (${y.holidays.length} holidays, ${y.makeUpWorkdays.length} make-up workdays)`).join(', ')}`);
  const problems = noticeProblems({ ...notice, years });
  if (problems.length) {
    for (const p of problems) for (const line of p.problems) say(`${p.year}: ${line}`);
    out({ ok: false, file, problems });
    throw new Error(`refused: ${problems.length} year(s) not valid; nothing stored`);
  }
  say(`valid: no date both holiday and workday; every statutory holiday (全国年节及纪念日放假办法) is a holiday`);
  if (dryRun) {
    out({ ok: true, dryRun: true, file, years: years.map((y) => ({ year: y.year, version: holidayYearVersion({ ...y, status: 'official', source: '' }) })) });
    return;
  }
  const source = noticeSource(path.basename(file), notice);
  const imported = [];
  for (const [i, y] of years.entries()) {
    const r = await storeImportedYear(db(), y, { source, importedBy: option(args, '--by') ?? process.env.USER });
    say(`${i + 1}/${years.length} ${y.year}: ${r.created ? 'stored' : 'already stored'} as version ${r.version}`);
    imported.push({ year: y.year, ...r });
  }
  const snapshot = snapshotOf(await readImportedYears(db()));
  const coverage = coverageStatus(snapshot, new Date());
  say(`calendar version ${snapshot.version}; official data through ${coverage.officialThrough}. Running systems pick it up within 30 s; running cases at their next working-time deadline.`);
  out({ ok: true, file, source, imported, calendarVersion: snapshot.version, coverage });
}

async function list(db: Db): Promise<void> {
  const snapshot = snapshotOf(await readImportedYears(db));
  const imports = new Map(snapshot.imports.map((i) => [i.year, i]));
  const coverage = coverageStatus(snapshot, new Date());
  say(`calendar version ${snapshot.version}; official through ${coverage.officialThrough} (${coverage.daysLeft} days left${coverage.degraded ? ': import the next notice' : ''}); provisional years computed to ${snapshot.years.at(-1)!.year}`);
  const lastOfficial = Math.max(...snapshot.years.filter((y) => y.status === 'official').map((y) => y.year));
  for (const y of snapshot.years.filter((y) => y.year <= lastOfficial + 2)) {
    out({ year: y.year, status: y.status, source: y.source, version: imports.get(y.year)?.version ?? holidayYearVersion(y), importedAt: imports.get(y.year)?.importedAt ?? null, holidays: y.holidays.length, makeUpWorkdays: y.makeUpWorkdays.length });
  }
}

async function show(db: Db, year: number): Promise<void> {
  if (!Number.isInteger(year)) throw new UsageError('show needs a YEAR');
  const snapshot = snapshotOf(await readImportedYears(db));
  const y = snapshot.years.find((x) => x.year === year);
  if (!y) throw new Error(`No holiday data for ${year}`);
  const imported = snapshot.imports.find((i) => i.year === year);
  out({
    year,
    status: y.status,
    source: y.source,
    version: imported?.version ?? holidayYearVersion(y),
    holidays: y.holidays,
    makeUpWorkdays: y.makeUpWorkdays,
    statutoryHolidays: year >= 2008 ? statutoryHolidays(year) : undefined,
  });
}

async function main(): Promise<void> {
  const [cmd, ...args] = process.argv.slice(2);
  let db: Db | undefined;
  const connect = () => (db ??= createDb(databaseUrl(), { maxConnections: 1 }));
  try {
    if (cmd === 'import') await importNotice(connect, args);
    else if (cmd === 'list') await list(connect());
    else if (cmd === 'show') await show(connect(), Number(args[0]));
    else throw new UsageError(cmd ? `unknown command ${cmd}` : 'no command');
  } finally {
    await db?.$disconnect();
  }
}

main().catch((err) => {
  if (err instanceof UsageError) {
    say(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
