// Complaints (policy 3.3, 7.4, chapter 8; 消法 art. 39) on the time-skipping server: every branch of the handling and
// the negotiation, each wait's lapse at its deadline with its outcome on the audit trail, the settlement's payment
// keyed once per accepted proposal.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cancelCaseUpdate, completeTaskUpdate, threadMessageSignal, type Actor } from '../../workflows/definitions';
import { complaint, confirmExecutionUpdate, proposeSettlementUpdate, rateComplaintUpdate, respondSettlementUpdate, type ComplaintCaseInput } from '../../workflows/complaint';
import { executeUpdate, openTaskOf, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';
import { complaintInput, complaintWorker } from '../../scripts/scenarios/complaint';

const agent: Actor = { id: 'principal-agent-1', role: 'agent' };
const supervisor: Actor = { id: 'principal-supervisor-1', role: 'supervisor' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };
const merchant: Actor = { id: 'principal-merchant-1', role: 'merchant', merchantId: 'merchant-fixture' };
const otherMerchant: Actor = { id: 'principal-merchant-2', role: 'merchant', merchantId: 'merchant-other' };

let env: TestWorkflowEnvironment;
let fakes: Awaited<ReturnType<typeof complaintWorker>>;
const taskQueue = 'complaints-test';
let n = 0;

useTimeSkippingWorker((e) => complaintWorker(e, taskQueue), (e, made) => {
  env = e;
  fakes = made;
});

const input = (over: Partial<ComplaintCaseInput> = {}) => complaintInput(`CMP-TS-${++n}-${Date.now()}`, over);
const start = (i: ComplaintCaseInput) => env.client.workflow.start(complaint, { taskQueue, workflowId: i.caseId, args: [i] });
type Handle = Awaited<ReturnType<typeof start>>;

const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const events = (caseId: string) => forCase(caseId, fakes.fake.of('recordCaseEvent'));
const event = (caseId: string, type: string) => events(caseId).find((e) => e.type === type);
const eventTypes = (caseId: string) => events(caseId).map((e) => e.type);
const notices = (caseId: string) => forCase(caseId, fakes.fake.of('notify')).map((e) => `${e.template}>${e.recipient.kind}`);
const paymentsOf = (caseId: string) => fakes.payments.filter((p) => p.caseId === caseId);

async function complete(h: Handle, type: string, payload: unknown, actor: Actor = agent) {
  const v = await waitForState(h, (s) => !!openTaskOf(s, type), `${type} task`);
  return executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
}
const atStep = (h: Handle, step: string) => waitForState(h, (s) => s.step === step, step);
const deadlineOf = async (h: Handle, name: string) => (await waitForState(h, (s) => !!s.deadlines[name], `deadline ${name}`)).deadlines[name]!;
/** Time runs past a deadline the case shows (the server skips while the test sleeps). */
async function sleepPast(due: string) {
  await env.sleep(Math.max(0, Date.parse(due) - (await env.currentTimeMs())) + 1_000);
}
/** An update the case refuses, with a message matching `re`. */
const refused = (p: Promise<unknown>, re: RegExp = /./) => expect(p).rejects.toMatchObject({ cause: { message: expect.stringMatching(re) } });
/** The lapse came from the deadline's own timer: never before it, within the minute after. */
function expectAt(actualIso: string, dueIso: string) {
  const late = new Date(actualIso).getTime() - new Date(dueIso).getTime();
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(60_000);
}

/** Reviewed complete, classified, the merchant replies in the thread: the negotiation is open. */
async function toNegotiation(h: Handle, classification = 'product_quality') {
  await complete(h, 'complaint.information_review', { outcome: 'complete' });
  await complete(h, 'complaint.preliminary_judgement', { classification });
  await atStep(h, 'merchant_reply');
  await h.signal(threadMessageSignal, { messageId: 'msg_m1', party: 'merchant', at: new Date().toISOString() });
  await atStep(h, 'negotiation');
}

test('a compensation proposed by the merchant and accepted is paid once under settlement:<caseId>:<n>, then rated', async () => {
  const i = input();
  const h = await start(i);
  await toNegotiation(h);
  // A party answers only the other party's proposal; an unknown proposal and another merchant are refused.
  await executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: merchant, terms: 'compensation', amount: '50.00' }] });
  await refused(executeUpdate(h, respondSettlementUpdate, { args: [{ actor: merchant, proposal: 1, decision: 'accept' }] }), /other party/);
  await refused(executeUpdate(h, respondSettlementUpdate, { args: [{ actor: storefront, proposal: 2, decision: 'accept' }] }), /not the one waiting/);
  await refused(executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: otherMerchant, terms: 'apology' }] }));
  await executeUpdate(h, respondSettlementUpdate, { args: [{ actor: storefront, proposal: 1, decision: 'accept' }] });
  // Accepted: a second answer is refused.
  await refused(executeUpdate(h, respondSettlementUpdate, { args: [{ actor: storefront, proposal: 1, decision: 'accept' }] }));
  await atStep(h, 'rating');
  await executeUpdate(h, rateComplaintUpdate, { args: [{ actor: storefront, rating: 4 }] });
  expect(await h.result()).toEqual({ outcome: 'settled', rating: 4 });
  expect(paymentsOf(i.caseId)).toEqual([expect.objectContaining({ proposal: 1, terms: 'compensation', amountMinor: 5000, currency: 'CNY', idempotencyKey: `settlement:${i.caseId}:1` })]);
  expect(eventTypes(i.caseId)).toEqual(
    expect.arrayContaining(['case.opened', 'complaint.information_reviewed', 'complaint.classified', 'thread.reply_received', 'complaint.settlement_proposed', 'complaint.settlement_accepted', 'complaint.settlement_paid', 'complaint.rated', 'case.closed']),
  );
  expect(notices(i.caseId)).toEqual(expect.arrayContaining(['complaint.received>customer', 'complaint.merchant_notified>merchant', 'complaint.settlement_proposed>customer', 'complaint.settlement_paid>customer', 'survey.requested>customer', 'complaint.closed.settled>customer']));
});

test('an incomplete complaint: the complainant answers in the thread, the review comes again; then it is withdrawn', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'complaint.information_review', { outcome: 'incomplete', missing: ['evidence', 'order_reference'] });
  await atStep(h, 'awaiting_information');
  expect(notices(i.caseId)).toContain('complaint.information_requested>customer');
  // The merchant's message does not answer the question; the complainant's does.
  await h.signal(threadMessageSignal, { messageId: 'msg_m', party: 'merchant', at: new Date().toISOString() });
  await h.signal(threadMessageSignal, { messageId: 'msg_c', party: 'customer', at: new Date().toISOString() });
  await complete(h, 'complaint.information_review', { outcome: 'complete' });
  await waitForState(h, (s) => !!openTaskOf(s, 'complaint.preliminary_judgement'), 'judgement');
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
  expect(event(i.caseId, 'thread.reply_received').payload).toMatchObject({ messageId: 'msg_c', party: 'customer' });
  expect(events(i.caseId).filter((e) => e.type === 'complaint.information_reviewed').map((e) => e.payload)).toEqual([
    { outcome: 'incomplete', missing: ['evidence', 'order_reference'], round: 1 },
    { outcome: 'complete', round: 2 },
  ]);
  expect(notices(i.caseId)).toContain('complaint.closed.withdrawn>customer');
});

test('silence after the question: the complaint is withdrawn at the deadline, the notice says how to submit again', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'complaint.information_review', { outcome: 'incomplete', missing: ['evidence'] });
  const due = await deadlineOf(h, 'informationReply');
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
  const lapse = event(i.caseId, 'complaint.information_lapsed');
  expect(lapse.payload).toMatchObject({ dueAt: due, round: 1 });
  expectAt(lapse.at, due);
  expect(notices(i.caseId)).toContain('complaint.closed.withdrawn>customer');
});

test('an ip complaint is handed over by a supervisor (policy 7.4)', async () => {
  const i = input({ category: 'ip' });
  const h = await start(i);
  await complete(h, 'complaint.information_review', { outcome: 'complete' });
  await complete(h, 'complaint.preliminary_judgement', { classification: 'ip' });
  await expect(complete(h, 'complaint.handover_review', { outcome: 'handed_over' }, agent)).rejects.toThrow();
  await complete(h, 'complaint.handover_review', { outcome: 'handed_over' }, supervisor);
  expect(await h.result()).toEqual({ outcome: 'handed_over', rating: null });
  expect(event(i.caseId, 'complaint.handed_over').payload).toEqual({ classification: 'ip' });
});

test('a silent merchant: the platform reviews at the working-hours deadline and decides a refund; a rating lapse is recorded, not a rating', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'complaint.information_review', { outcome: 'complete' });
  await complete(h, 'complaint.preliminary_judgement', { classification: 'delivery' });
  const due = await deadlineOf(h, 'merchantReply');
  await sleepPast(due);
  await complete(h, 'complaint.platform_review', { decision: 'for_complainant', terms: 'refund', amount: '120.50' });
  const silent = event(i.caseId, 'complaint.merchant_silent');
  expect(silent.payload).toEqual({ dueAt: due });
  expectAt(silent.at, due);
  const feedbackDue = await deadlineOf(h, 'feedback');
  expect(await h.result()).toEqual({ outcome: 'decided_for_complainant', rating: 'no_rating' });
  expect(paymentsOf(i.caseId)).toEqual([expect.objectContaining({ proposal: 1, terms: 'refund', amountMinor: 12050, idempotencyKey: `settlement:${i.caseId}:1` })]);
  const noRating = event(i.caseId, 'complaint.no_rating');
  expect(noRating.payload).toEqual({ dueAt: feedbackDue });
  expectAt(noRating.at, feedbackDue);
  expect(eventTypes(i.caseId)).not.toContain('complaint.rated');
  expect(notices(i.caseId)).toEqual(expect.arrayContaining(['complaint.decided>merchant', 'complaint.closed.decided_for_complainant>customer']));
});

test('a proposal declined and no settlement in the window: the case closes unresolved, naming the outside routes', async () => {
  const i = input();
  const h = await start(i);
  await toNegotiation(h);
  const due = await deadlineOf(h, 'negotiation');
  await executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: storefront, terms: 'refund', amount: '300.00' }] });
  await executeUpdate(h, respondSettlementUpdate, { args: [{ actor: merchant, proposal: 1, decision: 'decline' }] });
  // A refund names its amount; an apology none.
  await refused(executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: storefront, terms: 'refund' }] as any }), /amount/);
  await refused(executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: storefront, terms: 'apology', amount: '1.00' }] }), /amount/);
  expect(await h.result()).toEqual({ outcome: 'unresolved', rating: null });
  const lapse = event(i.caseId, 'complaint.negotiation_lapsed');
  expect(lapse.payload).toEqual({ dueAt: due, proposals: 1 });
  expectAt(lapse.at, due);
  expect(paymentsOf(i.caseId)).toEqual([]);
  expect(notices(i.caseId)).toEqual(expect.arrayContaining(['complaint.settlement_declined>customer', 'complaint.closed.unresolved>customer']));
});

test('a replacement agreed: confirmed by the merchant within its deadline, then rated', async () => {
  const i = input();
  const h = await start(i);
  await toNegotiation(h);
  await executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: storefront, terms: 'replacement' }] });
  await executeUpdate(h, respondSettlementUpdate, { args: [{ actor: merchant, proposal: 1, decision: 'accept' }] });
  await atStep(h, 'execution');
  await refused(executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] }), /settlement was agreed/);
  await executeUpdate(h, confirmExecutionUpdate, { args: [{ actor: merchant, executed: true }] });
  await atStep(h, 'rating');
  await executeUpdate(h, rateComplaintUpdate, { args: [{ actor: storefront, rating: 5 }] });
  expect(await h.result()).toEqual({ outcome: 'settled', rating: 5 });
  expect(paymentsOf(i.caseId)).toEqual([]);
  expect(event(i.caseId, 'complaint.settlement_executed').payload).toEqual({ proposal: 1, terms: 'replacement', confirmedBy: 'merchant' });
});

test('a repair agreed and not confirmed by its deadline: an agent finds it not executed; the case closes naming the outside routes', async () => {
  const i = input();
  const h = await start(i);
  await toNegotiation(h);
  await executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: merchant, terms: 'repair' }] });
  await executeUpdate(h, respondSettlementUpdate, { args: [{ actor: storefront, proposal: 1, decision: 'accept' }] });
  const due = await deadlineOf(h, 'execution');
  await sleepPast(due);
  await complete(h, 'complaint.execution_review', { executed: false });
  expect(await h.result()).toEqual({ outcome: 'settlement_not_executed', rating: null });
  const lapse = event(i.caseId, 'complaint.execution_lapsed');
  expect(lapse.payload).toEqual({ dueAt: due, proposal: 1 });
  expectAt(lapse.at, due);
  expect(event(i.caseId, 'complaint.execution_reviewed').payload).toEqual({ executed: false });
  expect(notices(i.caseId)).toContain('complaint.closed.settlement_not_executed>customer');
});


test('a complaint by e-mail came without its merchant: the review names it (refused until it does), and from then the merchant is that one', async () => {
  const i = input({ channel: 'email', merchantId: 'unassigned', category: 'other' });
  const h = await start(i);
  await refused(complete(h, 'complaint.information_review', { outcome: 'complete' }), /name it \(merchantId\)/);
  await complete(h, 'complaint.information_review', { outcome: 'complete', merchantId: 'merchant-fixture' });
  const named = event(i.caseId, 'complaint.merchant_identified');
  expect(named).toMatchObject({ payload: { merchantId: 'merchant-fixture' }, actor: agent.id, casePatch: expect.objectContaining({ merchantId: 'merchant-fixture' }) });
  await complete(h, 'complaint.preliminary_judgement', { classification: 'delivery' });
  await atStep(h, 'merchant_reply');
  expect(forCase(i.caseId, fakes.fake.of('notify')).find((n) => n.template === 'complaint.merchant_notified').recipient).toEqual({ kind: 'merchant', id: 'merchant-fixture' });
  await h.signal(threadMessageSignal, { messageId: 'msg_m1', party: 'merchant', at: new Date().toISOString() });
  await atStep(h, 'negotiation');
  // The named merchant's principals act on the case; another merchant does not.
  await executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: merchant, terms: 'apology' }] });
  await refused(executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: otherMerchant, terms: 'apology' }] }));
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
});

test('a complaint whose merchant is known: the review may not name another', async () => {
  const i = input();
  const h = await start(i);
  await refused(complete(h, 'complaint.information_review', { outcome: 'complete', merchantId: 'merchant-other' }), /known already/);
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
});
