// Replies by e-mail, over real SMTP (nodemailer to the inbound listener on a random port) against the real API,
// PostgreSQL and Temporal: a notice carries a signed Reply-To; a reply from the party's own address becomes a thread
// message and is signalled to the case; a bad token, another sender, a refused attachment are quarantined for an agent,
// who releases or discards them; an oversize message is refused at SMTP. And each accepted notice is a delivery
// receipt signalled to the case's workflow (noticeDelivered).
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import { queueNotification } from '../../activities/caseWrites';
import { poolOf } from '../../lib/db';
import { isSealed, sealerFor } from '../../lib/sealedFields';
import { mailSenderRef } from '../../lib/subjects';
import { loadConfig, secretsOf } from '../../lib/config';
import zlib from 'node:zlib';
import { readStored } from '../../lib/blobs';
import { dataExportLinkSecret, exportSubjectData } from '../../lib/subjectExport';
import { filesOfTar } from '../helpers/tar';
import { historyText } from '../helpers/history';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

const MAX_BYTES = 200_000;
const DOMAIN = 'reply.casework.test';
let sys: TestSystem;
let smtp: ReturnType<typeof nodemailer.createTransport>;
beforeAll(async () => {
  sys = await startTestSystem({ inboundMail: { maxBytes: MAX_BYTES } });
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: sys.api.inboundMail!.port, secure: false, ignoreTLS: true });
});
afterAll(async () => {
  smtp?.close();
  await sys?.stop();
});

const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n');
// Bytes of this run only: the database is shared, and a file's clear blob stays while any row anywhere names its hash.
const RECEIPT = Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${crypto.randomUUID()}) >>\nendobj\n%%EOF\n`);

/** A return case, and the Reply-To of the first notice its customer received. */
async function openReturn() {
  const body = returnBody(sys.keys.merchant.merchantId);
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  const caseId = res.body.caseId as string;
  const customerEmail = body.customerContact.email as string;
  const notice = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(customerEmail) && m.headers['x-case-id'] === caseId), 'a notice to the customer', 60_000);
  const replyTo = /^Reply-To:\s*<?([^>\r\n]+)>?\s*$/im.exec(notice.raw)?.[1];
  expect(replyTo).toMatch(new RegExp(`^case\\+${caseId.toLowerCase()}\\.c\\.[a-z2-7]{16}@${DOMAIN.replace(/\./g, '\\.')}$`));
  return { caseId, customerEmail, replyTo: replyTo!, notice };
}
const threadSignals = async (caseId: string) => {
  const history = await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } });
  return { history, signals: (name: string) => history.history!.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name) };
};
/**
 * The held mail whose subject line is `subject`, its words opened: a mail filed under a subject is sealed at rest with
 * its key (`sealedAtRest`), so it is found by opening, not by a column's value.
 */
async function quarantined(subject: string) {
  const rows = await sys.db.inboundMailQuarantine.findMany({ orderBy: { receivedAt: 'desc' }, take: 500 });
  const sealer = sealerFor(sys.db, sys.api.deps.ports.keys);
  for (const r of rows) {
    const [line, textBody, fromAddress, mailFrom] = await sealer.open(r.subjectId, [r.subject, r.textBody, r.fromAddress, r.mailFrom]);
    if (line !== subject) continue;
    // The files' names are sealed inside the JSON too (the stored ones: `storedFiles`).
    const storedFiles = r.attachments as { filename: string | null; sha256?: string; blobKey?: string }[];
    const names = await sealer.open(r.subjectId, storedFiles.map((f) => f.filename));
    return { ...r, subject: line, textBody: textBody!, fromAddress, mailFrom: mailFrom!, sealedAtRest: isSealed(r.textBody), storedFiles, attachments: storedFiles.map((f, i) => ({ ...f, filename: names[i] })) };
  }
  return null;
}

test("a notice queued with a receipt is signalled to its case once the mail server accepted it (noticeDelivered, its key and time); others are not", async () => {
  const { caseId, notice } = await openReturn();
  const kase = await sys.db.case.findUniqueOrThrow({ where: { id: caseId } });
  const key = `${caseId}:thread.message_posted:customer:${kase.customerId}:receipt-test`;
  await queueNotification(poolOf(sys.db), { key, caseId, template: 'thread.message_posted', recipient: { kind: 'customer', id: kase.customerId }, params: { caseId, from: 'staff', attachments: 0 }, at: new Date().toISOString(), eventKey: `${caseId}:receipt-test`, receipt: true }, sys.taskQueue);
  const row = await eventually(async () => sys.db.notification.findFirst({ where: { id: key, status: 'sent' } }), 'the notice recorded sent', 60_000);
  const { history, signals } = await eventually(async () => {
    const h = await threadSignals(caseId);
    return h.signals('noticeDelivered').length > 0 ? h : undefined;
  }, 'the delivery receipt in the history');
  expect(signals('noticeDelivered')).toHaveLength(1);
  const text = historyText(history);
  expect(text).toContain(key);
  expect(text).toContain(row.sentAt!.toISOString());
  // The opening's notice (sent before) asked for no receipt: only the one signal.
  expect(notice.headers['x-notification-id']).not.toBe(key);
});

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

test("a reply from the party's own address becomes its thread message: text as the body, the PDF and the HTML as files, the workflow told", async () => {
  const { caseId, customerEmail, replyTo } = await openReturn();
  await smtp.sendMail({
    from: customerEmail,
    to: replyTo,
    subject: 'Re: your return',
    text: 'Here is the receipt you asked for.',
    html: '<p>Here is the receipt <script>alert(1)</script></p>',
    attachments: [{ filename: 'receipt.pdf', content: RECEIPT, contentType: 'application/pdf' }],
  });
  const messages = (await call(sys, 'GET', `/v1/cases/${caseId}/messages`, { key: sys.keys.agent.apiKey })).body.messages;
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatchObject({ party: 'customer', authorRole: 'email', body: 'Here is the receipt you asked for.' });
  const attachments = (await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.agent.apiKey })).body.attachments;
  expect(attachments.map((a: any) => [a.contentType, a.filename]).sort()).toEqual([['application/pdf', 'receipt.pdf'], ['text/html', 'message.html']]);
  expect([...messages[0].attachmentIds].sort()).toEqual(attachments.map((a: any) => a.attachmentId).sort());
  // The HTML is a download, never rendered.
  const html = attachments.find((a: any) => a.contentType === 'text/html');
  const download = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments/${html.attachmentId}`, { headers: { authorization: `Bearer ${sys.keys.agent.apiKey}` } });
  expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
  expect(download.headers.get('content-security-policy')).toContain('sandbox');
  const { signals } = await threadSignals(caseId);
  expect(signals('threadMessagePosted')).toHaveLength(1);
  const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body;
  expect(timeline.events.find((e: any) => e.type === 'thread.message_posted').payload).toEqual({ messageId: messages[0].messageId, party: 'customer', attachments: 2, via: 'email' });
  expect(await sys.db.inboundMailQuarantine.count({ where: { caseId } })).toBe(0);
  // At rest, evidence by e-mail is sealed like an upload: its name and its bytes with the case customer's key, in a blob
  // of their own; the clear blob is gone (no held mail needs it).
  const rows = await sys.db.attachment.findMany({ where: { caseId } });
  expect(rows.map((r) => [isSealed(r.filename), /^[0-9a-f]{64}$/.test(r.blobKey ?? '')])).toEqual([[true, true], [true, true]]);
  expect(await sys.api.deps.ports.blobs.exists(sha256(RECEIPT))).toBe(false);
  const pdfRow = attachments.find((a: any) => a.contentType === 'application/pdf');
  const pdf = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments/${pdfRow.attachmentId}`, { headers: { authorization: `Bearer ${sys.keys.agent.apiKey}` } });
  expect(Buffer.from(await pdf.arrayBuffer()).equals(RECEIPT)).toBe(true);
});

test('untrusted mail is quarantined: a bad token, another sender, a refused attachment; an oversize message and another domain are refused at SMTP', async () => {
  const { caseId, customerEmail, replyTo } = await openReturn();
  const forged = replyTo.replace(/\.c\.[a-z2-7]{16}@/, '.m.aaaaaaaaaaaaaaaa@');
  await smtp.sendMail({ from: customerEmail, to: forged, subject: 'q-bad-token', text: 'forged' });
  expect(await quarantined('q-bad-token')).toMatchObject({ reason: 'bad_token', caseId: null, status: 'quarantined', textBody: expect.stringContaining('forged') });

  await smtp.sendMail({ from: 'someone@elsewhere.test', to: replyTo, subject: 'q-sender', text: 'I am the customer, honest', html: '<b>hi</b>' });
  const wrongSender = await quarantined('q-sender');
  expect(wrongSender).toMatchObject({ reason: 'sender_mismatch', caseId, party: 'customer', fromAddress: 'someone@elsewhere.test' });
  expect(wrongSender!.htmlSha256).toMatch(/^[0-9a-f]{64}$/);
  // The HTML part is a sealed blob of its own (htmlBlobKey); no clear copy is kept under its hash.
  const htmlBlob: Buffer[] = [];
  for await (const chunk of sys.api.deps.ports.blobs.read(wrongSender!.htmlBlobKey!)) htmlBlob.push(chunk as Buffer);
  expect(Buffer.concat(htmlBlob).subarray(0, 4).toString()).toBe('CWB1');
  expect(Buffer.concat(htmlBlob).includes(Buffer.from('<b>hi</b>'))).toBe(false);
  expect(await sys.api.deps.ports.blobs.exists(wrongSender!.htmlSha256!)).toBe(false);

  await smtp.sendMail({ from: customerEmail, to: replyTo, subject: 'q-attachment', text: 'see the program', attachments: [{ filename: 'invoice.pdf', content: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]), contentType: 'application/pdf' }] });
  const badType = await quarantined('q-attachment');
  expect(badType).toMatchObject({ reason: 'attachment_refused', caseId, attachments: [{ filename: 'invoice.pdf', refused: expect.stringMatching(/accepted/) }] });
  expect((badType!.attachments as any[])[0].sha256).toBeUndefined(); // the refused file is not kept
  expect(isSealed(badType!.storedFiles[0].filename)).toBe(true); // its name, sealed at rest
  // Filed under the case's customer (the token named them, or their own address sent it), a held mail is sealed at
  // rest with their key, and so is the whole message as received; the agent's list below opens it.
  for (const m of [await quarantined('q-bad-token'), wrongSender, badType]) expect({ subject: m!.subject, sealed: m!.sealedAtRest }).toEqual({ subject: m!.subject, sealed: true });
  const raw: Buffer[] = [];
  for await (const chunk of sys.api.deps.ports.blobs.read(wrongSender!.rawSha256)) raw.push(chunk as Buffer);
  expect(Buffer.concat(raw).subarray(0, 4).toString()).toBe('CWB1');
  expect(Buffer.concat(raw).includes(Buffer.from('honest'))).toBe(false);

  await expect(smtp.sendMail({ from: customerEmail, to: replyTo, subject: 'q-oversize', text: 'x'.repeat(MAX_BYTES + 10_000) })).rejects.toMatchObject({ responseCode: 552 });
  await expect(smtp.sendMail({ from: customerEmail, to: 'someone@example.org', subject: 'q-relay', text: 'relay me' })).rejects.toMatchObject({ responseCode: 550 });
  expect(await quarantined('q-oversize')).toBeNull();
  expect(await sys.db.threadMessage.count({ where: { caseId } })).toBe(0);

  // The agent's view: the list, newest first, with the words and the refused files.
  const list = await call(sys, 'GET', '/v1/inbound-mail/quarantine?limit=200', { key: sys.keys.agent.apiKey });
  expect(list.status).toBe(200);
  const mine = list.body.mails.filter((m: any) => ['q-bad-token', 'q-sender', 'q-attachment'].includes(m.subject));
  expect(mine.map((m: any) => [m.subject, m.reason])).toEqual([['q-attachment', 'attachment_refused'], ['q-sender', 'sender_mismatch'], ['q-bad-token', 'bad_token']]);
  expect(mine.find((m: any) => m.subject === 'q-sender')).toMatchObject({ hasHtml: true, textBody: expect.stringContaining('honest') });
  expect(mine.find((m: any) => m.subject === 'q-attachment').attachments).toEqual([{ sizeBytes: 202, contentType: 'application/pdf', filename: 'invoice.pdf', refused: expect.stringMatching(/accepted/) }]);
  expect((await call(sys, 'GET', '/v1/inbound-mail/quarantine', { key: sys.keys.merchant.apiKey })).status).toBe(403);
});

test('an agent releases quarantined mail into a case as a party (the workflow told), or discards it; each is decided once', async () => {
  const { caseId, replyTo } = await openReturn();
  await smtp.sendMail({ from: 'new-address@customer.test', to: replyTo, subject: 'q-release', text: 'My new address; the photo is attached.', attachments: [{ filename: 'photo.pdf', content: PDF }] });
  await smtp.sendMail({ from: 'spam@elsewhere.test', to: `case+nothing@${DOMAIN}`, subject: 'q-discard', text: 'buy now' });
  const toRelease = (await quarantined('q-release'))!;
  const toDiscard = (await quarantined('q-discard'))!;
  expect(toRelease.reason).toBe('sender_mismatch');
  expect(toDiscard.reason).toBe('bad_token');
  // Filed under the case's customer, sealed; from nobody known, filed under the sender's own subject (the one a
  // complaint they confirmed by e-mail would be theirs under: lib/subjects.ts mailSenderRef), sealed with its key.
  expect([toRelease.sealedAtRest, toDiscard.sealedAtRest]).toEqual([true, true]);
  const senderRef = mailSenderRef(loadConfig().REPLY_TOKEN_SECRET, 'spam@elsewhere.test');
  expect(toDiscard.subjectId).toBe((await sys.db.subjectRef.findUniqueOrThrow({ where: { kind_value: senderRef } })).subjectId);
  expect(toDiscard.subjectId).not.toBe(toRelease.subjectId);
  // The held photo: a sealed blob of its own, its name sealed; no clear copy under its hash.
  const [photo] = toRelease.storedFiles;
  expect({ named: isSealed(photo.filename), kept: photo.blobKey !== undefined, clear: await sys.api.deps.ports.blobs.exists(photo.sha256!) }).toEqual({ named: true, kept: true, clear: false });

  const bad = await call(sys, 'POST', `/v1/inbound-mail/quarantine/${toRelease.id}/release`, { key: sys.keys.agent.apiKey, body: { caseId, party: 'nobody' } });
  expect(bad.status).toBe(400);
  const released = await call(sys, 'POST', `/v1/inbound-mail/quarantine/${toRelease.id}/release`, { key: sys.keys.agent.apiKey, body: { caseId, party: 'customer' } });
  expect(released.status).toBe(200);
  expect(released.body).toMatchObject({ quarantineId: toRelease.id, caseId, party: 'customer', messageId: expect.stringMatching(/^msg_/) });
  const messages = (await call(sys, 'GET', `/v1/cases/${caseId}/messages`, { key: sys.keys.agent.apiKey })).body.messages;
  expect(messages).toEqual([expect.objectContaining({ messageId: released.body.messageId, party: 'customer', body: 'My new address; the photo is attached.', attachmentIds: [expect.stringMatching(/^att_/)] })]);
  // Released, the held file is the case's: opened and sealed again with the case customer's key, the same bytes.
  const photoRow = await sys.db.attachment.findUniqueOrThrow({ where: { id: messages[0].attachmentIds[0] } });
  expect({ sha256: photoRow.sha256, sealed: photoRow.blobKey !== null && photoRow.blobKey !== photo.blobKey }).toEqual({ sha256: photo.sha256, sealed: true });
  const download = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments/${photoRow.id}`, { headers: { authorization: `Bearer ${sys.keys.agent.apiKey}` } });
  expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);
  const { signals } = await threadSignals(caseId);
  expect(signals('threadMessagePosted')).toHaveLength(1);
  expect(await sys.db.inboundMailQuarantine.findUnique({ where: { id: toRelease.id } })).toMatchObject({ status: 'released', decidedBy: expect.any(String), threadMessageId: released.body.messageId });
  const again = await call(sys, 'POST', `/v1/inbound-mail/quarantine/${toRelease.id}/release`, { key: sys.keys.supervisor.apiKey, body: { caseId, party: 'customer' } });
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('ALREADY_DECIDED');

  const discarded = await call(sys, 'POST', `/v1/inbound-mail/quarantine/${toDiscard.id}/discard`, { key: sys.keys.agent.apiKey, body: {} });
  expect(discarded.status).toBe(200);
  expect((await call(sys, 'POST', `/v1/inbound-mail/quarantine/${toDiscard.id}/release`, { key: sys.keys.agent.apiKey, body: { caseId, party: 'customer' } })).status).toBe(409);
  const list = await call(sys, 'GET', '/v1/inbound-mail/quarantine?status=discarded&limit=200', { key: sys.keys.supervisor.apiKey });
  expect(list.body.mails.map((m: any) => m.quarantineId)).toContain(toDiscard.id);
  expect((await call(sys, 'POST', `/v1/inbound-mail/quarantine/qm_${'0'.repeat(32)}/discard`, { key: sys.keys.agent.apiKey, body: {} })).status).toBe(404);
  expect((await call(sys, 'POST', `/v1/inbound-mail/quarantine/${toDiscard.id}/release`, { key: sys.keys.agent.apiKey, body: { caseId: 'RET-missing', party: 'customer' } })).status).toBe(409);
});

test("a mail held under its sender's own subject and released as the case's customer is filed under that customer: words, names and blobs sealed again with their key; their export opens it", async () => {
  const { caseId } = await openReturn();
  const kase = await sys.db.case.findUniqueOrThrow({ where: { id: caseId } });
  const words = `Sent from my other mailbox ${crypto.randomUUID()}`;
  const photo = Buffer.from(`%PDF-1.7\n% a photo ${crypto.randomUUID()}\n%%EOF\n`);
  await smtp.sendMail({ from: 'other-mailbox@elsewhere.test', to: `case+nothing@${DOMAIN}`, subject: 'q-refile', text: words, html: `<p>${words}</p>`, attachments: [{ filename: 'other-photo.pdf', content: photo }] });
  const held = (await quarantined('q-refile'))!;
  expect(held.subjectId).not.toBe(kase.subjectId); // the sender's own
  const before = { raw: held.rawSha256, html: held.htmlBlobKey!, file: held.storedFiles[0].blobKey! };

  const released = await call(sys, 'POST', `/v1/inbound-mail/quarantine/${held.id}/release`, { key: sys.keys.agent.apiKey, body: { caseId, party: 'customer' } });
  expect(released.status).toBe(200);
  const row = await sys.db.inboundMailQuarantine.findUniqueOrThrow({ where: { id: held.id } });
  expect(row.subjectId).toBe(kase.subjectId);
  const sealer = sealerFor(sys.db, sys.api.deps.ports.keys);
  const [file] = row.attachments as { sha256: string; blobKey: string; filename: string }[];
  expect(await sealer.open(kase.subjectId, [row.textBody, file.filename])).toEqual([words, 'other-photo.pdf']);
  // New sealed blobs under the customer's key; the ones sealed with the sender's key are gone.
  const bytes = async (key: string) => {
    const stream = await readStored(sys.api.deps.ports.blobs, sealer, { sha256: key, blobKey: key }, kase.subjectId);
    const parts: Buffer[] = [];
    for await (const c of stream!) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };
  expect((await bytes(file.blobKey)).equals(photo)).toBe(true);
  expect((await bytes(row.htmlBlobKey!)).toString()).toBe(`<p>${words}</p>`);
  expect((await bytes(row.rawSha256)).includes(Buffer.from(words))).toBe(true);
  for (const key of Object.values(before)) expect({ key, kept: await sys.api.deps.ports.blobs.exists(key) }).toEqual({ key, kept: false });

  // The customer's export (PIPL art. 45) holds the mail opened: its row's words and file names, its blobs' bytes.
  const cfg = loadConfig(process.env);
  const ex = await exportSubjectData({ db: sys.db, blobs: sys.api.deps.ports.blobs, keys: sys.api.deps.ports.keys, linkSecret: dataExportLinkSecret(secretsOf(cfg)) }, kase.subjectId!);
  const archive: Buffer[] = [];
  for await (const c of sys.api.deps.ports.blobs.read(ex.sha256)) archive.push(c as Buffer);
  const files = await filesOfTar(zlib.gunzipSync(Buffer.concat(archive)));
  const heldRows = JSON.parse(files.get('tables/inbound_mail_quarantine.json')!.toString('utf8')) as { text_body: string; attachments: { filename: string }[] }[];
  expect(heldRows.find((r) => r.text_body === words)?.attachments.map((f) => f.filename)).toEqual(['other-photo.pdf']);
  expect(files.get(`blobs/${file.blobKey}`)!.equals(photo)).toBe(true);
  expect(files.get(`blobs/${row.rawSha256}`)!.includes(Buffer.from(words))).toBe(true);
});
