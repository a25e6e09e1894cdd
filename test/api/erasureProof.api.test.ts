// The proof of erasure (policy 2.4.1; PIPL art. 47) on the real stack: a person with cases in every process that
// holds personal data (a registration, a return with an upload and a thread, a warranty repair, a complaint), their
// contact, e-mails and SMS; a verified deletion request fulfilled; then every store scanned (lib/erasureScan.ts):
// every table as the raw text of its rows, the mail files, the blob store and every Temporal history of the namespace,
// for each of the person's values in clear and in every reversible encoding. None is found. The committed history
// fixtures still replay (test/replay, the same run).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { scanForErasedValues } from '../../lib/erasureScan';
import { isSealed, sealerFor } from '../../lib/sealedFields';
import { complaintBody, idem, repairBody, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';

const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erasure-proof-mail-'));
let sys: TestSystem;
beforeAll(async () => {
  process.env.MAIL_CATCHER_DIR = mailDir; // where the request's erasure finds the development mail catcher's files
  sys = await startTestSystem({ mailDir });
});
afterAll(async () => {
  delete process.env.MAIL_CATCHER_DIR;
  await sys?.stop();
  fs.rmSync(mailDir, { recursive: true, force: true });
});

const ok = (res: { status: number; body: any }, status = 200) => expect({ status: res.status, body: res.status === status ? undefined : res.body }).toEqual({ status, body: undefined });
const open = (body: unknown, key = sys.keys.storefront.apiKey) => call(sys, 'POST', '/v1/cases', { key, body, headers: { 'Idempotency-Key': idem() } });
const caseOf = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey })).body;

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
  form.append('file', new Blob([Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${values.uploadTitle}) >>\nendobj\n%%EOF\n`)]), 'receipt.pdf');
  const upload = await fetch(`${sys.api.url}/v1/cases/${ret.body.caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form });
  expect(upload.status).toBe(201);
  const attachmentId = ((await upload.json()) as { attachmentId: string }).attachmentId;
  ok(await call(sys, 'POST', `/v1/cases/${ret.body.caseId}/messages`, { key: sys.keys.storefront.apiKey, body: { body: values.returnWords, attachmentIds: [attachmentId] } }), 201);
  for (const id of [ret.body.caseId, repair.body.caseId, complaint.body.caseId]) await mailsDelivered(sys, id);
  // Before: the scan finds the person only where a value is kept in clear on purpose (its reach, on the same stores):
  // the mails sent to the address (the development catcher's files) and the capture SMS gateway's log (sms_outbox).
  // Everything else is sealed at rest with the subject's key (lib/sealedFields.ts, lib/blobs.ts): names, the mobile,
  // the username, the contact, every text and the upload's bytes, so not found even before.
  const targets = { db: sys.db, folders: [mailDir, sys.blobDir], temporal: sys.api.deps.temporal.clients.forIdentity('erasure-proof') };
  const before = await scanForErasedValues(targets, values);
  expect(new Set(before.findings.map((f) => f.label))).toEqual(new Set(['mobile', 'email']));
  expect(before.findings.filter((f) => !((f.store === 'database' && f.where === 'sms_outbox') || (f.store === 'files' && f.where.startsWith(mailDir))))).toEqual([]);

  // A copy of the sealed bytes as a backup or replica would hold them: they open with the subject's key now.
  const subjectId = registration.subjectId;
  const sealer = sealerFor(sys.db, sys.api.deps.ports.keys);
  const regRow = await sys.db.registration.findUniqueOrThrow({ where: { id: registration.id } });
  const partyRow = await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'customer', id: userRef } } });
  const repairRow = await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId: repair.body.caseId } });
  const backup = [regRow.fullName, regRow.mobileSealed, regRow.usernameSealed, partyRow.email, partyRow.displayName, repairRow.description];
  expect(backup.every(isSealed)).toBe(true);
  expect(await sealer.open(subjectId, backup)).toEqual([values.name, values.mobile, values.username, values.email, values.displayName, values.repairWords]);
  const uploadRow = await sys.db.attachment.findUniqueOrThrow({ where: { id: attachmentId } });
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
  for (const id of [ret.body.caseId, repair.body.caseId, complaint.body.caseId]) {
    const r = await call(sys, 'POST', `/v1/cases/${id}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
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
});
