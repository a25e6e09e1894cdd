// Cases longer than one run (CaseKit's continue-as-new) on the time-skipping server, with the real case writes on
// PostgreSQL: a case that continues as new five times with a task open across each boundary keeps one valid audit
// chain, its tasks complete in the run that is current, its deadlines stay right (remaining time, pause, escalation),
// and each run's history replays.
import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { registerSearchAttributes } from '../../lib/temporal';
import { applyWritesIn } from '../../activities/caseWrites';
import { verifyAuditChain } from '../../activities/audit';
import type { CaseActivities, CaseWrite } from '../../activities/types';
import { createDb, withPgTransaction, type Db } from '../../lib/db';
import { deadlineFrom } from '../../policy/durations';
import { everyRun } from '../../scripts/harness/runs';
import { createTimeSkippingEnv, executeUpdate, openTaskOf, testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { carrierDeliveredSignal, completeTaskUpdate, noticeDeliveredSignal, type Actor, type CaseView } from '../../workflows/definitions';
import { defineUpdate } from '@temporalio/workflow';
import { requireEnv } from '../helpers/env';
import { LONG_CASE_TYPE, REVIEW_SLA, heardQuery, longCase, runQuery, type LongCaseInput } from './probes/longCase';

const HOUR = 3_600_000;
const agent: Actor = { id: 'principal-agent-runs', role: 'agent' };
const probePath = require.resolve('./probes/longCase');
const noteUpdate = defineUpdate<{ step: string }, [{ actor: Actor; n: number }]>('note');
const pauseUpdate = defineUpdate<{ step: string }, [{ actor: Actor }]>('pauseReview');
const resumeUpdate = defineUpdate<{ step: string }, [{ actor: Actor }]>('resumeReview');

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let db: Db;
const taskQueue = 'case-runs';
/** A test's hook into the case's writes, run before each batch commits (inside the workflow task that sends it). */
let beforeBatch: ((writes: CaseWrite[]) => Promise<void>) | undefined;
/** The case's own writes as the worker runs them (applyCaseWrites on PostgreSQL); no other activity is called. */
const caseWrites: Pick<CaseActivities, 'applyCaseWrites'> = {
  applyCaseWrites: async (input) => {
    await beforeBatch?.(input.writes);
    await withPgTransaction(db, (client) => applyWritesIn(client, input.caseId, input.writes, null));
  },
};

beforeAll(async () => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 4 });
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: probePath, activities: caseWrites });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.$disconnect();
});

/** A case row for the probe's writes. */
async function caseRow(): Promise<string> {
  const caseId = `LONG-${crypto.randomUUID()}`;
  await db.case.create({
    data: { id: caseId, type: LONG_CASE_TYPE, status: 'open', step: 'opened', customerId: 'cust-runs', policyVersion: 'test', workflowId: caseId, summary: {}, openedBy: agent.id },
  });
  return caseId;
}

async function openCase(stages: number, bound: LongCaseInput['bound']) {
  const caseId = await caseRow();
  const input: LongCaseInput = { caseId, openedBy: agent.id, policy: testPolicy(), stages, bound };
  const handle = await env.client.workflow.start(longCase, { taskQueue, workflowId: caseId, args: [input] });
  return { input, handle };
}

/** The handle the API uses: by workflow id, no run id, so it always reaches the run that is current. */
const current = (caseId: string) => env.client.workflow.getHandle(caseId);
const runOf = async (caseId: string) => (await current(caseId).query(runQuery)).run;

/** Sends notes (each an update that writes an audit event) until the case has switched to run `next`. */
async function notesUntilRun(caseId: string, next: number, from: number): Promise<number> {
  let n = from;
  for (let i = 0; i < 40; i++) {
    if ((await runOf(caseId)) >= next) return n;
    await executeUpdate(current(caseId), noteUpdate, { args: [{ actor: agent, n: ++n }] });
  }
  throw new Error(`case ${caseId} did not reach run ${next}`);
}

const auditOf = (caseId: string) => db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } });
const keySeq = (key: string) => Number(key.slice(key.lastIndexOf(':') + 1));

async function landed(caseId: string, predicate: (events: Awaited<ReturnType<typeof auditOf>>) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate(await auditOf(caseId))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`audit trail of ${caseId} never matched`);
}

test('a case continues as new five times with a task open across each boundary: one chain, its tasks and deadlines carried, each run replays', async () => {
  const { input, handle } = await openCase(6, { events: 40 });
  const caseId = input.caseId;
  const taskIds: string[] = [];
  let notes = 0;
  let view: CaseView;

  for (let stage = 0; stage < 6; stage++) {
    const run = stage + 1;
    view = await waitForState(current(caseId), (v) => !!openTaskOf(v, 'review') && v.step === (stage === 0 ? 'opened' : `stage_${stage}`), `stage ${stage} task`);
    const task = openTaskOf(view, 'review')!;
    taskIds.push(task.taskId);
    const facts = () => view.slas.find((s) => s.name === 'review' && s.outcome !== 'met' && !s.metAt)!;
    expect(task.dueAt).toBe(deadlineFrom(new Date(facts().startedAt), REVIEW_SLA.within, input.policy.calendar).toISOString());

    if (stage === 1) await env.sleep(10 * HOUR); // part of the time runs in this run; the rest must carry
    if (stage === 2) await executeUpdate(current(caseId), pauseUpdate, { args: [{ actor: agent }] });
    if (stage === 3) await env.sleep(50 * HOUR); // past the deadline: reminded and escalated in this run, completed in the next
    view = await waitForState(current(caseId), () => true);
    const before = facts();
    if (stage === 3) expect(before).toMatchObject({ outcome: 'breached', remindedAt: expect.any(String), breachedAt: expect.any(String) });

    if (stage < 5) {
      notes = await notesUntilRun(caseId, run + 1, notes);
      view = await waitForState(current(caseId), (v) => v.tasks.some((t) => t.taskId === task.taskId), `run ${run + 1}`);
      // The open task is the same task, with the same deadline, in the new run (no second row, no second clock).
      const carried = view.tasks.find((t) => t.taskId === task.taskId)!;
      expect(carried.status).toBe('open');
      await landed(caseId, (es) => es.some((e) => e.type === 'case.run_continued' && (e.payload as { run: number }).run === run + 1));
      const after = view.slas.find((s) => s.name === 'review')!;
      if (stage === 2) {
        // Carried paused: no deadline on the case while paused; the paused time does not count.
        expect(after.dueAt).toBe(before.dueAt);
        expect(view.deadlines.review).toBeUndefined();
        await env.sleep(30 * HOUR);
        await executeUpdate(current(caseId), resumeUpdate, { args: [{ actor: agent }] });
        view = await waitForState(current(caseId), (v) => v.slas.some((s) => s.name === 'review' && s.pausedMs > 0), 'resumed');
        const resumed = view.slas.find((s) => s.name === 'review')!;
        expect(resumed.pausedMs).toBeGreaterThanOrEqual(30 * HOUR);
        expect(new Date(resumed.dueAt).getTime()).toBe(new Date(before.dueAt).getTime() + resumed.pausedMs);
        expect(view.deadlines.review).toBe(resumed.dueAt);
        expect(openTaskOf(view, 'review')!.dueAt).toBe(resumed.dueAt);
        // The moved deadline reaches the case row: its version (the carried sequence) is newer than the old run's.
        for (let i = 0; i < 100 && ((await db.case.findUniqueOrThrow({ where: { id: caseId } })).deadlines as Record<string, string>).review !== resumed.dueAt; i++) await new Promise((r) => setTimeout(r, 50));
        expect(((await db.case.findUniqueOrThrow({ where: { id: caseId } })).deadlines as Record<string, string>).review).toBe(resumed.dueAt);
      } else {
        expect(after).toEqual(before);
        expect(view.deadlines.review).toBe(before.dueAt);
        if (stage === 3) expect(after).toMatchObject({ outcome: 'breached', breachedAt: expect.any(String) });
        if (stage === 3) expect(carried.escalated).toBe(true);
        // The case row keeps the running deadline: the new run's writes pass the deadlines guard (versions go on).
        const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
        expect((row.deadlines as Record<string, string>).review).toBe(before.dueAt);
      }
    }
    // Completed through a handle without a run id, as the API sends it: the run that is current takes it.
    const done = await executeUpdate(current(caseId), completeTaskUpdate, { args: [{ taskId: task.taskId, actor: agent, payload: { ok: true } }] });
    expect(done).toMatchObject({ taskId: task.taskId, status: 'completed' });
  }
  expect(await handle.result()).toEqual({ stages: 6, run: 6 });

  // One audit chain, valid across the five boundaries; keys and task ids unique and monotonic.
  const events = await auditOf(caseId);
  await expect(verifyAuditChain(db, caseId)).resolves.toEqual({ caseId, events: events.length, valid: true });
  expect(events.filter((e) => e.type === 'case.run_continued').map((e) => (e.payload as { run: number }).run)).toEqual([2, 3, 4, 5, 6]);
  const seqs = events.map((e) => keySeq(e.eventKey));
  expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);
  expect(events.every((e) => e.eventKey.startsWith(`${caseId}:`))).toBe(true);
  expect(events.filter((e) => e.type === 'case.noted').map((e) => (e.payload as { n: number }).n)).toEqual(Array.from({ length: notes }, (_, i) => i + 1));
  expect(taskIds).toEqual([1, 2, 3, 4, 5, 6].map((n) => `${caseId}.t${n}`));
  const tasks = await db.task.findMany({ where: { caseId }, orderBy: { createdAt: 'asc' } });
  expect(tasks.map((t) => [t.id, t.status])).toEqual(taskIds.map((id) => [id, 'completed']));
  expect(events.filter((e) => e.type === 'stage.reviewed').map((e) => (e.payload as { sla: string }).sla)).toEqual(['met', 'met', 'met', 'breached', 'met', 'met']);
  // The escalated task (stage 3) was reminded and escalated once, in the run before the switch; not again after it.
  const t4 = `${caseId}.t4`;
  expect(events.filter((e) => (e.payload as { taskId?: string }).taskId === t4).map((e) => e.type)).toEqual(['task.created', 'sla.reminded', 'sla.breached', 'task.completed']);
  const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
  expect(row).toMatchObject({ status: 'closed', outcome: 'reviewed', deadlines: {} });
  expect(row.deadlinesVersion).toBeGreaterThanOrEqual(Math.max(...seqs));

  // Six runs, each of which replays against the code.
  const histories = await everyRun(env.client, caseId, handle.firstExecutionRunId);
  expect(histories).toHaveLength(6);
  // A type born with every CaseKit patch (bornWith) writes no patch marker, in its first run or any later one.
  const markers = histories.flatMap(({ history }) => (history.events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean));
  expect(markers.length).toBeGreaterThan(0);
  expect(markers.filter((m) => m !== 'core_local_activity')).toEqual([]);
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowsPath: probePath }, histories.map(({ runId, history }) => ({ workflowId: `${caseId}@${runId}`, history })))) results.push(r);
  expect(results.map((r) => r.error?.message ?? null)).toEqual(histories.map(() => null));
});

// Updates racing the switch need the real server's behaviour (the time-skipping test server loses updates that race a
// workflow task): this test runs on the suite's dev server, with a worker of its own.
test("what a case heard from outside goes with it into its next run: a notice's delivery receipt, a carrier's delivery event", async () => {
  const { input } = await openCase(1, { events: 40 });
  const caseId = input.caseId;
  await waitForState(current(caseId), (v) => !!openTaskOf(v, 'review'), 'review task');
  const noticeKey = `${caseId}:repair.decision:customer:cust-runs`;
  const at = '2026-12-01T08:30:00.000Z';
  const delivered = { source: 'carrier' as const, eventId: 'evt-runs-1', trackingNumber: 'SF1234567999', deliveredAt: at };
  await current(caseId).signal(noticeDeliveredSignal, { noticeKey, acceptedAt: at });
  await current(caseId).signal(carrierDeliveredSignal, delivered);
  const heard = { noticeAcceptedAt: at, delivery: { eventId: 'evt-runs-1', deliveredAt: at } };
  expect(await current(caseId).query(heardQuery, noticeKey, delivered.trackingNumber)).toEqual(heard);
  await notesUntilRun(caseId, 2, 0);
  expect(await current(caseId).query(heardQuery, noticeKey, delivered.trackingNumber)).toEqual(heard);
  expect(await current(caseId).query(heardQuery, 'another-notice', 'SF0000000000')).toEqual({ noticeAcceptedAt: null, delivery: null });
  await current(caseId).terminate('heard across runs: checked');
});

describe('on the dev server', () => {
  let client: Client;
  let devWorker: Worker;
  let devRunning: Promise<void>;
  const devQueue = `case-runs-${crypto.randomUUID()}`;
  beforeAll(async () => {
    const address = requireEnv('TEMPORAL_TEST_ADDRESS');
    const connection = await Connection.connect({ address });
    await registerSearchAttributes(connection, 'default');
    client = new Client({ connection });
    devWorker = await Worker.create({ connection: await NativeConnection.connect({ address }), taskQueue: devQueue, workflowsPath: probePath, activities: caseWrites });
    devRunning = devWorker.run();
  });
  afterAll(async () => {
    devWorker?.shutdown();
    await devRunning;
    await client?.connection.close();
  });

  test('updates sent while the case switches runs are not lost: each lands once, in the run that is current', async () => {
    const caseId = await caseRow();
    const input: LongCaseInput = { caseId, openedBy: agent.id, policy: testPolicy(), stages: 1, bound: { events: 20 } };
    const handle = await client.workflow.start(longCase, { taskQueue: devQueue, workflowId: caseId, args: [input] });
    const byId = () => client.workflow.getHandle(caseId);
    const run = async () => (await byId().query(runQuery)).run;
    await waitForState(byId(), (v) => !!openTaskOf(v, 'review'), 'task');
    // While each note's batch is being written (its workflow task open), a late note is sent; the batch that passes the
    // bound is in the workflow task that ends the run, so its late note arrives during the switch.
    const late: Promise<unknown>[] = [];
    beforeBatch = async (writes) => {
      const note = writes.find((w) => w.kind === 'recordCaseEvent' && w.input.type === 'case.noted');
      const n = (note?.input as { payload?: { n?: number } } | undefined)?.payload?.n;
      if (n === undefined || n >= 1000) return;
      late.push(byId().executeUpdate(noteUpdate, { args: [{ actor: agent, n: 1000 + n }] }));
      await new Promise((r) => setTimeout(r, 300)); // the server has taken the late update while the task is open
    };
    let n = 0;
    try {
      while ((await run()) < 2 && n < 40) await byId().executeUpdate(noteUpdate, { args: [{ actor: agent, n: ++n }] });
      const answers = await Promise.race([Promise.all(late), new Promise((_, reject) => setTimeout(() => reject(new Error('a late update was never answered')), 20_000))]);
      expect(answers).toEqual(late.map(() => ({ step: 'opened' })));
    } finally {
      beforeBatch = undefined;
    }
    expect(await run()).toBe(2);
    const view = await waitForState(byId(), (v) => !!openTaskOf(v, 'review'), 'task in the new run');
    await byId().executeUpdate(completeTaskUpdate, { args: [{ taskId: openTaskOf(view, 'review')!.taskId, actor: agent, payload: {} }] });
    await handle.result();
    const notes = (await auditOf(caseId)).filter((e) => e.type === 'case.noted').map((e) => e.payload as { n: number; run: number });
    const sent = Array.from({ length: n }, (_, i) => i + 1);
    expect(notes.map((x) => x.n).sort((a, b) => a - b)).toEqual([...sent, ...sent.map((x) => 1000 + x)]);
    // The late note of the batch that passed the bound was taken by the new run.
    expect(notes.find((x) => x.n === 1000 + n)).toMatchObject({ run: 2 });
    await expect(verifyAuditChain(db, caseId)).resolves.toMatchObject({ valid: true });
  });
});
