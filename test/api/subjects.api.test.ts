// Data subjects on the real API and PostgreSQL (lib/subjects.ts, lib/personalData.ts): a registration makes its
// applicant a subject named by the account's user ref; a return the storefront opens for that user ref, the customer's
// thread message and upload point to the same subject; the inventory finds each of its rows; openings for one new
// storefront customer at once make one subject.
import crypto from 'node:crypto';
import { subjectDataCounts } from '../../lib/personalData';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const SUBJECT_ID = /^sub_[0-9a-f]{32}$/;
const open = (body: unknown) => call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });

test('a registered customer with a return, a thread message and an upload is one subject; the inventory finds every row', async () => {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  const mobile = `137${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`;
  const reg = await open({ type: 'registration', name: '李四', mobile, email: `u${tag}@applicant.test`, username: `u_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11', locale: 'en' });
  expect(reg.status).toBe(201);
  const registration = await sys.db.registration.findUniqueOrThrow({ where: { id: reg.body.caseId } });
  const subjectId = registration.subjectId;
  expect(subjectId).toMatch(SUBJECT_ID);
  expect(subjectId).not.toContain(tag); // opaque: nothing of the person in it
  expect(await sys.db.subject.findUniqueOrThrow({ where: { id: subjectId } })).toMatchObject({ kind: 'customer', status: 'active', erasedAt: null });
  expect(await sys.db.subjectRef.findMany({ where: { subjectId }, select: { kind: true, value: true } })).toEqual([{ kind: 'account', value: registration.userRef }]);
  expect((await sys.db.case.findUniqueOrThrow({ where: { id: reg.body.caseId } })).subjectId).toBe(subjectId);
  expect((await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'customer', id: registration.userRef } } })).subjectId).toBe(subjectId);

  // The storefront names its registered customer by the account's user ref: the same subject, no second one.
  const ret = await open(returnBody(sys.keys.merchant.merchantId, { order: { customerId: registration.userRef } }));
  expect(ret.status).toBe(201);
  const returnCase = await sys.db.case.findUniqueOrThrow({ where: { id: ret.body.caseId } });
  expect(returnCase).toMatchObject({ customerId: registration.userRef, subjectId });
  expect(await sys.db.subjectRef.count({ where: { value: registration.userRef } })).toBe(1);

  // The customer's words and files point to the subject; the merchant's words do not.
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(`%PDF-1.7\n% ${tag}\n1 0 obj\n<<>>\nendobj\n%%EOF\n`)]), 'receipt.pdf');
  const upload = await fetch(`${sys.api.url}/v1/cases/${returnCase.id}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form });
  expect(upload.status).toBe(201);
  const attachmentId = ((await upload.json()) as { attachmentId: string }).attachmentId;
  const mine = await call(sys, 'POST', `/v1/cases/${returnCase.id}/messages`, { key: sys.keys.storefront.apiKey, body: { body: 'The seam split on the first wear.', attachmentIds: [attachmentId] } });
  expect(mine.status).toBe(201);
  const theirs = await call(sys, 'POST', `/v1/cases/${returnCase.id}/messages`, { key: sys.keys.merchant.apiKey, body: { body: 'Please send it back.' } });
  expect(theirs.status).toBe(201);
  expect(await sys.db.threadMessage.findMany({ where: { caseId: returnCase.id }, select: { party: true, subjectId: true }, orderBy: { createdAt: 'asc' } })).toEqual([
    { party: 'customer', subjectId },
    { party: 'merchant', subjectId: null },
  ]);
  expect((await sys.db.attachment.findUniqueOrThrow({ where: { id: attachmentId } })).subjectId).toBe(subjectId);

  await eventually(async () => (await sys.db.smsOutbox.count({ where: { registrationId: registration.id } })) > 0, 'the registration code sent');
  const counts = await subjectDataCounts(sys.db, subjectId);
  const rows = Object.fromEntries(counts.tables.map((t) => [t.table, t.rows]));
  expect(rows).toMatchObject({
    subjects: 1,
    subject_refs: 1,
    parties: 1,
    cases: 2,
    registrations: 1,
    user_accounts: 0, // not approved
    registration_identities: 0,
    idempotency_records: 2,
    thread_messages: 1,
    attachments: 1,
    repair_requests: 0,
    complaints: 0,
    registration_guardians: 0,
  });
  expect(rows.sms_outbox).toBeGreaterThanOrEqual(1);
  expect(rows.registration_challenges).toBeGreaterThanOrEqual(1);
  expect(rows.audit_events).toBeGreaterThanOrEqual(2);
  expect(Object.fromEntries(counts.stores.map((s) => [s.store, s.keys]))).toMatchObject({
    blobs: 1,
    // The applicant's address and the one the return gave for the same customer.
    mailCatcher: 2,
    smsGateway: 1,
    temporalHistories: 2,
    logs: null,
  });

  // A subject with nothing: every entry finds nothing.
  const nobody = await subjectDataCounts(sys.db, 'sub_00000000000000000000000000000000');
  expect(nobody.tables.every((t) => t.rows === 0)).toBe(true);
  expect(nobody.stores.every((s) => !s.keys)).toBe(true);
});

test("openings at once for one new storefront customer make one subject (ON CONFLICT), and the contact points to it", async () => {
  const customerId = `cust-${crypto.randomUUID().slice(0, 8)}`;
  const startedAt = new Date(Date.now() - 1_000);
  const bodies = Array.from({ length: 6 }, () => returnBody(sys.keys.merchant.merchantId, { order: { customerId } }));
  const opened = await Promise.all(bodies.map(open));
  expect(opened.map((r) => r.status)).toEqual(Array(6).fill(201));
  const refs = await sys.db.subjectRef.findMany({ where: { kind: 'storefront_customer', value: customerId } });
  expect(refs).toHaveLength(1);
  const subjectId = refs[0].subjectId;
  expect(subjectId).toMatch(SUBJECT_ID);
  const cases = await sys.db.case.findMany({ where: { id: { in: opened.map((r) => r.body.caseId) } }, select: { subjectId: true } });
  expect(cases.map((c) => c.subjectId)).toEqual(Array(6).fill(subjectId));
  expect((await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'customer', id: customerId } } })).subjectId).toBe(subjectId);
  // No subject left without its reference by a lost race (among the opaque subjects made meanwhile: other test files
  // sharing the database seed subjects of their own, without references).
  expect(
    await sys.db.$queryRawUnsafe<unknown[]>(`SELECT id FROM subjects s WHERE s.id ~ '^sub_[0-9a-f]{32}$' AND s.created_at >= ($1::timestamptz AT TIME ZONE 'UTC') AND NOT EXISTS (SELECT 1 FROM subject_refs r WHERE r.subject_id = s.id)`, startedAt.toISOString()),
  ).toEqual([]);
});
