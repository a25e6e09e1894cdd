// Warranty repair over HTTP against the real Temporal dev server, real PostgreSQL and real SMTP;
// the SLA report against rows seeded in PostgreSQL.
import { sealerFor } from '../../lib/sealedFields';
import crypto from 'node:crypto';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SimulatedPaymentGateway } from '../../lib/payments';
import { createWarrantyRepairActivities } from '../../activities/warrantyRepair';
import { SimulatedCarrierTracking } from '../../lib/carriers';
import { createLogger } from '../../lib/logger';
import { idem, repairBody as sharedRepairBody } from '../../scripts/harness/bodies';
import { warrantyEndingToday } from '../../scripts/harness/bodies';
import { attachEvidence, call, eventually, runningDeadlinesOnCase, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';
import { carrierDelivers } from '../helpers/webhooks';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const DAY = 24 * 3_600_000;
const HOUR = 3_600_000;
const MONTH = 30 * DAY;

const repairBody = (over: Parameters<typeof sharedRepairBody>[1] = {}) => sharedRepairBody(sys.keys.merchant.merchantId!, over);

async function openRepair(body = repairBody(), key = sys.keys.storefront.apiKey) {
  const res = await call(sys, 'POST', '/v1/cases', { key, body, headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  return { caseId: res.body.caseId as string, body, res };
}

async function openTask(caseId: string, type: string) {
  return eventually(async () => {
    const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.agent.apiKey });
    return r.body?.tasks?.find((t: any) => t.type === type);
  }, `${type} task`);
}

async function completeTask(caseId: string, type: string, payload: unknown, key = sys.keys.agent.apiKey) {
  const task = await openTask(caseId, type);
  const res = await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key, body: { payload } });
  expect({ type, status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({ type, status: 200, body: undefined });
  return task;
}

async function caseState(caseId: string) {
  return (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
}
const atStep = (caseId: string, step: string) => eventually(async () => ((await caseState(caseId)).step === step ? true : undefined), step);
const customer = (caseId: string, action: string, body: unknown) => call(sys, 'POST', `/v1/cases/${caseId}/actions/${action}`, { key: sys.keys.storefront.apiKey, body });

/** Every byte of the workflow's history, payloads included (they are stored as raw JSON). */
async function historyBytes(caseId: string): Promise<string> {
  const client = new Client({ connection: sys.connection });
  const history = await client.workflow.getHandle(caseId).fetchHistory();
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('utf8');
}

test('in warranty, end to end: open, agent answers, customer hands over, the carrier reports the arrival, repair recorded per item, shipping paid, warranty extended, rated; description and serial number never reach Temporal', async () => {
  const { caseId, body, res } = await openRepair();
  expect(res.headers.get('location')).toBe(`/v1/cases/${caseId}`);
  expect(caseId).toMatch(/^REP-/);
  expect(res.body).toMatchObject({ type: 'warranty_repair', status: 'open', customerId: body.order.customerId, merchantId: sys.keys.merchant.merchantId });
  expect(res.body.repair).toMatchObject({ description: body.description, productRef: 'SKU-KETTLE-2000', warrantyMonths: 12, inWarranty: true, paid: { amountMinor: 39900, currency: 'CNY' } });
  expect(res.body.repair.item).toEqual({ identifierKind: 'serial', identifier: body.item.serialNumber });
  expect(res.body.repair.itemId).toMatch(/^itm_/);
  expect(await sys.db.repairItem.findUniqueOrThrow({ where: { id: res.body.repair.itemId } })).toMatchObject({ productRef: 'SKU-KETTLE-2000', identifierKind: 'serial', identifier: body.item.serialNumber });
  expect(res.body.summary).toMatchObject({ inWarranty: true, problemCategory: 'does_not_power_on' });
  expect(JSON.stringify(res.body.summary)).not.toContain(body.description);

  const first = await completeTask(caseId, 'repair.first_response', { solution: 'free_repair' });
  expect(first).toMatchObject({ role: 'agent', sla: 'firstResponse', caseType: 'warranty_repair' });
  await atStep(caseId, 'awaiting_hand_over');
  await runningDeadlinesOnCase(sys, caseId, 'awaiting the hand-over');
  // The carrier's delivery event (its signed webhook) is the arrival.
  const handed = await customer(caseId, 'hand-over', { method: 'courier', carrier: 'SF', trackingNumber: 'SIM-DELIVERED-0001' });
  expect(handed.status).toBe(200);
  expect(handed.body.caseId).toBe(caseId);
  await carrierDelivers(sys, caseId, 'SIM-DELIVERED-0001');
  await eventually(async () => (await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).arrivalSource === 'carrier', 'arrival recorded');
  // Too early for notes: no report yet.
  expect((await call(sys, 'POST', `/v1/repairs/${caseId}/technician-notes`, { key: sys.keys.agent.apiKey, body: { text: 'Replaced the fuse' } })).status).toBe(409);
  await completeTask(caseId, 'repair.confirm_receipt', { outcome: 'received' });
  expect(Object.keys(await runningDeadlinesOnCase(sys, caseId, 'repairing'))).toContain('repair');
  const repair = await completeTask(caseId, 'repair.technician_report', { result: 'repaired', faultCode: 'power_supply', partsUsed: ['PSU-2000-A'] });
  expect(repair.sla).toBe('repair');
  const record = await eventually(async () => (await sys.db.repairItemHistory.findMany({ where: { caseId } }))[0], 'repair record');
  expect(record).toMatchObject({ itemId: res.body.repair.itemId, problemCategory: 'does_not_power_on', faultCode: 'power_supply', result: 'repaired', partsUsed: ['PSU-2000-A'], technicianId: sys.keys.agent.id, inWarranty: true });
  const notes = await call(sys, 'POST', `/v1/repairs/${caseId}/technician-notes`, { key: sys.keys.agent.apiKey, body: { text: 'Replaced the fuse; kettle base corroded' } });
  expect(notes.status).toBe(200);
  expect((await call(sys, 'POST', `/v1/repairs/${caseId}/technician-notes`, { key: sys.keys.storefront.apiKey, body: { text: 'x' } })).status).toBe(403);
  await completeTask(caseId, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  await atStep(caseId, 'awaiting_rating');
  const rated = await customer(caseId, 'rating', { rating: 5 });
  expect(rated.status).toBe(200);

  const closed = await eventually(async () => {
    const c = await caseState(caseId);
    return c.status === 'closed' ? c : undefined;
  }, 'closed');
  expect(closed).toMatchObject({ outcome: 'repaired', step: 'closed' });
  const row = await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } });
  // The customer's words sealed with the customer's key (policy 1.3): not in clear in the row, opened the same.
  expect(row.description).toMatch(/^sealed:v1:/);
  const { subjectId } = await sys.db.case.findUniqueOrThrow({ where: { id: caseId } });
  expect(await sealerFor(sys.db, sys.api.deps.ports.keys).open(subjectId, [row.description])).toEqual([body.description]);
  expect(row).toMatchObject({ result: 'repaired', faultCode: 'power_supply', returnCarrier: 'JD', returnTracking: 'JD0001234567', rating: 5, feedback: 'rated', handOverMethod: 'courier', handOverCarrier: 'SF' });
  expect(row.receivedAt).toBeInstanceOf(Date);
  // Three-guarantee rules art. 8: the warranty end moved by the time in repair.
  expect(row.warrantyEndsAt.getTime()).toBeGreaterThan(new Date(res.body.repair.warrantyEndsAt).getTime());
  expect((await sys.db.repairItemHistory.findFirstOrThrow({ where: { caseId } })).notes).toBe('Replaced the fuse; kettle base corroded');
  // 消法 art. 24: the courier to the centre paid back through the payment port, the shipment back booked.
  const payments = await sys.db.payment.findMany({ where: { caseId }, orderBy: { createdAt: 'asc' } });
  expect(payments.map((p) => [p.kind, p.payer, p.status, p.gatewayRef === null])).toEqual([
    ['repair_shipping', 'platform', 'succeeded', false],
    ['repair_return_shipping', 'platform', 'recorded', true],
  ]);
  for (const p of payments) expect(p.amountMinor).toBeLessThanOrEqual(3000);

  // The description and the contact stay in PostgreSQL: the history carries the order and product ids only.
  const bytes = await historyBytes(caseId);
  expect(bytes).toContain('SKU-KETTLE-2000');
  expect(bytes).toContain(body.order.orderId);
  expect(bytes).not.toContain(body.description);
  expect(bytes).not.toContain(body.customerContact.email);
  expect(bytes).not.toContain(body.item.serialNumber);
  expect(bytes).not.toContain('kettle base corroded');

  await mailsDelivered(sys, caseId);
  const timeline = await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey });
  const types = timeline.body.events.map((e: any) => e.type);
  expect(types[0]).toBe('case.opened');
  expect(types).toEqual(expect.arrayContaining(['repair.warranty_checked', 'repair.free_repair_confirmed', 'repair.handed_over', 'repair.item_arrived', 'payment.repair_shipping', 'repair.result_recorded', 'repair.warranty_extended', 'repair.rated', 'case.closed']));
  expect(JSON.stringify(timeline.body)).not.toContain(body.description);
  const verify = await call(sys, 'GET', `/v1/cases/${caseId}/audit/verify`, { key: sys.keys.auditor.apiKey });
  expect(verify.body).toMatchObject({ valid: true, events: timeline.body.events.length });

  const mail = await eventually(async () => {
    const m = sys.mail.messages.filter((x) => x.to.includes(body.customerContact.email));
    return m.length >= 6 ? m : undefined;
  }, 'customer e-mails');
  expect(mail.map((m) => m.subject)).toEqual([
    `We received your repair request ${caseId}`,
    `Please hand over the item (${caseId})`,
    `Your item arrived (${caseId})`,
    `Your item is on its way back (${caseId})`,
    `How did we do? (${caseId})`,
    `Repair ${caseId} completed: repaired`,
  ]);
});

test('the warranty as the Civil Code counts it: delivered at 00:00 Shanghai time twelve months before today, asked today, in warranty to 24:00 (arts. 201-203)', async () => {
  const { caseId, res } = await openRepair(repairBody(warrantyEndingToday(12)));
  expect(res.body.repair).toMatchObject({ inWarranty: true });
  const endsAt = new Date(res.body.repair.warrantyEndsAt).getTime();
  expect(endsAt).toBeGreaterThan(Date.now());
  expect((endsAt + 8 * 3_600_000) % 86_400_000).toBe(0); // 24:00 of a local day in Shanghai
  await openTask(caseId, 'repair.first_response');
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } })).status).toBe(200);
});

test('out of warranty: the agent quotes, the customer declines through the storefront; an agent can open a request too', async () => {
  const body = repairBody({ warrantyMonths: 12, deliveredAt: new Date(Date.now() - 14 * MONTH).toISOString() });
  const { caseId, res } = await openRepair(body, sys.keys.agent.apiKey);
  expect(res.body.repair).toMatchObject({ inWarranty: false });
  // In warranty's free-repair answer is not valid for an out-of-warranty request.
  const task = await openTask(caseId, 'repair.first_response_quote');
  const wrong = await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { solution: 'free_repair' } } });
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.code).toBe('INVALID_PAYLOAD');
  await completeTask(caseId, 'repair.first_response_quote', { solution: 'paid_repair', quoteAmountMinor: 29900, currency: 'CNY' });
  await atStep(caseId, 'awaiting_quote_decision');
  const declined = await customer(caseId, 'quote-decision', { decision: 'decline' });
  expect(declined.status).toBe(200);
  const closed = await eventually(async () => {
    const c = await caseState(caseId);
    return c.status === 'closed' ? c : undefined;
  }, 'closed');
  expect(closed.outcome).toBe('quote_declined');
  expect(await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).toMatchObject({ quoteAmountMinor: 29900, quoteCurrency: 'CNY', quoteDecision: 'decline' });
  // A closed case takes no further steps.
  const late = await customer(caseId, 'quote-decision', { decision: 'accept' });
  expect(late.status).toBe(409);
});

test('an item repaired twice for the same fault: the storefront chooses the refund (not a third repair); the price is refunded once the item is back', async () => {
  const serialNumber = `SN-TWICE-${crypto.randomUUID().slice(0, 8)}`;
  const itemId = `itm_${crypto.randomUUID()}`;
  await sys.db.repairItem.create({ data: { id: itemId, productRef: 'SKU-KETTLE-2000', identifierKind: 'serial', identifier: serialNumber } });
  for (const n of [1, 2]) {
    await sys.db.repairItemHistory.create({
      data: { id: crypto.randomUUID(), itemId, caseId: `REP-earlier-${n}-${itemId}`, eventKey: `earlier-${n}-${itemId}`, problemCategory: 'does_not_power_on', faultCode: 'power_supply', result: 'repaired', technicianId: 'prn-tech', inWarranty: true, completedAt: new Date(Date.now() - n * MONTH) },
    });
  }
  const { caseId, res } = await openRepair(repairBody({ serialNumber }));
  expect(res.body.repair.itemId).toBe(itemId);
  await completeTask(caseId, 'repair.first_response', { solution: 'free_repair' });
  await atStep(caseId, 'awaiting_remedy_choice');
  expect((await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).entitlement).toBe('repeat_fault');
  const third = await customer(caseId, 'remedy-choice', { choice: 'repair' });
  expect(third.status).toBe(409);
  expect(third.body.error.message).toContain('replacement, refund');
  expect((await customer(caseId, 'remedy-choice', { choice: 'refund' })).status).toBe(200);
  await atStep(caseId, 'awaiting_hand_over');
  expect((await customer(caseId, 'hand-over', { method: 'drop_off', reference: 'SP-0001' })).status).toBe(200);
  await completeTask(caseId, 'repair.confirm_receipt', { outcome: 'received' });
  await atStep(caseId, 'awaiting_rating');
  expect((await customer(caseId, 'rating', { rating: 4 })).status).toBe(200);
  const closed = await eventually(async () => {
    const c = await caseState(caseId);
    return c.status === 'closed' ? c : undefined;
  }, 'closed');
  expect(closed.outcome).toBe('refunded');
  const refund = await sys.db.payment.findFirstOrThrow({ where: { caseId, kind: 'refund' } });
  expect(refund).toMatchObject({ amountMinor: 39900, currency: 'CNY', status: 'succeeded' });
  expect(await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).toMatchObject({ remedyChoice: 'refund', arrivalSource: 'drop_off' });
});

describe('two repairs, of any fault, by any repairer (三包 art. 11)', () => {
  const seedItem = async (serialNumber: string, records: { problemCategory: string; result: string; inWarranty: boolean; daysAgo: number }[]) => {
    const itemId = `itm_${crypto.randomUUID()}`;
    await sys.db.repairItem.create({ data: { id: itemId, productRef: 'SKU-KETTLE-2000', identifierKind: 'serial', identifier: serialNumber } });
    for (const [n, r] of records.entries()) {
      await sys.db.repairItemHistory.create({
        data: { id: crypto.randomUUID(), itemId, caseId: `REP-earlier-${n}-${itemId}`, eventKey: `earlier-${n}-${itemId}`, problemCategory: r.problemCategory, faultCode: 'other', result: r.result, technicianId: 'prn-tech', inWarranty: r.inWarranty, completedAt: new Date(Date.now() - r.daysAgo * DAY) },
      });
    }
    return itemId;
  };

  test('the same serial repaired twice under other categories: replacement or refund, and the count on the case; user damage and paid repairs do not count', async () => {
    const serialNumber = `SN-ANY-${crypto.randomUUID().slice(0, 8)}`;
    const itemId = await seedItem(serialNumber, [
      { problemCategory: 'battery', result: 'repaired', inWarranty: true, daysAgo: 40 },
      { problemCategory: 'display', result: 'repaired', inWarranty: true, daysAgo: 20 },
      { problemCategory: 'display', result: 'user_damage', inWarranty: false, daysAgo: 10 },
      { problemCategory: 'display', result: 'repaired', inWarranty: false, daysAgo: 9 },
    ]);
    const { caseId, res } = await openRepair(repairBody({ serialNumber }));
    expect(res.body.repair).toMatchObject({ itemId, problemCategory: 'does_not_power_on', repairCount: { platform: 2, external: 0, confirmedExternal: 0, total: 2 }, externalRecords: [] });
    await completeTask(caseId, 'repair.first_response', { solution: 'free_repair' });
    await atStep(caseId, 'awaiting_remedy_choice');
    expect((await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).entitlement).toBe('repeat_fault');
    expect((await customer(caseId, 'remedy-choice', { choice: 'repair' })).status).toBe(409);
    expect((await customer(caseId, 'remedy-choice', { choice: 'replacement' })).status).toBe(200);
    // A merchant sees the count too (no personal data in it), not the serial number.
    const merchantView = (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.merchant.apiKey })).body;
    expect(merchantView.repair).toMatchObject({ repairCount: { total: 2 } });
    expect(merchantView.repair.item).toBeUndefined();
    await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
  });

  test("another repairer's record attached at opening: pending, then confirmed by an agent over HTTP; the count reaches two and the refund is offered", async () => {
    const serialNumber = `SN-EXT-${crypto.randomUUID().slice(0, 8)}`;
    const itemId = await seedItem(serialNumber, [{ problemCategory: 'battery', result: 'repaired', inWarranty: true, daysAgo: 30 }]);
    const repairedOn = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10);
    const body = { ...repairBody({ serialNumber }), externalRepairs: [{ repairer: { kind: 'manufacturer_service', ref: 'MFR-SC-0571' }, repairedOn, evidenceIds: ['EVD-INVOICE-1', 'EVD-REPORT-1'] }] };
    const { caseId, res } = await openRepair(body as any);
    expect(res.body.repair.repairCount).toEqual({ platform: 1, external: 1, confirmedExternal: 0, total: 1 });
    expect(res.body.repair.externalRecords).toEqual([
      { recordId: expect.stringMatching(/^xrr_/), repairer: { kind: 'manufacturer_service', ref: 'MFR-SC-0571' }, repairedOn, evidenceIds: ['EVD-INVOICE-1', 'EVD-REPORT-1'], status: 'pending', reasonCode: null },
    ]);
    const recordId = res.body.repair.externalRecords[0].recordId;
    expect(await sys.db.repairExternalRecord.findUniqueOrThrow({ where: { id: recordId } })).toMatchObject({ itemId, caseId, seq: 1, status: 'pending' });
    // The workflow carries the record's id only, never the repairer's reference or the evidence.
    expect(await historyBytes(caseId)).toContain(recordId);
    expect(await historyBytes(caseId)).not.toContain('MFR-SC-0571');
    await completeTask(caseId, 'repair.first_response', { solution: 'free_repair' });
    await atStep(caseId, 'awaiting_external_record_review');
    const review = await openTask(caseId, 'repair.external_record_review');
    expect(review).toMatchObject({ role: 'agent', sla: 'externalRecordReview' });
    const freeText = await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'confirmed', note: 'looks fine' } } });
    expect(freeText.status).toBe(400);
    // The record's document numbers came with the opening; the agent's evidence is the case's attachments.
    const invoice = await attachEvidence(sys, caseId, sys.keys.storefront.apiKey);
    await completeTask(caseId, 'repair.external_record_review', { decision: 'confirmed', evidenceIds: [invoice] });
    await atStep(caseId, 'awaiting_remedy_choice');
    const shown = (await caseState(caseId)).repair;
    expect(shown.repairCount).toEqual({ platform: 1, external: 1, confirmedExternal: 1, total: 2 });
    expect(shown.externalRecords[0]).toMatchObject({ status: 'confirmed', reasonCode: null });
    expect(await sys.db.repairExternalRecord.findUniqueOrThrow({ where: { id: recordId } })).toMatchObject({ status: 'confirmed', reviewedBy: sys.keys.agent.id });
    expect((await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).entitlement).toBe('repeat_fault');
    const third = await customer(caseId, 'remedy-choice', { choice: 'repair' });
    expect(third.status).toBe(409);
    expect(third.body.error.message).toContain('replacement, refund');
    expect((await customer(caseId, 'remedy-choice', { choice: 'refund' })).status).toBe(200);
    await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });

    // The next request for the item counts the confirmed record as it is, without a second review.
    const again = await openRepair({ ...repairBody({ serialNumber }), externalRepairs: body.externalRepairs } as any);
    expect(again.res.body.repair.repairCount).toEqual({ platform: 1, external: 1, confirmedExternal: 1, total: 2 });
    expect(again.res.body.repair.externalRecords).toEqual([]);
    await call(sys, 'POST', `/v1/cases/${again.caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
  });

  test("without a serial number the order line is the item; another repairer's record must date from the delivery to the request, in warranty only, with evidence", async () => {
    const first = await openRepair({ ...repairBody(), item: undefined } as any);
    expect(first.res.body.repair.item).toEqual({ identifierKind: 'order_line', identifier: `${first.body.order.orderId}/LI-1` });
    expect(first.res.body.repair.repairCount).toEqual({ platform: 0, external: 0, confirmedExternal: 0, total: 0 });
    await call(sys, 'POST', `/v1/cases/${first.caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
    const sameLine = await openRepair({ ...repairBody(), order: first.body.order, item: undefined } as any);
    expect(sameLine.res.body.repair.itemId).toBe(first.res.body.repair.itemId);
    await call(sys, 'POST', `/v1/cases/${sameLine.caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });

    const open = (body: unknown) => call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
    const record = (over: Record<string, unknown> = {}) => ({ repairer: { kind: 'authorised_service_centre', ref: 'ASC-0001' }, repairedOn: new Date(Date.now() - 5 * DAY).toISOString().slice(0, 10), evidenceIds: ['EVD-1'], ...over });
    const beforeDelivery = await open({ ...repairBody(), externalRepairs: [record({ repairedOn: new Date(Date.now() - 3 * MONTH).toISOString().slice(0, 10) })] });
    expect(beforeDelivery.status).toBe(422);
    expect(beforeDelivery.body.error.code).toBe('EXTERNAL_REPAIR_DATE_OUT_OF_RANGE');
    const future = await open({ ...repairBody(), externalRepairs: [record({ repairedOn: new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10) })] });
    expect(future.status).toBe(422);
    const outOfWarranty = await open({ ...repairBody({ warrantyMonths: 12, deliveredAt: new Date(Date.now() - 14 * MONTH).toISOString() }), externalRepairs: [record()] });
    expect(outOfWarranty.status).toBe(422);
    expect(outOfWarranty.body.error.code).toBe('EXTERNAL_REPAIRS_OUT_OF_WARRANTY');
    for (const bad of [record({ evidenceIds: [] }), record({ repairer: { kind: 'my neighbour', ref: 'X' } }), record({ notes: 'free text' }), record({ repairedOn: '2026-02-30' })]) {
      expect((await open({ ...repairBody(), externalRepairs: [bad] })).status).toBe(400);
    }
    expect((await open({ ...repairBody(), externalRepairs: [1, 2, 3, 4, 5].map(() => record()) })).status).toBe(400);
  });
});

test('user damage over HTTP: the technician records it with evidence, the customer disputes it with its own words (PostgreSQL only), a supervisor overturns it', async () => {
  const { caseId } = await openRepair();
  await completeTask(caseId, 'repair.first_response', { solution: 'free_repair' });
  await atStep(caseId, 'awaiting_hand_over');
  expect((await customer(caseId, 'hand-over', { method: 'drop_off', reference: 'SP-0002' })).status).toBe(200);
  await completeTask(caseId, 'repair.confirm_receipt', { outcome: 'received' });
  expect((await call(sys, 'POST', `/v1/repairs/${caseId}/dispute-text`, { key: sys.keys.storefront.apiKey, body: { text: 'too early' } })).status).toBe(409);
  // One form of evidence id (patch evidence-attachment-ids): the finding names the case's attachments, not free references.
  expect((await call(sys, 'POST', `/v1/tasks/${(await openTask(caseId, 'repair.technician_report')).taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { result: 'user_damage', faultCode: 'mechanical', evidenceRefs: ['evd:photo-1'], quoteAmountMinor: 8000, currency: 'CNY' } } })).status).toBe(400);
  const photo = await attachEvidence(sys, caseId);
  await completeTask(caseId, 'repair.technician_report', { result: 'user_damage', faultCode: 'mechanical', evidenceIds: [photo], quoteAmountMinor: 8000, currency: 'CNY' });
  await atStep(caseId, 'awaiting_quote_decision');
  const badReason = await customer(caseId, 'damage-dispute', { reasonCode: 'because' });
  expect(badReason.status).toBe(400);
  expect((await customer(caseId, 'damage-dispute', { reasonCode: 'normal_use' })).status).toBe(200);
  const words = 'I only ever used it on the counter, it was never dropped';
  expect((await call(sys, 'POST', `/v1/repairs/${caseId}/dispute-text`, { key: sys.keys.storefront.apiKey, body: { text: words } })).status).toBe(200);
  // The review is a supervisor's task: an agent may not complete it.
  const review = await openTask(caseId, 'repair.damage_review');
  expect(review.role).toBe('supervisor');
  expect((await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'overturned' } } })).status).toBe(403);
  const seen = await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.supervisor.apiKey });
  expect(seen.body.repair).toMatchObject({ disputeText: words, result: 'user_damage', inWarranty: false });
  await completeTask(caseId, 'repair.damage_review', { decision: 'overturned' }, sys.keys.supervisor.apiKey);
  await openTask(caseId, 'repair.technician_report');
  expect(await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).toMatchObject({ inWarranty: true, damageDispute: 'overturned' });
  expect(await historyBytes(caseId)).not.toContain(words);
  expect((await sys.db.repairItemHistory.findFirstOrThrow({ where: { caseId } })).evidenceRefs).toEqual([photo]);
  const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events;
  expect(timeline.find((e: any) => e.type === 'repair.user_damage_recorded').payload).toMatchObject({ evidenceIds: [photo] });
});

test('opening: the paid amount is required, an IMEI has 15 digits, serial number and IMEI do not go together', async () => {
  const noAmount: any = repairBody();
  delete noAmount.order.amount;
  const r1 = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: noAmount, headers: { 'Idempotency-Key': idem() } });
  expect(r1.status).toBe(400);
  expect(r1.body.error.details.map((d: any) => d.path)).toContain('order.amount');
  const badImei = { ...repairBody(), item: { imei: '12345' } };
  expect((await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: badImei, headers: { 'Idempotency-Key': idem() } })).status).toBe(400);
  const both = { ...repairBody(), item: { imei: '490154203237518', serialNumber: 'SN-0001' } };
  expect((await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: both, headers: { 'Idempotency-Key': idem() } })).status).toBe(400);
  const imei = await openRepair({ ...repairBody(), item: { imei: '490154203237518' } } as any);
  expect(imei.res.body.repair.item).toEqual({ identifierKind: 'imei', identifier: '490154203237518' });
  await call(sys, 'POST', `/v1/cases/${imei.caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

test('repair shipping is paid once per leg: a retry pays nothing twice; the shipment back is booked without a payout', async () => {
  const { caseId } = await openRepair();
  await openTask(caseId, 'repair.first_response'); // the case waits: its own audit events are written
  const acts = createWarrantyRepairActivities({ db: sys.db, logger: createLogger('test', 'silent'), ports: { ...sys.api.deps.ports, payments: new SimulatedPaymentGateway(sys.db), carriers: new SimulatedCarrierTracking() } });
  const leg = (l: 'to_centre' | 'from_centre') => ({ caseId, leg: l, carrier: 'SF', from: 'customer:c', to: 'merchant:m', cap: { amountMinor: 2500, currency: 'CNY' }, at: new Date().toISOString(), eventKey: `${caseId}:shipping:${l}` });
  const first = await acts.payRepairShipping(leg('to_centre'));
  const again = await acts.payRepairShipping(leg('to_centre'));
  expect(again).toEqual(first);
  expect(first.amountMinor).toBeLessThanOrEqual(2500);
  expect(first.gatewayRef).toMatch(/^SIMPAY-/);
  const back = await acts.payRepairShipping(leg('from_centre'));
  expect(back.gatewayRef).toBeNull();
  const rows = await sys.db.payment.findMany({ where: { caseId } });
  expect(rows.map((p) => [p.kind, p.status]).sort()).toEqual([['repair_return_shipping', 'recorded'], ['repair_shipping', 'succeeded']]);
  expect(await sys.db.simulatedGatewayCharge.count({ where: { idempotencyKey: `repair_shipping:to_centre:${caseId}` } })).toBe(1);
  expect(await sys.db.auditEvent.count({ where: { caseId, type: 'payment.repair_shipping' } })).toBe(2);
  // The repair record is one row per report, keyed on its event; the carrier port tells the arrival.
  const report = { caseId, itemId: null, problemCategory: 'malfunction', faultCode: 'sensor', result: 'repaired' as const, partsUsed: ['SEN-1'], evidenceRefs: [], technicianId: 'prn-tech', inWarranty: true, arrivedAt: null, completedAt: new Date().toISOString(), eventKey: `${caseId}:report:x` };
  await acts.recordItemRepair(report);
  await acts.recordItemRepair(report);
  expect(await sys.db.repairItemHistory.count({ where: { caseId } })).toBe(1);
  expect(await acts.checkRepairArrival({ caseId, carrier: 'SF', trackingNumber: 'SIM-DELIVERED-20261201' })).toEqual({ arrived: true, arrivedAt: '2026-11-30T16:00:00.000Z' });
  expect(await acts.checkRepairArrival({ caseId, carrier: 'SF', trackingNumber: 'SF1234567890' })).toEqual({ arrived: false });
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

test('idempotency: the same key and body return the original case; another body with the key is a conflict', async () => {
  const body = repairBody();
  const key = idem();
  const first = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect(first.status).toBe(201);
  const again = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect(again.status).toBe(200);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body.caseId).toBe(first.body.caseId);
  const different = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: { ...body, warrantyMonths: 24 }, headers: { 'Idempotency-Key': key } });
  expect(different.status).toBe(409);
  expect(different.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { caseId: first.body.caseId } });
  expect(await sys.db.case.count({ where: { customerId: body.order.customerId } })).toBe(1);
  expect(await sys.db.repairRequest.count({ where: { orderId: body.order.orderId } })).toBe(1);
});

test('the voucher activity is idempotent on the case: a retry issues no second voucher and appends no second event', async () => {
  const { caseId } = await openRepair();
  await openTask(caseId, 'repair.first_response'); // the case waits: its own audit events are written
  const acts = createWarrantyRepairActivities({ db: sys.db, logger: createLogger('test', 'silent'), ports: sys.api.deps.ports });
  const v = { caseId, amountMinor: 5000, currency: 'CNY', at: new Date().toISOString(), eventKey: `${caseId}:voucher` };
  const first = await acts.issueRepairVoucher(v);
  const again = await acts.issueRepairVoucher(v);
  expect(again).toEqual(first);
  const rows = await sys.db.payment.findMany({ where: { caseId } });
  expect(rows.map((p) => [p.kind, p.payer, p.amountMinor, p.status])).toEqual([['voucher', 'platform', 5000, 'issued']]);
  expect(await sys.db.auditEvent.count({ where: { caseId, type: 'payment.voucher_issued' } })).toBe(1);
  await acts.recordRepairProgress({ caseId, patch: { receivedAt: '2026-11-30T02:00:00.000Z', result: 'not_repairable' } });
  expect(await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).toMatchObject({ receivedAt: new Date('2026-11-30T02:00:00.000Z'), result: 'not_repairable' });
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

describe('errors are structured and change nothing', () => {
  // Counts the cases this file's principals opened (other test files share the database).
  async function expectNoNewCase(fn: () => Promise<void>) {
    const mine = { openedBy: { in: Object.values(sys.keys).map((k) => k.id) } };
    const before = await sys.db.case.count({ where: mine });
    await fn();
    expect(await sys.db.case.count({ where: mine })).toBe(before);
  }

  test('400 invalid body or missing key, 403 for a merchant, 422 before delivery', async () => {
    await expectNoNewCase(async () => {
      const bad: any = repairBody();
      bad.warrantyMonths = -1;
      bad.problemCategory = 'bored';
      delete bad.description;
      const invalid = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: bad, headers: { 'Idempotency-Key': idem() } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
      expect(invalid.body.error.details.map((d: any) => d.path).sort()).toEqual(['description', 'problemCategory', 'warrantyMonths']);
      expect((await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: repairBody() })).body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
      expect((await call(sys, 'POST', '/v1/cases', { key: sys.keys.merchant.apiKey, body: repairBody(), headers: { 'Idempotency-Key': idem() } })).status).toBe(403);
      const early = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: repairBody({ deliveredAt: new Date(Date.now() + DAY).toISOString() }), headers: { 'Idempotency-Key': idem() } });
      expect(early.status).toBe(422);
      expect(early.body.error.code).toBe('NOT_YET_DELIVERED');
    });
  });

  test('404 unknown case or not a repair; 409 a step the case is not at; 400 a bad hand-over or rating', async () => {
    expect((await customer('REP-missing', 'rating', { rating: 5 })).status).toBe(404);
    const ret = await call(sys, 'POST', '/v1/cases', {
      key: sys.keys.storefront.apiKey,
      headers: { 'Idempotency-Key': idem() },
      body: {
        type: 'return',
        order: { orderId: 'O-R', lineItemId: 'L1', category: 'apparel', amount: '10.00', currency: 'CNY', customerId: 'cust-r', merchantId: sys.keys.merchant.merchantId, deliveredAt: new Date(Date.now() - DAY).toISOString() },
        requestType: 'return_and_refund',
        reasonCode: 'no_reason',
      },
    });
    const notRepair = await customer(ret.body.caseId, 'hand-over', { method: 'drop_off', reference: 'SP-0001' });
    expect(notRepair.status).toBe(404);
    expect(notRepair.body.error.code).toBe('NOT_FOUND');

    const { caseId } = await openRepair();
    await openTask(caseId, 'repair.first_response');
    const early = await customer(caseId, 'hand-over', { method: 'drop_off', reference: 'SP-0001' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('NOT_ALLOWED_AT_THIS_STEP');
    const quote = await customer(caseId, 'quote-decision', { decision: 'accept' });
    expect(quote.status).toBe(409);
    const badHandOver = await customer(caseId, 'hand-over', { method: 'courier', carrier: 'SF' });
    expect(badHandOver.status).toBe(400);
    expect(badHandOver.body.error.details[0].path).toBe('trackingNumber');
    const badRating = await customer(caseId, 'rating', { rating: 0 });
    expect(badRating.status).toBe(400);
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/remedy-decision`, { key: sys.keys.agent.apiKey, body: { decision: 'accept' } })).status).toBe(403);
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/remedy-choice`, { key: sys.keys.agent.apiKey, body: { choice: 'refund' } })).status).toBe(403);
    expect((await customer(caseId, 'remedy-choice', { choice: 'refund' })).status).toBe(409);
    const old = await customer(caseId, 'remedy-decision', { decision: 'accept' });
    expect(old.status).toBe(409);
    expect(old.body.error.message).toContain('remedy-choice');
    expect((await customer(caseId, 'damage-dispute', { reasonCode: 'normal_use' })).status).toBe(409);
    const cancelled = await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
    expect(cancelled.status).toBe(200);
    await eventually(async () => ((await caseState(caseId)).outcome === 'cancelled' ? true : undefined), 'cancelled');
  });
});

describe('GET /v1/reports/repairs/sla', () => {
  // Seeded in March 2020, a range no running case touches. Durations in ms.
  const T0 = Date.parse('2020-03-02T01:00:00.000Z');
  const from = new Date(T0).toISOString();
  const to = new Date(T0 + DAY).toISOString();
  let seedCase: string;

  beforeAll(async () => {
    seedCase = `REP-seed-${crypto.randomUUID()}`;
    await sys.db.case.create({
      data: { id: seedCase, type: 'warranty_repair', status: 'closed', step: 'closed', customerId: 'cust-seed', merchantId: 'm-seed', policyVersion: 'seed', workflowId: seedCase, openedBy: 'seed', summary: {} },
    });
    const at = (ms: number) => new Date(T0 + ms);
    const task = (n: number, slaName: string, created: number, due: number, status: string, completed: number | null) =>
      sys.db.task.create({
        data: { id: `${seedCase}.t${n}`, caseId: seedCase, caseType: 'warranty_repair', type: slaName === 'repair' ? 'repair.technician_result' : 'repair.first_response', role: 'agent', status, slaName, createdAt: at(created), dueAt: at(due), completedAt: completed === null ? null : at(completed) },
      });
    // firstResponse (due 2 h after creation): met in 1 h (created exactly at `from`), met in 1.5 h, late at 3 h,
    // still open past its deadline, cancelled before its deadline.
    await task(1, 'firstResponse', 0, 2 * HOUR, 'completed', HOUR);
    await task(2, 'firstResponse', HOUR, 3 * HOUR, 'completed', 2.5 * HOUR);
    await task(3, 'firstResponse', 2 * HOUR, 4 * HOUR, 'completed', 5 * HOUR);
    await task(4, 'firstResponse', 3 * HOUR, 5 * HOUR, 'open', null);
    await task(5, 'firstResponse', 4 * HOUR, 6 * HOUR, 'cancelled', 5 * HOUR);
    // repair (due 7 days after creation): done in 2 days, done in 10 days (late), cancelled after its deadline.
    await task(6, 'repair', HOUR, HOUR + 7 * DAY, 'completed', HOUR + 2 * DAY);
    await task(7, 'repair', 2 * HOUR, 2 * HOUR + 7 * DAY, 'completed', 2 * HOUR + 10 * DAY);
    await task(8, 'repair', 3 * HOUR, 3 * HOUR + 7 * DAY, 'cancelled', 3 * HOUR + 8 * DAY);
    // Outside the range: created exactly at `to` (exclusive), and an SLA the report does not cover.
    await task(9, 'repair', DAY, 2 * DAY, 'completed', DAY + HOUR);
    await task(10, 'receipt', HOUR, 2 * HOUR, 'completed', 3 * HOUR);
  });

  test('count, met, breached, median and p95 (ms) per SLA, computed by PostgreSQL', async () => {
    const res = await call(sys, 'GET', `/v1/reports/repairs/sla?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { key: sys.keys.supervisor.apiKey });
    expect(res.status).toBe(200);
    // percentile_cont: lo + (hi - lo) * (p * (n - 1) - floor(p * (n - 1)))
    expect(res.body).toEqual({
      from,
      to,
      unit: 'ms',
      firstResponse: { count: 5, met: 2, breached: 2, medianMs: 1.5 * HOUR, p95Ms: 1.5 * HOUR + (3 * HOUR - 1.5 * HOUR) * (0.95 * 2 - 1) },
      repair: { count: 3, met: 1, breached: 2, medianMs: (2 * DAY + 10 * DAY) / 2, p95Ms: 2 * DAY + (10 * DAY - 2 * DAY) * 0.95 },
    });
  });

  test('an empty range reports zeros; auditors and admins may read it, agents and the storefront may not; from must precede to', async () => {
    const empty = await call(sys, 'GET', '/v1/reports/repairs/sla?from=2019-01-01T00:00:00Z&to=2019-02-01T00:00:00Z', { key: sys.keys.auditor.apiKey });
    expect(empty.status).toBe(200);
    expect(empty.body.repair).toEqual({ count: 0, met: 0, breached: 0, medianMs: null, p95Ms: null });
    expect((await call(sys, 'GET', '/v1/reports/repairs/sla', { key: sys.keys.admin.apiKey })).status).toBe(200);
    expect((await call(sys, 'GET', '/v1/reports/repairs/sla', { key: sys.keys.agent.apiKey })).status).toBe(403);
    expect((await call(sys, 'GET', '/v1/reports/repairs/sla', { key: sys.keys.storefront.apiKey })).status).toBe(403);
    const backwards = await call(sys, 'GET', `/v1/reports/repairs/sla?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`, { key: sys.keys.auditor.apiKey });
    expect(backwards.status).toBe(400);
    expect((await call(sys, 'GET', '/v1/reports/repairs/sla?from=yesterday', { key: sys.keys.auditor.apiKey })).status).toBe(400);
  });
});
