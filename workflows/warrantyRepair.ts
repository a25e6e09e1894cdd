// Policy 7.1 / 7.2 / 7.3: warranty repair, under the three-guarantee rules (部分商品修理更换退货责任规定) and
// 消法 art. 24. Warranty follows the manufacturer's policy; the after-sales response comes within 2 working hours
// and the repair within 5 working days of the item's arrival; in warranty the repair is free, parts, labour and
// shipping included. The law adds remedies the customer chooses (return, exchange, repair) that silence never
// forfeits, a repair record per item, and a warranty that does not count the time in repair.
// Cases that started before these rules run workflows/warrantyRepairBeforeThreeGuarantees.ts (patched()).
import { ApplicationFailure, allHandlersFinished, defineUpdate, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CaseActivities } from '../activities/types';
import type { WarrantyRepairActivities } from '../activities/warrantyRepair';
import type { BusinessCalendar } from '../policy/businessCalendar';
import { deadlineFrom, describeDuration, durationMs } from '../policy/durations';
import type { Shipment } from '../policy/schemas';
import { decimalToMinor, qualityShippingAssessment } from '../policy/returns';
import {
  addMonths,
  checkWarranty,
  silenceChoice,
  warrantyEndsAt,
  threeGuaranteeEntitlement,
  warrantyRepairActions as actions,
  warrantyRepairTasks,
  type ChoiceReason,
  type CustomerDecision,
  type HandOver,
  type RemedyChoice,
  type RepairProblemCategory,
  type WarrantyRepairPolicy,
} from '../policy/warrantyRepair';
import type { z } from 'zod';
import { CARRIER_DELIVERY_EVENTS_PATCH, CaseKit } from './caseKit';
import { CaseErrors, type ActionResult, type Actor } from './definitions';
import type { SlaFacts } from './sla';
import { repairBeforeThreeGuarantees } from './warrantyRepairBeforeThreeGuarantees';
import { RefundRouteAgreement } from './refundRouteChoice';
import { refundRouteRule, type ChosenRefundRoute, type OrderPayment } from '../policy/refundRoute';
import { EVIDENCE_ATTACHMENT_IDS_PATCH, REPAIR_COUNT_ANY_FAULT_PATCH, REPAIR_SHIPPING_UNCAPPED_PATCH, THREE_GUARANTEES_PATCH, WARRANTY_CIVIL_MONTHS_PATCH } from './patches';

export const REPAIR_CASE_TYPE = 'warranty_repair';

// The process's own short writes: local activities for cases with local writes (CaseKit.localWrites), else queued.
const repairsQueued = proxyActivities<WarrantyRepairActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// Not bounded (patch local-steps-bounded bounds the kit's own writes): some of these call a port (SMS, face check,
// carrier) whose one call may take longer than LOCAL_STEP_BOUND.
const repairsLocal = proxyLocalActivities<WarrantyRepairActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
/** Calls to the ports (carrier, payments): always on the task queue, retried until they answer. */
const portActivities = proxyActivities<WarrantyRepairActivities & Pick<CaseActivities, 'issueRefund'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Cases from this patch on run under the three-guarantee rules; older ones keep their path. */
export { THREE_GUARANTEES_PATCH };
/**
 * The warranty counted as the Civil Code counts periods (arts. 201-204, policy/warrantyRepair.ts warrantyEndsAt): from
 * the day after delivery to 24:00 (the calendar's time zone) of the corresponding day of the last month, a last day on
 * a rest day moving on; a replacement's new warranty alike. Cases opened before it keep the months added to the
 * delivery instant on its UTC date (addMonths).
 */
export { WARRANTY_CIVIL_MONTHS_PATCH };
/**
 * 消法 art. 24: the seller bears all the necessary transport costs of a repair in warranty, so its shipping has no cap.
 * To the centre: what the customer paid (within the policy margin above the carrier's quote; above it, an agent
 * approves the amount: task repair.shipping_review), or the quote; back from the centre: the carrier's quote. Cases
 * opened before pay the quote capped by shippingCapMinor.
 */
export { REPAIR_SHIPPING_UNCAPPED_PATCH };
/**
 * Three-guarantee rules art. 11: two repairs in warranty, of any fault, by any authorised repairer. The opening counts
 * every in-warranty repair of the item (countItemRepairs, `item.repairCount`); another repairer's records the customer
 * attached (`item.externalRecordIds`) go to an agent one by one (repair.external_record_review) after the first
 * response, and the entitlement is computed again with the confirmed ones before the plan is set. A replacement the
 * case delivers enters the item's record (result `replaced`): the count starts again for the new item (art. 14).
 */
export { REPAIR_COUNT_ANY_FAULT_PATCH };
/**
 * One form of evidence id (issue: the attachments of the case): a user-damage finding names the case's attachments
 * (`evidenceIds`, att_…), recorded as such; histories before it carry free references (`evidenceRefs`).
 */
export { EVIDENCE_ATTACHMENT_IDS_PATCH };

/** The policy a repair case carries: the document's version, the calendar and this process's section. */
export interface RepairCasePolicy {
  version: string;
  calendar: BusinessCalendar;
  warrantyRepair: WarrantyRepairPolicy;
}

export interface RepairCaseInput {
  caseId: string;
  policy: RepairCasePolicy;
  openedBy: string;
  order: {
    orderId: string;
    lineItemId: string;
    productRef: string;
    customerId: string;
    merchantId: string;
    deliveredAt: string;
    /** What the customer paid for the line (a refund returns it; 消法 art. 24). Absent in cases opened before. */
    paid?: { amountMinor: number; currency: string };
    /** The order's payment (暂行办法 art. 17: a refund goes back the way it was paid). Absent in cases opened before, and when the storefront did not send it. */
    payment?: OrderPayment;
  };
  /**
   * The item: its id in repair_items (the serial number or IMEI, or the order line, stays in PostgreSQL) and its
   * repair record (three-guarantee rules art. 11). Cases opened before patch repair-count-any-fault: the repairs of the
   * same declared category (`priorRepairsOfFault`), and no item when the request named none. Later cases:
   * `repairCount`, every in-warranty repair on this platform and the other repairers' records already confirmed, and
   * the ids of the records attached to this request, to review (repair_external_records).
   */
  item?: {
    itemId: string;
    priorRepairsOfFault?: number;
    repairCount?: { platform: number; confirmedExternal: number };
    externalRecordIds?: string[];
  };
  /** The manufacturer's warranty, in months from delivery. */
  warrantyMonths: number;
  problemCategory: RepairProblemCategory;
  requestedAt: string;
  // The customer's description of the problem stays in PostgreSQL (repair_requests), never here.
}

export type RepairOutcome =
  | 'repaired'
  | 'replaced'
  | 'voucher_issued'
  | 'returned_unrepaired' // out of warranty only, under the three-guarantee rules
  | 'refunded'
  | 'quote_declined'
  | 'quote_lapsed'
  | 'abandoned'
  | 'cancelled';

export interface RepairResult {
  outcome: RepairOutcome;
  /** 1-5, 'no_rating' when the feedback window passed in silence, null when the case closed before feedback. */
  rating: number | 'no_rating' | null;
}

export const decideQuoteUpdate = defineUpdate<ActionResult, [{ actor: Actor; decision: CustomerDecision }]>(actions['quote-decision'].update);
export const handOverItemUpdate = defineUpdate<ActionResult, [{ actor: Actor; handOver: HandOver }]>(actions['hand-over'].update);
export const decideRemedyUpdate = defineUpdate<ActionResult, [{ actor: Actor; decision: CustomerDecision }]>(actions['remedy-decision'].update);
export const chooseRemedyUpdate = defineUpdate<ActionResult, [{ actor: Actor; choice: RemedyChoice }]>(actions['remedy-choice'].update);
export const disputeDamageUpdate = defineUpdate<ActionResult, [{ actor: Actor; reasonCode: string }]>(actions['damage-dispute'].update);
export const submitRatingUpdate = defineUpdate<ActionResult, [{ actor: Actor; rating: number }]>(actions.rating.update);
/** 暂行办法 art. 17: the customer's choice of refund route when the original payment cannot take it (workflows/refundRouteChoice.ts). */
export const chooseRepairRefundRouteUpdate = defineUpdate<ActionResult, [{ actor: Actor } & ChosenRefundRoute]>(actions['repair-refund-route'].update);

type Awaiting = 'quote_decision' | 'hand_over' | 'remedy_choice' | 'rating';
type TechnicianReport = z.infer<(typeof warrantyRepairTasks)['repair.technician_report']['payload']>;
/** A user-damage finding's evidence: attachment ids, or the free references a report accepted before patch evidence-attachment-ids carried. */
const evidenceOf = (r: Extract<TechnicianReport, { result: 'user_damage' }>): string[] => r.evidenceIds ?? (r as { evidenceRefs?: string[] }).evidenceRefs ?? [];
type DamageReview = z.infer<(typeof warrantyRepairTasks)['repair.damage_review']['payload']>;
type Quote = z.infer<(typeof warrantyRepairTasks)['repair.first_response_quote']['payload']>;
type ShippingReview = z.infer<(typeof warrantyRepairTasks)['repair.shipping_review']['payload']>;
type ExternalRecordReview = z.infer<(typeof warrantyRepairTasks)['repair.external_record_review']['payload']>;
type CourierHandOver = Extract<HandOver, { method: 'courier' }>;

export async function warrantyRepair(input: RepairCaseInput): Promise<RepairResult> {
  const { order } = input;
  const kase = new CaseKit(input.caseId, REPAIR_CASE_TYPE, input.policy, order.merchantId, warrantyRepairTasks);
  if (!patched(THREE_GUARANTEES_PATCH)) return repairBeforeThreeGuarantees(input, kase);

  const rules = input.policy.warrantyRepair;
  const calendar = input.policy.calendar;
  const caseId = input.caseId;
  const repairs = kase.afterWrites(kase.localWrites ? repairsLocal : repairsQueued);
  const ports = kase.afterWrites(portActivities);
  const customer = { kind: 'customer' as const, id: order.customerId };
  const agents = { kind: 'role' as const, id: 'agent' };
  const supervisors = { kind: 'role' as const, id: 'supervisor' };
  // The SLA wording of the e-mails comes from the policy values (templates format it per locale).
  const slaWording = { responseWithin: describeDuration(rules.firstResponse.within), repairWithin: describeDuration(rules.repair.within) };

  let quoteDecision: CustomerDecision | undefined;
  let handOver: HandOver | undefined;
  let handedOverAt = new Date();
  let choice: RemedyChoice | undefined;
  let offered: readonly RemedyChoice[] = [];
  let disputable = false;
  let dispute: string | undefined;
  let rating: number | undefined;
  /** The uncapped shipping to the centre (patch repair-shipping-uncapped), running beside the repair when an agent approves it. */
  let shippingToCentre: Promise<void> | undefined;

  // 暂行办法 art. 17, the return's rule: a refund goes back the way the order was paid; when that way cannot take it the
  // customer chooses (patch refund-route-by-agreement, asked only of cases whose opening named the payment).
  const routes = new RefundRouteAgreement(kase, actions['repair-refund-route'], { prefix: 'repair', customer, payment: order.payment, formerRoute: refundRouteRule(order.payment).route === 'original' ? 'original' : 'order_refund' });
  // The customer may cancel until the item is handed over for repair.
  const cancelled = kase.allowCancellation(() => (handOver ? 'The item was already handed over for repair; the case can no longer be cancelled' : null));
  kase.onAction(actions['quote-decision'], {
    refusal: () => kase.unlessAwaiting('quote_decision', quoteDecision !== undefined || (disputable && dispute !== undefined)),
    run: async ({ decision }, actor) => {
      quoteDecision = decision;
      await kase.record('repair.quote_decided', { decision }, { actor: actor.id });
    },
  });
  kase.onAction(actions['hand-over'], {
    refusal: () => kase.unlessAwaiting('hand_over', handOver !== undefined),
    run: async (h, actor) => {
      handOver = h;
      handedOverAt = new Date();
      await kase.record('repair.handed_over', { method: h.method, ...(h.method === 'courier' && { carrier: h.carrier }) }, { actor: actor.id });
    },
  });
  kase.onAction(actions['remedy-choice'], {
    refusal: () => kase.unlessAwaiting('remedy_choice', choice !== undefined),
    check: ({ choice: c }) => (offered.includes(c) ? null : `The case offers ${offered.join(', ')}, not ${c}`),
    run: async ({ choice: c }, actor) => {
      choice = c;
      await kase.record('repair.remedy_chosen', { choice: c }, { actor: actor.id });
    },
  });
  // The accept/decline offer of the earlier path: this case offers its remedies through remedy-choice.
  kase.onAction(actions['remedy-decision'], { refusal: () => 'This case offers its remedies to choose from: use remedy-choice', run: () => undefined });
  // A user-damage finding may be disputed once, while its quote waits: a complaint the platform reviews (policy 7.4).
  kase.onAction(actions['damage-dispute'], {
    refusal: () => kase.unlessAwaiting('quote_decision', quoteDecision !== undefined || dispute !== undefined) ?? (disputable ? null : 'Only a user-damage finding can be disputed, once'),
    run: async ({ reasonCode }, actor) => {
      dispute = reasonCode;
      await kase.record('repair.damage_disputed', { reasonCode }, { actor: actor.id });
    },
  });
  kase.onAction(actions.rating, {
    refusal: () => kase.unlessAwaiting('rating', rating !== undefined),
    run: async ({ rating: r }, actor) => {
      rating = r;
      await kase.record('repair.rated', { rating: r }, { actor: actor.id });
    },
  });

  const close = async (outcome: RepairOutcome, rated: RepairResult['rating'] = null): Promise<RepairResult> => {
    if (shippingToCentre) await kase.wait(shippingToCentre);
    await kase.record('case.closed', { outcome, rating: rated }, { step: 'closed', outcome, closed: true });
    await kase.notify(`repair.closed.${outcome}`, customer);
    await kase.until(allHandlersFinished);
    return { outcome, rating: rated };
  };

  /** The case waits on the customer for `step` under an SLA clock; the reminder e-mail names the step and the deadline. */
  const waitOnCustomer = (step: Awaiting, slaName: string, policy: typeof rules.handOver) => {
    const wait = kase.awaitParty(step, slaName, policy);
    const remind = (facts: SlaFacts) => kase.notify('repair.reminder', customer, { action: step, dueAt: facts.dueAt }, `:${wait.clock.name}:${wait.clock.facts.startedAt}`);
    return { clock: wait.clock, until: (done: () => boolean) => wait.until(done, remind) };
  };

  /**
   * The customer chooses among `options` within `remedyDecision`. Silence applies the default most favourable to
   * the customer (policy silenceRemedy: the replacement by default), never "declined" (消法 art. 24). `withdrawn`
   * ends the offer when what it remedies went away (the repair was done after all).
   */
  let offers = 0;
  const offerChoice = async (
    reason: ChoiceReason,
    options: RemedyChoice[],
    withdrawn: () => boolean = () => false,
    withdrawnBecause: 'repair_completed' | 'cancelled' = 'repair_completed',
  ): Promise<RemedyChoice | 'withdrawn'> => {
    choice = undefined;
    offered = options;
    const onSilence = silenceChoice(options, rules.silenceRemedy);
    const deciding = waitOnCustomer('remedy_choice', 'remedyDecision', rules.remedyDecision);
    const dueAt = deciding.clock.dueAt.toISOString();
    await kase.record('repair.remedy_choice_offered', { reason, options, onSilence, dueAt }, { step: 'awaiting_remedy_choice' });
    await kase.notify('repair.remedy_choice_offered', customer, { reason, options: options.join(','), onSilence, dueAt, ...slaWording }, `:${reason}:${++offers}`);
    const decided = await deciding.until(() => choice !== undefined || withdrawn());
    offered = [];
    if (choice === undefined && withdrawn()) {
      await kase.record('repair.remedy_withdrawn', { reason: withdrawnBecause }, withdrawnBecause === 'repair_completed' ? { step: 'repairing' } : {});
      return 'withdrawn';
    }
    const chosen = choice ?? onSilence;
    if (decided.outcome === 'breached') await kase.record('repair.remedy_applied_on_silence', { reason, choice: chosen, dueAt: decided.facts.dueAt });
    await repairs.recordRepairProgress({ caseId, patch: { remedyChoice: chosen } });
    return chosen;
  };

  // Opening: the warranty check, the same pure rule the API applied (7.1: per the manufacturer's policy).
  const deliveredAt = new Date(order.deliveredAt);
  const civilMonths = patched(WARRANTY_CIVIL_MONTHS_PATCH);
  const warranty = checkWarranty({ deliveredAt, warrantyMonths: input.warrantyMonths, requestedAt: new Date(input.requestedAt), ...(civilMonths && { calendar }) });
  if (!warranty.ok) throw ApplicationFailure.create({ type: CaseErrors.PolicyRefused, message: warranty.message, nonRetryable: true });
  kase.setDeadline('warrantyEndsAt', warranty.warrantyEndsAt);
  const openedInWarranty = warranty.inWarranty;
  let inWarranty = openedInWarranty;
  // Art. 11: every in-warranty repair of the item counts, whoever made it (patch repair-count-any-fault).
  const anyFault = patched(REPAIR_COUNT_ANY_FAULT_PATCH);
  const counted = anyFault && input.item?.repairCount ? { ...input.item.repairCount } : undefined;
  const priorRepairs = counted ? counted.platform + counted.confirmedExternal : (input.item?.priorRepairsOfFault ?? 0);
  // Three-guarantee rules art. 9-11: an early performance fault, or an item already repaired twice, opens a choice.
  const entitlementWith = (prior: number) =>
    inWarranty
      ? threeGuaranteeEntitlement({ calendar, rules, deliveredAt, requestedAt: new Date(input.requestedAt), problemCategory: input.problemCategory, priorRepairsOfFault: prior })
      : null;
  let entitlement = entitlementWith(priorRepairs);
  await kase.record('case.opened', {
    orderId: order.orderId,
    productRef: order.productRef,
    itemId: input.item?.itemId ?? null,
    problemCategory: input.problemCategory,
    warrantyMonths: input.warrantyMonths,
    policyVersion: input.policy.version,
  }, { actor: input.openedBy, step: 'first_response' });
  await kase.record('repair.warranty_checked', { inWarranty, warrantyEndsAt: warranty.warrantyEndsAt.toISOString() });
  const countOf = (c: NonNullable<typeof counted>) => ({ ...c, total: c.platform + c.confirmedExternal });
  if (entitlement) {
    await kase.record('repair.entitlement', counted ? { ...entitlement, repairCount: countOf(counted) } : { ...entitlement, priorRepairsOfFault: input.item?.priorRepairsOfFault ?? 0 });
    await repairs.recordRepairProgress({ caseId, patch: { entitlement: entitlement.reason } });
  }
  // Art. 11: the records of other repairers count once an agent confirms them (below, after the first response). In
  // warranty only (out of it the three guarantees give nothing to count towards).
  const toReview = counted && inWarranty ? (input.item?.externalRecordIds ?? []) : [];
  await kase.notify('repair.received', customer, { inWarranty: inWarranty ? 'yes' : 'no', ...slaWording });
  await routes.ask(); // 暂行办法 art. 17: the original route cannot take a refund; asked now, in case the remedy is one

  // 1. Response within 2 working hours (7.1): an agent acknowledges and proposes a solution: the free repair in
  //    warranty, a quote otherwise. A lapse goes to a supervisor and the customer is told of the delay.
  let response: Awaited<ReturnType<typeof kase.humanTask<{ solution: 'free_repair' } | Quote>>> | undefined;
  const responding = kase.humanTask<{ solution: 'free_repair' } | Quote>({
    type: inWarranty ? 'repair.first_response' : 'repair.first_response_quote',
    role: 'agent',
    sla: rules.firstResponse,
    slaName: 'firstResponse',
    notifyOnEscalation: agents,
    interrupt: () => cancelled(),
  }).then((o) => void (response = o));
  const responseSla = kase.view.slas.filter((s) => s.name === 'firstResponse').at(-1)!;
  await kase.until(() => response !== undefined || responseSla.outcome === 'breached');
  if (response === undefined) {
    await kase.record('repair.response_delayed', {});
    await kase.notify('repair.response_delayed', customer, slaWording);
  }
  await kase.wait(responding);
  if (cancelled() || response!.kind !== 'completed') return close('cancelled');
  const answer = response!;

  // 2. In warranty the repair is free, parts and labour included (7.3); an entitlement lets the customer choose
  //    first. Out of warranty the customer accepts or declines the quote; declined or unanswered, the case closes.
  let plan: RemedyChoice = 'repair';
  if (answer.payload.solution === 'free_repair') {
    await kase.record('repair.free_repair_confirmed', { partsCovered: true, labourCovered: true, shippingCovered: true }, { actor: answer.actor.id });
    if (counted && toReview.length) {
      // Art. 11: one review per record, in the order attached, before the plan is set (one at a time: a task's deadline
      // may read the holiday data, and two reads at once would not replay in the same order). A confirmed record that
      // brings the count to the threshold offers replacement or refund.
      await kase.record('step.entered', {}, { step: 'awaiting_external_record_review' });
      for (const recordId of toReview) {
        const review = await kase.humanTask<ExternalRecordReview>({
          type: 'repair.external_record_review',
          role: 'agent',
          sla: rules.externalRecordReview,
          slaName: 'externalRecordReview',
          notifyOnEscalation: agents,
          interrupt: () => cancelled(),
        });
        if (review.kind === 'interrupted') return close('cancelled');
        // A lapse (a policy with default-decision) counts the record: the customer's evidence is not refused unheard.
        const p: ExternalRecordReview = review.kind === 'completed' ? review.payload : { decision: 'confirmed' };
        const reasonCode = p.decision === 'rejected' ? p.reasonCode : null;
        const reviewedBy = review.kind === 'completed' ? review.actor.id : null;
        await repairs.recordExternalRepairReview({ caseId, recordId, decision: p.decision, reasonCode, reviewedBy, at: new Date().toISOString() });
        await kase.record('repair.external_record_reviewed', { recordId, decision: p.decision, reasonCode, evidenceIds: p.evidenceIds ?? [], onSilence: review.kind !== 'completed' }, reviewedBy ? { actor: reviewedBy } : {});
        if (p.decision === 'confirmed') counted.confirmedExternal++;
      }
      const again = entitlementWith(counted.platform + counted.confirmedExternal);
      if (again && again.reason !== entitlement?.reason) {
        entitlement = again;
        await kase.record('repair.entitlement', { ...again, repairCount: countOf(counted) });
        await repairs.recordRepairProgress({ caseId, patch: { entitlement: again.reason } });
      }
    }
    if (entitlement) {
      // The customer may still cancel while choosing (nothing was handed over yet).
      const chosen = await offerChoice(entitlement.reason, entitlement.options, () => cancelled(), 'cancelled');
      if (chosen === 'withdrawn') return close('cancelled');
      plan = chosen;
    }
  } else {
    const quote = answer.payload;
    const deciding = waitOnCustomer('quote_decision', 'quoteDecision', rules.quoteDecision);
    await repairs.recordRepairProgress({ caseId, patch: { quoteAmountMinor: quote.quoteAmountMinor, quoteCurrency: quote.currency } });
    await kase.record('repair.quote_offered', { amountMinor: quote.quoteAmountMinor, currency: quote.currency }, { actor: answer.actor.id, step: 'awaiting_quote_decision' });
    await kase.notify('repair.quote_offered', customer, { amountMinor: quote.quoteAmountMinor, currency: quote.currency, dueAt: deciding.clock.dueAt.toISOString() });
    const decided = await deciding.until(() => quoteDecision !== undefined || cancelled());
    if (cancelled()) return close('cancelled');
    await repairs.recordRepairProgress({ caseId, patch: { quoteDecision: decided.outcome === 'breached' ? 'lapsed' : quoteDecision } });
    const ended = await kase.endedBy(decided, { event: 'repair.quote_lapsed', outcome: 'quote_lapsed' });
    if (ended) return close(ended);
    if (quoteDecision === 'decline') return close('quote_declined');
  }

  // 3. The customer hands the item over (courier tracking number or drop-off reference) before the deadline.
  const handingOver = waitOnCustomer('hand_over', 'handOver', rules.handOver);
  await kase.record('step.entered', { plan }, { step: 'awaiting_hand_over' });
  await kase.notify('repair.hand_over_requested', customer, { dueAt: handingOver.clock.dueAt.toISOString() });
  const handed = await handingOver.until(() => handOver !== undefined || cancelled());
  const ended = await kase.endedBy(handed, { event: 'repair.abandoned', reason: 'no_hand_over_by_deadline', outcome: 'abandoned' });
  if (ended) return close(ended);
  const handedOver = handOver!;
  await repairs.recordRepairProgress({
    caseId,
    patch: handedOver.method === 'courier'
      ? { handOverMethod: 'courier', handOverCarrier: handedOver.carrier, handOverReference: handedOver.trackingNumber }
      : { handOverMethod: 'drop_off', handOverCarrier: null, handOverReference: handedOver.reference },
  });

  // 4. Arrival (7.1: the 5 working days run from it): the drop-off, or the carrier's delivery event for up to
  //    arrivalWait: its webhook (patch carrier-delivery-events, the carrier asked at most three times once the expected
  //    delivery is overdue), or asked every arrivalCheckEvery (cases opened before). The staff's receipt confirmation follows, escalating on a breach; it
  //    cannot move the repair clock. Only when the carrier never reports is the staff's confirmation the arrival.
  let arrival: { at: Date; source: 'carrier' | 'drop_off' | 'staff' } | null = null;
  if (handedOver.method === 'drop_off') {
    arrival = { at: handedOverAt, source: 'drop_off' };
  } else {
    await kase.record('step.entered', {}, { step: 'awaiting_arrival' });
    const giveUpAt = deadlineFrom(handedOverAt, rules.arrivalWait, calendar).getTime();
    const every = durationMs(rules.arrivalCheckEvery, calendar);
    if (patched(CARRIER_DELIVERY_EVENTS_PATCH)) {
      // The carrier's delivery event (webhook) is the arrival; past the expected delivery, the carrier is asked (≤ 3 times).
      const delivered = await kase.awaitCarrierDelivery({
        leg: 'to_centre',
        carrier: handedOver.carrier,
        trackingNumber: handedOver.trackingNumber,
        expectedBy: deadlineFrom(handedOverAt, rules.carrierExpectedDelivery ?? { amount: 3, unit: 'days' }, calendar),
        giveUpAt: new Date(giveUpAt),
        poll: async () => {
          // A short read, asked at most three times: a local activity (one marker in the history).
          const seen = await kase.afterWrites(repairsLocal).checkRepairArrival({ caseId, carrier: handedOver.carrier, trackingNumber: handedOver.trackingNumber });
          return { delivered: seen.arrived, ...(seen.arrivedAt && { deliveredAt: seen.arrivedAt }) };
        },
        done: () => false,
      });
      if (delivered) {
        // The carrier's delivery time, never before the hand-over nor after now.
        const now = Date.now();
        const reported = delivered.deliveredAt ? new Date(delivered.deliveredAt).getTime() : NaN;
        const at = Number.isNaN(reported) ? now : Math.min(Math.max(reported, handedOverAt.getTime()), now);
        arrival = { at: new Date(at), source: 'carrier' };
      }
    } else {
      for (;;) {
        const seen = await ports.checkRepairArrival({ caseId, carrier: handedOver.carrier, trackingNumber: handedOver.trackingNumber });
        const now = Date.now();
        if (seen.arrived) {
          // The carrier's delivery time, never before the hand-over nor after now.
          const at = seen.arrivedAt ? Math.min(Math.max(new Date(seen.arrivedAt).getTime(), handedOverAt.getTime()), now) : now;
          arrival = { at: new Date(at), source: 'carrier' };
          break;
        }
        if (now >= giveUpAt) break;
        await kase.sleep(Math.min(every, giveUpAt - now));
      }
    }
    if (!arrival) await kase.record('repair.arrival_not_reported', { carrier: handedOver.carrier, dueAt: new Date(giveUpAt).toISOString() });
  }
  const recordArrival = async (a: { at: Date; source: 'carrier' | 'drop_off' | 'staff' }) => {
    await repairs.recordRepairProgress({ caseId, patch: { receivedAt: a.at.toISOString(), arrivalSource: a.source } });
    await kase.record('repair.item_arrived', { source: a.source, arrivedAt: a.at.toISOString() }, { step: 'awaiting_receipt' });
    // 消法 art. 24: in warranty the shipping to the repair centre is the seller's; the customer's courier is paid back.
    if (inWarranty && handedOver.method === 'courier' && patched(REPAIR_SHIPPING_UNCAPPED_PATCH)) {
      await payShippingToCentre(handedOver);
    } else if (inWarranty && handedOver.method === 'courier') {
      const paid = await ports.payRepairShipping({
        caseId,
        leg: 'to_centre',
        carrier: handedOver.carrier,
        from: `customer:${order.customerId}`,
        to: `merchant:${order.merchantId}`,
        cap: { amountMinor: rules.shippingCapMinor, currency: rules.shippingCurrency },
        at: new Date().toISOString(),
        eventKey: `${caseId}:shipping:to_centre`,
      });
      await kase.record('repair.shipping_reimbursed', { leg: 'to_centre', paymentId: paid.paymentId, amountMinor: paid.amountMinor, currency: paid.currency });
    }
  };
  if (arrival) await recordArrival(arrival);
  const receipt = await kase.humanTask<{ outcome: 'received' }>({
    type: 'repair.confirm_receipt',
    role: 'agent',
    sla: rules.receipt,
    slaName: 'receipt',
    notifyOnEscalation: agents,
    ...(arrival && { startedAt: arrival.at }),
  });
  const confirmedAt = new Date();
  if (receipt.kind === 'completed') await kase.record('repair.item_received', {}, { actor: receipt.actor.id, step: 'repairing' });
  else await kase.record('repair.receipt_unconfirmed', { dueAt: receipt.kind === 'breached' ? receipt.sla.dueAt : null }, { step: 'repairing' });
  if (!arrival) {
    arrival = { at: confirmedAt, source: 'staff' };
    await recordArrival(arrival);
  }
  const arrivedAt = arrival.at;

  // 5. The repair, when it is the plan: 5 working days from the arrival (7.1), and at most 30 days in all
  //    (three-guarantee rules art. 12: the long stop, escalated to supervisors, then replacement or return).
  let resolution: RepairOutcome | undefined;
  let faultFound: TechnicianReport['faultCode'] | undefined;
  let voucherIssued = false;
  if (plan === 'repair') {
    let stageDone = false;
    let overdue = false;
    const longStop = inWarranty ? kase.clock('repairLongStop', rules.repairLongStop, arrivedAt) : undefined;
    const markOverdue = async (facts: SlaFacts) => {
      if (stageDone || !inWarranty) return;
      overdue = true;
      await kase.record('repair.overdue', { dueAt: facts.dueAt });
      await kase.notify('task.escalated', supervisors, { taskType: 'repair.technician_report', dueAt: facts.dueAt }, ':repairLongStop');
    };
    const longStopRun = longStop?.waitFor(() => stageDone || !inWarranty, {
      onReminder: (facts) => kase.notify('task.reminder', supervisors, { taskType: 'repair.technician_report', dueAt: facts.dueAt }, ':repairLongStop'),
      onEscalate: (_action, facts) => markOverdue(facts),
    }).then(async (r) => {
      if (r.outcome === 'breached') await markOverdue(r.facts);
    });

    let repairFrom = arrivedAt;
    let first = true;
    while (resolution === undefined && plan === 'repair') {
      // The technician's report, watched for the 5-working-day breach and the 30-day long stop.
      let report: Awaited<ReturnType<typeof kase.humanTask<TechnicianReport>>> | undefined;
      let switched: RemedyChoice | undefined;
      const reporting = kase.humanTask<TechnicianReport>({
        type: 'repair.technician_report',
        role: 'agent',
        sla: rules.repair,
        slaName: 'repair',
        startedAt: repairFrom,
        notifyOnEscalation: agents,
        interrupt: () => switched !== undefined,
      }).then((o) => void (report = o));
      const sla = kase.view.slas.filter((s) => s.name === 'repair').at(-1)!;
      if (first) await kase.notify('repair.item_received', customer, { repairDueAt: sla.dueAt, ...slaWording });
      first = false;
      let breachSeen = false;
      let overdueSeen = false;
      for (;;) {
        await kase.until(() => report !== undefined || (sla.outcome === 'breached' && !breachSeen) || (overdue && !overdueSeen));
        if (report !== undefined) break;
        if (sla.outcome === 'breached' && !breachSeen) {
          breachSeen = true;
          await kase.record('repair.sla_breached', { dueAt: sla.dueAt });
          if (!inWarranty) continue; // a paid repair: the escalation only
          if (rules.breachRemedy === 'voucher') {
            // 7.1: a voucher compensates the broken promise; the repair goes on (never the only remedy).
            if (!voucherIssued) {
              voucherIssued = true;
              const { voucherId } = await repairs.issueRepairVoucher({ caseId, amountMinor: rules.voucherAmountMinor, currency: rules.voucherCurrency, at: new Date().toISOString(), eventKey: `${caseId}:voucher` });
              await kase.record('repair.voucher_issued', { voucherId, amountMinor: rules.voucherAmountMinor, currency: rules.voucherCurrency, reason: 'repair_sla_breached' });
              await kase.notify('repair.voucher_issued', customer, { amountMinor: rules.voucherAmountMinor, currency: rules.voucherCurrency });
            }
            continue;
          }
          const c = await offerChoice('repair_sla_breached', ['replacement', 'repair'], () => report !== undefined || overdue);
          if (c === 'replacement') switched = c;
          else if (c === 'repair') await kase.record('step.entered', {}, { step: 'repairing' });
          continue;
        }
        // Art. 12: more than 30 days: replacement or return (art. 13), whatever the repair does meanwhile.
        overdueSeen = true;
        switched = (await offerChoice('repair_overdue', ['replacement', 'refund'])) as RemedyChoice;
      }
      await kase.wait(reporting);
      const done = report!;
      if (switched !== undefined) {
        plan = switched;
        break;
      }
      if (done.kind !== 'completed') {
        // A repair task closed by its SLA (a policy with default-decision): the default most favourable applies.
        plan = silenceChoice(['replacement', 'refund'], rules.silenceRemedy);
        break;
      }
      const r = done.payload;
      faultFound = r.faultCode;
      const completedAt = new Date();
      await repairs.recordItemRepair({
        caseId,
        itemId: input.item?.itemId ?? null,
        problemCategory: input.problemCategory,
        faultCode: r.faultCode,
        result: r.result,
        partsUsed: r.result === 'repaired' ? r.partsUsed : [],
        evidenceRefs: r.result === 'user_damage' ? evidenceOf(r) : [],
        technicianId: done.actor.id,
        inWarranty,
        arrivedAt: arrivedAt.toISOString(),
        completedAt: completedAt.toISOString(),
        eventKey: `${caseId}:report:${sla.startedAt}`,
      });
      await repairs.recordRepairProgress({ caseId, patch: { result: r.result, faultCode: r.faultCode } });
      await kase.record('repair.result_recorded', {
        ...r,
        withinSla: done.sla.outcome === 'met',
        technicianId: done.actor.id,
        arrivedAt: arrivedAt.toISOString(),
        completedAt: completedAt.toISOString(),
      }, { actor: done.actor.id });

      if (r.result === 'repaired' || r.result === 'replaced') {
        resolution = r.result;
      } else if (r.result === 'not_repairable') {
        // In warranty an unrepairable item is replaced or refunded (art. 12/13, 消法 art. 24), never sent back as it is.
        if (inWarranty) plan = (await offerChoice('not_repairable', ['replacement', 'refund'])) as RemedyChoice;
        else resolution = 'returned_unrepaired';
      } else {
        const next = await userDamage(r, done.actor.id);
        if (next === 'declined') resolution = 'returned_unrepaired';
        else if (next === 'paid_repair') repairFrom = new Date();
        else inWarranty = openedInWarranty; // overturned: back to the free repair, its clock from the arrival
      }
    }
    stageDone = true;
    await kase.wait(longStopRun);
    kase.clearDeadline('repairLongStop');
  }

  /**
   * 消法 art. 24: the customer's shipping to the repair centre, paid back without a cap. The carrier's quote is the
   * evidence of the necessary cost (beside the customer's receipt): the amount paid within `shippingMarginPercent` above
   * it is paid back as paid at once, no amount paid gets the quote; anything else goes to an agent, who approves the
   * amount beside the repair (the item is already at the centre); the case closes only once that is settled.
   */
  async function payShippingToCentre(h: CourierHandOver): Promise<void> {
    const parties = { from: `customer:${order.customerId}`, to: `merchant:${order.merchantId}` };
    const currency = rules.shippingCurrency;
    const marginPercent = rules.shippingMarginPercent ?? 20;
    const paidByCustomer = h.paid && { amountMinor: decimalToMinor(h.paid.amount), currency: h.paid.currency };
    const quote = await ports.quoteRepairShipping({ carrier: h.carrier, ...parties });
    const assessed = qualityShippingAssessment({ ...(paidByCustomer && { paid: paidByCustomer }), quote, currency, marginPercent });
    await kase.record('repair.shipping_assessed', { leg: 'to_centre', ...assessed, quotedMinor: quote.amountMinor, quotedCurrency: quote.currency, marginPercent, receiptIds: h.receiptIds ?? [] });
    const payOut = async (decided: { amountMinor: number; currency: string; basis: 'paid' | 'carrier_quote' | 'agent_approved' }) => {
      const paid = await ports.payRepairShipping({
        caseId,
        leg: 'to_centre',
        carrier: h.carrier,
        ...parties,
        decided: { ...decided, quote },
        at: new Date().toISOString(),
        eventKey: `${caseId}:shipping:to_centre`,
      });
      await kase.record('repair.shipping_reimbursed', { leg: 'to_centre', paymentId: paid.paymentId, amountMinor: paid.amountMinor, currency: paid.currency });
    };
    if (assessed.decision === 'pay') return payOut({ amountMinor: assessed.amountMinor, currency, basis: assessed.basis });
    shippingToCentre = (async () => {
      const review = await kase.humanTask<ShippingReview>({ type: 'repair.shipping_review', role: 'agent', sla: rules.firstResponse, slaName: 'shippingReview', notifyOnEscalation: agents });
      if (review.kind !== 'completed') return;
      const amountMinor = decimalToMinor(review.payload.approvedAmount);
      await kase.record('repair.shipping_approved', { leg: 'to_centre', amountMinor, currency, evidenceIds: review.payload.evidenceIds ?? [] }, { actor: review.actor.id });
      await payOut({ amountMinor, currency, basis: 'agent_approved' });
    })();
  }

  /**
   * Damage the customer caused (the three-guarantee exclusion for improper use), recorded by the technician with
   * evidence: the item turns out of warranty with a quote. The customer accepts, declines, or disputes it once; a
   * dispute is a complaint (policy 7.4) that a supervisor reviews; an overturned finding restores the free repair.
   */
  async function userDamage(r: Extract<TechnicianReport, { result: 'user_damage' }>, technicianId: string): Promise<'paid_repair' | 'declined' | 'overturned'> {
    inWarranty = false;
    await repairs.recordRepairProgress({ caseId, patch: { inWarranty: false, quoteAmountMinor: r.quoteAmountMinor, quoteCurrency: r.currency } });
    const evidence = patched(EVIDENCE_ATTACHMENT_IDS_PATCH) ? { evidenceIds: evidenceOf(r) } : { evidenceRefs: evidenceOf(r) };
    await kase.record('repair.user_damage_recorded', { faultCode: r.faultCode, ...evidence, amountMinor: r.quoteAmountMinor, currency: r.currency }, { actor: technicianId });
    const quoteOnce = async (disputeAllowed: boolean) => {
      quoteDecision = undefined;
      disputable = disputeAllowed;
      const deciding = waitOnCustomer('quote_decision', 'quoteDecision', rules.quoteDecision);
      await kase.record('repair.quote_offered', { amountMinor: r.quoteAmountMinor, currency: r.currency, reason: 'user_damage' }, { step: 'awaiting_quote_decision' });
      await kase.notify('repair.damage_quote_offered', customer, { amountMinor: r.quoteAmountMinor, currency: r.currency, disputable: disputeAllowed ? 'yes' : 'no', dueAt: deciding.clock.dueAt.toISOString() }, `:${disputeAllowed ? 'first' : 'reviewed'}`);
      const decided = await deciding.until(() => quoteDecision !== undefined || (disputeAllowed && dispute !== undefined));
      disputable = false;
      return decided;
    };
    let decided = await quoteOnce(true);
    if (dispute !== undefined && quoteDecision === undefined) {
      await repairs.recordRepairProgress({ caseId, patch: { damageDispute: dispute } });
      await kase.record('step.entered', {}, { step: 'damage_review' });
      const review = await kase.humanTask<DamageReview>({ type: 'repair.damage_review', role: 'supervisor', sla: rules.damageReview, slaName: 'damageReview', notifyOnEscalation: supervisors });
      // An unanswered complaint does not stand against the customer.
      const decision = review.kind === 'completed' ? review.payload.decision : 'overturned';
      await repairs.recordRepairProgress({ caseId, patch: { damageDispute: decision } });
      await kase.record('repair.damage_reviewed', { decision }, review.kind === 'completed' ? { actor: review.actor.id } : {});
      await kase.notify('repair.damage_reviewed', customer, { decision });
      if (decision === 'overturned') {
        await repairs.recordRepairProgress({ caseId, patch: { inWarranty: openedInWarranty } });
        await kase.record('step.entered', {}, { step: 'repairing' });
        return 'overturned';
      }
      decided = await quoteOnce(false);
    }
    await repairs.recordRepairProgress({ caseId, patch: { quoteDecision: decided.outcome === 'breached' ? 'lapsed' : quoteDecision } });
    if (decided.outcome === 'breached') await kase.record('repair.quote_lapsed', { dueAt: decided.facts.dueAt });
    if (quoteDecision === 'accept') {
      await kase.record('step.entered', {}, { step: 'repairing' });
      return 'paid_repair';
    }
    return 'declined';
  }

  // 6. The remedy: a refund (the item stays with the seller; 消法 art. 24), or the item back with tracking: repaired,
  //    its replacement, or (out of warranty only) as it is.
  if (resolution === undefined) resolution = plan === 'refund' ? 'refunded' : 'replaced';
  if (resolution === 'refunded') {
    const paid = order.paid!;
    // The route (暂行办法 art. 17): none for cases whose opening named no payment (the order's own refund, as before).
    const way = order.payment ? await routes.settle({ waitMs: durationMs(rules.refundRouteChoice ?? { amount: 3, unit: 'days' }, calendar) }) : undefined;
    const routed: { route?: 'original' | 'platform_balance' | 'bank_account'; routeBasis?: 'chosen' | 'default' } = way && way.route !== 'order_refund' ? { route: way.route, ...(way.basis && { routeBasis: way.basis }) } : {};
    await ports.issueRefund({ caseId, amountMinor: paid.amountMinor, currency: paid.currency, ...routed, ...(routed.route && { paymentRef: order.payment!.ref }), ...(way?.payeeRef && { payeeRef: way.payeeRef }), at: new Date().toISOString(), eventKey: `${caseId}:refund` });
    await kase.record('repair.refunded', { amountMinor: paid.amountMinor, currency: paid.currency, ...routed }, { step: 'refunded' });
    await kase.notify('repair.refunded', customer, { amountMinor: paid.amountMinor, currency: paid.currency, ...routed });
  } else {
    await kase.record('step.entered', { shipping: resolution }, { step: 'returning' });
    const shipped = await kase.humanTask<Shipment>({
      type: 'repair.return_shipment',
      role: 'agent',
      sla: rules.returnShipment,
      slaName: 'returnShipment',
      notifyOnEscalation: agents,
    });
    if (shipped.kind !== 'completed') return close('cancelled');
    const { carrier, trackingNumber } = shipped.payload;
    const shippedAt = new Date();
    await kase.record('repair.item_shipped', { carrier, trackingNumber, resolution }, { actor: shipped.actor.id });
    if (anyFault && resolution === 'replaced' && plan === 'replacement' && inWarranty) {
      // Art. 14: the replacement is a new item; in the item's record, the repairs before it no longer count.
      await repairs.recordItemRepair({
        caseId,
        itemId: input.item?.itemId ?? null,
        problemCategory: input.problemCategory,
        faultCode: faultFound ?? 'other',
        result: 'replaced',
        partsUsed: [],
        evidenceRefs: [],
        technicianId: shipped.actor.id,
        inWarranty,
        arrivedAt: null,
        completedAt: shippedAt.toISOString(),
        eventKey: `${caseId}:replacement`,
      });
    }
    await repairs.recordRepairProgress({ caseId, patch: { returnCarrier: carrier, returnTracking: trackingNumber } });
    await kase.notify('repair.item_shipped', customer, { carrier, trackingNumber });
    if (inWarranty) {
      // 消法 art. 24: the shipping back is the seller's too, booked in the payments ledger: at the carrier's quote, with
      // no cap from patch repair-shipping-uncapped (capped before).
      const back = { from: `merchant:${order.merchantId}`, to: `customer:${order.customerId}` };
      const uncapped = patched(REPAIR_SHIPPING_UNCAPPED_PATCH);
      const quoted = uncapped ? await ports.quoteRepairShipping({ carrier, ...back }) : undefined;
      const paid = await ports.payRepairShipping({
        caseId,
        leg: 'from_centre',
        carrier,
        ...back,
        ...(quoted
          ? { decided: { amountMinor: quoted.amountMinor, currency: quoted.currency, basis: 'carrier_quote' as const, quote: quoted } }
          : { cap: { amountMinor: rules.shippingCapMinor, currency: rules.shippingCurrency } }),
        at: shippedAt.toISOString(),
        eventKey: `${caseId}:shipping:from_centre`,
      });
      await kase.record('repair.shipping_booked', { leg: 'from_centre', paymentId: paid.paymentId, amountMinor: paid.amountMinor, currency: paid.currency });
      // Three-guarantee rules art. 14: a replacement starts its warranty anew; art. 8: the warranty does not count
      // the time the item spent in repair (from the hand-over to the shipment back).
      const extended =
        resolution === 'replaced'
          ? { basis: 'replacement_restarts', endsAt: civilMonths ? warrantyEndsAt(calendar, shippedAt, input.warrantyMonths) : addMonths(shippedAt, input.warrantyMonths) }
          : resolution === 'repaired' && rules.extendWarrantyByRepairTime
            ? { basis: 'repair_time', endsAt: new Date(warranty.warrantyEndsAt.getTime() + (shippedAt.getTime() - handedOverAt.getTime())) }
            : null;
      if (extended && extended.endsAt.getTime() > warranty.warrantyEndsAt.getTime()) {
        kase.setDeadline('warrantyEndsAt', extended.endsAt);
        await repairs.recordRepairProgress({ caseId, patch: { warrantyEndsAt: extended.endsAt.toISOString() } });
        await kase.record('repair.warranty_extended', { basis: extended.basis, from: warranty.warrantyEndsAt.toISOString(), warrantyEndsAt: extended.endsAt.toISOString() });
      }
    }
  }

  // 7. Satisfaction feedback (7.1): the customer rates the service 1-5 within the window; silence is recorded.
  const feedback = waitOnCustomer('rating', 'feedback', rules.feedback);
  await kase.record('step.entered', {}, { step: 'awaiting_rating' });
  await kase.notify('survey.requested', customer);
  const rated = await feedback.until(() => rating !== undefined);
  if (rated.outcome === 'breached') await kase.record('repair.no_rating', { dueAt: rated.facts.dueAt });
  await repairs.recordRepairProgress({ caseId, patch: rating !== undefined ? { rating, feedback: 'rated' } : { rating: null, feedback: 'no_rating' } });
  return close(resolution, rating ?? 'no_rating');
}
