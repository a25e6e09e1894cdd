// Cases for the harness: request bodies, opening through the API or starting the workflow directly (case
// rows written first, as the API writes them), waiting on task rows and steps, and each process's happy path.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startCaseWorkflow } from '../../api/caseOpening';
import type { Prisma } from '../../lib/db';
import { caseCalendar } from '../../lib/calendarStore';
import { idCheckCharacter } from '../../policy/idNumber';
import { mailText } from '../../lib/mailCatcher';
import { repairBody, returnBody } from '../harness/bodies';
import { defaultPolicy, policySection, type PolicyConfig } from '../../processes/policyDocument';
import { processOf } from '../../processes';
import { benchTrackingNumber, carrierDelivers } from './carrier';
import { call, must, quietDb, type BenchContext, type Key, type Merchant } from './context';
import { now, sleep, until } from './util';

const idem = () => `bench-${crypto.randomUUID()}`;

// The request bodies are the API tests' own (scripts/harness/bodies.ts): one valid case of each process.
export { returnBody };


function registrationBody() {
  const tag = crypto.randomBytes(5).toString('hex');
  return {
    type: 'registration' as const,
    name: '张三',
    mobile: `139${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`,
    email: `u${tag}@applicant.test`,
    username: `u_${tag}`,
    password: 'Correct-Horse-9!',
    agreementVersion: '2026-11',
    locale: 'en' as const,
    // Real-name verification asked by a feature (a merchant account), so the identity step runs too.
    realNameFor: 'merchant_account',
  };
}

function idNumber(): string {
  const birth = new Date(Date.UTC(1970 + crypto.randomInt(0, 30), crypto.randomInt(0, 12), 1 + crypto.randomInt(0, 28)));
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `110105${ymd}${String(crypto.randomInt(0, 1000)).padStart(3, '0')}`;
  return first17 + idCheckCharacter(first17);
}

export interface Opened {
  caseId: string;
  /** Duration of the answered POST /v1/cases. */
  ms: number;
  /** Date.now() when the answer arrived. */
  at: number;
}

export async function openCase(ctx: BenchContext, key: Key, body: { type: string }): Promise<Opened> {
  const r = await must(ctx, 201, 'POST', '/v1/cases', key.apiKey, body, { 'Idempotency-Key': idem() });
  ctx.opened.add(r.body.caseId);
  return { caseId: r.body.caseId, ms: r.ms, at: r.at };
}

export const openReturn = (ctx: BenchContext, lane: number, m: Merchant) => openCase(ctx, ctx.storefronts[lane % ctx.storefronts.length], returnBody(m.merchantId));

/** A return prepared for a direct start: its workflow input, its case row and customer contact already written. */
export interface Prepared {
  caseId: string;
  input: { caseId: string; openedBy: string; order?: { merchantId?: string } };
}

/**
 * Prepares `n` returns as POST /v1/cases would (the process's own prepare(), the same case row and customer
 * contact), writing the rows in batches, so that their workflows can then be started directly. `policyFor(i)` gives
 * the policy of the i-th case in place of the one the API would use (the default document unless given).
 */
export async function prepareReturns(ctx: BenchContext, n: number, m: Merchant, policyFor: (i: number) => PolicyConfig = () => defaultPolicy): Promise<Prepared[]> {
  const proc = processOf('return')!;
  const key = ctx.storefronts[0];
  const principal = { id: key.id, name: 'bench storefront', role: key.role, merchantId: null, scopes: [] };
  const out: Prepared[] = [];
  const rows: Prisma.CaseCreateManyInput[] = [];
  const parties: Prisma.PartyCreateManyInput[] = [];
  for (let i = 0; i < n; i++) {
    const policy = policyFor(i);
    const { type, ...rest } = returnBody(m.merchantId);
    const body = proc.open.body.parse(rest) as Record<string, unknown>;
    const caseId = `${proc.idPrefix}-${crypto.randomUUID()}`;
    const prepared = await proc.open.prepare(
      { deps: ctx.startDeps, principal, caseId, requestedAt: new Date(), policy: { version: policy.version, calendar: caseCalendar(policy.calendar, new Date()) }, section: policySection(policy, proc.policy.key) },
      { type, ...body },
    );
    rows.push({
      id: caseId, type: proc.caseType, status: 'open', step: 'opened', customerId: prepared.row.customerId, merchantId: prepared.row.merchantId,
      policyVersion: policy.version, workflowId: caseId, openedBy: principal.id, workflowStartedAt: new Date(),
      summary: { ...prepared.row.summary, workflowInput: prepared.input } as unknown as Prisma.InputJsonValue,
    });
    const c = prepared.contact;
    if (c) parties.push({ kind: 'customer', id: c.customerId, email: c.email, displayName: c.displayName, locale: c.locale ?? 'zh-CN' });
    out.push({ caseId, input: prepared.input });
  }
  await quietDb(ctx, async (db) => {
    for (let i = 0; i < rows.length; i += 500) {
      await db.case.createMany({ data: rows.slice(i, i + 500) });
      await db.party.createMany({ data: parties.slice(i, i + 500), skipDuplicates: true });
    }
  });
  return out;
}

/** Starts a prepared case's workflow with the API's own start call (same options, search attributes, identity). */
export async function startPrepared(ctx: BenchContext, p: Prepared): Promise<{ ms: number; at: number }> {
  const t = now();
  await startCaseWorkflow(ctx.startDeps, processOf('return')!, p.input);
  ctx.opened.add(p.caseId);
  return { ms: now() - t, at: Date.now() };
}

export interface Arrival {
  taskId: string;
  /** Date.now() of the poll that first saw the task row. */
  seenAt: number;
  dueAt: Date;
}

/**
 * Watches a merchant's inbox (GET /v1/tasks?status=open, every page, the merchant's lane keys in turn) for each
 * case's first task; cases may be added while it runs. `seen` holds, per case, the task and when it was first listed.
 */
export class InboxWatch {
  readonly seen = new Map<string, Arrival>();
  private readonly pending = new Set<string>();
  private turn = 0;

  constructor(private readonly ctx: BenchContext, private readonly merchant: Merchant, private readonly pollMs = 200) {}

  add(caseId: string): void {
    if (!this.seen.has(caseId)) this.pending.add(caseId);
  }

  private async poll(): Promise<void> {
    let cursor: string | null = null;
    do {
      const key = this.merchant.keys[this.turn++ % this.merchant.keys.length];
      const r = await call(this.ctx, 'GET', `/v1/tasks?status=open&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key.apiKey);
      if (r.status !== 200) throw new Error(`GET /v1/tasks: ${r.status} ${JSON.stringify(r.body)}`);
      for (const t of r.body.tasks as { taskId: string; caseId: string; dueAt: string }[]) {
        if (!this.pending.has(t.caseId)) continue;
        this.pending.delete(t.caseId);
        this.seen.set(t.caseId, { taskId: t.taskId, seenAt: r.at, dueAt: new Date(t.dueAt) });
      }
      cursor = r.body.nextCursor;
    } while (cursor && this.pending.size > 0);
  }

  /** Polls until `expected` cases have their task; throws after `timeoutMs`. */
  async until(expected: number, timeoutMs: number, onProgress?: (seen: number) => void): Promise<Map<string, Arrival>> {
    const deadline = Date.now() + timeoutMs;
    let lastReport = Date.now();
    while (this.seen.size < expected) {
      if (this.pending.size > 0) await this.poll();
      if (this.seen.size >= expected) break;
      if (Date.now() > deadline) throw new Error(`${expected - this.seen.size} of ${expected} cases had no open task after ${timeoutMs / 1000} s`);
      if (onProgress && Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        onProgress(this.seen.size);
      }
      await sleep(this.pollMs);
    }
    return this.seen;
  }
}

/** Waits until each case (all of merchant `m`) has its first task open (see InboxWatch). */
export async function waitForFirstTasks(ctx: BenchContext, m: Merchant, caseIds: readonly string[], timeoutMs: number, pollMs = 200, onProgress?: (seen: number) => void): Promise<Map<string, Arrival>> {
  const w = new InboxWatch(ctx, m, pollMs);
  for (const id of caseIds) w.add(id);
  return w.until(caseIds.length, timeoutMs, onProgress);
}

/** The open task of `type` on a case, once listed (GET /v1/tasks?caseId=…&status=open). */
export async function openTask(ctx: BenchContext, key: Key, caseId: string, type: string, timeoutMs = 120_000): Promise<string> {
  const t = await until(`${type} on ${caseId}`, async () => {
    const r = await call(ctx, 'GET', `/v1/tasks?caseId=${encodeURIComponent(caseId)}&status=open`, key.apiKey);
    if (r.status !== 200) throw new Error(`GET /v1/tasks?caseId=${caseId}: ${r.status} ${JSON.stringify(r.body)}`);
    return (r.body.tasks as { taskId: string; type: string }[]).find((x) => x.type === type);
  }, timeoutMs, 200);
  return t.taskId;
}

/** The case's step and status, from GET /v1/cases/:id. */
async function caseState(ctx: BenchContext, key: Key, caseId: string): Promise<{ step: string; status: string }> {
  const r = await must(ctx, 200, 'GET', `/v1/cases/${encodeURIComponent(caseId)}`, key.apiKey);
  return r.body;
}

export async function atStep(ctx: BenchContext, key: Key, caseId: string, step: string, timeoutMs = 120_000): Promise<void> {
  await until(`${caseId} at ${step}`, async () => ((await caseState(ctx, key, caseId)).step === step ? true : undefined), timeoutMs, 200);
}

async function complete(ctx: BenchContext, key: Key, caseId: string, type: string, payload: unknown): Promise<void> {
  const taskId = await openTask(ctx, key, caseId, type);
  await must(ctx, 200, 'POST', `/v1/tasks/${encodeURIComponent(taskId)}/complete`, key.apiKey, { payload });
}

/** A party action, retried while the workflow is not yet at the step that accepts it (409). */
async function act(ctx: BenchContext, key: Key, caseId: string, action: string, body: unknown): Promise<void> {
  await until(`${action} accepted on ${caseId}`, async () => {
    const r = await call(ctx, 'POST', `/v1/cases/${encodeURIComponent(caseId)}/actions/${action}`, key.apiKey, body);
    if (r.status === 200) return true;
    if (r.status !== 409) throw new Error(`${action} on ${caseId}: ${r.status} ${JSON.stringify(r.body)}`);
    return undefined;
  }, 120_000, 250);
}

async function finished(ctx: BenchContext, caseId: string): Promise<unknown> {
  const result = await ctx.client.workflow.getHandle(caseId).result();
  ctx.opened.delete(caseId);
  return result;
}

/** Return: opened, merchant approves, customer ships (the carrier's signed delivery webhook follows), merchant inspects, refunded. */
export async function driveReturn(ctx: BenchContext, lane: number, m: Merchant): Promise<string> {
  const sf = ctx.storefronts[lane % ctx.storefronts.length];
  const merchant = m.keys[lane % m.keys.length];
  const { caseId } = await openCase(ctx, sf, returnBody(m.merchantId));
  await complete(ctx, merchant, caseId, 'return.merchant_review', { decision: 'approve' });
  await atStep(ctx, sf, caseId, 'awaiting_customer_shipment');
  const parcel = benchTrackingNumber();
  await act(ctx, sf, caseId, 'shipment', { carrier: 'SF', trackingNumber: parcel });
  await carrierDelivers(ctx, parcel);
  await complete(ctx, merchant, caseId, 'return.merchant_inspection', { outcome: 'complete' });
  const r = (await finished(ctx, caseId)) as { outcome?: string };
  if (r?.outcome !== 'refunded') throw new Error(`return ${caseId} ended ${JSON.stringify(r)}, expected refunded`);
  return caseId;
}

/** Warranty repair in warranty: free repair, hand-over, receipt, repaired, shipped back, rated. */
export async function driveRepair(ctx: BenchContext, lane: number, m: Merchant): Promise<string> {
  const sf = ctx.storefronts[lane % ctx.storefronts.length];
  const agent = ctx.agents[lane % ctx.agents.length];
  const { caseId } = await openCase(ctx, sf, repairBody(m.merchantId));
  await complete(ctx, agent, caseId, 'repair.first_response', { solution: 'free_repair' });
  await atStep(ctx, sf, caseId, 'awaiting_hand_over');
  // The simulated carrier reports a `SIM-DELIVERED…` parcel delivered: the repair clock starts at once.
  const parcel = benchTrackingNumber();
  await act(ctx, sf, caseId, 'hand-over', { method: 'courier', carrier: 'SF', trackingNumber: parcel });
  await carrierDelivers(ctx, parcel);
  await complete(ctx, agent, caseId, 'repair.confirm_receipt', { outcome: 'received' });
  await complete(ctx, agent, caseId, 'repair.technician_report', { result: 'repaired', faultCode: 'power_supply', partsUsed: ['PSU-2000-A'] });
  await complete(ctx, agent, caseId, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  await atStep(ctx, sf, caseId, 'awaiting_rating');
  await act(ctx, sf, caseId, 'rating', { rating: 5 });
  const r = (await finished(ctx, caseId)) as { outcome?: string };
  if (r?.outcome !== 'repaired') throw new Error(`repair ${caseId} ended ${JSON.stringify(r)}, expected repaired`);
  return caseId;
}


/** The e-mail verification token of a registration, from the mail catcher's .eml files. */
async function emailToken(ctx: BenchContext, registrationId: string): Promise<string> {
  return until(`verification e-mail of ${registrationId} in ${ctx.mailDir}`, async () => {
    if (!fs.existsSync(ctx.mailDir)) return undefined;
    for (const f of fs.readdirSync(ctx.mailDir).filter((x) => x.endsWith('.eml')).sort().reverse()) {
      const raw = fs.readFileSync(path.join(ctx.mailDir, f), 'utf8');
      if (!raw.includes(registrationId)) continue;
      const m = /https?:\/\/\S*token=[^\s"'<>]+/.exec(mailText(raw));
      if (m) return new URL(m[0]).searchParams.get('token') ?? undefined;
    }
    return undefined;
  }, 60_000, 300);
}

/**
 * Registration for a merchant account: SMS code (read from sms_outbox), e-mail link (read from the caught mail), the
 * consents to the ID number and the face image, ID number and a passing face match; approved. Needs the mail catcher's directory (DATA_DIR of the system, or BENCH_MAIL_DIR).
 */
export async function driveRegistration(ctx: BenchContext, lane: number): Promise<string> {
  if (!fs.existsSync(ctx.mailDir)) throw new Error(`no mail directory at ${ctx.mailDir}: set DATA_DIR (the system's) or BENCH_MAIL_DIR`);
  const sf = ctx.storefronts[lane % ctx.storefronts.length];
  const agent = ctx.agents[lane % ctx.agents.length];
  const { caseId: id } = await openCase(ctx, sf, registrationBody());
  const sms = await until(`SMS of ${id}`, async () => (await quietDb(ctx, (db) => db.smsOutbox.findFirst({ where: { registrationId: id }, orderBy: { createdAt: 'desc' } }))) ?? undefined, 60_000);
  const code = /(\d{6})/.exec(sms.body)![1];
  await must(ctx, 200, 'POST', `/v1/registrations/${id}/mobile/verify`, sf.apiKey, { code });
  await atStep(ctx, sf, id, 'email_verification');
  const token = await emailToken(ctx, id);
  await must(ctx, 200, 'POST', `/v1/registrations/${id}/email/confirm`, sf.apiKey, { token });
  await atStep(ctx, sf, id, 'identity_verification');
  // PIPL art. 29: a separate consent to each kind of sensitive information, against the notice shown.
  for (const purpose of ['id_number', 'face_image']) {
    const notice = (await must(ctx, 200, 'GET', `/v1/registrations/${id}/consents/notice?purpose=${purpose}&locale=en`, sf.apiKey)).body;
    await must(ctx, 201, 'POST', `/v1/registrations/${id}/consents`, sf.apiKey, { purpose, privacyPolicyVersion: notice.privacyPolicy.version, privacyPolicyTextSha256: notice.privacyPolicy.textSha256, noticeSha256: notice.noticeSha256 });
  }
  await must(ctx, 200, 'POST', `/v1/registrations/${id}/identity`, sf.apiKey, { idNumber: idNumber(), faceImageRef: 'sim-pass-1' });
  // An ID number seen on another registration is a risk flag: an agent reviews it.
  const review = await until(`${id} approved or at an identity review`, async () => {
    if ((await caseState(ctx, sf, id)).status === 'closed') return null;
    const r = await must(ctx, 200, 'GET', `/v1/tasks?caseId=${encodeURIComponent(id)}&status=open`, agent.apiKey);
    return (r.body.tasks as { taskId: string; type: string }[]).find((t) => t.type === 'registration.identity_review');
  }, 120_000, 300);
  if (review) await must(ctx, 200, 'POST', `/v1/tasks/${encodeURIComponent(review.taskId)}/complete`, agent.apiKey, { payload: { decision: 'approve' } });
  const r = (await finished(ctx, id)) as { outcome?: string };
  if (r?.outcome !== 'approved') throw new Error(`registration ${id} ended ${JSON.stringify(r)}, expected approved`);
  return id;
}
