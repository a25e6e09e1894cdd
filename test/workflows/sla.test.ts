// The SLA clock on the time-skipping server: reminder, escalation, default decision, pause/resume.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { addWorkingHours } from '../../policy/businessCalendar';
import { defaultPolicy, type SlaPolicy } from '../../policy/config';
import { createTimeSkippingEnv } from '../helpers/timeSkipping';
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

function expectFiredAt(entry: string, due: number) {
  const at = ms(entry.split('@')[1].split(' ')[0]);
  expect(at - due).toBeGreaterThanOrEqual(0);
  expect(at - due).toBeLessThan(60_000); // observed at the next workflow task; a loaded machine adds latency
}

test('default decision: reminder at the configured fraction, then breached at the deadline', async () => {
  const h = await start({ within: { amount: 10, unit: 'hours' }, remindAt: 0.25, onBreach: 'default-decision' });
  const { result, log } = await h.result();
  expect(result.outcome).toBe('breached');
  const started = ms(result.facts.startedAt);
  expect(ms(result.facts.dueAt) - started).toBe(10 * HOUR);
  expect(log).toHaveLength(1);
  expectFiredAt(log[0], started + 2.5 * HOUR);
  expect(ms(result.facts.breachedAt!) - ms(result.facts.dueAt)).toBeLessThan(60_000);
});

test('escalation: at the deadline the hook runs once and the wait goes on until done', async () => {
  const h = await start({ within: { amount: 4, unit: 'hours' }, onBreach: 'notify' });
  await env.sleep('5 hours');
  const mid = await h.query(probeQuery);
  expect(mid.facts.outcome).toBe('breached');
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
  const h = await start({ within: { amount: 48, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' });
  const first = await h.query(probeQuery);
  const originalDue = ms(first.facts.dueAt);
  await env.sleep('10 hours');
  await h.signal(pauseSignal);
  await env.sleep('30 hours'); // the customer takes 30 hours to answer; nothing fires meanwhile
  expect((await h.query(probeQuery)).log).toEqual([]);
  await h.signal(resumeSignal);
  const { result, log } = await h.result();
  expect(result.outcome).toBe('breached');
  const pausedMs = result.facts.pausedMs;
  expect(pausedMs).toBeGreaterThanOrEqual(30 * HOUR);
  expect(pausedMs).toBeLessThan(30 * HOUR + 60_000);
  expect(ms(result.facts.dueAt)).toBe(originalDue + pausedMs);
  expect(log.filter((l) => l.startsWith('reminder'))).toHaveLength(1);
  expectFiredAt(log.find((l) => l.startsWith('reminder'))!, ms(first.facts.startedAt) + 24 * HOUR + pausedMs);
});

test('pause and resume (working hours): the remaining working time is kept across the pause', async () => {
  const h = await start({ within: { amount: 2, unit: 'working-hours' }, onBreach: 'default-decision' });
  const first = await h.query(probeQuery);
  await h.signal(pauseSignal);
  await env.sleep('3 days');
  await h.signal(resumeSignal);
  const { result } = await h.result();
  // Whatever remained at the pause is added, on the business calendar, from the resume instant.
  const resumedAt = ms(first.facts.startedAt) + result.facts.pausedMs;
  const remaining = 2 * HOUR; // paused at once: (almost) nothing was used
  const expected = addWorkingHours(calendar, new Date(resumedAt), remaining / HOUR).getTime();
  expect(Math.abs(ms(result.facts.dueAt) - expected)).toBeLessThan(60_000);
  expect(ms(result.facts.dueAt)).toBeGreaterThan(ms(first.facts.dueAt));
});
