// Scenarios recorded as personal-data request history fixtures (scripts/record-histories.ts), and the fakes the
// request's workflow tests share: the generic fake activities plus recording fakes of the request's own.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CheckRequestCodeInput, DeliverExportInput, ErasureSummary, RequestCodeCheck, RequestStepInput, SendRequestCodeInput } from '../../activities/personalDataRequest';
import type { RequestType } from '../../policy/personalDataRequest';
import { completeTaskUpdate, type Actor } from '../../workflows/definitions';
import { appealRefusalUpdate, personalDataRequest, verifyIdentityUpdate, type PersonalDataRequestInput } from '../../workflows/personalDataRequest';
import { createFakeActivities } from '../harness/fakeActivities';
import { caseWorker, executeUpdate, openTaskOf, testPolicy, waitForState } from '../harness/timeSkipping';
import type { Scenario, ScenarioSet } from './types';

/** The code's HMAC the fake accepts; any other is wrong. */
export const RIGHT_CODE_MAC = 'a'.repeat(64);
export const WRONG_CODE_MAC = 'b'.repeat(64);

/** Code sends held until the test lets them finish, by case id (a customer reference containing "heldsend"). */
export const heldCodeSends = new Map<string, () => void>();

export function createPdrFakeActivities() {
  const fake = createFakeActivities();
  const calls: { name: string; input: any }[] = [];
  const attempts = new Map<string, number>();
  const rec = <I, R>(name: string, answer: (i: I) => R | Promise<R>) => async (i: I): Promise<R> => {
    calls.push({ name, input: i });
    return answer(i);
  };
  const erasure: ErasureSummary = {
    erased: [{ table: 'attachments', rows: 2 }, { table: 'thread_messages', rows: 3 }, { table: 'user_accounts', rows: 1 }],
    stripped: [{ table: 'complaints', rows: 1 }],
    retained: [{ table: 'cases', rows: 2, retention: 'transactionRecord', until: '2029-12-06' }, { table: 'payments', rows: 1, retention: 'transactionRecord', until: '2029-12-06' }],
    blobsRemoved: 2,
    mailFilesRemoved: 0,
    retainedList: 'cases:transactionRecord:2029-12-06,payments:transactionRecord:2029-12-06',
  };
  const pdrActivities = {
    // A customer reference containing "nocontact" has neither a registered mobile nor an e-mail; one containing
    // "heldsend" keeps the send running (the code already on the phone) until the test releases it.
    sendRequestCode: rec('sendRequestCode', async (i: SendRequestCodeInput) => {
      if (/heldsend/.test(i.caseId)) await new Promise<void>((release) => heldCodeSends.set(i.caseId, release));
      return { channel: /nocontact/.test(i.caseId) ? ('none' as const) : ('sms' as const), expiresAt: new Date(Date.parse(i.at) + i.ttlMs).toISOString() };
    }),
    checkRequestCode: rec('checkRequestCode', (i: CheckRequestCodeInput): RequestCodeCheck => {
      if (i.codeMac === RIGHT_CODE_MAC) return { result: 'verified' };
      const n = (attempts.get(i.caseId) ?? 0) + 1;
      attempts.set(i.caseId, n);
      return n >= 5 ? { result: 'exhausted' } : { result: 'invalid', attemptsLeft: 5 - n };
    }),
    stopProcessing: rec('stopProcessing', (_i: RequestStepInput) => ({ openCases: [{ caseId: 'RET-open-refund', type: 'return', step: 'refund' }] })),
    resumeProcessing: rec('resumeProcessing', (_i: RequestStepInput) => ({ resumed: true })),
    deliverExport: rec('deliverExport', (i: DeliverExportInput) => ({ exportId: `dx_${'1'.repeat(32)}`, expiresAt: new Date(Date.parse(i.at) + i.linkDays * 86_400_000).toISOString() })),
    applyCorrections: rec('applyCorrections', (i: RequestStepInput & { refused: string[] }) => ({ fields: ['contact_email', 'contact_name'].filter((f) => !i.refused.includes(f)).map((field) => ({ field, rows: 1 })) })),
    eraseRequestSubject: rec('eraseRequestSubject', (_i: RequestStepInput) => erasure),
    finishErasure: rec('finishErasure', (_i: RequestStepInput) => ({ parties: 1, refs: 1, mailFilesRemoved: 0, keyDestroyed: true })),
    recordRequestAnswer: rec('recordRequestAnswer', (_i: RequestStepInput & { outcome: string; reasons: string[] }) => undefined),
  };
  return {
    fake,
    activities: { ...fake.activities, ...pdrActivities },
    of: (name: string, caseId?: string) => calls.filter((c) => c.name === name && (!caseId || c.input.caseId === caseId)).map((c) => c.input),
  };
}

export async function pdrWorker(env: TestWorkflowEnvironment, taskQueue: string) {
  const fakes = createPdrFakeActivities();
  return { worker: await caseWorker(env, taskQueue, fakes.activities), ...fakes };
}

/** A request by the storefront; the calendar as written by hand (no holiday data read). */
export function pdrInput(caseId: string, requestType: RequestType = 'access', over: Partial<PersonalDataRequestInput> = {}): PersonalDataRequestInput {
  const policy = testPolicy();
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = policy.calendar;
  return {
    caseId,
    openedBy: 'prn_fixture_storefront',
    policy: { version: policy.version, calendar: handWritten, personalDataRequest: policy.personalDataRequest },
    customerId: `cust-${caseId}`,
    requestType,
    fields: requestType === 'correction' ? ['contact_email', 'contact_name'] : [],
    ...over,
  };
}

export const pdrActors = {
  agent: { id: 'prn_fixture_agent', role: 'agent' } as Actor,
  storefront: { id: 'prn_fixture_storefront', role: 'storefront' } as Actor,
  supervisor: { id: 'prn_fixture_supervisor', role: 'supervisor' } as Actor,
  supervisor2: { id: 'prn_fixture_supervisor_2', role: 'supervisor' } as Actor,
};

/** The steps scenarios and tests share on one case. */
export function pdrSteps(env: TestWorkflowEnvironment, caseId: string) {
  const h = () => env.client.workflow.getHandle(caseId);
  const at = (step: string) => waitForState(h(), (s) => s.step === step, step);
  const complete = async (type: string, payload: unknown, actor: Actor = pdrActors.agent) => {
    const v = await waitForState(h(), (s) => !!openTaskOf(s, type), type);
    return executeUpdate(h(), completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
  };
  const verify = async (codeMac = RIGHT_CODE_MAC) => {
    await waitForState(h(), (s) => !!s.deadlines.identityVerification, 'verification');
    return executeUpdate(h(), verifyIdentityUpdate, { args: [{ actor: pdrActors.storefront, codeMac }] });
  };
  const appeal = async () => {
    await waitForState(h(), (s) => !!s.deadlines.appealWindow, 'appeal window');
    return executeUpdate(h(), appealRefusalUpdate, { args: [{ actor: pdrActors.storefront }] });
  };
  const sleepPast = async (due: string) => env.sleep(Math.max(0, Date.parse(due) - (await env.currentTimeMs())) + 1_000);
  const sleepFor = (ms: number) => env.sleep(ms);
  return { h, at, complete, verify, appeal, sleepPast, sleepFor };
}

function pdrScenario(requestType: RequestType, drive: (s: ReturnType<typeof pdrSteps>) => Promise<void>): Scenario {
  return async ({ env, taskQueue, workflowId: caseId }) => {
    const queue = `${taskQueue}-pdr`;
    const { worker } = await pdrWorker(env, queue);
    await worker.runUntil(async () => {
      const started = await env.client.workflow.start(personalDataRequest, { taskQueue: queue, workflowId: caseId, args: [pdrInput(caseId, requestType)] });
      await drive(pdrSteps(env, caseId));
      await started.result();
    });
  };
}

export const personalDataRequestScenarios: ScenarioSet = {
  /** Access: verified by code, the agent fulfils, the export's link goes out, answered. */
  'personalDataRequest.accessFulfilled': pdrScenario('access', async (s) => {
    await s.verify();
    await s.complete('pdr.handling', { decision: 'fulfil' });
  }),
  /** Deletion: verified, processing stopped, erased, the answer's delivery waited for, the contact erased last. */
  'personalDataRequest.deletionErased': pdrScenario('deletion', async (s) => {
    await s.verify();
    await s.complete('pdr.handling', { decision: 'fulfil' });
    await waitForState(s.h(), (x) => x.timeline.some((e) => e.type === 'pdr.erased'), 'erased');
    await s.sleepFor(3 * 86_400_000);
  }),
  /** Correction refused, appealed, a second supervisor overturns: carried out on appeal. */
  'personalDataRequest.correctionRefusedOverturnedOnAppeal': pdrScenario('correction', async (s) => {
    await s.verify();
    await s.complete('pdr.handling', { decision: 'refuse', reasons: ['correction_not_accurate'] }, pdrActors.supervisor);
    await s.appeal();
    await s.complete('pdr.appeal_review', { decision: 'overturn' }, pdrActors.supervisor2);
  }),
  /** Deletion refused (a pending legal claim): the appeal window lapses, processing resumes, closed refused. */
  'personalDataRequest.deletionRefusedAppealLapsed': pdrScenario('deletion', async (s) => {
    await s.verify();
    await s.complete('pdr.handling', { decision: 'refuse', reasons: ['legal_claim_pending'] });
    const v = await waitForState(s.h(), (x) => !!x.deadlines.appealWindow, 'appeal window');
    await s.sleepPast(v.deadlines.appealWindow!);
  }),
  /** Correction partly refused, late (the handling escalated to a supervisor), the appeal upheld by another supervisor. */
  'personalDataRequest.correctionPartlyRefusedLateAppealUpheld': pdrScenario('correction', async (s) => {
    await s.verify();
    const v = await waitForState(s.h(), (x) => !!openTaskOf(x, 'pdr.handling'), 'handling');
    await s.sleepPast(openTaskOf(v, 'pdr.handling')!.dueAt);
    await waitForState(s.h(), (x) => !!x.tasks.find((t) => t.type === 'pdr.handling' && t.escalated), 'escalated');
    await s.complete('pdr.handling', { decision: 'partial', reasons: ['correction_not_accurate'], refusedFields: ['contact_name'] }, pdrActors.supervisor);
    await s.appeal();
    await s.complete('pdr.appeal_review', { decision: 'uphold' }, pdrActors.supervisor2);
  }),
  /** No code within the window: the request closes not verified. */
  'personalDataRequest.verificationLapsed': pdrScenario('copy', async (s) => {
    const v = await waitForState(s.h(), (x) => !!x.deadlines.identityVerification, 'verification');
    await s.sleepPast(v.deadlines.identityVerification!);
  }),
};
