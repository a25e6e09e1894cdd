// The proof of erasure (policy 2.4.1; PIPL art. 47) on the real stack: a person with cases in every process that
// holds personal data (a registration, a return with an upload and a thread, a warranty repair, a complaint), their
// contact, e-mails and SMS, and the mails they sent to the inbound listener (a complaint by e-mail to complaints@, a
// reply into a case's thread, a mail held in quarantine: their raw messages are blobs); a verified deletion request fulfilled; then every store scanned (lib/erasureScan.ts):
// every table as the raw text of its rows, the mail files, the blob store and every Temporal history of the namespace,
// for each of the person's values in clear and in every reversible encoding. None is found. The committed history
// fixtures still replay (test/replay, the same run).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { Readable } from 'node:stream';
import { scanForErasedValues } from '../../lib/erasureScan';
import { keptCaseRecordsOf, localDayIn, purgeDayOfCaseRecord } from '../../lib/keptRecords';
import { mailText } from '../../lib/mailCatcher';
import { isSealed, sealerFor } from '../../lib/sealedFields';
import { complaintBody, idem, repairBody, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';

const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erasure-proof-mail-'));
let sys: TestSystem;
beforeAll(async () => {
  process.env.MAIL_CATCHER_DIR = mailDir; // where the request's erasure finds the development mail catcher's files
  sys = await startTestSystem({ mailDir, inboundMail: {} });
});
afterAll(async () => {
  delete process.env.MAIL_CATCHER_DIR;
  await sys?.stop();
  fs.rmSync(mailDir, { recursive: true, force: true });
});

const ok = (res: { status: number; body: any }, status = 200) => expect({ status: res.status, body: res.status === status ? undefined : res.body }).toEqual({ status, body: undefined });
const open = (body: unknown, key = sys.keys.storefront.apiKey) => call(sys, 'POST', '/v1/cases', { key, body, headers: { 'Idempotency-Key': idem() } });
const caseOf = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey })).body;

let mailed = '';
test("a deleted person's values are found in no store, in no encoding", async () => {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 12);
  const values = {
    name: `Qiu Shuang ${tag}`,
    mobile: `137${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`,
    email: `qiu.${tag}@erasure.test`,
    username: `qiu_${tag}`,
    displayName: `Miss Q ${tag}`,
    returnWords: `The lining tore at the seam, order ${tag}.`,
    repairWords: `The kettle ${tag} stops heating after a minute.`,
    complaintWords: `The shop ${tag} ignored my three messages.`,
    uploadTitle: `receipt-${tag}-evidence`,
    fileName: `qiu-${tag}-id-card.pdf`,
    mailedWords: `My parcel ${tag} never arrived and nobody answers the phone.`,
    repliedWords: `Here is the photo of ${tag} you asked for.`,
    heldWords: `Please forward ${tag} to the right department.`,
  };
  // The person: an account (registration), and cases of every process under its reference.
  const reg = await open({ type: 'registration', name: values.name, mobile: values.mobile, username: values.username, password: 'Correct-Horse-9!', agreementVersion: '2026-11', locale: 'en' });
  ok(reg, 201);
  const registration = await sys.db.registration.findUniqueOrThrow({ where: { id: reg.body.caseId } });
  const regSms = await eventually(async () => (await sys.db.smsOutbox.findMany({ where: { registrationId: registration.id } }))[0], 'the registration code sent');
  ok(await call(sys, 'POST', `/v1/registrations/${registration.id}/mobile/verify`, { key: sys.keys.storefront.apiKey, body: { code: /(\d{6})/.exec(regSms.body)![1] } }));
  await eventually(async () => ((await caseOf(registration.id)).status === 'closed' || undefined), 'the account approved');
  const userRef = registration.userRef!;
  const contact = { email: values.email, displayName: values.displayName, locale: 'en' };
  const ret = await open({ ...returnBody(sys.keys.merchant.merchantId, { order: { customerId: userRef } }), customerContact: contact });
  ok(ret, 201);
  const repair = await open({ ...repairBody(sys.keys.merchant.merchantId, { description: values.repairWords }), order: { ...repairBody(null).order, customerId: userRef, merchantId: sys.keys.merchant.merchantId }, customerContact: contact });
  ok(repair, 201);
  const complaint = await open({ ...complaintBody(sys.keys.merchant.merchantId, { description: values.complaintWords }), customerId: userRef, customerContact: contact });
  ok(complaint, 201);
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${values.uploadTitle}) >>\nendobj\n%%EOF\n`)]), values.fileName);
  const upload = await fetch(`${sys.api.url}/v1/cases/${ret.body.caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form });
  expect(upload.status).toBe(201);
  const attachmentId = ((await upload.json()) as { attachmentId: string }).attachmentId;
  ok(await call(sys, 'POST', `/v1/cases/${ret.body.caseId}/messages`, { key: sys.keys.storefront.apiKey, body: { body: values.returnWords, attachmentIds: [attachmentId] } }), 201);
  for (const id of [ret.body.caseId, repair.body.caseId, complaint.body.caseId]) await mailsDelivered(sys, id);

  // The person writes to the inbound listener, from their address with their name on the From line: a complaint to
  // complaints@ (confirmed through the link sent back), a reply to the return's notice (its Reply-To), and a mail to an
  // address without a valid token (held in quarantine, its raw message a blob).
  const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: sys.api.inboundMail!.port, secure: false, ignoreTLS: true });
  const from = `"${values.name}" <${values.email}>`;
  try {
    await smtp.sendMail({ from, to: 'complaints@reply.casework.test', subject: `Missing parcel ${tag}`, text: values.mailedWords, html: `<p>${values.mailedWords}</p>` });
    const confirmation = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(values.email) && /mail-intake\/complaint\//.test(mailText(m.raw))), 'the intake confirmation', 60_000);
    const link = /https?:\/\/[^/\s]+(\/mail-intake\/complaint\/mi_[0-9a-f]{32}\.[a-z2-7]{26})/.exec(mailText(confirmation.raw))![1];
    const confirmed = await call(sys, 'POST', link);
    ok(confirmed, 201);
    mailed = confirmed.body.caseId;
    const returnNotice = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(values.email) && m.headers['x-case-id'] === ret.body.caseId && /^Reply-To:/im.test(m.raw)), 'a notice of the return with its Reply-To', 60_000);
    const replyTo = /^Reply-To:\s*<?([^>\r\n]+)>?\s*$/im.exec(returnNotice.raw)![1];
    await smtp.sendMail({ from, to: replyTo, subject: 'Re: your return', text: values.repliedWords });
    await smtp.sendMail({ from, to: 'case+nosuchcase@reply.casework.test', subject: `Forward ${tag}`, text: values.heldWords });
  } finally {
    smtp.close();
  }
  await eventually(async () => ((await sys.db.threadMessage.count({ where: { caseId: ret.body.caseId, authorRole: 'email' } })) > 0 || undefined), 'the reply in the thread');
  await eventually(async () => ((await sys.db.inboundMailQuarantine.count({ where: { subjectId: registration.subjectId } })) > 0 || undefined), 'the held mail');
  await mailsDelivered(sys, mailed);
  // Before: the scan finds the person only where a value is kept in clear on purpose (its reach, on the same stores):
  // the mails sent to the address (the development catcher's files) and the capture SMS gateway's log (sms_outbox).
  // Names, the mobile, the username, the contact, every text of a case, the upload's name and bytes, the mail held
  // for an agent and the complaint they mailed before confirming it (filed under the person, whose address sent them:
  // rows, file names, the raw message, HTML and files) are sealed with the subject's key (lib/sealedFields.ts,
  // lib/blobs.ts): not found even before.
  const targets = { db: sys.db, folders: [mailDir, sys.blobDir], temporal: sys.api.deps.temporal.clients.forIdentity('erasure-proof') };
  const before = await scanForErasedValues(targets, values);
  const labels = new Set(before.findings.map((f) => f.label));
  for (const found of ['mobile', 'email']) expect({ found, in: labels.has(found) }).toEqual({ found, in: true });
  for (const sealedValue of ['username', 'displayName', 'uploadTitle', 'fileName', 'repairWords', 'returnWords', 'complaintWords', 'repliedWords', 'heldWords', 'mailedWords']) expect({ sealedValue, in: labels.has(sealedValue) }).toEqual({ sealedValue, in: false });

  // A copy of the sealed bytes as a backup or replica would hold them: they open with the subject's key now.
  const subjectId = registration.subjectId; // also the kept records' owner, below
  const sealer = sealerFor(sys.db, sys.api.deps.ports.keys);
  const regRow = await sys.db.registration.findUniqueOrThrow({ where: { id: registration.id } });
  const partyRow = await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'customer', id: userRef } } });
  const repairRow = await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId: repair.body.caseId } });
  const backup = [regRow.fullName, regRow.mobileSealed, regRow.usernameSealed, partyRow.email, partyRow.displayName, repairRow.description];
  expect(backup.every(isSealed)).toBe(true);
  expect(await sealer.open(subjectId, backup)).toEqual([values.name, values.mobile, values.username, values.email, values.displayName, values.repairWords]);
  const uploadRow = await sys.db.attachment.findUniqueOrThrow({ where: { id: attachmentId } });
  expect(isSealed(uploadRow.filename)).toBe(true);
  expect(await sealer.open(subjectId, [uploadRow.filename])).toEqual([values.fileName]);
  const fileCopy = fs.readFileSync(path.join(sys.blobDir, uploadRow.blobKey!.slice(0, 2), uploadRow.blobKey!));
  const openCopy = async () => {
    const open = await sealer.openStream(subjectId);
    if (!open) return null;
    const parts: Buffer[] = [];
    for await (const c of Readable.from([fileCopy]).pipe(open)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };
  expect((await openCopy())!.includes(Buffer.from(values.uploadTitle))).toBe(true);

  // The person's business is done: every case closed (a case still running keeps what it needs until it ends, and the
  // answer lists it); the account stays, to be cancelled with the rest.
  for (const id of [ret.body.caseId, repair.body.caseId, complaint.body.caseId, mailed]) {
    const r = await call(sys, 'POST', `/v1/cases/${id}/cancel`, { key: id === mailed ? sys.keys.agent.apiKey : sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
    expect({ id, status: r.status }).toEqual({ id, status: 200 });
    await eventually(async () => ((await caseOf(id)).status === 'closed' || undefined), `${id} closed`);
    await mailsDelivered(sys, id);
  }

  // The deletion request: verified by the code sent to the registered mobile, fulfilled by an agent.
  const req = await open({ type: 'personal_data_request', customerId: userRef, requestType: 'deletion' });
  ok(req, 201);
  const caseId: string = req.body.caseId;
  const sms = await eventually(() => sys.db.smsOutbox.findFirst({ where: { purpose: 'request_verification', body: { contains: caseId } } }), 'the request code sent');
  ok(await call(sys, 'POST', `/v1/personal-data-requests/${caseId}/verification`, { key: sys.keys.storefront.apiKey, body: { code: /(\d{6})/.exec(sms.body.replace(caseId, ''))![1] } }));
  const task = await eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.agent.apiKey })).body?.tasks?.find((t: any) => t.type === 'pdr.handling'), 'the handling task');
  ok(await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'fulfil' } } }));
  await eventually(async () => ((await caseOf(caseId)).status === 'closed' || undefined), 'the request closed', 90_000);
  await eventually(async () => ((await sys.db.subject.findUniqueOrThrow({ where: { id: registration.subjectId } })).status === 'erased' || undefined), 'the subject erased', 90_000);

  const after = await scanForErasedValues(targets, values);
  console.log(`erasure proof: before ${before.findings.length} findings; after ${after.findings.length}; scanned ${JSON.stringify(after.scanned)}`);
  expect(after.findings).toEqual([]);
  expect(after.scanned.histories).toBeGreaterThanOrEqual(5);

  // Crypto-shredding: the subject's data key is destroyed, so the copies taken before no longer open, field or file.
  expect(await sys.db.subjectKey.findUniqueOrThrow({ where: { subjectId } })).toMatchObject({ wrappedKey: null, destroyedAt: expect.any(Date) });
  expect(await sealer.open(subjectId, backup)).toEqual(backup.map(() => null));
  expect(await openCopy()).toBeNull();

  // What the law keeps (电子商务法 art. 31: the transaction records, 3 years after each transaction), stripped: each
  // case record carries the day the daily purge deletes it from, counted from its close like the law (36 months to the
  // corresponding day, monthPeriodEndsAt); the request's own case, open at the erasure, gets its day from the purge.
  const caseIds = [registration.id, ret.body.caseId, repair.body.caseId, complaint.body.caseId, mailed];
  const closedAt = new Map((await sys.db.case.findMany({ where: { subjectId } })).map((c) => [c.id, c.closedAt!]));
  const kept = await keptCaseRecordsOf(sys.db, subjectId);
  expect(kept.map((k) => k.caseId).sort()).toEqual([...caseIds, caseId].sort());
  for (const id of caseIds) expect({ id, purgeOn: kept.find((k) => k.caseId === id)!.purgeOn }).toEqual({ id, purgeOn: purgeDayOfCaseRecord(closedAt.get(id)!) });
  const purgeDay = kept.find((k) => k.caseId === ret.body.caseId)!.purgeOn!;
  expect(purgeDay >= localDayIn(new Date(Date.now() + 3 * 365 * 86_400_000))).toBe(true);
  // Other people's cases (other test files share the database and open more meanwhile) must stay.
  const others = (await sys.db.case.findMany({ where: { NOT: { subjectId } }, select: { id: true }, take: 200 })).map((c) => c.id);

  // The purge runs as of a day injected into the run (its clock), never by waiting. The records' days were checked
  // above; here they are moved to tomorrow, as if three years had passed, so that the runs come as of today and the
  // next two days: every other closed record of the shared database carries a day three years ahead.
  const temporal = sys.api.deps.temporal.clients.forIdentity('kept-records-test');
  const purgeAsOf = (day: string, n: number) =>
    temporal.workflow.execute('retentionPurge', { taskQueue: sys.taskQueue, workflowId: `retention-purge-kept-${tag}-${n}`, args: [{ asOf: `${day}T12:00:00+08:00` }] }) as Promise<{ runDay: string; counts: Record<string, Record<string, number>> }>;
  const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const today = localDayIn(new Date());
  const dueDay = dayAfter(today);
  await sys.db.case.updateMany({ where: { id: { in: caseIds } }, data: { purgeOn: new Date(`${dueDay}T00:00:00Z`) } });
  const eve = await purgeAsOf(today, 1);
  expect(eve.runDay).toBe(today);
  expect(await sys.db.case.count({ where: { subjectId } })).toBe(caseIds.length + 1);
  // The request's case closed after the erasure: dated by the run. It is kept a day longer here (as if it had closed
  // the next day), so that its trail shows the others' purge.
  expect((await keptCaseRecordsOf(sys.db, subjectId)).find((k) => k.caseId === caseId)!.purgeOn).toBe(purgeDayOfCaseRecord(closedAt.get(caseId)!));
  await sys.db.case.update({ where: { id: caseId }, data: { purgeOn: new Date(`${dayAfter(dueDay)}T00:00:00Z`) } });
  const auditRowsBefore = await sys.db.auditEvent.count({ where: { caseId: { in: caseIds } } });
  expect(auditRowsBefore).toBeGreaterThan(0);

  const due = await purgeAsOf(dueDay, 2);
  // Gone whole, in every table of a case record, the audit trail included; counted per table on the run.
  expect(await sys.db.case.count({ where: { id: { in: caseIds } } })).toBe(0);
  for (const [table, where] of [['tasks', 'case_id'], ['audit_events', 'case_id'], ['notifications', 'case_id'], ['case_steps', 'case_id'], ['repair_requests', 'case_id'], ['complaints', 'case_id'], ['idempotency_records', 'case_id']] as const) {
    const [{ n }] = await sys.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where} = ANY($1::text[])`, caseIds);
    expect({ table, n }).toEqual({ table, n: 0 });
  }
  expect(due.counts.transactionRecord.cases).toBeGreaterThanOrEqual(caseIds.length);
  expect(due.counts.transactionRecord.audit_events).toBeGreaterThanOrEqual(auditRowsBefore);
  const run = await sys.db.retentionRun.findUniqueOrThrow({ where: { id: `retention-purge-kept-${tag}-2` } });
  expect((run.counts as any).transactionRecord).toEqual(due.counts.transactionRecord);
  const metric = (await sys.metrics.getSingleMetric('casework_retention_purged_rows_total')!.get()).values;
  expect(metric.find((m) => m.labels.rule === 'transactionRecord' && m.labels.table === 'cases')?.value).toBeGreaterThanOrEqual(caseIds.length);
  // The request's trail records each purge (the purged case's own trail went with it).
  const notes = await sys.db.auditEvent.findMany({ where: { caseId, type: 'retention.kept_record_purged' } });
  expect(notes.map((e) => (e.payload as any).caseId).sort()).toEqual([...caseIds].sort());
  expect(await sys.db.case.count({ where: { id: caseId } })).toBe(1);
  // Its own day comes the next day; nobody else's record was touched.
  const last = await purgeAsOf(dayAfter(dueDay), 3);
  expect(last.counts.transactionRecord.cases).toBeGreaterThanOrEqual(1);
  expect(await sys.db.case.count({ where: { subjectId } })).toBe(0);
  expect(await sys.db.case.count({ where: { id: { in: others } } })).toBe(others.length);
});
