// The fault stage's load: cases of EVERY process of the catalogue (processes/index.ts), each driven through its whole
// life over the HTTP API as the storefront, the parties and the staff would: principals made with the admin key through
// the API, attachments and thread messages, the carrier's and the monitoring system's signed webhooks. Half of each
// process's cases let a window lapse (the short policy, scripts/faults/policy.ts), so timers fire during the run.
// Only two things are read from the database, as a person reads their phone: the SMS codes (the SMS gateway's ledger).
// E-mail links come from the mail catcher's directory.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client as Pg } from 'pg';
import { webhookSignature } from '../../api/routes/webhooks';
import { mailText } from '../../lib/mailCatcher';
import { idCheckCharacter } from '../../policy/idNumber';
import { processes } from '../../processes';
import { complaintBody, repairBody, returnBody } from '../harness/bodies';
import { Api, until } from './client';
import type { ChaosTopology } from './devTopology';

/** What a case must show at the end: closed with one of `outcomes` (any outcome when absent), or waiting at `step`. */
export type Expected = { status: 'closed'; outcomes?: readonly string[] } | { status: 'open'; step: string };

export interface DrivenCase {
  caseId: string;
  caseType: string;
  scenario: string;
  expected: Expected;
  /** The driver's error, if its journey broke (the case is then counted as a violation). */
  error?: string;
  /** Cases a journey opened on the side (a personal-data request's registration). */
  companion?: boolean;
}

interface Key {
  apiKey: string;
  id: string;
}

interface Crew {
  storefront: Key;
  merchant: Key & { merchantId: string };
  agent: Key;
  supervisor: Key;
  secondSupervisor: Key;
  auditor: Key;
  mediator: Key;
}

export interface LoadContext {
  api: Api;
  topology: ChaosTopology;
  crew: Crew;
  /** Ledger reads (SMS codes), retried while PostgreSQL restarts. */
  sql<T extends Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]>;
  /** The policy's duration in minutes (every window of the short policy). */
  minutes: number;
  cases: DrivenCase[];
  log(msg: string): void;
}

type Scenario = (ctx: LoadContext, c: DrivenCase) => Promise<void>;
interface ScenarioDecl {
  name: string;
  expected: Expected;
  run: Scenario;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tag = () => crypto.randomBytes(5).toString('hex');

// ---------------------------------------------------------------------------------------------------------------
// Shared steps

async function open(ctx: LoadContext, key: Key, body: unknown): Promise<string> {
  const r = await ctx.api.must([200, 201], 'POST', '/v1/cases', key.apiKey, body);
  return r.body.caseId as string;
}

async function caseOf(ctx: LoadContext, caseId: string): Promise<any> {
  return (await ctx.api.must(200, 'GET', `/v1/cases/${encodeURIComponent(caseId)}`, ctx.crew.auditor.apiKey)).body;
}

async function atStep(ctx: LoadContext, caseId: string, steps: string | string[], timeoutMs = 600_000): Promise<string> {
  const want = Array.isArray(steps) ? steps : [steps];
  return until(`${caseId} at ${want.join('|')}`, async () => {
    const c = await caseOf(ctx, caseId);
    return want.includes(c.step) ? (c.step as string) : undefined;
  }, timeoutMs, 700);
}

async function closed(ctx: LoadContext, caseId: string, timeoutMs = 900_000): Promise<any> {
  return until(`${caseId} closed`, async () => {
    const c = await caseOf(ctx, caseId);
    return c.status === 'closed' ? c : undefined;
  }, timeoutMs, 1000);
}

/** Completes the open task of `type` as `key` (a retried completion answered 409 was applied). */
async function complete(ctx: LoadContext, key: Key, caseId: string, type: string, payload: unknown): Promise<void> {
  const task = await until(`${type} on ${caseId}`, async () => {
    const r = await ctx.api.must(200, 'GET', `/v1/tasks?caseId=${encodeURIComponent(caseId)}&status=open`, key.apiKey);
    return (r.body.tasks as { taskId: string; type: string }[]).find((t) => t.type === type);
  }, 600_000, 700);
  await ctx.api.must(200, 'POST', `/v1/tasks/${encodeURIComponent(task.taskId)}/complete`, key.apiKey, { payload }, { doneOn409: true });
}

/** A party action, tried again while the workflow is not yet at the step that takes it (409). */
async function act(ctx: LoadContext, key: Key, caseId: string, action: string, body: unknown): Promise<void> {
  const idempotencyKey = `chaos-${crypto.randomUUID()}`;
  await until(`${action} accepted on ${caseId}`, async () => {
    const r = await ctx.api.call('POST', `/v1/cases/${encodeURIComponent(caseId)}/actions/${action}`, key.apiKey, body, { idempotencyKey });
    if (r.status === 200) return true;
    if (r.status === 409 && r.attempt > 1) return true; // applied before its answer was lost
    if (r.status !== 409) throw new Error(`${action} on ${caseId}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return undefined;
  }, 600_000, 700);
}

/**
 * A POST the case takes only at its step, sent as a person would: again while the case is not there yet (409
 * NOT_ALLOWED_AT_THIS_STEP: e.g. the SMS code arrived before the workflow waits for it); `expected` otherwise.
 */
async function atItsStep(ctx: LoadContext, key: Key, path: string, body: unknown, expected = 200): Promise<any> {
  const idempotencyKey = `chaos-${crypto.randomUUID()}`;
  return until(`POST ${path} accepted`, async () => {
    const r = await ctx.api.call('POST', path, key.apiKey, body, { idempotencyKey });
    if (r.status === expected) return { body: r.body };
    if (r.status === 409 && r.attempt > 1) return { body: r.body }; // applied before its answer was lost
    if (r.status === 409 && r.body?.error?.code === 'NOT_ALLOWED_AT_THIS_STEP') return undefined;
    throw new Error(`POST ${path}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }, 600_000, 700);
}

/** A small PDF uploaded to the case (multipart, as a browser sends it); its attachment id. */
async function attach(ctx: LoadContext, key: Key, caseId: string, label: string): Promise<string> {
  const bytes = Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${label} ${tag()}) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`);
  const r = await ctx.api.must(201, 'POST', `/v1/cases/${encodeURIComponent(caseId)}/attachments`, key.apiKey, undefined, {
    form: () => {
      const f = new FormData();
      f.append('file', new Blob([bytes], { type: 'application/pdf' }), `${label.replace(/\W+/g, '-')}.pdf`);
      return f;
    },
  });
  return r.body.attachmentId as string;
}

async function message(ctx: LoadContext, key: Key, caseId: string, body: string, attachmentIds?: string[]): Promise<void> {
  await ctx.api.must(201, 'POST', `/v1/cases/${encodeURIComponent(caseId)}/messages`, key.apiKey, { body, ...(attachmentIds && { attachmentIds }) });
}

function secretOf(ctx: LoadContext, variable: string, source: string): string {
  const s = ctx.topology.secrets?.[variable];
  if (!s) throw new Error(`the topology gives no ${variable}: the ${source} webhook cannot be signed`);
  return s;
}

/** A webhook signed as its source signs it; a retry is signed afresh (a new nonce) with the same event id. */
async function webhook(ctx: LoadContext, source: string, variable: string, event: Record<string, unknown>, accept: number[] = [200, 202]) {
  const secret = secretOf(ctx, variable, source);
  const raw = JSON.stringify(event);
  for (let i = 0; ; i++) {
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomBytes(16).toString('hex');
    const r = await ctx.api.call('POST', `/v1/webhooks/${source}`, null, undefined, { raw, headers: { 'X-Webhook-Timestamp': ts, 'X-Webhook-Nonce': nonce, 'X-Webhook-Signature': `sha256=${webhookSignature(secret, ts, nonce, raw)}` } });
    if (accept.includes(r.status)) return r;
    // The carrier's event for a parcel the case has not written yet: 404 until it has.
    if (r.status === 404 && i < 600) {
      await sleep(700);
      continue;
    }
    throw new Error(`${source} webhook: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
}

const carrierDelivered = (ctx: LoadContext, trackingNumber: string) =>
  webhook(ctx, 'carrier', 'WEBHOOK_SECRET_CARRIER', { eventId: `chaos-${crypto.randomUUID()}`, type: 'delivered', trackingNumber, deliveredAt: new Date().toISOString() });

const parcel = () => `CHAOS${crypto.randomBytes(8).toString('hex').toUpperCase()}`;

/** The newest SMS of `where` (the gateway's ledger, as the person's phone shows it): its 6-digit code. */
async function smsCode(ctx: LoadContext, label: string, where: string, params: unknown[], strip = ''): Promise<string> {
  const row = await until(label, async () => (await ctx.sql<{ body: string }>(`SELECT body FROM sms_outbox WHERE ${where} ORDER BY created_at DESC LIMIT 1`, params))[0], 600_000, 700);
  return /(\d{6})/.exec(strip ? row.body.replace(strip, '') : row.body)![1];
}

/** The e-mail verification token of a registration, from the caught mails. */
async function emailToken(ctx: LoadContext, registrationId: string): Promise<string> {
  const dir = ctx.topology.mailDir;
  return until(`verification e-mail of ${registrationId}`, async () => {
    if (!fs.existsSync(dir)) return undefined;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.eml'))) {
      const raw = fs.readFileSync(path.join(dir, f), 'utf8');
      if (!raw.includes(registrationId)) continue;
      const m = /https?:\/\/\S*token=[^\s"'<>]+/.exec(mailText(raw));
      if (m) return new URL(m[0]).searchParams.get('token') ?? undefined;
    }
    return undefined;
  }, 600_000, 1000);
}

function idNumber(): string {
  const birth = new Date(Date.UTC(1970 + crypto.randomInt(0, 30), crypto.randomInt(0, 12), 1 + crypto.randomInt(0, 28)));
  const first17 = `110105${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(crypto.randomInt(0, 1000)).padStart(3, '0')}`;
  return first17 + idCheckCharacter(first17);
}

function registrationBody(realName: boolean) {
  const t = tag();
  return {
    type: 'registration' as const,
    name: '张三',
    mobile: `139${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`,
    email: `u${t}@applicant.test`,
    username: `u_${t}`,
    password: 'Correct-Horse-9!',
    agreementVersion: '2026-11',
    locale: 'en' as const,
    ...(realName && { realNameFor: 'merchant_account' }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One module per process: its journeys (policy sections cited where a window lapses)

const returnScenarios: ScenarioDecl[] = [
  {
    // 7-day return (policy 5.x): approved, evidence and a thread, shipped, the carrier's delivery webhook, inspected, refunded.
    name: 'refunded',
    expected: { status: 'closed', outcomes: ['refunded'] },
    run: async (ctx, c) => {
      const { storefront: sf, merchant } = ctx.crew;
      c.caseId = await open(ctx, sf, returnBody(merchant.merchantId));
      const photo = await attach(ctx, sf, c.caseId, 'photo of the item');
      await message(ctx, sf, c.caseId, 'The seam split on the first wash; a photo is attached.', [photo]);
      await complete(ctx, merchant, c.caseId, 'return.merchant_review', { decision: 'approve' });
      await message(ctx, merchant, c.caseId, 'Approved; please send it back.');
      await atStep(ctx, c.caseId, 'awaiting_customer_shipment');
      const p = parcel();
      await act(ctx, sf, c.caseId, 'shipment', { carrier: 'SF', trackingNumber: p });
      await carrierDelivered(ctx, p);
      await complete(ctx, merchant, c.caseId, 'return.merchant_inspection', { outcome: 'complete' });
      await closed(ctx, c.caseId);
    },
  },
  {
    // Approved, but the customer never ships: the shipment window lapses (customerShipment, default decision).
    name: 'shipment-window-lapses',
    expected: { status: 'closed', outcomes: ['abandoned'] },
    run: async (ctx, c) => {
      c.caseId = await open(ctx, ctx.crew.storefront, returnBody(ctx.crew.merchant.merchantId));
      await complete(ctx, ctx.crew.merchant, c.caseId, 'return.merchant_review', { decision: 'approve' });
      await closed(ctx, c.caseId);
    },
  },
];

const repairScenarios: ScenarioDecl[] = [
  {
    // Warranty repair in warranty: free repair, hand-over, the carrier's delivery, receipt, repaired, shipped back, rated.
    name: 'repaired',
    expected: { status: 'closed', outcomes: ['repaired'] },
    run: async (ctx, c) => {
      const { storefront: sf, agent } = ctx.crew;
      c.caseId = await open(ctx, sf, repairBody(ctx.crew.merchant.merchantId));
      await complete(ctx, agent, c.caseId, 'repair.first_response', { solution: 'free_repair' });
      await atStep(ctx, c.caseId, 'awaiting_hand_over');
      const p = parcel();
      await act(ctx, sf, c.caseId, 'hand-over', { method: 'courier', carrier: 'SF', trackingNumber: p });
      await carrierDelivered(ctx, p);
      await complete(ctx, agent, c.caseId, 'repair.confirm_receipt', { outcome: 'received' });
      const report = await attach(ctx, agent, c.caseId, 'technician report');
      await message(ctx, agent, c.caseId, 'Repaired: the power supply was replaced (report attached).', [report]);
      await complete(ctx, agent, c.caseId, 'repair.technician_report', { result: 'repaired', faultCode: 'power_supply', partsUsed: ['PSU-2000-A'] });
      await complete(ctx, agent, c.caseId, 'repair.return_shipment', { carrier: 'JD', trackingNumber: `JD${crypto.randomInt(1e9, 9e9)}` });
      await atStep(ctx, c.caseId, 'awaiting_rating');
      await act(ctx, sf, c.caseId, 'rating', { rating: 5 });
      await closed(ctx, c.caseId);
    },
  },
  {
    // A free repair offered, the item never handed over: the hand-over window lapses (handOver, default decision).
    name: 'hand-over-window-lapses',
    expected: { status: 'closed', outcomes: ['abandoned'] },
    run: async (ctx, c) => {
      c.caseId = await open(ctx, ctx.crew.storefront, repairBody(ctx.crew.merchant.merchantId));
      await complete(ctx, ctx.crew.agent, c.caseId, 'repair.first_response', { solution: 'free_repair' });
      await closed(ctx, c.caseId);
    },
  },
];

const registrationScenarios: ScenarioDecl[] = [
  {
    // Registration with real-name verification (policy 1.2; PIPL art. 29): SMS code, e-mail link, the two separate
    // consents, ID number and a passing face match; approved (after an identity review when the risk checks ask one).
    name: 'approved',
    expected: { status: 'closed', outcomes: ['approved'] },
    run: async (ctx, c) => {
      const sf = ctx.crew.storefront;
      c.caseId = await open(ctx, sf, registrationBody(true));
      const id = c.caseId;
      const code = await smsCode(ctx, `SMS of ${id}`, 'registration_id = $1', [id]);
      await atItsStep(ctx, sf, `/v1/registrations/${id}/mobile/verify`, { code });
      await atStep(ctx, id, 'email_verification');
      const token = await emailToken(ctx, id);
      await atItsStep(ctx, sf, `/v1/registrations/${id}/email/confirm`, { token });
      await atStep(ctx, id, 'identity_verification');
      for (const purpose of ['id_number', 'face_image']) {
        const notice = (await ctx.api.must(200, 'GET', `/v1/registrations/${id}/consents/notice?purpose=${purpose}&locale=en`, sf.apiKey)).body;
        await atItsStep(ctx, sf, `/v1/registrations/${id}/consents`, { purpose, privacyPolicyVersion: notice.privacyPolicy.version, privacyPolicyTextSha256: notice.privacyPolicy.textSha256, noticeSha256: notice.noticeSha256 }, 201);
      }
      await atItsStep(ctx, sf, `/v1/registrations/${id}/identity`, { idNumber: idNumber(), faceImageRef: 'sim-pass-1' });
      const review = await until(`${id} approved or at an identity review`, async () => {
        if ((await caseOf(ctx, id)).status === 'closed') return { closed: true as const };
        const r = await ctx.api.must(200, 'GET', `/v1/tasks?caseId=${encodeURIComponent(id)}&status=open`, ctx.crew.agent.apiKey);
        return (r.body.tasks as { taskId: string; type: string }[]).find((t) => t.type === 'registration.identity_review');
      }, 600_000, 700);
      if ('taskId' in review) await ctx.api.must(200, 'POST', `/v1/tasks/${encodeURIComponent(review.taskId)}/complete`, ctx.crew.agent.apiKey, { payload: { decision: 'approve' } }, { doneOn409: true });
      await closed(ctx, id);
    },
  },
  {
    // The applicant never enters the SMS code: the verification window lapses (registration.verification).
    name: 'verification-window-lapses',
    expected: { status: 'closed', outcomes: ['abandoned'] },
    run: async (ctx, c) => {
      c.caseId = await open(ctx, ctx.crew.storefront, registrationBody(false));
      await closed(ctx, c.caseId);
    },
  },
];

/** Opened online, reviewed, classified, the merchant replies in the thread; returns at negotiation. */
async function complaintToNegotiation(ctx: LoadContext, c: DrivenCase): Promise<void> {
  const { storefront: sf, agent, merchant } = ctx.crew;
  c.caseId = await open(ctx, sf, complaintBody(merchant.merchantId));
  await complete(ctx, agent, c.caseId, 'complaint.information_review', { outcome: 'complete' });
  await complete(ctx, agent, c.caseId, 'complaint.preliminary_judgement', { classification: 'product_quality' });
  await atStep(ctx, c.caseId, 'merchant_reply');
  await message(ctx, merchant, c.caseId, 'We are sorry; we will make it right.');
}

const complaintScenarios: ScenarioDecl[] = [
  {
    // Complaint (policy 8.1-8.3): a settlement proposed by the merchant and accepted, the compensation paid once, rated.
    name: 'settled',
    expected: { status: 'closed', outcomes: ['settled'] },
    run: async (ctx, c) => {
      await complaintToNegotiation(ctx, c);
      await atStep(ctx, c.caseId, 'negotiation');
      await act(ctx, ctx.crew.merchant, c.caseId, 'propose-settlement', { terms: 'compensation', amount: '88.00' });
      await act(ctx, ctx.crew.storefront, c.caseId, 'respond-settlement', { proposal: 1, decision: 'accept' });
      await atStep(ctx, c.caseId, 'rating');
      await act(ctx, ctx.crew.storefront, c.caseId, 'complaint-rating', { rating: 5 });
      await closed(ctx, c.caseId);
    },
  },
  {
    // No settlement: the negotiation window lapses (8.3), mediation asked for; the mediator claims it, records a
    // session with its minutes, uploads the agreement; both parties accept; the compensation is paid once; rated.
    name: 'mediated-after-negotiation-lapses',
    expected: { status: 'closed', outcomes: ['mediated'] },
    run: async (ctx, c) => {
      const { storefront: sf, merchant, mediator } = ctx.crew;
      await complaintToNegotiation(ctx, c);
      await atStep(ctx, c.caseId, 'mediation_offered');
      await act(ctx, sf, c.caseId, 'request-mediation', {});
      await atStep(ctx, c.caseId, 'mediation');
      const task = await until(`mediation task of ${c.caseId}`, async () => (await ctx.api.must(200, 'GET', `/v1/tasks?caseId=${encodeURIComponent(c.caseId)}&status=open`, mediator.apiKey)).body.tasks.find((t: any) => t.type === 'complaint.mediation'), 600_000, 700);
      await ctx.api.must(200, 'POST', `/v1/tasks/${encodeURIComponent(task.taskId)}/claim`, mediator.apiKey, {}, { doneOn409: true });
      const minutes = await attach(ctx, mediator, c.caseId, 'session minutes');
      await act(ctx, mediator, c.caseId, 'record-mediation-session', { form: 'video', attended: ['complainant', 'merchant'], result: 'progress', minutesId: minutes });
      await message(ctx, mediator, c.caseId, 'The draft agreement is attached to the case.');
      const agreement = await attach(ctx, mediator, c.caseId, 'mediation agreement');
      await ctx.api.must(200, 'POST', `/v1/tasks/${encodeURIComponent(task.taskId)}/complete`, mediator.apiKey, { payload: { outcome: 'agreement', agreementId: agreement, terms: 'compensation', amount: '88.00' } }, { doneOn409: true });
      await atStep(ctx, c.caseId, 'mediation_agreement');
      await act(ctx, merchant, c.caseId, 'respond-mediation-agreement', { decision: 'accept' });
      await act(ctx, sf, c.caseId, 'respond-mediation-agreement', { decision: 'accept' });
      await atStep(ctx, c.caseId, 'rating');
      await act(ctx, sf, c.caseId, 'complaint-rating', { rating: 4 });
      await closed(ctx, c.caseId);
    },
  },
];

/** A registered customer (its registration is left to lapse: a companion case); the user ref for requests. */
async function customerWithAccount(ctx: LoadContext): Promise<string> {
  const regId = await open(ctx, ctx.crew.storefront, registrationBody(false));
  ctx.cases.push({ caseId: regId, caseType: 'registration', scenario: 'verification-window-lapses', expected: { status: 'closed', outcomes: ['abandoned'] }, companion: true });
  const row = await until(`user ref of ${regId}`, async () => (await ctx.sql<{ user_ref: string | null }>('SELECT user_ref FROM registrations WHERE id = $1', [regId]))[0]?.user_ref, 120_000);
  return row;
}

const personalDataRequestScenarios: ScenarioDecl[] = [
  {
    // Access request (policy 2.3; PIPL art. 45): identity by the SMS code (one wrong code first), fulfilled, exported.
    name: 'access-fulfilled',
    expected: { status: 'closed', outcomes: ['fulfilled'] },
    run: async (ctx, c) => {
      const sf = ctx.crew.storefront;
      const userRef = await customerWithAccount(ctx);
      c.caseId = await open(ctx, sf, { type: 'personal_data_request', customerId: userRef, requestType: 'access' });
      const code = await smsCode(ctx, `request code of ${c.caseId}`, `purpose = 'request_verification' AND body LIKE $1`, [`%${c.caseId}%`], c.caseId);
      await atItsStep(ctx, sf, `/v1/personal-data-requests/${c.caseId}/verification`, { code: code === '000000' ? '000001' : '000000' });
      await atItsStep(ctx, sf, `/v1/personal-data-requests/${c.caseId}/verification`, { code });
      await complete(ctx, ctx.crew.agent, c.caseId, 'pdr.handling', { decision: 'fulfil' });
      await closed(ctx, c.caseId);
    },
  },
  {
    // The person never enters the code: the identity window lapses (personalDataRequest.identityVerification).
    name: 'identity-window-lapses',
    expected: { status: 'closed', outcomes: ['not_verified'] },
    run: async (ctx, c) => {
      const userRef = await customerWithAccount(ctx);
      c.caseId = await open(ctx, ctx.crew.storefront, { type: 'personal_data_request', customerId: userRef, requestType: 'access' });
      await closed(ctx, c.caseId);
    },
  },
];

/** Answers the breach's tasks as they come (whoever the policy asks), until it is closed (policy 6.4; PIPL art. 57). */
async function breachToClosed(ctx: LoadContext, caseId: string): Promise<void> {
  const { supervisor, secondSupervisor, agent } = ctx.crew;
  const answers: Record<string, [Key, unknown]> = {
    'breach.assign_lead': [supervisor, {}],
    'breach.containment': [supervisor, { done: ['isolate_systems', 'revoke_credentials'] }],
    // A window in 2019: nobody of this run is affected (the fan-out's own test covers hundreds).
    'breach.investigation': [agent, { cause: 'database_leak', categories: ['contact'], windowFrom: '2019-03-01T00:00:00.000Z', windowTo: '2019-03-01T00:10:00.000Z', systems: ['crm'] }],
    'breach.notify_decision': [supervisor, { decision: 'notify' }],
    // PIPL art. 57 ¶2: approved by a second supervisor, who files the authority's report.
    'breach.notify_approval': [secondSupervisor, { approved: true }],
    'breach.regulator_report': [secondSupervisor, { harms: ['phishing'], measures: ['credentials_revoked'], individualActions: ['change_password'], contact: 'privacy_office' }],
    'breach.remediation': [supervisor, { measures: ['encryption', 'access_control', 'security_audit'] }],
  };
  const done = new Set<string>();
  await until(`breach ${caseId} closed`, async () => {
    const c = await caseOf(ctx, caseId);
    if (c.status === 'closed') return true;
    const open = (await ctx.api.must(200, 'GET', `/v1/tasks?caseId=${encodeURIComponent(caseId)}&status=open`, supervisor.apiKey)).body.tasks as { taskId: string; type: string }[];
    for (const t of open) {
      if (done.has(t.taskId)) continue;
      const a = answers[t.type];
      if (!a) throw new Error(`breach ${caseId}: no answer for task ${t.type}`);
      await ctx.api.must(200, 'POST', `/v1/tasks/${encodeURIComponent(t.taskId)}/complete`, a[0].apiKey, { payload: a[1] }, { doneOn409: true });
      done.add(t.taskId);
    }
    return undefined;
  }, 900_000, 1000);
}

const breachScenarios: ScenarioDecl[] = [
  {
    name: 'staff-report-closed',
    expected: { status: 'closed', outcomes: ['closed_notified'] },
    run: async (ctx, c) => {
      c.caseId = await open(ctx, ctx.crew.supervisor, { type: 'breach_response', source: 'staff_report', detectedAt: new Date().toISOString(), systems: ['crm'], description: 'A spreadsheet of customer e-mails was found on a public share' });
      await breachToClosed(ctx, c.caseId);
    },
  },
  {
    // Opened by the monitoring system's signed webhook (once per event id: sent twice, one case).
    name: 'monitoring-webhook-closed',
    expected: { status: 'closed', outcomes: ['closed_notified'] },
    run: async (ctx, c) => {
      const event = { eventId: `mon-${crypto.randomUUID()}`, type: 'breach_suspected', detectedAt: new Date().toISOString(), systems: ['order_db', 'crm'] };
      const first = await webhook(ctx, 'monitoring', 'WEBHOOK_SECRET_MONITORING', event);
      c.caseId = first.body.caseId as string;
      const again = await webhook(ctx, 'monitoring', 'WEBHOOK_SECRET_MONITORING', event);
      if (again.body.caseId !== c.caseId) throw new Error(`the monitoring event ${event.eventId} opened ${c.caseId} and ${again.body.caseId}`);
      await breachToClosed(ctx, c.caseId);
    },
  },
];

/** The journeys of each process of the catalogue, by case type. A process missing here stops the stage. */
export const SCENARIOS: Record<string, ScenarioDecl[]> = {
  return: returnScenarios,
  warranty_repair: repairScenarios,
  registration: registrationScenarios,
  complaint: complaintScenarios,
  personal_data_request: personalDataRequestScenarios,
  breach_response: breachScenarios,
};

/** The plan: `n` cases over every process of the catalogue in turn, each process's scenarios in turn. */
export function plan(n: number, catalogue: readonly { caseType: string }[] = processes): { caseType: string; scenario: ScenarioDecl }[] {
  const missing = catalogue.filter((p) => !SCENARIOS[p.caseType]?.length).map((p) => p.caseType);
  if (missing.length) throw new Error(`no load scenario for ${missing.join(', ')} (scripts/faults/load.ts SCENARIOS)`);
  const perProcess = catalogue.map((p) => ({ caseType: p.caseType, list: SCENARIOS[p.caseType] }));
  const out: { caseType: string; scenario: ScenarioDecl }[] = [];
  for (let i = 0; out.length < n; i++) {
    const p = perProcess[i % perProcess.length];
    out.push({ caseType: p.caseType, scenario: p.list[Math.floor(i / perProcess.length) % p.list.length] });
  }
  return out;
}

/** The principals of the run, made through the API with the admin key. */
async function makeCrew(api: Api, adminKey: string): Promise<Crew> {
  const run = tag();
  const make = async (name: string, role: string, extra: Record<string, unknown> = {}) => {
    const r = await api.must(201, 'POST', '/v1/principals', adminKey, { name: `chaos ${run} ${name}`, role, ...extra });
    return { apiKey: r.body.apiKey as string, id: r.body.id as string };
  };
  const merchantId = `m-chaos-${run}`;
  return {
    storefront: await make('storefront', 'storefront'),
    merchant: { ...(await make('merchant', 'merchant', { merchantId, contact: { email: `${merchantId}@merchant.test`, locale: 'en' } })), merchantId },
    agent: await make('agent', 'agent'),
    supervisor: await make('supervisor', 'supervisor'),
    secondSupervisor: await make('second supervisor', 'supervisor'),
    auditor: await make('auditor', 'auditor'),
    mediator: await make('mediator', 'mediator'),
  };
}

export interface LoadResult {
  cases: DrivenCase[];
  api: Api;
  /** The run's auditor: reads every case. */
  auditorKey: string;
  stats: Api['stats'];
  startedAt: number;
  finishedAt: number;
}

/**
 * Drives `n` cases, `concurrency` at a time, the lanes started `spacingMs` apart (bounded in count and time: every wait
 * has a timeout, the whole load `maxMs`). Resolves when every journey has ended (its case closed or its driver failed).
 */
export async function runLoad(topology: ChaosTopology, o: { cases: number; concurrency: number; minutes: number; maxMs: number; spacingMs?: number; log: (m: string) => void }): Promise<LoadResult> {
  const api = new Api(topology.apis);
  const crew = await makeCrew(api, topology.adminKey);
  const sql = async <T extends Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]> => {
    for (let i = 0; ; i++) {
      const c = new Pg({ connectionString: topology.databaseUrl, connectionTimeoutMillis: 3000 });
      try {
        await c.connect();
        return (await c.query(text, params)).rows as T[];
      } catch (err) {
        if (i > 200) throw err;
        await sleep(1000);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
  };
  const ctx: LoadContext = { api, topology, crew, sql, minutes: o.minutes, cases: [], log: o.log };
  const todo = plan(o.cases);
  const startedAt = Date.now();
  let next = 0;
  let finished = 0;
  const running = new Set<DrivenCase>();
  const lane = async () => {
    while (next < todo.length) {
      const { caseType, scenario } = todo[next++];
      const c: DrivenCase = { caseId: '', caseType, scenario: scenario.name, expected: scenario.expected };
      ctx.cases.push(c);
      running.add(c);
      try {
        await scenario.run(ctx, c);
      } catch (err) {
        c.error = (err as Error).message;
        o.log(`journey ${caseType}/${scenario.name} ${c.caseId || '(not opened)'} broke: ${c.error}`);
      }
      running.delete(c);
      finished++;
      if (finished % 10 === 0 || finished === todo.length) o.log(`${finished}/${todo.length} journeys ended (${Math.round((Date.now() - startedAt) / 1000)} s)`);
    }
  };
  // Every minute: the journeys under way (a stuck one shows here long before its timeout).
  const watch = setInterval(() => {
    const list = [...running].map((c) => `${c.caseType}/${c.scenario} ${c.caseId}`);
    o.log(`${finished}/${todo.length} ended; under way: ${list.slice(0, 6).join(', ')}${list.length > 6 ? ` … ${list.length - 6} more` : ''}`);
  }, 60_000);
  const lanes = Promise.all(
    Array.from({ length: Math.min(o.concurrency, todo.length) }, async (_, i) => {
      await sleep(i * (o.spacingMs ?? 1500));
      await lane();
    }),
  );
  // The whole load's bound: journeys still under way then count as broken, none starts after it.
  let limit: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([lanes.then(() => false), new Promise<boolean>((r) => (limit = setTimeout(() => r(true), o.maxMs)))]);
  clearTimeout(limit);
  clearInterval(watch);
  if (timedOut) {
    next = todo.length;
    for (const c of running) c.error = `not ended within the load's ${Math.round(o.maxMs / 60_000)} minutes`;
    o.log(`the load's time limit passed with ${running.size} journeys under way`);
  }
  return { cases: ctx.cases, api, auditorKey: crew.auditor.apiKey, stats: api.stats, startedAt, finishedAt: Date.now() };
}
