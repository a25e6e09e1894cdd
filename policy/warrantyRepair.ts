// Warranty repair (policy 7.1, 7.2, 7.3): the policy rules, SLAs and human-task types.
// 7.1: warranty per the manufacturer's policy; response within 2 working hours; repair within 5 working days;
//      satisfaction feedback is collected.
// 7.3: in warranty the repair is free, with the parts and labour it needs.
// Pure and deterministic: imported by the API (opening a request) and by the workflow. Plain code and data only:
// the zod schemas are in warrantyRepair.schemas.ts, which the task payloads and action bodies below load on
// first use (policy/lazySchema.ts), so a workflow that only waits never evaluates zod.
import type { z } from 'zod';
import { lazySchema } from './lazySchema';
import { defineActions, defineTasks } from './process';

type Schemas = typeof import('./warrantyRepair.schemas');
const schemas = (): Schemas => require('./warrantyRepair.schemas');

export const repairRemedies = ['replacement', 'voucher'] as const;
export type RepairRemedy = (typeof repairRemedies)[number];

export type WarrantyRepairPolicy = z.infer<Schemas['warrantyRepairPolicySchema']>;

export const defaultWarrantyRepairPolicy: WarrantyRepairPolicy = {
  firstResponse: { within: { amount: 2, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  quoteDecision: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  handOver: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  receipt: { within: { amount: 1, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  repair: { within: { amount: 5, unit: 'working-days' }, remindAt: 0.6, onBreach: 'notify' },
  breachRemedy: 'replacement',
  voucherAmountMinor: 5000,
  voucherCurrency: 'CNY',
  remedyDecision: { within: { amount: 3, unit: 'days' }, remindAt: 0.5, onBreach: 'default-decision' },
  returnShipment: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  feedback: { within: { amount: 7, unit: 'days' }, remindAt: 0.5, onBreach: 'default-decision' },
};

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

/** Adds calendar months to an instant (UTC), clamping to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(from: Date, months: number): Date {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(y, m, Math.min(from.getUTCDate(), lastDay), from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

export type WarrantyCheck =
  | { ok: true; inWarranty: boolean; warrantyEndsAt: Date }
  | { ok: false; reason: 'NOT_YET_DELIVERED' | 'INVALID_WARRANTY_TERMS'; message: string };

/**
 * 7.1 warranty per the manufacturer's policy: the item is in warranty while the request comes no later
 * than `warrantyMonths` calendar months after delivery (inclusive, to the millisecond). 0 months: no warranty.
 */
export function checkWarranty(input: { deliveredAt: Date; warrantyMonths: number; requestedAt: Date }): WarrantyCheck {
  const { deliveredAt, warrantyMonths, requestedAt } = input;
  if (!Number.isInteger(warrantyMonths) || warrantyMonths < 0 || warrantyMonths > MAX_WARRANTY_MONTHS) {
    return { ok: false, reason: 'INVALID_WARRANTY_TERMS', message: `Warranty months must be a whole number from 0 to ${MAX_WARRANTY_MONTHS}` };
  }
  if (requestedAt.getTime() < deliveredAt.getTime()) {
    return { ok: false, reason: 'NOT_YET_DELIVERED', message: 'A repair can be requested only after delivery' };
  }
  const warrantyEndsAt = addMonths(deliveredAt, warrantyMonths);
  return { ok: true, inWarranty: warrantyMonths > 0 && requestedAt.getTime() <= warrantyEndsAt.getTime(), warrantyEndsAt };
}

export type CustomerDecision = z.infer<Schemas['customerDecisionSchema']>;

/** How the customer hands the item over: a courier shipment, or a drop-off at a service point with its receipt reference. */
export type HandOver = z.infer<Schemas['handOverSchema']>;

export const notRepairableReasons = ['parts_unavailable', 'beyond_economic_repair', 'other'] as const;

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
  /** 7.2: the service team confirms it received the item; the 5-working-day repair clock starts. */
  'repair.confirm_receipt': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().receiptConfirmationSchema);
    },
  },
  /** The technician's result (technicians act with the agent role). */
  'repair.technician_result': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().technicianResultSchema);
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
    summary: 'Accept or decline the remedy (replacement or voucher) offered after a repair breach or an unrepairable item',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().remedyDecisionBodySchema);
    },
    update: 'decideRepairRemedy',
  },
  rating: {
    summary: 'Rate the after-sales service 1-5 (policy 7.1 satisfaction feedback)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().ratingBodySchema);
    },
    update: 'submitRepairRating',
  },
});
