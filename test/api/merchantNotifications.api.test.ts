// Merchants are told: a merchant principal created with its contact (POST /v1/principals), or a contact set
// later (PUT /v1/merchants/:merchantId/contact), makes the merchant's notifications of a return reach it, in
// its locale: the review request and the SLA reminder. Against the real Temporal dev server,
// real PostgreSQL and real SMTP. The contact stays in `parties`: not in the workflow history, not in the logs.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createApp } from '../../api/app';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';
import { testPolicy } from '../../scripts/harness/timeSkipping';

let sys: TestSystem;
/** A second app on the same worker whose policy gives the merchant 3 s to review (reminder at half time). */
let quickServer: http.Server;
let quick: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
  const policy = testPolicy((p) => {
    p.version = 'test-quick-merchant-review';
    p.returnWithin7Days.merchantReview = { within: { amount: 0.05, unit: 'minutes' }, remindAt: 0.5, onBreach: 'default-decision' };
  });
  quickServer = http.createServer(createApp({ ...sys.api.deps, currentPolicy: () => policy }));
  await new Promise<void>((r) => quickServer.listen(0, '127.0.0.1', r));
  quick = { ...sys, api: { ...sys.api, url: `http://127.0.0.1:${(quickServer.address() as { port: number }).port}` } };
});
afterAll(async () => {
  if (quickServer) {
    await new Promise((r) => {
      quickServer.close(r);
      quickServer.closeAllConnections();
    });
  }
  await sys?.stop();
});

const ADMIN = () => sys.keys.admin.apiKey;

/** A merchant principal created through the API with its contact. */
async function merchantWithContact(locale: 'en' | 'zh-CN') {
  const merchantId = `m-told-${crypto.randomUUID().slice(0, 8)}`;
  const email = `orders+${merchantId}@merchant.test`;
  const res = await call(sys, 'POST', '/v1/principals', {
    key: ADMIN(),
    body: { name: `Merchant ${merchantId}`, role: 'merchant', merchantId, contact: { email, displayName: 'Told Trading Co.', locale } },
  });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ role: 'merchant', merchantId });
  expect(JSON.stringify(res.body)).not.toContain(email);
  return { merchantId, email, apiKey: res.body.apiKey as string, principalId: res.body.id as string };
}

async function openReturn(s: TestSystem, merchantId: string) {
  const res = await call(s, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, headers: { 'Idempotency-Key': idem() }, body: returnBody(merchantId) });
  expect(res.status).toBe(201);
  return res.body.caseId as string;
}

const mailTo = (email: string, caseId: string) => sys.mail.messages.filter((m) => m.to.includes(email) && m.headers['x-case-id'] === caseId);

async function historyText(caseId: string): Promise<string> {
  const client = new Client({ connection: sys.connection });
  const history = await client.workflow.getHandle(caseId).fetchHistory();
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('utf8');
}

test('a merchant principal created with its contact stores the contact in parties only', async () => {
  const m = await merchantWithContact('en');
  const party = await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'merchant', id: m.merchantId } } });
  expect(party).toMatchObject({ email: m.email, displayName: 'Told Trading Co.', locale: 'en' });
  const principal = await sys.db.principal.findUniqueOrThrow({ where: { id: m.principalId } });
  expect(JSON.stringify(principal)).not.toContain(m.email);

  // A contact belongs to a merchant principal, and is validated before anything is written.
  const merchantId = `m-none-${crypto.randomUUID().slice(0, 8)}`;
  const notMerchant = await call(sys, 'POST', '/v1/principals', { key: ADMIN(), body: { name: 'agent with contact', role: 'agent', contact: { email: 'x@agent.test' } } });
  expect(notMerchant.status).toBe(400);
  const badEmail = await call(sys, 'POST', '/v1/principals', { key: ADMIN(), body: { name: 'bad', role: 'merchant', merchantId, contact: { email: 'not-an-address', locale: 'en' } } });
  expect(badEmail.status).toBe(400);
  expect(badEmail.body.error.details.map((d: any) => d.path)).toContain('contact.email');
  expect(JSON.stringify(badEmail.body)).not.toContain('not-an-address');
  expect(await sys.db.principal.count({ where: { merchantId } })).toBe(0);
  expect(await sys.db.party.count({ where: { kind: 'merchant', id: merchantId } })).toBe(0);
});

test('the merchant receives the review request of a new return in its locale', async () => {
  const m = await merchantWithContact('en');
  const caseId = await openReturn(sys, m.merchantId);
  const [mail] = await eventually(async () => {
    const got = mailTo(m.email, caseId);
    return got.length > 0 ? got : undefined;
  }, 'review request e-mail');
  expect(mail.subject).toBe(`Return request ${caseId} awaits your review`);
  const row = await eventually(
    async () => sys.db.notification.findFirst({ where: { caseId, template: 'return.review_requested', recipientKind: 'merchant', recipientId: m.merchantId, status: 'sent' } }),
    'review request sent',
  );
  expect(row).toMatchObject({ locale: 'en', attempts: 1 });

  // A merchant in zh-CN gets the Chinese text.
  const zh = await merchantWithContact('zh-CN');
  const zhCase = await openReturn(sys, zh.merchantId);
  const [zhMail] = await eventually(async () => {
    const got = mailTo(zh.email, zhCase);
    return got.length > 0 ? got : undefined;
  }, 'zh-CN review request e-mail');
  // (The catcher joins the subject's encoded words with spaces.)
  expect(zhMail.subject.replace(/\s+/g, '')).toBe(`待处理售后申请${zhCase}`);
});

test("the merchant's SLA reminder reaches it; no merchant notification is skipped; the contact stays out of history and logs", async () => {
  const m = await merchantWithContact('en');
  const caseId = await openReturn(quick, m.merchantId);
  const mails = await eventually(async () => {
    const got = mailTo(m.email, caseId);
    return got.length >= 2 ? got : undefined;
  }, 'merchant review request and reminder e-mails', 30_000);
  expect(mails.map((x) => x.subject)).toEqual([`Return request ${caseId} awaits your review`, `Task due soon (${caseId})`]);
  expect(mails[1].raw).toContain('return.merchant_review');

  // Silence approves the request at the deadline (8.2), after the reminder went out.
  const task = await eventually(async () => sys.db.task.findFirst({ where: { caseId, type: 'return.merchant_review', status: 'expired' } }), 'review deadline passed');
  expect(task).toMatchObject({ resolution: 'auto:approve' });
  expect(task.remindedAt!.getTime()).toBeLessThan(task.dueAt.getTime());

  const rows = await eventually(async () => {
    const r = await sys.db.notification.findMany({ where: { caseId, recipientKind: 'merchant' }, orderBy: { createdAt: 'asc' } });
    return r.length === 2 && r.every((n) => n.status === 'sent') ? r : undefined;
  }, 'merchant notifications sent');
  expect(rows.map((n) => [n.template, n.recipientId, n.locale, n.status, n.attempts])).toEqual([
    ['return.review_requested', m.merchantId, 'en', 'sent', 1],
    ['task.reminder', m.merchantId, 'en', 'sent', 1],
  ]);
  expect(await sys.db.notification.count({ where: { recipientKind: 'merchant', recipientId: m.merchantId, status: { not: 'sent' } } })).toBe(0);

  expect(await historyText(caseId)).not.toContain(m.email);
  expect(JSON.stringify(sys.logs)).not.toContain(m.email);
});

describe('PUT/GET /v1/merchants/:merchantId/contact', () => {
  test('a merchant sets and reads its own contact, and the next notification uses it', async () => {
    const m = await merchantWithContact('zh-CN');
    const email = `care+${m.merchantId}@merchant.test`;
    const put = await call(sys, 'PUT', `/v1/merchants/${m.merchantId}/contact`, { key: m.apiKey, body: { email, locale: 'en' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ merchantId: m.merchantId, email, displayName: null, locale: 'en' });
    const got = await call(sys, 'GET', `/v1/merchants/${m.merchantId}/contact`, { key: m.apiKey });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ merchantId: m.merchantId, email, locale: 'en' });
    expect((await call(sys, 'GET', `/v1/merchants/${m.merchantId}/contact`, { key: ADMIN() })).body.email).toBe(email);

    const caseId = await openReturn(sys, m.merchantId);
    const [mail] = await eventually(async () => {
      const x = mailTo(email, caseId);
      return x.length > 0 ? x : undefined;
    }, 'review request to the new address');
    expect(mail.subject).toBe(`Return request ${caseId} awaits your review`);
    expect(mailTo(m.email, caseId)).toHaveLength(0);

    const invalid = await call(sys, 'PUT', `/v1/merchants/${m.merchantId}/contact`, { key: m.apiKey, body: { email: 'nope', locale: 'fr' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(sys.logs)).not.toContain(email);
  });

  test("a merchant cannot read or change another merchant's contact (404); the storefront cannot at all (403)", async () => {
    const m = await merchantWithContact('en');
    const other = sys.keys.merchant.merchantId!;
    const before = await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'merchant', id: other } } });
    const read = await call(sys, 'GET', `/v1/merchants/${other}/contact`, { key: m.apiKey });
    expect(read.status).toBe(404);
    expect(JSON.stringify(read.body)).not.toContain(before.email!);
    const write = await call(sys, 'PUT', `/v1/merchants/${other}/contact`, { key: m.apiKey, body: { email: 'hijack@evil.test' } });
    expect(write.status).toBe(404);
    // A merchant id nobody has answers the same as one that exists.
    expect((await call(sys, 'GET', `/v1/merchants/m-nobody-${crypto.randomUUID().slice(0, 8)}/contact`, { key: m.apiKey })).status).toBe(404);

    const sfRead = await call(sys, 'GET', `/v1/merchants/${m.merchantId}/contact`, { key: sys.keys.storefront.apiKey });
    expect(sfRead.status).toBe(403);
    const sfWrite = await call(sys, 'PUT', `/v1/merchants/${m.merchantId}/contact`, { key: sys.keys.storefront.apiKey, body: { email: 'hijack@evil.test' } });
    expect(sfWrite.status).toBe(403);

    expect(await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'merchant', id: other } } })).toEqual(before);
    expect((await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'merchant', id: m.merchantId } } })).email).toBe(m.email);
  });

  test('an admin sets the contact of a merchant registered separately; unknown contacts answer 404', async () => {
    const merchantId = `m-sep-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call(sys, 'GET', `/v1/merchants/${merchantId}/contact`, { key: ADMIN() })).status).toBe(404);
    const put = await call(sys, 'PUT', `/v1/merchants/${merchantId}/contact`, { key: ADMIN(), body: { email: `${merchantId}@merchant.test`, displayName: 'Separate Ltd', locale: 'en' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ merchantId, email: `${merchantId}@merchant.test`, displayName: 'Separate Ltd', locale: 'en' });
    expect((await call(sys, 'GET', `/v1/merchants/${merchantId}/contact`, { key: ADMIN() })).body.displayName).toBe('Separate Ltd');
  });
});

test('the principals CLI creates a merchant with its contact', async () => {
  const merchantId = `m-cli-${crypto.randomUUID().slice(0, 8)}`;
  const root = path.resolve(__dirname, '../..');
  const { stdout } = await promisify(execFile)(
    path.join(root, 'node_modules/.bin/tsx'),
    ['scripts/principals.ts', 'create', '--name', 'CLI merchant', '--role', 'merchant', '--merchant-id', merchantId, '--email', `${merchantId}@merchant.test`, '--locale', 'en'],
    { cwd: root, env: process.env, timeout: 60_000 },
  );
  expect(JSON.parse(stdout)).toMatchObject({ role: 'merchant', merchantId });
  expect(await sys.db.party.findUniqueOrThrow({ where: { kind_id: { kind: 'merchant', id: merchantId } } })).toMatchObject({ email: `${merchantId}@merchant.test`, locale: 'en', displayName: null });
});
