// Nothing left behind by a crash between an opening's commit and its workflow's start: the fault hook
// (processes/caseStart.ts afterOpeningCommit) fails the request right after the commit, for the generic opening of
// every process in the catalogue and for every process route that opens a case; the case row is left without its
// workflow; the reconciler (processes/caseReconciler.ts) starts it from its stored input; the case reaches its first
// step. A workflow that runs without having written yet, or that ran and closed, is never started a second time.
import crypto from 'node:crypto';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import pg from 'pg';
import { processes, type AnyProcess } from '../../processes';
import { createCaseReconciler, RECONCILER_LOCK_KEY, type ReconcileResult } from '../../processes/caseReconciler';
import { createLogger } from '../../lib/logger';
import { ClientPool } from '../../lib/temporal';
import { residentIdNumber } from '../helpers/idNumbers';
import { complaintBody, idem, repairBody, returnBody } from '../../scripts/harness/bodies';
import { requireEnv } from '../helpers/env';
import { call, eventually, runningDeadlinesOnCase, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let client: Client;
beforeAll(async () => {
  // Bound 0: a case is the reconciler's as soon as it is committed; passes run when the test asks (and at start-up).
  sys = await startTestSystem({ reconciler: { boundMs: 0, everyMs: 3_600_000 } });
  client = new Client({ connection: sys.connection });
  // A registered customer (a mobile the request's identity code goes to) for the personal-data request's openings.
  const reg = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: registrationBody(), headers: { 'Idempotency-Key': idem() } });
  pdrCustomer = (await sys.db.registration.findUniqueOrThrow({ where: { id: reg.body.caseId } })).userRef!;
});
let pdrCustomer = '';
afterAll(async () => {
  delete process.env.CASEWORK_FAULT_AFTER_OPENING_COMMIT;
  await sys?.stop();
});

const FAULT = 'CASEWORK_FAULT_AFTER_OPENING_COMMIT';
/** Runs `fn` with the fault hook armed: the opening fails right after its commit. */
async function withCrashAfterCommit<T>(fn: () => Promise<T>): Promise<T> {
  process.env[FAULT] = 'throw';
  try {
    return await fn();
  } finally {
    delete process.env[FAULT];
  }
}

/**
 * A pass of this system's reconciler. Every test system's reconciler shares the one advisory lock of the database, so
 * a pass may find it held by another system for a moment: then it did nothing, and it is asked again.
 */
const reconcile = () =>
  eventually(async () => {
    const r = await sys.reconciler.runOnce();
    return r.locked ? r : undefined;
  }, 'a reconciler pass that holds the lock');
const outcomeOf = (r: ReconcileResult, caseId: string) => r.cases.find((c) => c.caseId === caseId)?.outcome;

async function workflowOf(caseId: string) {
  try {
    return await client.workflow.getHandle(caseId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.runId);
  return runs;
}
const caseRow = (id: string) => sys.db.case.findUniqueOrThrow({ where: { id } });

let seq = 0;
/** A registration with only the necessary information (mobile, username, password). */
function registrationBody() {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  return {
    type: 'registration',
    mobile: `136${String(Date.now() % 1e4).padStart(4, '0')}${String(++seq % 1e4).padStart(4, '0')}`,
    username: `u_${tag}`,
    password: 'Correct-Horse-9!',
    agreementVersion: '2026-11',
    locale: 'en',
  };
}

/** A valid body of POST /v1/cases for each process of the catalogue; a process added without one fails the test below. */
const openingBodies: Record<string, () => Record<string, unknown>> = {
  return: () => returnBody(sys.keys.merchant.merchantId!),
  warranty_repair: () => repairBody(sys.keys.merchant.merchantId!),
  registration: registrationBody,
  complaint: () => complaintBody(sys.keys.merchant.merchantId!),
  personal_data_request: () => ({ type: 'personal_data_request', customerId: pdrCustomer, requestType: 'access' }),
  breach_response: () => ({ type: 'breach_response', source: 'staff_report', detectedAt: new Date().toISOString(), systems: ['crm'] }),
};
/** Who opens a case of the type: the storefront, or an agent for a process staff open (a breach response). */
const openerOf = (caseType: string) => ((processes as readonly AnyProcess[]).find((p) => p.caseType === caseType)!.open.roles.includes('storefront') ? sys.keys.storefront : sys.keys.agent);

/** Opens a case with the fault armed: the request fails after the commit; the case id is read from its idempotency record. */
async function openAndCrash(body: Record<string, unknown>, opener = sys.keys.storefront): Promise<{ caseId: string; key: string }> {
  const key = idem();
  const res = await withCrashAfterCommit(() => call(sys, 'POST', '/v1/cases', { key: opener.apiKey, body, headers: { 'Idempotency-Key': key }, injectedFault: true }));
  expect(res.status).toBe(500);
  const rec = await sys.db.idempotencyRecord.findFirstOrThrow({ where: { principalId: opener.id, key } });
  return { caseId: rec.caseId, key };
}

test('every process of the catalogue has an opening body here', () => {
  expect(Object.keys(openingBodies).sort()).toEqual((processes as readonly AnyProcess[]).map((p) => p.caseType).sort());
});

describe.each((processes as readonly AnyProcess[]).map((p) => [p.caseType, p] as const))('POST /v1/cases (%s): a crash between the commit and the start', (caseType) => {
  test('leaves the case without its workflow; the reconciler starts it from its stored input; it reaches its first step; nothing runs twice', async () => {
    const { caseId } = await openAndCrash(openingBodies[caseType](), openerOf(caseType));
    // Left behind: the case row, open, not started, and no workflow in Temporal.
    expect(await caseRow(caseId)).toMatchObject({ type: caseType, status: 'open', step: 'opened', workflowStartedAt: null, taskQueue: sys.taskQueue });
    expect(await workflowOf(caseId)).toBeUndefined();
    expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body).toMatchObject({ caseId, status: 'open', step: 'opened' });

    // A reconciler whose bound has not passed for it leaves it alone.
    const patient = createCaseReconciler({ db: sys.db, logger: createLogger('test', 'silent'), temporal: { clients: new ClientPool(sys.connection, 'default'), taskQueue: sys.taskQueue }, boundMs: 3_600_000, adoptUnqueued: false });
    const early = await eventually(async () => {
      const r = await patient.runOnce();
      return r.locked ? r : undefined;
    }, 'a pass of the patient reconciler');
    expect(outcomeOf(early, caseId)).toBeUndefined();
    expect(await workflowOf(caseId)).toBeUndefined();

    // The reconciler starts it: from the stored input, under the opening principal, with the case's search attributes.
    expect(outcomeOf(await reconcile(), caseId)).toBe('started');
    const described = await workflowOf(caseId);
    expect(described?.status.name).toBe('RUNNING');
    expect(described?.type).toBe(processes.find((p) => p.caseType === caseType)!.workflow.name);
    // Its first step: the workflow wrote the case (marked started), past 'opened'.
    const first = await eventually(async () => {
      const c = (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
      return c.step !== 'opened' ? c : undefined;
    }, `${caseType} at its first step`);
    expect(first.status).toBe('open');
    expect((await caseRow(caseId)).workflowStartedAt).not.toBeNull();
    expect(sys.logs.some((l) => l.caseId === caseId && l.outcome === 'started' && /started it from its stored input/.test(l.msg))).toBe(true);

    // A later pass finds nothing to do for it; still one run.
    expect(outcomeOf(await reconcile(), caseId)).toBeUndefined();
    expect(await runsOf(caseId)).toHaveLength(1);
    await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
  });
});

test('a workflow running that has not written yet is not started again; one that ran and closed is not restarted; both are marked started', async () => {
  const slow = await openAndCrash(returnBody(sys.keys.merchant.merchantId!));
  const ended = await openAndCrash(returnBody(sys.keys.merchant.merchantId!));
  // Their workflows, started on a queue no worker polls: one runs without ever writing (a slow start), one is ended.
  const idle = `nobody-polls-${crypto.randomUUID()}`;
  for (const { caseId } of [slow, ended]) {
    const input = ((await caseRow(caseId)).summary as any).workflowInput;
    await client.workflow.start('returnWithin7Days', { taskQueue: idle, workflowId: caseId, args: [input] });
  }
  await client.workflow.getHandle(ended.caseId).terminate('ended before it wrote');
  const runsBefore = { slow: await runsOf(slow.caseId), ended: await runsOf(ended.caseId) };

  const r = await reconcile();
  expect(outcomeOf(r, slow.caseId)).toBe('found_running');
  expect(outcomeOf(r, ended.caseId)).toBe('found_closed');
  expect(await runsOf(slow.caseId)).toEqual(runsBefore.slow);
  expect(await runsOf(ended.caseId)).toEqual(runsBefore.ended);
  expect((await workflowOf(ended.caseId))?.status.name).toBe('TERMINATED');
  for (const { caseId } of [slow, ended]) expect((await caseRow(caseId)).workflowStartedAt).not.toBeNull();
  expect(outcomeOf(await reconcile(), slow.caseId)).toBeUndefined();
  await client.workflow.getHandle(slow.caseId).terminate('test over');

  const counted = await sys.metrics.getSingleMetricAsString('casework_case_reconciler_total');
  expect(counted).toMatch(/casework_case_reconciler_total\{case_type="return",outcome="found_running"\} [1-9]/);
  expect(counted).toMatch(/casework_case_reconciler_total\{case_type="return",outcome="found_closed"\} [1-9]/);
  expect(counted).toMatch(/casework_case_reconciler_total\{case_type="return",outcome="started"\} [1-9]/);
});

test('one reconciler at a time: while another holds the advisory lock, a pass does nothing', async () => {
  const { caseId } = await openAndCrash(returnBody(sys.keys.merchant.merchantId!));
  const other = new pg.Client({ connectionString: requireEnv('DATABASE_URL') });
  await other.connect();
  try {
    await other.query('SELECT pg_advisory_lock($1)', [RECONCILER_LOCK_KEY]);
    expect(await sys.reconciler.runOnce()).toEqual({ locked: false, cases: [] });
    expect(await workflowOf(caseId)).toBeUndefined();
    await other.query('SELECT pg_advisory_unlock($1)', [RECONCILER_LOCK_KEY]);
  } finally {
    await other.end();
  }
  expect(outcomeOf(await reconcile(), caseId)).toBe('started');
  await eventually(async () => (await caseRow(caseId)).step !== 'opened', 'the case at its first step');
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

describe('POST /v1/registrations/{id}/real-name: a crash between the commit and the start', () => {
  const SF = () => sys.keys.storefront.apiKey;
  const post = (path: string, body: unknown) => call(sys, 'POST', path, { key: SF(), body });

  /** An approved account (mobile only), then the real-name route opening its verification case with the fault armed. */
  async function accountWithCrashedVerification() {
    const key = idem();
    const opened = await call(sys, 'POST', '/v1/cases', { key: SF(), body: registrationBody(), headers: { 'Idempotency-Key': key } });
    expect(opened.status).toBe(201);
    const id = opened.body.caseId as string;
    const sms = await eventually(async () => (await sys.db.smsOutbox.findMany({ where: { registrationId: id } }))[0], 'sms captured');
    expect((await post(`/v1/registrations/${id}/mobile/verify`, { code: /(\d{6})/.exec(sms.body)![1] })).status).toBe(200);
    await eventually(async () => (await caseRow(id)).status === 'closed', 'registration approved');
    const crashed = await withCrashAfterCommit(() => call(sys, 'POST', `/v1/registrations/${id}/real-name`, { key: SF(), body: { feature: 'merchant_account' }, injectedFault: true }));
    expect(crashed.status).toBe(500);
    const caseId = (await sys.db.registration.findUniqueOrThrow({ where: { id } })).realNameCaseId!;
    expect(await caseRow(caseId)).toMatchObject({ status: 'open', step: 'opened', workflowStartedAt: null, taskQueue: sys.taskQueue });
    expect(await workflowOf(caseId)).toBeUndefined();
    return { id, caseId };
  }

  async function consentTo(id: string, purpose: 'id_number' | 'face_image') {
    const notice = await call(sys, 'GET', `/v1/registrations/${id}/consents/notice?purpose=${purpose}&locale=en`, { key: SF() });
    const r = await post(`/v1/registrations/${id}/consents`, { purpose, privacyPolicyVersion: notice.body.privacyPolicy.version, privacyPolicyTextSha256: notice.body.privacyPolicy.textSha256, noticeSha256: notice.body.noticeSha256 });
    expect(r.status).toBe(201);
  }

  test('the verification is left without workflow (identity: 409 CASE_NOT_RUNNING); the reconciler starts it; the identity then proceeds', async () => {
    const { id, caseId } = await accountWithCrashedVerification();
    await consentTo(id, 'id_number');
    await consentTo(id, 'face_image');
    const identity = { idNumber: residentIdNumber(), faceImageRef: 'sim-pass-reconciled' };
    const refused = await post(`/v1/registrations/${id}/identity`, identity);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CASE_NOT_RUNNING');

    expect(outcomeOf(await reconcile(), caseId)).toBe('started');
    await eventually(async () => ((await caseRow(caseId)).step === 'identity_verification' ? true : undefined), 'the verification at its first step');
    expect((await post(`/v1/registrations/${id}/identity`, identity)).status).toBe(200);
    await eventually(async () => ((await caseRow(caseId)).outcome === 'approved' ? true : undefined), 'the real name verified');
    expect((await sys.db.userAccount.findUniqueOrThrow({ where: { registrationId: id } })).realNameVerifiedAt).not.toBeNull();
    expect(await runsOf(caseId)).toHaveLength(1);
  });

  test('the same call replayed after the crash starts the verification instead of answering "opened" without a workflow', async () => {
    const { id, caseId } = await accountWithCrashedVerification();
    const replay = await post(`/v1/registrations/${id}/real-name`, { feature: 'merchant_account' });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ caseId, required: true, verified: false });
    expect((await workflowOf(caseId))?.status.name).toBe('RUNNING');
    await eventually(async () => ((await caseRow(caseId)).step === 'identity_verification' ? true : undefined), 'the verification at its first step');
    const again = await post(`/v1/registrations/${id}/real-name`, { feature: 'merchant_account' });
    expect(again.body).toMatchObject({ caseId, step: 'identity_verification' });
    expect(await runsOf(caseId)).toHaveLength(1);
    // Nothing left for the reconciler.
    expect(outcomeOf(await reconcile(), caseId)).toBeUndefined();
    await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: SF(), body: { reasonCode: 'customer_request' } });
  });
});

// A thread message is stored before its case's workflow is told (processes/threadMessages.ts): a signal that did not
// go through (Temporal unreachable, the API stopped in between) is sent by the reconciler's next pass, once.
test('a thread message whose signal never went through is signalled by the next pass, once', async () => {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId!), headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const caseId = opened.body.caseId as string;
  await eventually(async () => (await workflowOf(caseId))?.status.name === 'RUNNING', 'the case runs');
  const messageId = `msg_${crypto.randomUUID().replace(/-/g, '')}`;
  await sys.db.$executeRaw`INSERT INTO thread_messages (id, case_id, party, author_id, author_role, body, attachment_ids, created_at)
    VALUES (${messageId}, ${caseId}, 'customer', ${sys.keys.storefront.id}, 'storefront', 'a message whose signal was lost', ARRAY[]::text[], timezone('UTC', now()) - interval '1 minute')`;
  const signals = async () =>
    ((await client.workflow.getHandle(caseId).fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'threadMessagePosted').length;
  expect(await signals()).toBe(0);
  await reconcile();
  expect((await sys.db.threadMessage.findUniqueOrThrow({ where: { id: messageId } })).signalledAt).not.toBeNull();
  // A signal that comes while a workflow task runs is written to the history when that task completes.
  await eventually(async () => (await signals()) === 1, 'the signal in the history');
  await reconcile();
  expect(await signals()).toBe(1);
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

// A deadline shows on the case resource from the moment its clock starts (CaseKit patch case-deadlines-on-change):
// for every process of the catalogue, once a new case waits at its first step, every deadline it runs (its live query)
// is on GET /v1/cases/{id} and on the case list; a registration's 72-hour `verification` on GET /v1/registrations/{id}.
describe.each((processes as readonly AnyProcess[]).map((p) => [p.caseType] as const))('%s: the running deadlines on the case resource', (caseType) => {
  test('every clock running at the first step is on the case, its list row and its own resource', async () => {
    const opened = await call(sys, 'POST', '/v1/cases', { key: openerOf(caseType).apiKey, body: openingBodies[caseType](), headers: { 'Idempotency-Key': idem() } });
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId as string;
    const get = async () => (await call(sys, 'GET', `/v1/cases/${caseId}?live=true`, { key: sys.keys.auditor.apiKey })).body;
    // The case waits at its first step with its clocks running; the row catches up without anything else happening.
    await eventually(async () => {
      const b = await get();
      return b.step !== 'opened' && Object.keys(b.live?.deadlines ?? {}).length > 0;
    }, `${caseType}: waiting at its first step`);
    await runningDeadlinesOnCase(sys, caseId, caseType);
    const c = await get();
    expect(Object.keys(c.deadlines).length).toBeGreaterThan(0);
    const listed = (await call(sys, 'GET', `/v1/cases?type=${caseType}&customerId=${encodeURIComponent(c.customerId)}`, { key: sys.keys.auditor.apiKey })).body;
    const row = (listed.items ?? listed.cases ?? listed.data ?? []).find((x: any) => x.caseId === caseId);
    if (row?.deadlines) expect(row.deadlines).toEqual(c.deadlines);
    if (caseType === 'registration') {
      expect(c.deadlines.verification).toEqual(expect.any(String));
      const reg = (await call(sys, 'GET', `/v1/registrations/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
      expect(JSON.stringify(reg)).toContain(c.deadlines.verification);
    }
    await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
  });
});

test('on a database of one connection (the embedded one of `bash scripts/dev`), a pass frees its lock connection before the purges that take their own', async () => {
  const { createDb } = await import('../../lib/db');
  const single = createDb(requireEnv('DATABASE_URL'), { maxConnections: 1 });
  try {
    const id = `mi_${crypto.randomUUID().replace(/-/g, '')}`;
    await sys.db.mailIntake.create({ data: { id, caseType: 'complaint', fromAddress: `gone-${id}@customer.test`, description: 'expired', attachments: [], expiresAt: new Date(Date.now() - 60_000) } });
    const r = createCaseReconciler({ db: single, logger: createLogger('test', 'silent'), temporal: { clients: new ClientPool(sys.connection, 'default'), taskQueue: sys.taskQueue }, boundMs: 3_600_000, adoptUnqueued: false });
    await eventually(async () => ((await r.runOnce()).locked ? true : undefined), 'a pass that holds the lock');
    // The purge ran on the one connection once the lock's was back (before, it waited for a second one and failed).
    expect(await sys.db.mailIntake.findUnique({ where: { id } })).toBeNull();
  } finally {
    await single.$disconnect();
  }
});
