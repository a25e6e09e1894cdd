// Pure warranty-repair rules (policy 7.1, 7.3): the warranty check, the policy defaults, payloads and e-mails.
import { templates } from '../../activities';
import { renderTemplate as render } from '../../activities/templates';
import { defaultPolicy, parsePolicy } from '../../policy/config';
import { addWorkingHours } from '../../policy/businessCalendar';
import { deadlineFrom, durationMs } from '../../policy/durations';
import { parseTaskPayload } from '../../processes';
import { warrantyRepairTasks } from '../../policy/warrantyRepair';

const renderTemplate = (name: string, locale: string, params: Record<string, string | number | null>) => render(templates(), name, locale, params);
import { addMonths, checkWarranty } from '../../policy/warrantyRepair';
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

describe('repair payloads', () => {
  test('every repair task is an agent task', () => {
    const repairTypes = Object.entries(warrantyRepairTasks);
    expect(repairTypes.map(([t, d]) => [t, d.role])).toEqual([
      ['repair.first_response', 'agent'],
      ['repair.first_response_quote', 'agent'],
      ['repair.confirm_receipt', 'agent'],
      ['repair.technician_result', 'agent'],
      ['repair.return_shipment', 'agent'],
    ]);
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
    for (const outcome of ['repaired', 'replaced', 'voucher_issued', 'returned_unrepaired', 'quote_declined', 'quote_lapsed', 'abandoned', 'cancelled']) {
      for (const locale of ['en', 'zh-CN']) expect(renderTemplate(`repair.closed.${outcome}`, locale, { caseId: 'REP-1' }).subject).toContain('REP-1');
    }
    expect(renderTemplate('repair.remedy_offered', 'en', { caseId: 'REP-1', reason: 'repair_sla_breached', remedy: 'voucher', amountMinor: 5000, currency: 'CNY', dueAt: 'x' }).text).toContain('voucher of 50.00 CNY');
    expect(renderTemplate('repair.quote_offered', 'zh-CN', { caseId: 'REP-1', amountMinor: 29900, currency: 'CNY', dueAt: 'x' }).text).toContain('299.00 CNY');
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
