// Case threads over HTTP against the real API, PostgreSQL and SMTP: messages between the customer (through the
// storefront), the merchant and staff, paged; the timeline records that each exists, never its words; the other parties
// are told by e-mail in their locale.
import { mailText } from '../../lib/mailCatcher';
import { historyText } from '../helpers/history';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

async function openReturn() {
  const body = returnBody(sys.keys.merchant.merchantId);
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  return { caseId: res.body.caseId as string, customerEmail: body.customerContact.email as string };
}
const post = (caseId: string, key: string, body: unknown) => call(sys, 'POST', `/v1/cases/${caseId}/messages`, { key, body });

test('the customer, the merchant and an agent write; the thread pages in order; the timeline holds no words; the others are e-mailed in their locale', async () => {
  const { caseId, customerEmail } = await openReturn();
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n')]), 'photo.pdf');
  const attachment: any = await (await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form })).json();

  const words = ['The zip broke on the first day, photo attached.', '我们已收到照片,请寄回商品。', 'Customer service here: the merchant has your photo.'];
  const first = await post(caseId, sys.keys.storefront.apiKey, { body: words[0], attachmentIds: [attachment.attachmentId] });
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ messageId: expect.stringMatching(/^msg_[0-9a-f]{32}$/), caseId, party: 'customer', authorRole: 'storefront', body: words[0], attachmentIds: [attachment.attachmentId] });
  expect(first.headers.get('location')).toBe(`/v1/cases/${caseId}/messages`);
  expect((await post(caseId, sys.keys.merchant.apiKey, { body: words[1] })).body.party).toBe('merchant');
  expect((await post(caseId, sys.keys.agent.apiKey, { body: words[2] })).body.party).toBe('staff');

  const page1 = await call(sys, 'GET', `/v1/cases/${caseId}/messages?limit=2`, { key: sys.keys.agent.apiKey });
  expect(page1.status).toBe(200);
  expect(page1.body.messages.map((m: any) => [m.party, m.body])).toEqual([['customer', words[0]], ['merchant', words[1]]]);
  // An auditor reads that the messages exist, their words masked and never decrypted (policy 2.2.2, lib/personalAccess.ts).
  const audited = await call(sys, 'GET', `/v1/cases/${caseId}/messages?limit=2`, { key: sys.keys.auditor.apiKey });
  expect(audited.body.messages.map((m: any) => m.body)).toEqual(['[masked]', '[masked]']);
  const page2 = await call(sys, 'GET', `/v1/cases/${caseId}/messages?limit=2&cursor=${page1.body.nextCursor}`, { key: sys.keys.merchant.apiKey });
  expect(page2.body).toMatchObject({ messages: [{ party: 'staff', body: words[2] }], nextCursor: null });

  const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body;
  const posted = timeline.events.filter((e: any) => e.type === 'thread.message_posted');
  expect(posted.map((e: any) => e.payload)).toEqual([
    { messageId: first.body.messageId, party: 'customer', attachments: 1 },
    { messageId: expect.any(String), party: 'merchant', attachments: 0 },
    { messageId: expect.any(String), party: 'staff', attachments: 0 },
  ]);
  for (const w of words) expect(JSON.stringify(timeline)).not.toContain(w);
  expect((await call(sys, 'GET', `/v1/cases/${caseId}/audit/verify`, { key: sys.keys.auditor.apiKey })).body.valid).toBe(true);

  // The case's workflow heard of each message (a process may wait on a reply), by id and party, never its words.
  const history = await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } });
  const signals = history.history!.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'threadMessagePosted');
  expect(signals).toHaveLength(3);
  const text = historyText(history);
  expect(text).toContain(first.body.messageId);
  for (const w of words) expect(text).not.toContain(w);

  // E-mail: the merchant hears of the customer's and the agent's messages (zh-CN), the customer of the merchant's and
  // the agent's (en); nobody of their own; no message's words are in any e-mail.
  const threadMails = (to: string) => sys.mail.messages.filter((m) => m.to.includes(to) && m.headers['x-case-id'] === caseId && m.headers['x-notification-id'].includes(':thread:'));
  const merchantMails = await eventually(async () => (threadMails(`${sys.keys.merchant.merchantId}@merchant.test`).length === 2 ? threadMails(`${sys.keys.merchant.merchantId}@merchant.test`) : undefined), 'merchant thread e-mails', 60_000);
  const customerMails = await eventually(async () => (threadMails(customerEmail).length === 2 ? threadMails(customerEmail) : undefined), 'customer thread e-mails', 60_000);
  // (the catcher joins a long encoded subject's words with spaces)
  expect(merchantMails.map((m) => m.subject.replace(/\s+/g, ''))).toEqual([`案件${caseId}有新留言`, `案件${caseId}有新留言`]);
  const merchantTexts = merchantMails.map((m) => mailText(m.raw)).sort();
  expect(merchantTexts.some((t) => t.includes('消费者在案件') && t.includes('附件 1 个'))).toBe(true);
  expect(merchantTexts.some((t) => t.includes('平台客服在案件'))).toBe(true);
  expect(customerMails.map((m) => m.subject)).toEqual([`New message on case ${caseId}`, `New message on case ${caseId}`]);
  expect(customerMails.map((m) => mailText(m.raw).split(' wrote')[0]).sort()).toEqual(['Customer service', 'The merchant']);
  for (const m of [...merchantMails, ...customerMails]) for (const w of words) expect(mailText(m.raw)).not.toContain(w);
});

test('bad messages change nothing: empty, unknown attachment, another merchant, a role that may not write, a closed case, a bad cursor', async () => {
  const { caseId } = await openReturn();
  const count = () => sys.db.threadMessage.count({ where: { caseId } });
  expect((await post(caseId, sys.keys.storefront.apiKey, { body: '   ' })).status).toBe(400);
  expect((await post(caseId, sys.keys.storefront.apiKey, { body: 'x', extra: true })).status).toBe(400);
  const unknown = await post(caseId, sys.keys.storefront.apiKey, { body: 'see attached', attachmentIds: [`att_${'a'.repeat(32)}`] });
  expect(unknown.status).toBe(422);
  expect(unknown.body.error).toMatchObject({ code: 'UNKNOWN_ATTACHMENT', details: { missing: [`att_${'a'.repeat(32)}`] } });
  expect((await post(caseId, sys.keys.otherMerchant.apiKey, { body: 'not my case' })).status).toBe(404);
  expect((await post(caseId, sys.keys.auditor.apiKey, { body: 'auditors read' })).status).toBe(403);
  expect((await call(sys, 'GET', `/v1/cases/${caseId}/messages?cursor=nonsense`, { key: sys.keys.agent.apiKey })).status).toBe(400);
  expect((await call(sys, 'GET', `/v1/cases/${caseId}/messages`, { key: sys.keys.otherMerchant.apiKey })).status).toBe(404);
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } })).status).toBe(200);
  const closed = await post(caseId, sys.keys.storefront.apiKey, { body: 'too late' });
  expect(closed.status).toBe(409);
  expect(closed.body.error.code).toBe('CASE_CLOSED');
  expect(await count()).toBe(0);
});
