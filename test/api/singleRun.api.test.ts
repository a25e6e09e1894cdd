// A case's workflow runs exactly once. A storefront retrying its opening request after the case has
// closed gets the same case from the read model, and no second run starts behind it (a second run
// would act on a closed case: pay a refund on a cancelled return, erase a live account's data).
import crypto from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';
import { openedRegistration } from '../helpers/sealed';
import { residentIdNumber } from '../helpers/idNumbers';
import { mailText } from '../../lib/mailCatcher';

let sys: TestSystem;
let client: Client;
beforeAll(async () => {
  sys = await startTestSystem();
  client = new Client({ connection: sys.connection });
});
afterAll(async () => {
  await sys?.stop();
});

const closedCase = (caseId: string, outcome: string) =>
  eventually(async () => {
    const c = (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
    return c.status === 'closed' && c.outcome === outcome ? c : undefined;
  }, `case ${outcome}`);

/** Every run Temporal has for this workflow id (visibility), after the latest run is known closed. */
async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.runId);
  return runs;
}

/** What the case has written, once the outbox has delivered its e-mails (each adds a notification.sent event). */
async function sideEffects(caseId: string) {
  await mailsDelivered(sys, caseId);
  const [tasks, payments, events] = await Promise.all([
    sys.db.task.count({ where: { caseId } }),
    sys.db.payment.count({ where: { caseId } }),
    sys.db.auditEvent.count({ where: { caseId } }),
  ]);
  return { tasks, payments, events };
}

test('a cancelled return: replaying the opening POST returns the closed case and starts no second run', async () => {
  const body = returnBody(sys.keys.merchant.merchantId, { requestType: 'refund_only', reasonCode: 'not_received' });
  const key = idem();
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect(opened.status).toBe(201);
  const caseId: string = opened.body.caseId;
  await eventually(async () => (await sys.db.task.count({ where: { caseId, status: 'open' } })) === 1, 'merchant review task');
  const cancelled = await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
  expect(cancelled.status).toBe(200);
  await closedCase(caseId, 'cancelled');
  const handle = client.workflow.getHandle(caseId);
  await handle.result();
  const firstRun = (await handle.describe()).runId;
  const before = await sideEffects(caseId);

  const replay = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect(replay.status).toBe(200);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body).toMatchObject({ caseId, status: 'closed', outcome: 'cancelled' });

  // Exactly one run: the latest run is still the first one, and visibility lists only it.
  const described = await handle.describe();
  expect(described.runId).toBe(firstRun);
  expect(described.status.name).toBe('COMPLETED');
  await new Promise((r) => setTimeout(r, 1_000)); // give a (wrongly) started run time to show and act
  expect(await runsOf(caseId)).toEqual([firstRun]);
  expect((await handle.describe()).runId).toBe(firstRun);
  // No task, no payment and no audit event were added.
  expect(await sideEffects(caseId)).toEqual(before);
  expect(before.payments).toBe(0);
  expect((await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('cancelled');

  // Even a direct start of the same workflow id is refused once the case has closed.
  const row = await sys.db.case.findUniqueOrThrow({ where: { id: caseId } });
  await expect(
    client.workflow.start('returnWithin7Days', {
      taskQueue: sys.taskQueue,
      workflowId: caseId,
      args: [(row.summary as any).workflowInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    }),
  ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
});

test('a case whose first start never went through is started by the replay, once', async () => {
  const body = returnBody(sys.keys.merchant.merchantId);
  const key = idem();
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  const caseId: string = opened.body.caseId;
  await eventually(async () => (await sys.db.task.count({ where: { caseId } })) === 1, 'merchant review task');
  const firstRun = (await client.workflow.getHandle(caseId).describe()).runId;
  // The row says started: a replay must not touch Temporal at all.
  expect((await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).workflowStartedAt).not.toBeNull();
  const again = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': key } });
  expect(again.status).toBe(200);
  expect((await client.workflow.getHandle(caseId).describe()).runId).toBe(firstRun);

  // Simulate a start that failed after the case row was written: the replay finishes it.
  const body2 = returnBody(sys.keys.merchant.merchantId);
  const key2 = idem();
  const caseId2 = `RET-${crypto.randomUUID()}`;
  const opened2 = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: body2, headers: { 'Idempotency-Key': key2 } });
  const realId = opened2.body.caseId as string;
  expect((await call(sys, 'POST', `/v1/cases/${realId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'duplicate' } })).status).toBe(200);
  // A stored request whose case row never saw its workflow start (the row is copied under a fresh id).
  const source = await sys.db.case.findUniqueOrThrow({ where: { id: realId } });
  const input = { ...(source.summary as any).workflowInput, caseId: caseId2 };
  const key3 = idem();
  await sys.db.$transaction(async (tx) => {
    await tx.case.create({
      data: {
        id: caseId2, type: 'return', status: 'open', step: 'opened', customerId: source.customerId, merchantId: source.merchantId,
        policyVersion: source.policyVersion, workflowId: caseId2, openedBy: sys.keys.storefront.id, summary: { ...(source.summary as any), workflowInput: input },
      },
    });
    const stored = await tx.idempotencyRecord.findFirstOrThrow({ where: { key: key2 } });
    await tx.idempotencyRecord.create({ data: { principalId: sys.keys.storefront.id, key: key3, requestHash: stored.requestHash, caseId: caseId2 } });
  });
  const finished = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: body2, headers: { 'Idempotency-Key': key3 } });
  expect(finished.status).toBe(200);
  expect(finished.body.caseId).toBe(caseId2);
  await eventually(async () => (await sys.db.case.findUniqueOrThrow({ where: { id: caseId2 } })).workflowStartedAt, 'the case marked started');
  await eventually(async () => (await sys.db.task.count({ where: { caseId: caseId2 } })) === 1, 'the started case reaches merchant review');
  const run2 = (await client.workflow.getHandle(caseId2).describe()).runId;
  await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: body2, headers: { 'Idempotency-Key': key3 } });
  expect((await client.workflow.getHandle(caseId2).describe()).runId).toBe(run2);
  for (const id of [caseId, caseId2]) await call(sys, 'POST', `/v1/cases/${id}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

test('an approved registration: replaying the opening POST starts no second run and erases nothing', async () => {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  const body = {
    type: 'registration',
    name: '李四', mobile: `137${String(Date.now() % 1e8).padStart(8, '0')}`, email: `u${tag}@applicant.test`, username: `u_${tag}`,
    password: 'Correct-Horse-9!', agreementVersion: '2026-11', locale: 'en',
    realNameFor: 'merchant_account', // real-name verification is asked only by a feature that needs it
  };
  const key = `reg-${crypto.randomUUID()}`;
  const SF = sys.keys.storefront.apiKey;
  const opened = await call(sys, 'POST', '/v1/cases', { key: SF, body, headers: { 'Idempotency-Key': key } });
  expect(opened.status).toBe(201);
  const id: string = opened.body.caseId;
  const sms = await eventually(async () => sys.db.smsOutbox.findFirst({ where: { registrationId: id } }), 'sms code');
  const code = /\d{6}/.exec(sms.body)![0];
  expect((await call(sys, 'POST', `/v1/registrations/${id}/mobile/verify`, { key: SF, body: { code } })).status).toBe(200);
  const mail = await eventually(async () => sys.mail.messages.find((m) => m.to.includes(body.email) && /verify your e-mail/.test(m.subject)), 'verification e-mail');
  const raw = mailText(mail.raw);
  const token = new URL(/https?:\/\/\S+/.exec(raw)![0]).searchParams.get('token')!;
  await eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id } })).step === 'email_verification' ? true : undefined), 'email step');
  expect((await call(sys, 'POST', `/v1/registrations/${id}/email/confirm`, { key: SF, body: { token } })).status).toBe(200);
  await eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id } })).step === 'identity_verification' ? true : undefined), 'identity step');
  // PIPL art. 29: a separate consent for the ID number and one for the face image, after their notices.
  for (const purpose of ['id_number', 'face_image']) {
    const notice = (await call(sys, 'GET', `/v1/registrations/${id}/consents/notice?purpose=${purpose}`, { key: SF })).body;
    const consent = { purpose, privacyPolicyVersion: notice.privacyPolicy.version, privacyPolicyTextSha256: notice.privacyPolicy.textSha256, noticeSha256: notice.noticeSha256 };
    expect((await call(sys, 'POST', `/v1/registrations/${id}/consents`, { key: SF, body: consent })).status).toBe(201);
  }
  expect((await call(sys, 'POST', `/v1/registrations/${id}/identity`, { key: SF, body: { idNumber: residentIdNumber(), faceImageRef: 'sim-pass-1' } })).status).toBe(200);
  await closedCase(id, 'approved');
  const handle = client.workflow.getHandle(id);
  await handle.result();
  const firstRun = (await handle.describe()).runId;
  const before = await sideEffects(id);

  const replay = await call(sys, 'POST', '/v1/cases', { key: SF, body, headers: { 'Idempotency-Key': key } });
  expect(replay.status).toBe(200);
  expect(replay.body).toMatchObject({ caseId: id, status: 'closed', outcome: 'approved' });
  expect(replay.body.registration).toMatchObject({ registrationId: id, status: 'approved' });
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await runsOf(id)).toEqual([firstRun]);
  expect((await handle.describe()).runId).toBe(firstRun);
  expect(await sideEffects(id)).toEqual(before);
  // The live account's personal data is all still there.
  const reg = await openedRegistration(sys, id);
  expect(reg).toMatchObject({ status: 'approved', username: body.username, mobile: body.mobile, email: body.email, personalDataErasedAt: null });
  expect(await sys.db.registrationIdentity.count({ where: { registrationId: id } })).toBe(1);
  expect(await sys.db.party.count({ where: { kind: 'customer', id: reg.userRef } })).toBe(1);
});
