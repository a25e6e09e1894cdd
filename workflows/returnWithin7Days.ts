// Policy 7.1 / 7.3: the 7-day no-reason return, exchange or refund.
// While the customer meets the conditions, a return or exchange is guaranteed within 7 days of
// delivery, and the platform pays the return shipping.
import { allHandlersFinished, condition, defineUpdate, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ReturnActivities } from '../activities/returns';
import type { CaseActivities } from '../activities/types';
import { dayPeriodEndsAt, type BusinessCalendar } from '../policy/businessCalendar';
import { deadlineFrom, describeDuration, durationMs } from '../policy/durations';
import {
  checkClaimEligibility,
  claimKindOf,
  type QualityRemedyChoice,
  type TerminationReview,
  refundableMinor,
  refundRouteOf,
  withLawDefaults,
  type CompletenessDecision,
  type IncompleteChoice,
  type InspectionResult,
  type OrderSnapshot,
  type PickupRequest,
  type QualityInspectionResult,
  type ReturnDamageDispute,
  type ReturnDamageReview,
  type ReturnShippingReview,
  qualityShippingAssessment,
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
import type { Shipment, SlaPolicy } from '../policy/schemas';
import { CARRIER_DELIVERY_EVENTS_PATCH, CaseKit } from './caseKit';
import type { ActionResult, Actor } from './definitions';
import { RefundRouteAgreement } from './refundRouteChoice';
import type { ChosenRefundRoute } from '../policy/refundRoute';
import { MERCHANT_TOLD_OF_APPROVAL_PATCH, RETURN_CATEGORY_KINDS_PATCH, RETURN_CONSUMER_LAW_PATCH, RETURN_LINKED_COMPLAINT_PATCH, RETURN_QUALITY_FULL_REFUND_PATCH, RETURN_QUALITY_SHIPPING_PATCH, RETURN_QUALITY_TIME_LIMITS_PATCH, RETURN_SHIPPING_REIMBURSED_PATCH, RETURN_WINDOW_CIVIL_DAYS_PATCH } from './patches';

export const RETURN_CASE_TYPE = 'return';

const payments = proxyActivities<Pick<CaseActivities, 'issueRefund' | 'recordReturnShipping'> & ReturnActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The carrier's delivery status as a fallback (patch carrier-delivery-events): a short read, asked at most three times,
 * as a local activity (one marker in the history instead of an activity's events and a workflow task of its own).
 */
// Not bounded (patch local-steps-bounded bounds the kit's own writes): a carrier's answer may take longer than LOCAL_STEP_BOUND.
const carrierStatus = proxyLocalActivities<Pick<ReturnActivities, 'returnParcelStatus'>>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
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
    /** Absent only for a refund-only request for goods not delivered (电子商务法 art. 20). */
    deliveredAt?: string;
    /** The order snapshot (references, enums, amounts); absent for cases opened before it existed. */
    snapshot?: OrderSnapshot;
  };
  requestType: ReturnRequestType;
  reasonCode: ReturnReasonCode;
  requestedAt: string;
  /** Refund-only for a minor defect: the partial refund the customer asks, agreed by the merchant (or the platform). */
  partialRefundMinor?: number;
}

export type ReturnOutcome = 'refunded' | 'partially_refunded' | 'exchanged' | 'sent_back' | 'rejected' | 'abandoned' | 'cancelled' | 'ineligible' | 'referred_to_repair' | 'withdrawn';

export const submitReturnShipmentUpdate = defineUpdate<ActionResult, [{ actor: Actor; shipment: ReturnShipment }]>(actions.shipment.update);
export const requestPlatformReviewUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>(actions['platform-review'].update);
export const requestReturnPickupUpdate = defineUpdate<ActionResult, [{ actor: Actor; pickup: PickupRequest }]>(actions.pickup.update);
export const confirmReturnReceiptUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>(actions.receipt.update);
export const chooseIncompleteOutcomeUpdate = defineUpdate<ActionResult, [{ actor: Actor; choice: IncompleteChoice }]>(actions['incomplete-choice'].update);
export const disputeReturnDamageUpdate = defineUpdate<ActionResult, [{ actor: Actor } & ReturnDamageDispute]>(actions['return-damage-dispute'].update);
export const chooseQualityRemedyUpdate = defineUpdate<ActionResult, [{ actor: Actor; choice: QualityRemedyChoice }]>(actions['quality-remedy-choice'].update);
/** 暂行办法 art. 17: the customer's choice of refund route when the original payment cannot take it (workflows/refundRouteChoice.ts). */
export const chooseRefundRouteUpdate = defineUpdate<ActionResult, [{ actor: Actor } & ChosenRefundRoute]>(actions['refund-route'].update);

/** Category codes mapped onto the statutory and by-nature kinds with the policy's table (policy/returns.ts categoryKindOf). */
export { RETURN_CATEGORY_KINDS_PATCH };
/**
 * A quality return is refunded in full (消法 art. 24): no completeness test, which 暂行办法 art. 8 ties to no-reason
 * returns; only damage the customer caused beyond the defect is deducted, with evidence, and the customer may dispute
 * it. Cases opened before inspect a quality return for completeness, as they did.
 */
export { RETURN_QUALITY_FULL_REFUND_PATCH };
/**
 * The seller bears all the necessary transport costs of a quality claim (消法 art. 24): its return shipping is not
 * capped. The amount paid is reimbursed within the policy margin above the carrier's quote (or the quote); above it, an
 * agent approves the amount (task return.shipping_review). Cases opened before cap it like a no-reason return.
 */
export { RETURN_QUALITY_SHIPPING_PATCH };
/**
 * Time never refuses a quality claim by itself (消法 art. 24): only the period for objecting to quality (民法典 arts. 620,
 * 621) and, for the three-guarantee catalogue, the 15-day exchange limit (三包 art. 10). A return after the 7 days that
 * the merchant does not accept goes to an agent: do the termination conditions hold (民法典 art. 563)? Refused, the
 * customer chooses an exchange (when due), a repair or to withdraw. Cases opened before keep the 7/15-day and warranty
 * windows of checkClaimEligibility.
 */
export { RETURN_QUALITY_TIME_LIMITS_PATCH };

/**
 * A return whose platform review is rejected hands over to a complaint (消法 art. 39: the customer keeps the other routes
 * after the platform's refusal): the case opens a linked `complaint` case (CaseKit openLinkedCase, 'handed_over_to'; the
 * complaint shows it as 'escalated_from') with the order's ids and the reason code, then closes rejected as before. With
 * no complaint process in the catalogue nothing is opened and the return records case.link_skipped. Cases opened
 * before close rejected without it.
 */
export { RETURN_LINKED_COMPLAINT_PATCH };

/** The case type of the complaint a rejected return hands over to. */
export const COMPLAINT_CASE_TYPE = 'complaint';

export async function returnWithin7Days(input: ReturnCaseInput): Promise<{ outcome: ReturnOutcome }> {
  // Cases opened from this patch on follow the consumer law (消法 arts. 24, 25, 39; 暂行办法; 电子商务法 art. 20);
  // cases opened before replay the process as it was first built.
  if (patched(RETURN_CONSUMER_LAW_PATCH)) return returnUnderConsumerLaw(input);
  return returnAsFirstBuilt(input);
}

/** The process as first built (cases opened before patch 'return-consumer-law'). Do not change: it replays running cases. */
async function returnAsFirstBuilt(input: ReturnCaseInput): Promise<{ outcome: ReturnOutcome }> {
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
  const civilDays = patched(RETURN_WINDOW_CIVIL_DAYS_PATCH);
  const windowEndsAt = civilDays
    ? returnWindowEndsAt(new Date(order.deliveredAt!), rules, input.policy.calendar)
    : deadlineFrom(new Date(order.deliveredAt!), { amount: rules.windowDays, unit: 'days' }, input.policy.calendar);
  kase.setDeadline('returnWindowEndsAt', windowEndsAt);
  await kase.record('case.opened', {
    requestType: input.requestType,
    reasonCode: input.reasonCode,
    orderId: order.orderId,
    amountMinor: order.amountMinor,
    currency: order.currency,
    policyVersion: input.policy.version,
  }, { actor: input.openedBy, step: 'eligibility_check' });
  const eligibilityInput = { deliveredAt: new Date(order.deliveredAt!), requestedAt: new Date(input.requestedAt), category: order.category };
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
    if (patched(RETURN_SHIPPING_REIMBURSED_PATCH)) {
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
    if (patched(MERCHANT_TOLD_OF_APPROVAL_PATCH)) {
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


/** A task's SLA, ending no later than `bound` (e.g. the inspection before the refund is due). */
function boundedSla(sla: SlaPolicy, from: Date, bound: Date, calendar: BusinessCalendar): SlaPolicy {
  if (deadlineFrom(from, sla.within, calendar).getTime() <= bound.getTime()) return sla;
  return { ...sla, within: { amount: Math.max(1_000, bound.getTime() - from.getTime()) / 60_000, unit: 'minutes' } };
}

/**
 * The return as the law shapes it. What the request is decides its rule: a no-reason return (暂行办法, 7.1), a quality
 * claim (消法 art. 24: return 7 days, exchange 15 days, the seller bears the costs) or a non-delivery (电子商务法 art. 20:
 * refund without return). The refund is paid within 7 days of the goods' receipt (消法 art. 25) along the original
 * route (暂行办法); completeness is decided at inspection with evidence (暂行办法 art. 8).
 */
async function returnUnderConsumerLaw(input: ReturnCaseInput): Promise<{ outcome: ReturnOutcome }> {
  const rules = withLawDefaults(input.policy.returnWithin7Days);
  const calendar = input.policy.calendar;
  const { order } = input;
  const snapshot = order.snapshot;
  const kase = new CaseKit(input.caseId, RETURN_CASE_TYPE, input.policy, order.merchantId, returnTasks);
  const pay = kase.afterWrites(payments);
  const customer = { kind: 'customer' as const, id: order.customerId };
  const merchant = { kind: 'merchant' as const, id: order.merchantId };
  const platformAgents = { kind: 'role' as const, id: 'agent' };

  let moneyMoving = false;
  let shipment: ReturnShipment | undefined;
  let pickup: PickupRequest | undefined;
  let platformReviewRequested = false;
  let receivedAt: Date | undefined;
  let incompleteChoice: IncompleteChoice | undefined;
  let damageDisputable = false;
  let damageDispute: ReturnDamageDispute | undefined;
  let shippingReimbursed: { amountMinor: number; currency: string } | undefined;
  let remediesOffered: QualityRemedyChoice[] = [];
  let qualityRemedy: QualityRemedyChoice | undefined;

  // The customer may cancel at any point before money moves.
  const cancelled = kase.allowCancellation(() => (moneyMoving ? 'The refund is already under way; the case can no longer be cancelled' : null));
  const shipmentRefusal = () => kase.unlessAwaiting('shipment', shipment !== undefined || pickup !== undefined);
  kase.onAction(actions.shipment, {
    refusal: shipmentRefusal,
    run: async (s, actor) => {
      shipment = s;
      await kase.record('return.shipment_submitted', { carrier: s.carrier }, { actor: actor.id });
    },
  });
  kase.onAction(actions.pickup, {
    refusal: shipmentRefusal,
    run: async (p, actor) => {
      pickup = p;
      await kase.record('return.pickup_requested', { carrier: p.carrier, date: p.date, slot: p.slot }, { actor: actor.id });
    },
  });
  kase.onAction(actions['platform-review'], {
    refusal: () => kase.unlessAwaiting('platform_review_request', platformReviewRequested),
    run: async (_body, actor) => {
      platformReviewRequested = true;
      await kase.record('return.platform_review_requested', {}, { actor: actor.id });
    },
  });
  kase.onAction(actions.receipt, {
    refusal: () => kase.unlessAwaiting('receipt', receivedAt !== undefined),
    run: async (_body, actor) => {
      receivedAt = new Date();
      await kase.record('return.goods_received', { by: actor.role, receivedAt: receivedAt.toISOString() }, { actor: actor.id });
    },
  });
  kase.onAction(actions['incomplete-choice'], {
    refusal: () => kase.unlessAwaiting('incomplete_choice', incompleteChoice !== undefined),
    run: async (body, actor) => {
      incompleteChoice = body.choice;
      await kase.record('return.incomplete_choice', { choice: body.choice }, { actor: actor.id });
    },
  });

  // Registered for every case of this path; only a quality return with a customer-damage finding waits for it.
  kase.onAction(actions['return-damage-dispute'], {
    refusal: () => kase.unlessAwaiting('damage_dispute', damageDispute !== undefined) ?? (damageDisputable ? null : 'Only a customer-damage finding on a quality return can be disputed, once'),
    run: async (body, actor) => {
      damageDispute = { reasonCode: body.reasonCode, ...(body.evidenceIds && { evidenceIds: body.evidenceIds }) };
      await kase.record('return.damage_disputed', { reasonCode: body.reasonCode, evidenceIds: body.evidenceIds ?? [] }, { actor: actor.id });
    },
  });

  // Registered for every case of this path; only a late quality return whose termination was refused waits for it.
  kase.onAction(actions['quality-remedy-choice'], {
    refusal: () => kase.unlessAwaiting('quality_remedy_choice', qualityRemedy !== undefined),
    check: ({ choice }) => (remediesOffered.includes(choice) ? null : `The case offers ${remediesOffered.join(', ')}, not ${choice}`),
    run: async ({ choice }, actor) => {
      qualityRemedy = choice;
      await kase.record('return.quality_remedy_chosen', { choice }, { actor: actor.id });
    },
  });

  const shippingParams = (): Record<string, number | string> =>
    shippingReimbursed ? { shippingMinor: shippingReimbursed.amountMinor, shippingCurrency: shippingReimbursed.currency } : {};

  const close = async (outcome: ReturnOutcome): Promise<{ outcome: ReturnOutcome }> => {
    for (const name of ['customerShipment', 'returnReceiptBy', 'refundDueAt', 'platformReviewRequestBy', 'damageDispute', 'refundRouteChoiceBy']) kase.clearDeadline(name);
    await kase.record('case.closed', { outcome }, { step: 'closed', outcome, closed: true });
    await kase.notify(`return.closed.${outcome}`, customer);
    if (outcome !== 'ineligible') await kase.notify('survey.requested', customer); // 7.1 satisfaction feedback
    await kase.until(allHandlersFinished);
    return { outcome };
  };

  /** 消法 art. 39: a rejection is final within the platform only; the notice names every route the customer keeps. */
  const rejected = async (reasonCode: string): Promise<{ outcome: ReturnOutcome }> => {
    await kase.notify('return.rejected_final', customer, { reasonCode });
    return close('rejected');
  };

  // The full refund: the amount actually paid for the line (5.), less a gift kept.
  const fullRefundMinor = refundableMinor(order.amountMinor, snapshot);
  // 暂行办法 art. 17: the original route; when it cannot take the refund, the way the customer chooses (patch
  // refund-route-by-agreement; cases opened before keep refundRouteOf, the platform balance unasked).
  const routes = new RefundRouteAgreement(kase, actions['refund-route'], { prefix: 'return', customer, payment: snapshot?.payment, formerRoute: refundRouteOf(snapshot) });

  /** The refund along the route of the order snapshot or the customer's choice (暂行办法 art. 17); points go back as points. */
  const payRefund = async (amountMinor: number, kind: 'full' | 'partial', part?: 'deduction'): Promise<void> => {
    moneyMoving = true; // from here the customer can no longer cancel
    // The refund clock is not paused for the choice of route: the refund waits for it until an hour before it falls due.
    const dueAt = kase.view.deadlines.refundDueAt;
    const way = await routes.settle({ ...(dueAt && { dueAt: new Date(dueAt) }), waitMs: durationMs(rules.refundRouteChoice, calendar) });
    const route = way.route;
    const routeBasis = way.basis && { routeBasis: way.basis };
    await kase.record('step.entered', {}, { step: 'refunding' });
    // Points go back with the refund of the line's price (a deduction refunded later is money only).
    const points = !part && snapshot?.points && (kind === 'full' || qualityRefund) ? { count: snapshot.points.count } : undefined;
    const paid = await pay.refundReturn({
      caseId: input.caseId,
      amountMinor,
      currency: order.currency,
      route,
      ...(snapshot?.payment && { paymentRef: snapshot.payment.ref }),
      ...(way.payeeRef && { payeeRef: way.payeeRef }),
      ...routeBasis,
      ...(points && { points }),
      kind,
      ...(part && { part }),
      at: new Date().toISOString(),
      eventKey: part ? `${input.caseId}:refund:${part}` : `${input.caseId}:refund`,
    });
    await kase.record('return.refunded', { paymentId: paid.paymentId, amountMinor, currency: order.currency, kind, route, ...routeBasis, pointsRestored: points?.count ?? 0, ...(part && { part }) });
    await kase.notify('return.refunded', customer, { amountMinor, currency: order.currency, route, ...routeBasis, ...(points && { points: points.count }), ...(!part && shippingParams()) }, part ? `:${part}` : '');
  };
  /** Set for a quality return under patch return-quality-full-refund: its first refund restores the points even when a deduction is kept. */
  let qualityRefund = false;
  const refund = async (amountMinor: number, kind: 'full' | 'partial'): Promise<{ outcome: ReturnOutcome }> => {
    await payRefund(amountMinor, kind);
    return close(kind === 'partial' ? 'partially_refunded' : 'refunded');
  };

  /** The platform reviews (7.1: within 2 working hours; a lapse goes to a supervisor). */
  const platformReview = async () => {
    await kase.record('step.entered', {}, { step: 'platform_review' });
    return kase.humanTask<ReviewDecision>({
      type: 'return.platform_review',
      role: 'agent',
      sla: rules.platformReview,
      slaName: 'platformReview',
      notifyOnEscalation: platformAgents,
      interrupt: () => cancelled(),
    });
  };

  // Opening: the rule of the claim, the same pure rule the API applied. From patch return-category-kinds the category
  // code is mapped onto its statutory or by-nature kind with the table the case carries (policy `categoryKinds`,
  // 消法 art. 25, 暂行办法 art. 7); cases opened before match the exact codes, as they did.
  const categoryTable = patched(RETURN_CATEGORY_KINDS_PATCH);
  // From patch return-quality-time-limits a quality claim is limited in time as the law limits it (消法 art. 24; 民法典
  // arts. 563, 620, 621; 三包 art. 10); cases opened before keep the 7/15-day and warranty windows.
  const qualityTimeLimits = claimKindOf(input.reasonCode) === 'quality' && patched(RETURN_QUALITY_TIME_LIMITS_PATCH);
  const claim = checkClaimEligibility(
    {
      requestType: input.requestType,
      reasonCode: input.reasonCode,
      category: order.category,
      ...(order.deliveredAt && { deliveredAt: new Date(order.deliveredAt) }),
      requestedAt: new Date(input.requestedAt),
      ...(snapshot && { snapshot }),
      partialRefund: input.partialRefundMinor !== undefined,
    },
    rules,
    calendar,
    { categoryTable, qualityTimeLimits },
  );
  if (claim.windowEndsAt) kase.setDeadline('returnWindowEndsAt', claim.windowEndsAt);
  await kase.record('case.opened', {
    requestType: input.requestType,
    reasonCode: input.reasonCode,
    claimKind: claim.kind,
    orderId: order.orderId,
    amountMinor: order.amountMinor,
    refundableMinor: fullRefundMinor,
    currency: order.currency,
    refundRoute: routes.openingRoute,
    policyVersion: input.policy.version,
    ...(claim.eligible && claim.terminationReview && { terminationReview: true }),
  }, { actor: input.openedBy, step: 'eligibility_check' });
  if (!claim.eligible) {
    await kase.record('return.ineligible', { reason: claim.reason });
    return close('ineligible');
  }
  await kase.notify('return.received', customer, { requestType: input.requestType });
  await kase.notify('return.review_requested', merchant, { requestType: input.requestType, orderId: order.orderId, claimKind: claim.kind });
  // 暂行办法 art. 17: the original route cannot take the refund; the customer chooses the way (an exchange refunds nothing).
  if (input.requestType !== 'exchange') await routes.ask();

  // 1. Merchant review (8.2): silence approves.
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
  if (review.kind === 'breached') await kase.record('return.auto_approved', { reason: 'merchant_review_sla_lapsed', dueAt: review.sla.dueAt });

  if (review.kind === 'completed' && review.payload.decision === 'reject') {
    const reasonCode = review.payload.reasonCode;
    if (claim.kind === 'no_reason') {
      // The customer may ask the platform to review within the window; the other routes of 消法 art. 39 stay open.
      const requestBy = deadlineFrom(new Date(), rules.platformReviewRequestWindow, calendar);
      kase.setDeadline('platformReviewRequestBy', requestBy);
      kase.awaiting = 'platform_review_request';
      await kase.record('return.rejected_by_merchant', { reasonCode }, { actor: review.actor.id, step: 'awaiting_platform_review_request' });
      await kase.notify('return.rejected', customer, { reasonCode, platformReviewRequestBy: requestBy.toISOString() });
      await kase.until(() => (platformReviewRequested || cancelled()) && kase.settled(), requestBy.getTime() - Date.now());
      kase.awaiting = null;
      kase.clearDeadline('platformReviewRequestBy');
      if (cancelled()) return close('cancelled');
      if (!platformReviewRequested) return close('rejected');
    } else {
      // 消法 art. 24 / 电子商务法 art. 20: the merchant alone does not end a quality or non-delivery claim.
      await kase.record('return.rejected_by_merchant', { reasonCode, platformReview: claim.terminationReview ? 'termination' : 'automatic' }, { actor: review.actor.id });
      await kase.notify('return.rejected_to_platform', customer, { reasonCode });
    }
    if (claim.terminationReview) {
      // A quality return after the 7 days: the platform decides whether the contract may be terminated (民法典 art. 563).
      const ended = await terminationReviewed();
      if (ended) return ended;
    } else {
      const platform = await platformReview();
      if (cancelled() || platform.kind !== 'completed') return close('cancelled');
      await kase.record('return.platform_decision', { decision: platform.payload.decision }, { actor: platform.actor.id });
      if (platform.payload.decision === 'reject') {
        if (patched(RETURN_LINKED_COMPLAINT_PATCH)) {
          await kase.openLinkedCase(
            COMPLAINT_CASE_TYPE,
            { returnCaseId: input.caseId, orderId: order.orderId, lineItemId: order.lineItemId, customerId: order.customerId, merchantId: order.merchantId, reasonCode: platform.payload.reasonCode },
            'handed_over_to',
          );
        }
        return rejected(platform.payload.reasonCode);
      }
    }
  }

  // 2. Refund-only: nothing comes back (电子商务法 art. 20; or the partial refund agreed for a minor defect).
  if (input.requestType === 'refund_only') {
    await kase.record('return.approved', { claimKind: claim.kind }, { step: 'refunding' });
    await kase.notify('return.approved', customer, { requestType: input.requestType });
    return input.partialRefundMinor !== undefined ? refund(Math.min(input.partialRefundMinor, fullRefundMinor), 'partial') : refund(fullRefundMinor, 'full');
  }

  // 3. The goods come back: shipped by the customer, or collected by the carrier (上门取件). The seller bears the costs
  // of a quality claim (消法 art. 24); the platform those of a no-reason return (7.3).
  const payer = claim.kind === 'quality' ? 'merchant' : rules.returnShippingPaidBy;
  const shipping = kase.awaitParty('shipment', 'customerShipment', rules.customerShipment);
  await kase.record('return.approved', { claimKind: claim.kind, shippingPaidBy: payer }, { step: 'awaiting_customer_shipment' });
  await kase.notify('return.approved', customer, { requestType: input.requestType, shippingPaidBy: payer });
  const shipped = await shipping.until(
    () => shipment !== undefined || pickup !== undefined || cancelled(),
    () => kase.notify('return.shipment_reminder', customer, { dueAt: shipping.clock.dueAt.toISOString() }),
  );
  const ended = await kase.endedBy(shipped, { event: 'return.abandoned', reason: 'no_shipment_by_deadline', outcome: 'abandoned' });
  if (ended) return close(ended);
  if (pickup) {
    const booking = await pay.scheduleReturnPickup({
      caseId: input.caseId,
      carrier: pickup.carrier,
      from: `customer:${order.customerId}`,
      to: `merchant:${order.merchantId}`,
      date: pickup.date,
      slot: pickup.slot,
      timeZone: calendar.timeZone,
      at: new Date().toISOString(),
      eventKey: `${input.caseId}:pickup`,
    });
    shipment = { carrier: booking.carrier, trackingNumber: booking.trackingNumber };
    await kase.record('return.pickup_scheduled', { pickupId: booking.pickupId, carrier: booking.carrier, windowStartsAt: booking.windowStartsAt, windowEndsAt: booking.windowEndsAt });
    await kase.notify('return.pickup_scheduled', customer, { carrier: booking.carrier, trackingNumber: booking.trackingNumber, windowStartsAt: booking.windowStartsAt, windowEndsAt: booking.windowEndsAt });
    // The carrier bills the payer for the pickup: the customer pays nothing, so nothing is reimbursed.
    await pay.recordReturnShipping({ caseId: input.caseId, payer, carrier: booking.carrier, at: new Date().toISOString(), eventKey: `${input.caseId}:return-shipping` });
  } else if (claim.kind === 'quality' && patched(RETURN_QUALITY_SHIPPING_PATCH)) {
    const reimbursed = await qualityShipping(shipment!);
    if (!reimbursed) return close('cancelled');
    shippingReimbursed = reimbursed;
  } else {
    const paid = shipment!.paid && { amountMinor: decimalToMinor(shipment!.paid.amount), currency: shipment!.paid.currency };
    const reimbursed = await pay.reimburseReturnShipping({
      caseId: input.caseId,
      payer,
      carrier: shipment!.carrier,
      ...(paid && { paid }),
      from: `customer:${order.customerId}`,
      to: `merchant:${order.merchantId}`,
      cap: { amountMinor: rules.returnShippingCapMinor, currency: rules.returnShippingCurrency },
      at: new Date().toISOString(),
      eventKey: `${input.caseId}:return-shipping`,
    });
    shippingReimbursed = { amountMinor: reimbursed.amountMinor, currency: reimbursed.currency };
  }
  const parcel = shipment!;
  await kase.notify('return.approved_merchant', merchant, {
    requestType: input.requestType,
    orderId: order.orderId,
    carrier: parcel.carrier,
    trackingNumber: parcel.trackingNumber,
    inspectWithin: describeDuration(rules.merchantInspection.within),
  });

  // 4. Receipt of the goods: the carrier's delivery event or the merchant's confirmation (the refund counts from it).
  const shippedAt = new Date();
  const receiptBy = deadlineFrom(shippedAt, rules.returnReceipt, calendar);
  kase.setDeadline('returnReceiptBy', receiptBy);
  kase.awaiting = 'receipt';
  await kase.record('step.entered', {}, { step: 'awaiting_receipt' });
  if (patched(CARRIER_DELIVERY_EVENTS_PATCH)) {
    // The carrier's delivery event (webhook) ends the wait; past the expected delivery, the carrier is asked (≤ 3 times).
    const delivered = await kase.awaitCarrierDelivery({
      leg: 'return',
      carrier: parcel.carrier,
      trackingNumber: parcel.trackingNumber,
      expectedBy: deadlineFrom(shippedAt, rules.carrierExpectedDelivery, calendar),
      giveUpAt: receiptBy,
      poll: () => kase.afterWrites(carrierStatus).returnParcelStatus({ carrier: parcel.carrier, trackingNumber: parcel.trackingNumber }),
      done: () => receivedAt !== undefined || cancelled(),
    });
    if (delivered && receivedAt === undefined && !cancelled()) {
      // The carrier's delivery time, never before the shipment nor after now.
      const reported = delivered.deliveredAt ? new Date(delivered.deliveredAt).getTime() : Date.now();
      receivedAt = new Date(Math.min(Date.now(), Math.max(shippedAt.getTime(), Number.isNaN(reported) ? Date.now() : reported)));
      await kase.record('return.goods_received', { by: 'carrier', via: delivered.by, receivedAt: receivedAt.toISOString() });
    }
  } else {
    while (receivedAt === undefined && !cancelled() && Date.now() < receiptBy.getTime()) {
      const status = await pay.returnParcelStatus({ carrier: parcel.carrier, trackingNumber: parcel.trackingNumber });
      if (status.delivered && receivedAt === undefined) {
        // The carrier's delivery time, when it reports one within the wait; otherwise now.
        const reported = status.deliveredAt ? new Date(status.deliveredAt).getTime() : Date.now();
        receivedAt = new Date(Math.min(Date.now(), Math.max(shippedAt.getTime(), reported)));
        await kase.record('return.goods_received', { by: 'carrier', receivedAt: receivedAt.toISOString() });
        break;
      }
      const nextLook = Math.min(deadlineFrom(new Date(), rules.carrierPollEvery, calendar).getTime(), receiptBy.getTime());
      await kase.until(() => (receivedAt !== undefined || cancelled()) && kase.settled(), Math.max(1, nextLook - Date.now()));
    }
  }
  kase.awaiting = null;
  kase.clearDeadline('returnReceiptBy');
  if (cancelled()) return close('cancelled');
  if (receivedAt === undefined) {
    // Nobody saw the parcel arrive: the platform decides; the customer, who shipped it, does not lose the claim by the lapse.
    await kase.record('return.receipt_lapsed', { dueAt: receiptBy.toISOString() });
    const platform = await platformReview();
    if (cancelled() || platform.kind !== 'completed') return close('cancelled');
    await kase.record('return.platform_decision', { decision: platform.payload.decision }, { actor: platform.actor.id });
    if (platform.payload.decision === 'reject') return rejected(platform.payload.reasonCode);
    receivedAt = new Date();
  }

  // 5. The refund is due within 7 days of receipt, holidays included (消法 art. 25); the inspection ends before it.
  // An exchange refunds nothing: its inspection keeps the policy's time.
  const refundDueAt = dayPeriodEndsAt(calendar, receivedAt, rules.refundWithinDaysOfReceipt, { extendOverHolidays: false });
  const refunding = input.requestType !== 'exchange';
  if (refunding) kase.setDeadline('refundDueAt', refundDueAt);
  if (refunding) await routes.remind(routes.endsAt({ dueAt: refundDueAt, waitMs: 0 })); // the refund clock runs: choose the route
  const inspectionEnds = refunding ? new Date(refundDueAt.getTime() - durationMs(rules.inspectionEndsBeforeRefundDue, calendar)) : new Date(8.64e15);
  if (claim.kind === 'quality' && patched(RETURN_QUALITY_FULL_REFUND_PATCH)) return qualityReturnInspected();
  await kase.record('step.entered', {}, { step: 'merchant_inspection' });
  const inspection = await kase.humanTask<InspectionResult>({
    type: 'return.merchant_inspection',
    role: 'merchant',
    merchantId: order.merchantId,
    sla: boundedSla(rules.merchantInspection, new Date(), inspectionEnds, calendar),
    slaName: 'merchantInspection',
    defaultDecision: 'complete',
    notifyOnEscalation: merchant,
    interrupt: () => cancelled(),
  });
  if (cancelled()) return close('cancelled');
  const found: InspectionResult = inspection.kind === 'completed' ? inspection.payload : { outcome: 'complete' };
  if (found.outcome !== 'incomplete') {
    // 暂行办法 art. 8: complete; opened or missing packaging alone does not change that.
    const giftKept = found.outcome === 'complete' && found.giftNotReturned === true;
    await kase.record(inspection.kind === 'breached' ? 'return.inspection_auto_confirmed' : 'return.inspection_confirmed', {
      outcome: 'complete',
      ...(found.outcome === 'complete' && { packagingMissing: found.packagingMissing ?? false, giftNotReturned: giftKept, evidenceIds: found.evidenceIds ?? [] }),
    });
    await kase.notify('return.item_received', customer, { requestType: input.requestType });
    if (input.requestType === 'exchange') return exchange();
    return refund(refundableMinor(order.amountMinor, snapshot, { giftKept }), 'full');
  }

  // Incomplete, with reasons and evidence: the customer takes the partial refund offered, has the goods sent back, or
  // asks the platform. Silence goes to the platform: it never forfeits the claim.
  kase.clearDeadline('refundDueAt');
  const offeredMinor = Math.min(decimalToMinor(found.offeredRefund), fullRefundMinor);
  const choosing = kase.awaitParty('incomplete_choice', 'incompleteChoice', rules.incompleteChoice);
  await kase.record('return.inspection_incomplete', { reasons: found.reasons, evidenceIds: found.evidenceIds, offeredRefundMinor: offeredMinor }, { actor: inspection.kind === 'completed' ? inspection.actor.id : undefined, step: 'awaiting_incomplete_choice' });
  await kase.notify('return.incomplete', customer, { reasons: found.reasons.join(', '), amountMinor: offeredMinor, currency: order.currency, dueAt: choosing.clock.dueAt.toISOString() });
  const chosen = await choosing.until(
    () => incompleteChoice !== undefined || cancelled(),
    () => kase.notify('return.incomplete_reminder', customer, { dueAt: choosing.clock.dueAt.toISOString() }),
  );
  if (cancelled()) return close('cancelled');
  if (incompleteChoice === 'accept_partial_refund') return refund(offeredMinor, 'partial');
  if (incompleteChoice === 'send_back') return sendBack();
  if (chosen.outcome === 'breached') await kase.record('return.incomplete_choice_lapsed', { dueAt: chosen.facts.dueAt });
  await kase.record('step.entered', {}, { step: 'completeness_review' });
  const decision = await kase.humanTask<CompletenessDecision>({
    type: 'return.completeness_review',
    role: 'agent',
    sla: rules.platformReview,
    slaName: 'completenessReview',
    notifyOnEscalation: platformAgents,
    interrupt: () => cancelled(),
  });
  if (cancelled() || decision.kind !== 'completed') return close('cancelled');
  const d = decision.payload;
  await kase.record('return.completeness_decision', { decision: d.decision, ...(d.decision === 'partial_refund' && { amountMinor: decimalToMinor(d.amount) }) }, { actor: decision.actor.id });
  if (d.decision === 'full_refund') return input.requestType === 'exchange' ? exchange() : refund(fullRefundMinor, 'full');
  if (d.decision === 'partial_refund') return refund(Math.min(decimalToMinor(d.amount), fullRefundMinor), 'partial');
  return sendBack();

  /**
   * 消法 art. 24: after the 7 days a quality return is due when the conditions for terminating the contract hold (民法典
   * art. 563(1)(4): the defect defeats the purpose of the contract). The merchant did not accept it, so an agent decides,
   * with grounds (codes), evidence (ids) and optionally notes (task note ids). Holds: the return goes on as a quality
   * return, at the seller's cost (undefined: the caller carries on). Does not hold: the customer chooses an exchange
   * (while one is still due: always within the objection period, within 15 days for the three-guarantee catalogue, judged
   * at the request), a repair, or to withdraw; silence closes as referred to repair. An exchange carries on as a quality
   * exchange at the seller's cost; a repair or a withdrawal closes the case, and the customer is told how to open a
   * warranty repair. Returns the outcome when the case ends here.
   */
  async function terminationReviewed(): Promise<{ outcome: ReturnOutcome } | undefined> {
    await kase.record('step.entered', {}, { step: 'termination_review' });
    const review = await kase.humanTask<TerminationReview>({
      type: 'return.termination_review',
      role: 'agent',
      sla: rules.terminationReview,
      slaName: 'terminationReview',
      notifyOnEscalation: platformAgents,
      interrupt: () => cancelled(),
    });
    if (cancelled() || review.kind !== 'completed') return close('cancelled');
    const d = review.payload;
    await kase.record('return.termination_decided', { holds: d.holds, grounds: d.grounds, evidenceIds: d.evidenceIds, noteIds: d.noteIds ?? [] }, { actor: review.actor.id });
    if (d.holds) return undefined;
    const claimFacts = { reasonCode: input.reasonCode, category: order.category, deliveredAt: new Date(order.deliveredAt!), requestedAt: new Date(input.requestedAt), ...(snapshot && { snapshot }) };
    const exchangeDue = checkClaimEligibility({ ...claimFacts, requestType: 'exchange' }, rules, calendar, { categoryTable, qualityTimeLimits }).eligible;
    remediesOffered = exchangeDue ? ['exchange', 'repair', 'withdraw'] : ['repair', 'withdraw'];
    const choosing = kase.awaitParty('quality_remedy_choice', 'qualityRemedyChoice', rules.qualityRemedyChoice);
    const dueAt = choosing.clock.dueAt.toISOString();
    const objectionEndsAt = claim.windowEndsAt!.toISOString();
    await kase.record('return.quality_remedies_offered', { options: remediesOffered, dueAt }, { step: 'awaiting_quality_remedy_choice' });
    await kase.notify('return.termination_refused', customer, { grounds: d.grounds.join(', '), options: remediesOffered.join(','), dueAt, objectionEndsAt });
    const chosen = await choosing.until(
      () => qualityRemedy !== undefined || cancelled(),
      () => kase.notify('return.quality_remedy_reminder', customer, { options: remediesOffered.join(','), dueAt }),
    );
    remediesOffered = [];
    if (cancelled()) return close('cancelled');
    if (qualityRemedy === 'exchange') {
      // The request goes on as an exchange for quality: the seller's cost, the quality inspection, the replacement.
      input.requestType = 'exchange';
      return undefined;
    }
    if (chosen.outcome === 'breached') await kase.record('return.quality_remedy_choice_lapsed', { dueAt: chosen.facts.dueAt });
    await kase.notify('return.repair_how_to', customer, { objectionEndsAt });
    return close(qualityRemedy === 'withdraw' ? 'withdrawn' : 'referred_to_repair');
  }

  /**
   * 消法 art. 24: the seller bears the transport and other necessary costs of a return for quality, without a cap. The
   * carrier's quote is the evidence of the necessary cost (beside the customer's receipt, `receiptIds`): the amount paid
   * within `qualityShippingMarginPercent` above it is reimbursed as paid, no amount paid gets the quote; anything else
   * goes to an agent, who approves the amount. Null when the customer cancelled meanwhile.
   */
  async function qualityShipping(s: ReturnShipment): Promise<{ amountMinor: number; currency: string } | null> {
    const currency = rules.returnShippingCurrency;
    const paid = s.paid && { amountMinor: decimalToMinor(s.paid.amount), currency: s.paid.currency };
    const parties = { from: `customer:${order.customerId}`, to: `merchant:${order.merchantId}` };
    const quote = await pay.quoteReturnShipping({ carrier: s.carrier, ...parties });
    const assessed = qualityShippingAssessment({ ...(paid && { paid }), quote, currency, marginPercent: rules.qualityShippingMarginPercent });
    await kase.record('return.shipping_assessed', { ...assessed, quotedMinor: quote.amountMinor, quotedCurrency: quote.currency, marginPercent: rules.qualityShippingMarginPercent, receiptIds: s.receiptIds ?? [] });
    let decided: { amountMinor: number; currency: string; basis: 'paid' | 'carrier_quote' | 'agent_approved' };
    if (assessed.decision === 'pay') {
      decided = { amountMinor: assessed.amountMinor, currency, basis: assessed.basis };
    } else {
      await kase.record('step.entered', {}, { step: 'shipping_review' });
      const review = await kase.humanTask<ReturnShippingReview>({
        type: 'return.shipping_review',
        role: 'agent',
        sla: rules.platformReview,
        slaName: 'shippingReview',
        notifyOnEscalation: platformAgents,
        interrupt: () => cancelled(),
      });
      if (cancelled() || review.kind !== 'completed') return null;
      decided = { amountMinor: decimalToMinor(review.payload.approvedAmount), currency, basis: 'agent_approved' };
      await kase.record('return.shipping_approved', { amountMinor: decided.amountMinor, currency, evidenceIds: review.payload.evidenceIds ?? [] }, { actor: review.actor.id });
    }
    const reimbursed = await pay.reimburseReturnShipping({
      caseId: input.caseId,
      payer: 'merchant',
      carrier: s.carrier,
      ...(paid && { paid }),
      ...parties,
      decided: { ...decided, quote },
      at: new Date().toISOString(),
      eventKey: `${input.caseId}:return-shipping`,
    });
    return { amountMinor: reimbursed.amountMinor, currency: reimbursed.currency };
  }

  /**
   * 消法 art. 24: the goods of a quality return are received, not tested for completeness (暂行办法 art. 8 ties that to
   * no-reason returns). The refund is the full amount, by the refund deadline; only damage the customer caused beyond
   * the defect is deducted, with reasons and evidence. The customer may dispute that finding once (as a repair's
   * user-damage finding, policy 7.4); a supervisor reviews; an unanswered dispute does not stand against the customer,
   * and an overturned finding refunds the deduction.
   */
  async function qualityReturnInspected(): Promise<{ outcome: ReturnOutcome }> {
    qualityRefund = true;
    await kase.record('step.entered', {}, { step: 'merchant_inspection' });
    const inspection = await kase.humanTask<QualityInspectionResult>({
      type: 'return.quality_inspection',
      role: 'merchant',
      merchantId: order.merchantId,
      sla: boundedSla(rules.merchantInspection, new Date(), inspectionEnds, calendar),
      slaName: 'merchantInspection',
      defaultDecision: 'received',
      notifyOnEscalation: merchant,
      interrupt: () => cancelled(),
    });
    if (cancelled()) return close('cancelled');
    const found: QualityInspectionResult = inspection.kind === 'completed' ? inspection.payload : { outcome: 'received' };
    if (found.outcome === 'received') {
      await kase.record(inspection.kind === 'breached' ? 'return.inspection_auto_confirmed' : 'return.inspection_confirmed', { outcome: 'received', claimKind: 'quality', evidenceIds: found.evidenceIds ?? [] });
      await kase.notify('return.item_received', customer, { requestType: input.requestType });
      return input.requestType === 'exchange' ? exchange() : refund(fullRefundMinor, 'full');
    }
    const deductionMinor = Math.min(decimalToMinor(found.deduction), fullRefundMinor);
    const actor = inspection.kind === 'completed' ? inspection.actor.id : undefined;
    await kase.record('return.customer_damage_recorded', { reasons: found.reasons, evidenceIds: found.evidenceIds, deductionMinor, currency: order.currency }, { actor });
    if (input.requestType === 'exchange') {
      // The replacement is owed for the defect (消法 art. 24); the finding stays on the record, nothing is charged here.
      await kase.notify('return.item_received', customer, { requestType: input.requestType });
      return exchange();
    }
    // The refund deadline stands (消法 art. 25): what is not in dispute is refunded now.
    const refundedMinor = fullRefundMinor - deductionMinor;
    await payRefund(refundedMinor, deductionMinor > 0 ? 'partial' : 'full');
    if (deductionMinor === 0) return close('refunded');
    damageDisputable = true;
    const disputing = kase.awaitParty('damage_dispute', 'damageDispute', rules.damageDispute);
    await kase.record('step.entered', {}, { step: 'awaiting_damage_dispute' });
    await kase.notify('return.customer_damage', customer, { reasons: found.reasons.join(', '), amountMinor: deductionMinor, refundedMinor, currency: order.currency, dueAt: disputing.clock.dueAt.toISOString() });
    const waited = await disputing.until(() => damageDispute !== undefined);
    damageDisputable = false;
    if (damageDispute === undefined) {
      await kase.record('return.damage_dispute_lapsed', { dueAt: waited.facts.dueAt, deductionMinor });
      return close('partially_refunded');
    }
    await kase.record('step.entered', {}, { step: 'damage_review' });
    const review = await kase.humanTask<ReturnDamageReview>({
      type: 'return.damage_review',
      role: 'supervisor',
      sla: rules.damageReview,
      slaName: 'damageReview',
      defaultDecision: 'overturned',
      notifyOnEscalation: { kind: 'role', id: 'supervisor' },
    });
    // An unanswered dispute does not stand against the customer.
    const decision = review.kind === 'completed' ? review.payload.decision : 'overturned';
    await kase.record('return.damage_reviewed', { decision, deductionMinor }, review.kind === 'completed' ? { actor: review.actor.id } : {});
    await kase.notify('return.damage_reviewed', customer, { decision, amountMinor: deductionMinor, currency: order.currency });
    if (decision === 'upheld') return close('partially_refunded');
    await payRefund(deductionMinor, 'partial', 'deduction');
    return close('refunded');
  }

  /** Exchange: the merchant ships the replacement. */
  async function exchange(): Promise<{ outcome: ReturnOutcome }> {
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

  /** The incomplete goods go back to the customer, at the merchant's cost. */
  async function sendBack(): Promise<{ outcome: ReturnOutcome }> {
    await kase.record('step.entered', {}, { step: 'sending_back' });
    const sent = await kase.humanTask<Shipment>({
      type: 'return.send_back_shipment',
      role: 'merchant',
      merchantId: order.merchantId,
      sla: rules.sendBack,
      slaName: 'sendBack',
      notifyOnEscalation: merchant,
      interrupt: () => cancelled(),
    });
    if (cancelled() || sent.kind !== 'completed') return close('cancelled');
    await kase.notify('return.sent_back', customer, { carrier: sent.payload.carrier, trackingNumber: sent.payload.trackingNumber });
    return close('sent_back');
  }
}
