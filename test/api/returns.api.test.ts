// The 7-day return over HTTP against the real Temporal dev server, real PostgreSQL and real SMTP.
import { openedParty } from '../helpers/sealed';
import { idem, returnBody as sharedReturnBody } from '../../scripts/harness/bodies';
import { mailText } from '../../lib/mailCatcher';
import { historyText } from '../helpers/history';
import { attachEvidence, call, eventually, runningDeadlinesOnCase, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const DAY = 24 * 3_600_000;

const returnBody = (over: Record<string, any> = {}) => sharedReturnBody(sys.keys.merchant.merchantId, over);

async function openReturn(body = returnBody()) {
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  return { caseId: res.body.caseId as string, body, res };
}

async function openTask(caseId: string, type: string, key = sys.keys.merchant.apiKey) {
  return eventually(async () => {
    const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key });
    return r.body?.tasks?.find((t: any) => t.type === type);
  }, `${type} task`);
}


async function caseState(caseId: string) {
  return (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
}

test('happy path: open, merchant approves, customer ships, merchant inspects, refund once, e-mails at every milestone', async () => {
  const { caseId, body, res } = await openReturn();
  expect(res.headers.get('location')).toBe(`/v1/cases/${caseId}`);
  expect(res.body).toMatchObject({ type: 'return', status: 'open', merchantId: sys.keys.merchant.merchantId });
  expect(res.body.links.temporalUi).toContain(`/namespaces/default/workflows/${caseId}`);

  const review = await openTask(caseId, 'return.merchant_review');
  expect(review).toMatchObject({ role: 'merchant', status: 'open', sla: 'merchantReview', escalated: false });
  expect(new Date(review.dueAt).getTime() - new Date(review.createdAt).getTime()).toBe(2 * DAY);
  expect(review.timeLeftMs).toBeGreaterThan(0);

  const done = await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ status: 'completed', completedBy: sys.keys.merchant.id, resolution: 'completed' });

  await eventually(async () => (await caseState(caseId)).step === 'awaiting_customer_shipment', 'awaiting shipment');
  expect(Object.keys(await runningDeadlinesOnCase(sys, caseId, 'awaiting shipment'))).toContain('customerShipment');
  // The customer paid the carrier 18.00 CNY; the platform reimburses it (7.3, under the 30.00 CNY cap).
  const shipped = await call(sys, 'POST', `/v1/cases/${caseId}/actions/shipment`, {
    key: sys.keys.storefront.apiKey,
    body: { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '18.00', currency: 'CNY' } },
  });
  expect(shipped.status).toBe(200);

  // The carrier shows the parcel in transit: the merchant confirms its arrival (the 7-day refund period starts).
  await eventually(async () => (await caseState(caseId)).step === 'awaiting_receipt', 'awaiting receipt');
  await runningDeadlinesOnCase(sys, caseId, 'awaiting receipt');
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/receipt`, { key: sys.keys.merchant.apiKey, body: {} })).status).toBe(200);
  const inspection = await openTask(caseId, 'return.merchant_inspection');
  expect((await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { outcome: 'confirmed' } } })).status).toBe(200);

  const closed = await eventually(async () => {
    const c = await caseState(caseId);
    return c.status === 'closed' ? c : undefined;
  }, 'case closed');
  expect(closed).toMatchObject({ outcome: 'refunded', step: 'closed' });

  // The money of the case: the refund and the shipping reimbursement, each paid once at the gateway.
  const payments = await sys.db.payment.findMany({ where: { caseId } });
  expect(payments.map((p) => [p.kind, p.payer, p.status, p.amountMinor, p.currency]).sort()).toEqual([
    ['refund', 'merchant', 'succeeded', 19900, 'CNY'],
    ['return_shipping', 'platform', 'succeeded', 1800, 'CNY'],
  ]);
  const ledger = await sys.db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: { in: [`refund:${caseId}`, `return_shipping:${caseId}`] } } });
  expect(ledger.map((l) => [l.operation, l.amountMinor, l.currency]).sort()).toEqual([
    ['payout', 1800, 'CNY'],
    ['refund', 19900, 'CNY'],
  ]);
  for (const p of payments) expect(p.gatewayRef).toBe(ledger.find((l) => l.idempotencyKey === p.idempotencyKey)!.ref);
  // The case resource shows both, amounts and states only.
  expect(closed.payments.map((p: any) => [p.kind, p.payer, p.amountMinor, p.currency, p.status]).sort()).toEqual([
    ['refund', 'merchant', 19900, 'CNY', 'succeeded'],
    ['return_shipping', 'platform', 1800, 'CNY', 'succeeded'],
  ]);
  expect(JSON.stringify(closed.payments)).not.toMatch(/SIMREF|SIMPAY|idempotency/i);

  const customerMail = await eventually(async () => {
    const m = sys.mail.messages.filter((x) => x.to.includes(body.customerContact.email));
    return m.length >= 6 ? m : undefined;
  }, 'customer e-mails');
  expect(customerMail.map((m) => m.subject)).toEqual([
    `We received your request ${caseId}`,
    `Request ${caseId} approved`,
    `Your returned item arrived (${caseId})`,
    `Refund issued (${caseId})`,
    `Request ${caseId} completed with a refund`,
    `How did we do? (${caseId})`,
  ]);
  expect(customerMail.every((m) => m.headers['x-case-id'] === caseId)).toBe(true);
  const refundMail = customerMail.find((m) => m.subject === `Refund issued (${caseId})`)!;
  expect(mailText(refundMail.raw)).toContain('A refund of 199.00 CNY was issued');
  expect(mailText(refundMail.raw)).toContain('The return shipping of 18.00 CNY was reimbursed to you');
  // The merchant: the review request, then (once the customer shipped) the approved return on its way back.
  // The outbox delivers the merchant's e-mails beside the customer's: wait for both.
  const merchantMail = await eventually(async () => {
    const m = sys.mail.messages.filter((x) => x.to.includes(`${sys.keys.merchant.merchantId}@merchant.test`) && x.headers['x-case-id'] === caseId);
    return m.length >= 2 ? m : undefined;
  }, 'merchant e-mails');
  expect(merchantMail).toHaveLength(2);
  expect(merchantMail[0].subject.replace(/\s+/g, '')).toBe(`待处理售后申请${caseId}`);
  expect(merchantMail[1].subject.replace(/\s+/g, '')).toBe(`售后申请${caseId}已同意,商品正在退回`);
  expect(mailText(merchantMail[1].raw)).toContain('3 个工作日');
  // The catcher may see a message a moment before the outbox row records it as sent.
  const outbox = await eventually(async () => {
    const rows = await sys.db.notification.findMany({ where: { caseId } });
    return rows.length === 8 && rows.every((n) => n.status === 'sent') ? rows : undefined;
  }, 'outbox rows sent');
  expect(outbox.map((n) => [n.attempts, Boolean(n.messageId)])).toEqual(Array(8).fill([1, true]));

  // The audit trail is complete, attributed and intact.
  const timeline = await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey });
  const types = timeline.body.events.map((e: any) => e.type);
  expect(types[0]).toBe('case.opened');
  expect(types).toEqual(expect.arrayContaining(['task.created', 'task.completed', 'payment.return_shipping_reimbursed', 'payment.refunded', 'notification.sent', 'case.closed']));
  expect(timeline.body.events.find((e: any) => e.type === 'payment.return_shipping_reimbursed').payload).toMatchObject({ amountMinor: 1800, currency: 'CNY', basis: 'paid', capped: false });
  expect(timeline.body.events.find((e: any) => e.type === 'task.completed').actor).toBe(sys.keys.merchant.id);
  expect(JSON.stringify(timeline.body)).not.toContain(body.customerContact.email);
  const verify = await call(sys, 'GET', `/v1/cases/${caseId}/audit/verify`, { key: sys.keys.auditor.apiKey });
  expect(verify.body).toMatchObject({ valid: true, events: timeline.body.events.length });

  // The update carried the acting principal as its identity in the workflow history.
  const history = await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } });
  const accepted = history.history!.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.meta!.identity)).toEqual(
    expect.arrayContaining([sys.keys.merchant.id, sys.keys.storefront.id]),
  );
  const text = historyText(history);
  expect(text).toContain(body.order.orderId); // the decoded payloads are really searched
  expect(text).not.toContain(body.customerContact.email);

  // Temporal's own visibility can select the case by its search attributes.
  const found = await eventually(async () => {
    const r = await sys.connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `CaseType = 'return' AND MerchantId = '${sys.keys.merchant.merchantId}' AND CaseStatus = 'closed:refunded'`,
    });
    const hit = r.executions?.map((x) => x.execution?.workflowId);
    return hit?.includes(caseId) ? hit : undefined;
  }, 'visibility');
  expect(found).toContain(caseId);
});

test('the request id of an API call reaches the activities it causes, with the case id, in the logs', async () => {
  const body = returnBody();
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem(), 'X-Request-Id': 'req-open-1' } });
  expect(opened.headers.get('x-request-id')).toBe('req-open-1');
  const caseId = opened.body.caseId;
  const review = await openTask(caseId, 'return.merchant_review');
  await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } }, headers: { 'X-Request-Id': 'req-approve-1' } });
  // A step's writes run in one applyCaseWrites; each line names its write.
  await eventually(async () => sys.logs.some((l) => l.requestId === 'req-approve-1' && l.write === 'closeTask'), 'closeTask log line');

  const openLines = sys.logs.filter((l) => l.requestId === 'req-open-1');
  expect(openLines.some((l) => l.msg === 'case opened' && l.caseId === caseId)).toBe(true); // API
  expect(openLines.some((l) => l.activityType === 'applyCaseWrites' && l.write === 'openTask' && l.caseId === caseId && l.workflowId === caseId)).toBe(true); // worker
  const approveLines = sys.logs.filter((l) => l.requestId === 'req-approve-1');
  expect(approveLines.some((l) => l.msg === 'task completed' && l.caseId === caseId)).toBe(true);
  expect(approveLines.find((l) => l.write === 'closeTask')).toMatchObject({ activityType: 'applyCaseWrites', caseId, taskId: review.taskId, actor: sys.keys.merchant.id });
  expect(JSON.stringify(sys.logs)).not.toContain(body.customerContact.email);
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

test('idempotency: the same key and body return the original case; another body with the key is a conflict', async () => {
  const body = returnBody();
  const key = idem();
  const first = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect(first.status).toBe(201);
  const again = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect(again.status).toBe(200);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body.caseId).toBe(first.body.caseId);
  const different = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: { ...body, reasonCode: 'defective' }, headers: { 'Idempotency-Key': key } });
  expect(different.status).toBe(409);
  expect(different.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { caseId: first.body.caseId } });
  expect(await sys.db.case.count({ where: { customerId: body.order.customerId } })).toBe(1);

  // Concurrent retries with one key still open one case.
  const key2 = idem();
  const body2 = returnBody();
  const results = await Promise.all([1, 2, 3].map(() => call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: body2, headers: { 'Idempotency-Key': key2 } })));
  expect(new Set(results.map((r) => r.body.caseId)).size).toBe(1);
  expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
  expect(await sys.db.case.count({ where: { customerId: body2.order.customerId } })).toBe(1);
});

test("the customer's contact data: written with the first case; a later case's request updates the fields it names and keeps the rest", async () => {
  const first = returnBody();
  const customerId = first.order.customerId;
  const open = async (body: object) => {
    const r = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
    expect(r.status).toBe(201);
    return r.body.caseId as string;
  };
  // Name and e-mail sealed with the customer's key (policy 1.3): opened to compare.
  const party = () => openedParty(sys, 'customer', customerId);
  const cases = [await open({ ...first, customerContact: { email: `${customerId}@customer.test`, displayName: 'Customer One', locale: 'en' } })];
  expect(await party()).toMatchObject({ email: `${customerId}@customer.test`, displayName: 'Customer One', locale: 'en' });
  const second = returnBody({ order: { customerId } });
  cases.push(await open({ ...second, customerContact: { email: `${customerId}@new.customer.test` } }));
  expect(await party()).toMatchObject({ email: `${customerId}@new.customer.test`, displayName: 'Customer One', locale: 'en' });
  // No contact data: the stored row stays as it is.
  const { customerContact: _none, ...third } = returnBody({ order: { customerId } });
  const before = await party();
  cases.push(await open(third));
  expect(await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'customer', id: customerId } } })).toMatchObject({ email: expect.stringMatching(/^sealed:v1:/), displayName: expect.stringMatching(/^sealed:v1:/) });
  expect(await party()).toEqual(before);
  // A new customer's row without a locale gets the default.
  const fresh = returnBody();
  cases.push(await open({ ...fresh, customerContact: { email: `${fresh.order.customerId}@customer.test` } }));
  expect(await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'customer', id: fresh.order.customerId } } })).toMatchObject({ locale: 'zh-CN', displayName: null });
  for (const caseId of cases) await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

describe('errors are structured and change nothing', () => {
  // Counts the cases this file's principals opened (other test files share the database).
  async function expectNoNewCase(fn: () => Promise<void>) {
    const mine = { openedBy: { in: [sys.keys.storefront.id, sys.keys.merchant.id] } };
    const before = await sys.db.case.count({ where: mine });
    await fn();
    expect(await sys.db.case.count({ where: mine })).toBe(before);
  }

  test('400: malformed JSON, wrong types (issues listed), missing idempotency key', async () => {
    await expectNoNewCase(async () => {
      const malformed = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, raw: '{"order": ', headers: { 'Idempotency-Key': idem() } });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toMatchObject({ code: 'MALFORMED_JSON' });
      expect(malformed.body.error.requestId).toBeTruthy();

      const body: any = returnBody();
      body.order.amount = 199;
      body.requestType = 'steal';
      const wrong = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.code).toBe('VALIDATION_FAILED');
      expect(wrong.body.error.details.map((d: any) => d.path).sort()).toEqual(['order.amount', 'requestType']);

      const noKey = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody() });
      expect(noKey.status).toBe(400);
      expect(noKey.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    });
  });

  test('401 without a valid key, 403 for a role that may not act', async () => {
    await expectNoNewCase(async () => {
      expect((await call(sys, 'POST', '/v1/cases', { body: returnBody(), headers: { 'Idempotency-Key': idem() } })).status).toBe(401);
      expect((await call(sys, 'POST', '/v1/cases', { key: 'cwk_nope', body: returnBody(), headers: { 'Idempotency-Key': idem() } })).body.error.code).toBe('UNAUTHENTICATED');
      const forbidden = await call(sys, 'POST', '/v1/cases', { key: sys.keys.merchant.apiKey, body: returnBody(), headers: { 'Idempotency-Key': idem() } });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.error.code).toBe('FORBIDDEN');
    });
  });

  test('422: outside the 7-day window, or an excluded category', async () => {
    await expectNoNewCase(async () => {
      const late = await call(sys, 'POST', '/v1/cases', {
        key: sys.keys.storefront.apiKey,
        body: returnBody({ order: { deliveredAt: new Date(Date.now() - 30 * DAY).toISOString() } }),
        headers: { 'Idempotency-Key': idem() },
      });
      expect(late.status).toBe(422);
      expect(late.body.error.code).toBe('RETURN_WINDOW_EXPIRED');
      expect(late.body.error.details.windowEndsAt).toBeTruthy();
      const excluded = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody({ order: { category: 'perishable' } }), headers: { 'Idempotency-Key': idem() } });
      expect(excluded.status).toBe(422);
      expect(excluded.body.error.code).toBe('CATEGORY_EXCLUDED');
    });
  });

  test('404: unknown case, unknown task, another merchant’s case', async () => {
    expect((await call(sys, 'GET', '/v1/cases/RET-missing', { key: sys.keys.auditor.apiKey })).status).toBe(404);
    expect((await call(sys, 'POST', '/v1/tasks/nope/complete', { key: sys.keys.merchant.apiKey, body: { payload: {} } })).status).toBe(404);
    const { caseId } = await openReturn();
    const other = await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.otherMerchant.apiKey });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
  });

  test('400 bad task payload, 409 completed twice, 409 shipment at the wrong step, concurrent completions: one wins', async () => {
    const { caseId } = await openReturn();
    const review = await openTask(caseId, 'return.merchant_review');
    const bad = await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'reject' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_PAYLOAD');
    expect(bad.body.error.details[0].path).toBe('reasonCode');

    const early = await call(sys, 'POST', `/v1/cases/${caseId}/actions/shipment`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', trackingNumber: 'SF1234567890' } });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('NOT_ALLOWED_AT_THIS_STEP');

    const both = await Promise.all(
      [{ decision: 'approve' }, { decision: 'reject', reasonCode: 'other' }].map((payload) =>
        call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload } }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.error.code).toBe('TASK_NOT_OPEN');
    const again = await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
    expect(again.status).toBe(409);
    const row = await sys.db.task.findUniqueOrThrow({ where: { id: review.taskId } });
    expect(row).toMatchObject({ status: 'completed', completedBy: sys.keys.merchant.id });
  });
});

test('cancel before money moves closes the case and its open task; a closed case cannot be cancelled again', async () => {
  const { caseId, body } = await openReturn();
  const review = await openTask(caseId, 'return.merchant_review');
  const cancelled = await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
  expect(cancelled.status).toBe(200);
  const c = await eventually(async () => {
    const s = await caseState(caseId);
    return s.status === 'closed' ? s : undefined;
  }, 'closed');
  expect(c.outcome).toBe('cancelled');
  expect((await sys.db.task.findUniqueOrThrow({ where: { id: review.taskId } })).status).toBe('cancelled');
  expect(await sys.db.payment.count({ where: { caseId } })).toBe(0);
  const again = await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
  expect(again.status).toBe(409);
  await eventually(async () => sys.mail.messages.some((m) => m.to.includes(body.customerContact.email) && m.subject === `Request ${caseId} cancelled`), 'cancel mail');
});

describe('claims as the consumer law shapes them', () => {
  const open = (body: any) => call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  const closedCase = (caseId: string) =>
    eventually(async () => {
      const c = await caseState(caseId);
      return c.status === 'closed' ? c : undefined;
    }, 'case closed');

  test('422 for a no-reason refund-only, a confirmed by-nature exclusion and a quality claim past the objection period; 400 for an inconsistent snapshot', async () => {
    const refundOnly = await open(returnBody({ requestType: 'refund_only' }));
    expect(refundOnly.status).toBe(422);
    expect(refundOnly.body.error.code).toBe('REFUND_ONLY_NOT_ALLOWED');
    const confirmed = await open(returnBody({ order: { category: 'intimate-apparel', snapshot: { exclusionConfirmedAtPurchase: true } } }));
    expect(confirmed.status).toBe(422);
    expect(confirmed.body.error.code).toBe('CATEGORY_EXCLUDED');
    const late = await open(returnBody({ reasonCode: 'defective', order: { deliveredAt: new Date(Date.now() - 800 * DAY).toISOString() } }));
    expect(late.status).toBe(422);
    expect(late.body.error).toMatchObject({ code: 'QUALITY_OBJECTION_PERIOD_EXPIRED', message: expect.stringContaining('民法典 arts. 620, 621'), details: { claimKind: 'quality', windowEndsAt: expect.any(String) } });
    const tooMuch = await open(returnBody({ order: { snapshot: { discount: '150.00', points: { count: 100, value: '60.00' } } } }));
    expect(tooMuch.status).toBe(400);
    const partialOnReturn = await open({ ...returnBody({ reasonCode: 'defective' }), partialRefund: { amount: '20.00' } });
    expect(partialOnReturn.status).toBe(400);

    // Without the confirmation at purchase the same by-nature category is returnable; a quality claim ignores exclusions.
    const unconfirmed = await open(returnBody({ order: { category: 'intimate-apparel' } }));
    expect(unconfirmed.status).toBe(201);
    const customized = await open(returnBody({ reasonCode: 'defective', order: { category: 'customized' } }));
    expect(customized.status).toBe(201);
    expect(customized.body.summary).toMatchObject({ claimKind: 'quality' });
    // Category codes by their kind (policy categoryKinds; 消法 art. 25): `fresh-produce` and `seafood` are perishable;
    // a code in no table is returnable as ordinary goods (and logged).
    for (const category of ['fresh-produce', 'seafood']) {
      const fresh = await open(returnBody({ order: { category } }));
      expect(fresh.status).toBe(422);
      expect(fresh.body.error).toMatchObject({ code: 'CATEGORY_EXCLUDED', message: expect.stringContaining('(perishable)') });
    }
    const unknown = await open(returnBody({ order: { category: 'drone-kits' } }));
    expect(unknown.status).toBe(201);
    for (const c of [unconfirmed.body.caseId, customized.body.caseId, unknown.body.caseId]) {
      await openTask(c, 'return.merchant_review');
      expect((await call(sys, 'POST', `/v1/cases/${c}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } })).status).toBe(200);
    }
  });

  // 消法 art. 24; 民法典 arts. 563, 620, 621; 三包 art. 10: time alone refuses only past the objection period, and a
  // three-guarantee item's exchange after its 15 days.
  test('time limits of quality claims: a three-guarantee exchange on day 20 is refused 422 with repair left; other goods are exchanged; a longer warranty keeps the objection period open', async () => {
    const day20 = new Date(Date.now() - 20 * DAY).toISOString();
    const phone = await open(returnBody({ requestType: 'exchange', reasonCode: 'defective', order: { category: 'mobile-phones', deliveredAt: day20 } }));
    expect(phone.status).toBe(422);
    expect(phone.body.error).toMatchObject({ code: 'QUALITY_EXCHANGE_WINDOW_EXPIRED', message: expect.stringContaining('art. 10'), details: { claimKind: 'quality', remedies: ['repair'] } });
    const shirt = await open(returnBody({ requestType: 'exchange', reasonCode: 'defective', order: { category: 'apparel', deliveredAt: day20 } }));
    expect(shirt.status).toBe(201);
    const longWarranty = await open(returnBody({ requestType: 'exchange', reasonCode: 'defective', order: { deliveredAt: new Date(Date.now() - 800 * DAY).toISOString(), snapshot: { warrantyMonths: 36 } } }));
    expect(longWarranty.status).toBe(201);
    for (const c of [shirt.body.caseId, longWarranty.body.caseId]) {
      await openTask(c, 'return.merchant_review');
      expect((await call(sys, 'POST', `/v1/cases/${c}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } })).status).toBe(200);
    }
  });

  test('a defective item on day 10 is accepted; the merchant rejects; an agent finds the termination conditions do not hold (codes, evidence and a note id); the customer chooses a repair and is told how to open one', async () => {
    const body: any = returnBody({ reasonCode: 'defective', order: { deliveredAt: new Date(Date.now() - 10 * DAY).toISOString() } });
    const opened = await open(body);
    expect(opened.status).toBe(201);
    expect(opened.body.summary).toMatchObject({ claimKind: 'quality', terminationReview: true });
    const caseId = opened.body.caseId;
    const review = await openTask(caseId, 'return.merchant_review');
    expect((await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'reject', reasonCode: 'outside_return_window' } } })).status).toBe(200);
    const task = await openTask(caseId, 'return.termination_review', sys.keys.agent.apiKey);
    expect(task).toMatchObject({ role: 'agent', sla: 'terminationReview', status: 'open' });
    expect((await caseState(caseId)).step).toBe('termination_review');
    // The agent's words go in a task note (PostgreSQL); the answer names it by id, with codes and evidence ids.
    const note = await call(sys, 'POST', `/v1/tasks/${task.taskId}/notes`, { key: sys.keys.agent.apiKey, body: { body: 'The hinge is loose; a repair restores it.' } });
    expect(note.status).toBe(201);
    const evidence = await attachEvidence(sys, caseId);
    const words = await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { holds: false, grounds: ['repairable'], evidenceIds: [evidence], reason: 'hinge loose' } } });
    expect(words.status).toBe(400);
    // Evidence is the case's attachments: a free reference is malformed (400), another case's or an unknown file 422.
    expect((await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { holds: false, grounds: ['repairable'], evidenceIds: ['EV-API-7'] } } })).status).toBe(400);
    const unknown = await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { holds: false, grounds: ['repairable'], evidenceIds: [evidence, `att_${'0'.repeat(32)}`] } } });
    expect(unknown).toMatchObject({ status: 422, body: { error: { code: 'UNKNOWN_ATTACHMENT', details: { missing: [`att_${'0'.repeat(32)}`] } } } });
    expect((await caseState(caseId)).step).toBe('termination_review');
    const decided = await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { holds: false, grounds: ['repairable'], evidenceIds: [evidence], noteIds: [note.body.noteId] } } });
    expect(decided.status).toBe(200);
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_quality_remedy_choice', 'awaiting the choice');
    expect(Object.keys(await runningDeadlinesOnCase(sys, caseId, 'awaiting the choice'))).toContain('qualityRemedyChoice');
    const refusal = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.customerContact.email) && m.headers['x-case-id'] === caseId && mailText(m.raw).includes('art. 563')), 'refusal notice');
    expect(mailText(refusal.raw)).toContain('12315');
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/quality-remedy-choice`, { key: sys.keys.storefront.apiKey, body: { choice: 'refund' } })).status).toBe(400);
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/quality-remedy-choice`, { key: sys.keys.merchant.apiKey, body: { choice: 'repair' } })).status).toBe(403);
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/quality-remedy-choice`, { key: sys.keys.storefront.apiKey, body: { choice: 'repair' } })).status).toBe(200);
    expect(await closedCase(caseId)).toMatchObject({ outcome: 'referred_to_repair' });
    const howTo = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.customerContact.email) && m.subject === `How to have your item repaired (${caseId})`), 'repair notice');
    expect(mailText(howTo.raw)).toContain('after-sales page');
    const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events;
    expect(timeline.find((e: any) => e.type === 'return.termination_decided').payload).toEqual({ holds: false, grounds: ['repairable'], evidenceIds: [evidence], noteIds: [note.body.noteId] });
    expect(JSON.stringify(timeline)).not.toContain('hinge');
    const history = await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } });
    expect(historyText(history)).toContain(evidence); // the decoded payloads are really searched
    expect(historyText(history)).not.toContain('hinge');
    expect(await sys.db.payment.count({ where: { caseId } })).toBe(0);
  });

  test('goods not received, before any delivery: the merchant rejects, the platform reviews by itself and rejects; the notice names the routes of 消法 art. 39', async () => {
    const body: any = returnBody({ requestType: 'refund_only', reasonCode: 'not_received', order: { deliveredAt: undefined } });
    body.customerContact.locale = 'zh-CN';
    const opened = await open(body);
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId;
    const review = await openTask(caseId, 'return.merchant_review');
    expect((await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'reject', reasonCode: 'goods_delivered' } } })).status).toBe(200);
    // Damage claims at review are gone: the merchant has not seen the goods.
    const platform = await openTask(caseId, 'return.platform_review', sys.keys.agent.apiKey);
    expect((await call(sys, 'POST', `/v1/tasks/${platform.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'reject', reasonCode: 'item_used_or_damaged' } } })).status).toBe(400);
    expect((await call(sys, 'POST', `/v1/tasks/${platform.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'reject', reasonCode: 'goods_delivered' } } })).status).toBe(200);
    expect(await closedCase(caseId)).toMatchObject({ outcome: 'rejected' });
    const notice = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.customerContact.email) && m.headers['x-case-id'] === caseId && mailText(m.raw).includes('12315')), 'rejection notice');
    const text = mailText(notice.raw).replace(/\s+/g, '');
    for (const route of ['平台投诉', '消费者协会', '12315', '仲裁', '人民法院', '第三十九条']) expect(text).toContain(route);
    expect(text).not.toContain('平台的决定为最终决定');
    expect(await sys.db.payment.count({ where: { caseId } })).toBe(0);
  });

  test('pickup, receipt, incomplete with evidence, partial refund agreed: paid back along the original route of the order snapshot', async () => {
    const body: any = returnBody({
      order: { snapshot: { discount: '20.00', points: { count: 500, value: '5.00' }, payment: { ref: 'PAY-API-1', method: 'alipay', originalRouteOpen: true } } },
    });
    const opened = await open(body);
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId;
    const snapshotRow = await sys.db.returnOrderSnapshot.findUniqueOrThrow({ where: { caseId } });
    expect(snapshotRow).toMatchObject({ amountMinor: 19900, discountMinor: 2000, pointsCount: 500, pointsValueMinor: 500, paymentRef: 'PAY-API-1', paymentMethod: 'alipay', originalRouteOpen: true });
    const review = await openTask(caseId, 'return.merchant_review');
    await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_customer_shipment', 'awaiting shipment');
    const bad = await call(sys, 'POST', `/v1/cases/${caseId}/actions/pickup`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', date: '2026-12-01', slot: 'morning' } });
    expect(bad.status).toBe(400);
    const booked = await call(sys, 'POST', `/v1/cases/${caseId}/actions/pickup`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', date: '2026-12-01', slot: '09-12' } });
    expect(booked.status).toBe(200);
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_receipt', 'awaiting receipt');
    const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events;
    expect(timeline.find((e: any) => e.type === 'carrier.pickup_scheduled').payload).toMatchObject({ carrier: 'SF', windowStartsAt: '2026-12-01T01:00:00.000Z', windowEndsAt: '2026-12-01T04:00:00.000Z' });
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/receipt`, { key: sys.keys.storefront.apiKey, body: {} })).status).toBe(403);
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/receipt`, { key: sys.keys.merchant.apiKey, body: {} })).status).toBe(200);
    const inspection = await openTask(caseId, 'return.merchant_inspection');
    const state = await caseState(caseId);
    expect(new Date(inspection.dueAt).getTime()).toBeLessThan(new Date(state.deadlines.refundDueAt).getTime());
    const done = await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, {
      key: sys.keys.merchant.apiKey,
      body: { payload: { outcome: 'incomplete', reasons: ['parts_missing'], evidenceIds: [await attachEvidence(sys, caseId, sys.keys.merchant.apiKey)], offeredRefund: '120.00' } },
    });
    expect(done.status).toBe(200);
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_incomplete_choice', 'awaiting the choice');
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/incomplete-choice`, { key: sys.keys.storefront.apiKey, body: { choice: 'accept_partial_refund' } })).status).toBe(200);
    const closed = await closedCase(caseId);
    expect(closed.outcome).toBe('partially_refunded');
    const refund = await sys.db.payment.findFirstOrThrow({ where: { caseId, kind: 'partial_refund' } });
    expect(refund).toMatchObject({ amountMinor: 12000, route: 'original', paymentRef: 'PAY-API-1', status: 'succeeded' });
    expect(refund.gatewayRef).toMatch(/^SIMREF-/);
    expect(closed.payments.find((p: any) => p.kind === 'partial_refund')).toMatchObject({ route: 'original', amountMinor: 12000 });
    const mail = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.customerContact.email) && m.subject === `Refund issued (${caseId})`), 'refund e-mail');
    expect(mailText(mail.raw)).toContain('A refund of 120.00 CNY was issued to your original payment method');
  });
  // 消法 art. 24 / 暂行办法 art. 8: the day-2 defective return once found "incomplete" and offered 50.00 of 199.00, the
  // refund deadline cleared. A quality return is received, not tested for completeness, and refunded in full; only
  // damage the customer caused is deducted, with evidence, and the customer may dispute it.
  test('a defective item returned on day 2: no completeness test, "incomplete" is refused with 400, the refund deadline stays, refunded 199.00 in full', async () => {
    const opened = await open(returnBody({ reasonCode: 'defective' }));
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId;
    const review = await openTask(caseId, 'return.merchant_review');
    await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_customer_shipment', 'awaiting shipment');
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/shipment`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', trackingNumber: 'SF1234567890' } })).status).toBe(200);
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_receipt', 'awaiting receipt');
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/receipt`, { key: sys.keys.merchant.apiKey, body: {} })).status).toBe(200);
    const inspection = await openTask(caseId, 'return.quality_inspection');
    const before = await caseState(caseId);
    expect(before.deadlines.refundDueAt).toBeDefined();
    const incomplete = await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, {
      key: sys.keys.merchant.apiKey,
      body: { payload: { outcome: 'incomplete', reasons: ['damaged_after_delivery'], evidenceIds: [await attachEvidence(sys, caseId, sys.keys.merchant.apiKey)], offeredRefund: '50.00' } },
    });
    expect(incomplete.status).toBe(400);
    expect((await caseState(caseId)).deadlines.refundDueAt).toBe(before.deadlines.refundDueAt);
    const received = await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { outcome: 'received' } } });
    expect(received.status).toBe(200);
    const closed = await closedCase(caseId);
    expect(closed.outcome).toBe('refunded');
    const refunds = await sys.db.payment.findMany({ where: { caseId, kind: { in: ['refund', 'partial_refund'] } } });
    expect(refunds.map((p) => [p.kind, p.amountMinor, p.status])).toEqual([['refund', 19900, 'succeeded']]);
  });

  test('a quality return with damage the customer caused: the rest refunded by the deadline; the customer disputes over the API; a supervisor overturns; the deduction is paid back', async () => {
    const opened = await open(returnBody({ reasonCode: 'defective' }));
    const caseId = opened.body.caseId;
    const review = await openTask(caseId, 'return.merchant_review');
    await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_customer_shipment', 'awaiting shipment');
    await call(sys, 'POST', `/v1/cases/${caseId}/actions/shipment`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', trackingNumber: 'SF1234567890' } });
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_receipt', 'awaiting receipt');
    await call(sys, 'POST', `/v1/cases/${caseId}/actions/receipt`, { key: sys.keys.merchant.apiKey, body: {} });
    const inspection = await openTask(caseId, 'return.quality_inspection');
    const noEvidence = await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { outcome: 'customer_damage', reasons: ['physical_damage'], evidenceIds: [], deduction: '50.00' } } });
    expect(noEvidence.status).toBe(400);
    const found = await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, {
      key: sys.keys.merchant.apiKey,
      body: { payload: { outcome: 'customer_damage', reasons: ['physical_damage'], evidenceIds: [await attachEvidence(sys, caseId, sys.keys.merchant.apiKey)], deduction: '50.00' } },
    });
    expect(found.status).toBe(200);
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_damage_dispute', 'awaiting the dispute');
    expect(await sys.db.payment.findFirstOrThrow({ where: { caseId, kind: 'partial_refund' } })).toMatchObject({ amountMinor: 14900, status: 'succeeded' });
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/return-damage-dispute`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'damage_is_the_defect', evidenceIds: [await attachEvidence(sys, caseId, sys.keys.storefront.apiKey)] } })).status).toBe(200);
    const dispute = await openTask(caseId, 'return.damage_review', sys.keys.supervisor.apiKey);
    expect((await call(sys, 'POST', `/v1/tasks/${dispute.taskId}/complete`, { key: sys.keys.supervisor.apiKey, body: { payload: { decision: 'overturned' } } })).status).toBe(200);
    const closed = await closedCase(caseId);
    expect(closed.outcome).toBe('refunded');
    const refunds = await sys.db.payment.findMany({ where: { caseId, kind: { in: ['refund', 'partial_refund'] } }, orderBy: { createdAt: 'asc' } });
    expect(refunds.map((p) => [p.amountMinor, p.status])).toEqual([[14900, 'succeeded'], [5000, 'succeeded']]);
    expect(refunds.reduce((a, p) => a + p.amountMinor, 0)).toBe(19900);
  });

  test("a quality return's bulky freight: 120.00 paid, above the carrier's quote by more than 20 %: an agent approves it, reimbursed in full by the seller, no 30.00 cap (消法 art. 24)", async () => {
    const opened = await open(returnBody({ reasonCode: 'defective' }));
    const caseId = opened.body.caseId;
    const review = await openTask(caseId, 'return.merchant_review');
    await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_customer_shipment', 'awaiting shipment');
    const receipt = await attachEvidence(sys, caseId, sys.keys.storefront.apiKey);
    const shipped = await call(sys, 'POST', `/v1/cases/${caseId}/actions/shipment`, {
      key: sys.keys.storefront.apiKey,
      body: { carrier: 'SF', trackingNumber: 'SF1234567890', paid: { amount: '120.00', currency: 'CNY' }, receiptIds: [receipt] },
    });
    expect(shipped.status).toBe(200);
    const approve = await openTask(caseId, 'return.shipping_review', sys.keys.agent.apiKey);
    expect(approve).toMatchObject({ role: 'agent' });
    expect((await call(sys, 'POST', `/v1/tasks/${approve.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { approvedAmount: '120.00', evidenceIds: [receipt] } } })).status).toBe(200);
    const shipping = await eventually(async () => sys.db.payment.findFirst({ where: { caseId, kind: 'return_shipping', status: 'succeeded' } }), 'shipping paid');
    expect(shipping).toMatchObject({ payer: 'merchant', amountMinor: 12000, currency: 'CNY' });
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_receipt', 'awaiting receipt');
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/receipt`, { key: sys.keys.merchant.apiKey, body: {} })).status).toBe(200);
    const inspection = await openTask(caseId, 'return.quality_inspection');
    await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { outcome: 'received' } } });
    expect((await closedCase(caseId)).outcome).toBe('refunded');
  });
});

// 暂行办法 art. 17: 退款方式比照购买商品的支付方式; another way only with the customer's express agreement. A cash-on-delivery
// refund once went to the platform balance unasked.
describe('the refund route by agreement', () => {
  const open = (body: any) => call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  const chooseRoute = (caseId: string, body: unknown, key = sys.keys.storefront.apiKey) => call(sys, 'POST', `/v1/cases/${caseId}/actions/refund-route`, { key, body });
  const PAYEE = 'pye_API7Hq2Lx9Wm4Rt8K';

  test('cash on delivery: the case asks at opening; the action validates (400, 403, 422 elsewhere, 409 once paid); the refund goes to the chosen bank account by its payee reference', async () => {
    const body: any = returnBody({ order: { snapshot: { payment: { ref: 'PAY-API-COD-1', method: 'cash_on_delivery', originalRouteOpen: false } } } });
    const opened = await open(body);
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId;
    // Asked at once: on the case resource, in the audit trail, and by e-mail.
    const asked = await eventually(async () => (await caseState(caseId)).refundRoute, 'the question on the case');
    expect(asked).toMatchObject({ status: 'asked', reason: 'cash_on_delivery' });
    const question = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.customerContact.email) && m.subject === `Choose how you are refunded (${caseId})`), 'the question by e-mail');
    expect(mailText(question.raw)).toContain('paid cash on delivery');

    // An account number is refused at the edge: the bank account travels as the provider's payee reference only.
    const number = await chooseRoute(caseId, { route: 'bank_account', payeeRef: '6222021234567890123' });
    expect(number.status).toBe(400);
    expect((await chooseRoute(caseId, { route: 'bank_account' })).status).toBe(400);
    expect((await chooseRoute(caseId, { route: 'original' })).status).toBe(400);
    expect((await chooseRoute(caseId, { route: 'platform_balance' }, sys.keys.merchant.apiKey)).status).toBe(403);
    expect((await chooseRoute(caseId, { route: 'bank_account', payeeRef: PAYEE })).status).toBe(200);
    const chosen = (await caseState(caseId)).refundRoute;
    expect(chosen).toMatchObject({ status: 'chosen', route: 'bank_account', decidedBy: sys.keys.storefront.id });
    expect(JSON.stringify(chosen)).not.toContain(PAYEE);

    const review = await openTask(caseId, 'return.merchant_review');
    await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_customer_shipment', 'awaiting shipment');
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/shipment`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', trackingNumber: 'SF1234567890' } })).status).toBe(200);
    await eventually(async () => (await caseState(caseId)).step === 'awaiting_receipt', 'awaiting receipt');
    expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/receipt`, { key: sys.keys.merchant.apiKey, body: {} })).status).toBe(200);
    const inspection = await openTask(caseId, 'return.merchant_inspection');
    await call(sys, 'POST', `/v1/tasks/${inspection.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { outcome: 'complete' } } });
    const closed = await eventually(async () => {
      const c = await caseState(caseId);
      return c.status === 'closed' ? c : undefined;
    }, 'case closed');
    expect(closed.outcome).toBe('refunded');

    // Paid once, to the bank account, under the refund's own idempotency key.
    const refund = await sys.db.payment.findUniqueOrThrow({ where: { idempotencyKey: `refund:${caseId}` } });
    expect(refund).toMatchObject({ kind: 'refund', amountMinor: 19900, route: 'bank_account', paymentRef: 'PAY-API-COD-1', status: 'succeeded' });
    expect(refund.gatewayRef).toMatch(/^SIMBNK-/);
    expect(closed.payments.find((p: any) => p.kind === 'refund')).toMatchObject({ route: 'bank_account' });
    const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events;
    expect(timeline.find((e: any) => e.type === 'return.refund_route_requested').payload).toMatchObject({ reason: 'cash_on_delivery' });
    expect(timeline.find((e: any) => e.type === 'return.refund_route_chosen').payload).toEqual({ route: 'bank_account', payeeRef: PAYEE });
    expect(timeline.find((e: any) => e.type === 'payment.refunded').payload).toMatchObject({ route: 'bank_account', payeeRef: PAYEE, routeBasis: 'chosen' });
    const mail = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.customerContact.email) && m.subject === `Refund issued (${caseId})`), 'refund e-mail');
    expect(mailText(mail.raw)).toContain('A refund of 199.00 CNY was issued to the bank account you chose');
    // Closed: nothing more to choose (409).
    expect((await chooseRoute(caseId, { route: 'platform_balance' })).status).toBe(409);
  });

  test('the original route open: no question on the case, and the action is refused with 422', async () => {
    const opened = await open(returnBody({ order: { snapshot: { payment: { ref: 'PAY-API-ALI-1', method: 'alipay', originalRouteOpen: true } } } }));
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId;
    await openTask(caseId, 'return.merchant_review');
    const refused = await chooseRoute(caseId, { route: 'bank_account', payeeRef: PAYEE });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toContain('暂行办法 art. 17');
    expect((await caseState(caseId)).refundRoute).toBeUndefined();
  });
});
