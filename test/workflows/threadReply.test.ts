// A case waiting on its thread (CaseKit awaitThreadReply) on the time-skipping server, with the case's writes on
// PostgreSQL: the merchant's reply ends the wait (the customer's own message does not), and silence lapses at the
// working-hours deadline the case shows.
import crypto from 'node:crypto';
import type { SlaPolicy } from '../../policy/schemas';
import { testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { threadMessageSignal } from '../../workflows/definitions';
import { threadReplyProbe, type ThreadReplyInput } from './probes/threadReply';
import { probeWorker } from '../helpers/probeWorker';

const probe = probeWorker('thread-reply', require.resolve('./probes/threadReply'));
const { taskQueue } = probe;

async function start(sla: SlaPolicy, bound?: ThreadReplyInput['bound']) {
  const caseId = `THR-${crypto.randomUUID()}`;
  await probe.db.case.create({ data: { id: caseId, type: 'thread_reply_probe', status: 'open', step: 'opened', customerId: 'cust-thread', policyVersion: 'test', workflowId: caseId, summary: {}, openedBy: 'principal-storefront' } });
  const input: ThreadReplyInput = { caseId, openedBy: 'principal-storefront', policy: testPolicy(), sla, ...(bound && { bound }) };
  const h = await probe.env.client.workflow.start(threadReplyProbe, { taskQueue, workflowId: caseId, args: [input] });
  await waitForState(h, (s) => s.step === 'awaiting_merchant_reply' && !!s.deadlines.merchantReply, 'waiting for the merchant');
  return { caseId, h };
}
const events = async (caseId: string) => (await probe.db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } })).map((e) => [e.type, e.payload]);

test("the merchant's reply ends the wait; the customer's own message does not", async () => {
  const { caseId, h } = await start({ within: { amount: 8, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'default-decision' });
  await h.signal(threadMessageSignal, { messageId: 'msg_customer', party: 'customer', at: new Date().toISOString() });
  await h.signal(threadMessageSignal, { messageId: 'msg_merchant', party: 'merchant', at: new Date().toISOString() });
  expect(await h.result()).toEqual({ messageId: 'msg_merchant', outcome: 'met' });
  expect(await events(caseId)).toContainEqual(['thread.reply_received', { messageId: 'msg_merchant', party: 'merchant', sla: 'met' }]);
  expect((await probe.db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('answered');
});

test('silence lapses at the working-hours deadline the case showed', async () => {
  const { caseId, h } = await start({ within: { amount: 8, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'default-decision' });
  const row = await probe.db.case.findUniqueOrThrow({ where: { id: caseId } });
  const dueAt = (row.deadlines as Record<string, string>).merchantReply;
  expect(new Date(dueAt).getTime()).toBeGreaterThan(Date.now());
  expect(await h.result()).toEqual({ messageId: null, outcome: 'breached' });
  expect(await events(caseId)).toContainEqual(['thread.reply_lapsed', { party: 'merchant', sla: 'breached' }]);
  expect((await probe.db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('lapsed');
});

test('a wait that spans runs: the case continues as new while it waits, and the reply in the next run ends the wait under the same clock', async () => {
  const { caseId, h } = await start({ within: { amount: 8, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'default-decision' }, { events: 30 });
  const dueAt = ((await probe.db.case.findUniqueOrThrow({ where: { id: caseId } })).deadlines as Record<string, string>).merchantReply;
  const current = probe.env.client.workflow.getHandle(caseId);
  const firstRun = (await current.describe()).runId;
  // The customer's messages do not end the merchant's wait; they grow the history until the run switches.
  for (let i = 0; i < 100 && (await current.describe()).runId === firstRun; i++) {
    await current.signal(threadMessageSignal, { messageId: `msg_customer_${i}`, party: 'customer', at: new Date().toISOString() });
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await current.describe()).runId).not.toBe(firstRun);
  await waitForState(current, (s) => s.step === 'awaiting_merchant_reply' && s.deadlines.merchantReply === dueAt, 'the next run waiting under the carried clock');
  await current.signal(threadMessageSignal, { messageId: 'msg_merchant', party: 'merchant', at: new Date().toISOString() });
  expect(await current.result()).toEqual({ messageId: 'msg_merchant', outcome: 'met' });
  const trail = await events(caseId);
  expect(trail.map(([type]) => type)).toContain('case.run_continued');
  expect(trail).toContainEqual(['thread.reply_received', { messageId: 'msg_merchant', party: 'merchant', sla: 'met' }]);
});
