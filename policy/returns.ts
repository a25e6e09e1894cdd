// 7.1 / 7.3: eligibility for the 7-day no-reason return. Pure: used by the API (422) and the workflow.
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

export function returnWindowEndsAt(deliveredAt: Date, policy: Pick<ReturnPolicy, 'windowDays'>): Date {
  return new Date(deliveredAt.getTime() + policy.windowDays * DAY_MS);
}

export function checkReturnEligibility(input: EligibilityInput, policy: ReturnPolicy): Eligibility {
  const windowEndsAt = returnWindowEndsAt(input.deliveredAt, policy);
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
  if (input.requestedAt.getTime() > windowEndsAt.getTime()) {
    return {
      eligible: false,
      reason: 'RETURN_WINDOW_EXPIRED',
      message: `The ${policy.windowDays}-day return window ended at ${windowEndsAt.toISOString()}`,
      windowEndsAt,
    };
  }
  return { eligible: true, windowEndsAt };
}
