// Consent withdrawal (PIPL art. 15: as easy as the consent) over HTTP against the real Temporal dev server and
// PostgreSQL: each separate consent given, withdrawn, and the database read back with raw SQL.
import crypto from 'node:crypto';
import { residentIdNumber } from '../helpers/idNumbers';
import { mailText } from '../../lib/mailCatcher';
import { call, eventually, runningDeadlinesOnCase, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const SF = () => sys.keys.storefront.apiKey;
let seq = 0;
const mobile = (prefix: string) => `${prefix}${String(Date.now() % 1e4).padStart(4, '0')}${String(++seq % 1e4).padStart(4, '0')}`;
function applicant(over: Record<string, unknown> = {}) {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  return { type: 'registration', name: '张三', mobile: mobile('139'), email: `u${tag}@applicant.test`, username: `u_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11', locale: 'en', realNameFor: 'merchant_account', ...over };
}
function bornYearsAgo(years: number): string {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).split('-').map(Number);
  return new Date(Date.UTC(y - years, m - 1, d)).toISOString().slice(0, 10);
}
const post = (path: string, body: unknown, key = SF()) => call(sys, 'POST', path, { key, body });
const status = async (id: string) => (await call(sys, 'GET', `/v1/registrations/${id}`, { key: sys.keys.auditor.apiKey })).body;
const atStep = (id: string, step: string) => eventually(async () => ((await status(id)).step === step ? true : undefined), `step ${step}`);
const closed = (id: string, outcome: string) => eventually(async () => {
  const c = (await call(sys, 'GET', `/v1/cases/${id}`, { key: sys.keys.auditor.apiKey })).body;
  return c.status === 'closed' && c.outcome === outcome ? c : undefined;
}, `case ${outcome}`);

async function register(body: Record<string, unknown>) {
  const res = await call(sys, 'POST', '/v1/cases', { key: SF(), body, headers: { 'Idempotency-Key': `reg-${crypto.randomUUID()}` } });
  expect(res.status).toBe(201);
  return res.body.caseId as string;
}
async function smsCode(registrationId: string, purpose: 'mobile_verification' | 'guardian_verification' = 'mobile_verification'): Promise<string> {
  const rows = await eventually(async () => {
    const r = await sys.db.smsOutbox.findMany({ where: { registrationId, purpose }, orderBy: { createdAt: 'asc' } });
    return r.length > 0 ? r : undefined;
  }, 'sms captured');
  return /(\d{6})/.exec(rows.at(-1)!.body)![1];
}
async function consentTo(id: string, purpose: 'id_number' | 'face_image') {
  const notice = await call(sys, 'GET', `/v1/registrations/${id}/consents/notice?purpose=${purpose}&locale=en`, { key: SF() });
  const r = await post(`/v1/registrations/${id}/consents`, { purpose, privacyPolicyVersion: notice.body.privacyPolicy.version, privacyPolicyTextSha256: notice.body.privacyPolicy.textSha256, noticeSha256: notice.body.noticeSha256 });
  expect(r.status).toBe(201);
}
/** Mobile and e-mail verified, both separate consents given: the registration waits for the identity. */
async function atIdentityWithConsents(body: ReturnType<typeof applicant>) {
  const id = await register(body);
  expect((await post(`/v1/registrations/${id}/mobile/verify`, { code: await smsCode(id) })).status).toBe(200);
  await atStep(id, 'email_verification');
  await runningDeadlinesOnCase(sys, id, 'awaiting the e-mail link');
  const mail = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.email) && m.subject === 'Please verify your e-mail address'), 'verification e-mail');
  const token = new URL(/https?:\/\/\S+/.exec(mailText(mail.raw))![0]).searchParams.get('token')!;
  expect((await post(`/v1/registrations/${id}/email/confirm`, { token })).status).toBe(200);
  await atStep(id, 'identity_verification');
  await runningDeadlinesOnCase(sys, id, 'awaiting the identity');
  await consentTo(id, 'id_number');
  await consentTo(id, 'face_image');
  return id;
}
const identityRow = async (id: string) =>
  (await sys.db.$queryRawUnsafe<Record<string, unknown>[]>('SELECT id_number_hash, id_last4, birth_date, face_image_ref, face_result FROM registration_identities WHERE registration_id = $1', id))[0];
const consentRows = (id: string) =>
  sys.db.$queryRawUnsafe<{ purpose: string; withdrawn_at: Date | null; guardian_relation: string | null }[]>('SELECT purpose, withdrawn_at, guardian_relation FROM registration_consents WHERE registration_id = $1 ORDER BY given_at', id);
const withdrawals = async (id: string) => (await sys.db.auditEvent.findMany({ where: { caseId: id, type: 'consent.withdrawn' }, orderBy: { seq: 'asc' } })).map((e) => ({ actor: e.actor, payload: e.payload as any }));

test('an active account withdraws the face image, then the ID number: withdrawn_at, the audit event, the data erased, the proof kept; the refusals change nothing', async () => {
  const body = applicant();
  const id = await atIdentityWithConsents(body);
  const idn = residentIdNumber('1990-03-07');
  expect((await post(`/v1/registrations/${id}/identity`, { idNumber: idn, faceImageRef: 'sim-pass-consent' })).status).toBe(200);
  await closed(id, 'approved');
  expect(await identityRow(id)).toMatchObject({ id_last4: idn.slice(-4), face_image_ref: 'sim-pass-consent', face_result: 'pass' });

  // Refusals, nothing changed: an unknown purpose (400), a role that may not (403), a consent never given (404).
  const unknown = await post(`/v1/registrations/${id}/consents/fingerprint/withdraw`, {});
  expect([unknown.status, unknown.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  expect((await post(`/v1/cases/${id}/actions/withdraw-consent`, { purpose: 'fingerprint' })).status).toBe(400);
  expect((await post(`/v1/cases/${id}/actions/withdraw-consent`, {})).status).toBe(400);
  for (const key of [sys.keys.merchant.apiKey, sys.keys.otherMerchant.apiKey, sys.keys.auditor.apiKey]) {
    expect((await post(`/v1/registrations/${id}/consents/face_image/withdraw`, {}, key)).status).toBe(403);
    expect((await post(`/v1/cases/${id}/actions/withdraw-consent`, { purpose: 'face_image' }, key)).status).toBe(403);
  }
  const never = await post(`/v1/registrations/${id}/consents/guardian/withdraw`, {});
  expect([never.status, never.body.error.code]).toEqual([404, 'CONSENT_NOT_GIVEN']);
  expect((await consentRows(id)).every((c) => c.withdrawn_at === null)).toBe(true);
  expect(await withdrawals(id)).toEqual([]);

  // The storefront withdraws the face image on the case, as it gave it.
  const face = await post(`/v1/cases/${id}/actions/withdraw-consent`, { purpose: 'face_image' });
  expect(face.status).toBe(200);
  expect(face.body).toMatchObject({ registrationId: id, purpose: 'face_image', withdrawn: ['face_image'], stopped: null, erased: [{ table: 'registration_identities', columns: ['face_image_ref', 'face_result'], rows: 1 }] });
  const kept = face.body.kept.map((k: any) => k.table);
  expect(kept).toEqual(['registration_consents', 'user_accounts']);
  const proofUntil = new Date(face.body.kept[0].until).getTime() - new Date(face.body.withdrawnAt).getTime();
  expect(proofUntil).toBe((3 * 365 + 1) * 86_400_000); // consentProof: 3 years after the withdrawal
  expect(face.body.kept[0].why).toContain('PIPL arts. 14, 29-31');
  expect(face.body.registration.consents.map((c: any) => c.purpose)).toEqual(['id_number']);
  // Raw SQL: the face image reference and its result are gone; the ID facts (another consent) stay.
  expect(await identityRow(id)).toEqual({ id_number_hash: expect.any(String), id_last4: idn.slice(-4), birth_date: '1990-03-07', face_image_ref: null, face_result: null });
  const rows = await consentRows(id);
  expect(rows.map((c) => [c.purpose, c.withdrawn_at?.toISOString() ?? null])).toEqual([['id_number', null], ['face_image', face.body.withdrawnAt]]);
  expect(await withdrawals(id)).toEqual([{ actor: sys.keys.storefront.id, payload: expect.objectContaining({ purpose: 'face_image', by: sys.keys.storefront.id, role: 'storefront', consents: ['face_image'] }) }]);

  // A second withdrawal: 409, nothing changed.
  const again = await post(`/v1/registrations/${id}/consents/face_image/withdraw`, {});
  expect([again.status, again.body.error.code]).toEqual([409, 'CONSENT_ALREADY_WITHDRAWN']);
  expect((await post(`/v1/cases/${id}/actions/withdraw-consent`, { purpose: 'face_image' })).status).toBe(409);
  expect(await withdrawals(id)).toHaveLength(1);

  // An agent withdraws the ID number on the person's request (the route for a closed registration): the row is gone.
  const idNo = await post(`/v1/registrations/${id}/consents/id_number/withdraw`, {}, sys.keys.agent.apiKey);
  expect(idNo.status).toBe(200);
  expect(idNo.body).toMatchObject({ withdrawn: ['id_number'], stopped: null, erased: [{ table: 'registration_identities', rows: 1 }] });
  expect(await identityRow(id)).toBeUndefined();
  expect((await consentRows(id)).every((c) => c.withdrawn_at !== null)).toBe(true);
  // Kept: the account's verification date (PIPL art. 15: processing before the withdrawal stays valid).
  const account = await sys.db.$queryRawUnsafe<{ real_name_verified_at: Date | null }[]>('SELECT real_name_verified_at FROM user_accounts WHERE registration_id = $1', id);
  expect(account[0].real_name_verified_at).not.toBeNull();
  expect((await withdrawals(id)).map((w) => [w.actor, w.payload.purpose, w.payload.role])).toEqual([[sys.keys.storefront.id, 'face_image', 'storefront'], [sys.keys.agent.id, 'id_number', 'agent']]);
  // The audit trail holds the purpose and counts, never the data.
  const timeline = await call(sys, 'GET', `/v1/cases/${id}/timeline`, { key: sys.keys.auditor.apiKey });
  expect(JSON.stringify(timeline.body)).not.toContain(idn);
  expect(timeline.body.events.filter((e: any) => e.type === 'consent.withdrawn')).toHaveLength(2);
});

test('a withdrawal while a person reviews the identity stops the review: the registration is cancelled and its data erased', async () => {
  const body = applicant();
  const id = await atIdentityWithConsents(body);
  expect((await post(`/v1/registrations/${id}/identity`, { idNumber: residentIdNumber('1988-05-04'), faceImageRef: 'sim-uncertain-consent' })).status).toBe(200);
  await atStep(id, 'manual_review');
  expect(await sys.db.task.count({ where: { caseId: id, status: 'open' } })).toBe(1);
  const r = await post(`/v1/cases/${id}/actions/withdraw-consent`, { purpose: 'face_image' });
  expect(r.status).toBe(200);
  expect(r.body.stopped).toMatchObject({ caseId: id, outcome: 'cancelled', erased: expect.objectContaining({ identities: 1, registrations: 1 }) });
  await closed(id, 'cancelled');
  expect(await sys.db.task.count({ where: { caseId: id, status: 'open' } })).toBe(0);
  expect(await identityRow(id)).toBeUndefined();
  const reg = await sys.db.$queryRawUnsafe<{ mobile: string | null; personal_data_erased_at: Date | null }[]>('SELECT coalesce(mobile_sealed, mobile) AS mobile, personal_data_erased_at FROM registrations WHERE id = $1', id);
  expect(reg[0]).toMatchObject({ mobile: null, personal_data_erased_at: expect.any(Date) });
  expect((await consentRows(id)).map((c) => [c.purpose, c.withdrawn_at !== null])).toEqual([['id_number', false], ['face_image', true]]);
  expect((await withdrawals(id))[0].payload).toMatchObject({ purpose: 'face_image', stoppedCaseId: id });
  // The ID-number consent of the cancelled registration can still be withdrawn (nothing left to stop).
  expect((await post(`/v1/registrations/${id}/consents/id_number/withdraw`, {}, sys.keys.supervisor.apiKey)).body).toMatchObject({ stopped: null, withdrawn: ['id_number'] });
});

test("a guardian withdraws the consent for a child's account: the guardian's personal fields and codes erased, the consent rows kept as proof", async () => {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  const id = await register({ type: 'registration', mobile: mobile('139'), username: `c_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11', birthDate: bornYearsAgo(12) });
  await atStep(id, 'guardian_consent');
  const gm = mobile('137');
  expect((await post(`/v1/registrations/${id}/guardian/code`, { mobile: gm })).status).toBe(200);
  const code = await smsCode(id, 'guardian_verification');
  const notice = await call(sys, 'GET', `/v1/registrations/${id}/consents/notice?purpose=guardian&locale=zh-CN`, { key: SF() });
  const own = await call(sys, 'GET', `/v1/registrations/${id}/consents/notice?purpose=guardian_real_name&locale=zh-CN`, { key: SF() });
  const adultId = residentIdNumber(bornYearsAgo(40));
  const answered = await post(`/v1/registrations/${id}/guardian/consent`, {
    decision: 'consent', code, relation: 'parent',
    privacyPolicyVersion: notice.body.privacyPolicy.version, privacyPolicyTextSha256: notice.body.privacyPolicy.textSha256, noticeSha256: notice.body.noticeSha256,
    adult: { kind: 'real_name', name: '李四', idNumber: adultId, consent: { noticeSha256: own.body.noticeSha256 } },
  });
  expect(answered.status).toBe(200);
  await atStep(id, 'mobile_verification');
  expect((await post(`/v1/registrations/${id}/mobile/verify`, { code: await smsCode(id) })).status).toBe(200);
  await closed(id, 'approved');

  const r = await post(`/v1/registrations/${id}/consents/guardian/withdraw`, {});
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ purpose: 'guardian', stopped: null, withdrawn: ['guardian_real_name', 'guardian'] });
  expect(r.body.erased).toEqual([
    { table: 'registration_guardians', columns: ['mobile', 'mobile_pending', 'relation', 'account_id', 'full_name', 'id_number_hash', 'id_last4', 'birth_date', 'real_name_result'], rows: 1 },
    { table: 'sms_outbox', columns: ['to_number', 'body'], rows: 1 },
  ]);
  expect(r.body.kept.map((k: any) => k.table)).toEqual(['registration_guardians', 'registration_consents']);
  const g = await sys.db.$queryRawUnsafe<Record<string, unknown>[]>('SELECT mobile, mobile_pending, relation, account_id, full_name, id_number_hash, id_last4, birth_date, real_name_result, decision, adult_proof FROM registration_guardians WHERE registration_id = $1', id);
  expect(g).toEqual([{ mobile: null, mobile_pending: null, relation: null, account_id: null, full_name: null, id_number_hash: null, id_last4: null, birth_date: null, real_name_result: null, decision: 'consented', adult_proof: 'real_name' }]);
  expect(await sys.db.$queryRawUnsafe<unknown[]>("SELECT 1 FROM sms_outbox WHERE registration_id = $1 AND purpose = 'guardian_verification'", id)).toEqual([]);
  // No trace of the guardian's data in any of the registration's rows.
  for (const t of ['registration_guardians', 'registration_consents', 'sms_outbox']) {
    const dump = JSON.stringify(await sys.db.$queryRawUnsafe<unknown[]>(`SELECT * FROM ${t} WHERE registration_id = $1`, id));
    for (const secret of [gm, adultId, adultId.slice(-4), '李四']) expect(dump).not.toContain(secret);
  }
  // The proof stays: both consent rows, withdrawn, with the declared relation.
  expect((await consentRows(id)).map((c) => [c.purpose, c.withdrawn_at !== null, c.guardian_relation])).toEqual([['guardian_real_name', true, 'parent'], ['guardian', true, 'parent']]);
  expect((await withdrawals(id))[0]).toMatchObject({ actor: sys.keys.storefront.id, payload: { purpose: 'guardian', consents: ['guardian_real_name', 'guardian'] } });
  expect((await post(`/v1/registrations/${id}/consents/guardian/withdraw`, {})).status).toBe(409);
});

test("a guardian withdraws while the child's registration is pending: the registration stops, the child's and the guardian's data erased", async () => {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  const id = await register({ type: 'registration', mobile: mobile('139'), username: `p_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11', birthDate: bornYearsAgo(10) });
  await atStep(id, 'guardian_consent');
  expect((await post(`/v1/registrations/${id}/guardian/code`, { mobile: mobile('137') })).status).toBe(200);
  const code = await smsCode(id, 'guardian_verification');
  const notice = await call(sys, 'GET', `/v1/registrations/${id}/consents/notice?purpose=guardian&locale=en`, { key: SF() });
  const own = await call(sys, 'GET', `/v1/registrations/${id}/consents/notice?purpose=guardian_real_name&locale=en`, { key: SF() });
  expect((await post(`/v1/registrations/${id}/guardian/consent`, {
    decision: 'consent', code, relation: 'other_guardian',
    privacyPolicyVersion: notice.body.privacyPolicy.version, privacyPolicyTextSha256: notice.body.privacyPolicy.textSha256, noticeSha256: notice.body.noticeSha256,
    adult: { kind: 'real_name', name: '赵六', idNumber: residentIdNumber(bornYearsAgo(35)), consent: { noticeSha256: own.body.noticeSha256 } },
  })).status).toBe(200);
  await atStep(id, 'mobile_verification');
  await runningDeadlinesOnCase(sys, id, 'awaiting the child\'s mobile code');
  const r = await post(`/v1/cases/${id}/actions/withdraw-consent`, { purpose: 'guardian' });
  expect(r.status).toBe(200);
  expect(r.body.stopped).toMatchObject({ caseId: id, outcome: 'cancelled', erased: expect.objectContaining({ registrations: 1, guardians: 1 }) });
  await closed(id, 'cancelled');
  const reg = await sys.db.$queryRawUnsafe<{ mobile: string | null; username: string | null }[]>('SELECT coalesce(mobile_sealed, mobile) AS mobile, coalesce(username_sealed, username) AS username FROM registrations WHERE id = $1', id);
  expect(reg[0]).toEqual({ mobile: null, username: null });
  expect(await sys.db.$queryRawUnsafe<unknown[]>('SELECT 1 FROM registration_guardians WHERE registration_id = $1', id)).toEqual([]);
  expect(await sys.db.$queryRawUnsafe<unknown[]>('SELECT 1 FROM sms_outbox WHERE registration_id = $1', id)).toEqual([]);
  expect((await consentRows(id)).map((c) => [c.purpose, c.withdrawn_at !== null])).toEqual([['guardian_real_name', true], ['guardian', true]]);
  expect((await withdrawals(id))[0].payload).toMatchObject({ purpose: 'guardian', stoppedCaseId: id });
});
