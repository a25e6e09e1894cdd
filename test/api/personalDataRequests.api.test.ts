// Personal-data requests (policy 2.3-2.4; PIPL arts. 45-47, 50) on the real API, Temporal dev server and PostgreSQL:
// the identity checked by the code the SMS port captured (a wrong code counted); access delivers the export by its
// signed link (the link answers the archive); a correction changes the value and leaves only a keyed fingerprint on the
// audit trail (neither value in the trail nor the workflow's history); a deletion stops processing at once (the outbox
// and the SMS port refuse the subject except the request's own messages), erases the subject's rows across the tables
// the inventory names and keeps the minimum the law requires, listed with its rule; a second subject is untouched.
import { openedRegistration } from '../helpers/sealed';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { subjectDataCounts } from '../../lib/personalData';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
const opened: string[] = [];
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  for (const id of opened) await sys?.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await sys?.stop();
});

const ok = (res: { status: number; body: any }, status = 200) => expect({ status: res.status, body: res.status === status ? undefined : res.body }).toEqual({ status, body: undefined });
const open = (body: unknown, key = sys.keys.storefront.apiKey) => call(sys, 'POST', '/v1/cases', { key, body, headers: { 'Idempotency-Key': idem() } });
const caseOf = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey })).body;
const closed = (caseId: string) => eventually(async () => ((await caseOf(caseId)).status === 'closed' ? await caseOf(caseId) : undefined), `${caseId} closed`, 45_000);
const openTask = (caseId: string, type: string) =>
  eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.agent.apiKey })).body?.tasks?.find((t: any) => t.type === type), `${type} task`);

/** A registered customer with a return, a thread message and an upload. */
async function customer() {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  const mobile = `136${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`;
  const email = `p${tag}@subject.test`;
  const reg = await open({ type: 'registration', name: `Person ${tag}`, mobile, email, username: `p_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11', locale: 'en' });
  ok(reg, 201);
  opened.push(reg.body.caseId);
  const registration = await sys.db.registration.findUniqueOrThrow({ where: { id: reg.body.caseId } });
  const ret = await open(returnBody(sys.keys.merchant.merchantId, { order: { customerId: registration.userRef } }));
  ok(ret, 201);
  opened.push(ret.body.caseId);
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(`%PDF-1.7\n% evidence ${tag}\n%%EOF\n`)]), 'receipt.pdf');
  const upload = await fetch(`${sys.api.url}/v1/cases/${ret.body.caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form });
  expect(upload.status).toBe(201);
  const attachmentId = ((await upload.json()) as { attachmentId: string }).attachmentId;
  ok(await call(sys, 'POST', `/v1/cases/${ret.body.caseId}/messages`, { key: sys.keys.storefront.apiKey, body: { body: `Seam split (${tag}).`, attachmentIds: [attachmentId] } }), 201);
  return { subjectId: registration.subjectId, userRef: registration.userRef!, registrationId: registration.id, returnId: ret.body.caseId as string, email, mobile, tag };
}

/** Opens a request, reads the code the SMS port captured, submits a wrong one then the right one. */
async function openVerified(userRef: string, body: Record<string, unknown>): Promise<string> {
  const res = await open({ type: 'personal_data_request', customerId: userRef, ...body });
  ok(res, 201);
  const caseId: string = res.body.caseId;
  opened.push(caseId);
  const sms = await eventually(() => sys.db.smsOutbox.findFirst({ where: { purpose: 'request_verification', body: { contains: caseId } } }), 'the request code sent');
  const code = /(\d{6})/.exec(sms.body.replace(caseId, ''))![1];
  const wrong = code === '000000' ? '000001' : '000000';
  const first = await call(sys, 'POST', `/v1/personal-data-requests/${caseId}/verification`, { key: sys.keys.storefront.apiKey, body: { code: wrong } });
  ok(first);
  expect(first.body).toMatchObject({ verified: false, attemptsLeft: 4, channel: 'sms' });
  const second = await call(sys, 'POST', `/v1/personal-data-requests/${caseId}/verification`, { key: sys.keys.storefront.apiKey, body: { code } });
  ok(second);
  expect(second.body).toMatchObject({ verified: true });
  return caseId;
}

async function fulfil(caseId: string) {
  const t = await openTask(caseId, 'pdr.handling');
  ok(await call(sys, 'POST', `/v1/tasks/${t.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'fulfil' } } }));
}

test('access: verified by the SMS code, fulfilled; the export goes by its signed link, which answers the archive', async () => {
  const c = await customer();
  const caseId = await openVerified(c.userRef, { requestType: 'access' });
  await fulfil(caseId);
  const done = await closed(caseId);
  expect(done.outcome).toBe('fulfilled');
  expect(done.personalDataRequest).toMatchObject({ requestType: 'access', verified: true, answer: { exportId: expect.stringMatching(/^dx_/), outcome: 'fulfilled' } });
  const notice = await sys.db.notification.findFirstOrThrow({ where: { caseId, template: 'pdr.export_ready' } });
  const link = String((notice.params as any).link);
  expect(link).toMatch(/\/data-exports\/dx_[0-9a-f]{32}\.\d+\.[a-z2-7]{26}$/);
  const path = new URL(link).pathname;
  const res = await fetch(`${sys.api.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/gzip');
  // The history carries no link and no token.
  const history = await sys.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(caseId).fetchHistory();
  expect(JSON.stringify(history)).not.toContain(path.split('/').pop()!);
});

test('correction: the value changes; the audit trail keeps only a keyed fingerprint, neither value in the trail or the history', async () => {
  const c = await customer();
  const newEmail = `corrected.${c.tag}@subject.test`;
  const caseId = await openVerified(c.userRef, { requestType: 'correction', corrections: [{ field: 'account_email', value: newEmail }] });
  expect((await sys.db.personalDataCorrection.findFirstOrThrow({ where: { caseId } })).newValue).toBe(newEmail);
  await fulfil(caseId);
  expect((await closed(caseId)).outcome).toBe('fulfilled');
  expect((await openedRegistration(sys, c.registrationId)).email).toBe(newEmail);
  const correction = await sys.db.personalDataCorrection.findFirstOrThrow({ where: { caseId } });
  expect(correction).toMatchObject({ newValue: null, oldFingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) });
  const trail = await sys.db.auditEvent.findMany({ where: { caseId } });
  expect(trail.find((e) => e.type === 'pdr.field_corrected')!.payload).toMatchObject({ field: 'account_email', table: 'registrations', column: 'email', rows: 1, oldFingerprint: correction.oldFingerprint });
  const text = JSON.stringify(trail, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
  expect(text).not.toContain(c.email);
  expect(text).not.toContain(newEmail);
  const history = JSON.stringify(await sys.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(caseId).fetchHistory());
  expect(history).not.toContain(c.email);
  expect(history).not.toContain(newEmail);
});

test('deletion: processing stops (outbox and SMS refuse the subject but the request), rows erased per the inventory, the legal minimum kept', async () => {
  const c = await customer();
  const other = await customer();
  const otherBefore = await subjectDataCounts(sys.db, other.subjectId);
  // The development mail catcher's copies (DATA_DIR/mail/*.eml): the subject's go, another's stay.
  const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdr-mail-'));
  process.env.MAIL_CATCHER_DIR = mailDir;
  fs.writeFileSync(path.join(mailDir, 'a-1.eml'), `From: casework@test\r\nTo: ${c.email}\r\nSubject: x\r\n\r\nbody`);
  fs.writeFileSync(path.join(mailDir, 'a-2.eml'), `From: casework@test\r\nTo: ${other.email}\r\nSubject: y\r\n\r\nbody`);
  const caseId = await openVerified(c.userRef, { requestType: 'deletion' });
  await openTask(caseId, 'pdr.handling');
  // Policy 2.4.1: flagged at once.
  expect(await sys.db.subject.findUniqueOrThrow({ where: { id: c.subjectId } })).toMatchObject({ status: 'erasure_requested', processingStoppedBy: caseId });
  // The SMS port refuses the subject, except the request's own message.
  const sms = sys.api.deps.ports.sms;
  expect(await sms.send({ idempotencyKey: `t-${c.tag}-1`, to: c.mobile, body: 'promo', purpose: 'mobile_verification', registrationId: c.registrationId })).toMatchObject({ accepted: false, refused: 'processing_stopped' });
  expect(await sms.send({ idempotencyKey: `t-${c.tag}-2`, to: c.mobile, body: 'for the request', purpose: 'request_verification', subjectId: c.subjectId, caseId })).toMatchObject({ accepted: true });
  expect(await sys.db.smsOutbox.count({ where: { idempotencyKey: `t-${c.tag}-1` } })).toBe(0);
  // The outbox refuses a notice of another case to the subject; another subject's goes out.
  const stoppedId = `${c.returnId}:test.stopped:${c.tag}`;
  const otherId = `${other.returnId}:test.other:${other.tag}`;
  for (const [id, caseOf, to] of [[stoppedId, c.returnId, c.userRef], [otherId, other.returnId, other.userRef]]) {
    await sys.db.notification.create({ data: { id, caseId: caseOf, template: 'pdr.received', recipientKind: 'customer', recipientId: to, status: 'pending', params: { caseId: caseOf, requestType: 'access' }, queue: sys.taskQueue } });
  }
  await eventually(async () => (await sys.db.notification.count({ where: { id: { in: [stoppedId, otherId] }, status: { in: ['pending', 'sending'] } } })) === 0 || undefined, 'outbox pass', 30_000);
  expect(await sys.db.notification.findUniqueOrThrow({ where: { id: stoppedId } })).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/processing stopped/) });
  expect((await sys.db.notification.findUniqueOrThrow({ where: { id: otherId } })).status).not.toBe('skipped');

  await fulfil(caseId);
  const done = await closed(caseId);
  expect(done.outcome).toBe('fulfilled');
  const answer = done.personalDataRequest.answer;
  expect(fs.readdirSync(mailDir)).toEqual(['a-2.eml']);
  expect(answer.mailFilesRemoved).toBe(1);
  delete process.env.MAIL_CATCHER_DIR;
  // The request's own code SMS (keyed by the request) went with the subject's SMS outbox rows.
  expect(await sys.db.smsOutbox.count({ where: { idempotencyKey: { startsWith: `${caseId}:code:` } } })).toBe(0);
  // Erased across tables, per the inventory: the upload, the thread, the account's data; the contact and references last.
  const after = Object.fromEntries((await subjectDataCounts(sys.db, c.subjectId)).tables.map((t) => [t.table, t.rows]));
  for (const table of ['attachments', 'thread_messages', 'parties', 'subject_refs', 'user_accounts', 'registration_challenges']) expect({ table, rows: after[table] }).toEqual({ table, rows: 0 });
  expect(answer.erased.map((e: any) => e.table)).toEqual(expect.arrayContaining(['attachments', 'thread_messages']));
  // Kept by law (E-Commerce Law art. 31): the case records, listed with their rule and period.
  expect(after.cases).toBeGreaterThanOrEqual(3);
  expect(answer.retained).toEqual(expect.arrayContaining([expect.objectContaining({ table: 'cases', retention: 'transactionRecord', law: '电子商务法 art. 31' })]));
  const reg = await sys.db.registration.findUnique({ where: { id: c.registrationId } });
  if (reg) expect(reg).toMatchObject({ mobile: null, email: null, fullName: null });
  expect(await sys.db.subject.findUniqueOrThrow({ where: { id: c.subjectId } })).toMatchObject({ status: 'erased', erasedAt: expect.any(Date) });
  // The answer reached the person before the contact went; the other subject is untouched.
  expect((await sys.db.notification.findFirstOrThrow({ where: { caseId, template: 'pdr.answered' } })).status).toBe('sent');
  expect((await sys.db.auditEvent.findFirstOrThrow({ where: { caseId, type: 'pdr.subject_erased' } })).payload).toMatchObject({ keyDestroyed: true });
  const otherAfter = await subjectDataCounts(sys.db, other.subjectId);
  expect(otherAfter.tables.filter((t) => !['notifications', 'audit_events', 'tasks', 'cases'].includes(t.table))).toEqual(otherBefore.tables.filter((t) => !['notifications', 'audit_events', 'tasks', 'cases'].includes(t.table)));
});
