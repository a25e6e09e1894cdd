// Authorised access to personal data (policy 2.2.2; lib/personalAccess.ts, api/routes/personalData.ts) on the real
// stack: a complaint's words and its thread shown in clear to the parties and to the staff roles that need them,
// masked for the others; every read in clear by staff recorded with who, what, which case and why; auditors list the
// record per subject.
import crypto from 'node:crypto';
import { idem, complaintBody } from '../../scripts/harness/bodies';
import { attachEvidence, call, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let caseId: string;
let subjectId: string;
const words = 'The parcel arrived crushed; I called twice and nobody answered.';
const reply = 'We are sorry: we will send a replacement.';
beforeAll(async () => {
  sys = await startTestSystem();
  const body = complaintBody(sys.keys.merchant.merchantId!, { description: words });
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  caseId = opened.body.caseId;
  subjectId = (await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).subjectId!;
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/messages`, { key: sys.keys.merchant.apiKey, body: { body: reply } })).status).toBe(201);
});
afterAll(async () => {
  await sys?.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(caseId).terminate('test over').catch(() => undefined);
  await sys?.stop();
});

const reads = () => sys.db.personalDataRead.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
const messages = (key: string, headers: Record<string, string> = {}) => call(sys, 'GET', `/v1/cases/${caseId}/messages`, { key, headers });
// Sealed at rest (lib/sealedFields.ts): a masked reader's value is never decrypted, so not even its length shows.
const masked = (_s: string) => '[masked]';

test('the parties read their thread in clear, unrecorded; an agent in clear, recorded with the purpose; an auditor masked, unrecorded', async () => {
  for (const key of [sys.keys.storefront.apiKey, sys.keys.merchant.apiKey]) expect((await messages(key)).body.messages.map((m: any) => m.body)).toEqual([reply]);
  expect(await reads()).toEqual([]);

  expect((await messages(sys.keys.agent.apiKey)).body.messages.map((m: any) => m.body)).toEqual([reply]);
  expect((await messages(sys.keys.agent.apiKey, { 'X-Access-Purpose': 'security_incident' })).status).toBe(200);
  const common = { principalId: sys.keys.agent.id, role: 'agent', subjectId, caseId, tableName: 'thread_messages', columns: ['body'], rows: 1, route: 'listCaseMessages' };
  expect(await reads()).toEqual([expect.objectContaining({ ...common, purpose: 'case_handling' }), expect.objectContaining({ ...common, purpose: 'security_incident' })]);

  expect((await messages(sys.keys.auditor.apiKey)).body.messages.map((m: any) => m.body)).toEqual([masked(reply)]);
  expect(await reads()).toHaveLength(2);
});

test('an unknown purpose is refused (400) and nothing is read or recorded', async () => {
  const before = (await reads()).length;
  const r = await messages(sys.keys.agent.apiKey, { 'X-Access-Purpose': 'curiosity' });
  expect(r.status).toBe(400);
  expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'X-Access-Purpose' })] });
  expect(await reads()).toHaveLength(before);
});

test("the complaint's words on the case: in clear for an agent (recorded), masked for an auditor, absent for the merchant", async () => {
  const before = (await reads()).length;
  const asAgent = await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey, headers: { 'X-Access-Purpose': 'case_handling' } });
  expect(asAgent.body.complaint.description).toBe(words);
  const recorded = (await reads()).slice(before);
  expect(recorded).toEqual([expect.objectContaining({ principalId: sys.keys.agent.id, tableName: 'complaints', columns: ['description'], rows: 1, purpose: 'case_handling', route: 'getCase', subjectId })]);
  expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body.complaint.description).toBe(masked(words));
  expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.merchant.apiKey })).body.complaint.description).toBeUndefined();
  expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey, headers: { 'X-Access-Purpose': 'nosy' } })).status).toBe(400);
  expect(await reads()).toHaveLength(before + 1);
});

test('a file cannot be masked: a download by staff is recorded with its purpose, by a party not', async () => {
  const attachmentId = await attachEvidence(sys, caseId, sys.keys.storefront.apiKey);
  const before = (await reads()).length;
  const download = (key: string, headers: Record<string, string> = {}) => fetch(`${sys.api.url}/v1/cases/${caseId}/attachments/${attachmentId}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  expect((await download(sys.keys.storefront.apiKey)).status).toBe(200);
  expect(await reads()).toHaveLength(before);
  const byAuditor = await download(sys.keys.auditor.apiKey, { 'X-Access-Purpose': 'audit' });
  expect(byAuditor.status).toBe(200);
  expect((await byAuditor.arrayBuffer()).byteLength).toBeGreaterThan(0);
  expect((await reads()).slice(before)).toEqual([expect.objectContaining({ principalId: sys.keys.auditor.id, role: 'auditor', tableName: 'attachments', columns: ['content'], rows: 1, purpose: 'audit', route: 'downloadAttachment', caseId, subjectId })]);
  expect((await download(sys.keys.agent.apiKey, { 'X-Access-Purpose': 'whatever' })).status).toBe(400);
  expect(await reads()).toHaveLength(before + 1);
});

test("a held mail's sender and words, read by an agent reviewing the quarantine: recorded against the mail's subject and case", async () => {
  const id = `qm_${crypto.randomUUID().replace(/-/g, '')}`;
  await sys.db.inboundMailQuarantine.create({
    data: { id, mailFrom: 'held@customer.test', fromAddress: 'held@customer.test', subject: 'about my complaint', rcptTo: ['case+x@reply.casework.test'], reason: 'bad_token', textBody: 'my words, held', rawSha256: 'b'.repeat(64), attachments: [], receivedAt: new Date(), caseId, subjectId },
  });
  const before = (await reads()).length;
  const listed = await call(sys, 'GET', '/v1/inbound-mail/quarantine?limit=200', { key: sys.keys.agent.apiKey, headers: { 'X-Access-Purpose': 'case_handling' } });
  expect(listed.status).toBe(200);
  expect(listed.body.mails.find((m: any) => m.quarantineId === id)).toMatchObject({ fromAddress: 'held@customer.test', subject: 'about my complaint', textBody: 'my words, held' });
  expect((await reads()).slice(before)).toEqual(
    expect.arrayContaining([expect.objectContaining({ principalId: sys.keys.agent.id, tableName: 'inbound_mail_quarantine', columns: ['from_address', 'mail_from', 'subject', 'text_body'], rows: 4, route: 'listQuarantinedMail', caseId, subjectId })]),
  );
  await sys.db.inboundMailQuarantine.update({ where: { id }, data: { status: 'discarded', decidedBy: 'prn_test', decidedAt: new Date() } });
});

test("auditors and supervisors list a subject's access record, newest first, a page at a time; others may not (403); an unknown subject is 404", async () => {
  const all = await reads();
  const first = await call(sys, 'GET', `/v1/subjects/${subjectId}/access-record?limit=2`, { key: sys.keys.auditor.apiKey });
  expect(first.status).toBe(200);
  expect(first.body.subjectId).toBe(subjectId);
  expect(first.body.reads).toHaveLength(2);
  expect(first.body.reads[0]).toEqual({ at: expect.any(String), principalId: sys.keys.agent.id, role: 'agent', caseId, table: 'inbound_mail_quarantine', columns: ['from_address', 'mail_from', 'subject', 'text_body'], rows: 4, purpose: 'case_handling', route: 'listQuarantinedMail' });
  expect(first.body.reads[1]).toMatchObject({ principalId: sys.keys.auditor.id, table: 'attachments', purpose: 'audit', route: 'downloadAttachment' });
  const rest = await call(sys, 'GET', `/v1/subjects/${subjectId}/access-record?cursor=${first.body.nextCursor}`, { key: sys.keys.supervisor.apiKey });
  expect(rest.status).toBe(200);
  expect([...first.body.reads, ...rest.body.reads]).toHaveLength(all.length);
  expect(rest.body.nextCursor).toBeNull();
  for (const key of [sys.keys.agent.apiKey, sys.keys.merchant.apiKey, sys.keys.storefront.apiKey]) expect((await call(sys, 'GET', `/v1/subjects/${subjectId}/access-record`, { key })).status).toBe(403);
  expect((await call(sys, 'GET', '/v1/subjects/sub_nobody/access-record', { key: sys.keys.auditor.apiKey })).status).toBe(404);
  expect((await call(sys, 'GET', `/v1/subjects/${subjectId}/access-record?limit=0`, { key: sys.keys.auditor.apiKey })).status).toBe(400);
});
