// Pure warranty-repair rules (policy 7.1, 7.3): the warranty check, the policy defaults, payloads and e-mails.
import { templatesOf } from '../../activities';
import { processes } from '../../processes';
import { renderTemplate as render } from '../../activities/templates';
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { addWorkingHours } from '../../policy/businessCalendar';
import { deadlineFrom, durationMs } from '../../policy/durations';
import { parseTaskPayload } from '../../processes';
import { warrantyRepairTasks } from '../../policy/warrantyRepair';

const renderTemplate = (name: string, locale: string, params: Record<string, string | number | null>) => render(templatesOf(processes), name, locale, params);
import { addMonths, checkWarranty, countItemRepairs, silenceChoice, threeGuaranteeEntitlement, type ExternalRepairRecord, type PlatformRepairRecord, type RepairProblemCategory } from '../../policy/warrantyRepair';
import { handOverSchema } from '../../policy/warrantyRepair.schemas';

const rules = defaultPolicy.warrantyRepair;

describe('checkWarranty (7.1: per the manufacturer policy)', () => {
  const delivered = new Date('2026-01-15T10:00:00.000Z');

  test('in warranty up to exactly N calendar months after delivery, not a millisecond later', () => {
    const end = new Date('2027-01-15T10:00:00.000Z');
    expect(checkWarranty({ deliveredAt: delivered, warrantyMonths: 12, requestedAt: end })).toEqual({ ok: true, inWarranty: true, warrantyEndsAt: end });
    expect(checkWarranty({ deliveredAt: delivered, warrantyMonths: 12, requestedAt: new Date(end.getTime() + 1) })).toEqual({ ok: true, inWarranty: false, warrantyEndsAt: end });
    expect(checkWarranty({ deliveredAt: delivered, warrantyMonths: 12, requestedAt: delivered })).toMatchObject({ ok: true, inWarranty: true });
  });

  test('month ends clamp: 31 January + 1 month is the last day of February (leap years too)', () => {
    expect(addMonths(new Date('2026-01-31T12:00:00Z'), 1).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(addMonths(new Date('2028-01-31T12:00:00Z'), 1).toISOString()).toBe('2028-02-29T12:00:00.000Z');
    expect(addMonths(new Date('2026-11-30T00:00:00Z'), 3).toISOString()).toBe('2027-02-28T00:00:00.000Z');
    expect(addMonths(new Date('2026-05-15T08:30:00Z'), 24).toISOString()).toBe('2028-05-15T08:30:00.000Z');
  });

  test('no warranty (0 months) is always out of warranty; requests before delivery and bad terms are refused', () => {
    expect(checkWarranty({ deliveredAt: delivered, warrantyMonths: 0, requestedAt: delivered })).toMatchObject({ ok: true, inWarranty: false });
    expect(checkWarranty({ deliveredAt: delivered, warrantyMonths: 12, requestedAt: new Date(delivered.getTime() - 1) })).toMatchObject({ ok: false, reason: 'NOT_YET_DELIVERED' });
    expect(checkWarranty({ deliveredAt: delivered, warrantyMonths: 1.5, requestedAt: delivered })).toMatchObject({ ok: false, reason: 'INVALID_WARRANTY_TERMS' });
    expect(checkWarranty({ deliveredAt: delivered, warrantyMonths: 121, requestedAt: delivered })).toMatchObject({ ok: false, reason: 'INVALID_WARRANTY_TERMS' });
  });
});

describe('warranty repair policy defaults (7.1)', () => {
  test('response within 2 working hours to a supervisor; repair within 5 working days with a remedy', () => {
    expect(rules.firstResponse).toEqual({ within: { amount: 2, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' });
    expect(rules.repair).toEqual({ within: { amount: 5, unit: 'working-days' }, remindAt: 0.6, onBreach: 'notify' });
    expect(rules.breachRemedy).toBe('replacement');
    expect(durationMs(rules.repair.within, defaultPolicy.calendar)).toBe(5 * 9 * 3_600_000);
    // Friday 17:30 Shanghai + 2 working hours = Monday 10:30 Shanghai, the same instant addWorkingHours gives.
    const friday = new Date('2026-11-27T09:30:00Z');
    expect(deadlineFrom(friday, rules.firstResponse.within, defaultPolicy.calendar)).toEqual(addWorkingHours(defaultPolicy.calendar, friday, 2));
  });

  test('the policy section validates, and a bad remedy or voucher is refused with its path', () => {
    expect(parsePolicy(defaultPolicy).warrantyRepair).toEqual(rules);
    const bad = structuredClone(defaultPolicy) as any;
    bad.warrantyRepair.breachRemedy = 'apology';
    bad.warrantyRepair.voucherAmountMinor = -5;
    bad.warrantyRepair.repair.onBreach = 'ignore';
    expect(() => parsePolicy(bad)).toThrow();
    try {
      parsePolicy(bad);
    } catch (err: any) {
      expect(err.issues.map((i: any) => i.path.join('.')).sort()).toEqual(['warrantyRepair.breachRemedy', 'warrantyRepair.repair.onBreach', 'warrantyRepair.voucherAmountMinor']);
    }
  });
});

describe('three-guarantee entitlements (arts. 9-11; day periods per Civil Code art. 201/203)', () => {
  const calendar = defaultPolicy.calendar;
  // Delivered Monday 2 November 2026, 10:00 in Shanghai: day 1 is 3 November; day 7 ends at 24:00 on 9 November.
  const deliveredAt = new Date('2026-11-02T02:00:00Z');
  const entitlement = (requestedAt: string, over: { problemCategory?: RepairProblemCategory; priorRepairsOfFault?: number; deliveredAt?: Date } = {}) =>
    threeGuaranteeEntitlement({ calendar, rules, deliveredAt: over.deliveredAt ?? deliveredAt, requestedAt: new Date(requestedAt), problemCategory: over.problemCategory ?? 'malfunction', priorRepairsOfFault: over.priorRepairsOfFault ?? 0 });

  test('within 7 days: return, exchange or repair, to the last minute; then exchange or repair to the last minute of day 15; then none', () => {
    expect(entitlement('2026-11-09T15:59:00Z')).toEqual({ reason: 'early_fault_return', options: ['refund', 'replacement', 'repair'] });
    expect(entitlement('2026-11-09T16:00:00Z')).toEqual({ reason: 'early_fault_exchange', options: ['replacement', 'repair'] });
    expect(entitlement('2026-11-17T15:59:00Z')).toMatchObject({ reason: 'early_fault_exchange' });
    expect(entitlement('2026-11-17T16:00:00Z')).toBeNull();
  });

  test('a last day on a weekend moves to the next working day (art. 203); physical damage is no performance fault', () => {
    // Delivered Saturday 7 November: day 7 is Saturday 14 November, so the period runs to the end of Monday 16 November.
    const saturday = new Date('2026-11-07T02:00:00Z');
    expect(entitlement('2026-11-16T15:59:00Z', { deliveredAt: saturday })).toMatchObject({ reason: 'early_fault_return' });
    expect(entitlement('2026-11-16T16:00:00Z', { deliveredAt: saturday })).toMatchObject({ reason: 'early_fault_exchange' });
    expect(entitlement('2026-11-03T02:00:00Z', { problemCategory: 'physical_damage' })).toBeNull();
  });

  test('repaired twice for the same fault: replacement or refund (art. 11); once is not enough', () => {
    expect(entitlement('2026-12-20T00:00:00Z', { priorRepairsOfFault: 2 })).toEqual({ reason: 'repeat_fault', options: ['replacement', 'refund'] });
    expect(entitlement('2026-12-20T00:00:00Z', { priorRepairsOfFault: 1 })).toBeNull();
  });

  test('art. 11 counts repairs, not faults: two repairs of other categories and faults give replacement or refund', () => {
    // The record counts every in-warranty repair, whatever was declared: the third request, a third category, is entitled.
    const platform: PlatformRepairRecord[] = [
      { result: 'repaired', inWarranty: true, completedAt: new Date('2026-11-20T00:00:00Z') }, // declared battery
      { result: 'repaired', inWarranty: true, completedAt: new Date('2026-12-05T00:00:00Z') }, // declared display
    ];
    const n = countItemRepairs({ platform, external: [], before: new Date('2026-12-20T00:00:00Z') });
    expect(n).toEqual({ platform: 2, external: 0, confirmedExternal: 0, total: 2 });
    for (const problemCategory of ['does_not_power_on', 'noise_or_vibration', 'physical_damage'] as const) {
      expect(entitlement('2026-12-20T00:00:00Z', { problemCategory, priorRepairsOfFault: n.total })).toEqual({ reason: 'repeat_fault', options: ['replacement', 'refund'] });
    }
    // One repair here and one confirmed elsewhere: two.
    const mixed = countItemRepairs({ platform: platform.slice(0, 1), external: [{ status: 'confirmed', repairerKind: 'manufacturer_service', repairerRef: 'HUAWEI-SC-0571', repairedOn: new Date('2026-12-01T00:00:00Z') }], before: new Date('2026-12-20T00:00:00Z') });
    expect(mixed.total).toBe(2);
    expect(entitlement('2026-12-20T00:00:00Z', { priorRepairsOfFault: mixed.total })).toMatchObject({ reason: 'repeat_fault' });
  });

  test('silence applies the policy default when offered, else the replacement; never a refusal', () => {
    expect(silenceChoice(['refund', 'replacement', 'repair'], 'replacement')).toBe('replacement');
    expect(silenceChoice(['replacement', 'refund'], 'refund')).toBe('refund');
    expect(silenceChoice(['replacement', 'repair'], 'refund')).toBe('replacement');
  });

  test('the schema fills the three-guarantee settings of an older policy document with the defaults', () => {
    const older = structuredClone(defaultPolicy) as any;
    for (const k of ['earlyFault', 'repairsBeforeReplacement', 'silenceRemedy', 'repairLongStop', 'arrivalCheckEvery', 'arrivalWait', 'shippingCapMinor', 'shippingCurrency', 'extendWarrantyByRepairTime', 'damageReview', 'externalRecordReview']) delete older.warrantyRepair[k];
    expect(parsePolicy(older).warrantyRepair).toEqual(rules);
    const bad = structuredClone(defaultPolicy) as any;
    bad.warrantyRepair.repairsBeforeReplacement = 3; // the law says two
    bad.warrantyRepair.earlyFault.returnDays = 5; // the law says at least 7
    expect(() => parsePolicy(bad)).toThrow();
  });
});

describe('countItemRepairs (three-guarantee rules art. 11: two repairs in warranty, any fault, any authorised repairer)', () => {
  const at = (iso: string) => new Date(iso);
  const repaired = (completedAt: string, over: Partial<PlatformRepairRecord> = {}): PlatformRepairRecord => ({ result: 'repaired', inWarranty: true, completedAt: at(completedAt), ...over });
  const elsewhere = (repairedOn: string, status: ExternalRepairRecord['status'] = 'confirmed', repairerRef = 'SC-0571'): ExternalRepairRecord => ({ status, repairerKind: 'authorised_service_centre', repairerRef, repairedOn: at(`${repairedOn}T00:00:00Z`) });
  const before = at('2026-12-20T08:00:00Z');
  const count = (platform: PlatformRepairRecord[], external: ExternalRepairRecord[] = []) => countItemRepairs({ platform, external, before });

  test.each<[string, PlatformRepairRecord[], number]>([
    ['nothing on record', [], 0],
    ['two repairs in warranty, whatever the category', [repaired('2026-10-01T00:00:00Z'), repaired('2026-11-01T00:00:00Z')], 2],
    ['a paid repair out of warranty does not count', [repaired('2026-10-01T00:00:00Z'), repaired('2026-11-01T00:00:00Z', { inWarranty: false })], 1],
    ['user damage and not repairable are no repairs', [repaired('2026-10-01T00:00:00Z', { result: 'user_damage', inWarranty: false }), repaired('2026-11-01T00:00:00Z', { result: 'not_repairable' })], 0],
    ['a replacement starts a new item: the repairs before it no longer count', [repaired('2026-09-01T00:00:00Z'), repaired('2026-10-01T00:00:00Z'), repaired('2026-10-10T00:00:00Z', { result: 'replaced' }), repaired('2026-11-01T00:00:00Z')], 1],
    ['a record after the request (a later case) does not count', [repaired('2026-10-01T00:00:00Z'), repaired('2026-12-20T08:00:00Z')], 1],
    ['a record a millisecond before the request counts', [repaired('2026-10-01T00:00:00Z'), repaired('2026-12-20T07:59:59.999Z')], 2],
  ])('platform: %s', (_case, platform, expected) => {
    expect(count(platform).platform).toBe(expected);
    expect(count(platform).total).toBe(expected);
  });

  test('elsewhere: only confirmed records count; each repairer and date once; on or after the latest replacement', () => {
    expect(count([], [elsewhere('2026-11-01', 'pending'), elsewhere('2026-11-02', 'rejected')])).toEqual({ platform: 0, external: 2, confirmedExternal: 0, total: 0 });
    expect(count([repaired('2026-10-01T00:00:00Z')], [elsewhere('2026-11-01'), elsewhere('2026-11-02', 'rejected')])).toEqual({ platform: 1, external: 2, confirmedExternal: 1, total: 2 });
    // The same record attached twice (two requests): once, confirmed if either review confirmed it.
    expect(count([], [elsewhere('2026-11-01', 'rejected'), elsewhere('2026-11-01', 'confirmed')])).toEqual({ platform: 0, external: 1, confirmedExternal: 1, total: 1 });
    // Another repairer the same day is another record.
    expect(count([], [elsewhere('2026-11-01'), elsewhere('2026-11-01', 'confirmed', 'SC-0999')]).confirmedExternal).toBe(2);
    // A replacement on 10 October: a repair elsewhere that day still counts (a record has only the day), the day before not.
    const replaced = [repaired('2026-10-10T06:00:00Z', { result: 'replaced' })];
    expect(count(replaced, [elsewhere('2026-10-09'), elsewhere('2026-10-10', 'confirmed', 'SC-0999')]).confirmedExternal).toBe(1);
  });
});

describe('repair payloads', () => {
  test('every repair task is an agent task', () => {
    const repairTypes = Object.entries(warrantyRepairTasks);
    expect(repairTypes.map(([t, d]) => [t, d.role])).toEqual([
      ['repair.first_response', 'agent'],
      ['repair.first_response_quote', 'agent'],
      ['repair.confirm_receipt', 'agent'],
      ['repair.technician_result', 'agent'],
      ['repair.technician_report', 'agent'],
      ['repair.shipping_review', 'agent'],
      ['repair.damage_review', 'supervisor'],
      ['repair.external_record_review', 'agent'],
      ['repair.return_shipment', 'agent'],
    ]);
  });

  test('technician report: the fault and the parts by code; user damage needs evidence and a quote', () => {
    expect(parseTaskPayload('repair.technician_report', { result: 'repaired', faultCode: 'battery', partsUsed: ['BAT-01'] }).ok).toBe(true);
    expect(parseTaskPayload('repair.technician_report', { result: 'repaired', faultCode: 'battery' }).ok).toBe(false);
    expect(parseTaskPayload('repair.technician_report', { result: 'repaired', faultCode: 'battery', partsUsed: ['a part with spaces'] }).ok).toBe(false);
    expect(parseTaskPayload('repair.technician_report', { result: 'not_repairable', faultCode: 'mainboard', reasonCode: 'parts_unavailable' }).ok).toBe(true);
    expect(parseTaskPayload('repair.technician_report', { result: 'user_damage', faultCode: 'mechanical', evidenceIds: ['att_eebe13cb061b1460178a708fa3de154f'], quoteAmountMinor: 100, currency: 'CNY' }).ok).toBe(true);
    expect(parseTaskPayload('repair.technician_report', { result: 'user_damage', faultCode: 'mechanical', evidenceIds: [], quoteAmountMinor: 100, currency: 'CNY' }).ok).toBe(false);
    expect(parseTaskPayload('repair.technician_report', { result: 'user_damage', faultCode: 'mechanical', evidenceIds: ['att_eebe13cb061b1460178a708fa3de154f'] }).ok).toBe(false);
    expect(parseTaskPayload('repair.damage_review', { decision: 'overturned' }).ok).toBe(true);
    expect(parseTaskPayload('repair.damage_review', { decision: 'maybe' }).ok).toBe(false);
    // 消法 art. 24: the amount an agent approves for the customer's shipping to the centre (no cap).
    expect(parseTaskPayload('repair.shipping_review', { approvedAmount: '120.00', evidenceIds: ['att_b3aa09924a0c02231d4e3d8878882a1c'] }).ok).toBe(true);
    expect(parseTaskPayload('repair.shipping_review', { approvedAmount: '120' }).ok).toBe(true);
    expect(parseTaskPayload('repair.shipping_review', { approvedAmount: -1 }).ok).toBe(false);
    expect(parseTaskPayload('repair.shipping_review', {}).ok).toBe(false);
    // Art. 11: another repairer's record confirmed, or rejected with a reason code (no free text).
    expect(parseTaskPayload('repair.external_record_review', { decision: 'confirmed' }).ok).toBe(true);
    expect(parseTaskPayload('repair.external_record_review', { decision: 'confirmed', evidenceIds: ['att_a2db193cc994f63a5e693638a0a7e50e'] }).ok).toBe(true);
    expect(parseTaskPayload('repair.external_record_review', { decision: 'rejected', reasonCode: 'not_authorised_repairer' }).ok).toBe(true);
    expect(parseTaskPayload('repair.external_record_review', { decision: 'rejected' }).ok).toBe(false);
    expect(parseTaskPayload('repair.external_record_review', { decision: 'rejected', reasonCode: 'looks fake to me' }).ok).toBe(false);
    expect(parseTaskPayload('repair.external_record_review', { decision: 'confirmed', note: 'free text' }).ok).toBe(false);
  });

  test('first response: free repair in warranty, a positive quote in minor units otherwise', () => {
    expect(parseTaskPayload('repair.first_response', { solution: 'free_repair' }).ok).toBe(true);
    expect(parseTaskPayload('repair.first_response', { solution: 'paid_repair', quoteAmountMinor: 1, currency: 'CNY' }).ok).toBe(false);
    expect(parseTaskPayload('repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 29900, currency: 'CNY' }).ok).toBe(true);
    const bad = parseTaskPayload('repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 19.9, currency: 'yuan' });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.issues.map((i) => i.path).sort()).toEqual(['currency', 'quoteAmountMinor']);
  });

  test('technician result: not repairable needs a reason; hand-over is a courier shipment or a drop-off reference', () => {
    expect(parseTaskPayload('repair.technician_result', { result: 'repaired' }).ok).toBe(true);
    expect(parseTaskPayload('repair.technician_result', { result: 'not_repairable' }).ok).toBe(false);
    expect(parseTaskPayload('repair.technician_result', { result: 'not_repairable', reasonCode: 'parts_unavailable' }).ok).toBe(true);
    expect(handOverSchema.safeParse({ method: 'courier', carrier: 'SF', trackingNumber: 'SF1234567890' }).success).toBe(true);
    expect(handOverSchema.safeParse({ method: 'drop_off', reference: 'SP-0001' }).success).toBe(true);
    expect(handOverSchema.safeParse({ method: 'drop_off', reference: 'SP-0001', carrier: 'SF' }).success).toBe(false);
    expect(handOverSchema.safeParse({ method: 'pigeon', reference: 'SP-0001' }).success).toBe(false);
  });
});

describe('repair e-mails', () => {
  test('every closing outcome has a template in both locales, with no personal data', () => {
    for (const outcome of ['repaired', 'replaced', 'voucher_issued', 'returned_unrepaired', 'refunded', 'quote_declined', 'quote_lapsed', 'abandoned', 'cancelled']) {
      for (const locale of ['en', 'zh-CN']) expect(renderTemplate(`repair.closed.${outcome}`, locale, { caseId: 'REP-1' }).subject).toContain('REP-1');
    }
    expect(renderTemplate('repair.remedy_offered', 'en', { caseId: 'REP-1', reason: 'repair_sla_breached', remedy: 'voucher', amountMinor: 5000, currency: 'CNY', dueAt: 'x' }).text).toContain('voucher of 50.00 CNY');
    expect(renderTemplate('repair.quote_offered', 'zh-CN', { caseId: 'REP-1', amountMinor: 29900, currency: 'CNY', dueAt: 'x' }).text).toContain('299.00 CNY');
  });

  test('a remedy offer names the options and what silence applies; a user-damage quote names the routes beyond the platform (消法 art. 39)', () => {
    const offer = renderTemplate('repair.remedy_choice_offered', 'en', { caseId: 'REP-1', reason: 'not_repairable', options: 'replacement,refund', onSilence: 'replacement', dueAt: 'x' }).text;
    expect(offer).toContain('a free replacement of the same model, a return with a refund');
    expect(offer).toContain('you lose no right by staying silent');
    expect(renderTemplate('repair.remedy_choice_offered', 'zh-CN', { caseId: 'REP-1', reason: 'early_fault_return', options: 'refund,replacement,repair', onSilence: 'replacement', dueAt: 'x' }).text).toContain('退货并退款、免费更换同型号新品、继续维修');
    const quote = renderTemplate('repair.damage_quote_offered', 'zh-CN', { caseId: 'REP-1', amountMinor: 8000, currency: 'CNY', disputable: 'yes', dueAt: 'x' }).text;
    expect(quote).toContain('80.00 CNY');
    expect(quote).toContain('可提出异议');
    expect(quote).toContain('12315');
    expect(renderTemplate('repair.damage_reviewed', 'en', { caseId: 'REP-1', decision: 'upheld' }).text).toContain('arbitration');
  });

  test('SLA wording comes from the policy values the workflow passes, in each language', () => {
    const params = { caseId: 'REP-1', inWarranty: 'yes', responseWithin: '3 working-hours', repairWithin: '4 working-days' };
    expect(renderTemplate('repair.received', 'zh-CN', params).text).toContain('3 个工作小时内');
    expect(renderTemplate('repair.received', 'en', params).text).toContain('within 3 working hours');
    expect(renderTemplate('repair.item_received', 'zh-CN', { ...params, repairDueAt: 'x' }).text).toContain('4 个工作日内');
    expect(renderTemplate('repair.item_received', 'en', { ...params, repairDueAt: 'x' }).text).toContain('within 4 working days');
    expect(renderTemplate('repair.response_delayed', 'en', params).text).toContain('within 3 working hours');
    expect(renderTemplate('repair.remedy_offered', 'zh-CN', { ...params, reason: 'repair_sla_breached', remedy: 'replacement', dueAt: 'x' }).text).toContain('4 个工作日内');
    for (const locale of ['zh-CN', 'en']) expect(renderTemplate('repair.received', locale, params).text).not.toMatch(/\b2 (working hours|个工作小时)|5 个工作日/);
  });
});
