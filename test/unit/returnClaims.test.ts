// Return eligibility by what the request is in law: reason x category x confirmation at purchase x day of request
// (消法 arts. 24, 25; 暂行办法 arts. 6, 7; 电子商务法 art. 20), the refundable amount and the refund route.
import { defaultBusinessCalendar } from '../../policy/businessCalendar';
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import {
  checkClaimEligibility,
  QUALITY_REASONS,
  refundableMinor,
  refundRouteOf,
  STATUTORY_EXCLUDED_CATEGORIES,
  type ReturnReasonCode,
  type ReturnRequestType,
} from '../../policy/returns';
import { returnPolicySchema } from '../../policy/returns.policySchema';

const cal = defaultBusinessCalendar; // Asia/Shanghai
const rules = defaultPolicy.returnWithin7Days;
// Delivered Wednesday 2026-11-18 10:00 Shanghai: day 7 is Wednesday 11-25, day 15 is Thursday 12-03 (both working days).
const deliveredAt = new Date('2026-11-18T10:00:00+08:00');
const days = {
  'day 7, 23:59': '2026-11-25T23:59:00+08:00',
  'day 7, last millisecond': '2026-11-25T23:59:59.999+08:00',
  'day 8, 00:00': '2026-11-26T00:00:00+08:00',
  'day 15, 23:59': '2026-12-03T23:59:00+08:00',
  'day 16, 00:00': '2026-12-04T00:00:00+08:00',
  // The warranty counts like the law counts months (Civil Code arts. 201-203): its last day is 2027-11-18 (a Thursday), to 24:00.
  'after the 12-month warranty': '2027-11-19T00:00:00+08:00',
} as const;
type Day = keyof typeof days;
const dayNumber: Record<Day, number> = { 'day 7, 23:59': 7, 'day 7, last millisecond': 7, 'day 8, 00:00': 8, 'day 15, 23:59': 15, 'day 16, 00:00': 16, 'after the 12-month warranty': 400 };

const check = (o: { reason: ReturnReasonCode; category?: string; confirmed?: boolean; day?: Day; type?: ReturnRequestType; unsealed?: boolean; partial?: boolean; delivered?: boolean; requestedAt?: string }) =>
  checkClaimEligibility(
    {
      requestType: o.type ?? 'return_and_refund',
      reasonCode: o.reason,
      category: o.category ?? 'apparel',
      ...(o.delivered !== false && { deliveredAt }),
      requestedAt: new Date(o.requestedAt ?? days[o.day ?? 'day 7, 23:59']),
      snapshot: { exclusionConfirmedAtPurchase: o.confirmed ?? false, ...(o.unsealed !== undefined && { digitalUnsealed: o.unsealed }) },
      partialRefund: o.partial ?? false,
    },
    rules,
    cal,
    // The quality windows below are the former rule, kept for the cases opened before patch return-quality-time-limits;
    // the law's limits are test/unit/qualityTimeLimits.test.ts's subject.
    { qualityTimeLimits: false },
  );
const outcome = (r: ReturnType<typeof check>) => (r.eligible ? 'eligible' : r.reason);

describe('the table: reason x category x confirmation at purchase x day of request', () => {
  // [reason, category, confirmed at purchase, request type, day, expected]
  test.each<[ReturnReasonCode, string, boolean, ReturnRequestType, Day, string]>([
    // No-reason returns (暂行办法): 7 days, to 24:00 of day 7.
    ['no_reason', 'apparel', false, 'return_and_refund', 'day 7, 23:59', 'eligible'],
    ['no_reason', 'apparel', false, 'return_and_refund', 'day 7, last millisecond', 'eligible'],
    ['no_reason', 'apparel', false, 'return_and_refund', 'day 8, 00:00', 'RETURN_WINDOW_EXPIRED'],
    ['changed_mind', 'apparel', false, 'exchange', 'day 8, 00:00', 'RETURN_WINDOW_EXPIRED'],
    ['size_or_fit', 'apparel', true, 'exchange', 'day 7, 23:59', 'eligible'],
    // The statutory four (消法 art. 25): refused whatever the confirmation.
    ['no_reason', 'customized', false, 'return_and_refund', 'day 7, 23:59', 'CATEGORY_EXCLUDED'],
    ['no_reason', 'perishable', false, 'return_and_refund', 'day 7, 23:59', 'CATEGORY_EXCLUDED'],
    ['no_reason', 'digital-download', false, 'return_and_refund', 'day 7, 23:59', 'CATEGORY_EXCLUDED'],
    ['no_reason', 'newspapers-periodicals', false, 'return_and_refund', 'day 7, 23:59', 'CATEGORY_EXCLUDED'],
    // By nature (暂行办法 art. 7): refused only with the consumer's confirmation at purchase.
    ['no_reason', 'intimate-apparel', false, 'return_and_refund', 'day 7, 23:59', 'eligible'],
    ['no_reason', 'intimate-apparel', true, 'return_and_refund', 'day 7, 23:59', 'CATEGORY_EXCLUDED'],
    ['no_reason', 'intimate-apparel', false, 'return_and_refund', 'day 8, 00:00', 'RETURN_WINDOW_EXPIRED'],
    // Quality claims (消法 art. 24): no category exclusion; return 7 days, exchange 15 days, then repair in warranty.
    ['defective', 'customized', true, 'return_and_refund', 'day 7, 23:59', 'eligible'],
    ['defective', 'perishable', false, 'return_and_refund', 'day 7, last millisecond', 'eligible'],
    ['defective', 'apparel', false, 'return_and_refund', 'day 8, 00:00', 'QUALITY_RETURN_WINDOW_EXPIRED'],
    ['not_as_described', 'intimate-apparel', true, 'exchange', 'day 8, 00:00', 'eligible'],
    ['wrong_item', 'apparel', false, 'exchange', 'day 15, 23:59', 'eligible'],
    ['wrong_item', 'apparel', false, 'exchange', 'day 16, 00:00', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'],
    ['damaged_in_transit', 'digital-download', false, 'return_and_refund', 'day 16, 00:00', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'],
    ['defective', 'apparel', false, 'exchange', 'after the 12-month warranty', 'WARRANTY_EXPIRED'],
  ])('%s, %s, confirmed %s, %s, %s: %s', (reason, category, confirmed, type, day, expected) => {
    expect(outcome(check({ reason, category, confirmed, type, day }))).toBe(expected);
  });

  // Every combination against the rule written plainly.
  const reasons: ReturnReasonCode[] = ['no_reason', 'changed_mind', 'size_or_fit', 'defective', 'not_as_described', 'wrong_item', 'damaged_in_transit'];
  const categories = ['apparel', ...STATUTORY_EXCLUDED_CATEGORIES, 'intimate-apparel'];
  const expected = (reason: ReturnReasonCode, category: string, confirmed: boolean, type: ReturnRequestType, day: Day): string => {
    const n = dayNumber[day];
    if (QUALITY_REASONS.includes(reason)) {
      if (n > 365) return 'WARRANTY_EXPIRED';
      if (type === 'exchange') return n <= 15 ? 'eligible' : 'QUALITY_EXCHANGE_WINDOW_EXPIRED';
      return n <= 7 ? 'eligible' : n <= 15 ? 'QUALITY_RETURN_WINDOW_EXPIRED' : 'QUALITY_EXCHANGE_WINDOW_EXPIRED';
    }
    if ((STATUTORY_EXCLUDED_CATEGORIES as readonly string[]).includes(category)) return 'CATEGORY_EXCLUDED';
    if (category === 'intimate-apparel' && confirmed) return 'CATEGORY_EXCLUDED';
    return n <= 7 ? 'eligible' : 'RETURN_WINDOW_EXPIRED';
  };
  const all: [ReturnReasonCode, string, boolean, ReturnRequestType, Day][] = [];
  for (const reason of reasons)
    for (const category of categories)
      for (const confirmed of [false, true])
        for (const type of ['return_and_refund', 'exchange'] as const) for (const day of Object.keys(days) as Day[]) all.push([reason, category, confirmed, type, day]);
  test(`all ${all.length} combinations`, () => {
    const wrong = all.filter(([reason, category, confirmed, type, day]) => outcome(check({ reason, category, confirmed, type, day })) !== expected(reason, category, confirmed, type, day));
    expect(wrong).toEqual([]);
  });
});

describe('special cases', () => {
  test('a sealed digital carrier is returnable without reason; unsealed, it is excluded by law', () => {
    expect(outcome(check({ reason: 'no_reason', category: 'digital-media', unsealed: false }))).toBe('eligible');
    expect(check({ reason: 'no_reason', category: 'digital-media', unsealed: true })).toMatchObject({ eligible: false, reason: 'CATEGORY_EXCLUDED', message: expect.stringContaining('消法 art. 25') });
  });

  test('refund-only: for non-delivery even before delivery; a no-reason refund-only is refused (it is a return)', () => {
    expect(check({ reason: 'not_received', type: 'refund_only', delivered: false })).toEqual({ eligible: true, kind: 'non_delivery' });
    expect(check({ reason: 'refused_at_delivery', type: 'refund_only', delivered: false })).toEqual({ eligible: true, kind: 'non_delivery' });
    expect(outcome(check({ reason: 'no_reason', type: 'refund_only' }))).toBe('REFUND_ONLY_NOT_ALLOWED');
    expect(outcome(check({ reason: 'changed_mind', type: 'refund_only' }))).toBe('REFUND_ONLY_NOT_ALLOWED');
    expect(outcome(check({ reason: 'defective', type: 'refund_only' }))).toBe('REFUND_ONLY_NOT_ALLOWED');
    expect(outcome(check({ reason: 'defective', type: 'refund_only', partial: true }))).toBe('eligible');
    expect(outcome(check({ reason: 'not_received', type: 'return_and_refund' }))).toBe('REQUEST_TYPE_NOT_ALLOWED');
  });

  test('a return requested before delivery is refused; a quality return after day 7 names the remedies left', () => {
    expect(outcome(check({ reason: 'no_reason', delivered: false }))).toBe('NOT_YET_DELIVERED');
    expect(outcome(check({ reason: 'defective', requestedAt: '2026-11-18T09:59:00+08:00' }))).toBe('NOT_YET_DELIVERED');
    expect(check({ reason: 'defective', day: 'day 8, 00:00' })).toMatchObject({ remedies: ['exchange', 'repair'], windowEndsAt: new Date('2026-11-25T16:00:00.000Z') });
    expect(check({ reason: 'defective', day: 'day 16, 00:00', type: 'exchange' })).toMatchObject({ remedies: ['repair'], windowEndsAt: new Date('2026-12-03T16:00:00.000Z') });
  });

  test('the quality periods are policy values (defaults 7 / 15 days, 12 months)', () => {
    expect(rules.qualityRemedies).toEqual({ returnDays: 7, exchangeDays: 15, warrantyMonths: 12 });
    const longer = { ...rules, qualityRemedies: { returnDays: 7, exchangeDays: 30, warrantyMonths: 24 } };
    const r = checkClaimEligibility({ requestType: 'exchange', reasonCode: 'defective', category: 'apparel', deliveredAt, requestedAt: new Date(days['day 16, 00:00']) }, longer, cal, { qualityTimeLimits: false });
    expect(r.eligible).toBe(true);
  });
});

describe('the policy section', () => {
  test('policy JSON cannot add to the statutory exclusions; by-nature categories go to their own list', () => {
    const bad = returnPolicySchema.safeParse({ ...rules, excludedCategories: ['customized', 'intimate-apparel'] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]).toMatchObject({ path: ['excludedCategories', 1], message: expect.stringContaining('byNatureCategories') });
    expect(returnPolicySchema.parse({ ...rules, byNatureCategories: ['intimate-apparel', 'cosmetics-opened'] }).byNatureCategories).toEqual(['intimate-apparel', 'cosmetics-opened']);
  });

  test('a document written before the consumer-law fields gets their defaults', () => {
    const { byNatureCategories: _b, qualityRemedies: _q, returnReceipt: _r, refundWithinDaysOfReceipt: _d, incompleteChoice: _i, sendBack: _s, carrierPollEvery: _c, inspectionEndsBeforeRefundDue: _e, ...older } = rules as any;
    const parsed = parsePolicy({ ...defaultPolicy, returnWithin7Days: { ...older, excludedCategories: ['customized', 'perishable'] } }).returnWithin7Days;
    expect(parsed).toMatchObject({ byNatureCategories: ['intimate-apparel'], qualityRemedies: { returnDays: 7, exchangeDays: 15, warrantyMonths: 12 }, refundWithinDaysOfReceipt: 7, returnReceipt: { amount: 15, unit: 'days' } });
  });
});

describe('amounts and route from the order snapshot', () => {
  const snapshot = { discountMinor: 2000, points: { count: 500, valueMinor: 500 }, giftValueMinor: 1000, payment: { ref: 'PAY-1', method: 'alipay' as const, originalRouteOpen: true }, exclusionConfirmedAtPurchase: false };
  test('the amount actually paid: less the coupons and 满减 allocated, less the points (returned as points), less a gift kept', () => {
    expect(refundableMinor(19900, undefined)).toBe(19900);
    expect(refundableMinor(19900, snapshot)).toBe(17400);
    expect(refundableMinor(19900, snapshot, { giftKept: true })).toBe(16400);
    expect(refundableMinor(19900, snapshot, { giftKept: false })).toBe(17400);
    expect(refundableMinor(1000, { ...snapshot, discountMinor: 900 }, { giftKept: true })).toBe(0);
  });

  test('the original route when the snapshot names an open one; the platform balance otherwise; unknown without a snapshot', () => {
    expect(refundRouteOf(snapshot)).toBe('original');
    expect(refundRouteOf({ ...snapshot, payment: { ...snapshot.payment, originalRouteOpen: false } })).toBe('platform_balance');
    expect(refundRouteOf({ ...snapshot, payment: { ...snapshot.payment, method: 'cash_on_delivery' } })).toBe('platform_balance');
    expect(refundRouteOf({ ...snapshot, payment: undefined })).toBe('order_refund');
    expect(refundRouteOf(undefined)).toBe('order_refund');
  });
});
