// 暂行办法 art. 17 in the warranty repair, the return's rule (policy/refundRoute.ts, workflows/refundRouteChoice.ts): a
// repair's refund goes back the way the order was paid; when that way cannot take it, the customer chooses.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { OrderPayment } from '../../policy/refundRoute';
import { completeTaskUpdate, type Actor } from '../../workflows/definitions';
import { chooseRemedyUpdate, chooseRepairRefundRouteUpdate, handOverItemUpdate, submitRatingUpdate, warrantyRepair, type RepairCaseInput } from '../../workflows/warrantyRepair';
import { executeUpdate, openTaskOf, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';
import { repairInput, repairWorker } from '../../scripts/scenarios/warrantyRepair';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const agent: Actor = { id: 'principal-agent-1', role: 'agent' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };
const PAYEE = 'pye_RPR7Hq2Lx9Wm4Rt8K';

let env: TestWorkflowEnvironment;
let fakes: Awaited<ReturnType<typeof repairWorker>>;
const taskQueue = 'repair-refund-route-test';
let n = 0;

useTimeSkippingWorker((e) => repairWorker(e, taskQueue), (e, made) => {
  env = e;
  fakes = made;
});

/** An early fault (3 days after delivery), the order paid as `payment` says; the calendar as written by hand. */
function input(payment?: OrderPayment): RepairCaseInput {
  const i = repairInput(`REP-RR-${++n}-${Date.now()}`, { deliveredAt: new Date(Date.now() - 3 * DAY).toISOString() });
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = i.policy.calendar;
  return { ...i, policy: { ...i.policy, calendar: handWritten }, order: { ...i.order, ...(payment && { payment }) } };
}
const start = (i: RepairCaseInput) => env.client.workflow.start(warrantyRepair, { taskQueue, workflowId: i.caseId, args: [i] });
type Handle = Awaited<ReturnType<typeof start>>;
const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const events = (caseId: string) => forCase(caseId, fakes.fake.of('recordCaseEvent'));
const event = (caseId: string, type: string) => events(caseId).find((e) => e.type === type);
const mails = (caseId: string) => forCase(caseId, fakes.fake.of('notify'));
const refunds = (caseId: string) => forCase(caseId, fakes.fake.of('issueRefund'));
const atStep = (h: Handle, step: string) => waitForState(h, (s) => s.step === step, step);
async function complete(h: Handle, type: string, payload: unknown) {
  const v = await waitForState(h, (s) => !!openTaskOf(s, type), `${type} task`);
  return executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor: agent, payload }] });
}
/** First response, the refund chosen, drop-off and receipt: the refund is ready. */
async function toRefund(h: Handle) {
  await complete(h, 'repair.first_response', { solution: 'free_repair' });
  await atStep(h, 'awaiting_remedy_choice');
  await executeUpdate(h, chooseRemedyUpdate, { args: [{ actor: storefront, choice: 'refund' }] });
  await atStep(h, 'awaiting_hand_over');
  await executeUpdate(h, handOverItemUpdate, { args: [{ actor: storefront, handOver: { method: 'drop_off', reference: 'SP-001-7788' } }] });
  await complete(h, 'repair.confirm_receipt', { outcome: 'received' });
}
async function rated(h: Handle) {
  await atStep(h, 'awaiting_rating');
  await executeUpdate(h, submitRatingUpdate, { args: [{ actor: storefront, rating: 5 }] });
  return h.result();
}

test('cash on delivery: asked at opening; the bank account chosen by its payee reference; the refund goes there', async () => {
  const i = input({ ref: 'PAY-R-1', method: 'cash_on_delivery', originalRouteOpen: false });
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.first_response'), 'first response');
  expect(event(i.caseId, 'repair.refund_route_requested').payload).toMatchObject({ reason: 'cash_on_delivery' });
  expect(mails(i.caseId).map((m) => m.template)).toContain('repair.refund_route_needed');
  await expect(executeUpdate(h, chooseRepairRefundRouteUpdate, { args: [{ actor: storefront, route: 'bank_account', payeeRef: '6222021234567890123' } as never] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await executeUpdate(h, chooseRepairRefundRouteUpdate, { args: [{ actor: storefront, route: 'bank_account', payeeRef: PAYEE }] });
  await toRefund(h);
  expect(await rated(h)).toEqual({ outcome: 'refunded', rating: 5 });
  expect(refunds(i.caseId)).toEqual([expect.objectContaining({ amountMinor: 39900, route: 'bank_account', payeeRef: PAYEE, paymentRef: 'PAY-R-1', routeBasis: 'chosen', eventKey: `${i.caseId}:refund` })]);
  expect(event(i.caseId, 'repair.refunded').payload).toMatchObject({ route: 'bank_account', routeBasis: 'chosen' });
});

test('a closed route and no choice: reminded when the refund is ready, waits 3 days from the question, then the platform balance as the default', async () => {
  const i = input({ ref: 'PAY-R-2', method: 'wechat_pay', originalRouteOpen: false });
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'repair.first_response'), 'first response');
  const askedAt = new Date(event(i.caseId, 'repair.refund_route_requested').at).getTime();
  await toRefund(h);
  const v = await atStep(h, 'awaiting_refund_route');
  expect(v.deadlines.refundRouteChoiceBy).toBe(new Date(askedAt + 3 * DAY).toISOString());
  expect(mails(i.caseId).find((m) => m.template === 'repair.refund_route_reminder').params).toMatchObject({ dueAt: v.deadlines.refundRouteChoiceBy });
  expect(refunds(i.caseId)).toHaveLength(0);
  await env.sleep(new Date(v.deadlines.refundRouteChoiceBy!).getTime() - (await env.currentTimeMs()) + 1_000);
  expect(await rated(h)).toEqual({ outcome: 'refunded', rating: 5 });
  const [refund] = refunds(i.caseId);
  expect(refund).toMatchObject({ route: 'platform_balance', routeBasis: 'default' });
  expect(new Date(refund.at).getTime()).toBeGreaterThanOrEqual(askedAt + 3 * DAY);
  expect(event(i.caseId, 'repair.refund_route_defaulted').payload).toEqual({ route: 'platform_balance', withdrawal: 'free' });
});

test('the original route open: no question; refunded along it. No payment named: the order\'s own refund, as before', async () => {
  const i = input({ ref: 'PAY-R-3', method: 'alipay', originalRouteOpen: true });
  const h = await start(i);
  await toRefund(h);
  await rated(h);
  expect(refunds(i.caseId)).toEqual([expect.objectContaining({ route: 'original', paymentRef: 'PAY-R-3' })]);
  expect(events(i.caseId).map((e) => e.type).filter((t) => t.startsWith('repair.refund_route'))).toEqual([]);
  await expect(executeUpdate(h, chooseRepairRefundRouteUpdate, { args: [{ actor: storefront, route: 'platform_balance' }] })).rejects.toThrow();

  const j = input();
  const k = await start(j);
  await toRefund(k);
  await rated(k);
  const [plain] = refunds(j.caseId);
  expect(plain.route).toBeUndefined();
  expect(plain.paymentRef).toBeUndefined();
  expect(mails(j.caseId).map((m) => m.template).filter((t) => t.startsWith('repair.refund_route'))).toEqual([]);
});
