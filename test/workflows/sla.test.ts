// The SLA clock on the time-skipping server: reminder, escalation, default decision, pause/resume.
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { addWorkingTime, workingTimeBetween } from '../../policy/businessCalendar';
import { defaultPolicy } from '../../processes/policyDocument';
import type { SlaPolicy } from '../../policy/schemas';
import { deadlineFrom } from '../../policy/durations';
import { createTimeSkippingEnv } from '../../scripts/harness/timeSkipping';
import { doneSignal, pauseSignal, probeQuery, resumeSignal, slaProbe } from './probes/slaProbe';

const HOUR = 3_600_000;
const calendar = defaultPolicy.calendar;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'sla-probe';
let n = 0;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('./probes/slaProbe') });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const start = (policy: SlaPolicy) => env.client.workflow.start(slaProbe, { taskQueue, workflowId: `sla-${++n}-${Date.now()}`, args: [policy, calendar] });
const ms = (iso: string) => new Date(iso).getTime();

/**
 * Only an observed firing time has a tolerance: a timer fires at its deadline and the workflow sees it at
 * its next task (ms later, more on a loaded machine). Every computed deadline below is compared exactly.
 */
function expectObservedAt(atMs: number, due: number) {
  expect(atMs - due).toBeGreaterThanOrEqual(0);
  expect(atMs - due).toBeLessThan(60_000);
}
function expectFiredAt(entry: string, due: number) {
  expectObservedAt(ms(entry.split('@')[1].split(' ')[0]), due);
}

/** The deadline the calendar gives for `policy` from `from` (business or calendar time). */
const deadline = (from: string | number, policy: SlaPolicy) => deadlineFrom(new Date(from), policy.within, calendar).toISOString();

/**
 * The workflow time at which each `name` signal was handled, from the history: the start of the first
 * workflow task after the signal (the workflow's clock in that task), so pause and resume instants are exact.
 */
async function signalHandledAt(h: WorkflowHandle, name: string): Promise<number[]> {
  const events = (await h.fetchHistory()).events ?? [];
  return events.flatMap((e, i) => {
    if (e.workflowExecutionSignaledEventAttributes?.signalName !== name) return [];
    const task = events.slice(i + 1).find((x) => x.workflowTaskStartedEventAttributes);
    if (!task) throw new Error(`no workflow task after signal ${name}`);
    return [tsToMs(task.eventTime)];
  });
}

test('default decision: reminder at the configured fraction, then breached at the deadline', async () => {
  const policy: SlaPolicy = { within: { amount: 10, unit: 'hours' }, remindAt: 0.25, onBreach: 'default-decision' };
  const h = await start(policy);
  const { result, log } = await h.result();
  expect(result.outcome).toBe('breached');
  const started = ms(result.facts.startedAt);
  expect(result.facts.dueAt).toBe(deadline(started, policy));
  expect(log).toHaveLength(1);
  expectFiredAt(log[0], ms(deadline(started, { ...policy, within: { amount: 2.5, unit: 'hours' } })));
  expectObservedAt(ms(result.facts.breachedAt!), ms(result.facts.dueAt));
});

test('escalation: at the deadline the hook runs once and the wait goes on until done', async () => {
  const policy: SlaPolicy = { within: { amount: 4, unit: 'hours' }, onBreach: 'notify' };
  const h = await start(policy);
  await env.sleep('5 hours');
  const mid = await h.query(probeQuery);
  expect(mid.facts.outcome).toBe('breached');
  expect(mid.facts.dueAt).toBe(deadline(mid.facts.startedAt, policy));
  expect(mid.log).toHaveLength(1);
  expect(mid.log[0]).toMatch(/^escalate:notify@/);
  expectFiredAt(mid.log[0], ms(mid.facts.dueAt));
  await h.signal(doneSignal);
  const { result } = await h.result();
  expect(result.outcome).toBe('met_after_breach');
  expect(result.facts.metAt).toBeDefined();
});

test('met in time: no reminder or escalation after completion', async () => {
  const h = await start({ within: { amount: 4, unit: 'hours' }, remindAt: 0.5, onBreach: 'notify' });
  await env.sleep('1 hour');
  await h.signal(doneSignal);
  const { result, log } = await h.result();
  expect(result.outcome).toBe('met');
  expect(log).toEqual([]);
});

test('pause and resume (calendar time): paused time does not count; the deadline moves by exactly the pause', async () => {
  const policy: SlaPolicy = { within: { amount: 48, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' };
  const h = await start(policy);
  const first = await h.query(probeQuery);
  expect(first.facts.dueAt).toBe(deadline(first.facts.startedAt, policy));
  const originalDue = ms(first.facts.dueAt);
  await env.sleep('10 hours');
  await h.signal(pauseSignal);
  await env.sleep('30 hours'); // the customer takes 30 hours to answer; nothing fires meanwhile
  expect((await h.query(probeQuery)).log).toEqual([]);
  await h.signal(resumeSignal);
  const { result, log } = await h.result();
  expect(result.outcome).toBe('breached');
  const [pausedAt] = await signalHandledAt(h, 'pause');
  const [resumedAt] = await signalHandledAt(h, 'resume');
  const pausedMs = result.facts.pausedMs;
  expect(pausedMs).toBe(resumedAt - pausedAt);
  expect(pausedMs).toBeGreaterThanOrEqual(30 * HOUR); // the test slept 30 h between the signals
  // Calendar time: what remained at the pause runs on from the resume.
  expect(result.facts.dueAt).toBe(new Date(resumedAt + (originalDue - pausedAt)).toISOString());
  expect(ms(result.facts.dueAt)).toBe(originalDue + pausedMs);
  expect(log.filter((l) => l.startsWith('reminder'))).toHaveLength(1);
  expectFiredAt(log.find((l) => l.startsWith('reminder'))!, ms(first.facts.startedAt) + 24 * HOUR + pausedMs);
});

test('pause and resume (working hours): the remaining working time is kept across the pause', async () => {
  const policy: SlaPolicy = { within: { amount: 2, unit: 'working-hours' }, onBreach: 'default-decision' };
  const h = await start(policy);
  const first = await h.query(probeQuery);
  expect(first.facts.dueAt).toBe(deadline(first.facts.startedAt, policy));
  await h.signal(pauseSignal);
  await env.sleep('3 days');
  await h.signal(resumeSignal);
  const { result, log } = await h.result();
  const [pausedAt] = await signalHandledAt(h, 'pause');
  const [resumedAt] = await signalHandledAt(h, 'resume');
  expect(result.facts.pausedMs).toBe(resumedAt - pausedAt);
  // Whatever working time remained at the pause is added, on the business calendar, from the resume instant.
  const remaining = workingTimeBetween(calendar, new Date(pausedAt), new Date(first.facts.dueAt));
  expect(remaining).toBeLessThanOrEqual(2 * HOUR);
  const expected = addWorkingTime(calendar, new Date(resumedAt), remaining).toISOString();
  expect(result.facts.dueAt).toBe(expected);
  expect(log).toContain(`moved due=${expected}`);
  expect(ms(result.facts.dueAt)).toBeGreaterThan(ms(first.facts.dueAt));
});
