// Signed webhooks over HTTP against the real API, PostgreSQL and Temporal dev server: the carrier's delivery event
// reaches the case waiting for the parcel once (patch carrier-delivery-events); a repeated event id is acknowledged
// without a second signal; unsigned, badly signed, stale, replayed and malformed requests change nothing.
import crypto from 'node:crypto';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';
import { sendWebhook, signedWebhook } from '../helpers/webhooks';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const signed = signedWebhook;
const send = (req: { raw: string; headers: Record<string, string> }, source = 'carrier') => sendWebhook(sys, req, source);

const caseOf = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
async function deliverySignals(caseId: string) {
  const history = await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } });
  return history.history!.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'carrierDelivered');
}

/** A return approved and shipped back with `trackingNumber`: the case waits for the parcel. */
async function returnAwaitingReceipt(trackingNumber: string): Promise<string> {
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  const caseId = res.body.caseId as string;
  const review = await eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.merchant.apiKey })).body?.tasks?.find((t: any) => t.type === 'return.merchant_review'), 'merchant review');
  expect((await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } })).status).toBe(200);
  await eventually(async () => (await caseOf(caseId)).step === 'awaiting_customer_shipment', 'awaiting shipment');
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/shipment`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', trackingNumber } })).status).toBe(200);
  await eventually(async () => (await caseOf(caseId)).step === 'awaiting_receipt', 'awaiting receipt');
  await eventually(() => sys.db.caseParcel.findFirst({ where: { caseId, trackingNumber } }), 'the parcel watched');
  return caseId;
}

test("the carrier's delivery event reaches the case once: accepted (202), the goods received at the carrier's time; the same event again is acknowledged (200) without a second signal", async () => {
  const tracking = `WH${crypto.randomBytes(5).toString('hex').toUpperCase()}`;
  const caseId = await returnAwaitingReceipt(tracking);
  const deliveredAt = new Date().toISOString(); // after the shipment, before the case hears of it
  const event = { eventId: `sf-${crypto.randomUUID()}`, type: 'delivered', trackingNumber: tracking, deliveredAt, carrier: 'SF' };

  const first = await send(signed(event));
  expect(first.status).toBe(202);
  expect(first.body).toEqual({ status: 'accepted', source: 'carrier', eventId: event.eventId, caseId });
  await eventually(async () => (await caseOf(caseId)).step !== 'awaiting_receipt', 'receipt by the event');
  const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events;
  const received = await eventually(async () => (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events.find((e: any) => e.type === 'return.goods_received'), 'goods received');
  expect(received.payload).toEqual({ by: 'carrier', via: 'event', receivedAt: new Date(deliveredAt).toISOString() });
  expect(timeline.filter((e: any) => e.type === 'webhook.received').map((e: any) => e.payload)).toEqual([{ source: 'carrier', eventId: event.eventId, type: 'delivered', deliveredAt }]);

  // The carrier sends the same event again (a new request, a new nonce): acknowledged, nothing more.
  const again = await send(signed(event));
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ status: 'duplicate', source: 'carrier', eventId: event.eventId, caseId });
  expect(await deliverySignals(caseId)).toHaveLength(1);
  const rows = await sys.db.webhookEvent.findMany({ where: { source: 'carrier', eventId: event.eventId } });
  expect(rows).toEqual([expect.objectContaining({ caseId, type: 'delivered', signalledAt: expect.any(Date) })]);
  expect((await call(sys, 'GET', `/v1/cases/${caseId}/audit/verify`, { key: sys.keys.auditor.apiKey })).body.valid).toBe(true);
});

test('refused and nothing changed: no signature or a bad one (401), a stale timestamp (401), a replayed nonce (409), a malformed body (400), an unknown source or tracking number (404)', async () => {
  const tracking = `WH${crypto.randomBytes(5).toString('hex').toUpperCase()}`;
  const caseId = await returnAwaitingReceipt(tracking);
  const event = { eventId: `sf-${crypto.randomUUID()}`, type: 'delivered', trackingNumber: tracking, deliveredAt: new Date().toISOString() };
  const codeOf = (r: { status: number; body: any }) => [r.status, r.body?.error?.code];

  expect(codeOf(await call(sys, 'POST', '/v1/webhooks/carrier', { body: event }))).toEqual([401, 'SIGNATURE_MISSING']);
  expect(codeOf(await send(signed(event, { secret: 'another-secret-of-thirty-two-characters!' })))).toEqual([401, 'SIGNATURE_INVALID']);
  const tampered = signed(event);
  expect(codeOf(await send({ ...tampered, raw: tampered.raw.replace('delivered', 'delivered ') }))).toEqual([401, 'SIGNATURE_INVALID']);
  // Whole seconds, and the server reads its clock a little later: 5 s past the 300 s tolerance either way.
  expect(codeOf(await send(signed(event, { ts: Math.floor(Date.now() / 1000) - 305 })))).toEqual([401, 'TIMESTAMP_STALE']);
  expect(codeOf(await send(signed(event, { ts: Math.ceil(Date.now() / 1000) + 305 })))).toEqual([401, 'TIMESTAMP_STALE']);

  // A nonce seen before is a replay, even of a request that was refused for its body.
  const malformed = signed(undefined, { raw: '{"eventId": "x", ' });
  expect(codeOf(await send(malformed))).toEqual([400, 'MALFORMED_JSON']);
  expect(codeOf(await send(malformed))).toEqual([409, 'NONCE_REPLAYED']);
  const invalid = await send(signed({ ...event, trackingNumber: undefined, extra: 1 }));
  expect(codeOf(invalid)).toEqual([400, 'VALIDATION_FAILED']);
  expect(invalid.body.error.details.map((d: any) => d.path).sort()).toEqual(['', 'trackingNumber']);
  expect(codeOf(await send(signed({ ...event, type: 'lost' })))).toEqual([400, 'VALIDATION_FAILED']);
  const nul = await send(signed({ ...event, carrier: 'S\u0000F' }));
  expect(codeOf(nul)).toEqual([400, 'INVALID_CHARACTERS']);
  expect(nul.body.error.details[0]).toMatchObject({ in: 'body', path: 'carrier' });

  expect(codeOf(await send(signed(event), 'postman'))).toEqual([404, 'NOT_FOUND']);
  expect(codeOf(await send(signed({ ...event, trackingNumber: 'NOSUCHPARCEL01' })))).toEqual([404, 'NOT_FOUND']);

  // Nothing reached the case, nothing was stored; then the good request goes through, and its exact replay is refused.
  expect(await deliverySignals(caseId)).toHaveLength(0);
  expect(await sys.db.webhookEvent.count({ where: { caseId } })).toBe(0);
  expect((await caseOf(caseId)).step).toBe('awaiting_receipt');
  const good = signed(event);
  expect((await send(good)).status).toBe(202);
  expect(codeOf(await send(good))).toEqual([409, 'NONCE_REPLAYED']);
  await eventually(async () => (await caseOf(caseId)).step !== 'awaiting_receipt', 'receipt by the event');
  expect(await deliverySignals(caseId)).toHaveLength(1);
});

test('the route is in the API description, public, signed by headers', async () => {
  const doc = (await call(sys, 'GET', '/openapi.json')).body;
  const op = doc.paths['/v1/webhooks/{source}'].post;
  expect(op).toMatchObject({ operationId: 'receiveWebhook', tags: ['webhooks'], security: [] });
  expect(op.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['source', 'X-Webhook-Timestamp', 'X-Webhook-Nonce', 'X-Webhook-Signature']));
  expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '401', '404', '409']));
});
