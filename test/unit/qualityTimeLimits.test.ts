// A quality claim limited in time as the law limits it (patch return-quality-time-limits): only the period for objecting
// to quality refuses it (民法典 arts. 620, 621), and the 15-day exchange limit for the three-guarantee catalogue (《部分商品修理
// 更换退货责任规定》 art. 10); a return after the 7 days is due when the termination conditions hold (消法 art. 24, 民法典 art.
// 563), which a person decides. Table tests at the exact instants: midnight, 23:59, month ends, leap days.
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { defaultBusinessCalendar } from '../../policy/businessCalendar';
import {
  checkClaimEligibility,
  DEFAULT_THREE_GUARANTEE_CATEGORIES,
  categoryKindOf,
  inThreeGuaranteeCatalogue,
  qualityObjectionEndsAt,
  withLawDefaults,
  type ReturnReasonCode,
  type ReturnRequestType,
} from '../../policy/returns';
import { returnPolicySchema } from '../../policy/returns.policySchema';
import { terminationReviewSchema, qualityRemedyChoiceSchema } from '../../policy/returns.schemas';
import { renderTemplate } from '../../activities/templates';
import { returnTemplates } from '../../processes/returnWithin7Days.templates';

const cal = defaultBusinessCalendar; // Asia/Shanghai
const rules = defaultPolicy.returnWithin7Days;
const at = (iso: string) => new Date(iso);

const claim = (o: { delivered: string; asked: string; type?: ReturnRequestType; reason?: ReturnReasonCode; category?: string; warrantyMonths?: number; partial?: boolean; policy?: typeof rules }) =>
  checkClaimEligibility(
    {
      requestType: o.type ?? 'return_and_refund',
      reasonCode: o.reason ?? 'defective',
      category: o.category ?? 'apparel',
      deliveredAt: at(o.delivered),
      requestedAt: at(o.asked),
      snapshot: { exclusionConfirmedAtPurchase: false, ...(o.warrantyMonths !== undefined && { warrantyMonths: o.warrantyMonths }) },
      partialRefund: o.partial ?? false,
    },
    o.policy ?? rules,
    cal,
  );
const outcome = (r: ReturnType<typeof claim>) => (r.eligible ? (r.terminationReview ? 'termination_review' : 'eligible') : r.reason);

describe('the period for objecting to quality (民法典 arts. 620, 621): 24 months from delivery, or the longer warranty, to 24:00', () => {
  test.each([
    ['2026-12-04T00:00:00+08:00', 24, undefined, '2028-12-05T00:00:00+08:00'], // midnight delivery: counted from 12-05; last day Monday 2028-12-04
    ['2026-11-18T10:00:00+08:00', 24, undefined, '2028-11-21T00:00:00+08:00'], // last day Saturday 2028-11-18 moves to Monday 11-20 (art. 203)
    ['2026-08-31T09:00:00+08:00', 24, undefined, '2028-09-01T00:00:00+08:00'], // month end to month end (Thursday 2028-08-31)
    ['2028-02-29T12:00:00+08:00', 24, undefined, '2030-03-01T00:00:00+08:00'], // a leap day: no 29 February 2030, so its month's last day (art. 202)
    ['2026-11-18T10:00:00+08:00', 24, 12, '2028-11-21T00:00:00+08:00'], // a 12-month warranty is shorter: the two years stand
    ['2026-01-31T12:00:00+08:00', 24, 37, '2029-03-01T00:00:00+08:00'], // a 37-month warranty is longer: it applies (last day Wednesday 2029-02-28)
    ['2026-02-28T12:00:00+08:00', 36, undefined, '2029-03-01T00:00:00+08:00'], // a policy of 36 months
  ] as const)('delivered %s, %i months, warranty %s: ends %s', (delivered, months, warranty, end) => {
    expect(qualityObjectionEndsAt(cal, at(delivered), { objectionMonths: months, ...(warranty !== undefined && { warrantyMonths: warranty }) }).toISOString()).toBe(at(end).toISOString());
  });

  test.each([
    // [delivered, asked, type, warranty, expected]
    ['2026-12-04T00:00:00+08:00', '2028-12-04T23:59:00+08:00', 'return_and_refund', undefined, 'termination_review'],
    ['2026-12-04T00:00:00+08:00', '2028-12-04T23:59:59.999+08:00', 'exchange', undefined, 'eligible'],
    ['2026-12-04T00:00:00+08:00', '2028-12-05T00:00:00+08:00', 'exchange', undefined, 'QUALITY_OBJECTION_PERIOD_EXPIRED'],
    ['2026-12-04T00:00:00+08:00', '2028-12-05T00:00:00+08:00', 'return_and_refund', undefined, 'QUALITY_OBJECTION_PERIOD_EXPIRED'],
    ['2026-11-18T10:00:00+08:00', '2028-11-19T23:59:00+08:00', 'exchange', undefined, 'eligible'], // Sunday: the last day, Saturday 11-18, moved to Monday 11-20
    ['2026-11-18T10:00:00+08:00', '2028-11-20T23:59:00+08:00', 'exchange', undefined, 'eligible'],
    ['2026-11-18T10:00:00+08:00', '2028-11-21T00:00:00+08:00', 'exchange', undefined, 'QUALITY_OBJECTION_PERIOD_EXPIRED'],
    ['2028-02-29T12:00:00+08:00', '2030-02-28T23:59:00+08:00', 'exchange', undefined, 'eligible'],
    ['2028-02-29T12:00:00+08:00', '2030-03-01T00:00:00+08:00', 'exchange', undefined, 'QUALITY_OBJECTION_PERIOD_EXPIRED'],
    ['2026-01-31T12:00:00+08:00', '2029-02-28T23:59:00+08:00', 'exchange', 37, 'eligible'], // the longer warranty keeps it open
    ['2026-01-31T12:00:00+08:00', '2029-03-01T00:00:00+08:00', 'exchange', 37, 'QUALITY_OBJECTION_PERIOD_EXPIRED'],
    ['2026-01-31T12:00:00+08:00', '2028-02-01T00:00:00+08:00', 'exchange', 12, 'QUALITY_OBJECTION_PERIOD_EXPIRED'], // a shorter warranty: the two years, last day Monday 2028-01-31
  ] as const)('delivered %s, asked %s, %s, warranty %s: %s', (delivered, asked, type, warranty, expected) => {
    expect(outcome(claim({ delivered, asked, type, ...(warranty !== undefined && { warrantyMonths: warranty }) }))).toBe(expected);
  });

  test('the refusal names the period, its end and the articles; nothing else is left to offer', () => {
    const r = claim({ delivered: '2026-12-04T00:00:00+08:00', asked: '2028-12-05T00:00:00+08:00' });
    expect(r).toMatchObject({ eligible: false, kind: 'quality', reason: 'QUALITY_OBJECTION_PERIOD_EXPIRED', windowEndsAt: at('2028-12-05T00:00:00+08:00') });
    if (r.eligible) throw new Error('eligible');
    expect(r.message).toContain('民法典 arts. 620, 621');
    expect(r.message).toContain('24 months');
    expect(r.message).toContain('2028-12-04T16:00:00.000Z');
    expect(r.remedies).toBeUndefined();
  });
});

describe('a quality return: within the 7 days due; after them, accepted for the termination conditions (消法 art. 24, 民法典 art. 563)', () => {
  // Delivered Wednesday 2026-11-18 10:00 Shanghai: day 7 is Wednesday 11-25, day 15 Thursday 12-03.
  const delivered = '2026-11-18T10:00:00+08:00';
  test.each([
    ['2026-11-25T23:59:00+08:00', 'return_and_refund', 'apparel', 'eligible'],
    ['2026-11-25T23:59:59.999+08:00', 'return_and_refund', 'mobile-phones', 'eligible'],
    ['2026-11-26T00:00:00+08:00', 'return_and_refund', 'apparel', 'termination_review'],
    ['2026-11-26T00:00:00+08:00', 'return_and_refund', 'mobile-phones', 'termination_review'], // the catalogue too: 三包 art. 9 gives 7 days, the Civil Code the rest
    ['2027-11-19T00:00:00+08:00', 'return_and_refund', 'apparel', 'termination_review'], // after the 12-month warranty: still within the two years
    ['2026-11-26T00:00:00+08:00', 'refund_only', 'apparel', 'eligible'], // a partial refund (price reduction, 民法典 art. 582) is no termination
  ] as const)('asked %s, %s of %s: %s', (asked, type, category, expected) => {
    expect(outcome(claim({ delivered, asked, type, category, partial: type === 'refund_only' }))).toBe(expected);
  });

  test('within the 7 days the window is the return window; after them the objection period, with the flag for the review', () => {
    expect(claim({ delivered, asked: '2026-11-25T23:59:00+08:00' })).toEqual({ eligible: true, kind: 'quality', windowEndsAt: at('2026-11-26T00:00:00+08:00') });
    expect(claim({ delivered, asked: '2026-11-26T00:00:00+08:00' })).toEqual({ eligible: true, kind: 'quality', windowEndsAt: at('2028-11-21T00:00:00+08:00'), terminationReview: true });
  });

  test('a no-reason return keeps its own window: time limits of quality claims change nothing there', () => {
    expect(outcome(claim({ delivered, asked: '2026-11-26T00:00:00+08:00', reason: 'no_reason' }))).toBe('RETURN_WINDOW_EXPIRED');
  });
});

describe('an exchange: the 15-day limit only for the three-guarantee catalogue (三包 art. 10)', () => {
  const delivered = '2026-11-18T10:00:00+08:00';
  test.each([
    ['mobile-phones', '2026-12-03T23:59:00+08:00', 'eligible'],
    ['mobile-phones', '2026-12-03T23:59:59.999+08:00', 'eligible'],
    ['mobile-phones', '2026-12-04T00:00:00+08:00', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'],
    ['refrigerators', '2026-12-04T00:00:00+08:00', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'],
    ['watches', '2027-06-01T00:00:00+08:00', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'],
    ['apparel', '2026-12-04T00:00:00+08:00', 'eligible'],
    ['electronics', '2026-12-04T00:00:00+08:00', 'eligible'], // a broad code holds goods outside the catalogue
    ['appliances', '2027-06-01T00:00:00+08:00', 'eligible'],
    ['furniture', '2028-11-20T23:59:00+08:00', 'eligible'],
    ['furniture', '2028-11-21T00:00:00+08:00', 'QUALITY_OBJECTION_PERIOD_EXPIRED'],
  ] as const)('%s, asked %s: %s', (category, asked, expected) => {
    expect(outcome(claim({ delivered, asked, type: 'exchange', category }))).toBe(expected);
  });

  test("the catalogue's refusal names repair as the remedy left and the rule", () => {
    const r = claim({ delivered, asked: '2026-12-04T00:00:00+08:00', type: 'exchange', category: 'mobile-phones' });
    expect(r).toMatchObject({ eligible: false, reason: 'QUALITY_EXCHANGE_WINDOW_EXPIRED', remedies: ['repair'], windowEndsAt: at('2026-12-04T00:00:00+08:00') });
    if (!r.eligible) expect(r.message).toContain('art. 10');
  });

  test('the window of an exchange: the 15 days for the catalogue, the objection period for other goods', () => {
    expect(claim({ delivered, asked: '2026-11-30T12:00:00+08:00', type: 'exchange', category: 'computers' })).toMatchObject({ eligible: true, windowEndsAt: at('2026-12-04T00:00:00+08:00') });
    expect(claim({ delivered, asked: '2026-11-30T12:00:00+08:00', type: 'exchange', category: 'apparel' })).toMatchObject({ eligible: true, windowEndsAt: at('2028-11-21T00:00:00+08:00') });
  });

  test("the catalogue is the case's own policy list", () => {
    const own = { ...rules, threeGuaranteeCategories: ['apparel'] };
    expect(outcome(claim({ delivered, asked: '2026-12-04T00:00:00+08:00', type: 'exchange', category: 'apparel', policy: own }))).toBe('QUALITY_EXCHANGE_WINDOW_EXPIRED');
    expect(outcome(claim({ delivered, asked: '2026-12-04T00:00:00+08:00', type: 'exchange', category: 'mobile-phones', policy: own }))).toBe('eligible');
    expect(inThreeGuaranteeCatalogue('mobile-phones', undefined)).toBe(true);
  });
});

describe('cases opened before patch return-quality-time-limits keep the former windows (qualityTimeLimits: false)', () => {
  const former = (asked: string, type: ReturnRequestType) =>
    checkClaimEligibility({ requestType: type, reasonCode: 'defective', category: 'apparel', deliveredAt: at('2026-11-18T10:00:00+08:00'), requestedAt: at(asked) }, rules, cal, { qualityTimeLimits: false });
  test.each([
    ['2026-11-26T00:00:00+08:00', 'return_and_refund', 'QUALITY_RETURN_WINDOW_EXPIRED'],
    ['2026-12-04T00:00:00+08:00', 'exchange', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'],
    ['2027-11-19T00:00:00+08:00', 'exchange', 'WARRANTY_EXPIRED'],
  ] as const)('asked %s, %s: %s', (asked, type, expected) => {
    expect(outcome(former(asked, type))).toBe(expected);
  });
});

describe('the policy section', () => {
  test('defaults: 24 months, the catalogue, the review and the choice clocks; every catalogue code is a known category', () => {
    expect(rules).toMatchObject({
      qualityObjectionMonths: 24,
      threeGuaranteeCategories: [...DEFAULT_THREE_GUARANTEE_CATEGORIES],
      terminationReview: { within: { amount: 2, unit: 'working-days' }, onBreach: 'reassign-to-supervisor' },
      qualityRemedyChoice: { within: { amount: 7, unit: 'days' }, onBreach: 'default-decision' },
    });
    for (const code of DEFAULT_THREE_GUARANTEE_CATEGORIES) expect(categoryKindOf(code, withLawDefaults(rules))).toEqual({ kind: 'ordinary', known: true });
    expect(DEFAULT_THREE_GUARANTEE_CATEGORIES).not.toContain('electronics');
    expect(DEFAULT_THREE_GUARANTEE_CATEGORIES).not.toContain('appliances');
  });

  test('the objection period cannot be shorter than the law’s two years; the review never decides by silence', () => {
    const short = returnPolicySchema.safeParse({ ...rules, qualityObjectionMonths: 12 });
    expect(short.success).toBe(false);
    expect(short.error!.issues[0]).toMatchObject({ path: ['qualityObjectionMonths'], message: expect.stringContaining('民法典 art. 621') });
    expect(returnPolicySchema.safeParse({ ...rules, qualityObjectionMonths: 24.5 }).success).toBe(false);
    expect(returnPolicySchema.parse({ ...rules, qualityObjectionMonths: 36 }).qualityObjectionMonths).toBe(36);
    const silent = returnPolicySchema.safeParse({ ...rules, terminationReview: { within: { amount: 2, unit: 'working-days' }, onBreach: 'default-decision' } });
    expect(silent.success).toBe(false);
    expect(silent.error!.issues[0]).toMatchObject({ path: ['terminationReview'] });
    expect(returnPolicySchema.safeParse({ ...rules, terminationReview: { within: { amount: -1, unit: 'days' }, onBreach: 'notify' } }).success).toBe(false);
    expect(returnPolicySchema.safeParse({ ...rules, threeGuaranteeCategories: ['Mobile Phones'] }).success).toBe(false);
  });

  test('a document written before these fields gets their defaults', () => {
    const { qualityObjectionMonths: _m, threeGuaranteeCategories: _c, terminationReview: _t, qualityRemedyChoice: _q, ...older } = rules as any;
    const parsed = parsePolicy({ ...defaultPolicy, returnWithin7Days: older }).returnWithin7Days;
    expect(parsed).toMatchObject({ qualityObjectionMonths: 24, threeGuaranteeCategories: [...DEFAULT_THREE_GUARANTEE_CATEGORIES], terminationReview: rules.terminationReview, qualityRemedyChoice: rules.qualityRemedyChoice });
  });
});

describe('the termination review and the customer’s choice: codes and ids only', () => {
  test('grounds from the list of their side, at least one evidence id; notes by task-note id, never words', () => {
    expect(terminationReviewSchema.safeParse({ holds: true, grounds: ['defect_defeats_purpose'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'] }).success).toBe(true);
    expect(terminationReviewSchema.safeParse({ holds: false, grounds: ['repairable'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], noteIds: ['note_0d7b0c0e-8f5e-4c55-9e4a-3f2b1a7c9d10'] }).success).toBe(true);
    expect(terminationReviewSchema.safeParse({ holds: true, grounds: ['repairable'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'] }).success).toBe(false);
    expect(terminationReviewSchema.safeParse({ holds: false, grounds: [], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'] }).success).toBe(false);
    expect(terminationReviewSchema.safeParse({ holds: false, grounds: ['repairable'], evidenceIds: [] }).success).toBe(false);
    expect(terminationReviewSchema.safeParse({ holds: false, grounds: ['repairable'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], noteIds: ['the screen flickers'] }).success).toBe(false);
    expect(terminationReviewSchema.safeParse({ holds: false, grounds: ['repairable'], evidenceIds: ['att_5f08cc271067a42abe06541bb45ee8b6'], note: 'the screen flickers' }).success).toBe(false);
    expect(qualityRemedyChoiceSchema.safeParse({ choice: 'repair' }).success).toBe(true);
    expect(qualityRemedyChoiceSchema.safeParse({ choice: 'refund' }).success).toBe(false);
  });

  test('the notices: the refusal names the remedies, the deadline and the routes of 消法 art. 39; the repair notice says how to open one', () => {
    const refused = { caseId: 'RET-1', grounds: 'repairable', options: 'exchange,repair,withdraw', dueAt: '2026-12-10T16:00:00.000Z', objectionEndsAt: '2028-11-20T16:00:00.000Z' };
    const zh = renderTemplate(returnTemplates, 'return.termination_refused', 'zh-CN', refused).text;
    for (const part of ['第五百六十三条', '换货', '维修', '撤回', '2026-12-10T16:00:00.000Z', '12315']) expect(zh).toContain(part);
    const en = renderTemplate(returnTemplates, 'return.termination_refused', 'en', { ...refused, options: 'repair,withdraw' }).text;
    expect(en).toContain('art. 563');
    expect(en).not.toContain('exchange');
    for (const locale of ['zh-CN', 'en']) {
      const howTo = renderTemplate(returnTemplates, 'return.repair_how_to', locale, { caseId: 'RET-1', objectionEndsAt: '2028-11-20T16:00:00.000Z' }).text;
      expect(howTo).toContain('2028-11-20T16:00:00.000Z');
      expect(howTo).toMatch(/维修|Repair/);
    }
    for (const name of ['return.termination_refused', 'return.quality_remedy_reminder', 'return.repair_how_to']) expect(returnTemplates[name].delivery).toBe('at-least-once');
  });
});
