// 暂行办法 art. 17 on the time-skipping server: a return's refund goes back the way the order was paid; when that way
// cannot take it (cash on delivery, a closed route) the customer chooses, and the refund clock is not paused for it.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { dayPeriodEndsAt } from '../../policy/businessCalendar';
import type { OrderSnapshot } from '../../policy/returns';
import { completeTaskUpdate, type Actor } from '../../workflows/definitions';
import { chooseRefundRouteUpdate, disputeReturnDamageUpdate, returnWithin7Days, submitReturnShipmentUpdate, type ReturnCaseInput } from '../../workflows/returnWithin7Days';
import { deliverParcel, executeUpdate, fakeWorker, openTaskOf, testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';
import type { createFakeActivities } from '../../scripts/harness/fakeActivities';

const HOUR = 3_600_000;
const merchantActor: Actor = { id: 'principal-merchant-1', role: 'merchant', merchantId: 'merchant-1' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };
const PAYEE = 'pye_7Hq2Lx9Wm4Rt8Kp3';

let env: TestWorkflowEnvironment;
let fake: ReturnType<typeof createFakeActivities>;
const taskQueue = 'refund-route-test';
let n = 0;

useTimeSkippingWorker((e) => fakeWorker(e, taskQueue), (e, made) => {
  env = e;
  fake = made.fake;
});

const payment = (method: NonNullable<OrderSnapshot['payment']>['method'], originalRouteOpen = true) => ({ ref: `PAY-${n}`, method, originalRouteOpen });

/** A return with the order snapshot's payment; the calendar as written by hand (no holiday years read). */
function input(pay: NonNullable<OrderSnapshot['payment']>, requestType: ReturnCaseInput['requestType'] = 'return_and_refund', reasonCode: ReturnCaseInput['reasonCode'] = 'no_reason'): ReturnCaseInput {
  const caseId = `RET-RR-${++n}-${Date.now()}`;
  const now = Date.now();
  const policy = testPolicy();
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = policy.calendar;
  return {
    caseId,
    policy: { ...policy, calendar: handWritten },
    openedBy: storefront.id,
    order: {
      orderId: `ORD-${n}`,
      lineItemId: 'LI-1',
      category: 'apparel',
      amountMinor: 19900,
      currency: 'CNY',
      customerId: `cust-${n}`,
      merchantId: 'merchant-1',
      ...(requestType === 'refund_only' && reasonCode === 'not_received' ? {} : { deliveredAt: new Date(now - 2 * 24 * HOUR).toISOString() }),
      snapshot: { discountMinor: 0, exclusionConfirmedAtPurchase: false, payment: { ...pay, ref: `PAY-${n}` } },
    },
    requestType,
    reasonCode,
    requestedAt: new Date(now).toISOString(),
  };
}

const start = (i: ReturnCaseInput) => env.client.workflow.start(returnWithin7Days, { taskQueue, workflowId: i.caseId, args: [i] });
type Handle = Awaited<ReturnType<typeof start>>;
const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const eventsOf = (caseId: string) => forCase(caseId, fake.of('recordCaseEvent'));
const eventOf = (caseId: string, type: string) => eventsOf(caseId).find((e) => e.type === type);
const mailsOf = (caseId: string) => forCase(caseId, fake.of('notify'));
const mailOf = (caseId: string, template: string) => mailsOf(caseId).find((m) => m.template === template);
const refundsOf = (caseId: string) => forCase(caseId, fake.of('refundReturn'));
const choose = (h: Handle, body: Record<string, unknown>, actor: Actor = storefront) => executeUpdate(h, chooseRefundRouteUpdate, { args: [{ actor, ...body } as never] });

async function complete(h: Handle, type: string, actor: Actor, payload: unknown) {
  const v = await waitForState(h, (s) => !!openTaskOf(s, type), `${type} task`);
  return executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
}

/** Approved and shipped; the carrier's delivery event follows: the refund clock runs. */
async function shippedAndReceived(h: Handle) {
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  await waitForState(h, (s) => s.step === 'awaiting_customer_shipment', 'awaiting shipment');
  await executeUpdate(h, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment: { carrier: 'SF', trackingNumber: 'SF1234567890' } }] });
  await deliverParcel(env, h, 'SF1234567890');
  return waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'), 'inspection');
}

test('cash on delivery: asked at opening; the customer chooses a bank account by its payee reference before the refund; refunded there, the key unchanged', async () => {
  const i = input(payment('cash_on_delivery'));
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'), 'merchant review');
  expect(eventOf(i.caseId, 'case.opened').payload).toMatchObject({ refundRoute: 'customer_choice' });
  expect(eventOf(i.caseId, 'return.refund_route_requested').payload).toMatchObject({ reason: 'cash_on_delivery', method: 'cash_on_delivery', choices: ['bank_account', 'platform_balance'] });
  expect(mailOf(i.caseId, 'return.refund_route_needed')).toMatchObject({ recipient: { kind: 'customer', id: i.order.customerId }, params: { reason: 'cash_on_delivery' } });

  // An account number is not a payee reference; a merchant may not choose for the customer.
  await expect(choose(h, { route: 'bank_account', payeeRef: '6222021234567890123' })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await expect(choose(h, { route: 'platform_balance' }, merchantActor)).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
  // The choice may change until the refund is paid: the last one counts.
  await choose(h, { route: 'platform_balance' });
  await choose(h, { route: 'bank_account', payeeRef: PAYEE });
  const chosen = eventsOf(i.caseId).filter((e) => e.type === 'return.refund_route_chosen');
  expect(chosen.map((e) => e.payload)).toEqual([{ route: 'platform_balance' }, { route: 'bank_account', payeeRef: PAYEE }]);
  expect(chosen[1].actor).toBe(storefront.id);

  await shippedAndReceived(h);
  await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  expect(refundsOf(i.caseId)).toEqual([expect.objectContaining({ route: 'bank_account', payeeRef: PAYEE, routeBasis: 'chosen', paymentRef: i.order.snapshot!.payment!.ref, eventKey: `${i.caseId}:refund`, amountMinor: 19900 })]);
  expect(eventOf(i.caseId, 'return.refunded').payload).toMatchObject({ route: 'bank_account', routeBasis: 'chosen' });
  expect(mailOf(i.caseId, 'return.refunded').params).toMatchObject({ route: 'bank_account', routeBasis: 'chosen' });
  // Chosen before the refund clock ran: no reminder, no default.
  expect(mailOf(i.caseId, 'return.refund_route_reminder')).toBeUndefined();
  expect(eventOf(i.caseId, 'return.refund_route_defaulted')).toBeUndefined();
});

test('a quality return paid cash on delivery: the rest refunded to the chosen account; the route is then settled (409), and the deduction overturned later goes the same way', async () => {
  const i = input(payment('cash_on_delivery'), 'return_and_refund', 'defective');
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'), 'merchant review');
  await choose(h, { route: 'bank_account', payeeRef: PAYEE });
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  await waitForState(h, (s) => s.step === 'awaiting_customer_shipment', 'awaiting shipment');
  await executeUpdate(h, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment: { carrier: 'SF', trackingNumber: 'SF1234567890' } }] });
  await deliverParcel(env, h, 'SF1234567890');
  await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'customer_damage', reasons: ['physical_damage'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], deduction: '50.00' });
  await waitForState(h, (s) => s.step === 'awaiting_damage_dispute', 'awaiting the dispute');
  await expect(choose(h, { route: 'platform_balance' })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow', message: expect.stringContaining('already paid') } });
  await executeUpdate(h, disputeReturnDamageUpdate, { args: [{ actor: storefront, reasonCode: 'damage_is_the_defect' }] });
  await complete(h, 'return.damage_review', { id: 'principal-supervisor', role: 'supervisor' }, { decision: 'overturned' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  expect(refundsOf(i.caseId).map((r) => [r.amountMinor, r.route, r.payeeRef, r.eventKey])).toEqual([
    [14900, 'bank_account', PAYEE, `${i.caseId}:refund`],
    [5000, 'bank_account', PAYEE, `${i.caseId}:refund:deduction`],
  ]);
});

test('a closed card route and no choice: reminded when the goods arrive; the refund waits until an hour before it falls due, then goes to the platform balance as the recorded default', async () => {
  const i = input(payment('bank_card', false));
  const h = await start(i);
  const v = await shippedAndReceived(h);
  const received = eventOf(i.caseId, 'return.goods_received');
  const refundDue = dayPeriodEndsAt(i.policy.calendar, new Date(received.payload.receivedAt), 7, { extendOverHolidays: false });
  const choiceEnds = new Date(refundDue.getTime() - HOUR).toISOString();
  // The refund clock runs unpaused beside the question.
  expect(v.deadlines.refundDueAt).toBe(refundDue.toISOString());
  expect(v.deadlines.refundRouteChoiceBy).toBe(choiceEnds);
  expect(mailOf(i.caseId, 'return.refund_route_reminder').params).toMatchObject({ dueAt: choiceEnds });
  await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
  const waiting = await waitForState(h, (s) => s.step === 'awaiting_refund_route', 'awaiting the route');
  expect(waiting.deadlines.refundDueAt).toBe(refundDue.toISOString());
  expect(refundsOf(i.caseId)).toHaveLength(0);

  expect(await h.result()).toEqual({ outcome: 'refunded' });
  const [refund] = refundsOf(i.caseId);
  expect(refund).toMatchObject({ route: 'platform_balance', routeBasis: 'default', eventKey: `${i.caseId}:refund` });
  expect(refund.payeeRef).toBeUndefined();
  // Paid at the end of the wait, before the refund fell due (消法 art. 25).
  const paidAt = new Date(refund.at).getTime();
  expect(paidAt).toBeGreaterThanOrEqual(new Date(choiceEnds).getTime());
  expect(paidAt).toBeLessThan(refundDue.getTime());
  expect(eventOf(i.caseId, 'return.refund_route_defaulted').payload).toEqual({ route: 'platform_balance', withdrawal: 'free' });
  expect(mailOf(i.caseId, 'return.refunded').params).toMatchObject({ route: 'platform_balance', routeBasis: 'default' });
});

test('the original route open: no question, no reminder; the action is refused (422) and the refund goes back the way it was paid', async () => {
  const i = input(payment('alipay'));
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'), 'merchant review');
  const refused = choose(h, { route: 'bank_account', payeeRef: PAYEE });
  await expect(refused).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  await expect(refused).rejects.toMatchObject({ cause: { type: 'PolicyRefused' } });
  await shippedAndReceived(h);
  await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  expect(refundsOf(i.caseId)).toEqual([expect.objectContaining({ route: 'original', paymentRef: i.order.snapshot!.payment!.ref })]);
  expect(refundsOf(i.caseId)[0].routeBasis).toBeUndefined();
  const types = eventsOf(i.caseId).map((e) => e.type);
  for (const t of ['return.refund_route_requested', 'return.refund_route_chosen', 'return.refund_route_defaulted']) expect(types).not.toContain(t);
  expect(mailsOf(i.caseId).map((m) => m.template).filter((t) => t.startsWith('return.refund_route'))).toEqual([]);
  expect(eventOf(i.caseId, 'case.opened').payload).toMatchObject({ refundRoute: 'original' });
});

test('a refund without return (goods never delivered, cash on delivery): reminded at approval, waits up to the policy\'s 3 days from the question; a choice in the wait is paid at once', async () => {
  const i = input(payment('cash_on_delivery'), 'refund_only', 'not_received');
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'), 'merchant review');
  const askedAt = new Date(eventOf(i.caseId, 'return.refund_route_requested').at);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  const v = await waitForState(h, (s) => s.step === 'awaiting_refund_route', 'awaiting the route');
  expect(v.deadlines.refundRouteChoiceBy).toBe(new Date(askedAt.getTime() + 72 * HOUR).toISOString());
  expect(mailOf(i.caseId, 'return.refund_route_reminder')).toBeDefined();
  await choose(h, { route: 'platform_balance' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  expect(refundsOf(i.caseId)).toEqual([expect.objectContaining({ route: 'platform_balance', routeBasis: 'chosen' })]);
  expect(new Date(refundsOf(i.caseId)[0].at).getTime()).toBeLessThan(askedAt.getTime() + 72 * HOUR);
});
