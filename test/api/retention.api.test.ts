// The daily retention purge (README "Retention: the daily purge") on the real Temporal dev server and PostgreSQL: rows
// seeded past and within their periods, the purge workflow run on the worker's queue and through its Schedule; exactly
// the expired rows go, and the counts are on the run's row, in the metrics and in the log.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import { appendAuditEvent } from '../../activities/audit';
import { cutoffOf, localDay, purgeRules } from '../../activities/retention';
import { retentions, type Retention } from '../../lib/personalData';
import { ensureRetentionSchedule } from '../../lib/retentionSchedule';
import { eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let client: Client;
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const tag = crypto.randomUUID().slice(0, 8);

beforeAll(async () => {
  sys = await startTestSystem();
  client = new Client({ connection: sys.connection });
}, 120_000);
afterAll(async () => {
  await sys?.stop();
});

/** A registration case closed `closedDaysAgo` days ago with the given outcome, its code, its text and its party. */
async function registration(name: string, status: 'rejected' | 'approved', closedDaysAgo: number) {
  const id = `REG-ret-${tag}-${name}`;
  const userRef = `usr_ret_${tag}_${name}`;
  const subjectId = `sub-ret-${tag}-${name}`;
  const closedAt = ago(closedDaysAgo);
  await sys.db.subject.create({ data: { id: subjectId, kind: 'customer' } });
  await sys.db.case.create({
    data: { id, type: 'registration', status: 'closed', step: 'closed', customerId: userRef, subjectId, policyVersion: 'test', workflowId: id, summary: {}, outcome: status, openedBy: 'test', closedAt },
  });
  await sys.db.registration.create({
    data: { id, userRef, subjectId, status, usernameClear: `ret_${tag}_${name}`, fullName: 'Retention Tester', mobileClear: `+86139${tag.replace(/\D/g, '0').slice(0, 4)}${name.length}`, email: `${name}-${tag}@example.test`, passwordHash: 'scrypt$x', agreementVersion: '2026-11', closedAt },
  });
  await sys.db.registrationChallenge.create({ data: { id: `${id}:sms:1`, registrationId: id, channel: 'sms', seq: 1, codeHash: 'h', expiresAt: closedAt, maxAttempts: 5, sentAt: closedAt } });
  // The code's text is recent (within its own 30 days) so that only the registration's erasure takes it.
  await sys.db.smsOutbox.create({ data: { idempotencyKey: `${id}:sms:1#1`, registrationId: id, toNumber: '+8613900000000', body: 'code 123456', purpose: 'mobile_verification' } });
  await sys.db.party.create({ data: { id: userRef, kind: 'customer', displayName: 'Retention Tester', subjectId } });
  return { id, userRef };
}

/** The case recorded its retention's end at the decision (registration.retention_scheduled), as new cases do. */
async function scheduled(caseId: string, erasureAt: Date) {
  await appendAuditEvent(sys.db, { caseId, eventKey: `${caseId}:retention`, type: 'registration.retention_scheduled', actor: 'system', at: new Date(), payload: { erasureAt: erasureAt.toISOString() } });
}

/** An active account whose later real-name verification (its own case) was refused `closedDaysAgo` days ago. */
async function refusedRealName(name: string, closedDaysAgo: number) {
  const account = await registration(name, 'approved', 400);
  const caseId = `REG-ret-${tag}-${name}-real-name`;
  await sys.db.case.create({
    data: { id: caseId, type: 'registration', status: 'closed', step: 'closed', customerId: account.userRef, policyVersion: 'test', workflowId: caseId, summary: {}, outcome: 'rejected', openedBy: 'test', closedAt: ago(closedDaysAgo) },
  });
  await sys.db.registration.update({ where: { id: account.id }, data: { realNameCaseId: caseId } });
  await sys.db.registrationIdentity.create({ data: { registrationId: account.id, idNumberHash: `h-${tag}-${name}`, birthDate: '1990-01-01', idLast4: '1234', faceResult: 'uncertain', riskFlag: 'none' } });
  return { ...account, caseId };
}

/** A held mail as the listener keeps one (its id and reason as the API documents them: other test files list them). */
async function heldMail(name: string, decidedDaysAgo: number | null, raw?: Buffer) {
  const id = `qm_${crypto.randomUUID().replace(/-/g, '')}`;
  // The raw message as the listener keeps it, when given: a blob of the blob store.
  let rawSha256 = 'a'.repeat(64);
  if (raw) {
    const staged = await sys.api.deps.ports.blobs.stage(Readable.from([raw]), { maxBytes: raw.length });
    await staged.commit();
    rawSha256 = staged.sha256;
  }
  await sys.db.inboundMailQuarantine.create({
    data: {
      id,
      mailFrom: `${name}@example.test`,
      rcptTo: ['case+x@reply.casework.test'],
      reason: 'bad_token',
      textBody: 'my words',
      rawSha256,
      attachments: [],
      ...(decidedDaysAgo !== null && { status: 'discarded', decidedBy: 'prn_test', decidedAt: ago(decidedDaysAgo) }),
      receivedAt: ago(decidedDaysAgo ?? 40),
    },
  });
  return id;
}

/** What each purge step finds due now, by the inventory's own predicates (the purge's counts must equal them). */
async function dueNow(): Promise<Record<string, Record<string, number>>> {
  const runDay = localDay(new Date());
  const out: Record<string, Record<string, number>> = {};
  for (const rule of purgeRules()) {
    const r: Retention = retentions[rule];
    const c = cutoffOf(runDay, r.days!);
    out[rule] = {};
    for (const s of r.purge!) {
      const [{ n }] = await sys.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${s.table} t WHERE (${s.due}) AND $1::timestamp IS NOT NULL AND $2::text IS NOT NULL AND $4::text IS NOT NULL AND $3::int IS NOT NULL`, c.cutoff, c.day, 0, runDay);
      out[rule][s.table] = n;
    }
  }
  return out;
}

test('the purge erases exactly what is past its period, from the inventory, and records the counts', async () => {
  const expired = await registration('expired', 'rejected', 32);
  const recent = await registration('recent', 'rejected', 10);
  const approved = await registration('approved', 'approved', 400);
  // The end the case recorded decides (a policy's own rejectedRetentionDays): passed though closed 5 days ago; not yet
  // though closed 40 days ago.
  const told = await registration('told', 'rejected', 5);
  await scheduled(told.id, new Date(Date.now() - 3_600_000));
  const toldLater = await registration('toldlater', 'rejected', 40);
  await scheduled(toldLater.id, new Date(Date.now() + 10 * DAY));
  const refused = await refusedRealName('refused', 32);
  const refusedRecently = await refusedRealName('refusedrecently', 3);
  const oldRaw = Buffer.from(`From: old@example.test\r\nSubject: held ${tag}\r\n\r\nmy words\r\n`);
  const oldMail = await heldMail('old', 31, oldRaw);
  const oldRawKey = crypto.createHash('sha256').update(oldRaw).digest('hex');
  expect(await sys.api.deps.ports.blobs.exists(oldRawKey)).toBe(true);
  const youngMail = await heldMail('young', 29);
  const undecided = await heldMail('undecided', null);
  await sys.db.smsOutbox.create({ data: { idempotencyKey: `ret-${tag}-old-sms`, toNumber: '+8613900000001', body: 'code 1', purpose: 'mobile_verification', createdAt: ago(31) } });
  await sys.db.smsOutbox.create({ data: { idempotencyKey: `ret-${tag}-new-sms`, toNumber: '+8613900000002', body: 'code 2', purpose: 'mobile_verification', createdAt: ago(1) } });
  await sys.db.smsDailyCounter.create({ data: { day: localDay(ago(5)), kind: 'mobile', keyHash: `ret-${tag}`, count: 3 } });
  await sys.db.smsDailyCounter.create({ data: { day: localDay(new Date()), kind: 'mobile', keyHash: `ret-${tag}`, count: 1 } });

  const due = await dueNow();
  expect(due.registration.registrations).toBeGreaterThanOrEqual(1);
  expect(due.heldMail.inbound_mail_quarantine).toBeGreaterThanOrEqual(1);
  // With a held mail go the blobs it alone named: here the old mail's raw message.
  due.heldMail.blobs = 1;

  const runId = `retention-purge-test-${tag}`;
  const result = await client.workflow.execute('retentionPurge', { taskQueue: sys.taskQueue, workflowId: runId, args: [] });
  expect(result).toMatchObject({ runId, runDay: localDay(new Date()) });
  // The counts are what the inventory's predicates found due (other tests share the database).
  expect(result.counts).toEqual(due);

  // The rejected registration past its 30 days: stripped and its dependants gone, audited on its case.
  const erased = await sys.db.registration.findUniqueOrThrow({ where: { id: expired.id } });
  expect(erased).toMatchObject({ status: 'rejected', usernameClear: null, usernameSealed: null, fullName: null, mobileClear: null, mobileSealed: null, mobileIndex: null, email: null, passwordHash: null });
  expect(erased.personalDataErasedAt).not.toBeNull();
  expect(await sys.db.registrationChallenge.count({ where: { registrationId: expired.id } })).toBe(0);
  expect(await sys.db.smsOutbox.count({ where: { registrationId: expired.id } })).toBe(0);
  expect(await sys.db.party.count({ where: { id: expired.userRef } })).toBe(0);
  const audit = await sys.db.auditEvent.findUniqueOrThrow({ where: { caseId_eventKey: { caseId: expired.id, eventKey: `${expired.id}:erase` } } });
  expect(audit).toMatchObject({ type: 'registration.personal_data_erased', actor: 'system', payload: expect.objectContaining({ reason: 'rejected', registrations: 1, challenges: 1, smsMessages: 1, parties: 1 }) });
  expect((await sys.db.registration.findUniqueOrThrow({ where: { id: told.id } })).personalDataErasedAt).not.toBeNull();
  // A refused real-name verification: its identity goes, audited on its case; the account stays.
  expect(await sys.db.registrationIdentity.count({ where: { registrationId: refused.id } })).toBe(0);
  expect(await sys.db.auditEvent.findUniqueOrThrow({ where: { caseId_eventKey: { caseId: refused.caseId, eventKey: `${refused.caseId}:erase` } } })).toMatchObject({ type: 'registration.personal_data_erased', payload: { reason: 'rejected', identities: 1 } });
  expect((await sys.db.registration.findUniqueOrThrow({ where: { id: refused.id } })).fullName).toBe('Retention Tester');
  expect(await sys.db.registrationIdentity.count({ where: { registrationId: refusedRecently.id } })).toBe(1);
  // Within their periods, or not under the rule: untouched.
  for (const kept of [recent, approved, toldLater]) {
    expect((await sys.db.registration.findUniqueOrThrow({ where: { id: kept.id } })).fullName).toBe('Retention Tester');
    expect(await sys.db.registrationChallenge.count({ where: { registrationId: kept.id } })).toBe(1);
    expect(await sys.db.party.count({ where: { id: kept.userRef } })).toBe(1);
  }
  // Held mails: the one decided 31 days ago goes; decided 29 days ago, or not decided, they stay.
  expect(await sys.db.inboundMailQuarantine.count({ where: { id: oldMail } })).toBe(0);
  expect(await sys.api.deps.ports.blobs.exists(oldRawKey)).toBe(false);
  expect(await sys.db.inboundMailQuarantine.count({ where: { id: { in: [youngMail, undecided] } } })).toBe(2);
  expect(await sys.db.smsOutbox.findUnique({ where: { idempotencyKey: `ret-${tag}-old-sms` } })).toBeNull();
  expect(await sys.db.smsOutbox.findUnique({ where: { idempotencyKey: `ret-${tag}-new-sms` } })).not.toBeNull();
  expect(await sys.db.smsDailyCounter.findMany({ where: { keyHash: `ret-${tag}` }, select: { day: true } })).toEqual([{ day: localDay(new Date()) }]);

  // The counts: on the run's row, in the metrics, in the log.
  const run = await sys.db.retentionRun.findUniqueOrThrow({ where: { id: runId } });
  expect(run.finishedAt).not.toBeNull();
  expect(run.counts).toEqual(due);
  const metric = (await sys.metrics.getSingleMetric('casework_retention_purged_rows_total')!.get()).values;
  const valueOf = (rule: string, table: string) => metric.find((v) => v.labels.rule === rule && v.labels.table === table)?.value ?? 0;
  expect(valueOf('registration', 'registrations')).toBeGreaterThanOrEqual(due.registration.registrations);
  expect(valueOf('heldMail', 'inbound_mail_quarantine')).toBeGreaterThanOrEqual(due.heldMail.inbound_mail_quarantine);
  expect(sys.logs.find((l) => l.msg === 'retention purge finished' && l.runId === runId)).toMatchObject({ counts: due });
  // No personal value in the run's history: rule ids, table names and counts only.
  const history = JSON.stringify(await client.workflow.getHandle(runId).fetchHistory());
  expect(history).not.toContain('Retention Tester');
  expect(history).not.toContain(expired.userRef);

  // Run again the same day: nothing left to do for these rows (the registration is not erased twice).
  const again = await client.workflow.execute('retentionPurge', { taskQueue: sys.taskQueue, workflowId: `${runId}-again`, args: [] });
  expect(again.counts.registration.registrations).toBe(0);
}, 120_000);

test('the schedule: created once however often and however many start at once, updated when its definition changes, triggered', async () => {
  const scheduleId = `retention-purge-test-${tag}`;
  const opts = { connection: sys.connection, namespace: 'default', taskQueue: sys.taskQueue, scheduleId };
  try {
    const results = await Promise.all([ensureRetentionSchedule(opts), ensureRetentionSchedule(opts)]);
    expect(results.sort()).toEqual(['created', 'unchanged']);
    expect(await ensureRetentionSchedule(opts)).toBe('unchanged');
    const handle = client.schedule.getHandle(scheduleId);
    const d = await handle.describe();
    expect(d).toMatchObject({ action: { type: 'startWorkflow', workflowType: 'retentionPurge', taskQueue: sys.taskQueue }, spec: { timezone: 'Asia/Shanghai' }, policies: { overlap: 'SKIP', catchupWindow: 86_400_000 } });
    const listed: string[] = [];
    for await (const s of client.schedule.list()) if (s.scheduleId === scheduleId) listed.push(s.scheduleId);
    expect(listed.length).toBeLessThanOrEqual(1); // the list is eventually consistent; never two

    // Paused by an operator, then a new definition (another queue): updated in place, still paused.
    await handle.pause('maintenance');
    expect(await ensureRetentionSchedule({ ...opts, taskQueue: `${sys.taskQueue}-moved` })).toBe('updated');
    const moved = await handle.describe();
    expect(moved.action).toMatchObject({ taskQueue: `${sys.taskQueue}-moved` });
    expect(moved.state).toMatchObject({ paused: true, note: 'maintenance' });
    expect(await ensureRetentionSchedule(opts)).toBe('updated');
    await handle.unpause();

    // Triggered now (as `temporal schedule trigger`): a run on the worker's queue records its row.
    await handle.trigger();
    const run = await eventually(async () => sys.db.retentionRun.findFirst({ where: { id: { startsWith: scheduleId }, finishedAt: { not: null } } }), 'the triggered run', 60_000);
    expect(run.counts).toHaveProperty('registration');
  } finally {
    await client.schedule.getHandle(scheduleId).delete().catch((err) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
  }
}, 120_000);

test('the cutoff counts whole local days: a registration rejected on day D is due from the run of D+31', () => {
  // Rejected at 10:00 China time on 1 November: erasureAt is 24:00 of 1 December (30 days from the next day).
  const rejected = new Date('2026-11-01T02:00:00Z');
  const due = (runDay: string) => rejected.getTime() < Date.parse(cutoffOf(runDay, 30).cutoff);
  expect(due('2026-12-01')).toBe(false);
  expect(due('2026-12-02')).toBe(true);
  expect(cutoffOf('2026-12-02', 30)).toEqual({ cutoff: '2026-11-01T16:00:00.000Z', day: '2026-11-02' });
  expect(localDay(new Date('2026-12-01T16:30:00Z'))).toBe('2026-12-02');
});
