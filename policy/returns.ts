// 7.1 / 7.3: eligibility for the 7-day no-reason return. Pure: used by the API (422) and the workflow.
// Plain code and data only: the zod schemas are in returns.schemas.ts, which the task payloads and action bodies
// below load on first use (policy/lazySchema.ts), so a workflow that only waits never evaluates zod.
import type { z } from 'zod';
import { dayPeriodEndsAt, type BusinessCalendar } from './businessCalendar';
import { lazySchema } from './lazySchema';
import { defineActions, defineTasks } from './process';

type Schemas = typeof import('./returns.schemas');
const schemas = (): Schemas => require('./returns.schemas');

/**
 * The default reimbursement cap of one return parcel: 30.00 CNY. A standard domestic parcel costs 10.00 to
 * 30.00 CNY with the carriers the platform quotes (the carrier port's quotes span that range), so a customer
 * who ships the usual way is reimbursed in full, while what a customer adds on top (express or same-day
 * service, insurance, bulky freight) is not charged to the platform without limit.
 */
export const DEFAULT_RETURN_SHIPPING_CAP_MINOR = 3000;
export const DEFAULT_RETURN_SHIPPING_CURRENCY = 'CNY';

export type ReturnPolicy = z.infer<Schemas['returnPolicySchema']>;

export const defaultReturnPolicy: ReturnPolicy = {
  windowDays: 7,
  // On: art. 203 moves a last day that falls on a statutory rest day, which favours the consumer.
  extendWindowOverHolidays: true,
  excludedCategories: ['customized', 'perishable', 'digital-download', 'intimate-apparel'],
  returnShippingPaidBy: 'platform',
  // 30.00 CNY: covers a standard domestic parcel with any quoted carrier (see DEFAULT_RETURN_SHIPPING_CAP_MINOR).
  returnShippingCapMinor: DEFAULT_RETURN_SHIPPING_CAP_MINOR,
  returnShippingCurrency: DEFAULT_RETURN_SHIPPING_CURRENCY,
  merchantReview: { within: { amount: 48, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' },
  platformReviewRequestWindow: { amount: 7, unit: 'days' },
  platformReview: { within: { amount: 2, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  customerShipment: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  merchantInspection: { within: { amount: 3, unit: 'working-days' }, remindAt: 0.5, onBreach: 'default-decision' },
  exchangeShipment: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
};

export const merchantRejectionReasons = [
  'item_used_or_damaged',
  'missing_parts_or_packaging',
  'category_excluded',
  'outside_return_window',
  'other',
] as const;

export type ReviewDecision = z.infer<Schemas['reviewDecisionSchema']>;

/** Human steps of the return. */
export const returnTasks = defineTasks({
  /** 8.2: the merchant answers the return request. */
  'return.merchant_review': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().reviewDecisionSchema);
    },
  },
  /** The platform's review after a merchant rejection; its decision is final within the platform. */
  'return.platform_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().reviewDecisionSchema);
    },
  },
  /** 7.2: the merchant confirms receipt and inspection of the returned item. */
  'return.merchant_inspection': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().merchantInspectionSchema);
    },
  },
  /** Exchange: the merchant ships the replacement. */
  'return.exchange_shipment': {
    role: 'merchant',
    get payload() {
      return lazySchema(() => schemas().shipmentSchema);
    },
  },
});

/** "12.00" → 1200 (minor units). Pure: the workflow converts the customer's amount with it. */
export function decimalToMinor(amount: string): number {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/**
 * The customer's return shipment: carrier and tracking number, and optionally what the customer paid the
 * carrier (7.3: reimbursed up to the policy's cap). Without `paid`, the carrier's quote is reimbursed.
 */
export type ReturnShipment = z.infer<Schemas['returnShipmentSchema']>;

export interface Money {
  amountMinor: number;
  currency: string;
}

export type ReimbursementBasis = 'paid' | 'carrier_quote' | 'cap';

/**
 * 7.3: what the platform reimburses for the return parcel. The amount the customer paid when given in the cap's
 * currency, otherwise the carrier's quote; never more than the cap. Amounts in another currency cannot be
 * compared with the cap (no exchange rates here): a paid amount in another currency is set aside for the quote,
 * and a quote in another currency is replaced by the cap itself (the customer is not left to bear the freight).
 */
export function returnShippingReimbursement(o: { paid?: Money; quote?: Money; cap: Money }): {
  amountMinor: number;
  currency: string;
  basis: ReimbursementBasis;
  uncappedMinor: number;
  capped: boolean;
} {
  const usable = (m?: Money) => (m && m.currency === o.cap.currency ? m : undefined);
  const paid = usable(o.paid);
  const quote = usable(o.quote);
  const basis: ReimbursementBasis = paid ? 'paid' : quote ? 'carrier_quote' : 'cap';
  const uncappedMinor = (paid ?? quote ?? o.cap).amountMinor;
  const amountMinor = Math.min(uncappedMinor, o.cap.amountMinor);
  return { amountMinor, currency: o.cap.currency, basis, uncappedMinor, capped: amountMinor < uncappedMinor };
}

/** Whether the carrier's quote is needed: the customer gave no amount in the cap's currency. */
export function needsCarrierQuote(paid: Money | undefined, capCurrency: string): boolean {
  return !paid || paid.currency !== capCurrency;
}

/** What the customer does on a return, through the storefront or an agent: POST /v1/cases/{id}/actions/{name}. */
export const returnActions = defineActions({
  shipment: {
    summary: "Submit the customer's return shipment (carrier, tracking number, optionally the amount paid)",
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().returnShipmentSchema);
    },
    update: 'submitReturnShipment',
    field: 'shipment',
  },
  'platform-review': {
    summary: 'Ask the platform to review a merchant rejection',
    roles: ['storefront', 'agent'],
    get body() {
      return lazySchema(() => schemas().platformReviewRequestSchema);
    },
    update: 'requestPlatformReview',
  },
});

export const returnRequestTypes = ['return_and_refund', 'exchange', 'refund_only'] as const;
export type ReturnRequestType = (typeof returnRequestTypes)[number];

export const returnReasonCodes = [
  'no_reason', // 7-day no-reason return
  'not_as_described',
  'defective',
  'wrong_item',
  'damaged_in_transit',
  'size_or_fit',
  'changed_mind',
] as const;
export type ReturnReasonCode = (typeof returnReasonCodes)[number];

export type Ineligibility = 'NOT_YET_DELIVERED' | 'RETURN_WINDOW_EXPIRED' | 'CATEGORY_EXCLUDED';

export interface EligibilityInput {
  deliveredAt: Date;
  requestedAt: Date;
  category: string;
}

export type Eligibility =
  | { eligible: true; windowEndsAt: Date }
  | { eligible: false; reason: Ineligibility; message: string; windowEndsAt?: Date };

const DAY_MS = 24 * 60 * 60 * 1000;

/** The return policy fields the window needs; `extendWindowOverHolidays` may be absent in older policy documents. */
export type ReturnWindowRules = Pick<ReturnPolicy, 'windowDays'> & { extendWindowOverHolidays?: boolean };

/**
 * 7.1: the window is counted in days from the day after delivery and ends at 24:00 (local time of
 * the calendar) of its last day, moved past statutory rest days unless the policy switches that off
 * (Civil Code arts. 201, 203; see dayPeriodEndsAt). A request is in the window while it is before this instant.
 */
export function returnWindowEndsAt(deliveredAt: Date, policy: ReturnWindowRules, calendar: BusinessCalendar): Date {
  return dayPeriodEndsAt(calendar, deliveredAt, policy.windowDays, { extendOverHolidays: policy.extendWindowOverHolidays ?? true });
}

/**
 * @deprecated The former window: delivery + windowDays x 24 h, the last instant included. Kept only so
 * that cases opened under it replay unchanged; new code uses returnWindowEndsAt.
 */
export function returnWindowEndsAtLegacy(deliveredAt: Date, policy: Pick<ReturnPolicy, 'windowDays'>): Date {
  return new Date(deliveredAt.getTime() + policy.windowDays * DAY_MS);
}

export function checkReturnEligibility(input: EligibilityInput, policy: ReturnPolicy, calendar: BusinessCalendar): Eligibility {
  const windowEndsAt = returnWindowEndsAt(input.deliveredAt, policy, calendar);
  return judge(input, policy, windowEndsAt, input.requestedAt.getTime() >= windowEndsAt.getTime());
}

/**
 * @deprecated The former rule (returnWindowEndsAtLegacy, a request at the end instant still in the window).
 * Kept only so that cases opened under it replay unchanged; new code uses checkReturnEligibility.
 */
export function checkReturnEligibilityLegacy(input: EligibilityInput, policy: ReturnPolicy): Eligibility {
  const windowEndsAt = returnWindowEndsAtLegacy(input.deliveredAt, policy);
  return judge(input, policy, windowEndsAt, input.requestedAt.getTime() > windowEndsAt.getTime());
}

function judge(input: EligibilityInput, policy: ReturnPolicy, windowEndsAt: Date, expired: boolean): Eligibility {
  if (policy.excludedCategories.includes(input.category)) {
    return {
      eligible: false,
      reason: 'CATEGORY_EXCLUDED',
      message: `Category '${input.category}' is excluded from no-reason returns`,
    };
  }
  if (input.requestedAt.getTime() < input.deliveredAt.getTime()) {
    return { eligible: false, reason: 'NOT_YET_DELIVERED', message: 'The order was not delivered at the time of the request' };
  }
  if (expired) {
    return {
      eligible: false,
      reason: 'RETURN_WINDOW_EXPIRED',
      message: `The ${policy.windowDays}-day return window ended at ${windowEndsAt.toISOString()}`,
      windowEndsAt,
    };
  }
  return { eligible: true, windowEndsAt };
}
