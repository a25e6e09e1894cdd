// The storefront's category codes mapped onto the statutory kinds of 消法 art. 25 and the by-nature kinds of
// 暂行办法 art. 7 (policy `categoryKinds`); an unknown code is returnable and logged.
import '../../policy/nationalHolidays'; // builds defaultBusinessCalendar
import { defaultBusinessCalendar } from '../../policy/businessCalendar';
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { openReturnBody, returnWithin7DaysProcess } from '../../processes/returnWithin7Days';
import { categoryKindOf, checkClaimEligibility, DEFAULT_CATEGORY_KINDS, type ReturnReasonCode } from '../../policy/returns';
import { returnPolicySchema } from '../../policy/returns.policySchema';
import { returnBody } from '../../scripts/harness/bodies';

const cal = defaultBusinessCalendar;
const rules = defaultPolicy.returnWithin7Days;
const deliveredAt = new Date('2026-11-18T10:00:00+08:00');
const requestedAt = new Date('2026-11-20T10:00:00+08:00');

const check = (category: string, o: { reason?: ReturnReasonCode; confirmed?: boolean; unsealed?: boolean; table?: boolean; policy?: typeof rules } = {}) => {
  const r = checkClaimEligibility(
    {
      requestType: 'return_and_refund',
      reasonCode: o.reason ?? 'no_reason',
      category,
      deliveredAt,
      requestedAt,
      snapshot: { exclusionConfirmedAtPurchase: o.confirmed ?? false, ...(o.unsealed !== undefined && { digitalUnsealed: o.unsealed }) },
    },
    o.policy ?? rules,
    cal,
    o.table === undefined ? {} : { categoryTable: o.table },
  );
  return r.eligible ? 'eligible' : r.reason;
};

describe('categoryKindOf: the default table', () => {
  test.each([
    ['perishable', 'perishable', true],
    ['fresh-produce', 'perishable', true],
    ['seafood', 'perishable', true],
    ['flowers', 'perishable', true],
    ['live-animals', 'perishable', true],
    ['customized', 'customized', true],
    ['custom-made', 'customized', true],
    ['personalized', 'customized', true],
    ['digital-download', 'digital-download', true],
    ['ebooks', 'digital-download', true],
    ['digital-media', 'digital-media', true],
    ['audio-video', 'digital-media', true],
    ['newspapers-periodicals', 'newspapers-periodicals', true],
    ['magazines', 'newspapers-periodicals', true],
    ['intimate-apparel', 'by-nature', true],
    ['cosmetics', 'by-nature', true],
    ['near-expiry', 'by-nature', true],
    ['apparel', 'ordinary', true],
    ['electronics', 'ordinary', true],
    ['drone-kits', 'ordinary', false], // in no table: returnable, unknown
    ['constructor', 'ordinary', false], // never a property of the table's prototype
    ['__proto__', 'ordinary', false],
  ] as const)('%s: %s (known %s)', (code, kind, known) => {
    expect(categoryKindOf(code, rules)).toEqual({ kind, known });
  });

  test('a statutory code is its own kind whatever the table; byNatureCategories adds by-nature codes; a statutory kind in the table wins over it', () => {
    expect(categoryKindOf('perishable', { categoryKinds: {} })).toEqual({ kind: 'perishable', known: true });
    expect(categoryKindOf('face-masks', { byNatureCategories: ['face-masks'], categoryKinds: { 'face-masks': 'ordinary' } })).toEqual({ kind: 'by-nature', known: true });
    expect(categoryKindOf('cakes', { byNatureCategories: ['cakes'], categoryKinds: { cakes: 'perishable' } })).toEqual({ kind: 'perishable', known: true });
    expect(categoryKindOf('fresh-produce', { categoryKinds: {} })).toEqual({ kind: 'ordinary', known: false });
  });
});

describe('no-reason returns by the kind of the code (消法 art. 25; 暂行办法 arts. 6, 7)', () => {
  test.each([
    // code, confirmed at purchase, unsealed, expected
    ['fresh-produce', false, undefined, 'CATEGORY_EXCLUDED'],
    ['seafood', false, undefined, 'CATEGORY_EXCLUDED'],
    ['flowers', true, undefined, 'CATEGORY_EXCLUDED'],
    ['perishable', false, undefined, 'CATEGORY_EXCLUDED'],
    ['custom-made', false, undefined, 'CATEGORY_EXCLUDED'],
    ['ebooks', false, undefined, 'CATEGORY_EXCLUDED'],
    ['magazines', false, undefined, 'CATEGORY_EXCLUDED'],
    ['audio-video', false, false, 'eligible'], // sealed
    ['audio-video', false, true, 'CATEGORY_EXCLUDED'], // unsealed
    ['digital-media', false, true, 'CATEGORY_EXCLUDED'],
    ['cosmetics', false, undefined, 'eligible'], // by nature: only with the confirmation at purchase
    ['cosmetics', true, undefined, 'CATEGORY_EXCLUDED'],
    ['intimate-apparel', true, undefined, 'CATEGORY_EXCLUDED'],
    ['apparel', true, undefined, 'eligible'],
    ['drone-kits', true, undefined, 'eligible'], // unknown: returnable
  ] as const)('%s (confirmed %s, unsealed %s): %s', (code, confirmed, unsealed, expected) => {
    expect(check(code, { confirmed, ...(unsealed !== undefined && { unsealed }) })).toBe(expected);
  });

  test('the refusal names the code and its statutory kind', () => {
    const r = checkClaimEligibility({ requestType: 'return_and_refund', reasonCode: 'no_reason', category: 'fresh-produce', deliveredAt, requestedAt }, rules, cal);
    expect(r).toMatchObject({ eligible: false, reason: 'CATEGORY_EXCLUDED', message: expect.stringMatching(/'fresh-produce' \(perishable\).*消法 art\. 25/) });
  });

  test('a quality claim knows no category exclusion (消法 art. 24)', () => {
    expect(check('fresh-produce', { reason: 'defective' })).toBe('eligible');
    expect(check('custom-made', { reason: 'not_as_described', confirmed: true })).toBe('eligible');
  });

  test('cases opened before patch return-category-kinds match exact codes only, as first built', () => {
    expect(check('fresh-produce', { table: false })).toBe('eligible');
    expect(check('perishable', { table: false })).toBe('CATEGORY_EXCLUDED');
    expect(check('cosmetics', { table: false, confirmed: true })).toBe('eligible');
    expect(check('intimate-apparel', { table: false, confirmed: true })).toBe('CATEGORY_EXCLUDED');
  });

  test('the table is the one the case carries: a policy section written before it gets the default table', () => {
    const { categoryKinds: _k, ...older } = rules;
    expect(check('fresh-produce', { policy: older as typeof rules })).toBe('CATEGORY_EXCLUDED');
    const own = { ...rules, categoryKinds: { 'fresh-produce': 'ordinary' as const } };
    expect(check('fresh-produce', { policy: own })).toBe('eligible');
    expect(check('seafood', { policy: own })).toBe('eligible'); // the document's table replaces the default one
    expect(check('perishable', { policy: own })).toBe('CATEGORY_EXCLUDED'); // the statutory code stays
  });
});

describe('the policy section: categoryKinds', () => {
  test('the default table; a document without it gets it; a document\'s table replaces it', () => {
    expect(rules.categoryKinds).toEqual(DEFAULT_CATEGORY_KINDS);
    const { categoryKinds: _k, ...older } = rules;
    expect(parsePolicy({ ...defaultPolicy, returnWithin7Days: older }).returnWithin7Days.categoryKinds).toEqual(DEFAULT_CATEGORY_KINDS);
    expect(returnPolicySchema.parse({ ...rules, categoryKinds: { 'fresh-juice': 'perishable' } }).categoryKinds).toEqual({ 'fresh-juice': 'perishable' });
  });

  test('refused: a statutory code remapped, an unknown kind, a malformed code', () => {
    const remapped = returnPolicySchema.safeParse({ ...rules, categoryKinds: { perishable: 'ordinary' } });
    expect(remapped.success).toBe(false);
    expect(remapped.error!.issues[0]).toMatchObject({ path: ['categoryKinds'], message: expect.stringContaining('消法 art. 25') });
    expect(returnPolicySchema.safeParse({ ...rules, categoryKinds: { 'fresh-juice': 'excluded' } }).success).toBe(false);
    expect(returnPolicySchema.safeParse({ ...rules, categoryKinds: { 'Fresh Juice': 'perishable' } }).success).toBe(false);
  });
});

describe('at the API edge: an unknown code is returnable and logged', () => {
  const open = (category: string) => {
    const warnings: unknown[][] = [];
    const logger = { warn: (...args: unknown[]) => void warnings.push(args) };
    const { type: _t, ...body } = returnBody('mer-1', { order: { category } });
    const prepared = returnWithin7DaysProcess.open.prepare(
      { deps: { logger } as any, caseId: 'RET-UNIT-1', principal: { id: 'prn_storefront' } as any, requestedAt: new Date(), policy: { version: defaultPolicy.version, calendar: cal }, section: rules },
      openReturnBody.parse(body),
    );
    return { prepared, warnings };
  };

  test('an unknown code: a structured warning with the code, and the case opens', async () => {
    const { prepared, warnings } = open('drone-kits');
    expect((await prepared).input.order.category).toBe('drone-kits');
    expect(warnings).toEqual([[expect.objectContaining({ event: 'return.category_unknown', category: 'drone-kits', caseId: 'RET-UNIT-1' }), expect.stringContaining('categoryKinds')]]);
  });

  test('a known code: no warning', async () => {
    const { prepared, warnings } = open('apparel');
    await prepared;
    expect(warnings).toEqual([]);
  });

  test('a mapped statutory kind is refused with 422 at the edge', () => {
    expect(() => open('fresh-produce')).toThrow(expect.objectContaining({ code: 'CATEGORY_EXCLUDED' }));
  });
});
