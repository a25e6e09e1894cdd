// Complaints by e-mail (policy 8.1), over real SMTP (nodemailer to the inbound listener) against the real API,
// PostgreSQL and Temporal: a mail to complaints@ is kept and a confirmation link goes back to its From address (read
// from the mail catcher); nothing opens until the link is confirmed (a GET shows the page only); the confirmation opens
// one complaint (channel email) with the mail's words in PostgreSQL only and its files attached, the same case on a
// second confirmation; a bad or expired link opens nothing; a known customer's address is that customer; the case's
// notices reach the sender, whose reply lands in the case's thread. Expired intakes are purged.
import { openedParty } from '../helpers/sealed';
import { blindIndexerFor } from '../../lib/blindIndex';
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import { mailText } from '../../lib/mailCatcher';
import { isSealed, sealerFor } from '../../lib/sealedFields';
import { historyText } from '../helpers/history';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

const DOMAIN = 'reply.casework.test';
const INTAKE = `complaints@${DOMAIN}`;
let sys: TestSystem;
let smtp: ReturnType<typeof nodemailer.createTransport>;
beforeAll(async () => {
  sys = await startTestSystem({ inboundMail: {} });
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: sys.api.inboundMail!.port, secure: false, ignoreTLS: true });
});
afterAll(async () => {
  smtp?.close();
  await sys?.stop();
});

const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n');
const unique = () => crypto.randomUUID().slice(0, 8);

/** The confirmation e-mail the sender received, and the path of its link. */
async function confirmationTo(address: string) {
  const mail = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(address) && /mail-intake\/complaint\//.test(mailText(m.raw))), `the confirmation to ${address}`, 60_000);
  const path = /https?:\/\/[^/\s]+(\/mail-intake\/complaint\/mi_[0-9a-f]{32}\.[a-z2-7]{26})/.exec(mailText(mail.raw))?.[1];
  expect(path).toBeDefined();
  return { mail, path: path! };
}
const intakeOfPath = (path: string) => sys.db.mailIntake.findUniqueOrThrow({ where: { id: /(mi_[0-9a-f]{32})/.exec(path)![1] } });
/** An intake as stored (sealed with its sender's subject's key), and opened with that key. */
async function openedIntake(path: string) {
  const stored = await intakeOfPath(path);
  const sealer = sealerFor(sys.db, sys.api.deps.ports.keys);
  const [fromAddress, subject, description] = await sealer.open(stored.subjectId, [stored.fromAddress, stored.subject, stored.description]);
  const files = stored.attachments as { filename: string | null; sha256?: string; blobKey?: string }[];
  const names = await sealer.open(stored.subjectId, files.map((f) => f.filename));
  return { stored, opened: { ...stored, fromAddress, subject, description, attachments: files.map((f, i) => ({ ...f, filename: names[i] })) } };
}
const intakesFrom = async (address: string) => sys.db.mailIntake.count({ where: { fromIndex: await blindIndexerFor(sys.api.deps.ports.keys)('email', address) } });

test('an unknown sender mails complaints@: confirmed by the link, one complaint (channel email) opens with its files, its words in PostgreSQL only; the sender is a complainant who gets the notices and replies into the thread', async () => {
  const sender = `someone-${unique()}@mailbox.test`;
  const words = `The kettle ${unique()} I bought leaks; the seller does not answer.`;
  await smtp.sendMail({
    from: sender,
    to: INTAKE,
    subject: 'Leaking kettle',
    text: words,
    html: `<p>${words}</p>`,
    attachments: [
      { filename: 'receipt.pdf', content: PDF, contentType: 'application/pdf' },
      { filename: 'run-me.exe', content: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]), contentType: 'application/pdf' },
    ],
  });

  // The confirmation went back to the From address, through the outbox (a stable Message-ID from its row), with the link.
  const { mail, path } = await confirmationTo(sender);
  const { stored, opened: intake } = await openedIntake(path);
  expect(intake).toMatchObject({ caseType: 'complaint', fromAddress: sender, status: 'pending', caseId: null, description: `Leaking kettle\n\n${words}` });
  expect(intake.attachments).toEqual([
    expect.objectContaining({ filename: 'receipt.pdf', contentType: 'application/pdf', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), blobKey: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    expect.objectContaining({ filename: 'run-me.exe', refused: expect.stringMatching(/accepted/) }),
    expect.objectContaining({ filename: 'message.html', contentType: 'text/html', blobKey: expect.stringMatching(/^[0-9a-f]{64}$/) }),
  ]);
  // At rest: filed under the sender's own subject (nobody's contact is the address), every personal value sealed with
  // its key (policy 1.3, 6.3.1): the address, the subject line, the words, the files' names; the files' bytes and the
  // HTML in sealed blobs of their own.
  expect(stored.subjectId).toMatch(/^sub_/);
  for (const v of [stored.fromAddress, stored.subject, stored.description, ...(stored.attachments as { filename: string }[]).map((f) => f.filename)]) expect(isSealed(v)).toBe(true);
  for (const f of intake.attachments.filter((x) => x.blobKey)) {
    const bytes: Buffer[] = [];
    for await (const chunk of sys.api.deps.ports.blobs.read(f.blobKey!)) bytes.push(chunk as Buffer);
    expect(Buffer.concat(bytes).subarray(0, 4).toString()).toBe('CWB1');
    expect(Buffer.concat(bytes).includes(Buffer.from(words))).toBe(false);
  }
  // The mail reaches the catcher a moment before the outbox marks its row sent.
  const notice = await eventually(async () => {
    const n = await sys.db.notification.findUniqueOrThrow({ where: { id: `${intake.id}:confirm` } });
    return n.status === 'sending' ? undefined : n;
  }, 'the confirmation marked sent');
  expect(notice).toMatchObject({ status: 'sent', template: 'complaint.email_confirmation', messageId: mail.messageId });
  expect(mail.raw).not.toContain(words); // the complainant's words never go into an e-mail

  // No case yet; the page (GET, as a mail client's prefetch) opens nothing.
  const pageRes = await fetch(`${sys.api.url}${path}`);
  expect(pageRes.status).toBe(200);
  expect(pageRes.headers.get('content-type')).toMatch(/^text\/html/);
  expect(pageRes.headers.get('referrer-policy')).toBe('no-referrer');
  expect(await pageRes.text()).toContain('<form method="post">');
  expect(await sys.db.complaintRecord.count({ where: { description: { contains: words } } })).toBe(0);
  expect((await intakeOfPath(path)).status).toBe('pending');

  // Confirmed: one complaint, channel email, opened by the intake.
  const first = await call(sys, 'POST', path);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ intakeId: intake.id, caseType: 'complaint', status: 'confirmed', caseId: expect.stringMatching(/^CMP-/), files: 1, refused: 1 });
  const caseId = first.body.caseId as string;
  const again = await call(sys, 'POST', path);
  expect(again.status).toBe(200);
  expect(again.body.caseId).toBe(caseId);
  const kase = await sys.db.case.findUniqueOrThrow({ where: { id: caseId } });
  expect(kase).toMatchObject({ type: 'complaint', openedBy: 'mail-intake', merchantId: 'unassigned', customerId: expect.stringMatching(/^mail-[0-9a-f]{24}$/) });
  // The complainant is the subject the intake was filed under; the opening body fixed at confirmation is sealed too.
  expect(kase.subjectId).toBe(stored.subjectId);
  expect(isSealed((await intakeOfPath(path)).openingBody)).toBe(true);
  expect(await sys.db.case.count({ where: { customerId: kase.customerId } })).toBe(1);
  // The sender is the complainant's stored contact.
  // Sealed with the complainant's key (policy 1.3), found again by its blind index.
  expect(await openedParty(sys, 'customer', kase.customerId)).toMatchObject({ email: sender, emailIndex: await blindIndexerFor(sys.api.deps.ports.keys)('email', sender) });

  const shown = (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey })).body;
  expect(shown.complaint).toMatchObject({ channel: 'email', category: 'other', description: `Leaking kettle\n\n${words}` });
  const attachments = (await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.agent.apiKey })).body.attachments;
  expect(attachments.map((a: any) => [a.contentType, a.filename, a.uploaderRole, a.uploadedBy]).sort()).toEqual([
    ['application/pdf', 'receipt.pdf', 'email', kase.customerId],
    ['text/html', 'message.html', 'email', kase.customerId],
  ]);
  for (const a of attachments) expect(a.attachmentId).toMatch(/^att_[0-9a-f]{32}$/);

  // The words and the address are in PostgreSQL only: never in the workflow's history.
  const history = await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } });
  const text = historyText(history);
  expect(text).toContain('email'); // the channel
  expect(text).not.toContain(words);
  expect(text).not.toContain(sender);

  // The case's notices reach the sender (complaint.received), whose reply lands in the thread.
  const received = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(sender) && m.headers['x-case-id'] === caseId), 'the complaint.received notice', 60_000);
  const replyTo = /^Reply-To:\s*<?([^>\r\n]+)>?\s*$/im.exec(received.raw)?.[1];
  expect(replyTo).toMatch(new RegExp(`^case\\+${caseId.toLowerCase()}\\.c\\.[a-z2-7]{16}@`));
  await smtp.sendMail({ from: sender, to: replyTo, subject: 'Re: your complaint', text: 'The order number is 12345.' });
  const messages = (await call(sys, 'GET', `/v1/cases/${caseId}/messages`, { key: sys.keys.agent.apiKey })).body.messages;
  expect(messages).toEqual([expect.objectContaining({ party: 'customer', authorRole: 'email', authorId: kase.customerId, body: 'The order number is 12345.' })]);

  // The merchant came unnamed: the agent's review must name it, and then that merchant's principals see the case.
  const review = await eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.agent.apiKey })).body?.tasks?.find((t: any) => t.type === 'complaint.information_review'), 'review task');
  const unnamed = await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { outcome: 'complete' } } });
  expect({ status: unnamed.status, message: unnamed.body.error?.message }).toEqual({ status: 409, message: expect.stringMatching(/name it \(merchantId\)/) });
  expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.merchant.apiKey })).status).toBe(404);
  const named = await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { outcome: 'complete', merchantId: sys.keys.merchant.merchantId } } });
  expect(named.status).toBe(200);
  await eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).merchantId === sys.keys.merchant.merchantId ? true : undefined), 'the merchant on the case row');
  expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.merchant.apiKey })).status).toBe(200);
});

test("a known customer's address is that customer; the page's button (a form post) is answered 303 to the page, which names the case", async () => {
  const address = `known-${unique()}@customer.test`;
  const customerId = `cust-${unique()}`;
  await sys.db.party.create({ data: { kind: 'customer', id: customerId, email: address.toUpperCase(), locale: 'en' } });
  await smtp.sendMail({ from: `Known Customer <${address}>`, to: INTAKE, subject: 'Late delivery', text: 'My parcel is two weeks late.' });
  const { mail, path } = await confirmationTo(address);
  expect(mail.subject).toBe('Please confirm your complaint e-mail'); // the customer's locale

  const posted = await fetch(`${sys.api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
  expect(posted.status).toBe(303);
  expect(posted.headers.get('location')).toBe(path);
  const intake = await intakeOfPath(path);
  expect(intake).toMatchObject({ status: 'confirmed', caseId: expect.stringMatching(/^CMP-/) });
  expect(await sys.db.case.findUniqueOrThrow({ where: { id: intake.caseId! } })).toMatchObject({ customerId, openedBy: 'mail-intake' });
  // The stored contact is kept as it was (no second customer, no new contact).
  expect(await sys.db.party.findUnique({ where: { kind_id: { kind: 'customer', id: customerId } } })).toMatchObject({ email: address.toUpperCase() });
  const pageText = await (await fetch(`${sys.api.url}${path}`)).text();
  expect(pageText).toContain(intake.caseId!);
  expect(pageText).not.toContain('<form');
});

test('a bad or expired link opens nothing (404, 410 LINK_EXPIRED); expired intakes are purged with their confirmation', async () => {
  const sender = `late-${unique()}@mailbox.test`;
  const late = Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${unique()}) >>\nendobj\n%%EOF\n`);
  await smtp.sendMail({ from: sender, to: INTAKE, subject: 'Too late', text: 'I will confirm this one too late.', attachments: [{ filename: 'late.pdf', content: late, contentType: 'application/pdf' }] });
  const { path } = await confirmationTo(sender);
  const { opened: intake } = await openedIntake(path);
  const lateKey = crypto.createHash('sha256').update(late).digest('hex');
  // Kept sealed in a blob of its own, never in clear under its hash.
  const lateFile = intake.attachments.find((f) => f.sha256 === lateKey)!;
  expect({ name: lateFile.filename, sealed: await sys.api.deps.ports.blobs.exists(lateFile.blobKey!), clear: await sys.api.deps.ports.blobs.exists(lateKey) }).toEqual({ name: 'late.pdf', sealed: true, clear: false });

  const forged = path.replace(/\.[a-z2-7]{26}$/, `.${'a'.repeat(26)}`);
  for (const bad of [forged, '/mail-intake/complaint/nonsense', path.replace(/mi_[0-9a-f]{32}/, `mi_${'0'.repeat(32)}`)]) {
    for (const method of ['GET', 'POST']) {
      const r = await call(sys, method, bad);
      expect({ bad, method, status: r.status, code: r.body?.error?.code }).toEqual({ bad, method, status: 404, code: 'NOT_FOUND' });
    }
  }
  await sys.db.mailIntake.update({ where: { id: intake.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const expired = await call(sys, 'POST', path);
  expect(expired.status).toBe(410);
  expect(expired.body.error.code).toBe('LINK_EXPIRED');
  expect((await call(sys, 'GET', path)).status).toBe(410);
  expect(await sys.db.mailIntake.findUniqueOrThrow({ where: { id: intake.id } })).toMatchObject({ status: 'pending', caseId: null, openingBody: null });

  // The reconciler's pass purges it, with its outbox row and recipient; the link then names nothing.
  await eventually(async () => (await sys.reconciler.runOnce(), (await sys.db.mailIntake.count({ where: { id: intake.id } })) === 0), 'the expired intake purged');
  expect(await sys.db.notification.count({ where: { caseId: intake.id } })).toBe(0);
  expect(await sys.db.party.count({ where: { kind: 'mail_intake', id: intake.id } })).toBe(0);
  // Its file's blob too: no other row names it.
  expect(await sys.api.deps.ports.blobs.exists(lateFile.blobKey!)).toBe(false);
  expect((await call(sys, 'POST', path)).status).toBe(404);
});

test('the same mail received twice (the sending server retried) is one intake and one confirmation; an automatic reply gets none', async () => {
  const sender = `twice-${unique()}@mailbox.test`;
  const messageId = `<${unique()}@mailbox.test>`;
  for (let i = 0; i < 2; i++) await smtp.sendMail({ from: sender, to: INTAKE, subject: 'Twice', text: 'Sent twice.', messageId });
  await confirmationTo(sender);
  expect(await intakesFrom(sender)).toBe(1);

  const robot = `robot-${unique()}@mailbox.test`;
  await smtp.sendMail({ from: robot, to: INTAKE, subject: 'Out of office', text: 'I am away.', headers: { 'Auto-Submitted': 'auto-replied' } });
  expect(await intakesFrom(robot)).toBe(0);
});

test('two confirmations at the same moment open one case, its files attached once', async () => {
  const sender = `double-${unique()}@mailbox.test`;
  await smtp.sendMail({ from: sender, to: INTAKE, subject: 'Double click', text: 'Pressed twice.', attachments: [{ filename: 'photo.pdf', content: PDF }] });
  const { path } = await confirmationTo(sender);
  const both = await Promise.all([call(sys, 'POST', path), call(sys, 'POST', path)]);
  expect(both.map((r) => r.status).sort()).toEqual([200, 201]);
  expect(both[0].body.caseId).toBe(both[1].body.caseId);
  const kase = await sys.db.case.findUniqueOrThrow({ where: { id: both[0].body.caseId } });
  expect(await sys.db.case.count({ where: { customerId: kase.customerId } })).toBe(1);
  expect(await sys.db.attachment.count({ where: { caseId: kase.id } })).toBe(1);
});
