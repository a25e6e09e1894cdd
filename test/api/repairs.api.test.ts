// Warranty repair over HTTP against the real Temporal dev server, real PostgreSQL and real SMTP;
// the SLA report against rows seeded in PostgreSQL.
import crypto from 'node:crypto';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createWarrantyRepairActivities } from '../../activities/warrantyRepair';
import { createLogger } from '../../lib/logger';
import { idem, repairBody as sharedRepairBody } from '../helpers/bodies';
import { call, eventually, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';

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

test('in warranty, end to end: open, agent answers, customer hands over, repair, shipped back, rated; description never reaches Temporal', async () => {
  const { caseId, body, res } = await openRepair();
  expect(res.headers.get('location')).toBe(`/v1/cases/${caseId}`);
  expect(caseId).toMatch(/^REP-/);
  expect(res.body).toMatchObject({ type: 'warranty_repair', status: 'open', customerId: body.order.customerId, merchantId: sys.keys.merchant.merchantId });
  expect(res.body.repair).toMatchObject({ description: body.description, productRef: 'SKU-KETTLE-2000', warrantyMonths: 12, inWarranty: true });
  expect(res.body.summary).toMatchObject({ inWarranty: true, problemCategory: 'does_not_power_on' });
  expect(JSON.stringify(res.body.summary)).not.toContain(body.description);

  const first = await completeTask(caseId, 'repair.first_response', { solution: 'free_repair' });
  expect(first).toMatchObject({ role: 'agent', sla: 'firstResponse', caseType: 'warranty_repair' });
  await atStep(caseId, 'awaiting_hand_over');
  const handed = await customer(caseId, 'hand-over', { method: 'courier', carrier: 'SF', trackingNumber: 'SF1234567890' });
  expect(handed.status).toBe(200);
  expect(handed.body.caseId).toBe(caseId);
  await eventually(async () => (await sys.db.repairRequest.findUniqueOrThrow({ where: { caseId } })).handOverReference === 'SF1234567890', 'hand-over recorded');
  await completeTask(caseId, 'repair.confirm_receipt', { outcome: 'received' });
  const repair = await completeTask(caseId, 'repair.technician_result', { result: 'repaired' });
  expect(repair.sla).toBe('repair');
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
  expect(row).toMatchObject({ description: body.description, result: 'repaired', returnCarrier: 'JD', returnTracking: 'JD0001234567', rating: 5, feedback: 'rated', handOverMethod: 'courier', handOverCarrier: 'SF' });
  expect(row.receivedAt).toBeInstanceOf(Date);

  // The description and the contact stay in PostgreSQL: the history carries the order and product ids only.
  const bytes = await historyBytes(caseId);
  expect(bytes).toContain('SKU-KETTLE-2000');
  expect(bytes).toContain(body.order.orderId);
  expect(bytes).not.toContain(body.description);
  expect(bytes).not.toContain(body.customerContact.email);

  await mailsDelivered(sys, caseId);
  const timeline = await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey });
  const types = timeline.body.events.map((e: any) => e.type);
  expect(types[0]).toBe('case.opened');
  expect(types).toEqual(expect.arrayContaining(['repair.warranty_checked', 'repair.free_repair_confirmed', 'repair.handed_over', 'repair.rated', 'case.closed']));
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
  const acts = createWarrantyRepairActivities({ db: sys.db, logger: createLogger('test', 'silent'), mailer: undefined as any, gateway: undefined as any });
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
