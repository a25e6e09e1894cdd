// A quality claim's shipping (消法 art. 24: the seller bears the transport and other necessary costs): no cap; the
// amount paid within the policy margin above the carrier's quote, else an agent approves. A no-reason return keeps
// the policy's cap (7.3 pays more than 暂行办法 asks).
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { qualityShippingAllowedMinor, qualityShippingAssessment, returnShippingReimbursement } from '../../policy/returns';
import { returnPolicySchema } from '../../policy/returns.policySchema';
import { warrantyRepairPolicySchema } from '../../policy/warrantyRepair.policySchema';

const CNY = (amountMinor: number) => ({ amountMinor, currency: 'CNY' });
const USD = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
const rules = defaultPolicy.returnWithin7Days;

describe('qualityShippingAssessment: paid, quote, margin 20 %', () => {
  test.each([
    // paid, quote, expected
    ['bulky freight paid 120.00, quote 120.00: paid in full, no cap', CNY(12000), CNY(12000), { decision: 'pay', amountMinor: 12000, basis: 'paid' }],
    ['paid exactly at the margin (quote 100.00 + 20 %)', CNY(12000), CNY(10000), { decision: 'pay', amountMinor: 12000, basis: 'paid' }],
    ['one fen above the margin: an agent approves', CNY(12001), CNY(10000), { decision: 'review', reason: 'above_quote_margin', paidMinor: 12001, allowedMinor: 12000 }],
    ['paid less than the quote: what was paid', CNY(900), CNY(2300), { decision: 'pay', amountMinor: 900, basis: 'paid' }],
    ['no amount paid: the quote, above the no-reason cap of 30.00', undefined, CNY(4500), { decision: 'pay', amountMinor: 4500, basis: 'carrier_quote' }],
    ['paid in another currency: an agent', USD(1000), CNY(2300), { decision: 'review', reason: 'paid_in_other_currency', paidMinor: 1000, allowedMinor: 2760 }],
    ['a quote in another currency: an agent', CNY(2000), USD(300), { decision: 'review', reason: 'no_comparable_quote', paidMinor: 2000, allowedMinor: null }],
    ['nothing paid, no comparable quote: an agent', undefined, USD(300), { decision: 'review', reason: 'no_comparable_quote', paidMinor: null, allowedMinor: null }],
    ['zero paid: zero', CNY(0), CNY(2300), { decision: 'pay', amountMinor: 0, basis: 'paid' }],
  ] as const)('%s', (_name, paid, quote, expected) => {
    expect(qualityShippingAssessment({ ...(paid && { paid }), quote, currency: 'CNY', marginPercent: 20 })).toEqual({ ...expected, ...(expected.decision === 'pay' && { currency: 'CNY' }) });
  });

  test('the margin rounds up to the fen; 0 % pays no more than the quote', () => {
    expect(qualityShippingAllowedMinor(2300, 20)).toBe(2760);
    expect(qualityShippingAllowedMinor(1001, 10)).toBe(1102); // 100.1 fen rounds up
    expect(qualityShippingAllowedMinor(2300, 0)).toBe(2300);
    expect(qualityShippingAssessment({ paid: CNY(2301), quote: CNY(2300), currency: 'CNY', marginPercent: 0 })).toMatchObject({ decision: 'review', reason: 'above_quote_margin' });
    expect(qualityShippingAssessment({ paid: CNY(2300), quote: CNY(2300), currency: 'CNY', marginPercent: 0 })).toMatchObject({ decision: 'pay', amountMinor: 2300 });
  });

  test('the no-reason rule keeps its cap: the same 120.00 is reimbursed 30.00 there', () => {
    expect(returnShippingReimbursement({ paid: CNY(12000), cap: CNY(3000) })).toMatchObject({ amountMinor: 3000, capped: true });
  });
});

describe('the margin in the policy sections', () => {
  test('returns: an integer percent 0-100, default 20; documents written before get the default', () => {
    expect(rules.qualityShippingMarginPercent).toBe(20);
    for (const bad of [-1, 101, 1.5, '20']) expect(returnPolicySchema.safeParse({ ...rules, qualityShippingMarginPercent: bad }).success).toBe(false);
    expect(returnPolicySchema.parse({ ...rules, qualityShippingMarginPercent: 0 }).qualityShippingMarginPercent).toBe(0);
    const { qualityShippingMarginPercent: _m, ...older } = rules as any;
    expect(parsePolicy({ ...defaultPolicy, returnWithin7Days: older }).returnWithin7Days.qualityShippingMarginPercent).toBe(20);
  });

  test('warranty repair: the same rule, its own value', () => {
    const repair = defaultPolicy.warrantyRepair;
    expect(repair.shippingMarginPercent).toBe(20);
    for (const bad of [-1, 101, 2.5]) expect(warrantyRepairPolicySchema.safeParse({ ...repair, shippingMarginPercent: bad }).success).toBe(false);
    const { shippingMarginPercent: _m, ...older } = repair as any;
    expect(parsePolicy({ ...defaultPolicy, warrantyRepair: older }).warrantyRepair.shippingMarginPercent).toBe(20);
  });
});
