// Bounded case steps (patch local-steps-bounded, CaseKit.local): a step whose local activity fails longer than its bound
// (LOCAL_STEP_BOUND: the database refusing every connection, say) fails the workflow task, not the case; the history
// does not grow while it fails (no backoff timers, no failure markers, no heartbeats: one failed task, its retries
// transient); once the step goes through, the case goes on, its writes landed once, and its history replays.
// On the suite's dev server: a workflow task's failure, timeout and retries are the real server's (the time-skipping
// server's clock and its handling of an update across a failed task are not).
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CaseWritesInput } from '../../activities/types';
import { registerSearchAttributes } from '../../lib/temporal';
import { createFakeActivities } from '../../scripts/harness/fakeActivities';
import { openTaskOf, testPolicy, waitForState, workflowBundle } from '../../scripts/harness/timeSkipping';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';
import { LOCAL_STEP_BOUND } from '../../workflows/caseKit';
import { caseStateQuery, completeTaskUpdate, type Actor, type CaseView } from '../../workflows/definitions';
import { LOCAL_STEPS_BOUNDED_PATCH } from '../../workflows/patches';
import { returnWithin7Days, type ReturnCaseInput } from '../../workflows/returnWithin7Days';
import { requireEnv } from '../helpers/env';
import { fromUpdateFailure } from '../../lib/errors';

const merchant: Actor = { id: 'prn_bound_merchant', role: 'merchant', merchantId: 'merchant-bound' };
const taskQueue = `local-steps-bounded-${crypto.randomUUID()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let client: Client;
let worker: Worker;
let running: Promise<void>;
const fake = createFakeActivities();
/** While set, every batch of a case's writes fails as a stopped PostgreSQL makes it fail: at once, retryably. */
let databaseDown = false;
let batchAttempts = 0;

beforeAll(async () => {
  const address = requireEnv('TEMPORAL_TEST_ADDRESS');
  const connection = await Connection.connect({ address });
  await registerSearchAttributes(connection, 'default');
  client = new Client({ connection });
  const bundle = workflowBundle();
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    activities: {
      ...fake.activities,
      async applyCaseWrites(input: CaseWritesInput) {
        batchAttempts++;
        if (databaseDown) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        return fake.activities.applyCaseWrites(input);
      },
    },
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }),
  });
  running = worker.run();
});

afterEach(() => {
  databaseDown = false;
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await client?.connection.close();
});

function input(caseId: string): ReturnCaseInput {
  const now = Date.now();
  return {
    caseId,
    policy: testPolicy(),
    openedBy: 'prn_bound_storefront',
    order: { orderId: 'ORD-BOUND', lineItemId: 'LI-1', category: 'apparel', amountMinor: 19900, currency: 'CNY', customerId: 'cust-bound', merchantId: merchant.merchantId!, deliveredAt: new Date(now - 86_400_000).toISOString() },
    requestType: 'return_and_refund',
    reasonCode: 'no_reason',
    requestedAt: new Date(now).toISOString(),
  };
}

/** The case's history events after the first `from`, by kind (e.g. workflowTaskFailed). */
async function eventsSince(caseId: string, from: number) {
  const events = ((await client.workflow.getHandle(caseId).fetchHistory()).events ?? []).slice(from);
  return events.map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes'))!.replace('EventAttributes', ''));
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** The patch ids a history recorded (its core_patch markers). */
function patchesOf(events: { markerRecordedEventAttributes?: { markerName?: string | null; details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null } | null }[]): string[] {
  return events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => JSON.parse(Buffer.from(m!.details!['patch-data'].payloads![0].data!).toString('utf8')).id);
}

async function replays(caseId: string): Promise<void> {
  const bundle = workflowBundle();
  await Worker.runReplayHistory(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }, await client.workflow.getHandle(caseId).fetchHistory(), caseId);
}

const BOUND_FAILURE = /case step applyCaseWrites did not complete within 3 attempts and 3 seconds \(.*ECONNREFUSED/;

test("a step of the case's own flow failing past its bound fails the workflow task, retried, not the case; the history stays as it was; the case goes on once the step goes through", async () => {
  const caseId = `RET-BOUND-${crypto.randomUUID().slice(0, 8)}`;
  // The database is away when the case opens: its first step (case.opened and the review task) cannot land.
  databaseDown = true;
  const attemptsBefore = batchAttempts;
  const handle = await client.workflow.start(returnWithin7Days, { taskQueue, workflowId: caseId, args: [input(caseId)] });
  // The task fails after its step's attempts, is retried at once, then after each task timeout (10 s).
  await sleep(28_000);
  const d = await handle.describe();
  expect(d.status.name).toBe('RUNNING');
  expect(d.raw.pendingWorkflowTask?.attempt ?? 0).toBeGreaterThanOrEqual(3);
  expect(batchAttempts - attemptsBefore).toBeGreaterThanOrEqual(3 * LOCAL_STEP_BOUND.maximumAttempts);
  // In the history: the start and the first failed task only (its retries are transient: the one running now is shown
  // at the end); no timer, marker or heartbeat.
  const during = await eventsSince(caseId, 0);
  expect(during.slice(0, 4)).toEqual(['workflowExecutionStarted', 'workflowTaskScheduled', 'workflowTaskStarted', 'workflowTaskFailed']);
  expect(during.slice(4).filter((k) => k !== 'workflowTaskScheduled' && k !== 'workflowTaskStarted')).toEqual([]);
  expect(during.length).toBeLessThanOrEqual(6);
  const failed = ((await handle.fetchHistory()).events ?? []).find((e) => e.workflowTaskFailedEventAttributes)!.workflowTaskFailedEventAttributes!;
  expect(failed.failure?.message).toMatch(BOUND_FAILURE);

  // The database is back: the next attempt of the task runs the step; the case opens, once.
  databaseDown = false;
  const view = await until('the merchant review', async () => {
    const v = await handle.query(caseStateQuery);
    return openTaskOf(v, 'return.merchant_review') ? v : undefined;
  }, 90_000);
  expect(view.status).toBe('open');
  expect(fake.of('recordCaseEvent').filter((e) => e.caseId === caseId && e.type === 'case.opened')).toHaveLength(1);
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(1);
  expect(patchesOf(events as never)).toContain(LOCAL_STEPS_BOUNDED_PATCH);
  await replays(caseId);
  await handle.terminate('bounded steps: checked');
}, 180_000);

test('a human step sent while its batch cannot land is refused (the API answers 503 CASE_BUSY), changes nothing, and lands once when sent again', async () => {
  const caseId = `RET-BOUND-${crypto.randomUUID().slice(0, 8)}`;
  const handle = await client.workflow.start(returnWithin7Days, { taskQueue, workflowId: caseId, args: [input(caseId)] });
  const view = await waitForState(handle, (v) => !!openTaskOf(v, 'return.merchant_review'), 'merchant review');
  const taskId = openTaskOf(view, 'return.merchant_review')!.taskId;
  // The task row is written within the workflow task that opens the review, before that task's timers are recorded:
  // counted from once the case waits with no workflow task pending and its history no longer grows.
  const before = await until('the case waiting at merchant review', async () => {
    const a = await handle.describe();
    await sleep(500);
    const b = await handle.describe();
    return !b.raw.pendingWorkflowTask && a.historyLength === b.historyLength ? Number(b.historyLength) : undefined;
  }, 30_000);
  const approve = () => handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor: merchant, payload: { decision: 'approve' } }] });

  // The database goes away; the merchant approves: the approval's batch (the task's close, the decision) cannot land.
  databaseDown = true;
  const sentAt = Date.now();
  const refused = await approve().then(
    () => undefined,
    (err: Error) => err,
  );
  // The server refuses an update whose workflow task keeps failing: nothing of it was accepted.
  expect(refused).toBeDefined();
  expect(Date.now() - sentAt).toBeLessThan(30_000);
  const mapped = fromUpdateFailure(refused);
  expect([mapped?.status, mapped?.code]).toEqual([503, 'CASE_BUSY']);
  await sleep(12_000);
  const d = await handle.describe();
  expect(d.status.name).toBe('RUNNING');
  // The history: the update's failed tasks and the task that put the case back where it waited; nothing since.
  const during = await eventsSince(caseId, before);
  expect(during.filter((k) => ['timerStarted', 'markerRecorded', 'workflowExecutionUpdateAccepted'].includes(k))).toEqual([]);
  expect(during.length).toBeLessThanOrEqual(9);
  expect(Number((await handle.describe()).historyLength)).toBe(before + during.length);
  const still = await handle.query(caseStateQuery);
  expect([still.step, openTaskOf(still, 'return.merchant_review')?.taskId]).toEqual([view.step, taskId]);

  // The database is back: the approval sent again lands once and the case goes on.
  databaseDown = false;
  await approve();
  const after: CaseView = await until('the shipment step', async () => {
    const v = await handle.query(caseStateQuery);
    return v.step === 'awaiting_customer_shipment' ? v : undefined;
  }, 60_000);
  expect(after.status).toBe('open');
  expect(fake.of('closeTask').filter((c) => c.caseId === caseId && c.taskId === taskId)).toHaveLength(1);
  await replays(caseId);
  await handle.terminate('bounded steps: checked');
}, 180_000);
