// The prod-like stage of the test command (README "Tests"): the API journey across both API replicas of the
// production topology (scripts/prodLike.ts: Temporal server 1.32.0 on PostgreSQL, two workers, two APIs), then a
// worker SIGKILLed while cases wait on it, and the other worker carries them on. It checks behaviour through the API
// (statuses, steps, tasks completed, timelines and their audit chains, reads equal on both replicas), the ledgers
// (each payment once), the histories (after the kill only the surviving worker ran the cases), and the outbox against
// the mail catcher's files (every notice sent once per Message-ID while both workers run; after the kill at least once,
// a second copy only with the same Message-ID).
//   node --import tsx scripts/prodLikeStage.ts          the short variant (a return, a warranty repair, a complaint)
//   node --import tsx scripts/prodLikeStage.ts --full   the full variant: also a registration, an API replica killed
//                                                        and restarted, the other worker killed too, and the whole run
//                                                        over mTLS to Temporal (a CA made at start)
// Exits non-zero with the failed check's message. bash scripts/test runs it after jest (full suite only), or alone
// with --prod-like-only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { webhookSignature } from '../api/routes/webhooks';
import { createDb, type Db } from '../lib/db';
import { temporalConnectionOptions } from '../lib/temporal';
import { complaintBody, repairBody, returnBody } from './harness/bodies';
import { ROOT } from './harness/paths';
import type { Restartable } from './harness/topology';
import { prodLikeSecrets, startProdLike, type ProdLikeTopology } from './prodLike';

const full = process.argv.includes('--full');
const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
const progress = (msg: string) => process.stderr.write(`\x1b[1m[prod-like stage ${secs()} s]\x1b[0m ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class CheckFailed extends Error {}
function check(ok: unknown, msg: string): asserts ok {
  if (!ok) throw new CheckFailed(msg);
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 90_000, everyMs = 250): Promise<T> {
  const t = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      if (err instanceof CheckFailed) throw err;
      last = err;
    }
    if (Date.now() - t > timeoutMs) throw new CheckFailed(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

interface Answer {
  status: number;
  body: any;
}
/** One API call on a replica; a 429 is waited out (Retry-After). */
async function call(api: string, method: string, route: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  for (;;) {
    const res = await fetch(`${api}${route}`, {
      method,
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status === 429) {
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      continue;
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  }
}
async function must(expected: number, api: string, method: string, route: string, key: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> {
  const r = await call(api, method, route, key, body, headers);
  check(r.status === expected, `${method} ${api}${route}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

interface Keys {
  storefront: string;
  agent: string;
  merchant: string;
  merchantId: string;
  auditor: string;
}

/** The stage's world: the topology, its principals, the replica turn, the cases it opened. */
class Journey {
  private readonly turns = new Map<string, number>();
  readonly cases: string[] = [];
  constructor(readonly topo: ProdLikeTopology, readonly keys: Keys, readonly db: Db, readonly temporal: Client, private readonly carrierSecret: string) {}

  get api1() {
    return this.topo.apis[0];
  }
  /** The replica of a case's next step: api-2, api-1, api-2, … (its opening went to api-1). */
  next(caseId: string): string {
    const turn = (this.turns.get(caseId) ?? 0) + 1;
    this.turns.set(caseId, turn);
    return this.topo.apis[turn % this.topo.apis.length];
  }

  async open(body: { type: string }, key = this.keys.storefront): Promise<string> {
    const r = await must(201, this.api1, 'POST', '/v1/cases', key, body, { 'Idempotency-Key': `stage-${crypto.randomUUID()}` });
    this.cases.push(r.body.caseId);
    return r.body.caseId;
  }

  /** The case as every replica reads it; they must agree. */
  async read(caseId: string): Promise<{ status: string; step: string; outcome?: string }> {
    // A step may land between the two reads: read again until they agree (a lasting difference fails).
    const view = (b: any) => JSON.stringify({ status: b.status, step: b.step, outcome: b.outcome ?? null });
    let views: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const reads = await Promise.all(this.topo.apis.map((api) => must(200, api, 'GET', `/v1/cases/${caseId}`, this.keys.auditor)));
      views = reads.map((r) => view(r.body));
      if (new Set(views).size === 1) return reads[0].body;
      await sleep(250);
    }
    throw new CheckFailed(`the replicas kept reading ${caseId} differently: ${views.join(' vs ')}`);
  }

  atStep(caseId: string, step: string, timeoutMs?: number) {
    return until(`${caseId} at step ${step}`, async () => ((await this.read(caseId)).step === step ? true : undefined), timeoutMs);
  }

  /** A staff step: the open task of `type`, listed and completed on the next replica; its row completed by this key's principal. */
  async complete(caseId: string, type: string, payload: unknown, key = this.keys.agent, timeoutMs?: number): Promise<void> {
    const api = this.next(caseId);
    const task = await until(`task ${type} open on ${caseId}`, async () => {
      const r = await must(200, api, 'GET', `/v1/tasks?caseId=${encodeURIComponent(caseId)}&status=open`, key);
      return (r.body.tasks as { taskId: string; type: string }[]).find((t) => t.type === type);
    }, timeoutMs);
    await must(200, api, 'POST', `/v1/tasks/${encodeURIComponent(task.taskId)}/complete`, key, { payload });
    const row = await this.db.task.findUniqueOrThrow({ where: { id: task.taskId } });
    check(row.status === 'completed' && row.completedAt, `task ${type} of ${caseId} answered 200 but its row is ${row.status}`);
  }

  /** A party's action on the next replica, retried while the case is not yet at the step that takes it (409). */
  async act(caseId: string, action: string, body: unknown, key = this.keys.storefront): Promise<void> {
    const api = this.next(caseId);
    await until(`${action} accepted on ${caseId}`, async () => {
      const r = await call(api, 'POST', `/v1/cases/${caseId}/actions/${action}`, key, body);
      if (r.status === 200) return true;
      check(r.status === 409, `${action} on ${caseId} via ${api}: ${r.status} ${JSON.stringify(r.body)}`);
      return undefined;
    });
  }

  /** The carrier's signed delivery event, on the next replica (404 until the parcel is recorded: retried). */
  async carrierDelivers(caseId: string, trackingNumber: string): Promise<void> {
    const api = this.next(caseId);
    await until(`the carrier's delivery of ${trackingNumber}`, async () => {
      const raw = JSON.stringify({ eventId: `stage-${crypto.randomUUID()}`, type: 'delivered', trackingNumber, deliveredAt: new Date().toISOString() });
      const ts = String(Math.floor(Date.now() / 1000));
      const nonce = crypto.randomBytes(16).toString('hex');
      const res = await fetch(`${api}/v1/webhooks/carrier`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Webhook-Timestamp': ts, 'X-Webhook-Nonce': nonce, 'X-Webhook-Signature': `sha256=${webhookSignature(this.carrierSecret, ts, nonce, raw)}` },
        body: raw,
      });
      if (res.status === 200 || res.status === 202) return true;
      check(res.status === 404, `carrier webhook for ${trackingNumber}: ${res.status} ${await res.text()}`);
      return undefined;
    });
  }

  async closed(caseId: string, outcome: string, timeoutMs?: number): Promise<void> {
    const c = await until(`${caseId} closed`, async () => {
      const r = await this.read(caseId);
      return r.status === 'closed' ? r : undefined;
    }, timeoutMs);
    check(c.outcome === outcome, `${caseId} closed with outcome ${c.outcome}, expected ${outcome}`);
  }

  /** The timeline (on the next replica) opens with case.opened and holds `types`; its audit chain verifies. */
  async timeline(caseId: string, types: string[]): Promise<number> {
    const api = this.next(caseId);
    const t = await must(200, api, 'GET', `/v1/cases/${caseId}/timeline`, this.keys.auditor);
    const got = (t.body.events as { type: string }[]).map((e) => e.type);
    check(got[0] === 'case.opened', `${caseId}: the timeline starts with ${got[0]}`);
    const missing = types.filter((x) => !got.includes(x));
    check(missing.length === 0, `${caseId}: the timeline lacks ${missing.join(', ')} (has ${got.join(', ')})`);
    const v = await must(200, this.next(caseId), 'GET', `/v1/cases/${caseId}/audit/verify`, this.keys.auditor);
    // Notices sent after the read add events: the chain verified holds at least those read.
    check(v.body.valid === true && v.body.events >= got.length, `${caseId}: the audit chain does not verify: ${JSON.stringify(v.body)} (the timeline had ${got.length} events)`);
    return got.length;
  }
}

const trackingNumber = () => `STAGE${crypto.randomBytes(8).toString('hex').toUpperCase()}`;

async function driveReturn(j: Journey): Promise<string> {
  const id = await j.open(returnBody(j.keys.merchantId));
  await j.complete(id, 'return.merchant_review', { decision: 'approve' }, j.keys.merchant);
  await j.atStep(id, 'awaiting_customer_shipment');
  const parcel = trackingNumber();
  await j.act(id, 'shipment', { carrier: 'SF', trackingNumber: parcel });
  await j.carrierDelivers(id, parcel);
  await j.complete(id, 'return.merchant_inspection', { outcome: 'complete' }, j.keys.merchant);
  await j.closed(id, 'refunded');
  const n = await j.timeline(id, ['case.closed']);
  const paid = (await j.db.payment.findMany({ where: { caseId: id } })).map((p) => `${p.kind}:${p.status}`).sort();
  check(JSON.stringify(paid) === JSON.stringify(['refund:succeeded', 'return_shipping:succeeded']), `return ${id}: expected one refund and the return shipping paid, got ${JSON.stringify(paid)}`);
  progress(`return ${id}: approved, shipped, delivered (carrier webhook), inspected, refunded once; ${n} timeline events, chain verified`);
  return id;
}

async function driveRepair(j: Journey): Promise<string> {
  const id = await j.open(repairBody(j.keys.merchantId));
  await j.complete(id, 'repair.first_response', { solution: 'free_repair' });
  await j.atStep(id, 'awaiting_hand_over');
  const parcel = trackingNumber();
  await j.act(id, 'hand-over', { method: 'courier', carrier: 'SF', trackingNumber: parcel });
  await j.carrierDelivers(id, parcel);
  await j.complete(id, 'repair.confirm_receipt', { outcome: 'received' });
  await j.complete(id, 'repair.technician_report', { result: 'repaired', faultCode: 'power_supply', partsUsed: ['PSU-2000-A'] });
  await j.complete(id, 'repair.return_shipment', { carrier: 'JD', trackingNumber: 'JD0001234567' });
  await j.atStep(id, 'awaiting_rating');
  await j.act(id, 'rating', { rating: 5 });
  await j.closed(id, 'repaired');
  const n = await j.timeline(id, ['repair.handed_over', 'repair.item_arrived', 'repair.result_recorded', 'repair.rated', 'case.closed']);
  progress(`warranty repair ${id}: free repair, handed over, arrived, repaired, shipped back, rated; ${n} timeline events, chain verified`);
  return id;
}

async function driveComplaint(j: Journey): Promise<string> {
  const id = await j.open(complaintBody(j.keys.merchantId));
  await j.complete(id, 'complaint.information_review', { outcome: 'complete' });
  await j.complete(id, 'complaint.preliminary_judgement', { classification: 'product_quality' });
  await j.atStep(id, 'merchant_reply');
  await must(201, j.next(id), 'POST', `/v1/cases/${id}/messages`, j.keys.merchant, { body: 'We are sorry; we offer a compensation.' });
  await j.atStep(id, 'negotiation');
  await j.act(id, 'propose-settlement', { terms: 'compensation', amount: '88.00' }, j.keys.merchant);
  await j.act(id, 'respond-settlement', { proposal: 1, decision: 'accept' });
  await j.atStep(id, 'rating');
  await j.act(id, 'complaint-rating', { rating: 5 });
  await j.closed(id, 'settled');
  const n = await j.timeline(id, ['case.closed']);
  const paid = await j.db.payment.findMany({ where: { caseId: id } });
  check(paid.length === 1 && paid[0].idempotencyKey === `settlement:${id}:1` && paid[0].amountMinor === 8800, `complaint ${id}: expected one settlement of 88.00, got ${JSON.stringify(paid.map((p) => [p.idempotencyKey, p.amountMinor]))}`);
  progress(`complaint ${id}: reviewed, judged, merchant replied in the thread, settlement proposed and accepted (paid once), rated; ${n} timeline events, chain verified`);
  return id;
}

/** Registration for a merchant account: SMS code (its outbox), e-mail link (the caught mail), consents, identity. */
async function driveRegistration(j: Journey): Promise<string> {
  const tag = crypto.randomBytes(5).toString('hex');
  const id = await j.open({ type: 'registration', name: '张三', mobile: `139${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`, email: `u${tag}@applicant.test`, username: `u_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11', locale: 'en', realNameFor: 'merchant_account' } as { type: string });
  const sms = await until(`the SMS of ${id}`, () => j.db.smsOutbox.findFirst({ where: { registrationId: id }, orderBy: { createdAt: 'desc' } }));
  await must(200, j.next(id), 'POST', `/v1/registrations/${id}/mobile/verify`, j.keys.storefront, { code: /(\d{6})/.exec(sms.body)![1] });
  await j.atStep(id, 'email_verification');
  const token = await until(`the verification e-mail of ${id}`, async () => {
    for (const m of readMails(j.topo.mailDir)) {
      if (!m.raw.includes(id)) continue;
      const link = /https?:\/\/\S*token=[^\s"'<>]+/.exec(m.text);
      if (link) return new URL(link[0]).searchParams.get('token') ?? undefined;
    }
    return undefined;
  });
  await must(200, j.next(id), 'POST', `/v1/registrations/${id}/email/confirm`, j.keys.storefront, { token });
  await j.atStep(id, 'identity_verification');
  for (const purpose of ['id_number', 'face_image']) {
    const api = j.next(id);
    const notice = (await must(200, api, 'GET', `/v1/registrations/${id}/consents/notice?purpose=${purpose}&locale=en`, j.keys.storefront)).body;
    await must(201, api, 'POST', `/v1/registrations/${id}/consents`, j.keys.storefront, { purpose, privacyPolicyVersion: notice.privacyPolicy.version, privacyPolicyTextSha256: notice.privacyPolicy.textSha256, noticeSha256: notice.noticeSha256 });
  }
  const { idCheckCharacter } = await import('../policy/idNumber');
  const first17 = `110105${19800101 + crypto.randomInt(0, 27)}${String(crypto.randomInt(0, 1000)).padStart(3, '0')}`;
  await must(200, j.next(id), 'POST', `/v1/registrations/${id}/identity`, j.keys.storefront, { idNumber: first17 + idCheckCharacter(first17), faceImageRef: 'sim-pass-1' });
  const review = await until(`${id} approved or at an identity review`, async () => {
    if ((await j.read(id)).status === 'closed') return 'none';
    const r = await must(200, j.next(id), 'GET', `/v1/tasks?caseId=${id}&status=open`, j.keys.agent);
    return (r.body.tasks as { type: string }[]).some((t) => t.type === 'registration.identity_review') ? 'review' : undefined;
  });
  if (review === 'review') await j.complete(id, 'registration.identity_review', { decision: 'approve' });
  await j.closed(id, 'approved');
  await j.timeline(id, ['case.closed']);
  progress(`registration ${id}: SMS code, e-mail link, two consents, identity; approved${review === 'review' ? ' after a review' : ''}`);
  return id;
}

interface Mail {
  file: string;
  messageId: string;
  raw: string;
  text: string;
}
function readMails(dir: string): Mail[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => {
    const raw = fs.readFileSync(path.join(dir, f), 'utf8');
    const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
    const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    return { file: f, messageId: /^Message-ID:\s*(.*)$/im.exec(head)?.[1].trim() ?? '', raw, text };
  });
}

/**
 * The outbox against the caught mail: waits until no notice of `caseIds` is pending, then every sent notice has a mail
 * with its Message-ID. `strict`: exactly one (both workers ran throughout); otherwise at least one, and a second copy
 * only for a notice sent after `since` (an attempt the kill interrupted after SMTP accepted it is sent again).
 */
async function outboxAgainstMail(j: Journey, caseIds: string[], o: { strict: boolean; since?: Date }): Promise<{ sent: number; resent: number }> {
  const rows = await until('every notice of the stage sent', async () => {
    const r = await j.db.notification.findMany({ where: { caseId: { in: caseIds } }, select: { id: true, caseId: true, status: true, messageId: true, sentAt: true, template: true } });
    const waiting = r.filter((n) => !['sent', 'skipped'].includes(n.status));
    return waiting.length === 0 ? r : undefined;
  }, 120_000, 500);
  const sent = rows.filter((n) => n.status === 'sent');
  check(sent.length >= caseIds.length, `only ${sent.length} notices sent for ${caseIds.length} cases`);
  const byId = new Map<string, number>();
  for (const m of readMails(j.topo.mailDir)) byId.set(m.messageId, (byId.get(m.messageId) ?? 0) + 1);
  let resent = 0;
  for (const n of sent) {
    const copies = byId.get(n.messageId ?? '') ?? 0;
    check(copies >= 1, `notice ${n.id} (${n.template}, case ${n.caseId}) is sent in the outbox but no mail has its Message-ID ${n.messageId}`);
    if (copies > 1) {
      check(!o.strict && o.since && n.sentAt && n.sentAt >= o.since, `notice ${n.id} (${n.template}, case ${n.caseId}) was mailed ${copies} times (Message-ID ${n.messageId}) with both workers running`);
      resent++;
    }
  }
  return { sent: sent.length, resent };
}

/** The identities of the workers that completed a workflow task of `caseId` (after `since`, if given). */
async function workflowTaskIdentities(j: Journey, caseId: string, since?: Date): Promise<string[]> {
  const history = await j.temporal.workflow.getHandle(caseId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.workflowTaskCompletedEventAttributes && (!since || (e.eventTime?.seconds ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) >= since.getTime() : false)))
    .map((e) => e.workflowTaskCompletedEventAttributes!.identity ?? '');
}

/**
 * Cases waiting on a human step; the worker that ran most of them SIGKILLed; their steps completed; they must move on,
 * run by the other worker only. Then the killed one restarted and the cases finished.
 */
async function workerTakeover(j: Journey, n: number, victimName?: string): Promise<{ victim: string; restartMs: number; ids: string[]; killedAt: Date }> {
  const identity = (w: Restartable & { pid?: number }) => `${w.pid}@${os.hostname()}`;
  const workers = j.topo.workers as (Restartable & { pid?: number })[];
  const ids: string[] = [];
  const ran = new Map<string, number>();
  let victim: (typeof workers)[number] | undefined;
  // Cases until the victim (the named worker, or the one that ran most of them) last ran at least one (3 batches at most).
  for (let batch = 0; batch < 3 && !(victim && (ran.get(identity(victim)) ?? 0) > 0); batch++) {
    const more = await Promise.all(Array.from({ length: n }, () => j.open(returnBody(j.keys.merchantId))));
    for (const id of more) await until(`${id} waiting for the merchant's review`, async () => (await j.read(id)).step === 'merchant_review');
    for (const id of more) {
      const last = (await workflowTaskIdentities(j, id)).at(-1);
      if (last) ran.set(last, (ran.get(last) ?? 0) + 1);
    }
    ids.push(...more);
    victim = victimName ? workers.find((w) => w.name === victimName) : [...workers].sort((a, b) => (ran.get(identity(b)) ?? 0) - (ran.get(identity(a)) ?? 0))[0];
  }
  check(victim, `no worker named ${victimName}`);
  n = ids.length;
  const survivors = workers.filter((w) => w !== victim).map(identity);
  const ranByVictim = ran.get(identity(victim)) ?? 0;
  check(ranByVictim > 0, `none of the ${n} cases was last run by either worker (${JSON.stringify([...ran])})`);
  const victimIdentity = identity(victim);
  const killedAt = new Date();
  await victim.kill();
  check(!victim.isRunning(), `${victim.name} still runs after SIGKILL`);
  progress(`SIGKILLed ${victim.name} (${victimIdentity}), which had last run ${ranByVictim} of ${n} waiting cases`);
  const t = Date.now();
  await Promise.all(ids.map((id) => j.complete(id, 'return.merchant_review', { decision: 'approve' }, j.keys.merchant, 60_000)));
  for (const id of ids) await j.atStep(id, 'awaiting_customer_shipment', 60_000);
  for (const id of ids) {
    const after = await workflowTaskIdentities(j, id, killedAt);
    check(after.length > 0 && after.every((x) => survivors.includes(x)), `${id}: after the kill its workflow tasks were completed by ${after.join(', ') || 'nobody'}, expected only ${survivors.join(', ')}`);
  }
  progress(`the other worker took the ${n} cases over: all approved and waiting for the shipment ${((Date.now() - t) / 1000).toFixed(1)} s after the kill, their workflow tasks run by ${survivors.join(', ')} only`);
  const r0 = Date.now();
  await victim.restart();
  const restartMs = Date.now() - r0;
  progress(`${victim.name} restarted and polling in ${(restartMs / 1000).toFixed(1)} s; finishing the ${n} cases`);
  await Promise.all(ids.map(async (id) => {
    const parcel = trackingNumber();
    await j.act(id, 'shipment', { carrier: 'SF', trackingNumber: parcel });
    await j.carrierDelivers(id, parcel);
    await j.complete(id, 'return.merchant_inspection', { outcome: 'complete' }, j.keys.merchant);
    await j.closed(id, 'refunded');
  }));
  return { victim: victim.name, restartMs, ids, killedAt };
}

/** An API replica SIGKILLed: the other serves every call meanwhile; restarted, it serves again (full variant). */
async function apiReplicaDown(j: Journey): Promise<void> {
  const [down, up] = j.topo.apiProcesses;
  await down.kill();
  const r = await call(j.topo.apis[0], 'GET', '/readyz', undefined).catch((err: Error) => ({ status: 0, body: err.message }));
  check(r.status === 0, `${down.name} still answers after SIGKILL (${r.status})`);
  const id = await (async () => {
    const res = await must(201, j.topo.apis[1], 'POST', '/v1/cases', j.keys.storefront, returnBody(j.keys.merchantId), { 'Idempotency-Key': `stage-${crypto.randomUUID()}` });
    j.cases.push(res.body.caseId);
    return res.body.caseId as string;
  })();
  await until(`${id} waiting for the merchant on ${up.name}`, async () => (await must(200, j.topo.apis[1], 'GET', `/v1/cases/${id}`, j.keys.auditor)).body.step === 'merchant_review');
  const t = Date.now();
  await down.restart();
  await j.atStep(id, 'merchant_review');
  progress(`${down.name} SIGKILLed: ${up.name} opened and served ${id} meanwhile; ${down.name} back and reading it in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

/**
 * Restarts during outages (full variant): a worker restarted while Temporal is down, then a worker and an API replica
 * restarted while PostgreSQL is down; restart() returns at once, the supervisor starts them again until the
 * dependency is back, and then they are ready and a new case reaches its first human step.
 */
async function restartsDuringOutages(j: Journey): Promise<void> {
  const [w1] = j.topo.workers;
  const [a1] = j.topo.apiProcesses;
  await j.topo.temporalServer.kill();
  await w1.kill();
  let t = Date.now();
  await w1.restart();
  check(Date.now() - t < 10_000, `${w1.name}'s restart while Temporal is down took ${Date.now() - t} ms (it should not wait for Temporal)`);
  await sleep(3000);
  t = Date.now();
  await j.topo.temporalServer.restart();
  await w1.whenReady!({ timeoutMs: 120_000 });
  progress(`Temporal SIGKILLed, ${w1.name} killed and restarted meanwhile (returned at once, started again by its supervisor); Temporal back and ${w1.name} ready ${((Date.now() - t) / 1000).toFixed(1)} s later`);
  await j.topo.postgres.kill();
  await Promise.all([w1.kill(), a1.kill()]);
  await Promise.all([w1.restart(), a1.restart()]);
  await sleep(3000);
  t = Date.now();
  await j.topo.postgres.restart();
  await Promise.all([w1.whenReady!({ timeoutMs: 120_000 }), a1.whenReady!({ timeoutMs: 120_000 })]);
  const id = await j.open(returnBody(j.keys.merchantId));
  await j.atStep(id, 'merchant_review', 120_000);
  progress(`PostgreSQL SIGKILLed, ${w1.name} and ${a1.name} restarted meanwhile; PostgreSQL back, both ready and ${id} opened on ${a1.name} at the merchant's review ${((Date.now() - t) / 1000).toFixed(1)} s later`);
}

/** mTLS to the prod-like server (full variant): a client with the CA's client certificate connects, others are refused. */
async function temporalTlsChecks(topo: ProdLikeTopology): Promise<void> {
  const tls = topo.temporal.tls!;
  const ok = await Connection.connect({ ...temporalConnectionOptions(topo.temporal.address, { TEMPORAL_TLS: true, TEMPORAL_TLS_CA: tls.ca, TEMPORAL_TLS_CERT: tls.cert, TEMPORAL_TLS_KEY: tls.key, TEMPORAL_TLS_SERVER_NAME: tls.serverName }), connectTimeout: 5000 });
  const info = await ok.workflowService.getSystemInfo({});
  check(info.serverVersion === '1.32.0', `the TLS server reports version ${info.serverVersion}`);
  await ok.close();
  const refused = async (what: string, o: Parameters<typeof Connection.connect>[0]) => {
    let error = '';
    try {
      const c = await Connection.connect({ ...o, connectTimeout: 3000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
    } catch (err) {
      error = (err as Error).message;
    }
    check(error !== '', `a ${what} reached Temporal`);
    return error.split('\n')[0].slice(0, 80);
  };
  const plain = await refused('plaintext connection', { address: topo.temporal.address });
  const noCert = await refused('TLS connection without a client certificate', { ...temporalConnectionOptions(topo.temporal.address, { TEMPORAL_TLS: true, TEMPORAL_TLS_CA: tls.ca, TEMPORAL_TLS_SERVER_NAME: tls.serverName }) });
  progress(`mTLS to Temporal 1.32.0: the client certificate of the CA made at start connects; plaintext refused (${plain}); no client certificate refused (${noCert})`);
}

async function main(): Promise<void> {
  progress(`${full ? 'full' : 'short'} variant: starting the prod-like topology (fresh data${full ? ', frontend mTLS' : ''})`);
  const topo = await startProdLike({ fresh: true, dataDir: path.join(ROOT, '.data', 'prod-like-stage'), temporalTls: full, log: (m) => progress(m) });
  const summary: string[] = [];
  let db: Db | undefined;
  let connection: Connection | undefined;
  try {
    progress(`topology up: APIs ${topo.apis.join(', ')}, Temporal ${topo.temporal.address}, ${topo.workers.length} workers`);
    if (full) await temporalTlsChecks(topo);
    db = createDb(topo.databaseUrl, { maxConnections: 3 });
    const tls = topo.temporal.tls;
    connection = await Connection.connect(temporalConnectionOptions(topo.temporal.address, tls ? { TEMPORAL_TLS: true, TEMPORAL_TLS_CA: tls.ca, TEMPORAL_TLS_CERT: tls.cert, TEMPORAL_TLS_KEY: tls.key, TEMPORAL_TLS_SERVER_NAME: tls.serverName } : { TEMPORAL_TLS: false }));
    const temporal = new Client({ connection, namespace: topo.temporal.namespace });

    // Principals, made through api-1 with the topology's admin key.
    const run = crypto.randomBytes(3).toString('hex');
    const merchantId = `m-stage-${run}`;
    const make = async (role: string, extra: Record<string, unknown> = {}) => (await must(201, topo.apis[0], 'POST', '/v1/principals', topo.adminKey, { name: `stage ${run} ${role}`, role, ...extra })).body.apiKey as string;
    const keys: Keys = {
      storefront: await make('storefront'),
      agent: await make('agent'),
      merchant: await make('merchant', { merchantId, contact: { email: `${merchantId}@merchant.test`, locale: 'en' } }),
      merchantId,
      auditor: await make('auditor'),
    };
    const j = new Journey(topo, keys, db, temporal, prodLikeSecrets(topo.dataDir).WEBHOOK_SECRET_CARRIER);

    // 1. The journey across both replicas, both workers running.
    const journeys = [driveReturn(j), driveRepair(j), driveComplaint(j), ...(full ? [driveRegistration(j), driveReturn(j), driveComplaint(j)] : [])];
    const done = await Promise.all(journeys);
    summary.push(`${done.length} cases through their lifecycle across ${topo.apis.length} replicas`);
    const before = await outboxAgainstMail(j, [...j.cases], { strict: true });
    progress(`outbox vs mail with two workers: ${before.sent} notices sent, each mailed exactly once (by Message-ID)`);
    summary.push(`${before.sent} notices once each with two workers`);

    // 2. A worker killed: the other takes its cases over.
    const takeover = await workerTakeover(j, full ? 6 : 4);
    summary.push(`${takeover.victim} SIGKILLed, its cases carried on by the other, restarted in ${(takeover.restartMs / 1000).toFixed(1)} s`);
    if (full) {
      const second = await workerTakeover(j, 4, j.topo.workers.find((w) => w.name !== takeover.victim)!.name);
      summary.push(`${second.victim} SIGKILLed too, restarted in ${(second.restartMs / 1000).toFixed(1)} s`);
      await apiReplicaDown(j);
      summary.push('an API replica SIGKILLed and restarted');
    }
    const after = await outboxAgainstMail(j, [...j.cases], { strict: false, since: takeover.killedAt });
    progress(`outbox vs mail at the end: ${after.sent} notices sent, each mailed; ${after.resent} mailed again after a kill (same Message-ID)`);
    summary.push(`${after.sent} notices mailed, ${after.resent} again after the kill`);

    // 3. Nothing started twice; each payment once in the gateway's ledger; the schedules once.
    for (const id of j.cases) {
      let runs = 0;
      for await (const _ of temporal.workflow.list({ query: `WorkflowId = '${id}'` })) runs++;
      check(runs === 1, `${id} has ${runs} workflow runs`);
    }
    const charges = await db.$queryRawUnsafe<{ key: string; n: bigint }[]>('SELECT idempotency_key AS key, count(*) AS n FROM simulated_gateway_ledger GROUP BY 1 HAVING count(*) > 1');
    check(charges.length === 0, `payments charged twice: ${JSON.stringify(charges.map((c) => c.key))}`);
    const schedules: string[] = [];
    for await (const s of temporal.schedule.list()) schedules.push(s.scheduleId);
    check(schedules.filter((s) => s === 'retention-purge').length === 1, `schedules after two workers started: ${schedules.join(', ')}`);
    summary.push(`${j.cases.length} cases each started once, no payment twice, one retention schedule`);
    if (full) {
      await restartsDuringOutages(j);
      summary.push('a worker restarted while Temporal was down, a worker and an API while PostgreSQL was down: ready once it was back');
    }
  } finally {
    await connection?.close().catch(() => undefined);
    await db?.$disconnect().catch(() => undefined);
    progress('stopping the topology');
    await topo.stop();
  }
  progress(`PASSED (${full ? 'full' : 'short'}) in ${secs()} s: ${summary.join('; ')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    progress(`FAILED after ${secs()} s: ${err instanceof CheckFailed ? err.message : (err as Error).stack ?? String(err)}`);
    progress(`logs: ${path.relative(ROOT, path.join(ROOT, '.data', 'prod-like-stage', 'logs'))}`);
    process.exit(1);
  },
);
