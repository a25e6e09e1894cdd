// Activities against real PostgreSQL (database from globalSetup) and a real SMTP server (the in-process
// catcher) through the real nodemailer mailer. Retries are simulated by calling an activity again,
// inside a MockActivityEnvironment whose attempt number says which try it is.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, templatesOf, type ActivityDeps } from '../../activities';
import { createNotificationOutbox, retryDelaySeconds, type OutboxOptions } from '../../activities/notificationOutbox';
import { deliveryOf } from '../../activities/templates';
import { Registry } from '../../lib/metrics';
import { appendAuditEvent, GENESIS_HASH, verifyAuditChain } from '../../activities/audit';
import { createSmtpMailer, type Mailer } from '../../activities/mailer';
import { SimulatedPaymentGateway, type PaymentGateway, type PayoutRequest, type RefundRequest } from '../../lib/payments';
import { createReturnActivities, type ReimburseReturnShippingInput, type ReturnActivities } from '../../activities/returns';
import type { CaseActivities, CaseEventInput, CaseWrite, NotifyInput, RefundInput } from '../../activities/types';
import { loadConfig, secretsOf } from '../../lib/config';
import { createDb, poolOf, type Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { startMailCatcher, type MailCatcher } from '../../lib/mailCatcher';
import { createPorts, type Ports } from '../../lib/ports';
import { processes } from '../../processes';
import { freePort } from '../../scripts/tools';
import { requireEnv } from '../helpers/env';

const FROM = 'care@casework.test';
const logger = createLogger('test', 'silent');

let db: Db;
let catcher: MailCatcher;
let mailer: Mailer;
let gateway: SimulatedPaymentGateway;
let activities: CaseActivities;
let ports: Ports;
const extraMailers: Mailer[] = [];
const cfg = loadConfig({});
/** The activity deps as the worker builds them (ports from createPorts, secrets from the config), with overrides. */
const depsWith = (o: Partial<ActivityDeps> = {}): ActivityDeps => ({ db, mailer, ports, processes, logger, secrets: secretsOf(cfg), ...o });

beforeAll(async () => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 5 });
  catcher = await startMailCatcher();
  mailer = createSmtpMailer({ host: '127.0.0.1', port: catcher.port, secure: false, from: FROM });
  ports = createPorts(cfg, { db, logger });
  gateway = new SimulatedPaymentGateway(db);
  activities = createActivities(depsWith());
});

afterAll(async () => {
  mailer?.close();
  for (const m of extraMailers) m.close();
  await catcher?.close();
  await db?.$disconnect();
});

// The SDK's logger of the mock environment would print a warning for every (expected) activity failure.
const quietSdkLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Runs an activity as the given attempt, inside an activity context. */
function attempt<A, R>(n: number, fn: (input: A) => Promise<R>, input: A): Promise<R> {
  return new MockActivityEnvironment({ attempt: n }, { logger: quietSdkLogger }).run(fn, input);
}

async function createCase(): Promise<{ caseId: string; customerId: string; merchantId: string }> {
  const caseId = crypto.randomUUID();
  const customerId = `cust-${crypto.randomUUID()}`;
  const merchantId = `merch-${crypto.randomUUID()}`;
  await db.case.create({
    data: {
      id: caseId,
      type: 'return',
      status: 'open',
      step: 'opened',
      customerId,
      merchantId,
      policyVersion: 'test-policy',
      workflowId: caseId,
      summary: {},
      openedBy: 'test',
    },
  });
  return { caseId, customerId, merchantId };
}

async function auditEvents(caseId: string, type?: string) {
  return db.auditEvent.findMany({ where: { caseId, ...(type && { type }) }, orderBy: { seq: 'asc' } });
}

/** Messages the catcher received for one outbox key. */
function caughtFor(key: string) {
  return catcher.messages.filter((m) => m.headers['x-notification-id'] === key);
}

/** A port on 127.0.0.1 that nothing listens on. */
const closedPort = freePort;

const AT = '2026-11-20T08:30:15.123Z';

describe('issueRefund: pays at most once per case', () => {
  function refundInput(caseId: string, amountMinor = 19_900): RefundInput {
    return { caseId, amountMinor, currency: 'CNY', at: AT, eventKey: `${caseId}:refund` };
  }

  test('a retried refund (attempt 2) reuses the first: one gateway charge, one payment, one audit event, same ref', async () => {
    const { caseId } = await createCase();
    const input = refundInput(caseId);

    const first = await attempt(1, activities.issueRefund, input);
    const second = await attempt(2, activities.issueRefund, input);

    expect(first.status).toBe('succeeded');
    expect(second).toEqual(first);

    const ledger = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: `refund:${caseId}` } });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ ref: first.gatewayRef, operation: 'refund', amountMinor: 19_900, currency: 'CNY' });

    const payments = await db.payment.findMany({ where: { caseId } });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({
      id: first.paymentId,
      kind: 'refund',
      status: 'succeeded',
      gatewayRef: first.gatewayRef,
      amountMinor: 19_900,
      currency: 'CNY',
      idempotencyKey: `refund:${caseId}`,
    });

    const refunded = await auditEvents(caseId, 'payment.refunded');
    expect(refunded).toHaveLength(1);
    expect(refunded[0].payload).toMatchObject({ paymentId: first.paymentId, gatewayRef: first.gatewayRef, amountMinor: 19_900 });
  });

  test('a crash after the gateway moved the money but before our DB commit: the retry records the same charge, no second charge', async () => {
    const { caseId } = await createCase();

    // The first refund() reaches the real (simulated) gateway, then "crashes" before returning to the activity.
    class CrashAfterFirstRefund implements PaymentGateway {
      calls = 0;
      constructor(private readonly inner: PaymentGateway) {}
      async refund(req: RefundRequest): Promise<{ ref: string }> {
        this.calls++;
        const res = await this.inner.refund(req);
        if (this.calls === 1) throw new Error('simulated crash after the gateway call');
        return res;
      }
      payout(req: PayoutRequest): Promise<{ ref: string }> {
        return this.inner.payout(req);
      }
    }
    const crashing = new CrashAfterFirstRefund(new SimulatedPaymentGateway(db));
    const acts = createActivities(depsWith({ ports: { ...ports, payments: crashing } }));
    const input = refundInput(caseId, 4_250);

    await expect(attempt(1, acts.issueRefund, input)).rejects.toThrow('simulated crash after the gateway call');

    // Money moved at the gateway, our side does not know yet.
    const ledgerAfterCrash = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: `refund:${caseId}` } });
    expect(ledgerAfterCrash).toHaveLength(1);
    const pending = await db.payment.findMany({ where: { caseId } });
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ status: 'pending', gatewayRef: null });
    expect(await auditEvents(caseId, 'payment.refunded')).toHaveLength(0);

    const retried = await attempt(2, acts.issueRefund, input);
    expect(crashing.calls).toBe(2);

    const ledger = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: `refund:${caseId}` } });
    expect(ledger).toHaveLength(1);
    expect(ledger[0].ref).toBe(ledgerAfterCrash[0].ref);
    expect(retried).toMatchObject({ status: 'succeeded', gatewayRef: ledger[0].ref, paymentId: pending[0].id });

    const payments = await db.payment.findMany({ where: { caseId } });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ id: pending[0].id, status: 'succeeded', gatewayRef: ledger[0].ref, amountMinor: 4_250 });
    expect(await auditEvents(caseId, 'payment.refunded')).toHaveLength(1);
  });

  test('the simulated gateway refuses an idempotency key reused with a different amount or currency', async () => {
    const { caseId } = await createCase();
    const key = `refund:${caseId}`;

    const { ref } = await gateway.refund({ idempotencyKey: key, amountMinor: 1_000, currency: 'CNY' });
    // Same request again: deduplicated, same ref.
    await expect(gateway.refund({ idempotencyKey: key, amountMinor: 1_000, currency: 'CNY' })).resolves.toEqual({ ref });
    await expect(gateway.refund({ idempotencyKey: key, amountMinor: 2_000, currency: 'CNY' })).rejects.toThrow(/different amount/);
    await expect(gateway.refund({ idempotencyKey: key, amountMinor: 1_000, currency: 'USD' })).rejects.toThrow(/different amount/);

    const ledger = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: key } });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ ref, amountMinor: 1_000, currency: 'CNY' });

    // Through the activity: a pending refund cannot be completed with a different amount.
    await expect(activities.issueRefund({ caseId, amountMinor: 2_000, currency: 'CNY', at: AT, eventKey: `${caseId}:refund` })).rejects.toThrow(/different amount/);
    const payments = await db.payment.findMany({ where: { caseId } });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: 'pending', gatewayRef: null });
    expect(await db.simulatedGatewayCharge.count({ where: { idempotencyKey: key } })).toBe(1);
  });
});

describe('reimburseReturnShipping: the return shipping paid out at most once per case (7.3)', () => {
  const cap = { amountMinor: 3_000, currency: 'CNY' };
  function shippingInput(caseId: string, over: Partial<ReimburseReturnShippingInput> = {}): ReimburseReturnShippingInput {
    return { caseId, payer: 'platform', carrier: 'SF', from: 'customer:c-1', to: 'merchant:m-1', cap, at: AT, eventKey: `${caseId}:return-shipping`, ...over };
  }
  let returns: ReturnActivities;
  beforeAll(() => {
    returns = createReturnActivities(depsWith());
  });

  test('is registered through the process catalogue beside the shared activities', () => {
    expect(typeof (createActivities(depsWith()) as Record<string, unknown>).reimburseReturnShipping).toBe('function');
  });

  test('the amount the customer paid; a retry (attempt 2) pays nothing more: one payout, one payment row, one audit event', async () => {
    const { caseId } = await createCase();
    const input = shippingInput(caseId, { paid: { amountMinor: 1_200, currency: 'CNY' } });

    const first = await attempt(1, returns.reimburseReturnShipping, input);
    const second = await attempt(2, returns.reimburseReturnShipping, input);
    expect(first).toMatchObject({ amountMinor: 1_200, currency: 'CNY' });
    expect(first.gatewayRef).toMatch(/^SIMPAY-/);
    expect(second).toEqual(first);

    const ledger = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: `return_shipping:${caseId}` } });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ ref: first.gatewayRef, operation: 'payout', amountMinor: 1_200, currency: 'CNY' });
    const payments = await db.payment.findMany({ where: { caseId } });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({
      id: first.paymentId,
      kind: 'return_shipping',
      payer: 'platform',
      status: 'succeeded',
      amountMinor: 1_200,
      currency: 'CNY',
      gatewayRef: first.gatewayRef,
      idempotencyKey: `return_shipping:${caseId}`,
    });
    const events = await auditEvents(caseId, 'payment.return_shipping_reimbursed');
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({ paymentId: first.paymentId, amountMinor: 1_200, currency: 'CNY', basis: 'paid', paidMinor: 1_200, capMinor: 3_000, capped: false, gatewayRef: first.gatewayRef });
  });

  test("without an amount, the carrier port's quote; above the cap, the cap", async () => {
    const quote = await ports.carriers.quote({ carrier: 'SF', from: 'customer:c-1', to: 'merchant:m-1' });
    const quoted = await createCase();
    const a = await attempt(1, returns.reimburseReturnShipping, shippingInput(quoted.caseId));
    expect(a).toMatchObject({ amountMinor: quote.amountMinor, currency: 'CNY' });
    expect((await auditEvents(quoted.caseId, 'payment.return_shipping_reimbursed'))[0].payload).toMatchObject({ basis: 'carrier_quote', quotedMinor: quote.amountMinor, capped: false });

    const capped = await createCase();
    const b = await attempt(1, returns.reimburseReturnShipping, shippingInput(capped.caseId, { cap: { amountMinor: 999, currency: 'CNY' } })); // quotes start at 10.00
    expect(b.amountMinor).toBe(999);
    expect((await auditEvents(capped.caseId, 'payment.return_shipping_reimbursed'))[0].payload).toMatchObject({ basis: 'carrier_quote', quotedMinor: quote.amountMinor, capMinor: 999, capped: true });

    const paidTooMuch = await createCase();
    const c = await attempt(1, returns.reimburseReturnShipping, shippingInput(paidTooMuch.caseId, { paid: { amountMinor: 8_800, currency: 'CNY' } }));
    expect(c.amountMinor).toBe(3_000);
    expect(await db.simulatedGatewayCharge.findUniqueOrThrow({ where: { idempotencyKey: `return_shipping:${paidTooMuch.caseId}` } })).toMatchObject({ operation: 'payout', amountMinor: 3_000 });
  });

  test('a crash after the gateway paid but before our DB commit: the retry records the same payout, no second payment', async () => {
    const { caseId } = await createCase();
    class CrashAfterFirstPayout implements PaymentGateway {
      calls = 0;
      constructor(private readonly inner: PaymentGateway) {}
      refund(req: RefundRequest): Promise<{ ref: string }> {
        return this.inner.refund(req);
      }
      async payout(req: PayoutRequest): Promise<{ ref: string }> {
        this.calls++;
        const res = await this.inner.payout(req);
        if (this.calls === 1) throw new Error('simulated crash after the gateway call');
        return res;
      }
    }
    const crashing = new CrashAfterFirstPayout(new SimulatedPaymentGateway(db));
    const acts = createReturnActivities(depsWith({ ports: { ...ports, payments: crashing } }));
    const input = shippingInput(caseId, { paid: { amountMinor: 1_650, currency: 'CNY' } });

    await expect(attempt(1, acts.reimburseReturnShipping, input)).rejects.toThrow('simulated crash after the gateway call');
    const ledgerAfterCrash = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: `return_shipping:${caseId}` } });
    expect(ledgerAfterCrash).toHaveLength(1);
    const pending = await db.payment.findMany({ where: { caseId } });
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ status: 'pending', gatewayRef: null, amountMinor: 1_650 });
    expect(await auditEvents(caseId, 'payment.return_shipping_reimbursed')).toHaveLength(0);

    const retried = await attempt(2, acts.reimburseReturnShipping, input);
    expect(crashing.calls).toBe(2);
    const ledger = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: `return_shipping:${caseId}` } });
    expect(ledger).toHaveLength(1);
    expect(retried).toEqual({ paymentId: pending[0].id, amountMinor: 1_650, currency: 'CNY', gatewayRef: ledgerAfterCrash[0].ref });
    expect(await db.payment.findMany({ where: { caseId } })).toEqual([expect.objectContaining({ id: pending[0].id, status: 'succeeded', gatewayRef: ledger[0].ref })]);
    expect(await auditEvents(caseId, 'payment.return_shipping_reimbursed')).toHaveLength(1);

    // A third call (a lost completion) answers from the row without reaching the gateway.
    await expect(attempt(3, acts.reimburseReturnShipping, input)).resolves.toEqual(retried);
    expect(crashing.calls).toBe(2);
  });

  test('the simulated gateway keeps payouts and refunds apart: a key used for one is refused for the other', async () => {
    const { caseId } = await createCase();
    const key = `return_shipping:${caseId}`;
    const { ref } = await gateway.payout({ idempotencyKey: key, amountMinor: 1_000, currency: 'CNY' });
    await expect(gateway.payout({ idempotencyKey: key, amountMinor: 1_000, currency: 'CNY' })).resolves.toEqual({ ref });
    await expect(gateway.payout({ idempotencyKey: key, amountMinor: 1_100, currency: 'CNY' })).rejects.toThrow(/different amount/);
    await expect(gateway.refund({ idempotencyKey: key, amountMinor: 1_000, currency: 'CNY' })).rejects.toThrow(/used for a payout, not a refund/);
    expect(await db.simulatedGatewayCharge.count({ where: { idempotencyKey: key } })).toBe(1);
  });
});

describe('notify: e-mail outbox', () => {
  async function createCustomer(customerId: string, email: string | null = `${customerId}@customer.test`) {
    await db.party.create({ data: { kind: 'customer', id: customerId, email, locale: 'en' } });
    return email;
  }

  /** A notice to the customer; 'return.approved' (an approval) is at least once, 'return.received' (an acknowledgement) at most once. */
  function notifyInput(caseId: string, customerId: string, template = 'return.approved'): NotifyInput {
    return {
      key: `${caseId}:${template}:customer`,
      caseId,
      template,
      recipient: { kind: 'customer', id: customerId },
      params: { caseId },
      at: AT,
      eventKey: `${caseId}:notify:${template}:customer`,
    };
  }

  /**
   * A dispatcher of its own (no polling): each test drives deliveries with deliverDue(). Its own task queue, as a
   * worker's: the API tests' systems run their dispatchers on the same database meanwhile, each for its own queue.
   */
  const testQueue = `activities-test-${crypto.randomUUID()}`;
  function outboxWith(o: Partial<OutboxOptions> = {}) {
    return createNotificationOutbox({ db, mailer, logger, templates: () => templatesOf(processes), queue: testQueue, ...o });
  }
  /** Makes a backed-off row due now, as if its retry time had come. */
  const dueNow = (key: string) => db.$executeRaw`UPDATE notifications SET next_attempt_at = timezone('UTC', now()) - interval '1 second' WHERE id = ${key}`;

  test('the activity only queues; the dispatcher sends the same key once, in the recipient locale, and records it on the audit trail', async () => {
    const { caseId, customerId } = await createCase();
    const email = await createCustomer(customerId);
    const input = notifyInput(caseId, customerId);
    const outbox = outboxWith();
    const acts = createActivities(depsWith({ outbox }));

    await attempt(1, acts.notify, input);
    await attempt(2, acts.notify, input); // a retried activity queues nothing new
    await outbox.idle();
    expect(await db.notification.count({ where: { id: input.key } })).toBe(1);
    await outbox.deliverDue();

    const caught = caughtFor(input.key);
    expect(caught).toHaveLength(1);
    expect(caught[0].to).toEqual([email]);
    expect(caught[0].from).toBe(FROM);
    expect(caught[0].subject).toBe(`Request ${caseId} approved`);
    expect(caught[0].headers['x-case-id']).toBe(caseId);

    const row = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(row).toMatchObject({ status: 'sent', attempts: 1, locale: 'en', caseId, template: 'return.approved', lastError: null, params: { caseId }, eventKey: input.eventKey });
    expect(row.messageId).toBeTruthy();
    expect(row.messageId).toBe(caught[0].messageId);
    expect(row.sentAt).toBeInstanceOf(Date);

    const sentEvents = await auditEvents(caseId, 'notification.sent');
    expect(sentEvents).toHaveLength(1);
    expect(sentEvents[0]).toMatchObject({ eventKey: input.eventKey, at: new Date(AT) });
    expect(sentEvents[0].payload).toMatchObject({ notificationId: input.key, template: 'return.approved', recipientKind: 'customer' });

    // Queued again after it was sent (a replayed activity): nothing is sent again.
    await attempt(3, acts.notify, input);
    await outbox.idle();
    await outbox.deliverDue();
    expect(caughtFor(input.key)).toHaveLength(1);
    expect((await db.notification.findUniqueOrThrow({ where: { id: input.key } })).status).toBe('sent');
  });

  test('a delivery receipt whose signal failed is signalled again by a later pass, with the acceptance time, once', async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId);
    const input = { ...notifyInput(caseId, customerId), receipt: true };
    const failing = outboxWith({ onAccepted: async () => Promise.reject(new Error('Temporal unreachable')) });
    await failing.enqueue(input);
    await failing.idle();
    await failing.deliverDue();
    const sent = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(sent).toMatchObject({ status: 'sent', receipt: true, receiptSignalledAt: null });
    // A minute later (not a receipt in flight), another pass signals it.
    await db.$executeRaw`UPDATE notifications SET sent_at = sent_at - interval '2 minutes' WHERE id = ${input.key}`;
    const acceptedAt = new Date((await db.notification.findUniqueOrThrow({ where: { id: input.key } })).sentAt!);
    const heard: { noticeKey: string; acceptedAt: Date }[] = [];
    const working = outboxWith({ onAccepted: async (r) => void heard.push({ noticeKey: r.noticeKey, acceptedAt: r.acceptedAt }) });
    await working.deliverDue();
    expect(heard).toEqual([{ noticeKey: input.key, acceptedAt }]);
    expect((await db.notification.findUniqueOrThrow({ where: { id: input.key } })).receiptSignalledAt).toBeInstanceOf(Date);
    await working.deliverDue();
    expect(heard).toHaveLength(1);
    expect(caughtFor(input.key)).toHaveLength(1); // the e-mail itself left once
  });

  test("e-mails queued by one step's writes (one transaction, one timestamp) leave in the order they were queued", async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId);
    const outbox = outboxWith();
    const acts = createActivities(depsWith({ outbox }));
    // The closing step: the outcome, then the survey (keys in the other alphabetical order, to show it is not by key).
    const templates = ['survey.requested', 'return.closed.refunded', 'return.approved', 'return.refunded'];
    const writes: CaseWrite[] = templates.map((template, i) => ({ kind: 'notify', input: { ...notifyInput(caseId, customerId), key: `${caseId}:${template}:z${9 - i}`, template, eventKey: `${caseId}:n${i}` } }));
    await attempt(1, acts.applyCaseWrites, { caseId, writes });
    await outbox.idle();
    await outbox.deliverDue();
    const sent = catcher.messages.filter((m) => m.headers['x-case-id'] === caseId).map((m) => String(m.headers['x-notification-id']));
    expect(sent).toEqual(writes.map((w) => (w.input as NotifyInput).key));
  });

  test('an SMTP refusal marks the row failed with a backoff; once due, a working dispatcher sends exactly once (2 attempts)', async () => {
    const { caseId, customerId } = await createCase();
    const email = await createCustomer(customerId);
    const input = notifyInput(caseId, customerId);

    const brokenMailer = createSmtpMailer({ host: '127.0.0.1', port: await closedPort(), secure: false, from: FROM });
    extraMailers.push(brokenMailer);
    const broken = outboxWith({ mailer: brokenMailer });
    await broken.enqueue(input);
    await broken.idle();
    await broken.deliverDue();

    const failed = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, messageId: null });
    expect(failed.lastError).toBeTruthy();
    expect(failed.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 2_000); // 5 s after the first refusal
    expect(caughtFor(input.key)).toHaveLength(0);
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(0);

    // Not due yet: a pass leaves it alone.
    const working = outboxWith();
    expect(await working.deliverDue()).toBe(0);
    expect(caughtFor(input.key)).toHaveLength(0);

    await dueNow(input.key);
    expect(await working.deliverDue()).toBe(1);
    await working.deliverDue(); // a further pass changes nothing

    const caught = caughtFor(input.key);
    expect(caught).toHaveLength(1);
    expect(caught[0].to).toEqual([email]);
    const sent = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect(sent.messageId).toBe(caught[0].messageId);
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(1);
  });

  test("a dispatcher delivers its own task queue's e-mails only: another deployment on the same database never sends them", async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId);
    const input = notifyInput(caseId, customerId);
    const ours = outboxWith({ queue: `q-ours-${caseId}` });
    const theirs = outboxWith({ queue: `q-theirs-${caseId}` });
    // Queued by a worker of our queue (as its notify activity writes it).
    await db.notification.create({
      data: { id: input.key, caseId, template: input.template, recipientKind: 'customer', recipientId: customerId, status: 'pending', params: input.params, eventKey: input.eventKey, eventAt: new Date(input.at), queue: `q-ours-${caseId}` },
    });
    expect(await theirs.deliverDue()).toBe(0);
    expect(await db.notification.findUniqueOrThrow({ where: { id: input.key } })).toMatchObject({ status: 'pending', attempts: 0 });
    expect(caughtFor(input.key)).toHaveLength(0);
    expect(await ours.deliverDue()).toBe(1);
    expect(await db.notification.findUniqueOrThrow({ where: { id: input.key } })).toMatchObject({ status: 'sent', queue: `q-ours-${caseId}`, attempts: 1 });
    expect(caughtFor(input.key)).toHaveLength(1);
  });

  test('retry delays double from 5 s up to 10 minutes', () => {
    expect([1, 2, 3, 4, 8, 20].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 600, 600]);
  });

  test('at most once: a row left "sending" by an interrupted attempt is not resent: once the claim is stale it becomes uncertain', async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId);
    const input = notifyInput(caseId, customerId, 'return.received');

    // The previous attempt claimed the row and died somewhere around the SMTP call.
    await db.notification.create({
      data: { id: input.key, caseId, template: input.template, recipientKind: 'customer', recipientId: customerId, locale: 'en', status: 'sending', attempts: 1, claimedAt: new Date(Date.now() - 60_000) },
    });

    // Within the stale time the claim may still be in flight elsewhere: left as it is.
    await outboxWith({ staleClaimMs: 5 * 60_000 }).deliverDue();
    expect((await db.notification.findUniqueOrThrow({ where: { id: input.key } })).status).toBe('sending');

    await outboxWith({ staleClaimMs: 30_000 }).deliverDue();
    expect(caughtFor(input.key)).toHaveLength(0);
    const row = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(row).toMatchObject({ status: 'uncertain', attempts: 1, messageId: null, sentAt: null });
    expect(row.lastError).toMatch(/not resent/);

    // Still nothing when the activity is retried and the dispatcher passes again.
    await attempt(3, createActivities(depsWith({ outbox: outboxWith({ staleClaimMs: 30_000 }) })).notify, input);
    await outboxWith({ staleClaimMs: 30_000 }).deliverDue();
    expect(caughtFor(input.key)).toHaveLength(0);
    expect((await db.notification.findUniqueOrThrow({ where: { id: input.key } })).status).toBe('uncertain');
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(0);
  });

  test('a recipient without an e-mail address: the row is skipped and nothing is sent', async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId, null);
    const input = notifyInput(caseId, customerId);
    const outbox = outboxWith();

    await outbox.enqueue(input);
    await outbox.idle();
    await outbox.deliverDue();
    await outbox.enqueue(input);
    await outbox.idle();
    await outbox.deliverDue();

    expect(caughtFor(input.key)).toHaveLength(0);
    const row = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(row).toMatchObject({ status: 'skipped', attempts: 1, messageId: null, sentAt: null });
    expect(row.lastError).toMatch(/no e-mail/);
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(0);
  });

  // Once SMTP accepted a message, a failure to record it must not make the row retryable.
  /**
   * The same database, except that the next `failures` transactions on its pg pool (lib/db.ts poolOf) that record a
   * send fail at COMMIT, as if the connection dropped there: nothing they wrote is kept.
   */
  function dbFailingCommits(failures: number): Db {
    let left = failures;
    const poolKey = Object.getOwnPropertySymbols(db).find((s) => s.description === 'pg pool')!;
    const pool = poolOf(db);
    const failingPool = {
      query: pool.query.bind(pool),
      async connect() {
        const client = await pool.connect();
        let recordsSend = false;
        return new Proxy(client, {
          get(target, prop) {
            if (prop === 'query')
              return async (text: unknown, ...rest: unknown[]) => {
                if (typeof text === 'string' && text.includes("SET status = 'sent'")) recordsSend = true;
                if (text === 'COMMIT' && recordsSend && left > 0) {
                  left--;
                  throw new Error('simulated: connection lost while committing');
                }
                return (target.query as (...a: unknown[]) => unknown)(text, ...rest);
              };
            const value = Reflect.get(target, prop, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      },
    };
    return new Proxy(db, {
      get(target, prop) {
        if (prop === poolKey) return failingPool;
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Db;
  }

  test('SMTP accepted and the first recording failed: the record is retried, the mail is not (one e-mail, sent, one audit event)', async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId);
    const input = notifyInput(caseId, customerId);
    const outbox = outboxWith({ db: dbFailingCommits(1) });
    await outbox.enqueue(input);
    await outbox.idle();
    await outbox.deliverDue();
    expect(caughtFor(input.key)).toHaveLength(1);
    expect(await db.notification.findUniqueOrThrow({ where: { id: input.key } })).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(1);
  });

  test('at most once: SMTP accepted but recording the send kept failing: never sent a second time, and uncertain once the claim is stale', async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId);
    const input = notifyInput(caseId, customerId, 'return.received');
    const outbox = outboxWith({ db: dbFailingCommits(3), staleClaimMs: 1_000 });
    await outbox.enqueue(input);
    await outbox.idle();
    await outbox.deliverDue();
    expect(caughtFor(input.key)).toHaveLength(1); // the message did leave
    expect((await db.notification.findUniqueOrThrow({ where: { id: input.key } })).status).toBe('sending');

    // Whatever happens next, the customer must not get the e-mail twice.
    await outbox.deliverDue();
    await new Promise((r) => setTimeout(r, 1_100));
    await outbox.deliverDue();
    expect(caughtFor(input.key)).toHaveLength(1);
    expect((await db.notification.findUniqueOrThrow({ where: { id: input.key } })).status).toBe('uncertain');
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(0);
  });

  // A crash between the SMTP server's answer and the record: the hook throws there, so the pass dies as the process
  // would, leaving the row 'sending' after the message left; a dispatcher started afterwards finds the stale claim.
  class Crash extends Error {}
  const crashAfterSmtp = (): Partial<OutboxOptions> => ({
    afterSmtpAccepted: async () => {
      throw new Crash('simulated: the process died after the SMTP answer, before the record');
    },
  });
  const counts = async (registry: Registry): Promise<Record<string, string | number>[]> => (await registry.getSingleMetric('casework_notifications_total')!.get()).values.map((v) => ({ ...v.labels, value: v.value }));

  test('templates declare their delivery: notices that carry a right or start a clock are at least once', () => {
    const set = templatesOf(processes);
    for (const [name, t] of Object.entries(set)) expect([name, t.delivery]).toEqual([name, expect.stringMatching(/^at-(least|most)-once$/)]);
    for (const name of ['return.approved', 'return.rejected', 'return.rejected_final', 'return.refunded', 'return.shipment_reminder', 'repair.refunded', 'repair.remedy_choice_offered', 'repair.damage_reviewed', 'registration.approved', 'registration.rejected', 'registration.real_name_rejected']) {
      expect([name, deliveryOf(set, name)]).toEqual([name, 'at-least-once']);
    }
    for (const name of ['return.received', 'return.pickup_scheduled', 'return.closed.refunded', 'repair.item_shipped', 'survey.requested', 'task.reminder']) expect([name, deliveryOf(set, name)]).toEqual([name, 'at-most-once']);
  });

  test('at least once: a crash between the SMTP answer and the record: the notice is sent again with the same Message-ID, recorded once', async () => {
    const { caseId, customerId } = await createCase();
    const email = await createCustomer(customerId);
    const input = notifyInput(caseId, customerId, 'return.approved');
    const metrics = new Registry();
    const crashed = outboxWith({ ...crashAfterSmtp(), metrics });
    await crashed.enqueue(input);
    await crashed.idle();
    expect(caughtFor(input.key)).toHaveLength(1); // it left
    expect(await db.notification.findUniqueOrThrow({ where: { id: input.key } })).toMatchObject({ status: 'sending', attempts: 1, messageId: null });

    // The restarted dispatcher: within the stale time the claim may still be in flight, then it is uncertain and resent.
    const restarted = outboxWith({ staleClaimMs: 60_000, metrics });
    await restarted.deliverDue();
    expect(caughtFor(input.key)).toHaveLength(1);
    await outboxWith({ staleClaimMs: 0, metrics }).deliverDue();
    const caught = caughtFor(input.key);
    expect(caught).toHaveLength(2);
    expect(caught[1].messageId).toBe(caught[0].messageId); // the duplicate shows as one
    expect(caught[1].to).toEqual([email]);
    const row = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(row).toMatchObject({ status: 'sent', attempts: 2, messageId: caught[0].messageId, lastError: null });
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(1);
    // Once sent, never again.
    await outboxWith({ staleClaimMs: 0, metrics }).deliverDue();
    expect(caughtFor(input.key)).toHaveLength(2);
    expect(await counts(metrics)).toEqual(
      expect.arrayContaining([
        { delivery: 'at-least-once', outcome: 'uncertain', value: 1 },
        { delivery: 'at-least-once', outcome: 'resent_after_uncertain', value: 1 },
      ]),
    );
    expect((await counts(metrics)).filter((c) => c.outcome === 'sent')).toEqual([]);
  });

  test('at most once: the same crash leaves the notice uncertain, never resent, and counted', async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId);
    const input = notifyInput(caseId, customerId, 'return.received');
    const metrics = new Registry();
    const crashed = outboxWith({ ...crashAfterSmtp(), metrics });
    await crashed.enqueue(input);
    await crashed.idle();
    expect(caughtFor(input.key)).toHaveLength(1);
    await outboxWith({ staleClaimMs: 0, metrics }).deliverDue();
    await outboxWith({ staleClaimMs: 0, metrics }).deliverDue();
    expect(caughtFor(input.key)).toHaveLength(1);
    const row = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
    expect(row).toMatchObject({ status: 'uncertain', attempts: 1, messageId: null });
    expect(row.lastError).toMatch(/not resent/);
    expect(await auditEvents(caseId, 'notification.sent')).toHaveLength(0);
    expect(await counts(metrics)).toEqual([{ delivery: 'at-most-once', outcome: 'uncertain', value: 1 }]);

    // A notice delivered normally counts as sent.
    const other = notifyInput(caseId, customerId, 'return.approved');
    const normal = outboxWith({ metrics });
    await normal.enqueue(other);
    await normal.idle();
    expect(await counts(metrics)).toEqual(expect.arrayContaining([{ delivery: 'at-least-once', outcome: 'sent', value: 1 }]));
  });

  test('the stale-claim sweep ends a claim skipped, not uncertain, when the recipient has no address (as a send does), whatever the delivery', async () => {
    const { caseId, customerId } = await createCase();
    await createCustomer(customerId, null);
    const metrics = new Registry();
    const rows = [notifyInput(caseId, customerId, 'return.approved'), notifyInput(caseId, customerId, 'return.received')];
    // Claims an interrupted attempt left, for a party without an e-mail address (a merchant without a contact, say).
    for (const input of rows) {
      await db.notification.create({
        data: { id: input.key, caseId, template: input.template, recipientKind: 'customer', recipientId: customerId, status: 'sending', attempts: 1, claimedAt: new Date(Date.now() - 60_000), queue: testQueue },
      });
    }
    await outboxWith({ staleClaimMs: 30_000, metrics }).deliverDue();
    for (const input of rows) {
      const row = await db.notification.findUniqueOrThrow({ where: { id: input.key } });
      expect(row).toMatchObject({ status: 'skipped', attempts: 1, messageId: null, sentAt: null });
      expect(row.lastError).toMatch(/no e-mail/);
      expect(caughtFor(input.key)).toHaveLength(0);
    }
    // A recipient of no party row at all is skipped too.
    const orphan = notifyInput(caseId, `nobody-${crypto.randomUUID()}`, 'return.refunded');
    await db.notification.create({ data: { id: orphan.key, caseId, template: orphan.template, recipientKind: 'customer', recipientId: orphan.recipient.id, status: 'sending', attempts: 1, claimedAt: new Date(Date.now() - 60_000), queue: testQueue } });
    await outboxWith({ staleClaimMs: 30_000, metrics }).deliverDue();
    expect((await db.notification.findUniqueOrThrow({ where: { id: orphan.key } })).status).toBe('skipped');
    expect(await counts(metrics)).toEqual(
      expect.arrayContaining([
        { delivery: 'at-least-once', outcome: 'skipped', value: 2 },
        { delivery: 'at-most-once', outcome: 'skipped', value: 1 },
      ]),
    );
  });
});

describe('audit trail: hash chain per case', () => {
  test('concurrent appends to one case (a step of the workflow and the outbox at once) all land, on contiguous seqs', async () => {
    const { caseId } = await createCase();
    const appends = Array.from({ length: 12 }, (_, i) =>
      db.$transaction((tx) => appendAuditEvent(tx, { caseId, eventKey: `${caseId}:c${i}`, type: 'case.test', actor: 'system', at: new Date(AT), payload: { i } }), { maxWait: 10_000 }),
    );
    const results = await Promise.all(appends);
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    await expect(verifyAuditChain(db, caseId)).resolves.toEqual({ caseId, events: 12, valid: true });
  });

  test('events are appended once per key, seq is contiguous, each links to its predecessor; tampering is detected at the tampered seq', async () => {
    const { caseId } = await createCase();
    const ev = (n: number, payload: Record<string, unknown>) => ({
      caseId,
      eventKey: `${caseId}:e${n}`,
      type: `test.event${n}`,
      actor: n % 2 ? 'system' : 'merchant:m-1',
      at: new Date(Date.parse(AT) + n * 1_000).toISOString(),
      payload,
    });

    await attempt(1, activities.recordCaseEvent, ev(1, { step: 'opened' }));
    // Key order, nested values, unicode and numbers must hash the same after a round trip through jsonb.
    await attempt(1, activities.recordCaseEvent, ev(2, { z: 1, a: { y: [1, 2.5, null, 'ü'], b: true }, m: '退款' }));
    await attempt(2, activities.recordCaseEvent, ev(2, { z: 1, a: { y: [1, 2.5, null, 'ü'], b: true }, m: '退款' })); // retry: same key
    await attempt(1, activities.recordCaseEvent, ev(3, { amountMinor: 19_900, note: null }));
    await attempt(1, activities.recordCaseEvent, ev(4, {}));

    const events = await auditEvents(caseId);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(events.map((e) => e.eventKey)).toEqual([1, 2, 3, 4].map((n) => `${caseId}:e${n}`));
    expect(events[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i].prevHash).toBe(events[i - 1].hash);
    expect(new Set(events.map((e) => e.hash)).size).toBe(4);
    expect(events[2].at.toISOString()).toBe(new Date(Date.parse(AT) + 3_000).toISOString());

    await expect(verifyAuditChain(db, caseId)).resolves.toEqual({ caseId, events: 4, valid: true });

    // The database refuses to change an event ...
    await expect(db.$executeRaw`UPDATE audit_events SET actor = 'someone else' WHERE case_id = ${caseId} AND seq = 2`).rejects.toThrow(/append-only/);
    await expect(db.$executeRaw`DELETE FROM audit_events WHERE case_id = ${caseId}`).rejects.toThrow(/append-only/);
    // ... so a tamperer must bypass triggers (superuser, replica role); the hash chain still catches it.
    const [, changed] = await db.$transaction([
      db.$executeRaw`SET LOCAL session_replication_role = replica`,
      db.$executeRaw`UPDATE audit_events SET payload = '{"z":1,"a":{"y":[1,2.5,null,"ü"],"b":false},"m":"退款"}'::jsonb WHERE case_id = ${caseId} AND seq = 2`,
    ]);
    expect(changed).toBe(1);

    const verdict = await verifyAuditChain(db, caseId);
    expect(verdict).toMatchObject({ caseId, events: 4, valid: false, firstBrokenSeq: 2 });
    expect(verdict.problem).toMatch(/hash/);
  });

  test('a different event under a used key fails loudly (non-retryable) and writes nothing', async () => {
    const { caseId } = await createCase();
    const first = { caseId, eventKey: `${caseId}:7`, type: 'case.opened', actor: 'system', at: AT, payload: { orderId: 'O-1' } };
    await attempt(1, activities.recordCaseEvent, first);
    const collision = { ...first, type: 'case.closed', payload: { outcome: 'refunded' }, casePatch: { status: 'closed', step: 'closed', outcome: 'refunded', closed: true } };
    await expect(attempt(1, activities.recordCaseEvent, collision)).rejects.toMatchObject({ type: 'AuditKeyCollision', nonRetryable: true });
    // A retry of the first event is still idempotent, also when it comes at a later workflow time (a workflow task the
    // server refused and ran again): the first write stands.
    await attempt(2, activities.recordCaseEvent, first);
    await attempt(1, activities.recordCaseEvent, { ...first, at: new Date(new Date(AT).getTime() + 1500).toISOString() });
    expect((await auditEvents(caseId)).map((e) => new Date(e.at).toISOString())).toEqual([new Date(AT).toISOString()]);
    const events = await auditEvents(caseId);
    expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'case.opened']]);
    const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row.status).not.toBe('closed');
    expect(row.closedAt).toBeNull();

    // Task closes are checked the same way: a second, different close under the first one's key is refused.
    const taskId = `${caseId}.t1`;
    await attempt(1, activities.openTask, { taskId, caseId, caseType: 'return', type: 'return.merchant_review', role: 'merchant', merchantId: 'm-1', slaName: 'merchantReview', dueAt: AT, at: AT, eventKey: `${caseId}:8` });
    const close = { taskId, caseId, status: 'completed' as const, resolution: 'completed', actor: 'merchant:m-1', result: { decision: 'approve' }, at: AT, eventKey: `${caseId}:9` };
    await attempt(1, activities.closeTask, close);
    await attempt(2, activities.closeTask, close);
    await expect(attempt(1, activities.closeTask, { ...close, status: 'expired', resolution: 'auto:approve', actor: 'system' })).rejects.toMatchObject({ type: 'AuditKeyCollision' });
    expect((await auditEvents(caseId)).map((e) => e.type)).toEqual(['case.opened', 'task.created', 'task.completed']);
  });

  test("a step's writes in one applyCaseWrites: one transaction, in order; a retry writes nothing twice; a refused write leaves none of them", async () => {
    const { caseId, customerId } = await createCase();
    const taskId = `${caseId}.t1`;
    const writes: CaseWrite[] = [
      { kind: 'closeTask', input: { taskId, caseId, status: 'completed', resolution: 'completed', actor: 'merchant:m-1', result: { decision: 'approve' }, at: AT, eventKey: `${caseId}:3`, deadlines: {}, deadlinesVersion: 3 } },
      { kind: 'recordCaseEvent', input: { caseId, eventKey: `${caseId}:4`, type: 'return.approved', actor: 'system', at: AT, payload: {}, casePatch: { step: 'awaiting_customer_shipment', status: 'open', deadlines: { customerShipment: '2026-11-27T10:00:00.000Z' } }, deadlinesVersion: 4 } },
      { kind: 'notify', input: { key: `${caseId}:return.approved:customer:${customerId}`, caseId, template: 'return.approved', recipient: { kind: 'customer', id: customerId }, params: { caseId }, at: AT, eventKey: `${caseId}:5` } },
    ];
    await attempt(1, activities.openTask, { taskId, caseId, caseType: 'return', type: 'return.merchant_review', role: 'merchant', merchantId: 'm-1', slaName: 'merchantReview', dueAt: AT, at: AT, eventKey: `${caseId}:2`, deadlines: { merchantReview: AT }, deadlinesVersion: 2 });
    await attempt(1, activities.applyCaseWrites, { caseId, writes });
    await attempt(2, activities.applyCaseWrites, { caseId, writes }); // its answer lost: the batch again
    expect((await auditEvents(caseId)).map((e) => [e.seq, e.type])).toEqual([[1, 'task.created'], [2, 'task.completed'], [3, 'return.approved']]);
    const task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(task).toMatchObject({ status: 'completed', completedBy: 'merchant:m-1', result: { decision: 'approve' } });
    // Instants stored as UTC whatever the process's or the server's time zone (plain SQL, activities/caseWrites.ts).
    expect([task.dueAt.toISOString(), task.completedAt!.toISOString(), task.createdAt.toISOString()]).toEqual([AT, AT, AT]);
    expect(await db.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({ step: 'awaiting_customer_shipment', deadlines: { customerShipment: '2026-11-27T10:00:00.000Z' }, deadlinesVersion: 4 });
    expect(await db.notification.count({ where: { caseId } })).toBe(1);

    // A batch whose last write collides with a recorded event is refused whole: its first write is not kept either.
    const refused: CaseWrite[] = [
      { kind: 'recordCaseEvent', input: { caseId, eventKey: `${caseId}:6`, type: 'return.shipment_submitted', actor: 'system', at: AT, payload: {}, casePatch: { step: 'awaiting_receipt' }, deadlinesVersion: 6 } },
      { kind: 'recordCaseEvent', input: { caseId, eventKey: `${caseId}:4`, type: 'case.closed', actor: 'system', at: AT, payload: {} } },
    ];
    await expect(attempt(1, activities.applyCaseWrites, { caseId, writes: refused })).rejects.toMatchObject({ type: 'AuditKeyCollision', nonRetryable: true });
    expect((await auditEvents(caseId)).map((e) => e.type)).toEqual(['task.created', 'task.completed', 'return.approved']);
    expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).step).toBe('awaiting_customer_shipment');
    // Another case's write never rides in this case's batch.
    await expect(activities.applyCaseWrites({ caseId, writes: [{ kind: 'recordCaseEvent', input: { ...refused[0].input, caseId: 'another-case' } as CaseEventInput }] })).rejects.toThrow(/batch of case/);
  });

  test('running deadlines: a write older than the stored list never replaces it, whatever order the activities finish in', async () => {
    const { caseId } = await createCase();
    const taskId = `${caseId}.t1`;
    await attempt(1, activities.openTask, { taskId, caseId, caseType: 'return', type: 'return.merchant_review', role: 'merchant', merchantId: 'm-1', slaName: 'merchantReview', dueAt: AT, at: AT, eventKey: `${caseId}:3`, deadlines: { merchantReview: AT }, deadlinesVersion: 3 });
    // The main flow moved on (version 5) before the task's close (version 4) was written.
    await attempt(1, activities.recordCaseEvent, { caseId, eventKey: `${caseId}:5`, type: 'return.approved', actor: 'system', at: AT, payload: {}, casePatch: { step: 'awaiting_customer_shipment', deadlines: { customerShipment: '2026-11-27T10:00:00.000Z' } }, deadlinesVersion: 5 });
    await attempt(1, activities.closeTask, { taskId, caseId, status: 'completed', resolution: 'completed', actor: 'merchant:m-1', result: { decision: 'approve' }, at: AT, eventKey: `${caseId}:4`, deadlines: {}, deadlinesVersion: 4 });
    const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row.deadlines).toEqual({ customerShipment: '2026-11-27T10:00:00.000Z' });
    expect(row.deadlinesVersion).toBe(5);
    expect(row.step).toBe('awaiting_customer_shipment');
  });

  test('a casePatch updates the case row in the same transaction, once per event key', async () => {
    const { caseId } = await createCase();
    const closedAt = '2026-11-21T09:00:00.456Z';

    await activities.recordCaseEvent({
      caseId,
      eventKey: `${caseId}:approved`,
      type: 'return.approved',
      actor: 'merchant:m-1',
      at: '2026-11-20T10:00:00.000Z',
      payload: {},
      casePatch: { status: 'in_progress', step: 'awaiting_shipment', deadlines: { shipBy: '2026-11-27T10:00:00.000Z', reviewBy: null } },
    });
    let row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row).toMatchObject({ status: 'in_progress', step: 'awaiting_shipment', outcome: null, closedAt: null });
    expect(row.deadlines).toEqual({ shipBy: '2026-11-27T10:00:00.000Z', reviewBy: null });

    const closing = {
      caseId,
      eventKey: `${caseId}:closed`,
      type: 'case.closed',
      actor: 'system',
      at: closedAt,
      payload: { outcome: 'refunded' },
      casePatch: { status: 'closed', step: 'closed', outcome: 'refunded', closed: true },
    };
    await attempt(1, activities.recordCaseEvent, closing);
    row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row).toMatchObject({ status: 'closed', step: 'closed', outcome: 'refunded' });
    expect(row.closedAt?.toISOString()).toBe(closedAt);

    // A replay of an already-recorded event key does not apply its patch again.
    await attempt(2, activities.recordCaseEvent, { ...closing, casePatch: { status: 'reopened', step: 'x', outcome: 'other', closed: true } });
    row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row).toMatchObject({ status: 'closed', step: 'closed', outcome: 'refunded' });
    expect(row.closedAt?.toISOString()).toBe(closedAt);

    expect((await auditEvents(caseId)).map((e) => e.type)).toEqual(['return.approved', 'case.closed']);
    await expect(verifyAuditChain(db, caseId)).resolves.toMatchObject({ valid: true, events: 2 });
  });

  test("step spans: a new step closes the open span and opens the next at the event's own time; the same step again or a retried batch adds none; the close keeps its payload", async () => {
    const { caseId } = await createCase();
    const spans = async () =>
      (
        await poolOf(db).query<{ step: string; entered: string; left: string | null; next: string | null }>(
          `SELECT step, to_char(entered_at, 'HH24:MI:SS.MS') AS entered, to_char(left_at, 'HH24:MI:SS.MS') AS "left", next_step AS "next" FROM case_steps WHERE case_id = $1 ORDER BY id`,
          [caseId],
        )
      ).rows;
    const event = (n: number, at: string, step: string, extra: Partial<CaseEventInput> = {}): Extract<CaseWrite, { kind: 'recordCaseEvent' }> => ({
      kind: 'recordCaseEvent',
      input: { caseId, eventKey: `${caseId}:${n}`, type: 'complaint.stage_entered', actor: 'system', at: `2026-11-20T${at}Z`, payload: { stage: step }, casePatch: { status: 'open', step }, ...extra },
    });
    const first: CaseWrite[] = [event(1, '10:00:00.000', 'review'), event(2, '10:00:00.000', 'review', { type: 'complaint.noted' })];
    await attempt(1, activities.applyCaseWrites, { caseId, writes: first });
    await attempt(2, activities.applyCaseWrites, { caseId, writes: first }); // its answer lost: the batch again
    expect(await spans()).toEqual([{ step: 'review', entered: '10:00:00.000', left: null, next: null }]);

    const second: CaseWrite[] = [event(3, '11:30:00.250', 'judgement'), event(4, '11:30:00.250', 'merchant_reply')];
    await attempt(1, activities.applyCaseWrites, { caseId, writes: second });
    await attempt(2, activities.applyCaseWrites, { caseId, writes: second });
    const closing = event(5, '12:00:00.000', 'closed', { type: 'case.closed', payload: { outcome: 'settled', rating: 4 }, casePatch: { status: 'closed', step: 'closed', outcome: 'settled', closed: true } });
    await attempt(1, activities.recordCaseEvent, closing.input);
    await attempt(2, activities.recordCaseEvent, closing.input);
    expect(await spans()).toEqual([
      { step: 'review', entered: '10:00:00.000', left: '11:30:00.250', next: 'judgement' },
      { step: 'judgement', entered: '11:30:00.250', left: '11:30:00.250', next: 'merchant_reply' },
      { step: 'merchant_reply', entered: '11:30:00.250', left: '12:00:00.000', next: 'closed' },
      { step: 'closed', entered: '12:00:00.000', left: null, next: null },
    ]);
    expect((await poolOf(db).query('SELECT closing FROM cases WHERE id = $1', [caseId])).rows[0].closing).toEqual({ outcome: 'settled', rating: 4 });
  });

  test("step spans carry what a report groups by (the case's type, opening time, merchant and facets) and their duration; a merchant named later is written on every span", async () => {
    const { caseId, merchantId } = await createCase();
    await db.case.update({ where: { id: caseId }, data: { facets: ['delivery', 'phone'] } });
    const openedAt = (await db.case.findUniqueOrThrow({ where: { id: caseId } })).createdAt;
    const spans = async () =>
      (await poolOf(db).query(`SELECT step, case_type, opened_at, merchant_id, facets, duration_ms::int AS ms FROM case_steps WHERE case_id = $1 ORDER BY id`, [caseId])).rows;
    const event = (n: number, at: string, step: string, patch: Record<string, unknown> = {}) =>
      ({ caseId, eventKey: `${caseId}:${n}`, type: 'complaint.stage_entered', actor: 'system', at: `2026-11-20T${at}Z`, payload: { stage: step }, casePatch: { status: 'open', step, ...patch } }) as CaseEventInput;
    await attempt(1, activities.recordCaseEvent, event(1, '10:00:00.000', 'review'));
    await attempt(1, activities.recordCaseEvent, event(2, '10:00:01.500', 'judgement'));
    const common = { case_type: 'return', opened_at: openedAt, facets: ['delivery', 'phone'] };
    expect(await spans()).toEqual([
      { step: 'review', ...common, merchant_id: merchantId, ms: 1500 },
      { step: 'judgement', ...common, merchant_id: merchantId, ms: null },
    ]);
    // The merchant named at a later step (an e-mail complaint's): on the case row and on every span, closed or open.
    await attempt(1, activities.recordCaseEvent, event(3, '10:00:02.000', 'merchant_reply', { merchantId: 'merch-named' }));
    expect(await spans()).toEqual([
      { step: 'review', ...common, merchant_id: 'merch-named', ms: 1500 },
      { step: 'judgement', ...common, merchant_id: 'merch-named', ms: 500 },
      { step: 'merchant_reply', ...common, merchant_id: 'merch-named', ms: null },
    ]);
    expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).merchantId).toBe('merch-named');
  });
});

describe('tasks: inbox rows', () => {
  async function open(caseId: string, merchantId: string) {
    const taskId = crypto.randomUUID();
    const dueAt = '2026-11-22T08:30:15.123Z';
    await attempt(1, activities.openTask, {
      taskId,
      caseId,
      caseType: 'return',
      type: 'return.merchant_review',
      role: 'merchant',
      merchantId,
      slaName: 'merchant_review',
      dueAt,
      at: AT,
      eventKey: `${taskId}:open`,
    });
    return { taskId, dueAt };
  }

  test('openTask then closeTask completes the task once; a later close with another key does not overwrite it', async () => {
    const { caseId, merchantId } = await createCase();
    const { taskId, dueAt } = await open(caseId, merchantId);
    // The retried open is a no-op.
    await attempt(2, activities.openTask, {
      taskId, caseId, caseType: 'return', type: 'return.merchant_review', role: 'merchant', merchantId,
      slaName: 'merchant_review', dueAt, at: AT, eventKey: `${taskId}:open`,
    });

    let task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(task).toMatchObject({ caseId, caseType: 'return', type: 'return.merchant_review', role: 'merchant', merchantId, status: 'open', slaName: 'merchant_review', escalated: false, completedBy: null });
    expect(task.dueAt.toISOString()).toBe(dueAt);

    const completedAt = '2026-11-21T12:00:00.000Z';
    await attempt(1, activities.closeTask, {
      taskId,
      caseId,
      status: 'completed',
      resolution: 'completed',
      actor: 'merchant-user-1',
      result: { decision: 'approve' },
      at: completedAt,
      eventKey: `${taskId}:close`,
    });
    task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(task).toMatchObject({ status: 'completed', resolution: 'completed', completedBy: 'merchant-user-1', result: { decision: 'approve' } });
    expect(task.completedAt?.toISOString()).toBe(completedAt);

    await attempt(1, activities.closeTask, {
      taskId,
      caseId,
      status: 'expired',
      resolution: 'auto:approve',
      actor: 'system',
      result: { decision: 'reject', reasonCode: 'other' },
      at: '2026-11-22T08:30:15.123Z',
      eventKey: `${taskId}:expire`,
    });
    task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(task).toMatchObject({ status: 'completed', resolution: 'completed', completedBy: 'merchant-user-1', result: { decision: 'approve' } });
    expect(task.completedAt?.toISOString()).toBe(completedAt);

    const created = await auditEvents(caseId, 'task.created');
    expect(created).toHaveLength(1);
    expect(created[0].payload).toMatchObject({ taskId, role: 'merchant', dueAt });
    const completed = await auditEvents(caseId, 'task.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ actor: 'merchant-user-1', payload: { taskId, resolution: 'completed', result: { decision: 'approve' } } });
    expect(await auditEvents(caseId, 'task.expired')).toHaveLength(0); // the no-op close left no trace
    await expect(verifyAuditChain(db, caseId)).resolves.toMatchObject({ valid: true });
  });

  test('an SLA that lapses into the default decision is recorded as a breach with the task', async () => {
    const { caseId, merchantId } = await createCase();
    const { taskId, dueAt } = await open(caseId, merchantId);
    await attempt(1, activities.closeTask, { taskId, caseId, status: 'expired', resolution: 'auto:approve', actor: 'system', at: AT, eventKey: `${taskId}:expire` });
    await attempt(2, activities.closeTask, { taskId, caseId, status: 'expired', resolution: 'auto:approve', actor: 'system', at: AT, eventKey: `${taskId}:expire` });
    const breaches = await auditEvents(caseId, 'sla.breached');
    expect(breaches).toHaveLength(1);
    expect(breaches[0].payload).toMatchObject({ taskId, dueAt, action: 'default-decision' });
    expect((await db.task.findUniqueOrThrow({ where: { id: taskId } })).status).toBe('expired');
  });

  test('escalateTask: a reminder stamps remindedAt; a breach with reassign-to-supervisor moves the task to the supervisor role', async () => {
    const { caseId, merchantId } = await createCase();
    const { taskId, dueAt } = await open(caseId, merchantId);
    await db.task.update({ where: { id: taskId }, data: { assigneeId: 'merchant-user-7' } });

    const remindAt = '2026-11-21T08:30:15.123Z';
    await attempt(1, activities.escalateTask, { taskId, caseId, kind: 'reminder', slaName: 'merchant_review', dueAt, at: remindAt, eventKey: `${taskId}:remind` });
    let task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(task).toMatchObject({ role: 'merchant', escalated: false, escalatedAt: null, assigneeId: 'merchant-user-7' });
    expect(task.remindedAt?.toISOString()).toBe(remindAt);

    const breach = { taskId, caseId, kind: 'breach' as const, action: 'reassign-to-supervisor' as const, slaName: 'merchant_review', dueAt, at: dueAt, eventKey: `${taskId}:breach` };
    await attempt(1, activities.escalateTask, breach);
    await attempt(2, activities.escalateTask, breach);
    task = await db.task.findUniqueOrThrow({ where: { id: taskId } });
    expect(task).toMatchObject({ role: 'supervisor', escalated: true, assigneeId: null, status: 'open' });
    expect(task.escalatedAt?.toISOString()).toBe(dueAt);

    expect(await auditEvents(caseId, 'sla.reminded')).toHaveLength(1);
    const breached = await auditEvents(caseId, 'sla.breached');
    expect(breached).toHaveLength(1);
    expect(breached[0].payload).toMatchObject({ taskId, sla: 'merchant_review', action: 'reassign-to-supervisor' });
  });
});

describe('refundReturn: the refund of a return, once per case, along the route of the order snapshot', () => {
  const returns = () => createReturnActivities(depsWith());
  const input = (caseId: string, over: Partial<Parameters<ReturnActivities['refundReturn']>[0]> = {}) => ({
    caseId,
    amountMinor: 17_400,
    currency: 'CNY',
    route: 'original' as const,
    paymentRef: 'PAY-ACT-1',
    points: { count: 500 },
    kind: 'full' as const,
    at: AT,
    eventKey: `${caseId}:refund`,
    ...over,
  });

  test('original route: one gateway refund under the case key, route and payment reference kept, points in the audit event; a retry pays nothing more', async () => {
    const { caseId } = await createCase();
    const first = await attempt(1, returns().refundReturn, input(caseId));
    const again = await attempt(2, returns().refundReturn, input(caseId, { amountMinor: 99_999 }));
    expect(again).toEqual(first);
    expect(first).toMatchObject({ route: 'original', amountMinor: 17_400 });
    expect(first.gatewayRef).toMatch(/^SIMREF-/);
    const ledger = await db.simulatedGatewayCharge.findMany({ where: { idempotencyKey: `refund:${caseId}` } });
    expect(ledger.map((l) => [l.operation, l.amountMinor])).toEqual([['refund', 17_400]]);
    const [payment] = await db.payment.findMany({ where: { caseId } });
    expect(payment).toMatchObject({ kind: 'refund', route: 'original', paymentRef: 'PAY-ACT-1', status: 'succeeded', amountMinor: 17_400 });
    const [event] = await auditEvents(caseId, 'payment.refunded');
    expect(event.payload).toMatchObject({ route: 'original', paymentRef: 'PAY-ACT-1', pointsRestored: 500, kind: 'refund' });
  });

  test('platform balance when the original route is closed; a partial refund is its own kind; a zero amount moves no money', async () => {
    const { caseId } = await createCase();
    const paid = await attempt(1, returns().refundReturn, input(caseId, { route: 'platform_balance', kind: 'partial', amountMinor: 5_000 }));
    expect(paid.gatewayRef).toMatch(/^SIMBAL-/);
    expect((await db.payment.findFirstOrThrow({ where: { caseId } })).kind).toBe('partial_refund');
    const other = await createCase();
    const zero = await attempt(1, returns().refundReturn, input(other.caseId, { amountMinor: 0 }));
    expect(zero.gatewayRef).toBeNull();
    expect(await db.simulatedGatewayCharge.count({ where: { idempotencyKey: `refund:${other.caseId}` } })).toBe(0);
    expect((await db.payment.findFirstOrThrow({ where: { caseId: other.caseId } })).status).toBe('recorded');
  });

  test('a pickup (上门取件) through the simulated carrier: the same booking on a retry, its window in the calendar time zone, recorded once', async () => {
    const { caseId } = await createCase();
    const req = { caseId, carrier: 'SF', from: 'customer:c-1', to: 'merchant:m-1', date: '2026-12-01', slot: '15-18', timeZone: 'Asia/Shanghai', at: AT, eventKey: `${caseId}:pickup` };
    const first = await attempt(1, returns().scheduleReturnPickup, req);
    expect(await attempt(2, returns().scheduleReturnPickup, req)).toEqual(first);
    expect(first).toMatchObject({ carrier: 'SF', windowStartsAt: '2026-12-01T07:00:00.000Z', windowEndsAt: '2026-12-01T10:00:00.000Z' });
    expect(first.trackingNumber).toMatch(/^SIMPICK[0-9A-F]{16}$/);
    expect(await auditEvents(caseId, 'carrier.pickup_scheduled')).toHaveLength(1);
    expect(await returns().returnParcelStatus({ carrier: 'SF', trackingNumber: first.trackingNumber })).toEqual({ delivered: false });
  });
});

describe('the embedded mail catcher of the dev system', () => {
  test('keepInMemory false: each message goes to its .eml file and onMail, none stays in memory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casework-mail-'));
    const seen: string[] = [];
    const devCatcher = await startMailCatcher({ dir, keepInMemory: false, onMail: (m) => seen.push(m.subject) });
    const devMailer = createSmtpMailer({ host: '127.0.0.1', port: devCatcher.port, secure: false, from: FROM });
    try {
      for (const n of [1, 2, 3]) await devMailer.send({ to: 'customer@example.test', subject: `Message ${n}`, text: `Body ${n}`, messageId: `<m${n}@casework.test>` });
      expect(seen).toEqual(['Message 1', 'Message 2', 'Message 3']);
      expect(devCatcher.messages).toEqual([]);
      const files = fs.readdirSync(dir).sort();
      expect(files).toHaveLength(3);
      expect(files.map((f) => /Subject: (.*)/.exec(fs.readFileSync(path.join(dir, f), 'utf8'))?.[1]?.trim()).sort()).toEqual(['Message 1', 'Message 2', 'Message 3']);
    } finally {
      devMailer.close();
      await devCatcher.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
