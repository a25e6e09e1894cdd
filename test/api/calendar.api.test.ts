// The holiday calendar in a running system, on real PostgreSQL: `scripts/calendar import` refuses a bad notice and
// stores a good one under its version; the API picks it up (new cases, /readyz, /metrics, the coverage warning);
// running cases read it through resolveCalendar; a new case carries only the years it can reach.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startApi, type RunningApi } from '../../api/server';
import { calendarActivities } from '../../activities/calendar';
import { loadConfig } from '../../lib/config';
import { CalendarStore } from '../../lib/calendarStore';
import { createDb, type Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { isWorkingDay } from '../../policy/businessCalendar';
import { SAMPLE_NOTICE_2027 } from '../../scripts/scenarios/warrantyRepair.calendar';
import { requireEnv, ROOT } from '../helpers/env';

const run = promisify(execFile);
const fixture = (f: string) => path.join(ROOT, 'test', 'fixtures', 'calendar', f);

let db: Db;
let api: RunningApi;
let store: CalendarStore;
const logs: Record<string, any>[] = [];
const TODAY = new Date('2026-11-28T12:00:00+08:00');

/** scripts/calendar with the test database; answers exit code, stdout lines (JSON) and stderr. */
async function calendar(...args: string[]): Promise<{ code: number; out: any[]; err: string }> {
  try {
    const r = await run(path.join(ROOT, 'scripts', 'calendar'), args, { env: { ...process.env, DATABASE_URL: requireEnv('DATABASE_URL') } });
    return { code: 0, out: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), err: r.stderr };
  } catch (e: any) {
    return { code: e.code, out: String(e.stdout ?? '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), err: String(e.stderr) };
  }
}

beforeAll(async () => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 2 });
  await db.calendarYear.deleteMany({ where: { year: 2027 } });
  const logger = createLogger('test', 'info', { write: (line: string) => void logs.push(JSON.parse(line)) });
  store = new CalendarStore(db, logger, { now: () => TODAY });
  const connection = { workflowService: { getSystemInfo: async () => ({}), countWorkflowExecutions: async () => ({ count: 0 }) } } as any;
  api = await startApi({ cfg: loadConfig({}), db, connection, logger, port: 0, host: '127.0.0.1', calendars: await store.start() });
});
afterAll(async () => {
  store?.stop();
  await api?.close();
  await db?.calendarYear.deleteMany({ where: { year: 2027 } });
  await db?.$disconnect();
});

const get = async (p: string) => {
  const res = await fetch(`${api.url}${p}`);
  return { status: res.status, text: await res.text() };
};

test('with 2026 the last notice, on 2026-11-28: /readyz degraded (not failing), the metric and one structured warning', async () => {
  const ready = await get('/readyz');
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.text)).toEqual({
    status: 'degraded',
    checks: { database: 'ok', temporal: 'ok', calendar: 'official holiday data ends 2026-12-31 (34 days left): import the next State Council notice' },
  });
  const metrics = (await get('/metrics')).text;
  expect(metrics).toContain(`casework_calendar_official_days_left{official_through="2026-12-31",calendar_version="${store.snapshot().version}"} 34`);
  expect(metrics).toMatch(/^casework_calendar_coverage_degraded 1$/m);
  const warnings = logs.filter((l) => l.msg?.startsWith('calendar: the official holiday data ends soon'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ level: 40 /* pino: warn */, officialThrough: '2026-12-31', daysLeft: 34, warningDays: 60 });
  // New cases get 2027 as provisional holidays (the statutory days): 5 Feb 2027 (除夕) is off, 9 Feb is not.
  const cal = api.deps.currentPolicy().calendar;
  expect(cal.provisionalYears).toContain(2027);
  expect([isWorkingDay(cal, '2027-02-05'), isWorkingDay(cal, '2027-02-09')]).toEqual([false, true]);
});

test('import refuses an invalid notice and stores nothing; --dry-run checks only', async () => {
  const bad = await calendar('import', fixture('invalid-2027.json'));
  expect(bad.code).toBe(1);
  expect(bad.out[0]).toMatchObject({ ok: false, problems: [{ year: 2027, problems: expect.arrayContaining(['2027-01-01 is both a holiday and a make-up workday']) }] });
  expect(bad.err).toContain('[calendar] refused');
  const dry = await calendar('import', fixture('sample-2027.ics'), '--dry-run');
  expect(dry.code).toBe(0);
  expect(dry.out).toEqual([{ ok: true, dryRun: true, file: fixture('sample-2027.ics'), years: [{ year: 2027, version: expect.stringMatching(/^2027\.[0-9a-f]{12}$/) }] }]);
  expect(await db.calendarYear.count({ where: { year: 2027 } })).toBe(0);
});

test('import stores the notice under its version, once; the running API, list, show and resolveCalendar see it', async () => {
  const first = await calendar('import', fixture('sample-2027.ics'), '--by', 'ops-test');
  expect(first.code).toBe(0);
  expect(first.err).toMatch(/\[calendar\] 1\/1 2027: stored as version 2027\.[0-9a-f]{12}/);
  const { imported, calendarVersion } = first.out[0];
  expect(imported).toEqual([{ year: 2027, version: expect.stringMatching(/^2027\./), created: true }]);
  const again = await calendar('import', fixture('sample-2027.ics'));
  expect(again.out[0].imported).toEqual([{ ...imported[0], created: false }]);
  expect(again.out[0].calendarVersion).toBe(calendarVersion);
  const row = await db.calendarYear.findUniqueOrThrow({ where: { version: imported[0].version } });
  expect(row).toMatchObject({ year: 2027, holidays: SAMPLE_NOTICE_2027.holidays, makeUpWorkdays: SAMPLE_NOTICE_2027.makeUpWorkdays, importedBy: 'ops-test', source: expect.stringMatching(/^import:sample-2027\.ics#sha256:[0-9a-f]{16}$/) });

  // The running API, at its next refresh: ready, and new cases get the official 2027.
  await store.refresh();
  expect(store.snapshot().version).toBe(calendarVersion);
  expect(JSON.parse((await get('/readyz')).text)).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok', calendar: 'ok' } });
  expect((await get('/metrics')).text).toMatch(/^casework_calendar_coverage_degraded 0$/m);
  const cal = api.deps.currentPolicy().calendar;
  expect(cal.officialYears).toContain(2027);
  expect(cal.version).toBe(calendarVersion);
  expect(isWorkingDay(cal, '2027-02-12')).toBe(false);
  expect(isWorkingDay(cal, '2027-02-20')).toBe(true); // a make-up Saturday

  const list = await calendar('list');
  expect(list.out.find((y) => y.year === 2027)).toEqual({ year: 2027, status: 'official', source: row.source, version: row.version, importedAt: row.importedAt.toISOString(), holidays: 33, makeUpWorkdays: 5 });
  expect(list.out.find((y) => y.year === 2026)).toMatchObject({ status: 'official', source: expect.stringMatching(/^chinese-days@/) });
  expect(list.out.find((y) => y.year === 2028)).toMatchObject({ status: 'provisional', source: 'statutory-rule', makeUpWorkdays: 0 });
  const show = await calendar('show', '2027');
  expect(show.out[0]).toMatchObject({ year: 2027, status: 'official', version: row.version, holidays: SAMPLE_NOTICE_2027.holidays, makeUpWorkdays: SAMPLE_NOTICE_2027.makeUpWorkdays });

  // What a running case reads at its next working-time deadline.
  const read = await calendarActivities({ db, logger: createLogger('test', 'silent') }).resolveCalendar({ caseId: 'case-x', years: [2027, 2028] });
  expect(read.version).toBe(calendarVersion);
  expect(read.years.map((y) => [y.year, y.status, y.makeUpWorkdays.length])).toEqual([[2027, 'official', 5], [2028, 'provisional', 0]]);
});

test('usage errors exit 2', async () => {
  expect((await calendar('frobnicate')).code).toBe(2);
  expect((await calendar('import')).code).toBe(2);
});
