// The 7-day no-reason return (policy 7.1/7.3) on the time-skipping server: every branch and deadline.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addWorkingDays, addWorkingHours, dayPeriodEndsAt } from '../../policy/businessCalendar';
import { deadlineFrom } from '../../policy/durations';
import { completeTaskUpdate, cancelCaseUpdate, caseStateQuery, type Actor } from '../../workflows/definitions';
import {
  chooseIncompleteOutcomeUpdate,
  chooseQualityRemedyUpdate,
  confirmReturnReceiptUpdate,
  disputeReturnDamageUpdate,
  requestPlatformReviewUpdate,
  requestReturnPickupUpdate,
  returnWithin7Days,
  submitReturnShipmentUpdate,
  type ReturnCaseInput,
} from '../../workflows/returnWithin7Days';
import type { OrderSnapshot, ReturnShipment } from '../../policy/returns';
import { deliverParcel, executeUpdate, fakeWorker, openTaskOf, testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';
import { FAKE_CARRIER_QUOTES, type createFakeActivities } from '../../scripts/harness/fakeActivities';

const HOUR = 3_600_000;
const merchantActor: Actor = { id: 'principal-merchant-1', role: 'merchant', merchantId: 'merchant-1' };
const agentActor: Actor = { id: 'principal-agent-1', role: 'agent' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };

let env: TestWorkflowEnvironment;
let fake: ReturnType<typeof createFakeActivities>;
const taskQueue = 'returns-test';
let n = 0;

useTimeSkippingWorker((e) => fakeWorker(e, taskQueue), (e, made) => {
  env = e;
  fake = made.fake;
});

/**
 * A return on this server. The server's clock runs years ahead as the tests skip time, past the holiday years a case
 * would carry; its calendar is given as written by hand (no year coverage), so no deadline reads holiday data (that is
 * test/workflows/calendar.test.ts's subject) and every deadline here is exact against i.policy.calendar.
 */
function input(over: Partial<ReturnCaseInput> = {}, requestType: ReturnCaseInput['requestType'] = 'return_and_refund'): ReturnCaseInput {
  const i = openedInput(over, requestType);
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = i.policy.calendar;
  return { ...i, policy: { ...i.policy, calendar: handWritten } };
}

function openedInput(over: Partial<ReturnCaseInput>, requestType: ReturnCaseInput['requestType']): ReturnCaseInput {
  const caseId = `RET-TS-${++n}-${Date.now()}`;
  const now = Date.now();
  return {
    caseId,
    policy: testPolicy(),
    openedBy: storefront.id,
    order: {
      orderId: `ORD-${n}`,
      lineItemId: 'LI-1',
      category: 'apparel',
      amountMinor: 19900,
      currency: 'CNY',
      customerId: `cust-${n}`,
      merchantId: 'merchant-1',
      deliveredAt: new Date(now - 2 * 24 * HOUR).toISOString(),
    },
    requestType,
    reasonCode: 'no_reason',
    requestedAt: new Date(now).toISOString(),
    ...over,
  };
}

async function start(i: ReturnCaseInput) {
  return env.client.workflow.start(returnWithin7Days, { taskQueue, workflowId: i.caseId, args: [i] });
}

/** Timers fire at their deadline; the workflow observes them at its next task (ms later, more under load). */
function expectFiredAt(actualIso: string, dueIso: string) {
  const late = new Date(actualIso).getTime() - new Date(dueIso).getTime();
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(60_000); // observed at the next workflow task; a loaded machine adds latency
}

const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const tasksOf = (caseId: string) => forCase(caseId, fake.tasks());
const eventsOf = (caseId: string) => forCase(caseId, fake.of('recordCaseEvent')).map((e) => e.type);
const templatesOf = (caseId: string) => forCase(caseId, fake.of('notify')).map((e) => e.template);

async function complete(handle: Awaited<ReturnType<typeof start>>, type: string, actor: Actor, payload: unknown) {
  const v = await waitForState(handle, (s) => !!openTaskOf(s, type), `${type} task`);
  return executeUpdate(handle, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
}

/** Ships the goods back; the carrier's delivery event follows at once, except for a parcel still in transit (INTRANSIT…). */
async function ship(handle: Awaited<ReturnType<typeof start>>, shipment: ReturnShipment = { carrier: 'SF', trackingNumber: 'SF1234567890' }) {
  await waitForState(handle, (s) => s.step === 'awaiting_customer_shipment', 'awaiting shipment');
  const result = await executeUpdate(handle, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment }] });
  if (!/^INTRANSIT/.test(shipment.trackingNumber)) await deliverParcel(env, handle, shipment.trackingNumber);
  return result;
}

/** Approve, ship, inspect: the case closes refunded. Returns the reimbursement request and the refund e-mail. */
async function refundedWith(i: ReturnCaseInput, shipment: ReturnShipment) {
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  await ship(h, shipment);
  await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'confirmed' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  const requests = forCase(i.caseId, fake.of('reimburseReturnShipping'));
  expect(requests).toHaveLength(1);
  expect(forCase(i.caseId, fake.of('recordReturnShipping'))).toHaveLength(0);
  const refundedMail = forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'return.refunded');
  return { request: requests[0], params: refundedMail.params };
}

test('happy path: approve, ship, inspect, refund once, survey; deadlines from the policy', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  await ship(h);
  await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'confirmed' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });

  const [review, inspection] = tasksOf(i.caseId);
  expect(review.type).toBe('return.merchant_review');
  expect(review.role).toBe('merchant');
  expect(review.merchantId).toBe('merchant-1');
  expect(review.dueAt).toBe(deadlineFrom(new Date(review.at), i.policy.returnWithin7Days.merchantReview.within, i.policy.calendar).toISOString());
  expect(inspection.type).toBe('return.merchant_inspection');
  expect(inspection.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(inspection.at), 3).toISOString());

  const refunds = forCase(i.caseId, fake.of('refundReturn'));
  expect(refunds).toHaveLength(1);
  expect(refunds[0]).toMatchObject({ amountMinor: 19900, currency: 'CNY', route: 'order_refund', kind: 'full', eventKey: `${i.caseId}:refund` });
  // 7.3: the return shipping is reimbursed (patch 'return-shipping-reimbursed'), here at the carrier's quote.
  expect(forCase(i.caseId, fake.of('recordReturnShipping'))).toHaveLength(0);
  const shipping = forCase(i.caseId, fake.of('reimburseReturnShipping'));
  expect(shipping).toHaveLength(1);
  expect(shipping[0]).toMatchObject({
    payer: 'platform',
    carrier: 'SF',
    from: `customer:${i.order.customerId}`,
    to: 'merchant:merchant-1',
    cap: { amountMinor: 3000, currency: 'CNY' },
    eventKey: `${i.caseId}:return-shipping`,
  });
  expect(shipping[0].paid).toBeUndefined();
  expect(forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'return.refunded').params).toMatchObject({
    amountMinor: 19900,
    currency: 'CNY',
    shippingMinor: FAKE_CARRIER_QUOTES.SF.amountMinor,
    shippingCurrency: 'CNY',
  });
  expect(templatesOf(i.caseId)).toEqual([
    'return.received',
    'return.review_requested',
    'return.approved',
    'return.approved_merchant',
    'return.item_received',
    'return.refunded',
    'return.closed.refunded',
    'survey.requested',
  ]);
  const closes = forCase(i.caseId, fake.of('closeTask'));
  expect(closes.map((c) => [c.status, c.actor])).toEqual([
    ['completed', merchantActor.id],
    ['completed', merchantActor.id],
  ]);
  expect(eventsOf(i.caseId).at(-1)).toBe('case.closed');
});

test("a new case sends a step's writes together: the opening's in one applyCaseWrites, the approval's with the next step's in one more", async () => {
  const i = input();
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'), 'merchant review');
  const localActivities = async () =>
    ((await h.fetchHistory()).events ?? []).flatMap((e) => {
      const m = e.markerRecordedEventAttributes;
      if (m?.markerName !== 'core_local_activity') return [];
      return [JSON.parse(Buffer.from(m.details!.data!.payloads![0].data!).toString()).activity_type as string];
    });
  const patches = ((await h.fetchHistory()).events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch').length;
  expect(patches).toBeGreaterThan(0);
  // The opening: case.opened, step.entered, the task row and the customer's e-mail: one batch.
  expect(await localActivities()).toEqual(['applyCaseWrites']);
  expect(eventsOf(i.caseId)).toEqual(['case.opened', 'step.entered']);
  expect(tasksOf(i.caseId)).toHaveLength(1);

  // The approval: the task's close and the next step's writes in one batch; the update answers once it has landed.
  const answer = await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  expect(answer).toMatchObject({ status: 'completed', completedBy: merchantActor.id });
  // Answered, so already landed: the closed task row, the approval and the next step's deadline.
  expect(forCase(i.caseId, fake.of('closeTask'))).toHaveLength(1);
  expect(eventsOf(i.caseId)).toContain('return.approved');
  expect(await localActivities()).toEqual(['applyCaseWrites', 'applyCaseWrites']);
  expect((await h.query(caseStateQuery)).step).toBe('awaiting_customer_shipment');
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled' });
});

test('a completion whose batch fails is not answered as done: the update fails with it, and no close is recorded', async () => {
  const i = input();
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'), 'merchant review');
  fake.failingCloses.add(i.caseId);
  const err = await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'WriteRefused' });
  expect(forCase(i.caseId, fake.of('closeTask'))).toHaveLength(0);
  expect(eventsOf(i.caseId)).not.toContain('return.approved');
  await expect(h.result()).rejects.toThrow();
});

test('merchant silence: reminder at half time, auto-approval at exactly 48 h, recorded in the audit trail', async () => {
  const i = input();
  const h = await start(i);
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'));
  const due = openTaskOf(v, 'return.merchant_review')!.dueAt;
  await env.sleep('49 hours');
  const after = await waitForState(h, (s) => s.step === 'awaiting_customer_shipment');
  expect(after.tasks.find((t) => t.type === 'return.merchant_review')!.status).toBe('expired');

  const reminder = forCase(i.caseId, fake.of('escalateTask'));
  expect(reminder).toHaveLength(1);
  expect(reminder[0]).toMatchObject({ kind: 'reminder', slaName: 'merchantReview', dueAt: due });
  expectFiredAt(reminder[0].at, new Date(new Date(due).getTime() - 24 * HOUR).toISOString());
  const expired = forCase(i.caseId, fake.of('closeTask'))[0];
  expect(expired).toMatchObject({ status: 'expired', resolution: 'auto:approve', actor: 'system' });
  expectFiredAt(expired.at, due);
  expect(eventsOf(i.caseId)).toContain('return.auto_approved');
  expect(templatesOf(i.caseId)).toContain('task.reminder');
  await h.cancel();
});

test('merchant rejects, customer asks for platform review, agent approves within 2 working hours', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'reject', reasonCode: 'other' });
  const v = await waitForState(h, (s) => s.step === 'awaiting_platform_review_request');
  const rejectedAt = v.timeline.find((e) => e.type === 'return.rejected_by_merchant')!.at;
  expect(v.deadlines.platformReviewRequestBy).toBe(deadlineFrom(new Date(rejectedAt), i.policy.returnWithin7Days.platformReviewRequestWindow, i.policy.calendar).toISOString());
  await executeUpdate(h, requestPlatformReviewUpdate, { args: [{ actor: storefront }] });
  await complete(h, 'return.platform_review', agentActor, { decision: 'approve' });
  await ship(h);
  await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'confirmed' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });

  const platform = tasksOf(i.caseId).find((t) => t.type === 'return.platform_review');
  expect(platform.role).toBe('agent');
  expect(platform.dueAt).toBe(addWorkingHours(i.policy.calendar, new Date(platform.at), 2).toISOString());
  expect(eventsOf(i.caseId)).toEqual(expect.arrayContaining(['return.rejected_by_merchant', 'return.platform_review_requested', 'return.platform_decision']));
  expect(templatesOf(i.caseId)).toContain('return.rejected');
});

test('platform review lapses: reassigned to a supervisor at the 2-working-hour deadline; supervisor rejects (final)', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'reject', reasonCode: 'category_excluded' });
  await waitForState(h, (s) => s.step === 'awaiting_platform_review_request');
  await executeUpdate(h, requestPlatformReviewUpdate, { args: [{ actor: storefront }] });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.platform_review'));
  const task = openTaskOf(v, 'return.platform_review')!;
  // Sleep to just past the deadline in the server's time (which runs ahead of the wall clock here).
  await env.sleep(new Date(task.dueAt).getTime() - (await env.currentTimeMs()) + 1_000);
  const escalated = await waitForState(h, (s) => openTaskOf(s, 'return.platform_review')?.role === 'supervisor');
  expect(openTaskOf(escalated, 'return.platform_review')!.escalated).toBe(true);
  const breach = forCase(i.caseId, fake.of('escalateTask')).find((e) => e.kind === 'breach');
  expect(breach).toMatchObject({ action: 'reassign-to-supervisor', slaName: 'platformReview', dueAt: task.dueAt });
  expect(forCase(i.caseId, fake.of('notify')).some((x) => x.template === 'task.escalated' && x.recipient.id === 'supervisor')).toBe(true);

  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: task.taskId, actor: { id: 'principal-supervisor', role: 'supervisor' }, payload: { decision: 'reject', reasonCode: 'other' } }] });
  expect(await h.result()).toEqual({ outcome: 'rejected' });
  expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
});

test('rejection stands when the customer does not ask for platform review within the window', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'reject', reasonCode: 'other' });
  await waitForState(h, (s) => s.step === 'awaiting_platform_review_request');
  expect(await h.result()).toEqual({ outcome: 'rejected' });
  const closed = forCase(i.caseId, fake.of('recordCaseEvent')).find((e) => e.type === 'case.closed');
  const rejected = forCase(i.caseId, fake.of('recordCaseEvent')).find((e) => e.type === 'return.rejected_by_merchant');
  expectFiredAt(closed.at, deadlineFrom(new Date(rejected.at), i.policy.returnWithin7Days.platformReviewRequestWindow, i.policy.calendar).toISOString());
});

test('shipment deadline missed: reminder at 70 %, abandoned at exactly 7 days, customer notified', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  const v = await waitForState(h, (s) => s.step === 'awaiting_customer_shipment');
  const due = v.deadlines.customerShipment!;
  const sla = v.slas.find((x) => x.name === 'customerShipment')!;
  expect(sla.dueAt).toBe(due);
  expect(due).toBe(deadlineFrom(new Date(sla.startedAt), i.policy.returnWithin7Days.customerShipment.within, i.policy.calendar).toISOString());
  expect(await h.result()).toEqual({ outcome: 'abandoned' });
  const abandoned = forCase(i.caseId, fake.of('recordCaseEvent')).find((e) => e.type === 'return.abandoned');
  expectFiredAt(abandoned.at, due);
  expect(abandoned.payload).toMatchObject({ reason: 'no_shipment_by_deadline', dueAt: due });
  const reminder = forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'return.shipment_reminder');
  expectFiredAt(reminder.at, new Date(new Date(sla.startedAt).getTime() + Math.round(7 * 24 * HOUR * 0.7)).toISOString());
  expect(templatesOf(i.caseId)).toContain('return.closed.abandoned');
  expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
});

test('inspection silence: auto-confirmed at 3 working days, then refunded', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  await ship(h);
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'));
  const due = openTaskOf(v, 'return.merchant_inspection')!.dueAt;
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  const expired = forCase(i.caseId, fake.of('closeTask')).find((c) => c.status === 'expired');
  expect(expired).toMatchObject({ resolution: 'auto:complete' });
  expectFiredAt(expired.at, due);
  expect(eventsOf(i.caseId)).toContain('return.inspection_auto_confirmed');
  expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(1);
});

test('exchange: the merchant ships a replacement; no refund', async () => {
  const i = input({}, 'exchange');
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  await ship(h);
  await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'confirmed', condition: 'as_expected' });
  await complete(h, 'return.exchange_shipment', merchantActor, { carrier: 'JD', trackingNumber: 'JD0001234567' });
  expect(await h.result()).toEqual({ outcome: 'exchanged' });
  const ex = tasksOf(i.caseId).find((t) => t.type === 'return.exchange_shipment');
  expect(ex.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(ex.at), 2).toISOString());
  expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
  expect(forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'return.replacement_shipped').params).toMatchObject({ carrier: 'JD', trackingNumber: 'JD0001234567' });
});

test('refund only for goods not received: approval goes straight to the refund', async () => {
  const i = input({ reasonCode: 'not_received' }, 'refund_only');
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  expect(tasksOf(i.caseId).map((t) => t.type)).toEqual(['return.merchant_review']);
  expect(forCase(i.caseId, fake.of('recordReturnShipping'))).toHaveLength(0);
  expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))).toHaveLength(0);
  expect(forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'return.refunded').params.shippingMinor).toBeUndefined();
});

test('cancel before money moves: open task cancelled, case closed, no refund', async () => {
  const i = input();
  const h = await start(i);
  await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'));
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled' });
  expect(forCase(i.caseId, fake.of('closeTask'))[0]).toMatchObject({ status: 'cancelled' });
  expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
  expect(templatesOf(i.caseId)).toContain('return.closed.cancelled');
});

test('update validators: bad payload and double completion are refused without changing the case', async () => {
  const i = input();
  const h = await start(i);
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'));
  const taskId = openTaskOf(v, 'return.merchant_review')!.taskId;
  const bad = executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload: { decision: 'reject' } }] });
  await expect(bad).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  await expect(bad).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await expect(executeUpdate(h, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment: { carrier: 'SF', trackingNumber: 'SF1234567890' } }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  expect(openTaskOf(await waitForState(h, () => true), 'return.merchant_review')).toBeDefined();

  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload: { decision: 'approve' } }] });
  await expect(executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload: { decision: 'approve' } }] })).rejects.toMatchObject({ cause: { type: 'TaskNotOpen' } });
  await h.cancel();
});

test('the window runs to 24:00 Shanghai of the 7th day after delivery: a request at 20:00 that day is accepted', async () => {
  const i = input({ requestedAt: '2026-11-27T12:00:00.000Z' }); // Friday 2026-11-27 20:00 Shanghai
  i.order.deliveredAt = '2026-11-20T02:00:00.000Z'; // Friday 2026-11-20 10:00 Shanghai
  const h = await start(i);
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'));
  expect(v.deadlines.returnWindowEndsAt).toBe('2026-11-27T16:00:00.000Z');
  expect(eventsOf(i.caseId)).not.toContain('return.ineligible');
  await h.cancel();
});

test('a request outside the 7-day window closes as ineligible without opening tasks', async () => {
  const i = input({ requestedAt: '2026-11-27T16:00:00.000Z' }); // Saturday 2026-11-28 00:00 Shanghai: day 8
  i.order.deliveredAt = '2026-11-20T02:00:00.000Z'; // Friday 2026-11-20 10:00 Shanghai
  const h = await start(i);
  expect(await h.result()).toEqual({ outcome: 'ineligible' });
  expect(tasksOf(i.caseId)).toHaveLength(0);
  expect(forCase(i.caseId, fake.of('recordCaseEvent')).find((e) => e.type === 'return.ineligible').payload).toEqual({ reason: 'RETURN_WINDOW_EXPIRED' });
});

describe('return shipping reimbursed (7.3): what the customer paid, else the carrier quote, never above the cap', () => {
  test('the amount the customer paid is reimbursed, converted to minor units, and named in the refund e-mail', async () => {
    const i = input();
    const { request, params } = await refundedWith(i, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '12.5', currency: 'CNY' } });
    expect(request).toMatchObject({ paid: { amountMinor: 1250, currency: 'CNY' }, cap: { amountMinor: 3000, currency: 'CNY' } });
    expect(params).toMatchObject({ amountMinor: 19900, currency: 'CNY', shippingMinor: 1250, shippingCurrency: 'CNY' });
  });

  test("without an amount, the carrier's quote is reimbursed", async () => {
    const i = input();
    const { request, params } = await refundedWith(i, { carrier: 'JD', trackingNumber: 'JD0001234567' });
    expect(request.paid).toBeUndefined();
    expect(request.carrier).toBe('JD');
    expect(params.shippingMinor).toBe(FAKE_CARRIER_QUOTES.JD.amountMinor);
  });

  test('a quote above the cap is capped at the policy value (30.00 CNY by default)', async () => {
    const i = input();
    const { params } = await refundedWith(i, { carrier: 'EMS', trackingNumber: 'EMS000123456' });
    expect(FAKE_CARRIER_QUOTES.EMS.amountMinor).toBeGreaterThan(3000);
    expect(params.shippingMinor).toBe(3000);
  });

  test("a paid amount above the case's policy cap is capped at that cap", async () => {
    const i = input({ policy: testPolicy((p) => void (p.returnWithin7Days.returnShippingCapMinor = 2000)) });
    const { request, params } = await refundedWith(i, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '45.00', currency: 'CNY' } });
    expect(request.cap).toEqual({ amountMinor: 2000, currency: 'CNY' });
    expect(params.shippingMinor).toBe(2000);
  });

  test('a case whose policy predates the cap gets the default cap', async () => {
    const i = input({
      policy: testPolicy((p) => {
        const older = p.returnWithin7Days as Partial<typeof p.returnWithin7Days>;
        delete older.returnShippingCapMinor;
        delete older.returnShippingCurrency;
      }),
    });
    const { request, params } = await refundedWith(i, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '99.00', currency: 'CNY' } });
    expect(request.cap).toEqual({ amountMinor: 3000, currency: 'CNY' });
    expect(params.shippingMinor).toBe(3000);
  });

  test('an exchange reimburses the shipping too and says so with the replacement', async () => {
    const i = input({}, 'exchange');
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '8.00', currency: 'CNY' } });
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'confirmed' });
    await complete(h, 'return.exchange_shipment', merchantActor, { carrier: 'JD', trackingNumber: 'JD0001234567' });
    expect(await h.result()).toEqual({ outcome: 'exchanged' });
    expect(forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'return.replacement_shipped').params).toMatchObject({ shippingMinor: 800, shippingCurrency: 'CNY' });
  });

  test('a malformed paid amount is refused by the validator and the case keeps waiting', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await waitForState(h, (s) => s.step === 'awaiting_customer_shipment');
    for (const paid of [{ amount: '12.345', currency: 'CNY' }, { amount: '-1', currency: 'CNY' }, { amount: '12.00', currency: 'cny' }, { amount: '12.00' }]) {
      await expect(executeUpdate(h, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment: { carrier: 'SF', trackingNumber: 'SF1234567890', paid } as any }] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
    }
    expect((await waitForState(h, () => true)).step).toBe('awaiting_customer_shipment');
    expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))).toHaveLength(0);
    await h.cancel();
  });
});

test('once the customer ships, the merchant is told the approved return is coming back and the inspection time (patch merchant-told-of-approval)', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  await waitForState(h, (s) => s.step === 'awaiting_customer_shipment');
  expect(templatesOf(i.caseId)).not.toContain('return.approved_merchant'); // nothing to inspect before the item ships
  await ship(h, { carrier: 'JD', trackingNumber: 'JD0001234567' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'));
  const told = forCase(i.caseId, fake.of('notify')).filter((x) => x.template === 'return.approved_merchant');
  expect(told).toHaveLength(1);
  expect(told[0].recipient).toEqual({ kind: 'merchant', id: 'merchant-1' });
  expect(told[0].params).toEqual({ caseId: i.caseId, requestType: 'return_and_refund', orderId: i.order.orderId, carrier: 'JD', trackingNumber: 'JD0001234567', inspectWithin: '3 working-days' });
  expect(new Date(told[0].at).getTime()).toBeLessThanOrEqual(new Date(tasksOf(i.caseId).find((t) => t.type === 'return.merchant_inspection').at).getTime());
  expect(openTaskOf(v, 'return.merchant_inspection')).toBeDefined();
  await h.cancel();
});

test('refund only: no item comes back, so the merchant gets no inspection notice', async () => {
  const i = input({ reasonCode: 'not_received' }, 'refund_only');
  const h = await start(i);
  await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
  expect(await h.result()).toEqual({ outcome: 'refunded' });
  expect(templatesOf(i.caseId)).not.toContain('return.approved_merchant');
});

// ---------------------------------------------------------------------------------------------------------------
// The consumer-law rules (patch return-consumer-law): claims by kind, receipt, refund timing and route, completeness.
// ---------------------------------------------------------------------------------------------------------------
const DAY = 24 * HOUR;
const eventOf = (caseId: string, type: string) => forCase(caseId, fake.of('recordCaseEvent')).find((e) => e.type === type);
const mailOf = (caseId: string, template: string) => forCase(caseId, fake.of('notify')).find((x) => x.template === template);
const receive = (h: Awaited<ReturnType<typeof start>>, actor: Actor = merchantActor) =>
  waitForState(h, (s) => s.step === 'awaiting_receipt', 'awaiting receipt').then(() => executeUpdate(h, confirmReturnReceiptUpdate, { args: [{ actor }] }));
const snapshot = (over: Partial<OrderSnapshot> = {}): OrderSnapshot => ({
  discountMinor: 2000,
  points: { count: 300, valueMinor: 300 },
  giftValueMinor: 1500,
  payment: { ref: 'PAY-20261120-1', method: 'alipay', originalRouteOpen: true },
  exclusionConfirmedAtPurchase: false,
  ...over,
});

describe('quality claims (消法 art. 24)', () => {
  test('a merchant rejection goes to platform review by itself, due in 2 working hours; a platform rejection names the routes of 消法 art. 39', async () => {
    const i = input({ reasonCode: 'defective' });
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'reject', reasonCode: 'quality_claim_disputed' });
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.platform_review'), 'platform review');
    expect(v.timeline.some((e) => e.type === 'return.platform_review_requested')).toBe(false);
    const platform = tasksOf(i.caseId).find((t) => t.type === 'return.platform_review');
    expect(platform.dueAt).toBe(addWorkingHours(i.policy.calendar, new Date(platform.at), 2).toISOString());
    expect(eventOf(i.caseId, 'return.rejected_by_merchant').payload).toEqual({ reasonCode: 'quality_claim_disputed', platformReview: 'automatic' });
    expect(mailOf(i.caseId, 'return.rejected_to_platform').params).toMatchObject({ reasonCode: 'quality_claim_disputed' });
    await complete(h, 'return.platform_review', agentActor, { decision: 'reject', reasonCode: 'other' });
    expect(await h.result()).toEqual({ outcome: 'rejected' });
    expect(templatesOf(i.caseId)).toEqual(expect.arrayContaining(['return.rejected_to_platform', 'return.rejected_final', 'return.closed.rejected']));
    expect(templatesOf(i.caseId)).not.toContain('return.rejected');
  });

  test('the seller bears the return shipping of a quality claim; exchange within 15 days of delivery', async () => {
    const i = input({ reasonCode: 'wrong_item' }, 'exchange');
    i.order.deliveredAt = new Date(Date.now() - 12 * DAY).toISOString(); // day 12: past the no-reason window
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '15.00', currency: 'CNY' } });
    const inspecting = await waitForState(h, (s) => !!openTaskOf(s, 'return.quality_inspection'));
    expect(inspecting.deadlines.refundDueAt).toBeUndefined(); // an exchange refunds nothing
    const task = tasksOf(i.caseId).find((t) => t.type === 'return.quality_inspection');
    expect(task.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(task.at), 3).toISOString());
    await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'received' });
    await complete(h, 'return.exchange_shipment', merchantActor, { carrier: 'JD', trackingNumber: 'JD0001234567' });
    expect(await h.result()).toEqual({ outcome: 'exchanged' });
    expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))[0]).toMatchObject({ payer: 'merchant', paid: { amountMinor: 1500, currency: 'CNY' } });
    expect(eventOf(i.caseId, 'return.approved').payload).toEqual({ claimKind: 'quality', shippingPaidBy: 'merchant' });
    expect(mailOf(i.caseId, 'return.approved').params).toMatchObject({ shippingPaidBy: 'merchant' });
  });

  test('a quality claim after the period for objecting to quality closes ineligible, naming no tasks (the API refuses it first)', async () => {
    const i = input({ reasonCode: 'defective' }, 'exchange');
    i.order.deliveredAt = new Date(Date.now() - 800 * DAY).toISOString();
    const h = await start(i);
    expect(await h.result()).toEqual({ outcome: 'ineligible' });
    expect(eventOf(i.caseId, 'return.ineligible').payload).toEqual({ reason: 'QUALITY_OBJECTION_PERIOD_EXPIRED' });
    expect(tasksOf(i.caseId)).toHaveLength(0);
  });
});

describe('time never refuses a quality claim by itself (patch return-quality-time-limits; 消法 art. 24, 民法典 arts. 563, 620, 621)', () => {
  const supervisorActor: Actor = { id: 'principal-supervisor-1', role: 'supervisor' };
  /** A defective item, asked for on day `day` after delivery. */
  const late = (day: number, over: Partial<ReturnCaseInput> = {}, requestType: ReturnCaseInput['requestType'] = 'return_and_refund') => {
    const i = input({ reasonCode: 'defective', ...over }, requestType);
    i.order.deliveredAt = new Date(new Date(i.requestedAt).getTime() - day * DAY).toISOString();
    return i;
  };
  async function refusedTermination(i: ReturnCaseInput) {
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'reject', reasonCode: 'outside_return_window' });
    await complete(h, 'return.termination_review', agentActor, { holds: false, grounds: ['repairable'], evidenceIds: ['att_ed7db239e5d67f5f350e389a5c6c732d'] });
    const v = await waitForState(h, (s) => s.step === 'awaiting_quality_remedy_choice', 'remedy choice');
    return { h, v };
  }

  test('a return on day 10 the merchant accepts goes on as a quality return: no termination review, the seller pays, refunded in full', async () => {
    const i = late(10);
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h);
    await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'received' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(eventOf(i.caseId, 'case.opened').payload).toMatchObject({ claimKind: 'quality', terminationReview: true });
    expect(tasksOf(i.caseId).map((t) => t.type)).not.toContain('return.termination_review');
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 19900, kind: 'full' })]);
  });

  test('the merchant rejects: an agent decides within 2 working days whether the termination conditions hold; they hold: returned at the seller’s cost, refunded in full', async () => {
    const i = late(10);
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'reject', reasonCode: 'outside_return_window' });
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.termination_review'), 'termination review');
    expect(v.step).toBe('termination_review');
    expect(openTaskOf(v, 'return.platform_review')).toBeUndefined();
    const task = tasksOf(i.caseId).find((t) => t.type === 'return.termination_review');
    expect(task).toMatchObject({ role: 'agent', slaName: 'terminationReview' });
    expect(task.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(task.at), 2).toISOString());
    expect(eventOf(i.caseId, 'return.rejected_by_merchant').payload).toEqual({ reasonCode: 'outside_return_window', platformReview: 'termination' });
    // Free words are no answer: grounds are codes, evidence and notes are ids.
    await expect(complete(h, 'return.termination_review', agentActor, { holds: true, grounds: ['defect_defeats_purpose'], evidenceIds: ['att_f8a007e6ac9e748026fff1925af4ec67'], reason: 'it is broken' })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await complete(h, 'return.termination_review', agentActor, { holds: true, grounds: ['defect_defeats_purpose', 'safety_hazard'], evidenceIds: ['att_f8a007e6ac9e748026fff1925af4ec67'], noteIds: ['note_0d7b0c0e-8f5e-4c55-9e4a-3f2b1a7c9d10'] });
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '80.00', currency: 'CNY' } });
    await complete(h, 'return.shipping_review', agentActor, { approvedAmount: '80.00' });
    await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'received' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(eventOf(i.caseId, 'return.termination_decided')).toMatchObject({
      actor: agentActor.id,
      payload: { holds: true, grounds: ['defect_defeats_purpose', 'safety_hazard'], evidenceIds: ['att_f8a007e6ac9e748026fff1925af4ec67'], noteIds: ['note_0d7b0c0e-8f5e-4c55-9e4a-3f2b1a7c9d10'] },
    });
    expect(eventOf(i.caseId, 'return.approved').payload).toEqual({ claimKind: 'quality', shippingPaidBy: 'merchant' });
    expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))[0]).toMatchObject({ payer: 'merchant', decided: { amountMinor: 8000, basis: 'agent_approved' } });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 19900, kind: 'full' })]);
    expect(templatesOf(i.caseId)).not.toContain('return.termination_refused');
  });

  test('they do not hold: the customer is offered exchange, repair or withdrawal by a deadline; an exchange goes on at the seller’s cost', async () => {
    const i = late(20); // apparel, outside the catalogue: an exchange is due within the objection period
    const { h, v } = await refusedTermination(i);
    const due = v.deadlines.qualityRemedyChoice!;
    expect(due).toBe(deadlineFrom(new Date(v.slas.find((x) => x.name === 'qualityRemedyChoice')!.startedAt), { amount: 7, unit: 'days' }, i.policy.calendar).toISOString());
    expect(eventOf(i.caseId, 'return.quality_remedies_offered').payload).toEqual({ options: ['exchange', 'repair', 'withdraw'], dueAt: due });
    expect(mailOf(i.caseId, 'return.termination_refused').params).toMatchObject({ grounds: 'repairable', options: 'exchange,repair,withdraw', dueAt: due });
    await expect(executeUpdate(h, chooseQualityRemedyUpdate, { args: [{ actor: storefront, choice: 'refund' as any }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(executeUpdate(h, chooseQualityRemedyUpdate, { args: [{ actor: merchantActor, choice: 'exchange' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await executeUpdate(h, chooseQualityRemedyUpdate, { args: [{ actor: storefront, choice: 'exchange' }] });
    await expect(executeUpdate(h, chooseQualityRemedyUpdate, { args: [{ actor: storefront, choice: 'repair' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890' });
    const inspecting = await waitForState(h, (s) => !!openTaskOf(s, 'return.quality_inspection'));
    expect(inspecting.deadlines.refundDueAt).toBeUndefined(); // an exchange refunds nothing
    await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'received' });
    await complete(h, 'return.exchange_shipment', merchantActor, { carrier: 'JD', trackingNumber: 'JD0001234567' });
    expect(await h.result()).toEqual({ outcome: 'exchanged' });
    expect(eventOf(i.caseId, 'return.quality_remedy_chosen')).toMatchObject({ actor: storefront.id, payload: { choice: 'exchange' } });
    expect(mailOf(i.caseId, 'return.approved').params).toMatchObject({ requestType: 'exchange', shippingPaidBy: 'merchant' });
    expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))[0]).toMatchObject({ payer: 'merchant', decided: { basis: 'carrier_quote' } });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
  });

  test('a three-guarantee item after its 15 days is offered repair or withdrawal only (三包 art. 10); a withdrawal closes with how to open a repair', async () => {
    const i = late(20);
    i.order.category = 'mobile-phones';
    const { h } = await refusedTermination(i);
    expect(eventOf(i.caseId, 'return.quality_remedies_offered').payload).toMatchObject({ options: ['repair', 'withdraw'] });
    await expect(executeUpdate(h, chooseQualityRemedyUpdate, { args: [{ actor: storefront, choice: 'exchange' }] })).rejects.toMatchObject({ cause: { message: expect.stringContaining('offers repair, withdraw, not exchange') } });
    await executeUpdate(h, chooseQualityRemedyUpdate, { args: [{ actor: storefront, choice: 'withdraw' }] });
    expect(await h.result()).toEqual({ outcome: 'withdrawn' });
    expect(mailOf(i.caseId, 'return.repair_how_to').params).toMatchObject({ objectionEndsAt: expect.any(String) });
    expect(templatesOf(i.caseId)).toEqual(expect.arrayContaining(['return.termination_refused', 'return.repair_how_to', 'return.closed.withdrawn']));
    expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
  });

  test('a three-guarantee item still inside its 15 days is offered the exchange; a repair closes the case referred to repair', async () => {
    const i = late(10);
    i.order.category = 'computers';
    const { h } = await refusedTermination(i);
    expect(eventOf(i.caseId, 'return.quality_remedies_offered').payload).toMatchObject({ options: ['exchange', 'repair', 'withdraw'] });
    await executeUpdate(h, chooseQualityRemedyUpdate, { args: [{ actor: storefront, choice: 'repair' }] });
    expect(await h.result()).toEqual({ outcome: 'referred_to_repair' });
    expect(templatesOf(i.caseId)).toEqual(expect.arrayContaining(['return.repair_how_to', 'return.closed.referred_to_repair']));
  });

  test('silence: a reminder at 70 %, then at exactly 7 days the case closes referred to repair, never forfeiting the repair', async () => {
    const i = late(12);
    const { h, v } = await refusedTermination(i);
    const sla = v.slas.find((x) => x.name === 'qualityRemedyChoice')!;
    expect(await h.result()).toEqual({ outcome: 'referred_to_repair' });
    const lapsed = eventOf(i.caseId, 'return.quality_remedy_choice_lapsed');
    expect(lapsed.payload).toEqual({ dueAt: sla.dueAt });
    expectFiredAt(lapsed.at, sla.dueAt);
    expectFiredAt(mailOf(i.caseId, 'return.quality_remedy_reminder').at, new Date(new Date(sla.startedAt).getTime() + Math.round(7 * DAY * 0.7)).toISOString());
    expect(templatesOf(i.caseId)).toContain('return.repair_how_to');
  });

  test('the review lapses: reassigned to a supervisor at exactly 2 working days, never decided by silence; the supervisor decides', async () => {
    const i = late(10);
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'reject', reasonCode: 'outside_return_window' });
    let v = await waitForState(h, (s) => !!openTaskOf(s, 'return.termination_review'));
    const task = openTaskOf(v, 'return.termination_review')!;
    await env.sleep(new Date(task.dueAt).getTime() - (await env.currentTimeMs()) + 1_000);
    v = await waitForState(h, (s) => openTaskOf(s, 'return.termination_review')?.role === 'supervisor', 'reassigned');
    expect(eventOf(i.caseId, 'return.termination_decided')).toBeUndefined();
    await complete(h, 'return.termination_review', supervisorActor, { holds: false, grounds: ['defect_minor'], evidenceIds: ['att_3d62133fd70ed483779cf6bba2b9db6d'] });
    await waitForState(h, (s) => s.step === 'awaiting_quality_remedy_choice');
    await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await h.result()).toEqual({ outcome: 'cancelled' });
  });

  test('a partial refund on day 20 is a price reduction, not a termination: the merchant agrees, no termination review', async () => {
    const i = late(20, { partialRefundMinor: 3000 }, 'refund_only');
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    expect(await h.result()).toEqual({ outcome: 'partially_refunded' });
    expect(eventOf(i.caseId, 'case.opened').payload.terminationReview).toBeUndefined();
  });
});

describe('a quality return is refunded in full: completeness is a no-reason rule only (消法 art. 24, 暂行办法 art. 8)', () => {
  const supervisorActor: Actor = { id: 'principal-supervisor-1', role: 'supervisor' };
  async function received(over: Partial<ReturnCaseInput> = {}) {
    const i = input({ reasonCode: 'defective', ...over });
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h);
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.quality_inspection'), 'quality inspection');
    return { i, h, v, taskId: openTaskOf(v, 'return.quality_inspection')!.taskId };
  }

  test('a defective item returned on day 2 gets the quality inspection, never the completeness one; incomplete is no answer to it; refunded in full by the deadline', async () => {
    const { i, h, v, taskId } = await received();
    expect(openTaskOf(v, 'return.merchant_inspection')).toBeUndefined();
    expect(v.deadlines.refundDueAt).toBeDefined();
    for (const payload of [
      { outcome: 'incomplete', reasons: ['damaged_after_delivery'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], offeredRefund: '50.00' },
      { outcome: 'complete' },
      { outcome: 'customer_damage', reasons: ['physical_damage'], evidenceIds: [], deduction: '50.00' },
      { outcome: 'customer_damage', reasons: ['physical_damage'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'] },
    ]) {
      await expect(executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload }] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
    }
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload: { outcome: 'received', evidenceIds: ['att_a31de2f929c97dd525e332aa2bc8f89c'] } }] });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 19900, kind: 'full' })]);
    expect(eventOf(i.caseId, 'return.inspection_confirmed').payload).toEqual({ outcome: 'received', claimKind: 'quality', evidenceIds: ['att_a31de2f929c97dd525e332aa2bc8f89c'] });
    expect(eventsOf(i.caseId)).not.toContain('return.inspection_incomplete');
  });

  test('merchant silence at the inspection finds the goods received: full refund', async () => {
    const { i, h, v } = await received();
    await env.sleep(new Date(openTaskOf(v, 'return.quality_inspection')!.dueAt).getTime() - (await env.currentTimeMs()) + 1_000);
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 19900, kind: 'full' })]);
    expect(eventsOf(i.caseId)).toContain('return.inspection_auto_confirmed');
  });

  test('damage the customer caused beyond the defect: the rest is refunded at once, the refund deadline kept; the dispute lapses and the deduction stands', async () => {
    const { i, h, taskId } = await received();
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload: { outcome: 'customer_damage', reasons: ['liquid_damage'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6', 'att_078ddffe276510b268c1a7560d8da2ec'], deduction: '50.00' } }] });
    const v = await waitForState(h, (s) => s.step === 'awaiting_damage_dispute', 'damage dispute');
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 14900, kind: 'partial' })]);
    expect(eventOf(i.caseId, 'return.customer_damage_recorded').payload).toEqual({ reasons: ['liquid_damage'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6', 'att_078ddffe276510b268c1a7560d8da2ec'], deductionMinor: 5000, currency: 'CNY' });
    expect(mailOf(i.caseId, 'return.customer_damage').params).toMatchObject({ amountMinor: 5000, refundedMinor: 14900, dueAt: v.deadlines.damageDispute });
    const started = v.slas.find((s) => s.name === 'damageDispute')!.startedAt;
    expect(v.deadlines.damageDispute).toBe(new Date(new Date(started).getTime() + 7 * DAY).toISOString());
    // The customer can no longer cancel: money moved.
    await expect(executeUpdate(h, cancelCaseUpdate, { args: [{ actor: agentActor, reasonCode: 'customer_request' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await env.sleep(new Date(v.deadlines.damageDispute!).getTime() - (await env.currentTimeMs()) + 1_000);
    expect(await h.result()).toEqual({ outcome: 'partially_refunded' });
    expect(eventOf(i.caseId, 'return.damage_dispute_lapsed').payload).toMatchObject({ deductionMinor: 5000 });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(1);
  });

  test('the customer disputes once; the supervisor overturns the finding: the deduction is refunded as a payment of its own', async () => {
    const { i, h, taskId } = await received();
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload: { outcome: 'customer_damage', reasons: ['physical_damage'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], deduction: '80.00' } }] });
    await waitForState(h, (s) => s.step === 'awaiting_damage_dispute', 'damage dispute');
    await executeUpdate(h, disputeReturnDamageUpdate, { args: [{ actor: storefront, reasonCode: 'damage_is_the_defect', evidenceIds: ['att_f97ce83642ceb25226cb408d7975b73e'] }] });
    await expect(executeUpdate(h, disputeReturnDamageUpdate, { args: [{ actor: storefront, reasonCode: 'other' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    const review = await waitForState(h, (s) => !!openTaskOf(s, 'return.damage_review'), 'damage review');
    expect(openTaskOf(review, 'return.damage_review')!.role).toBe('supervisor');
    await complete(h, 'return.damage_review', supervisorActor, { decision: 'overturned' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([
      expect.objectContaining({ amountMinor: 11900, kind: 'partial' }),
      expect.objectContaining({ amountMinor: 8000, kind: 'partial', part: 'deduction', eventKey: `${i.caseId}:refund:deduction` }),
    ]);
    expect(eventOf(i.caseId, 'return.damage_disputed').payload).toEqual({ reasonCode: 'damage_is_the_defect', evidenceIds: ['att_f97ce83642ceb25226cb408d7975b73e'] });
    expect(mailOf(i.caseId, 'return.damage_reviewed').params).toMatchObject({ decision: 'overturned', amountMinor: 8000 });
  });

  test('an upheld finding keeps the deduction; an unanswered dispute is overturned at the review deadline', async () => {
    const upheld = await received();
    await executeUpdate(upheld.h, completeTaskUpdate, { args: [{ taskId: upheld.taskId, actor: merchantActor, payload: { outcome: 'customer_damage', reasons: ['tampering'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], deduction: '30.00' } }] });
    await waitForState(upheld.h, (s) => s.step === 'awaiting_damage_dispute');
    await executeUpdate(upheld.h, disputeReturnDamageUpdate, { args: [{ actor: storefront, reasonCode: 'amount_too_high' }] });
    await complete(upheld.h, 'return.damage_review', supervisorActor, { decision: 'upheld' });
    expect(await upheld.h.result()).toEqual({ outcome: 'partially_refunded' });
    expect(forCase(upheld.i.caseId, fake.of('refundReturn'))).toHaveLength(1);

    const silent = await received();
    await executeUpdate(silent.h, completeTaskUpdate, { args: [{ taskId: silent.taskId, actor: merchantActor, payload: { outcome: 'customer_damage', reasons: ['tampering'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], deduction: '30.00' } }] });
    await waitForState(silent.h, (s) => s.step === 'awaiting_damage_dispute');
    await executeUpdate(silent.h, disputeReturnDamageUpdate, { args: [{ actor: storefront, reasonCode: 'evidence_insufficient' }] });
    const r = await waitForState(silent.h, (s) => !!openTaskOf(s, 'return.damage_review'));
    await env.sleep(new Date(openTaskOf(r, 'return.damage_review')!.dueAt).getTime() - (await env.currentTimeMs()) + 1_000);
    expect(await silent.h.result()).toEqual({ outcome: 'refunded' });
    expect(eventOf(silent.i.caseId, 'return.damage_reviewed').payload).toEqual({ decision: 'overturned', deductionMinor: 3000 });
  });

  test('a no-reason return keeps the completeness inspection, and damage-dispute is refused there', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h);
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'));
    expect(openTaskOf(v, 'return.quality_inspection')).toBeUndefined();
    await expect(executeUpdate(h, disputeReturnDamageUpdate, { args: [{ actor: storefront, reasonCode: 'other' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
  });
});

describe("a quality claim's return shipping is the seller's, without a cap (消法 art. 24)", () => {
  test('bulky freight of 120.00 paid, the carrier quotes 23.00: above the 20 % margin, an agent approves 120.00; reimbursed in full, no cap', async () => {
    const i = input({ reasonCode: 'defective' });
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '120.00', currency: 'CNY' }, receiptIds: ['att_5e7a7f55b83371dd3b3def6dc6f76ad6'] });
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.shipping_review'), 'shipping review');
    expect(v.step).toBe('shipping_review');
    expect(eventOf(i.caseId, 'return.shipping_assessed').payload).toEqual({
      decision: 'review', reason: 'above_quote_margin', paidMinor: 12000, allowedMinor: 2760, quotedMinor: 2300, quotedCurrency: 'CNY', marginPercent: 20, receiptIds: ['att_5e7a7f55b83371dd3b3def6dc6f76ad6'],
    });
    const task = tasksOf(i.caseId).find((t) => t.type === 'return.shipping_review');
    expect(task.role).toBe('agent');
    expect(task.dueAt).toBe(addWorkingHours(i.policy.calendar, new Date(task.at), 2).toISOString());
    await complete(h, 'return.shipping_review', agentActor, { approvedAmount: '120.00', evidenceIds: ['att_5e7a7f55b83371dd3b3def6dc6f76ad6'] });
    await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'received' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    const paid = forCase(i.caseId, fake.of('reimburseReturnShipping'));
    expect(paid).toEqual([expect.objectContaining({ payer: 'merchant', decided: { amountMinor: 12000, currency: 'CNY', basis: 'agent_approved', quote: { amountMinor: 2300, currency: 'CNY' } } })]);
    expect(paid[0].cap).toBeUndefined();
    expect(mailOf(i.caseId, 'return.refunded').params).toMatchObject({ amountMinor: 19900, shippingMinor: 12000 });
  });

  test('paid within the margin: reimbursed as paid without review; no amount: the quote, above the no-reason cap', async () => {
    const within = input({ reasonCode: 'not_as_described' });
    let h = await start(within);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '27.60', currency: 'CNY' } });
    await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'received' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(within.caseId, fake.of('reimburseReturnShipping'))[0].decided).toMatchObject({ amountMinor: 2760, basis: 'paid' });
    expect(tasksOf(within.caseId).map((t) => t.type)).not.toContain('return.shipping_review');

    const quoted = input({ reasonCode: 'defective' });
    h = await start(quoted);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'EMS', trackingNumber: 'EMS123456789' });
    await complete(h, 'return.quality_inspection', merchantActor, { outcome: 'received' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(quoted.caseId, fake.of('reimburseReturnShipping'))[0].decided).toMatchObject({ amountMinor: 4500, basis: 'carrier_quote' });
  });

  test('a no-reason return keeps the cap of 30.00 (7.3 pays more than the law asks): the same 120.00 gets 30.00, no review', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '120.00', currency: 'CNY' } });
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))).toEqual([expect.objectContaining({ payer: 'platform', cap: { amountMinor: 3000, currency: 'CNY' } })]);
    expect(forCase(i.caseId, fake.of('quoteReturnShipping'))).toHaveLength(0);
    expect(mailOf(i.caseId, 'return.refunded').params).toMatchObject({ shippingMinor: 3000 });
  });

  test('the customer may cancel while the agent reviews the shipping: nothing is paid', async () => {
    const i = input({ reasonCode: 'defective' });
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '99.00', currency: 'CNY' } });
    await waitForState(h, (s) => !!openTaskOf(s, 'return.shipping_review'));
    await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await h.result()).toEqual({ outcome: 'cancelled' });
    expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))).toHaveLength(0);
  });
});

describe('refund only (仅退款)', () => {
  test('goods not received, asked before any delivery: merchant silence approves at exactly 48 h, the amount paid is refunded', async () => {
    const i = input({ reasonCode: 'not_received' }, 'refund_only');
    delete i.order.deliveredAt;
    i.order.snapshot = snapshot();
    const h = await start(i);
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'));
    const due = openTaskOf(v, 'return.merchant_review')!.dueAt;
    expect(due).toBe(new Date(new Date(tasksOf(i.caseId)[0].at).getTime() + 48 * HOUR).toISOString());
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expectFiredAt(eventOf(i.caseId, 'return.auto_approved').at, due);
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([
      expect.objectContaining({ amountMinor: 17600, route: 'original', paymentRef: 'PAY-20261120-1', points: { count: 300 }, kind: 'full' }),
    ]);
    expect(tasksOf(i.caseId).map((t) => t.type)).toEqual(['return.merchant_review']);
  });

  test('a partial refund for a minor defect: the agreed amount, the customer keeps the goods', async () => {
    const i = input({ reasonCode: 'defective', partialRefundMinor: 3000 }, 'refund_only');
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    expect(await h.result()).toEqual({ outcome: 'partially_refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 3000, kind: 'partial' })]);
    expect(templatesOf(i.caseId)).toContain('return.closed.partially_refunded');
  });

  test('a no-reason refund-only (the customer keeping the goods) is not a right: closed ineligible, merchant never asked', async () => {
    const i = input({}, 'refund_only');
    const h = await start(i);
    expect(await h.result()).toEqual({ outcome: 'ineligible' });
    expect(eventOf(i.caseId, 'return.ineligible').payload).toEqual({ reason: 'REFUND_ONLY_NOT_ALLOWED' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
  });
});

describe('receipt of the goods and the refund deadline (消法 art. 25)', () => {
  test('no delivery event yet: the carrier is not asked before the expected delivery; the merchant confirms receipt; refund due 24:00 of the 7th day after, inspection ends 2 h before', async () => {
    const i = input({}, 'return_and_refund');
    i.order.snapshot = snapshot({ payment: { ref: 'PAY-9', method: 'bank_card', originalRouteOpen: false } });
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'INTRANSIT0001' });
    await waitForState(h, (s) => s.step === 'awaiting_receipt');
    await env.sleep('13 hours');
    expect(fake.of('returnParcelStatus').filter((x) => x.trackingNumber === 'INTRANSIT0001')).toHaveLength(0);
    expect(forCase(i.caseId, fake.of('watchParcel'))).toEqual([expect.objectContaining({ leg: 'return', carrier: 'SF', trackingNumber: 'INTRANSIT0001' })]);
    await receive(h);
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'));
    const received = eventOf(i.caseId, 'return.goods_received');
    expect(received.payload).toMatchObject({ by: 'merchant' });
    const refundDue = dayPeriodEndsAt(i.policy.calendar, new Date(received.payload.receivedAt), 7, { extendOverHolidays: false }).toISOString();
    expect(v.deadlines.refundDueAt).toBe(refundDue);
    const inspection = tasksOf(i.caseId).find((t) => t.type === 'return.merchant_inspection');
    const bySla = addWorkingDays(i.policy.calendar, new Date(inspection.at), 3).getTime();
    expect(inspection.dueAt).toBe(new Date(Math.min(bySla, new Date(refundDue).getTime() - 2 * HOUR)).toISOString());
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'return.merchant_inspection')!.taskId, actor: merchantActor, payload: { outcome: 'complete', packagingMissing: true } }] });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    // Packaging missing alone: complete, the full amount paid; the original route is closed, so the platform balance.
    const refund = forCase(i.caseId, fake.of('refundReturn'))[0];
    expect(refund).toMatchObject({ amountMinor: 17600, route: 'platform_balance', paymentRef: 'PAY-9' });
    expect(new Date(refund.at).getTime()).toBeLessThan(new Date(refundDue).getTime());
    expect(mailOf(i.caseId, 'return.refunded').params).toMatchObject({ route: 'platform_balance', amountMinor: 17600 });
  });

  test('an inspection policy longer than the refund allows is cut to end 2 hours before the refund is due; silence then finds the goods complete', async () => {
    const i = input({ policy: testPolicy((p) => void (p.returnWithin7Days.merchantInspection = { within: { amount: 10, unit: 'days' }, remindAt: 0.5, onBreach: 'default-decision' })) });
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h); // the fake carrier reports the parcel delivered at the first look
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'));
    const received = eventOf(i.caseId, 'return.goods_received');
    expect(received.payload.by).toBe('carrier');
    const refundDue = dayPeriodEndsAt(i.policy.calendar, new Date(received.payload.receivedAt), 7, { extendOverHolidays: false });
    const due = openTaskOf(v, 'return.merchant_inspection')!.dueAt;
    expect(due).toBe(new Date(refundDue.getTime() - 2 * HOUR).toISOString());
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expectFiredAt(forCase(i.caseId, fake.of('closeTask')).find((c) => c.status === 'expired').at, due);
    expect(new Date(forCase(i.caseId, fake.of('refundReturn'))[0].at).getTime()).toBeLessThan(refundDue.getTime());
  });

  test("the carrier's delivery event is the receipt, at the carrier's time; no lookup; a repeated event changes nothing", async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'INTRANSIT0005' });
    await waitForState(h, (s) => s.step === 'awaiting_receipt');
    await env.sleep('20 hours');
    const event = await deliverParcel(env, h, 'INTRANSIT0005', 2 * HOUR);
    await h.signal('carrierDelivered', event);
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'), 'inspection');
    const received = forCase(i.caseId, fake.of('recordCaseEvent')).filter((e) => e.type === 'return.goods_received');
    expect(received).toHaveLength(1);
    expect(received[0].payload).toEqual({ by: 'carrier', via: 'event', receivedAt: event.deliveredAt });
    expect(v.deadlines.refundDueAt).toBe(dayPeriodEndsAt(i.policy.calendar, new Date(event.deliveredAt), 7, { extendOverHolidays: false }).toISOString());
    expect(fake.of('returnParcelStatus').filter((x) => x.trackingNumber === 'INTRANSIT0005')).toHaveLength(0);
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
  });

  test('no event: the carrier is asked only once the expected delivery (3 days) is overdue, and answers delivered', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await waitForState(h, (s) => s.step === 'awaiting_customer_shipment', 'awaiting shipment');
    await executeUpdate(h, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment: { carrier: 'SF', trackingNumber: 'SF7770000001' } }] });
    await waitForState(h, (s) => s.step === 'awaiting_receipt');
    const shippedAt = new Date(forCase(i.caseId, fake.of('recordCaseEvent')).find((e) => e.type === 'step.entered' && e.casePatch?.step === 'awaiting_receipt').at);
    await env.sleep(3 * DAY - HOUR);
    expect(fake.of('returnParcelStatus').filter((x) => x.trackingNumber === 'SF7770000001')).toHaveLength(0);
    await env.sleep(2 * HOUR);
    await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'), 'inspection');
    expect(fake.of('returnParcelStatus').filter((x) => x.trackingNumber === 'SF7770000001')).toHaveLength(1);
    const received = eventOf(i.caseId, 'return.goods_received');
    expect(received.payload).toMatchObject({ by: 'carrier', via: 'poll' });
    expectFiredAt(received.payload.receivedAt, deadlineFrom(shippedAt, { amount: 3, unit: 'days' }, i.policy.calendar).toISOString());
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
  });

  test('nobody confirms the parcel within 15 days: the carrier asked three times after the expected delivery; platform review at exactly that deadline; approval refunds', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'INTRANSIT0002' });
    const v = await waitForState(h, (s) => s.step === 'awaiting_receipt');
    const receiptBy = v.deadlines.returnReceiptBy!;
    const shippedAt = forCase(i.caseId, fake.of('recordCaseEvent')).find((e) => e.type === 'step.entered' && e.casePatch?.step === 'awaiting_receipt').at;
    expect(receiptBy).toBe(new Date(new Date(shippedAt).getTime() + 15 * DAY).toISOString());
    await env.sleep(new Date(receiptBy).getTime() - (await env.currentTimeMs()) + 1_000);
    const review = await waitForState(h, (s) => !!openTaskOf(s, 'return.platform_review'), 'platform review');
    // From the expected delivery (3 days), spread over the rest of the wait: three questions, no more.
    expect(fake.of('returnParcelStatus').filter((x) => x.trackingNumber === 'INTRANSIT0002')).toHaveLength(3);
    expect(forCase(i.caseId, fake.of('watchParcel'))).toHaveLength(1);
    expectFiredAt(eventOf(i.caseId, 'return.receipt_lapsed').at, receiptBy);
    expect(eventOf(i.caseId, 'return.receipt_lapsed').payload).toEqual({ dueAt: receiptBy });
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(review, 'return.platform_review')!.taskId, actor: agentActor, payload: { decision: 'approve' } }] });
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
  });

  test('nobody confirms the parcel and the platform rejects: closed rejected, the notice names the routes; no refund', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'INTRANSIT0003' });
    const v = await waitForState(h, (s) => s.step === 'awaiting_receipt');
    await env.sleep(new Date(v.deadlines.returnReceiptBy!).getTime() - (await env.currentTimeMs()) + 1_000);
    await complete(h, 'return.platform_review', agentActor, { decision: 'reject', reasonCode: 'other' });
    expect(await h.result()).toEqual({ outcome: 'rejected' });
    expect(mailOf(i.caseId, 'return.rejected_final').params).toMatchObject({ reasonCode: 'other' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
    expect(tasksOf(i.caseId).map((t) => t.type)).not.toContain('return.merchant_inspection');
  });

  test('the customer may cancel while the parcel is on its way back: no refund, no inspection', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h, { carrier: 'SF', trackingNumber: 'INTRANSIT0004' });
    await waitForState(h, (s) => s.step === 'awaiting_receipt');
    await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await h.result()).toEqual({ outcome: 'cancelled' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
    expect(tasksOf(i.caseId).map((t) => t.type)).toEqual(['return.merchant_review']);
  });

  test('receipt can be confirmed only while the case waits for it', async () => {
    const i = input();
    const h = await start(i);
    await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'));
    await expect(executeUpdate(h, confirmReturnReceiptUpdate, { args: [{ actor: merchantActor }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
    await expect(executeUpdate(h, confirmReturnReceiptUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
    await h.cancel();
  });
});

describe('completeness at inspection (暂行办法 art. 8)', () => {
  async function incomplete(i: ReturnCaseInput) {
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h);
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_inspection'));
    const taskId = openTaskOf(v, 'return.merchant_inspection')!.taskId;
    // Incomplete needs reasons and evidence; packaging is no reason.
    for (const payload of [
      { outcome: 'incomplete', reasons: ['parts_missing'], evidenceIds: [], offeredRefund: '50.00' },
      { outcome: 'incomplete', reasons: ['packaging_missing'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], offeredRefund: '50.00' },
      { outcome: 'incomplete', reasons: ['parts_missing'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'] },
      { outcome: 'incomplete', reasons: ['parts_missing'], evidenceIds: ['a photo of the broken box'], offeredRefund: '50.00' },
    ]) {
      await expect(executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload }] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
    }
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId, actor: merchantActor, payload: { outcome: 'incomplete', reasons: ['parts_missing'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6', 'att_078ddffe276510b268c1a7560d8da2ec'], offeredRefund: '150.00' } }] });
    return waitForState(h, (s) => s.step === 'awaiting_incomplete_choice').then((s) => ({ h, v: s }));
  }

  test('the customer accepts the partial refund offered; evidence ids are in the audit trail', async () => {
    const i = input();
    const { h } = await incomplete(i);
    expect(eventOf(i.caseId, 'return.inspection_incomplete').payload).toEqual({ reasons: ['parts_missing'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6', 'att_078ddffe276510b268c1a7560d8da2ec'], offeredRefundMinor: 15000 });
    expect(mailOf(i.caseId, 'return.incomplete').params).toMatchObject({ reasons: 'parts_missing', amountMinor: 15000, currency: 'CNY' });
    await executeUpdate(h, chooseIncompleteOutcomeUpdate, { args: [{ actor: storefront, choice: 'accept_partial_refund' }] });
    expect(await h.result()).toEqual({ outcome: 'partially_refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 15000, kind: 'partial' })]);
  });

  test('the customer wants the goods back: the merchant ships them back at its cost', async () => {
    const i = input();
    const { h } = await incomplete(i);
    await executeUpdate(h, chooseIncompleteOutcomeUpdate, { args: [{ actor: storefront, choice: 'send_back' }] });
    await complete(h, 'return.send_back_shipment', merchantActor, { carrier: 'SF', trackingNumber: 'SF5550001111' });
    expect(await h.result()).toEqual({ outcome: 'sent_back' });
    const task = tasksOf(i.caseId).find((t) => t.type === 'return.send_back_shipment');
    expect(task.dueAt).toBe(addWorkingDays(i.policy.calendar, new Date(task.at), 2).toISOString());
    expect(mailOf(i.caseId, 'return.sent_back').params).toMatchObject({ carrier: 'SF', trackingNumber: 'SF5550001111' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toHaveLength(0);
  });

  test('customer silence goes to platform review at exactly 7 days; the platform decides a partial refund', async () => {
    const i = input();
    const { h, v } = await incomplete(i);
    const due = v.deadlines.incompleteChoice!;
    const started = v.slas.find((s) => s.name === 'incompleteChoice')!.startedAt;
    expect(due).toBe(new Date(new Date(started).getTime() + 7 * DAY).toISOString());
    await env.sleep(new Date(due).getTime() - (await env.currentTimeMs()) + 1_000);
    const review = await waitForState(h, (s) => !!openTaskOf(s, 'return.completeness_review'), 'completeness review');
    expectFiredAt(eventOf(i.caseId, 'return.incomplete_choice_lapsed').at, due);
    const task = tasksOf(i.caseId).find((t) => t.type === 'return.completeness_review');
    expect(task.dueAt).toBe(addWorkingHours(i.policy.calendar, new Date(task.at), 2).toISOString());
    expect(mailOf(i.caseId, 'return.incomplete_reminder')).toBeDefined();
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(review, 'return.completeness_review')!.taskId, actor: agentActor, payload: { decision: 'partial_refund', amount: '120.00' } }] });
    expect(await h.result()).toEqual({ outcome: 'partially_refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 12000, kind: 'partial' })]);
  });

  test('the customer asks the platform, which finds for a full refund', async () => {
    const i = input();
    const { h } = await incomplete(i);
    await executeUpdate(h, chooseIncompleteOutcomeUpdate, { args: [{ actor: storefront, choice: 'platform_review' }] });
    await complete(h, 'return.completeness_review', agentActor, { decision: 'full_refund' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))).toEqual([expect.objectContaining({ amountMinor: 19900, kind: 'full' })]);
    expect(eventOf(i.caseId, 'return.incomplete_choice_lapsed')).toBeUndefined();
  });

  test('a gift not returned is charged at its marked value (order snapshot)', async () => {
    const i = input();
    i.order.snapshot = snapshot();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await ship(h);
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete', giftNotReturned: true, evidenceIds: ['att_f092ea1a3733425047ced7ec170e6881'] });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(i.caseId, fake.of('refundReturn'))[0]).toMatchObject({ amountMinor: 19900 - 2000 - 300 - 1500, route: 'original', points: { count: 300 } });
    expect(eventOf(i.caseId, 'return.inspection_confirmed').payload).toEqual({ outcome: 'complete', packagingMissing: false, giftNotReturned: true, evidenceIds: ['att_f092ea1a3733425047ced7ec170e6881'] });
  });
});

describe('pickup (上门取件)', () => {
  test('instead of a tracking number, the customer books a pickup; the carrier bills the payer, the merchant confirms receipt', async () => {
    const i = input();
    const h = await start(i);
    await complete(h, 'return.merchant_review', merchantActor, { decision: 'approve' });
    await waitForState(h, (s) => s.step === 'awaiting_customer_shipment');
    await expect(executeUpdate(h, requestReturnPickupUpdate, { args: [{ actor: storefront, pickup: { carrier: 'SF', date: '2026-12-01', slot: '08-10' } as any }] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
    await executeUpdate(h, requestReturnPickupUpdate, { args: [{ actor: storefront, pickup: { carrier: 'SF', date: '2026-12-01', slot: '09-12' } }] });
    await expect(executeUpdate(h, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment: { carrier: 'SF', trackingNumber: 'SF1234567890' } }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
    await receive(h);
    await complete(h, 'return.merchant_inspection', merchantActor, { outcome: 'complete' });
    expect(await h.result()).toEqual({ outcome: 'refunded' });
    expect(forCase(i.caseId, fake.of('scheduleReturnPickup'))).toEqual([
      expect.objectContaining({ carrier: 'SF', date: '2026-12-01', slot: '09-12', timeZone: 'Asia/Shanghai', from: `customer:${i.order.customerId}`, to: 'merchant:merchant-1' }),
    ]);
    expect(forCase(i.caseId, fake.of('recordReturnShipping'))).toEqual([expect.objectContaining({ payer: 'platform', carrier: 'SF' })]);
    expect(forCase(i.caseId, fake.of('reimburseReturnShipping'))).toHaveLength(0);
    expect(mailOf(i.caseId, 'return.pickup_scheduled').params).toMatchObject({ carrier: 'SF', trackingNumber: 'INTRANSITPICK01' });
    expect(mailOf(i.caseId, 'return.approved_merchant').params).toMatchObject({ trackingNumber: 'INTRANSITPICK01' });
  });
});

describe('category codes mapped onto the statutory kinds (patch return-category-kinds; 消法 art. 25, 暂行办法 art. 7)', () => {
  test('a no-reason return of `fresh-produce` (perishable by the table the case carries) closes ineligible; the API refuses it first', async () => {
    const i = input({});
    i.order.category = 'fresh-produce';
    const h = await start(i);
    expect(await h.result()).toEqual({ outcome: 'ineligible' });
    expect(eventOf(i.caseId, 'return.ineligible').payload).toEqual({ reason: 'CATEGORY_EXCLUDED' });
    expect(tasksOf(i.caseId)).toHaveLength(0);
  });

  test('the table is the case\'s own: a case whose policy maps `fresh-produce` to ordinary goods goes to merchant review', async () => {
    const i = input({});
    i.order.category = 'fresh-produce';
    i.policy = { ...i.policy, returnWithin7Days: { ...i.policy.returnWithin7Days, categoryKinds: { 'fresh-produce': 'ordinary' } } };
    const h = await start(i);
    await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'), 'merchant review');
    expect(eventOf(i.caseId, 'return.ineligible')).toBeUndefined();
    await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await h.result()).toEqual({ outcome: 'cancelled' });
  });
});
