// Two workers on one task queue, as a production topology runs them (each with its own pool, e-mail outbox
// dispatcher and case reconciler): nothing is sent twice, no case is started twice, and when one worker stops the other
// carries every case on.
import { Client } from '@temporalio/client';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let second: Awaited<ReturnType<TestSystem['startAnotherWorker']>>;
let client: Client;
beforeAll(async () => {
  sys = await startTestSystem({ reconciler: { boundMs: 0, everyMs: 3_600_000 } });
  second = await sys.startAnotherWorker();
  client = new Client({ connection: sys.connection });
});
afterAll(async () => {
  delete process.env.CASEWORK_FAULT_AFTER_OPENING_COMMIT;
  await sys?.stop();
});

const open = async () => {
  const r = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId!), headers: { 'Idempotency-Key': idem() } });
  expect(r.status).toBe(201);
  return r.body.caseId as string;
};
const stepOf = async (caseId: string) => (await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).step;
async function runsOf(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

test('cases opened while both run: every notice sent once (one mail per Message-ID), every case started once', async () => {
  const caseIds = await Promise.all(Array.from({ length: 12 }, open));
  for (const id of caseIds) await eventually(async () => ((await stepOf(id)) === 'merchant_review' || undefined), `${id} waiting for the merchant`);
  for (const id of caseIds) await mailsDelivered(sys, id);
  const sent = await sys.db.notification.findMany({ where: { caseId: { in: caseIds } }, select: { id: true, status: true, messageId: true } });
  expect(sent.length).toBeGreaterThanOrEqual(caseIds.length);
  expect(new Set(sent.map((n) => n.status))).toEqual(new Set(['sent']));
  const ids = new Set(sent.map((n) => n.messageId));
  const caught = sys.mail.messages.filter((m) => ids.has(m.messageId));
  expect(caught).toHaveLength(sent.length);
  expect(new Set(caught.map((m) => m.messageId)).size).toBe(sent.length);
  for (const id of caseIds) expect(await runsOf(id)).toBe(1);
});

test('cases a crash left without their workflow: both reconcilers run at once, each case is started exactly once', async () => {
  process.env.CASEWORK_FAULT_AFTER_OPENING_COMMIT = 'throw';
  const orphans: string[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const r = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId!), headers: { 'Idempotency-Key': idem() }, injectedFault: true });
      expect(r.status).toBe(500);
    }
  } finally {
    delete process.env.CASEWORK_FAULT_AFTER_OPENING_COMMIT;
  }
  orphans.push(...(await sys.db.case.findMany({ where: { taskQueue: sys.taskQueue, workflowStartedAt: null }, select: { id: true } })).map((c) => c.id));
  expect(orphans.length).toBeGreaterThanOrEqual(4);
  const started = new Map<string, number>();
  await eventually(async () => {
    const passes = await Promise.all([sys.reconciler.runOnce(), second.reconciler.runOnce()]);
    for (const p of passes) for (const c of p.cases) if (c.outcome === 'started') started.set(c.caseId, (started.get(c.caseId) ?? 0) + 1);
    return orphans.every((id) => started.has(id)) || undefined;
  }, 'every orphan started by one of the reconcilers');
  for (const id of orphans) expect(started.get(id)).toBe(1);
  for (const id of orphans) expect(await runsOf(id)).toBe(1);
});

test('one worker stops: the other carries the running cases and the new ones', async () => {
  const running = await open();
  await eventually(async () => ((await stepOf(running)) === 'merchant_review' || undefined), 'waiting for the merchant');
  sys.worker.shutdown();
  await eventually(async () => (sys.worker.getState() === 'STOPPED' || undefined), 'the first worker stopped');
  const task = await eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${running}&status=open`, { key: sys.keys.merchant.apiKey })).body?.tasks?.find((t: any) => t.type === 'return.merchant_review'), 'the review task');
  expect((await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } })).status).toBe(200);
  await eventually(async () => ((await stepOf(running)) === 'awaiting_customer_shipment' || undefined), 'the case moved on, on the second worker');
  const fresh = await open();
  await eventually(async () => ((await stepOf(fresh)) === 'merchant_review' || undefined), 'a new case on the second worker');
  await mailsDelivered(sys, fresh);
});
