// Running cases and holiday-data imports (workflows/caseKit.ts, patch calendar-years-read), on the time-skipping
// server: a repair opened on the eve of the 2027 Spring Festival before the 2027 notice is imported, and one opened
// after. Deadlines are exact; both histories replay.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { addWorkingDays, addWorkingHours } from '../../policy/businessCalendar';
import { caseStateQuery, type CaseView } from '../../workflows/definitions';
import { CALENDAR_SCENARIO_START, calendarAt, runCalendarRepair } from '../../scripts/scenarios/warrantyRepair.calendar';
import { createTimeSkippingEnv, openTaskOf, workflowBundle } from '../../scripts/harness/timeSkipping';
import { packagedHolidayYears } from '../../policy/nationalHolidays';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';

// A server of its own per test: each case starts on the eve of the 2027 Spring Festival, and a finished repair leaves
// the server's clock far past it.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const provisional = calendarAt(new Date(CALENDAR_SCENARIO_START), false);
const official = calendarAt(new Date(CALENDAR_SCENARIO_START), true);
const sla = (v: CaseView, name: string) => v.slas.filter((s) => s.name === name).at(-1)!;

async function replay(h: WorkflowHandle): Promise<void> {
  const history = await h.fetchHistory();
  const bundle = workflowBundle();
  await Worker.runReplayHistory(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }, history, h.workflowId);
}

test('the calendars: 2027 provisional (5-8 Feb off) before the import, official (5-13 Feb off) after', () => {
  expect(provisional.provisionalYears).toContain(2027);
  expect(official.officialYears).toContain(2027);
  expect(provisional.holidays.filter((d) => d.startsWith('2027-02'))).toEqual(['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08']);
  expect(official.holidays.filter((d) => d.startsWith('2027-02'))).toHaveLength(9);
});

test('a case opened before the import: a provisional deadline flagged and kept; the next step reads the notice', async () => {
  const seen: Record<string, CaseView> = {};
  let handle!: WorkflowHandle;
  let reads: any[] = [];
  let events: any[] = [];
  await runCalendarRepair(
    { env, taskQueue: 'calendar-before', workflowId: `cal-before-${Date.now()}` },
    {
      importedAtStart: false,
      onStep: async (step, h, fakes) => {
        handle = h;
        seen[step] = await h.query(caseStateQuery);
        reads = fakes.fake.of('resolveCalendar');
        events = fakes.fake.calls.filter((c) => c.name === 'recordCaseEvent').map((c) => c.input);
      },
    },
  );
  // First response (policy 7.1: 2 working hours) from Thursday 17:00: one hour that day, then the next working day
  // of the provisional year, Tuesday 9 Feb (除夕 to 初三 off, 放假办法 art. 2): 10:00.
  const first = sla(seen.first_response, 'firstResponse');
  expect(first.dueAt).toBe(addWorkingHours(provisional, new Date(first.startedAt), 2).toISOString());
  expect(first.dueAt.slice(0, 16)).toBe('2027-02-09T02:00');
  expect(first.calendar).toEqual({ provisional: true, version: provisional.version, provisionalYears: [2027], uncoveredYears: [] });
  expect(openTaskOf(seen.first_response, 'repair.first_response')!.dueAt).toBe(first.dueAt);
  const flagged = events.filter((e) => e.type === 'sla.deadline_provisional');
  expect(flagged).toEqual([expect.objectContaining({ payload: { sla: 'firstResponse', dueAt: first.dueAt, calendarVersion: provisional.version, provisionalYears: [2027], uncoveredYears: [] } })]);

  // The receipt (1 working day), after the import: read through resolveCalendar, on the official year: the break
  // runs to Saturday 13 Feb, so the day ends Monday 15 Feb 17:00, not Tuesday 9 Feb.
  expect(reads.map((r) => r.years)).toEqual([[2027, 2028], [2027, 2028]]);
  const receipt = sla(seen.confirm_receipt, 'receipt');
  expect(receipt.dueAt).toBe(addWorkingDays(official, new Date(receipt.startedAt), 1).toISOString());
  expect(receipt.dueAt.slice(0, 16)).toBe('2027-02-15T09:00');
  expect(receipt.calendar).toBeUndefined();
  // The first response's deadline, already running when the notice came, was not moved.
  expect(sla(seen.confirm_receipt, 'firstResponse').dueAt).toBe(first.dueAt);
  expect(events.filter((e) => e.type === 'sla.deadline_provisional')).toHaveLength(1);

  await replay(handle);
});

test('a case opened after the import carries the official year: no read, no flag', async () => {
  const seen: Record<string, CaseView> = {};
  let handle!: WorkflowHandle;
  let reads: any[] = [];
  let events: any[] = [];
  await runCalendarRepair(
    { env, taskQueue: 'calendar-after', workflowId: `cal-after-${Date.now()}` },
    {
      importedAtStart: true,
      onStep: async (step, h, fakes) => {
        handle = h;
        seen[step] = await h.query(caseStateQuery);
        reads = fakes.fake.of('resolveCalendar');
        events = fakes.fake.calls.filter((c) => c.name === 'recordCaseEvent').map((c) => c.input.type);
      },
    },
  );
  const first = sla(seen.first_response, 'firstResponse');
  expect(first.dueAt).toBe(addWorkingHours(official, new Date(first.startedAt), 2).toISOString());
  expect(first.calendar).toBeUndefined();
  const receipt = sla(seen.confirm_receipt, 'receipt');
  expect(receipt.dueAt).toBe(addWorkingDays(official, new Date(receipt.startedAt), 1).toISOString());
  expect(reads).toEqual([]);
  expect(events).not.toContain('sla.deadline_provisional');

  await replay(handle);
});

test('a case opened before calendars carried their years (the 2026 list only) reads 2027 at its next working-time deadline', async () => {
  const { holidays, makeUpWorkdays } = packagedHolidayYears().get(2026)!;
  const legacy = { timeZone: 'Asia/Shanghai', workdayStart: '09:00', workdayEnd: '18:00', workingWeekdays: [1, 2, 3, 4, 5], holidays, makeUpWorkdays };
  const seen: Record<string, CaseView> = {};
  let reads: any[] = [];
  let handle!: WorkflowHandle;
  await runCalendarRepair(
    { env, taskQueue: 'calendar-legacy', workflowId: `cal-legacy-${Date.now()}` },
    {
      importedAtStart: true,
      calendar: legacy,
      startAt: Date.parse('2027-04-30T09:00:00.000Z'), // Friday 17:00 before the Labour Day break
      onStep: async (step, h, fakes) => {
        handle = h;
        seen[step] = await h.query(caseStateQuery);
        reads = fakes.fake.of('resolveCalendar');
      },
    },
  );
  // Without the read, 2027 would have no holidays at all (Monday 3 May 10:00); with it, the imported notice: the
  // break runs 1-5 May, so Thursday 6 May 10:00.
  expect(reads[0].years).toEqual([2027, 2028]);
  const first = sla(seen.first_response, 'firstResponse');
  expect(first.dueAt).toBe(addWorkingHours(official, new Date(first.startedAt), 2).toISOString());
  expect(first.dueAt.slice(0, 16)).toBe('2027-05-06T02:00');
  expect(first.calendar).toBeUndefined();
  await replay(handle);
});
