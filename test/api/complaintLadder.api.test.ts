// The complaint's mediation over HTTP against the real Temporal dev server and PostgreSQL (policy 8.3, 8.4): a
// negotiation that lapses (a policy with a 3 s window), mediation asked for, a mediator (the role the complaint module
// declares) claiming the task from the inbox, recording a session and concluding with an agreement it uploaded, both
// parties accepting, the compensation paid once, the rating; then the mediated case's signed dossier verifies and fails
// after one changed byte. And arbitration: the worker exports the signed dossier as a case attachment, the award is
// recorded and paid under its own key.
import http from 'node:http';
import { verifyDossier } from '../../lib/dossier';
import { createApp } from '../../api/app';
import type { PolicyConfig } from '../../processes/policyDocument';
import { testPolicy } from '../../scripts/harness/timeSkipping';
import { complaintBody, idem } from '../../scripts/harness/bodies';
import { attachEvidence, call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
/** The same system behind an app whose complaint policy negotiates for 3 s. */
let quick: TestSystem;
let server: http.Server;
const opened: string[] = [];

beforeAll(async () => {
  sys = await startTestSystem();
  const policy: PolicyConfig = testPolicy((p) => {
    p.complaint.negotiation = { within: { amount: 0.05, unit: 'minutes' }, remindAt: 0.7, onBreach: 'default-decision' };
  });
  server = http.createServer(createApp({ ...sys.api.deps, currentPolicy: () => policy }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  quick = { ...sys, api: { ...sys.api, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` } };
});
afterAll(async () => {
  for (const id of opened) await sys?.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await new Promise((r) => server?.close(r));
  await sys?.stop();
});

const ok = (res: { status: number; body: any }, status = 200) => expect({ status: res.status, body: res.status === status ? undefined : res.body }).toEqual({ status, body: undefined });
const caseOf = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
const atStep = (caseId: string, step: string) => eventually(async () => ((await caseOf(caseId)).step === step ? true : undefined), step, 20_000);
const openTask = (caseId: string, type: string, key = sys.keys.agent.apiKey) =>
  eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key })).body?.tasks?.find((t: any) => t.type === type), `${type} task`);
const action = (caseId: string, name: string, key: string, body: unknown) => call(sys, 'POST', `/v1/cases/${caseId}/actions/${name}`, { key, body });

/** Opened by the storefront, reviewed, classified, the merchant replied; the 3 s negotiation lapses; mediation asked for. */
async function toMediation(): Promise<string> {
  const res = await call(quick, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: complaintBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  ok(res, 201);
  const caseId: string = res.body.caseId;
  opened.push(caseId);
  for (const [type, payload] of [
    ['complaint.information_review', { outcome: 'complete' }],
    ['complaint.preliminary_judgement', { classification: 'product_quality' }],
  ] as const) {
    const t = await openTask(caseId, type);
    ok(await call(sys, 'POST', `/v1/tasks/${t.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload } }));
  }
  await atStep(caseId, 'merchant_reply');
  ok(await call(sys, 'POST', `/v1/cases/${caseId}/messages`, { key: sys.keys.merchant.apiKey, body: { body: 'We sent two replacements already; we will not refund.' } }), 201);
  // No settlement in the 3 s window: mediation is offered, and only the complainant asks for it.
  await atStep(caseId, 'mediation_offered');
  expect((await action(caseId, 'request-mediation', sys.keys.merchant.apiKey, {})).status).toBe(403);
  ok(await action(caseId, 'request-mediation', sys.keys.storefront.apiKey, {}));
  await atStep(caseId, 'mediation');
  return caseId;
}

test('arbitration: the worker exports the signed dossier as an attachment; the award is recorded and paid under award:<caseId>:<n>', async () => {
  const caseId = await toMediation();
  // The mediation is the mediation body's: a supervisor may not conclude it; a mediator records its failure.
  const t = await openTask(caseId, 'complaint.mediation', sys.keys.supervisor.apiKey);
  expect((await call(sys, 'POST', `/v1/tasks/${t.taskId}/complete`, { key: sys.keys.supervisor.apiKey, body: { payload: { outcome: 'failed', reason: 'party_refused' } } })).status).toBe(403);
  const mediator = (await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'mediator three', role: 'mediator' } })).body.apiKey as string;
  ok(await call(sys, 'POST', `/v1/tasks/${t.taskId}/complete`, { key: mediator, body: { payload: { outcome: 'failed', reason: 'party_refused' } } }));
  await atStep(caseId, 'outside_route_offered');
  const bad = await action(caseId, 'choose-outside-route', sys.keys.storefront.apiKey, { route: 'mediation', institution: 'CIETAC' });
  expect(bad.status).toBe(400);
  ok(await action(caseId, 'choose-outside-route', sys.keys.storefront.apiKey, { route: 'arbitration', institution: 'CIETAC', reference: 'CIETAC 2026-0042' }));
  await atStep(caseId, 'arbitration');
  const update = await openTask(caseId, 'complaint.outside_status_update');
  // The dossier for the institution: a tar among the case's attachments, uploaded by the system, that verifies.
  const exported = await eventually(async () => (await sys.db.auditEvent.findFirst({ where: { caseId, type: 'complaint.dossier_exported' } }))?.payload as any, 'dossier exported');
  const list = (await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.agent.apiKey })).body;
  expect(list.attachments.find((a: any) => a.attachmentId === exported.attachmentId)).toMatchObject({ contentType: 'application/x-tar' });
  const tar = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments/${exported.attachmentId}`, { headers: { authorization: `Bearer ${sys.keys.auditor.apiKey}` } });
  const key = await call(sys, 'GET', '/v1/audit/signing-key', { key: sys.keys.auditor.apiKey });
  expect(await verifyDossier(Buffer.from(await tar.arrayBuffer()), { trustedPublicKeyPem: key.body.publicKeyPem })).toMatchObject({ valid: true });
  // The award, attached by the agent, recorded; what it orders is paid once under its own key.
  const award = await attachEvidence(sys, caseId, sys.keys.agent.apiKey, 'arbitral award');
  ok(await call(sys, 'POST', `/v1/tasks/${update.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { status: 'decided', result: 'for_complainant', decisionId: award, amount: '450.00' } } }));
  await atStep(caseId, 'rating');
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } })).status).toBe(422);
  ok(await action(caseId, 'complaint-rating', sys.keys.storefront.apiKey, { rating: 2 }));
  await eventually(async () => ((await caseOf(caseId)).outcome === 'awarded' ? true : undefined), 'closed awarded');
  expect(await sys.db.payment.findMany({ where: { caseId } })).toEqual([expect.objectContaining({ kind: 'complaint_award', amountMinor: 45000, idempotencyKey: `award:${caseId}:1`, status: 'succeeded' })]);
});

test('a mediated complaint: the mediator claims from the inbox, both parties accept the agreement, the compensation is paid once; its dossier verifies', async () => {
  const caseId = await toMediation();

  // The mediator: a principal of the role the complaint module declares, created by an admin.
  const created = await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'mediator one', role: 'mediator' } });
  ok(created, 201);
  const mediator: string = created.body.apiKey;
  const other = (await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'mediator two', role: 'mediator' } })).body.apiKey as string;
  const inbox = await eventually(async () => (await call(sys, 'GET', '/v1/tasks?role=mediator&status=open&assignee=none', { key: mediator })).body?.tasks?.find((t: any) => t.caseId === caseId), 'the inbox');
  expect(inbox).toMatchObject({ type: 'complaint.mediation', role: 'mediator' });
  ok(await call(sys, 'POST', `/v1/tasks/${inbox.taskId}/claim`, { key: mediator, body: {} }));
  expect((await call(sys, 'POST', `/v1/tasks/${inbox.taskId}/claim`, { key: other, body: {} })).status).toBe(409);
  // The mediator's work is the mediator's: an agent may not conclude it, a merchant may not record a session.
  expect((await call(sys, 'POST', `/v1/tasks/${inbox.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { outcome: 'failed', reason: 'other' } } })).status).toBe(403);
  expect((await action(caseId, 'record-mediation-session', sys.keys.merchant.apiKey, { form: 'video', attended: [], result: 'progress' })).status).toBe(403);
  const minutes = await attachEvidence(sys, caseId, mediator, 'session minutes');
  ok(await action(caseId, 'record-mediation-session', mediator, { form: 'video', attended: ['complainant', 'merchant'], result: 'progress', minutesId: minutes }));
  ok(await call(sys, 'POST', `/v1/cases/${caseId}/messages`, { key: mediator, body: { body: 'The draft agreement is attached to the case.' } }), 201);
  const agreement = await attachEvidence(sys, caseId, mediator, 'mediation agreement');
  // An agreement that is not an attachment of the case: 422, nothing changed.
  const unknown = await call(sys, 'POST', `/v1/tasks/${inbox.taskId}/complete`, { key: mediator, body: { payload: { outcome: 'agreement', agreementId: `att_${'0'.repeat(32)}`, terms: 'compensation', amount: '88.00' } } });
  expect({ status: unknown.status, code: unknown.body.error?.code }).toEqual({ status: 422, code: 'UNKNOWN_ATTACHMENT' });
  ok(await call(sys, 'POST', `/v1/tasks/${inbox.taskId}/complete`, { key: mediator, body: { payload: { outcome: 'agreement', agreementId: agreement, terms: 'compensation', amount: '88.00' } } }));
  await atStep(caseId, 'mediation_agreement');

  // Both parties accept; the second answer of the same party is refused.
  ok(await action(caseId, 'respond-mediation-agreement', sys.keys.merchant.apiKey, { decision: 'accept' }));
  expect((await action(caseId, 'respond-mediation-agreement', sys.keys.merchant.apiKey, { decision: 'accept' })).status).toBe(409);
  ok(await action(caseId, 'respond-mediation-agreement', sys.keys.storefront.apiKey, { decision: 'accept' }));
  await atStep(caseId, 'rating');
  ok(await action(caseId, 'complaint-rating', sys.keys.storefront.apiKey, { rating: 4 }));
  await eventually(async () => ((await caseOf(caseId)).outcome === 'mediated' ? true : undefined), 'closed mediated');

  const payments = await sys.db.payment.findMany({ where: { caseId } });
  expect(payments).toEqual([expect.objectContaining({ kind: 'complaint_compensation', amountMinor: 8800, idempotencyKey: `settlement:${caseId}:1`, status: 'succeeded' })]);
  const trail = await sys.db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } });
  const accepted = trail.filter((e) => e.type === 'complaint.mediation_agreement_accepted');
  expect(accepted.map((e) => [(e.payload as any).party, e.actor])).toEqual([
    ['merchant', sys.keys.merchant.id],
    ['complainant', sys.keys.storefront.id],
  ]);
  expect(trail.find((e) => e.type === 'complaint.mediation_session')?.actor).toBe(created.body.id);

  // The dossier of the mediated case: every run (the mediation began a new one), verified; one changed byte fails.
  const key = await call(sys, 'GET', '/v1/audit/signing-key', { key: sys.keys.auditor.apiKey });
  const dossier = await fetch(`${sys.api.url}/v1/cases/${caseId}/dossier`, { headers: { authorization: `Bearer ${sys.keys.auditor.apiKey}` } });
  expect(dossier.status).toBe(200);
  const bytes = Buffer.from(await dossier.arrayBuffer());
  const verified = await verifyDossier(bytes, { trustedPublicKeyPem: key.body.publicKeyPem });
  expect(verified).toMatchObject({ valid: true });
  expect(bytes.includes(Buffer.from('complaint.mediation_agreement_accepted'))).toBe(true);
  const at = bytes.indexOf(Buffer.from('complaint.mediation_agreed'));
  expect(at).toBeGreaterThan(0);
  const changed = Buffer.from(bytes);
  changed[at + 12] = changed[at + 12] === 0x61 ? 0x62 : 0x61;
  expect(await verifyDossier(changed, { trustedPublicKeyPem: key.body.publicKeyPem })).toMatchObject({ valid: false });
});
