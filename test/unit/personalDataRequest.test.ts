// The personal-data request's pure rules: the correctable fields name personal columns of the inventory; the
// processing stop lets through only the stopping request's messages, and the SMS guard refuses a stopped subject
// whatever adapter it wraps.
import { correctableColumns, isPersonal, personalDataInventory } from '../../lib/personalData';
import { ProcessingStopSmsGuard, mayReach } from '../../lib/processingStop';
import type { SmsGateway, SmsMessage } from '../../lib/sms';
import { correctableFields, defaultPersonalDataRequestPolicy } from '../../policy/personalDataRequest';
import { personalDataRequestPolicySchema } from '../../policy/personalDataRequest.policySchema';
import { handlingDecisionSchema } from '../../policy/personalDataRequest.schemas';

test('every correctable field names a personal column of the inventory, and the policy lists exactly those', () => {
  expect(Object.keys(correctableColumns).sort()).toEqual([...correctableFields].sort());
  for (const [field, c] of Object.entries(correctableColumns)) {
    const t = personalDataInventory.find((e) => e.table === c.table);
    expect({ field, personal: !!t && !!t.columns[c.column] && isPersonal(t.columns[c.column]) }).toEqual({ field, personal: true });
  }
});

test('the defaults parse; 15 working days for the handling (PIPL art. 50), a late request goes to a supervisor', () => {
  expect(personalDataRequestPolicySchema.parse(defaultPersonalDataRequestPolicy)).toEqual(defaultPersonalDataRequestPolicy);
  expect(defaultPersonalDataRequestPolicy.handling).toMatchObject({ within: { amount: 15, unit: 'working-days' }, onBreach: 'reassign-to-supervisor' });
  expect(handlingDecisionSchema.safeParse({ decision: 'refuse', reasons: [] }).success).toBe(false);
  expect(handlingDecisionSchema.safeParse({ decision: 'refuse', reasons: ['legal_retention_required'] }).success).toBe(true);
});

test('a stopped subject is reached only by the request that stopped it; an erased one by nothing', () => {
  expect(mayReach(null, 'CMP-1')).toBe(true);
  expect(mayReach({ subjectId: 's', status: 'erasure_requested', allowedCase: 'PDR-1' }, 'PDR-1')).toBe(true);
  expect(mayReach({ subjectId: 's', status: 'erasure_requested', allowedCase: 'PDR-1' }, 'CMP-1')).toBe(false);
  expect(mayReach({ subjectId: 's', status: 'erasure_requested', allowedCase: 'PDR-1' }, undefined)).toBe(false);
  expect(mayReach({ subjectId: 's', status: 'erased', allowedCase: null }, 'PDR-1')).toBe(false);
});

test('the SMS guard refuses a stopped subject before the adapter, and passes the request’s own message', async () => {
  const sent: SmsMessage[] = [];
  const inner: SmsGateway = { send: async (m) => (sent.push(m), { accepted: true, duplicate: false }) };
  const subjects: Record<string, { id: string; status: string; processingStoppedBy: string | null }> = {
    sub_stopped: { id: 'sub_stopped', status: 'erasure_requested', processingStoppedBy: 'PDR-1' },
    sub_active: { id: 'sub_active', status: 'active', processingStoppedBy: null },
  };
  const db = { subject: { findUnique: async ({ where }: { where: { id: string } }) => subjects[where.id] ?? null }, registration: { findUnique: async () => ({ subjectId: 'sub_stopped' }) } } as any;
  const guard = new ProcessingStopSmsGuard(inner, db);
  const msg = (over: Partial<SmsMessage>): SmsMessage => ({ idempotencyKey: 'k', to: '13800000000', body: 'x', purpose: 'mobile_verification', ...over });
  expect(await guard.send(msg({ registrationId: 'reg-1' }))).toEqual({ accepted: false, duplicate: false, refused: 'processing_stopped' });
  expect(await guard.send(msg({ subjectId: 'sub_stopped', caseId: 'CMP-9' }))).toMatchObject({ refused: 'processing_stopped' });
  expect(await guard.send(msg({ subjectId: 'sub_stopped', caseId: 'PDR-1', purpose: 'request_verification' }))).toEqual({ accepted: true, duplicate: false });
  expect(await guard.send(msg({ subjectId: 'sub_active' }))).toEqual({ accepted: true, duplicate: false });
  expect(sent.map((m) => m.caseId ?? m.subjectId)).toEqual(['PDR-1', 'sub_active']);
});
