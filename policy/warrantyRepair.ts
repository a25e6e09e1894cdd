// Warranty repair (policy 7.1, 7.2, 7.3): the policy rules, SLAs and human-task types.
// 7.1: warranty per the manufacturer's policy; response within 2 working hours; repair within 5 working days;
//      satisfaction feedback is collected.
// 7.3: in warranty the repair is free, with the parts and labour it needs.
// Pure and deterministic: imported by the API (opening a request) and by the workflow. Plain code and data only:
// the zod schemas are in warrantyRepair.schemas.ts, which the task payloads and action bodies below load on
// first use (policy/lazySchema.ts), so a workflow that only waits never evaluates zod.
import type { z } from 'zod';
import { dayPeriodEndsAt, monthPeriodEndsAt, type BusinessCalendar } from './businessCalendar';
import { lazySchema } from './lazySchema';
import { defineActions, defineTasks } from './process';

type Schemas = typeof import('./warrantyRepair.schemas');
const schemas = (): Schemas => require('./warrantyRepair.schemas');

export const repairRemedies = ['replacement', 'voucher'] as const;
export type RepairRemedy = (typeof repairRemedies)[number];

export type WarrantyRepairPolicy = z.infer<typeof import('./warrantyRepair.policySchema').warrantyRepairPolicySchema>;

export const defaultWarrantyRepairPolicy: WarrantyRepairPolicy = {
  firstResponse: { within: { amount: 2, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  quoteDecision: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  handOver: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  // The receipt confirmation escalates to a supervisor: the repair clock already runs from the arrival.
  receipt: { within: { amount: 1, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  repair: { within: { amount: 5, unit: 'working-days' }, remindAt: 0.6, onBreach: 'notify' },
  breachRemedy: 'replacement',
  voucherAmountMinor: 5000,
  voucherCurrency: 'CNY',
  remedyDecision: { within: { amount: 3, unit: 'days' }, remindAt: 0.5, onBreach: 'default-decision' },
  returnShipment: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  feedback: { within: { amount: 7, unit: 'days' }, remindAt: 0.5, onBreach: 'default-decision' },
  earlyFault: { returnDays: 7, exchangeDays: 15, extendOverHolidays: true },
  repairsBeforeReplacement: 2,
  silenceRemedy: 'replacement',
  // 暂行办法 art. 17: a refund the original payment cannot take waits 3 days after the question for the customer's choice.
  refundRouteChoice: { amount: 3, unit: 'days' },
  repairLongStop: { within: { amount: 30, unit: 'days' }, remindAt: 0.8, onBreach: 'reassign-to-supervisor' },
  arrivalCheckEvery: { amount: 2, unit: 'hours' },
  arrivalWait: { amount: 14, unit: 'days' },
  // Policy 7.1: the delivery event is the arrival; past 3 days with none, the carrier is asked (at most 3 times).
  carrierExpectedDelivery: { amount: 3, unit: 'days' },
  shippingCapMinor: 3000,
  shippingMarginPercent: 20,
  shippingCurrency: 'CNY',
  extendWarrantyByRepairTime: true,
  damageReview: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  externalRecordReview: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
};

/**
 * What the customer may choose instead of (or besides) a plain repair, in warranty (three-guarantee rules;
 * 消法 art. 24): `repair` goes on with the repair, `replacement` a new item of the same model, `refund` the
 * item back and the price refunded.
 */
export const remedyChoices = ['repair', 'replacement', 'refund'] as const;
export type RemedyChoice = (typeof remedyChoices)[number];

/** Why the customer is offered a choice. */
export type ChoiceReason =
  | 'early_fault_return' // three-guarantee rules art. 9: a performance fault within 7 days: return, exchange or repair
  | 'early_fault_exchange' // art. 10: within 15 days: exchange or repair
  | 'repeat_fault' // art. 11: repaired twice and still failing: replacement or return
  | 'not_repairable' // art. 12/13 and 消法 art. 24: no repair possible: replacement or return
  | 'repair_sla_breached' // policy 7.1: the 5-working-day promise broken: replacement, or the repair goes on
  | 'repair_overdue'; // art. 12: the repair took longer than 30 days: replacement or return

/** A performance fault (性能故障): every category but damage the customer reports as physical. */
export const isPerformanceFault = (c: RepairProblemCategory): boolean => c !== 'physical_damage';

/**
 * The three-guarantee entitlement a request opens with, in warranty: an early performance fault (counted in days
 * from delivery like the law counts days, Civil Code art. 201/203), or an item already repaired
 * `repairsBeforeReplacement` times in warranty (art. 11). Null: the free repair (7.3).
 * `priorRepairsOfFault`: the repairs the item's record counts: for cases from patch `repair-count-any-fault`, every
 * in-warranty repair of the item by any authorised repairer, whatever the fault (countItemRepairs); before it, the
 * platform's repairs of the same declared problem category.
 */
export function threeGuaranteeEntitlement(input: {
  calendar: BusinessCalendar;
  rules: Pick<WarrantyRepairPolicy, 'earlyFault' | 'repairsBeforeReplacement'>;
  deliveredAt: Date;
  requestedAt: Date;
  problemCategory: RepairProblemCategory;
  priorRepairsOfFault: number;
}): { reason: ChoiceReason; options: RemedyChoice[] } | null {
  const { calendar, rules, deliveredAt, requestedAt } = input;
  const within = (days: number) => requestedAt.getTime() < dayPeriodEndsAt(calendar, deliveredAt, days, { extendOverHolidays: rules.earlyFault.extendOverHolidays }).getTime();
  if (isPerformanceFault(input.problemCategory)) {
    if (within(rules.earlyFault.returnDays)) return { reason: 'early_fault_return', options: ['refund', 'replacement', 'repair'] };
    if (within(rules.earlyFault.exchangeDays)) return { reason: 'early_fault_exchange', options: ['replacement', 'repair'] };
  }
  if (input.priorRepairsOfFault >= rules.repairsBeforeReplacement) return { reason: 'repeat_fault', options: ['replacement', 'refund'] };
  return null;
}

/** Who repaired the item elsewhere (three-guarantee rules art. 11: the records of any authorised repairer count). */
export const externalRepairerKinds = ['manufacturer_service', 'authorised_service_centre', 'seller', 'other_authorised'] as const;
/** Why an agent does not count another repairer's record. */
export const externalRecordRejectionReasons = ['not_authorised_repairer', 'not_this_item', 'outside_warranty', 'evidence_insufficient', 'duplicate', 'other'] as const;

/** A row of the item's repair record on this platform (repair_item_history). */
export interface PlatformRepairRecord {
  result: string;
  inWarranty: boolean;
  completedAt: Date;
}
/** Another repairer's record the customer attached (repair_external_records). */
export interface ExternalRepairRecord {
  status: 'pending' | 'confirmed' | 'rejected';
  repairerKind: string;
  repairerRef: string;
  /** The repair's date (a calendar date, 00:00 UTC of it). */
  repairedOn: Date;
}
export interface RepairCount {
  platform: number;
  external: number;
  confirmedExternal: number;
  total: number;
}

/**
 * The repairs an item's record counts towards art. 11 of the three-guarantee rules (部分商品修理更换退货责任规定: repaired
 * twice in warranty and still failing, replacement or return; the 移动电话 and 微型计算机 rules alike): the fault need not
 * be the same, and the records of any authorised repairer count.
 * - On this platform: every report with result `repaired` made in warranty, whatever the declared category or the
 *   fault found. `replaced` starts a new item (art. 14: its warranty starts anew), so the repairs before the latest
 *   replacement no longer count; `not_repairable` and `user_damage` are not repairs (the first leads to the
 *   replacement or return itself; the second is outside the three guarantees).
 * - Elsewhere: the records the customer attached, one per repairer and date, on or after the latest replacement;
 *   `external` counts them all, `confirmedExternal` those an agent confirmed; only these count.
 * `before`: the instant the count is taken (the request): later platform records do not count. `external`: the records
 * attached up to that request (the opening checks that each is dated from the delivery to the request).
 */
export function countItemRepairs(input: { platform: readonly PlatformRepairRecord[]; external: readonly ExternalRepairRecord[]; before: Date }): RepairCount {
  const before = input.before.getTime();
  const earlier = input.platform.filter((r) => r.completedAt.getTime() < before);
  const since = Math.max(-Infinity, ...earlier.filter((r) => r.result === 'replaced').map((r) => r.completedAt.getTime()));
  const platform = earlier.filter((r) => r.result === 'repaired' && r.inWarranty && r.completedAt.getTime() > since).length;
  // A replacement on a day: a repair elsewhere that day counts (the day is all a record gives).
  const sinceDay = Number.isFinite(since) ? Math.floor(since / 86_400_000) * 86_400_000 : -Infinity;
  const byRecord = new Map<string, ExternalRepairRecord>();
  for (const r of input.external) {
    if (r.repairedOn.getTime() < sinceDay) continue;
    const key = `${r.repairerKind}:${r.repairerRef}:${r.repairedOn.toISOString().slice(0, 10)}`;
    const seen = byRecord.get(key);
    if (!seen || (seen.status !== 'confirmed' && r.status === 'confirmed')) byRecord.set(key, r);
  }
  const external = byRecord.size;
  const confirmedExternal = [...byRecord.values()].filter((r) => r.status === 'confirmed').length;
  return { platform, external, confirmedExternal, total: platform + confirmedExternal };
}

/** What silence chooses: the policy's default when offered (never "declined"), else the replacement, else the first option. */
export function silenceChoice(options: readonly RemedyChoice[], preferred: WarrantyRepairPolicy['silenceRemedy']): RemedyChoice {
  if (options.includes(preferred)) return preferred;
  return options.includes('replacement') ? 'replacement' : options[0];
}

export const repairProblemCategories = [
  'does_not_power_on',
  'malfunction',
  'display',
  'battery',
  'noise_or_vibration',
  'physical_damage',
  'other',
] as const;
export type RepairProblemCategory = (typeof repairProblemCategories)[number];

export const MAX_WARRANTY_MONTHS = 120;

/**
 * Adds calendar months to an instant (UTC), clamping to the month's last day (Jan 31 + 1 month = Feb 28/29). The
 * warranty's end as first built, kept for the cases opened before patch `warranty-civil-months` (their histories
 * recorded it); every later case counts the warranty with warrantyEndsAt.
 */
export function addMonths(from: Date, months: number): Date {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(y, m, Math.min(from.getUTCDate(), lastDay), from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

/**
 * The end of a warranty of `months` months from `from` (delivery, or the replacement's shipment), counted as the
 * Civil Code counts periods (monthPeriodEndsAt: from the next local day to 24:00 of the corresponding day of the last
 * month, arts. 201-203), as the first instant out of warranty.
 *
 * A last day on a statutory rest day moves to the next working day (art. 203(1)): the warranty is the period in which
 * the consumer claims, and art. 204 applies the Code's counting to it unless a law or the agreement says otherwise;
 * neither 部分商品修理更换退货责任规定 nor the warranty terms the storefront sends do. The same choice as the early-fault
 * days (`earlyFault.extendOverHolidays`) and the return window.
 */
export function warrantyEndsAt(calendar: BusinessCalendar, from: Date, months: number): Date {
  return monthPeriodEndsAt(calendar, from, months, { extendOverHolidays: true });
}

export type WarrantyCheck =
  | { ok: true; inWarranty: boolean; warrantyEndsAt: Date }
  | { ok: false; reason: 'NOT_YET_DELIVERED' | 'INVALID_WARRANTY_TERMS'; message: string };

/**
 * 7.1 warranty per the manufacturer's policy: the item is in warranty while the request comes before the warranty's
 * end. 0 months: no warranty.
 * - With `calendar`: the end is counted as the Civil Code counts periods (warrantyEndsAt: delivered 2026-03-01 at
 *   05:00 Shanghai time with 6 months, in warranty through 2026-09-01 24:00), and `warrantyEndsAt` is the first
 *   instant out of warranty.
 * - Without (the cases opened before patch `warranty-civil-months` only): `warrantyMonths` calendar months added to
 *   the delivery instant on its UTC date, inclusive to the millisecond.
 */
export function checkWarranty(input: { deliveredAt: Date; warrantyMonths: number; requestedAt: Date; calendar?: BusinessCalendar }): WarrantyCheck {
  const { deliveredAt, warrantyMonths, requestedAt, calendar } = input;
  if (!Number.isInteger(warrantyMonths) || warrantyMonths < 0 || warrantyMonths > MAX_WARRANTY_MONTHS) {
    return { ok: false, reason: 'INVALID_WARRANTY_TERMS', message: `Warranty months must be a whole number from 0 to ${MAX_WARRANTY_MONTHS}` };
  }
  if (requestedAt.getTime() < deliveredAt.getTime()) {
    return { ok: false, reason: 'NOT_YET_DELIVERED', message: 'A repair can be requested only after delivery' };
  }
  if (calendar) {
    // 0 months: no warranty; its end is the delivery itself.
    const endsAt = warrantyMonths > 0 ? warrantyEndsAt(calendar, deliveredAt, warrantyMonths) : new Date(deliveredAt.getTime());
    return { ok: true, inWarranty: warrantyMonths > 0 && requestedAt.getTime() < endsAt.getTime(), warrantyEndsAt: endsAt };
  }
  const endsAt = addMonths(deliveredAt, warrantyMonths);
  return { ok: true, inWarranty: warrantyMonths > 0 && requestedAt.getTime() <= endsAt.getTime(), warrantyEndsAt: endsAt };
}

export type CustomerDecision = z.infer<Schemas['customerDecisionSchema']>;

/** How the customer hands the item over: a courier shipment, or a drop-off at a service point with its receipt reference. */
export type HandOver = z.infer<Schemas['handOverSchema']>;

export const notRepairableReasons = ['parts_unavailable', 'beyond_economic_repair', 'other'] as const;

/** The fault the technician found (a code; any free text stays in PostgreSQL). */
export const faultCodes = ['power_supply', 'mainboard', 'display', 'battery', 'mechanical', 'software', 'sensor', 'no_fault_found', 'other'] as const;
export type FaultCode = (typeof faultCodes)[number];

/** Why the customer disputes a user-damage finding. */
export const damageDisputeReasons = ['not_caused_by_me', 'normal_use', 'evidence_insufficient', 'other'] as const;

/** Human steps of this process. */
export const warrantyRepairTasks = defineTasks({
  /** 7.1 first response, in warranty: acknowledge and confirm the free repair (7.3: parts and labour covered). */
  'repair.first_response': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().freeRepairResponseSchema);
    },
  },
  /** 7.1 first response, out of warranty: acknowledge and quote the repair (amount in minor units). */
  'repair.first_response_quote': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().quoteResponseSchema);
    },
  },
  /** 7.2: the service team confirms it received the item; the 5-working-day repair clock runs from the arrival (7.1). */
  'repair.confirm_receipt': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().receiptConfirmationSchema);
    },
  },
  /** The technician's result, on cases opened before the three-guarantee rules (technicians act with the agent role). */
  'repair.technician_result': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().technicianResultSchema);
    },
  },
  /**
   * The technician's report (three-guarantee rules; policy 7.1): the result with the fault found and the parts used
   * (codes); or damage the customer caused, with evidence references and a quote (the item turns out of warranty).
   */
  'repair.technician_report': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().technicianReportSchema);
    },
  },
  /** Platform review of a disputed user-damage finding (a complaint, policy 7.4): upheld or overturned. */
  /**
   * 消法 art. 24: the customer's shipping to the repair centre above the carrier's quote by more than the policy margin
   * (or not comparable with a quote): an agent approves the amount paid back, with the receipt and the quote.
   */
  'repair.shipping_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().repairShippingReviewSchema);
    },
  },
  'repair.damage_review': {
    role: 'supervisor',
    get payload() {
      return lazySchema(() => schemas().damageReviewSchema);
    },
  },
  /**
   * Three-guarantee rules art. 11: another repairer's record the customer attached (repairer, date, evidence ids), one
   * task per record in the order attached: confirmed, it counts towards the two repairs; rejected, with a reason code.
   */
  'repair.external_record_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().externalRecordReviewSchema);
    },
  },
  /** The item goes back to the customer: carrier and tracking number. */
  'repair.return_shipment': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().repairReturnShipmentSchema);
    },
  },
});

/** What the customer does on a repair, through the storefront: POST /v1/cases/{id}/actions/{name}. */
export const warrantyRepairActions = defineActions({
  'quote-decision': {
    summary: 'Accept or decline the out-of-warranty repair quote',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().quoteDecisionBodySchema);
    },
    update: 'decideRepairQuote',
  },
  'hand-over': {
    summary: 'Hand the item over: courier tracking number or drop-off reference',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().handOverSchema);
    },
    update: 'handOverRepairItem',
    field: 'handOver',
  },
  'remedy-decision': {
    summary: 'Accept or decline the remedy (replacement or voucher) offered after a repair breach or an unrepairable item (cases opened before the three-guarantee rules)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().remedyDecisionBodySchema);
    },
    update: 'decideRepairRemedy',
  },
  'remedy-choice': {
    summary: 'Choose the remedy offered in warranty: repair, replacement or refund (three-guarantee rules, 消法 art. 24)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().remedyChoiceBodySchema);
    },
    update: 'chooseRepairRemedy',
  },
  'damage-dispute': {
    summary: 'Dispute a user-damage finding: a complaint the platform reviews',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().damageDisputeBodySchema);
    },
    update: 'disputeRepairDamage',
  },
  rating: {
    summary: 'Rate the after-sales service 1-5 (policy 7.1 satisfaction feedback)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().ratingBodySchema);
    },
    update: 'submitRepairRating',
  },
  'repair-refund-route': {
    summary: 'Choose where a refund goes when the original payment cannot take it (cash on delivery, a closed route): a bank account by its payee reference, or the platform balance (暂行办法 art. 17)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().refundRouteChoiceSchema);
    },
    update: 'chooseRepairRefundRoute',
  },
});
