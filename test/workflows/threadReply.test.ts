// A case waiting on its thread (CaseKit awaitThreadReply) on the time-skipping server, with the case's writes on
// PostgreSQL: the merchant's reply ends the wait (the customer's own message does not), and silence lapses at the
// working-hours deadline the case shows.
import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { applyWritesIn } from '../../activities/caseWrites';
import type { CaseActivities } from '../../activities/types';
import { createDb, withPgTransaction, type Db } from '../../lib/db';
import type { SlaPolicy } from '../../policy/schemas';
import { createTimeSkippingEnv, testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { threadMessageSignal } from '../../workflows/definitions';
import { requireEnv } from '../helpers/env';
import { threadReplyProbe, type ThreadReplyInput } from './probes/threadReply';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let db: Db;
const taskQueue = 'thread-reply';
const caseWrites: Pick<CaseActivities, 'applyCaseWrites'> = {
  applyCaseWrites: async (input) => {
    await withPgTransaction(db, (client) => applyWritesIn(client, input.caseId, input.writes, null));
  },
};

beforeAll(async () => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 4 });
  env = await createTimeSkippingEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('./probes/threadReply'), activities: caseWrites });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.$disconnect();
});

async function start(sla: SlaPolicy) {
  const caseId = `THR-${crypto.randomUUID()}`;
  await db.case.create({ data: { id: caseId, type: 'thread_reply_probe', status: 'open', step: 'opened', customerId: 'cust-thread', policyVersion: 'test', workflowId: caseId, summary: {}, openedBy: 'principal-storefront' } });
  const input: ThreadReplyInput = { caseId, openedBy: 'principal-storefront', policy: testPolicy(), sla };
  const h = await env.client.workflow.start(threadReplyProbe, { taskQueue, workflowId: caseId, args: [input] });
  await waitForState(h, (s) => s.step === 'awaiting_merchant_reply' && !!s.deadlines.merchantReply, 'waiting for the merchant');
  return { caseId, h };
}
const events = async (caseId: string) => (await db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } })).map((e) => [e.type, e.payload]);

test("the merchant's reply ends the wait; the customer's own message does not", async () => {
  const { caseId, h } = await start({ within: { amount: 8, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'default-decision' });
  await h.signal(threadMessageSignal, { messageId: 'msg_customer', party: 'customer', at: new Date().toISOString() });
  await h.signal(threadMessageSignal, { messageId: 'msg_merchant', party: 'merchant', at: new Date().toISOString() });
  expect(await h.result()).toEqual({ messageId: 'msg_merchant', outcome: 'met' });
  expect(await events(caseId)).toContainEqual(['thread.reply_received', { messageId: 'msg_merchant', party: 'merchant', sla: 'met' }]);
  expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('answered');
});

test('silence lapses at the working-hours deadline the case showed', async () => {
  const { caseId, h } = await start({ within: { amount: 8, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'default-decision' });
  const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
  const dueAt = (row.deadlines as Record<string, string>).merchantReply;
  expect(new Date(dueAt).getTime()).toBeGreaterThan(Date.now());
  expect(await h.result()).toEqual({ messageId: null, outcome: 'breached' });
  expect(await events(caseId)).toContainEqual(['thread.reply_lapsed', { party: 'merchant', sla: 'breached' }]);
  expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('lapsed');
});
