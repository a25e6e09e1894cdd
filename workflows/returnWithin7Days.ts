// Policy 7.1 / 7.3: the 7-day no-reason return, exchange or refund.
// While the customer meets the conditions, a return or exchange is guaranteed within 7 days of
// delivery, and the platform pays the return shipping.
import { allHandlersFinished, condition, defineUpdate, patched, proxyActivities } from '@temporalio/workflow';
import type { ReturnActivities } from '../activities/returns';
import type { CaseActivities } from '../activities/types';
import type { BusinessCalendar } from '../policy/businessCalendar';
import { deadlineFrom, describeDuration } from '../policy/durations';
import {
  checkReturnEligibility,
  checkReturnEligibilityLegacy,
  decimalToMinor,
  DEFAULT_RETURN_SHIPPING_CAP_MINOR,
  DEFAULT_RETURN_SHIPPING_CURRENCY,
  returnActions as actions,
  returnTasks,
  returnWindowEndsAt,
  type ReturnPolicy,
  type ReturnReasonCode,
  type ReturnRequestType,
  type ReturnShipment,
  type ReviewDecision,
} from '../policy/returns';
import type { Shipment } from '../policy/schemas';
import { CaseKit } from './caseKit';
import type { ActionResult, Actor } from './definitions';

export const RETURN_CASE_TYPE = 'return';

const payments = proxyActivities<Pick<CaseActivities, 'issueRefund' | 'recordReturnShipping'> & ReturnActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** The policy a return case carries: the document's version, the calendar and this process's section. */
export interface ReturnCasePolicy {
  version: string;
  calendar: BusinessCalendar;
  returnWithin7Days: ReturnPolicy;
}

export interface ReturnCaseInput {
  caseId: string;
  policy: ReturnCasePolicy;
  openedBy: string;
  order: {
    orderId: string;
    lineItemId: string;
    category: string;
    amountMinor: number;
    currency: string;
    customerId: string;
    merchantId: string;
    deliveredAt: string;
  };
  requestType: ReturnRequestType;
  reasonCode: ReturnReasonCode;
  requestedAt: string;
}

export type ReturnOutcome = 'refunded' | 'exchanged' | 'rejected' | 'abandoned' | 'cancelled' | 'ineligible';

export const submitReturnShipmentUpdate = defineUpdate<ActionResult, [{ actor: Actor; shipment: ReturnShipment }]>(actions.shipment.update);
export const requestPlatformReviewUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>(actions['platform-review'].update);

export async function returnWithin7Days(input: ReturnCaseInput): Promise<{ outcome: ReturnOutcome }> {
  const rules = input.policy.returnWithin7Days;
  const { order } = input;
  const kase = new CaseKit(input.caseId, RETURN_CASE_TYPE, input.policy, order.merchantId, returnTasks);
  const customer = { kind: 'customer' as const, id: order.customerId };
  const merchant = { kind: 'merchant' as const, id: order.merchantId };

  let moneyMoving = false;
  let shipment: ReturnShipment | undefined;
  /** The return shipping reimbursed to the customer (7.3), once paid. */
  let shippingReimbursed: { amountMinor: number; currency: string } | undefined;
  let platformReviewRequested = false;

  // The customer may cancel at any point before money moves.
  const cancelled = kase.allowCancellation(() => (moneyMoving ? 'The refund is already under way; the case can no longer be cancelled' : null));
  kase.onAction(actions.shipment, {
    refusal: () => kase.unlessAwaiting('shipment', shipment !== undefined),
    run: async (s, actor) => {
      shipment = s;
      await kase.record('return.shipment_submitted', { carrier: s.carrier }, { actor: actor.id });
    },
  });
  kase.onAction(actions['platform-review'], {
    refusal: () => kase.unlessAwaiting('platform_review_request', platformReviewRequested),
    run: async (_body, actor) => {
      platformReviewRequested = true;
      await kase.record('return.platform_review_requested', {}, { actor: actor.id });
    },
  });

  /** E-mail parameters for the shipping reimbursement, once there is one (cases on the former path have none). */
  const shippingParams = (): Record<string, number | string> =>
    shippingReimbursed ? { shippingMinor: shippingReimbursed.amountMinor, shippingCurrency: shippingReimbursed.currency } : {};

  const close = async (outcome: ReturnOutcome): Promise<{ outcome: ReturnOutcome }> => {
    kase.clearDeadline('customerShipment');
    await kase.record('case.closed', { outcome }, { step: 'closed', outcome, closed: true });
    await kase.notify(`return.closed.${outcome}`, customer);
    if (outcome !== 'ineligible') await kase.notify('survey.requested', customer); // 7.1 satisfaction feedback
    await condition(allHandlersFinished);
    return { outcome };
  };

  // Opening: the same pure rule the API applied (7.1).
  // The window counts civil days (Civil Code arts. 201, 203); cases opened under the former 7 x 24 h rule replay with it.
  const civilDays = patched('return-window-civil-days');
  const windowEndsAt = civilDays
    ? returnWindowEndsAt(new Date(order.deliveredAt), rules, input.policy.calendar)
    : deadlineFrom(new Date(order.deliveredAt), { amount: rules.windowDays, unit: 'days' }, input.policy.calendar);
  kase.setDeadline('returnWindowEndsAt', windowEndsAt);
  await kase.record('case.opened', {
    requestType: input.requestType,
    reasonCode: input.reasonCode,
    orderId: order.orderId,
    amountMinor: order.amountMinor,
    currency: order.currency,
    policyVersion: input.policy.version,
  }, { actor: input.openedBy, step: 'eligibility_check' });
  const eligibilityInput = { deliveredAt: new Date(order.deliveredAt), requestedAt: new Date(input.requestedAt), category: order.category };
  const eligibility = civilDays
    ? checkReturnEligibility(eligibilityInput, rules, input.policy.calendar)
    : checkReturnEligibilityLegacy(eligibilityInput, rules);
  if (!eligibility.eligible) {
    await kase.record('return.ineligible', { reason: eligibility.reason });
    return close('ineligible');
  }
  await kase.notify('return.received', customer, { requestType: input.requestType });
  await kase.notify('return.review_requested', merchant, { requestType: input.requestType, orderId: order.orderId });

  // 1. Merchant review (8.2). Silence approves.
  await kase.record('step.entered', {}, { step: 'merchant_review' });
  const review = await kase.humanTask<ReviewDecision>({
    type: 'return.merchant_review',
    role: 'merchant',
    merchantId: order.merchantId,
    sla: rules.merchantReview,
    slaName: 'merchantReview',
    defaultDecision: 'approve',
    notifyOnEscalation: merchant,
    interrupt: () => cancelled(),
  });
  if (cancelled()) return close('cancelled');
  let approved = review.kind === 'breached' || (review.kind === 'completed' && review.payload.decision === 'approve');
  if (review.kind === 'breached') {
    await kase.record('return.auto_approved', { reason: 'merchant_review_sla_lapsed', dueAt: review.sla.dueAt });
  }

  // Rejected: the customer may ask the platform to review; the platform's decision is final.
  if (!approved && review.kind === 'completed') {
    const reasonCode = review.payload.decision === 'reject' ? review.payload.reasonCode : 'other';
    const requestBy = deadlineFrom(new Date(), rules.platformReviewRequestWindow, input.policy.calendar);
    kase.setDeadline('platformReviewRequestBy', requestBy);
    kase.awaiting = 'platform_review_request';
    await kase.record('return.rejected_by_merchant', { reasonCode }, { actor: review.actor.id, step: 'awaiting_platform_review_request' });
    await kase.notify('return.rejected', customer, { reasonCode, platformReviewRequestBy: requestBy.toISOString() });
    await condition(() => (platformReviewRequested || cancelled()) && kase.settled(), requestBy.getTime() - Date.now());
    kase.awaiting = null;
    kase.clearDeadline('platformReviewRequestBy');
    if (cancelled()) return close('cancelled');
    if (!platformReviewRequested) return close('rejected');

    // 7.1: the after-sales response within 2 working hours; a lapse goes to a supervisor.
    await kase.record('step.entered', {}, { step: 'platform_review' });
    const platform = await kase.humanTask<ReviewDecision>({
      type: 'return.platform_review',
      role: 'agent',
      sla: rules.platformReview,
      slaName: 'platformReview',
      notifyOnEscalation: { kind: 'role', id: 'agent' },
      interrupt: () => cancelled(),
    });
    if (cancelled() || platform.kind !== 'completed') return close('cancelled');
    approved = platform.payload.decision === 'approve';
    await kase.record('return.platform_decision', { decision: platform.payload.decision }, { actor: platform.actor.id });
    if (!approved) return close('rejected');
  }
  const needsShipment = input.requestType !== 'refund_only';
  const shipping = needsShipment ? kase.awaitParty('shipment', 'customerShipment', rules.customerShipment) : undefined;
  await kase.record('return.approved', {}, { step: needsShipment ? 'awaiting_customer_shipment' : 'refunding' });
  await kase.notify('return.approved', customer, { requestType: input.requestType });

  // 2. The customer ships the item back; the platform pays the shipping (7.3).
  if (shipping) {
    const shipped = await shipping.until(
      () => shipment !== undefined || cancelled(),
      () => kase.notify('return.shipment_reminder', customer, { dueAt: shipping.clock.dueAt.toISOString() }),
    );
    const ended = await kase.endedBy(shipped, { event: 'return.abandoned', reason: 'no_shipment_by_deadline', outcome: 'abandoned' });
    if (ended) return close(ended);
    if (patched('return-shipping-reimbursed')) {
      // The platform bears the freight for real: what the customer paid, or the carrier's quote, up to the cap.
      // Cases opened before the cap existed carry no cap in their policy: the default applies.
      const paid = shipment!.paid && { amountMinor: decimalToMinor(shipment!.paid.amount), currency: shipment!.paid.currency };
      const reimbursed = await payments.reimburseReturnShipping({
        caseId: input.caseId,
        payer: rules.returnShippingPaidBy,
        carrier: shipment!.carrier,
        ...(paid && { paid }),
        from: `customer:${order.customerId}`,
        to: `merchant:${order.merchantId}`,
        cap: {
          amountMinor: rules.returnShippingCapMinor ?? DEFAULT_RETURN_SHIPPING_CAP_MINOR,
          currency: rules.returnShippingCurrency ?? DEFAULT_RETURN_SHIPPING_CURRENCY,
        },
        at: new Date().toISOString(),
        eventKey: `${input.caseId}:return-shipping`,
      });
      shippingReimbursed = { amountMinor: reimbursed.amountMinor, currency: reimbursed.currency };
    } else {
      await payments.recordReturnShipping({
        caseId: input.caseId,
        payer: rules.returnShippingPaidBy,
        carrier: shipment!.carrier,
        at: new Date().toISOString(),
        eventKey: `${input.caseId}:return-shipping`,
      });
    }

    // The merchant learns that the approved return is on its way back and how long it has to inspect it: an approval
    // by silence (8.2) or by the platform is news to it, and the inspection clock starts now.
    if (patched('merchant-told-of-approval')) {
      await kase.notify('return.approved_merchant', merchant, {
        requestType: input.requestType,
        orderId: order.orderId,
        carrier: shipment!.carrier,
        trackingNumber: shipment!.trackingNumber,
        inspectWithin: describeDuration(rules.merchantInspection.within),
      });
    }

    // 3. The merchant confirms receipt and inspection; silence confirms.
    await kase.record('step.entered', {}, { step: 'merchant_inspection' });
    const inspection = await kase.humanTask<{ outcome: 'confirmed' }>({
      type: 'return.merchant_inspection',
      role: 'merchant',
      merchantId: order.merchantId,
      sla: rules.merchantInspection,
      slaName: 'merchantInspection',
      defaultDecision: 'confirmed',
      notifyOnEscalation: merchant,
      interrupt: () => cancelled(),
    });
    if (cancelled()) return close('cancelled');
    await kase.record(inspection.kind === 'breached' ? 'return.inspection_auto_confirmed' : 'return.inspection_confirmed', {});
    await kase.notify('return.item_received', customer, { requestType: input.requestType });
  }

  // 4. Completion: a refund, or a replacement shipment.
  if (input.requestType === 'exchange') {
    await kase.record('step.entered', {}, { step: 'exchange_shipment' });
    const replacement = await kase.humanTask<Shipment>({
      type: 'return.exchange_shipment',
      role: 'merchant',
      merchantId: order.merchantId,
      sla: rules.exchangeShipment,
      slaName: 'exchangeShipment',
      notifyOnEscalation: merchant,
      interrupt: () => cancelled(),
    });
    if (cancelled() || replacement.kind !== 'completed') return close('cancelled');
    await kase.notify('return.replacement_shipped', customer, { carrier: replacement.payload.carrier, trackingNumber: replacement.payload.trackingNumber, ...shippingParams() });
    return close('exchanged');
  }

  moneyMoving = true; // from here the customer can no longer cancel
  await kase.record('step.entered', {}, { step: 'refunding' });
  const refund = await payments.issueRefund({
    caseId: input.caseId,
    amountMinor: order.amountMinor,
    currency: order.currency,
    at: new Date().toISOString(),
    eventKey: `${input.caseId}:refund`,
  });
  await kase.record('return.refunded', { paymentId: refund.paymentId, amountMinor: order.amountMinor, currency: order.currency });
  await kase.notify('return.refunded', customer, { amountMinor: order.amountMinor, currency: order.currency, ...shippingParams() });
  return close('refunded');
}

