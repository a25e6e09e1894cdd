// Breach response over HTTP against the real API, PostgreSQL, the Temporal dev server and SMTP (policy 6.4; PIPL art.
// 57): opened by staff (POST /v1/cases) and by the monitoring system's signed webhook (once per event id); the
// investigation stores a few hundred affected subjects in PostgreSQL (the history carries counts only); a second
// supervisor approves notifying; the authority's report is filed once; the fan-out puts one outbox row per subject
// with an e-mail, each delivered; a re-run of the fan-out activity, whole or from a cursor, adds nothing.
import crypto from 'node:crypto';
import http from 'node:http';
import { createApp } from '../../api/app';
import { testPolicy } from '../../scripts/harness/timeSkipping';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createBreachActivities, type FanOutInput } from '../../activities/breachResponse';
import { devWebhookSecret } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { mailText } from '../../lib/mailCatcher';
import { createPrincipal } from '../../lib/principals';
import { processes } from '../../processes';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';
import { sendWebhook, signedWebhook } from '../helpers/webhooks';

let sys: TestSystem;
/** The API again, opening cases whose notices' delivery is read every 3 seconds (not every 15 minutes). */
let quick: { server: http.Server; sys: TestSystem };
beforeAll(async () => {
  sys = await startTestSystem();
  const policy = testPolicy((p) => {
    p.version = 'test-breach-quick-follow-up';
    p.breach.notificationPollMinutes = 0.05;
  });
  const server = http.createServer(createApp({ ...sys.api.deps, currentPolicy: () => policy }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  quick = { server, sys: { ...sys, api: { ...sys.api, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` } } };
});
afterAll(async () => {
  if (quick) await new Promise((r) => {
    quick.server.close(r);
    quick.server.closeAllConnections();
  });
  await sys?.stop();
});

const SUBJECTS = 300;
const NO_EMAIL = 10;
const idem = () => `breach-${crypto.randomUUID()}`;
const get = (path: string, key = sys.keys.supervisor.apiKey) => call(sys, 'GET', path, { key });
const caseOf = async (caseId: string) => (await get(`/v1/cases/${caseId}`)).body;
const timeline = async (caseId: string) => (await get(`/v1/cases/${caseId}/timeline`, sys.keys.auditor.apiKey)).body.events as any[];

/** Completes the case's open task of `type` as the principal of `key`. */
async function complete(caseId: string, type: string, payload: unknown, key: string) {
  const task = await eventually(async () => (await get(`/v1/tasks?caseId=${caseId}&status=open`, key)).body?.tasks?.find((t: any) => t.type === type), type);
  return call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key, body: { payload } });
}

/** `n` customers whose contact rows changed inside a window of their own (2020: no other test writes then). */
async function seedSubjects(n: number, withoutEmail: number): Promise<{ from: Date; to: Date; subjects: string[] }> {
  const from = new Date(Date.UTC(2020, 0, 1) + crypto.randomInt(0, 1_000_000) * 60_000);
  const tag = crypto.randomBytes(4).toString('hex');
  const subjects: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `sub_${crypto.randomBytes(16).toString('hex')}`;
    subjects.push(id);
    const at = new Date(from.getTime() + i * 1000).toISOString();
    await sys.db.$executeRawUnsafe(`INSERT INTO subjects (id, kind, status, created_at) VALUES ($1, 'customer', 'active', ($2::timestamptz AT TIME ZONE 'UTC'))`, id, at);
    await sys.db.$executeRawUnsafe(
      `INSERT INTO parties (kind, id, email, locale, updated_at, subject_id) VALUES ('customer', $1, $2, $3, ($4::timestamptz AT TIME ZONE 'UTC'), $5)`,
      `cust-${tag}-${i}`,
      i < withoutEmail ? null : `c${i}-${tag}@customers.test`,
      i % 2 ? 'en' : 'zh-CN',
      at,
      id,
    );
  }
  return { from, to: new Date(from.getTime() + n * 1000 + 1000), subjects };
}

test('opened by staff with codes only (the description stays in PostgreSQL); the monitoring source is its webhook’s', async () => {
  const body = { type: 'breach_response', source: 'staff_report', detectedAt: new Date().toISOString(), systems: ['crm'], description: 'A spreadsheet of customer e-mails was found on a public share' };
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.agent.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  const caseId = res.body.caseId as string;
  expect((await caseOf(caseId)).breach).toMatchObject({ source: 'staff_report', systems: ['crm'], description: body.description, cause: null, notices: { subjects: 0 } });
  await eventually(async () => (await timeline(caseId)).find((e) => e.type === 'case.opened'), 'opened');
  const history = JSON.stringify(await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } }));
  expect(history).not.toContain('spreadsheet');
  // Staff cannot send a monitoring event through the opening; the storefront cannot open a breach at all.
  const monitoring = await call(sys, 'POST', '/v1/cases', { key: sys.keys.agent.apiKey, body: { type: 'breach_response', source: 'monitoring', monitoringEventId: 'x1', detectedAt: new Date().toISOString() }, headers: { 'Idempotency-Key': idem() } });
  expect([monitoring.status, monitoring.body.error.code]).toEqual([422, 'SOURCE_NOT_FOR_PRINCIPAL']);
  expect((await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: { ...body, description: undefined }, headers: { 'Idempotency-Key': idem() } })).status).toBe(403);
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.supervisor.apiKey, body: { reasonCode: 'duplicate' } }).catch(() => undefined);
});

test('the monitoring webhook opens a case once per event id: 202, then 200 with the same case; a bad signature opens nothing', async () => {
  const event = { eventId: `mon-${crypto.randomUUID()}`, type: 'breach_suspected', detectedAt: new Date().toISOString(), systems: ['order_db', 'crm'] };
  const secret = devWebhookSecret('monitoring');
  expect((await sendWebhook(sys, signedWebhook(event, { secret: 'another-secret-of-thirty-two-characters!' }), 'monitoring')).status).toBe(401);
  const first = await sendWebhook(sys, signedWebhook(event, { secret }), 'monitoring');
  expect(first.status).toBe(202);
  expect(first.body).toMatchObject({ status: 'accepted', source: 'monitoring', eventId: event.eventId });
  const again = await sendWebhook(sys, signedWebhook(event, { secret }), 'monitoring');
  expect([again.status, again.body.status, again.body.caseId]).toEqual([200, 'duplicate', first.body.caseId]);
  const caseId = first.body.caseId as string;
  expect((await caseOf(caseId)).breach).toMatchObject({ source: 'monitoring', systems: ['order_db', 'crm'] });
  expect(await sys.db.breachRecord.count({ where: { monitoringEventId: event.eventId } })).toBe(1);
  const received = await eventually(async () => (await timeline(caseId)).filter((e) => e.type === 'webhook.received'), 'webhook event on the trail');
  expect(received.map((e) => e.payload)).toEqual([{ source: 'monitoring', eventId: event.eventId, type: 'breach_suspected' }]);
  expect((await sendWebhook(sys, signedWebhook({ ...event, systems: [] }, { secret }), 'monitoring')).status).toBe(400);
});

test('investigated (300 subjects in PostgreSQL, counts in the history), approved by a second supervisor, reported once, one outbox row per subject with e-mail, delivered; a re-run of the fan-out adds nothing', async () => {
  const seeded = await seedSubjects(SUBJECTS, NO_EMAIL);
  const approver = await createPrincipal(sys.db, { name: 'second supervisor', role: 'supervisor' });
  const res = await call(quick.sys, 'POST', '/v1/cases', { key: sys.keys.supervisor.apiKey, body: { type: 'breach_response', source: 'staff_report', detectedAt: new Date().toISOString(), systems: ['crm'] }, headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  const caseId = res.body.caseId as string;
  const sup = sys.keys.supervisor.apiKey;
  expect((await complete(caseId, 'breach.assign_lead', {}, sup)).status).toBe(200);
  expect((await complete(caseId, 'breach.containment', { done: ['isolate_systems', 'revoke_credentials'] }, sup)).status).toBe(200);
  expect((await complete(caseId, 'breach.investigation', { cause: 'database_leak', categories: ['contact'], windowFrom: seeded.from.toISOString(), windowTo: seeded.to.toISOString(), systems: ['crm'] }, sys.keys.agent.apiKey)).status).toBe(200);
  const investigated = await eventually(async () => (await timeline(caseId)).find((e) => e.type === 'breach.investigated'), 'investigated');
  expect(investigated.payload).toMatchObject({ subjects: SUBJECTS, byChannel: { email: SUBJECTS - NO_EMAIL, sms: 0, none: NO_EMAIL } });
  const stored = await sys.db.breachAffectedSubject.findMany({ where: { caseId } });
  expect(stored.map((r) => r.subjectId).sort()).toEqual([...seeded.subjects].sort());

  // PIPL art. 57 ¶2: the proposer (this supervisor) cannot approve; the second supervisor does.
  expect((await complete(caseId, 'breach.notify_decision', { decision: 'notify' }, sup)).status).toBe(200);
  expect((await complete(caseId, 'breach.notify_approval', { approved: true }, sup)).status).toBe(409);
  expect((await complete(caseId, 'breach.notify_approval', { approved: true }, approver.apiKey)).status).toBe(200);
  expect((await complete(caseId, 'breach.regulator_report', { harms: ['phishing'], measures: ['credentials_revoked'], individualActions: ['change_password'], contact: 'privacy_office' }, approver.apiKey)).status).toBe(200);
  const reports = await eventually(async () => { const r = await sys.db.regulatorReport.findMany({ where: { caseId } }); return r.length ? r : null; }, 'the report filed');
  expect(reports).toHaveLength(1);
  expect(reports[0].contents).toMatchObject({ cause: 'database_leak', categories: ['contact'], harms: ['phishing'], measures: ['credentials_revoked'], individualActions: ['change_password'], contact: 'privacy_office', subjects: SUBJECTS, individualsNotified: true });

  // The fan-out: one outbox row per subject with an e-mail, each sent; the case moves on to remediation.
  await eventually(async () => (await caseOf(caseId)).step === 'remediation', 'notices delivered', 120_000);
  const rows = await sys.db.notification.findMany({ where: { caseId, template: 'breach.individual_notice' } });
  expect(rows).toHaveLength(SUBJECTS - NO_EMAIL);
  expect(new Set(rows.map((r) => r.recipientId)).size).toBe(SUBJECTS - NO_EMAIL);
  expect(rows.every((r) => r.status === 'sent' && r.messageId)).toBe(true);
  // The case's trail holds the notices page by page, never one event per recipient: the fan-out's page (counts and
  // its cursor) and the outbox's delivered pages, whose counts add up to every notice sent.
  const trail = await eventually(async () => {
    const events = await sys.db.auditEvent.findMany({ where: { caseId } });
    const sentPages = events.filter((e) => e.type === 'notification.sent_page');
    return sentPages.reduce((a, e) => a + (e.payload as any).sent + (e.payload as any).resent, 0) === SUBJECTS - NO_EMAIL ? events : undefined;
  }, 'the delivered pages on the trail');
  expect(trail.filter((e) => e.type === 'notification.sent' && (e.payload as any).template === 'breach.individual_notice')).toEqual([]);
  const queuedPages = trail.filter((e) => e.type === 'breach.notices_page_queued').map((e) => e.payload as any);
  expect(queuedPages).toEqual([expect.objectContaining({ template: 'breach.individual_notice', after: null, subjects: SUBJECTS, email: SUBJECTS - NO_EMAIL, unreachable: NO_EMAIL, cursor: [...seeded.subjects].sort().at(-1) })]);
  const sentPages = trail.filter((e) => e.type === 'notification.sent_page');
  expect(sentPages.length).toBeLessThanOrEqual(Math.ceil((SUBJECTS - NO_EMAIL) / 16));
  for (const e of sentPages) expect(e.payload).toMatchObject({ template: 'breach.individual_notice', recipientKind: 'customer', cursor: expect.stringMatching(/^\d+$/), failed: 0, unrecorded: 0 });
  const view = (await caseOf(caseId)).breach;
  expect(view.notices).toMatchObject({ subjects: SUBJECTS, queued: SUBJECTS - NO_EMAIL, unreachable: NO_EMAIL, sent: SUBJECTS - NO_EMAIL, pending: 0, failed: 0 });
  expect(view.regulatorReportId).toBe(reports[0].reportId);
  // Each in its locale, with the art. 57 contents.
  const oneEn = rows.find((r) => r.locale === 'en')!;
  const mail = await eventually(async () => sys.mail.messages.find((m) => m.messageId === oneEn.messageId), 'an English notice');
  expect(mailText(mail.raw)).toContain('change your password');
  expect(mail.subject).toContain('A security incident involving your personal information');

  // The history carries counts, never a subject.
  const history = JSON.stringify(await sys.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseId } }));
  for (const s of seeded.subjects.slice(0, 20)) expect(history).not.toContain(s);
  expect(history).not.toContain('@customers.test');

  // The fan-out activity again, whole and from a cursor half-way: nothing is inserted twice.
  const process = processes.find((p) => p.caseType === 'breach_response')!;
  const acts = createBreachActivities({ db: sys.db, ports: { regulator: undefined, sms: { send: async () => ({ accepted: true, duplicate: true }) } } as any, logger: createLogger('test', 'silent'), outbox: undefined, processes: [process] });
  const input: FanOutInput = { caseId, template: 'breach.individual_notice', params: { cause: 'database_leak', categories: 'contact', harms: 'phishing', measures: 'credentials_revoked', actions: 'change_password', contact: 'privacy_office' }, batch: 37 };
  const whole = await new MockActivityEnvironment().run(acts.fanOutBreachNotices, input);
  expect(whole).toEqual({ queued: SUBJECTS, email: SUBJECTS - NO_EMAIL, sms: 0, unreachable: NO_EMAIL });
  const sorted = stored.map((r) => r.subjectId).sort();
  const resumed: { queued: number } = await new MockActivityEnvironment({ heartbeatDetails: { cursor: sorted[149], totals: { queued: 150, email: 150, sms: 0, unreachable: 0 } } } as any).run(acts.fanOutBreachNotices, input);
  expect(resumed.queued).toBe(SUBJECTS);
  expect(await sys.db.notification.count({ where: { caseId, template: 'breach.individual_notice' } })).toBe(SUBJECTS - NO_EMAIL);

  expect((await complete(caseId, 'breach.remediation', { measures: ['encryption', 'access_control', 'security_audit'] }, sup)).status).toBe(200);
  const closing = await eventually(async () => (await timeline(caseId)).find((e) => e.type === 'breach.closing_report'), 'closing report');
  expect(closing.payload).toMatchObject({ subjects: SUBJECTS, notified: true, notices: { sent: SUBJECTS - NO_EMAIL, pending: 0 } });
  await eventually(async () => (await caseOf(caseId)).status === 'closed', 'closed');
  expect((await get(`/v1/cases/${caseId}/audit/verify`, sys.keys.auditor.apiKey)).body.valid).toBe(true);
}, 240_000);
