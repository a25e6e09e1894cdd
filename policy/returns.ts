// 7.1 / 7.3: eligibility for the 7-day no-reason return. Pure: used by the API (422) and the workflow.
import { dayPeriodEndsAt, type BusinessCalendar } from './businessCalendar';
import type { ReturnPolicy } from './config';

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
