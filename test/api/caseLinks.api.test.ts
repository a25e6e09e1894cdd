// Opening cases from anywhere, and linking them, over HTTP against the real Temporal dev server and PostgreSQL: a return
// rejected at platform review opens a linked complaint (the catalogue's complaint process, channel linked_case) through the
// case-opening service the worker holds; both cases show the link (GET /v1/cases/{caseId}/links) and record it on their
// timelines; the same idempotency key never opens a second case, from the API or from the service.
import { caseLinkActivities } from '../../activities/caseLinks';
import { createCaseOpening, openCase } from '../../processes/caseOpening';
import { complaintProcess } from '../../processes/complaint';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
const complaints: string[] = [];
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  // The complaints wait on an agent's review for days: their runs are ended here.
  for (const id of complaints) await sys?.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await sys?.stop();
});

async function openTask(caseId: string, type: string, key: string) {
  return eventually(async () => {
    const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key });
    return r.body?.tasks?.find((t: any) => t.type === type);
  }, `${type} task`);
}

test('a return rejected at platform review hands over to a complaint: both cases show the link and record it; the merchant sees it, another merchant does not', async () => {
  const body: any = returnBody(sys.keys.merchant.merchantId, { requestType: 'refund_only', reasonCode: 'not_received', order: { deliveredAt: undefined } });
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const returnId: string = opened.body.caseId;
  const review = await openTask(returnId, 'return.merchant_review', sys.keys.merchant.apiKey);
  expect((await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'reject', reasonCode: 'goods_delivered' } } })).status).toBe(200);
  const platform = await openTask(returnId, 'return.platform_review', sys.keys.agent.apiKey);
  expect((await call(sys, 'POST', `/v1/tasks/${platform.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'reject', reasonCode: 'goods_delivered' } } })).status).toBe(200);
  await eventually(async () => (await call(sys, 'GET', `/v1/cases/${returnId}`, { key: sys.keys.auditor.apiKey })).body.outcome === 'rejected', 'the return closed rejected');

  // The return: handed over to the complaint it opened.
  const fromReturn = (await call(sys, 'GET', `/v1/cases/${returnId}/links`, { key: sys.keys.auditor.apiKey })).body;
  expect(fromReturn.links).toHaveLength(1);
  const [out] = fromReturn.links;
  expect(out).toMatchObject({ type: 'handed_over_to', storedType: 'handed_over_to', direction: 'outgoing', caseType: 'complaint', createdBy: 'system' });
  const complaintId: string = out.caseId;
  complaints.push(complaintId);
  expect(out.href).toBe(`/v1/cases/${complaintId}`);

  // The complaint: escalated from the return; opened by the platform with the return's ids.
  const fromComplaint = (await call(sys, 'GET', `/v1/cases/${complaintId}/links`, { key: sys.keys.auditor.apiKey })).body;
  expect(fromComplaint.links).toEqual([{ ...out, type: 'escalated_from', direction: 'incoming', caseId: returnId, caseType: 'return', href: `/v1/cases/${returnId}` }]);
  const complaint = (await call(sys, 'GET', `/v1/cases/${complaintId}`, { key: sys.keys.auditor.apiKey })).body;
  expect(complaint).toMatchObject({ type: 'complaint', customerId: body.order.customerId, merchantId: sys.keys.merchant.merchantId, summary: { returnCaseId: returnId, orderId: body.order.orderId, reasonCode: 'goods_delivered' } });

  // Both timelines record it, under the event the link names.
  const timeline = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events;
  const returnEvents = await timeline(returnId);
  expect(returnEvents.filter((e: any) => e.type === 'case.linked').map((e: any) => e.payload)).toEqual([{ linkType: 'handed_over_to', direction: 'outgoing', caseId: complaintId, caseType: 'complaint' }]);
  // The link comes before the close: the customer's rejection notice goes out with the complaint already open.
  const types = returnEvents.map((e: any) => e.type);
  expect(types.indexOf('case.linked')).toBeLessThan(types.indexOf('case.closed'));
  expect((await timeline(complaintId)).filter((e: any) => e.type === 'case.linked').map((e: any) => e.payload)).toEqual([
    { linkType: 'escalated_from', direction: 'incoming', caseId: returnId, caseType: 'return', linkEventKey: out.eventKey },
  ]);
  expect((await call(sys, 'GET', `/v1/cases/${returnId}/audit/verify`, { key: sys.keys.auditor.apiKey })).body.valid).toBe(true);
  expect((await call(sys, 'GET', `/v1/cases/${complaintId}/audit/verify`, { key: sys.keys.auditor.apiKey })).body.valid).toBe(true);

  // Authorised like the other case reads: the case's merchant sees the links, another merchant not even the case.
  expect((await call(sys, 'GET', `/v1/cases/${complaintId}/links`, { key: sys.keys.merchant.apiKey })).body.links).toHaveLength(1);
  expect((await call(sys, 'GET', `/v1/cases/${returnId}/links`, { key: sys.keys.otherMerchant.apiKey })).status).toBe(404);

  // The activity retried (its input as the case derived it: the key from the case id and the event's sequence) opens
  // nothing new and records nothing twice.
  const linkEvent = returnEvents.find((e: any) => e.type === 'case.linked');
  const stored = await sys.db.auditEvent.findFirstOrThrow({ where: { caseId: returnId, type: 'case.linked' } });
  const { openLinkedCase } = caseLinkActivities({ db: sys.db, logger: sys.api.deps.logger, caseOpening: createCaseOpening(sys.api.deps) });
  const again = await openLinkedCase({
    fromCaseId: returnId,
    caseType: 'complaint',
    body: { returnCaseId: returnId, orderId: body.order.orderId, lineItemId: body.order.lineItemId, customerId: body.order.customerId, merchantId: sys.keys.merchant.merchantId!, reasonCode: 'goods_delivered' },
    linkType: 'handed_over_to',
    idempotencyKey: `${returnId}:link:${stored.eventKey.split(':').pop()}`,
    eventKey: stored.eventKey,
    at: linkEvent.at,
  });
  expect(again).toEqual({ status: 'linked', caseId: complaintId, caseType: 'complaint', replayed: true });
  expect(await sys.db.case.count({ where: { type: 'complaint', summary: { path: ['returnCaseId'], equals: returnId } } })).toBe(1);
  expect((await call(sys, 'GET', `/v1/cases/${returnId}/links`, { key: sys.keys.auditor.apiKey })).body.links).toHaveLength(1);
  expect((await timeline(complaintId)).filter((e: any) => e.type === 'case.linked')).toHaveLength(1);
});

test('the same idempotency key opens one case: twice over POST /v1/cases, twice through the service', async () => {
  const key = idem();
  const body = returnBody(sys.keys.merchant.merchantId);
  const first = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  const second = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect([first.status, second.status]).toEqual([201, 200]);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect(second.body.caseId).toBe(first.body.caseId);
  expect(await sys.db.idempotencyRecord.count({ where: { principalId: sys.keys.storefront.id, key } })).toBe(1);
  // Another body under the key: refused, nothing opened.
  const other = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': key } });
  expect(other.status).toBe(409);
  expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

  // The service, without Express: the same validation (400) and the same idempotency.
  const principal = { id: sys.keys.agent.id, name: 'agent', role: 'agent' as const, merchantId: null, scopes: [] };
  const complaintBody = { returnCaseId: first.body.caseId, orderId: body.order.orderId, lineItemId: 'LI-1', customerId: body.order.customerId, merchantId: sys.keys.merchant.merchantId!, reasonCode: 'other' };
  await expect(openCase(sys.api.deps, { process: complaintProcess, body: { ...complaintBody, orderId: 'not an id!' }, principal, idempotencyKey: idem() })).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  await expect(openCase(sys.api.deps, { process: complaintProcess, body: complaintBody, principal, idempotencyKey: 'short' })).rejects.toMatchObject({ status: 400, code: 'IDEMPOTENCY_KEY_REQUIRED' });
  const serviceKey = idem();
  const a = await openCase(sys.api.deps, { process: complaintProcess, body: complaintBody, principal, idempotencyKey: serviceKey });
  complaints.push(a.caseId);
  const b = await openCase(sys.api.deps, { process: complaintProcess, body: complaintBody, principal, idempotencyKey: serviceKey });
  expect(a).toEqual({ caseId: expect.stringMatching(/^CMP-/), replayed: false });
  expect(b).toEqual({ caseId: a.caseId, replayed: true });
  expect(await sys.db.case.count({ where: { type: 'complaint', summary: { path: ['returnCaseId'], equals: first.body.caseId } } })).toBe(1);
});
