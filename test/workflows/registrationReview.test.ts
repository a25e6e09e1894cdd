// Registration review (policy 1.1-1.3, 2.1/2.4, 3.2) on the time-skipping server: every branch and deadline.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addWorkingHours, dayPeriodEndsAt } from '../../policy/businessCalendar';
import { deadlineFrom } from '../../policy/durations';
import type { PolicyConfig } from '../../processes/policyDocument';
import { cancelCaseUpdate, completeTaskUpdate, type Actor } from '../../workflows/definitions';
import {
  bindPaymentMethodUpdate,
  confirmEmailUpdate,
  guardianAnswerUpdate,
  guardianConsentMissingUpdate,
  identitySubmittedUpdate,
  requestGuardianCodeUpdate,
  submitGuardianCodeUpdate,
  mobileVerifiedUpdate,
  registrationReview,
  resendMobileCodeUpdate,
  submitIdentityUpdate,
  submitMobileCodeUpdate,
  type IdentityFacts,
  type RegistrationCaseInput,
} from '../../workflows/registrationReview';
import type { CaseView } from '../../workflows/definitions';
import { registrationWorker, sendUpdate as executeUpdate } from '../../scripts/harness/registrationFakes';
import { openTaskOf, testPolicy, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';

const HOUR = 3_600_000;
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };
const agent: Actor = { id: 'principal-agent-1', role: 'agent' };
const supervisor: Actor = { id: 'principal-supervisor', role: 'supervisor' };

let env: TestWorkflowEnvironment;
let fake: Awaited<ReturnType<typeof registrationWorker>>['fake'];
let reg: Awaited<ReturnType<typeof registrationWorker>>['reg'];
const taskQueue = 'registration-test';
let n = 0;

useTimeSkippingWorker((e) => registrationWorker(e, taskQueue), (e, made) => {
  env = e;
  fake = made.fake;
  reg = made.reg;
});

function input(patch: (p: PolicyConfig) => void = () => {}): RegistrationCaseInput {
  const caseId = `REG-TS-${++n}-${Date.now()}`;
  return { caseId, userRef: `usr_ts_${n}`, policy: testPolicy(patch), openedBy: storefront.id, agreementVersion: '2026-11', requestedAt: new Date().toISOString() };
}

async function start(i: RegistrationCaseInput) {
  return env.client.workflow.start(registrationReview, { taskQueue, workflowId: i.caseId, args: [i] });
}
type Handle = Awaited<ReturnType<typeof start>>;

function expectFiredAt(actualIso: string, dueIso: string) {
  const late = new Date(actualIso).getTime() - new Date(dueIso).getTime();
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(1000);
}

const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const events = (caseId: string) => forCase(caseId, fake.of('recordCaseEvent'));
const eventTypes = (caseId: string) => events(caseId).map((e) => e.type);
const templatesOf = (caseId: string) => forCase(caseId, fake.of('notify')).map((e) => e.template);

/** The latest code the case sent (its seq), from the timeline. */
const latestSeq = (v: CaseView) => Math.max(0, ...v.timeline.filter((e) => e.type === 'registration.mobile_code_sent').map((e) => Number(e.data?.seq)));
const MAC = 'c0de'.repeat(16); // the fake code check answers from its programmed list, not from the MAC

async function verifyMobile(h: Handle) {
  const v = await waitForState(h, (s) => s.step === 'mobile_verification' && latestSeq(s) > 0, 'mobile step');
  await executeUpdate(h, submitMobileCodeUpdate, { args: [{ actor: storefront, seq: latestSeq(v), codeMac: MAC }] });
}
async function verifyEmail(h: Handle) {
  await waitForState(h, (s) => s.step === 'email_verification' && s.timeline.some((e) => e.type === 'registration.email_link_sent'), 'email step');
  await executeUpdate(h, confirmEmailUpdate, { args: [{ actor: storefront, seq: 1 }] });
}
async function submitIdentity(h: Handle, facts: IdentityFacts) {
  await waitForState(h, (s) => s.step === 'identity_verification', 'identity step');
  reg.identityOf(h.workflowId, facts);
  await executeUpdate(h, submitIdentityUpdate, { args: [{ actor: storefront }] });
}
async function verifyAll(h: Handle, facts: IdentityFacts) {
  await verifyMobile(h);
  await verifyEmail(h);
  await submitIdentity(h, facts);
}

test('approved without manual review: code, link, identity pass; deadlines and parameters from the policy', async () => {
  const i = input();
  const h = await start(i);
  const opened = await waitForState(h, (s) => s.step === 'mobile_verification' && !!s.deadlines.verification);
  const sla = opened.slas.find((x) => x.name === 'verification')!;
  expect(sla.dueAt).toBe(deadlineFrom(new Date(sla.startedAt), i.policy.registration.verification.within, i.policy.calendar).toISOString());
  expect(opened.deadlines.verification).toBe(sla.dueAt);
  await verifyAll(h, { faceResult: 'pass', riskFlag: 'none' });
  expect(await h.result()).toEqual({ outcome: 'approved' });

  expect(reg.of('sendMobileCode', i.caseId)).toEqual([expect.objectContaining({ registrationId: i.caseId, seq: 1, ttlMs: 10 * 60_000, maxAttempts: 5 })]);
  expect(reg.of('sendEmailVerification', i.caseId)).toEqual([expect.objectContaining({ registrationId: i.caseId, userRef: i.userRef, seq: 1, ttlMs: 24 * HOUR })]);
  expect(reg.of('activateAccount', i.caseId)).toHaveLength(1);
  expect(reg.of('erasePersonalData', i.caseId)).toHaveLength(0);
  expect(forCase(i.caseId, fake.tasks())).toHaveLength(0);
  expect(templatesOf(i.caseId)).toEqual(['registration.approved']);
  // Handlers record concurrently with the main flow: the order of the applicant's events may interleave.
  const types = eventTypes(i.caseId);
  expect([...types].sort()).toEqual([
    'case.closed',
    'case.opened',
    'registration.approved',
    'registration.email_link_sent',
    'registration.email_verified',
    'registration.identity_submitted',
    'registration.mobile_code_sent',
    'registration.mobile_verified',
    'step.entered',
    'step.entered',
  ]);
  expect(types[0]).toBe('case.opened');
  expect(types.slice(-2)).toEqual(['registration.approved', 'case.closed']);
});

test('uncertain face match: an agent reviews within 4 working hours and approves', async () => {
  const i = input();
  const h = await start(i);
  await verifyAll(h, { faceResult: 'uncertain', riskFlag: 'none' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
  expect(v.step).toBe('manual_review');
  expect(v.deadlines.verification).toBeUndefined(); // no longer running: only running deadlines are listed
  const task = openTaskOf(v, 'registration.identity_review')!;
  expect(v.deadlines.manualReview).toBe(task.dueAt); // the open task's deadline is on the case
  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: task.taskId, actor: agent, payload: { decision: 'approve' } }] });
  expect(await h.result()).toEqual({ outcome: 'approved' });

  const [opened] = forCase(i.caseId, fake.tasks());
  expect(opened).toMatchObject({ type: 'registration.identity_review', role: 'agent', slaName: 'manualReview', caseType: 'registration' });
  expect(opened.dueAt).toBe(addWorkingHours(i.policy.calendar, new Date(opened.at), 4).toISOString());
  expect(events(i.caseId).find((e) => e.type === 'registration.review_decided')).toMatchObject({ actor: agent.id, payload: { decision: 'approve' } });
  expect(reg.of('activateAccount', i.caseId)).toHaveLength(1);
});

test('risk flag (ID number in use): manual review rejects with a reason code; the applicant is told', async () => {
  const i = input();
  const h = await start(i);
  await verifyAll(h, { faceResult: 'pass', riskFlag: 'id_number_in_use' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
  // An invalid decision is refused by the validator.
  const task = openTaskOf(v, 'registration.identity_review')!;
  await expect(executeUpdate(h, completeTaskUpdate, { args: [{ taskId: task.taskId, actor: agent, payload: { decision: 'reject' } }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: task.taskId, actor: agent, payload: { decision: 'reject', reasonCode: 'duplicate_identity' } }] });
  expect(await h.result()).toEqual({ outcome: 'rejected', reasonCode: 'duplicate_identity' });
  expect(reg.of('recordRegistrationOutcome', i.caseId)).toEqual([expect.objectContaining({ outcome: 'rejected', reasonCode: 'duplicate_identity' })]);
  expect(reg.of('activateAccount', i.caseId)).toHaveLength(0);
  const rejected = forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'registration.rejected');
  expect(rejected).toMatchObject({ recipient: { kind: 'customer', id: i.userRef }, params: { reasonCode: 'duplicate_identity' } });
});

test('manual review lapses: reminder at half time, reassigned to a supervisor at 4 working hours; supervisor approves', async () => {
  const i = input();
  const h = await start(i);
  await verifyAll(h, { faceResult: 'uncertain', riskFlag: 'none' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
  const task = openTaskOf(v, 'registration.identity_review')!;
  // Relative to the test server's clock: earlier tests may have moved it far past the wall clock.
  await env.sleep(new Date(task.dueAt).getTime() - (await env.currentTimeMs()) + 60_000);
  const escalated = await waitForState(h, (s) => openTaskOf(s, 'registration.identity_review')?.role === 'supervisor');
  expect(openTaskOf(escalated, 'registration.identity_review')!.escalated).toBe(true);

  const [reminder, breach] = forCase(i.caseId, fake.of('escalateTask'));
  expect(reminder).toMatchObject({ kind: 'reminder', slaName: 'manualReview', dueAt: task.dueAt });
  const opened = forCase(i.caseId, fake.tasks())[0];
  expectFiredAt(reminder.at, addWorkingHours(i.policy.calendar, new Date(opened.at), 2).toISOString());
  expect(breach).toMatchObject({ kind: 'breach', action: 'reassign-to-supervisor', slaName: 'manualReview', dueAt: task.dueAt });
  expectFiredAt(breach.at, task.dueAt);
  // The escalation's activities run after the role changes in the query; let them finish before the update.
  for (let k = 0; k < 100 && !forCase(i.caseId, fake.of('notify')).some((x) => x.template === 'task.escalated'); k++) await new Promise((r) => setTimeout(r, 20));
  expect(forCase(i.caseId, fake.of('notify')).some((x) => x.template === 'task.escalated' && x.recipient.id === 'supervisor')).toBe(true);

  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: task.taskId, actor: supervisor, payload: { decision: 'approve' } }] });
  expect(await h.result()).toEqual({ outcome: 'approved' });
});

test('abandoned: nothing verified by 72 h; reminder at 36 h; the personal data is erased', async () => {
  const i = input();
  const h = await start(i);
  const v = await waitForState(h, (s) => !!s.deadlines.verification);
  const due = v.deadlines.verification!;
  const sla = v.slas.find((x) => x.name === 'verification')!;
  expect(due).toBe(deadlineFrom(new Date(sla.startedAt), i.policy.registration.verification.within, i.policy.calendar).toISOString());
  expect(await h.result()).toEqual({ outcome: 'abandoned' });

  const abandoned = events(i.caseId).find((e) => e.type === 'registration.abandoned');
  expect(abandoned.payload).toEqual({ step: 'mobile_verification', dueAt: due });
  expectFiredAt(abandoned.at, due);
  const reminder = forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'registration.reminder');
  expectFiredAt(reminder.at, new Date(new Date(sla.startedAt).getTime() + 36 * HOUR).toISOString());
  expect(reg.of('recordRegistrationOutcome', i.caseId)).toEqual([expect.objectContaining({ outcome: 'abandoned' })]);
  expect(reg.of('erasePersonalData', i.caseId)).toEqual([expect.objectContaining({ registrationId: i.caseId, userRef: i.userRef, reason: 'abandoned' })]);
  expect(reg.of('activateAccount', i.caseId)).toHaveLength(0);
  expect(eventTypes(i.caseId).at(-1)).toBe('case.closed');
});

test('abandoned after a partial verification: the deadline is one for all steps, not per step', async () => {
  const i = input();
  const h = await start(i);
  await verifyMobile(h);
  const v = await waitForState(h, (s) => s.step === 'email_verification');
  expect(await h.result()).toEqual({ outcome: 'abandoned' });
  const abandoned = events(i.caseId).find((e) => e.type === 'registration.abandoned');
  expect(abandoned.payload).toEqual({ step: 'email_verification', dueAt: v.deadlines.verification });
  expectFiredAt(abandoned.at, v.deadlines.verification!);
  expect(reg.of('erasePersonalData', i.caseId)).toHaveLength(1);
});

test('face match fails: a person reviews it (PIPL art. 24), never a rejection by the machine alone', async () => {
  const i = input();
  const h = await start(i);
  await verifyAll(h, { faceResult: 'fail', riskFlag: 'none' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
  expect(v.step).toBe('manual_review');
  expect(v.status).toBe('open');
  expect(reg.of('recordRegistrationOutcome', i.caseId)).toHaveLength(0);
  expect(events(i.caseId).find((e) => e.casePatch?.step === 'manual_review')).toMatchObject({ payload: { faceResult: 'fail', riskFlag: 'none' } });
  const task = openTaskOf(v, 'registration.identity_review')!;
  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: task.taskId, actor: agent, payload: { decision: 'approve' } }] });
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(templatesOf(i.caseId)).toEqual(['registration.approved']);
});

test('payment method required by policy: approval waits for the binding', async () => {
  const i = input((p) => void (p.registration.paymentMethod = 'required'));
  const h = await start(i);
  await verifyAll(h, { faceResult: 'pass', riskFlag: 'none' });
  await waitForState(h, (s) => s.step === 'payment_binding');
  expect(reg.of('activateAccount', i.caseId)).toHaveLength(0);
  await executeUpdate(h, bindPaymentMethodUpdate, { args: [{ actor: storefront }] });
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(eventTypes(i.caseId)).toContain('registration.payment_method_bound');
  expect(reg.of('bindPaymentMethod', i.caseId)).toHaveLength(1);
});

test('payment method required and bound during the identity step: no separate payment step', async () => {
  const i = input((p) => void (p.registration.paymentMethod = 'required'));
  const h = await start(i);
  await verifyMobile(h);
  await verifyEmail(h);
  await waitForState(h, (s) => s.step === 'identity_verification');
  await executeUpdate(h, bindPaymentMethodUpdate, { args: [{ actor: storefront }] });
  await expect(executeUpdate(h, bindPaymentMethodUpdate, { args: [{ actor: storefront }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  await executeUpdate(h, submitIdentityUpdate, { args: [{ actor: storefront }] });
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(events(i.caseId).some((e) => e.casePatch?.step === 'payment_binding')).toBe(false);
});

test('payment method required but never bound: abandoned at the verification deadline', async () => {
  const i = input((p) => void (p.registration.paymentMethod = 'required'));
  const h = await start(i);
  await verifyAll(h, { faceResult: 'pass', riskFlag: 'none' });
  const v = await waitForState(h, (s) => s.step === 'payment_binding');
  expect(await h.result()).toEqual({ outcome: 'abandoned' });
  const abandoned = events(i.caseId).find((e) => e.type === 'registration.abandoned');
  expect(abandoned.payload).toEqual({ step: 'payment_binding', dueAt: v.deadlines.verification });
  expect(reg.of('erasePersonalData', i.caseId)).toHaveLength(1);
});

test('payment method optional: approved without binding (covered above) and a binding before the e-mail step is refused', async () => {
  const i = input();
  const h = await start(i);
  await waitForState(h, (s) => s.step === 'mobile_verification');
  const early = executeUpdate(h, bindPaymentMethodUpdate, { args: [{ actor: storefront }] });
  await expect(early).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await verifyAll(h, { faceResult: 'pass', riskFlag: 'none' });
  expect(await h.result()).toEqual({ outcome: 'approved' });
});

test('resend: refused inside the 60 s cooldown, a new code (seq 2) after it; steps out of order are refused', async () => {
  const i = input();
  const h = await start(i);
  await waitForState(h, (s) => s.step === 'mobile_verification' && s.timeline.some((e) => e.type === 'registration.mobile_code_sent'));
  await expect(executeUpdate(h, resendMobileCodeUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'ResendTooSoon' } });
  await expect(executeUpdate(h, confirmEmailUpdate, { args: [{ actor: storefront, seq: 1 }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await expect(executeUpdate(h, submitIdentityUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await env.sleep('61 seconds');
  const resent = await executeUpdate(h, resendMobileCodeUpdate, { args: [{ actor: storefront }] });
  expect(resent.seq).toBe(2);
  expect(reg.of('sendMobileCode', i.caseId).map((x) => x.seq)).toEqual([1, 2]);
  await verifyAll(h, { faceResult: 'pass', riskFlag: 'none' });
  expect(await h.result()).toEqual({ outcome: 'approved' });
});

test('the applicant withdraws (2.4.1): closed as cancelled and the personal data erased', async () => {
  const i = input();
  const h = await start(i);
  await verifyMobile(h);
  await waitForState(h, (s) => s.step === 'email_verification');
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled' });
  expect(reg.of('erasePersonalData', i.caseId)).toEqual([expect.objectContaining({ reason: 'cancelled' })]);
  expect(eventTypes(i.caseId)).toContain('registration.withdrawn');
});

test('the workflow decides the code: wrong answers count down, the lock refuses codes and resends in workflow time, then a new code verifies', async () => {
  const i = input();
  const h = await start(i);
  const v = await waitForState(h, (s) => latestSeq(s) === 1, 'first code');
  const lockedUntil = new Date(Date.parse(v.timeline.find((e) => e.type === 'registration.mobile_code_sent')!.at) + 30 * 60_000).toISOString();
  reg.codeChecksOf(i.caseId, [{ result: 'invalid', attemptsLeft: 1 }, { result: 'locked', lockedUntil }]);
  const send = () => executeUpdate(h, submitMobileCodeUpdate, { args: [{ actor: storefront, seq: 1, codeMac: MAC }] });
  await expect(send()).rejects.toMatchObject({ cause: { type: 'CodeInvalid', details: [{ attemptsLeft: 1 }] } });
  await expect(send()).rejects.toMatchObject({ cause: { type: 'StepLocked', details: [{ lockedUntil }] } });
  // Locked: the workflow refuses further codes and a resend in its validator, without asking the database.
  const checks = reg.of('checkMobileCode', i.caseId).length;
  await expect(send()).rejects.toMatchObject({ cause: { type: 'StepLocked' } });
  await expect(executeUpdate(h, resendMobileCodeUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'StepLocked' } });
  expect(reg.of('checkMobileCode', i.caseId)).toHaveLength(checks);
  // A code for another challenge, a malformed MAC, or a caller that is not the storefront: refused.
  await expect(executeUpdate(h, submitMobileCodeUpdate, { args: [{ actor: storefront, seq: 7, codeMac: MAC }] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
  await expect(executeUpdate(h, submitMobileCodeUpdate, { args: [{ actor: agent, seq: 1, codeMac: MAC }] })).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
  await env.sleep('31 minutes');
  const resent = await executeUpdate(h, resendMobileCodeUpdate, { args: [{ actor: storefront }] });
  expect(resent.seq).toBe(2);
  await verifyMobile(h);
  expect(reg.of('checkMobileCode', i.caseId).at(-1)).toMatchObject({ registrationId: i.caseId, challengeId: `${i.caseId}:sms:2`, codeMac: MAC, lockoutMs: 30 * 60_000 });
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled' });
});

test('updates the API once sent are refused now (the workflow decides), and only staff or the storefront may withdraw', async () => {
  const i = input();
  const h = await start(i);
  await waitForState(h, (s) => latestSeq(s) === 1);
  await expect(executeUpdate(h, mobileVerifiedUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await verifyMobile(h);
  await verifyEmail(h);
  await waitForState(h, (s) => s.step === 'identity_verification');
  await expect(executeUpdate(h, identitySubmittedUpdate, { args: [{ actor: storefront, faceResult: 'pass', riskFlag: 'none' }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
  await expect(executeUpdate(h, cancelCaseUpdate, { args: [{ actor: { id: 'm', role: 'merchant', merchantId: 'x' }, reasonCode: 'customer_request' }] })).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
  expect(reg.of('checkIdentity', i.caseId)).toHaveLength(0);
  await submitIdentity(h, { faceResult: 'pass', riskFlag: 'none' });
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(reg.of('markEmailVerified', i.caseId)).toHaveLength(1);
});

// ---- The law under the policy (issue 9): necessary information, human review, minors, retention ----

/** A new registration as the API opens it now: what the applicant gave and why the ID is asked, if at all. */
function lawfulInput(opts: { emailGiven: boolean; realName: RegistrationCaseInput['realName'] }, patch?: (p: PolicyConfig) => void): RegistrationCaseInput {
  return { ...input(patch), emailGiven: opts.emailGiven, realName: opts.realName };
}

test('only the necessary information: a verified mobile number approves the account; no e-mail link, no ID step', async () => {
  const i = lawfulInput({ emailGiven: false, realName: null });
  const h = await start(i);
  await verifyMobile(h);
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(reg.of('sendEmailVerification', i.caseId)).toHaveLength(0);
  expect(reg.of('checkIdentity', i.caseId)).toHaveLength(0);
  expect(forCase(i.caseId, fake.tasks())).toHaveLength(0);
  expect(events(i.caseId).find((e) => e.type === 'registration.approved').payload).toEqual({ accountId: `acct-${i.caseId}`, minorSafeguards: false, realNameVerified: false });
  expect(eventTypes(i.caseId).filter((t) => t === 'step.entered')).toHaveLength(0);
  expect(reg.of('activateAccount', i.caseId)).toEqual([expect.objectContaining({ minors: { guardianConsentUnder: 14, safeguardsUnder: 18 }, timeZone: i.policy.calendar.timeZone })]);
});

test('an e-mail address given is verified; the ID is asked for a merchant account (a feature that needs it) and recorded as the reason', async () => {
  const i = lawfulInput({ emailGiven: true, realName: 'merchant_account' });
  const h = await start(i);
  await verifyAll(h, { faceResult: 'pass', riskFlag: 'none' });
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(events(i.caseId).find((e) => e.casePatch?.step === 'identity_verification').payload).toEqual({ reason: 'merchant_account' });
  expect(events(i.caseId).find((e) => e.type === 'registration.approved').payload).toMatchObject({ realNameVerified: true });
});

test('policy 1.2 setting (real name of everyone): without an e-mail address the ID step follows the mobile step', async () => {
  const i = lawfulInput({ emailGiven: false, realName: 'policy' });
  const h = await start(i);
  await verifyMobile(h);
  await submitIdentity(h, { faceResult: 'pass', riskFlag: 'none' });
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(reg.of('sendEmailVerification', i.caseId)).toHaveLength(0);
});

test('a document reviewed by staff instead of the face match: an agent decides', async () => {
  const i = lawfulInput({ emailGiven: false, realName: 'policy' });
  const h = await start(i);
  await verifyMobile(h);
  await submitIdentity(h, { faceResult: 'not_checked', riskFlag: 'none' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'registration.identity_review')!.taskId, actor: agent, payload: { decision: 'approve' } }] });
  expect(await h.result()).toEqual({ outcome: 'approved' });
});

test('rejected by a person: the data is kept 30 days to contest the decision; the case records when it is erased and closes, the daily purge erases it (no 30-day timer)', async () => {
  const i = lawfulInput({ emailGiven: false, realName: 'policy' });
  const h = await start(i);
  await verifyMobile(h);
  await submitIdentity(h, { faceResult: 'fail', riskFlag: 'none' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'registration.identity_review')!.taskId, actor: agent, payload: { decision: 'reject', reasonCode: 'face_mismatch' } }] });
  expect(await h.result()).toEqual({ outcome: 'rejected', reasonCode: 'face_mismatch' });
  const rejected = events(i.caseId).find((e) => e.type === 'registration.rejected');
  const erasureAt = dayPeriodEndsAt(i.policy.calendar, new Date(rejected.at), 30, { extendOverHolidays: false }).toISOString();
  expect(forCase(i.caseId, fake.of('notify')).find((x) => x.template === 'registration.rejected').params).toEqual({ caseId: i.caseId, reasonCode: 'face_mismatch', erasureAt });
  // The retention's end is recorded at the decision; the case closes then, and the purge (activities/retention.ts) erases.
  const types = eventTypes(i.caseId);
  expect(types.slice(-2)).toEqual(['registration.retention_scheduled', 'case.closed']);
  expect(events(i.caseId).find((e) => e.type === 'registration.retention_scheduled').payload).toEqual({ erasureAt });
  expect(types).not.toContain('registration.retention_ended');
  expect(reg.of('erasePersonalData', i.caseId)).toHaveLength(0);
  const closed = events(i.caseId).at(-1);
  expect(closed.casePatch).toMatchObject({ status: 'closed', outcome: 'rejected', deadlines: { personalDataErasure: erasureAt } });
  // No timer waits out the retention, and the workflow ended at the decision, not 30 days later.
  const history = (await h.fetchHistory()).events ?? [];
  const timers = history.flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)] : []));
  expect(timers.filter((s) => s >= 29 * 24 * 3600)).toEqual([]);
  const closedAt = new Date(closed.at).getTime();
  expect(closedAt - new Date(rejected.at).getTime()).toBeLessThan(60_000);
  const marker = history.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch' && Buffer.from(e.markerRecordedEventAttributes.details!['patch-data'].payloads![0].data!).toString().includes('registration-retention-by-schedule'));
  expect(marker).toBeDefined();
});

test('a child under 14 without a guardian\'s consent (PIPL art. 31): refused with that reason and erased at once', async () => {
  const i = lawfulInput({ emailGiven: false, realName: 'merchant_account' });
  const h = await start(i);
  await verifyMobile(h);
  await waitForState(h, (s) => s.step === 'identity_verification');
  await expect(executeUpdate(h, guardianConsentMissingUpdate, { args: [{ actor: agent }] })).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
  await executeUpdate(h, guardianConsentMissingUpdate, { args: [{ actor: storefront }] });
  expect(await h.result()).toEqual({ outcome: 'rejected', reasonCode: 'guardian_consent_required' });
  const types = eventTypes(i.caseId);
  expect(types).toContain('registration.guardian_consent_missing');
  expect(reg.of('erasePersonalData', i.caseId)).toEqual([expect.objectContaining({ reason: 'rejected' })]);
  expect(reg.of('checkIdentity', i.caseId)).toHaveLength(0);
  expect(types.at(-1)).toBe('case.closed');
});

test('a review lapse never rejects by itself (PIPL art. 24), even with onBreach default-decision: a supervisor decides', async () => {
  const i = lawfulInput({ emailGiven: false, realName: 'policy' }, (p) => void (p.registration.manualReview = { within: { amount: 4, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'default-decision' }));
  const h = await start(i);
  await verifyMobile(h);
  await submitIdentity(h, { faceResult: 'uncertain', riskFlag: 'none' });
  const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
  const first = openTaskOf(v, 'registration.identity_review')!;
  await env.sleep(new Date(first.dueAt).getTime() - (await env.currentTimeMs()) + 1_000);
  const escalated = await waitForState(h, (s) => openTaskOf(s, 'registration.identity_review')?.role === 'supervisor');
  const second = openTaskOf(escalated, 'registration.identity_review')!;
  const lapsed = events(i.caseId).find((e) => e.type === 'registration.review_lapsed');
  expect(lapsed.payload).toEqual({ dueAt: first.dueAt, decidedBy: 'supervisor' });
  expectFiredAt(lapsed.at, first.dueAt);
  const opened = forCase(i.caseId, fake.tasks());
  expect(opened.map((t) => [t.role, t.slaName])).toEqual([['agent', 'manualReview'], ['supervisor', 'manualReviewBySupervisor']]);
  const supervisorSla = escalated.slas.find((x) => x.name === 'manualReviewBySupervisor')!;
  expectFiredAt(supervisorSla.startedAt, first.dueAt); // the supervisor's clock starts when the agent's lapsed
  expect(second.dueAt).toBe(addWorkingHours(i.policy.calendar, new Date(supervisorSla.startedAt), 4).toISOString());
  expect(escalated.status).toBe('open');
  expect(reg.of('recordRegistrationOutcome', i.caseId)).toHaveLength(0);
  await expect(executeUpdate(h, completeTaskUpdate, { args: [{ taskId: second.taskId, actor: agent, payload: { decision: 'approve' } }] })).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
  await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: second.taskId, actor: supervisor, payload: { decision: 'approve' } }] });
  expect(await h.result()).toEqual({ outcome: 'approved' });
});

test('an applicant under 18: the approved account carries the minor safeguards', async () => {
  const i = lawfulInput({ emailGiven: false, realName: null });
  reg.minorOf(i.caseId);
  const h = await start(i);
  await verifyMobile(h);
  expect(await h.result()).toEqual({ outcome: 'approved' });
  expect(events(i.caseId).find((e) => e.type === 'registration.approved').payload).toMatchObject({ minorSafeguards: true });
});

describe('real-name verification of an active account, when a feature asks for it', () => {
  let accounts = 0;
  const laterInput = (feature: 'merchant_account' | 'payment_above_limit'): RegistrationCaseInput => ({ ...lawfulInput({ emailGiven: false, realName: feature }), purpose: 'real_name', registrationId: `REG-approved-account-${++accounts}` });

  test('the identity step alone: face pass verifies the account; no code, no link, the registration untouched', async () => {
    const i = laterInput('merchant_account');
    const h = await start(i);
    const v = await waitForState(h, (s) => s.step === 'identity_verification' && !!s.deadlines.verification);
    expect(v.deadlines.verification).toBe(deadlineFrom(new Date(v.slas[0].startedAt), i.policy.registration.verification.within, i.policy.calendar).toISOString());
    await executeUpdate(h, submitIdentityUpdate, { args: [{ actor: storefront }] });
    expect(await h.result()).toEqual({ outcome: 'approved' });
    expect(reg.of('checkIdentity', i.caseId)).toEqual([expect.objectContaining({ registrationId: i.registrationId })]);
    expect(reg.of('recordRealNameVerified', i.caseId)).toEqual([expect.objectContaining({ registrationId: i.registrationId, minors: { guardianConsentUnder: 14, safeguardsUnder: 18 } })]);
    for (const name of ['sendMobileCode', 'sendEmailVerification', 'activateAccount', 'recordRegistrationOutcome', 'erasePersonalData'] as const) expect(reg.of(name, i.caseId)).toHaveLength(0);
    expect(events(i.caseId)[0]).toMatchObject({ type: 'case.opened', payload: { purpose: 'real_name', feature: 'merchant_account' } });
    expect(events(i.caseId).find((e) => e.type === 'registration.real_name_verified').payload).toEqual({ feature: 'merchant_account', minorSafeguards: false });
    expect(templatesOf(i.caseId)).toEqual(['registration.real_name_verified']);
  });

  test('rejected by a person: the account stays as it is; the case records when the identity data is erased (by the daily purge) and closes', async () => {
    const i = laterInput('payment_above_limit');
    reg.identityOf(i.registrationId!, { faceResult: 'uncertain', riskFlag: 'none' });
    const h = await start(i);
    await waitForState(h, (s) => s.step === 'identity_verification');
    await executeUpdate(h, submitIdentityUpdate, { args: [{ actor: storefront }] });
    const v = await waitForState(h, (s) => !!openTaskOf(s, 'registration.identity_review'));
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'registration.identity_review')!.taskId, actor: agent, payload: { decision: 'reject', reasonCode: 'identity_not_confirmed' } }] });
    expect(await h.result()).toEqual({ outcome: 'rejected', reasonCode: 'identity_not_confirmed' });
    const rejected = events(i.caseId).find((e) => e.type === 'registration.rejected');
    const erasureAt = dayPeriodEndsAt(i.policy.calendar, new Date(rejected.at), 30, { extendOverHolidays: false }).toISOString();
    // The purge (activities/retention.ts, rule `registration`) erases the identity of a refused real-name case when due.
    expect(reg.of('eraseIdentity', i.caseId)).toHaveLength(0);
    expect(events(i.caseId).find((e) => e.type === 'registration.retention_scheduled').payload).toEqual({ erasureAt });
    expect(eventTypes(i.caseId).at(-1)).toBe('case.closed');
    expect(reg.of('recordRegistrationOutcome', i.caseId)).toHaveLength(0);
    expect(reg.of('erasePersonalData', i.caseId)).toHaveLength(0);
    expect(templatesOf(i.caseId)).toEqual(['registration.real_name_rejected']);
  });

  test('not done by the deadline: abandoned, only what it collected is erased', async () => {
    const i = laterInput('merchant_account');
    const h = await start(i);
    const v = await waitForState(h, (s) => !!s.deadlines.verification);
    expect(await h.result()).toEqual({ outcome: 'abandoned' });
    const abandoned = events(i.caseId).find((e) => e.type === 'registration.abandoned');
    expect(abandoned.payload).toEqual({ step: 'identity_verification', dueAt: v.deadlines.verification });
    expectFiredAt(abandoned.at, v.deadlines.verification!);
    expect(reg.of('eraseIdentity', i.caseId)).toEqual([expect.objectContaining({ reason: 'abandoned' })]);
    expect(reg.of('recordRegistrationOutcome', i.caseId)).toHaveLength(0);
  });
});

// The guardian step of a child under 14 (PIPL art. 31; 未成年人保护法 art. 72; patch registration-guardian-step).
describe('the guardian step of a child under 14', () => {
  const childInput = (patch?: (p: PolicyConfig) => void): RegistrationCaseInput => ({ ...lawfulInput({ emailGiven: false, realName: null }, patch), guardianRequired: true });
  const atGuardianStep = (h: Handle) => waitForState(h, (s) => s.step === 'guardian_consent' && !!s.deadlines.guardianConsent, 'guardian step');
  async function guardianCode(h: Handle) {
    await atGuardianStep(h);
    const sent = await executeUpdate(h, requestGuardianCodeUpdate, { args: [{ actor: storefront }] });
    await executeUpdate(h, submitGuardianCodeUpdate, { args: [{ actor: storefront, seq: sent.seq, codeMac: MAC }] });
    return sent;
  }

  test('the guardian consents: the registration continues to the child\'s mobile code, under its own deadline, and is approved', async () => {
    const i = childInput();
    const h = await start(i);
    const v = await atGuardianStep(h);
    // Nothing else of the child's is processed before the guardian consents: no code to the child's mobile yet.
    expect(reg.of('sendMobileCode', i.caseId)).toHaveLength(0);
    expect(v.deadlines.guardianConsent).toBe(deadlineFrom(new Date(v.slas.find((x) => x.name === 'guardianConsent')!.startedAt), i.policy.registration.guardianConsent.within, i.policy.calendar).toISOString());
    expect(v.deadlines.verification).toBeUndefined();
    // The answer waits for the guardian's mobile to be verified; the applicant's steps are not open yet.
    await expect(executeUpdate(h, guardianAnswerUpdate, { args: [{ actor: storefront, decision: 'consent' }] })).rejects.toMatchObject({ cause: { type: 'GuardianMobileNotVerified' } });
    await expect(executeUpdate(h, submitGuardianCodeUpdate, { args: [{ actor: storefront, seq: 1, codeMac: MAC }] })).rejects.toMatchObject({ cause: { type: 'NoCodeSent' } });
    await expect(executeUpdate(h, resendMobileCodeUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
    await expect(executeUpdate(h, requestGuardianCodeUpdate, { args: [{ actor: agent }] })).rejects.toMatchObject({ cause: { type: 'Forbidden' } });
    reg.guardianCodeChecksOf(i.caseId, [{ result: 'invalid', attemptsLeft: 4 }, { result: 'verified' }]);
    const sent = await executeUpdate(h, requestGuardianCodeUpdate, { args: [{ actor: storefront }] });
    expect(sent.seq).toBe(1);
    await expect(executeUpdate(h, requestGuardianCodeUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'ResendTooSoon' } });
    await expect(executeUpdate(h, submitGuardianCodeUpdate, { args: [{ actor: storefront, seq: 1, codeMac: MAC }] })).rejects.toMatchObject({ cause: { type: 'CodeInvalid', details: [{ attemptsLeft: 4 }] } });
    await executeUpdate(h, submitGuardianCodeUpdate, { args: [{ actor: storefront, seq: 1, codeMac: MAC }] });
    await executeUpdate(h, guardianAnswerUpdate, { args: [{ actor: storefront, decision: 'consent' }] });
    await expect(executeUpdate(h, guardianAnswerUpdate, { args: [{ actor: storefront, decision: 'refuse' }] })).rejects.toMatchObject({ cause: { type: expect.stringMatching(/GuardianAlreadyAnswered|NotAllowedNow/) } });
    const w = await waitForState(h, (s) => s.step === 'mobile_verification' && latestSeq(s) > 0 && !!s.deadlines.verification);
    expect(w.deadlines.guardianConsent).toBeUndefined();
    await verifyMobile(h);
    expect(await h.result()).toEqual({ outcome: 'approved' });
    expect(reg.of('sendGuardianCode', i.caseId)).toEqual([expect.objectContaining({ registrationId: i.caseId, seq: 1, ttlMs: 10 * 60_000, maxAttempts: 5 })]);
    expect(reg.of('checkGuardianCode', i.caseId).map((c) => c.challengeId)).toEqual([`${i.caseId}:guardian-sms:1`, `${i.caseId}:guardian-sms:1`]);
    expect(reg.of('decideGuardianConsent', i.caseId)).toEqual([expect.objectContaining({ decision: 'consent', timeZone: i.policy.calendar.timeZone })]);
    const consented = events(i.caseId).find((e) => e.type === 'registration.guardian_consented');
    expect(consented.payload).toEqual({ guardianId: `grd_${i.caseId}`, relation: 'parent', adultProof: 'real_name' });
    expect(reg.of('erasePersonalData', i.caseId)).toHaveLength(0);
    expect(eventTypes(i.caseId)).toEqual(expect.arrayContaining(['registration.guardian_code_sent', 'registration.guardian_mobile_verified', 'registration.guardian_consented', 'registration.approved']));
  });

  test('no answer by the deadline: refused guardian_consent_required, the child\'s data erased at once', async () => {
    const i = childInput();
    const h = await start(i);
    const v = await atGuardianStep(h);
    expect(await h.result()).toEqual({ outcome: 'rejected', reasonCode: 'guardian_consent_required' });
    const lapsed = events(i.caseId).find((e) => e.type === 'registration.guardian_consent_lapsed');
    expect(lapsed.payload).toEqual({ dueAt: v.deadlines.guardianConsent });
    expectFiredAt(lapsed.at, v.deadlines.guardianConsent!);
    expect(reg.of('recordRegistrationOutcome', i.caseId)).toEqual([expect.objectContaining({ outcome: 'rejected', reasonCode: 'guardian_consent_required' })]);
    expect(reg.of('erasePersonalData', i.caseId)).toEqual([expect.objectContaining({ reason: 'rejected', userRef: i.userRef })]);
    expect(reg.of('sendMobileCode', i.caseId)).toHaveLength(0);
    expect(eventTypes(i.caseId).at(-1)).toBe('case.closed');
  });

  test('the guardian refuses: refused guardian_consent_required, erased at once', async () => {
    const i = childInput();
    const h = await start(i);
    await guardianCode(h);
    await executeUpdate(h, guardianAnswerUpdate, { args: [{ actor: storefront, decision: 'refuse' }] });
    expect(await h.result()).toEqual({ outcome: 'rejected', reasonCode: 'guardian_consent_required' });
    expect(events(i.caseId).find((e) => e.type === 'registration.rejected')).toMatchObject({ actor: storefront.id, payload: { reasonCode: 'guardian_consent_required' } });
    expect(reg.of('erasePersonalData', i.caseId)).toEqual([expect.objectContaining({ reason: 'rejected' })]);
    expect(reg.of('sendMobileCode', i.caseId)).toHaveLength(0);
    expect(templatesOf(i.caseId)).toEqual([]);
  });

  test('a guardian who is a minor, or not shown to be an adult, is refused; the step waits for another guardian', async () => {
    const i = childInput();
    reg.guardianDecisionsOf(i.caseId, [{ result: 'not_adult' }, { result: 'not_verified' }]);
    const h = await start(i);
    await guardianCode(h);
    await expect(executeUpdate(h, guardianAnswerUpdate, { args: [{ actor: storefront, decision: 'consent' }] })).rejects.toMatchObject({ cause: { type: 'GuardianNotAdult' } });
    await expect(executeUpdate(h, guardianAnswerUpdate, { args: [{ actor: storefront, decision: 'consent' }] })).rejects.toMatchObject({ cause: { type: 'GuardianNotVerified' } });
    const v = await waitForState(h, (s) => s.step === 'guardian_consent');
    expect(v.status).toBe('open');
    expect(eventTypes(i.caseId)).not.toContain('registration.guardian_consented');
    // Another (adult) guardian: a new code to the new number, then the consent.
    await env.sleep('61 seconds');
    const again = await executeUpdate(h, requestGuardianCodeUpdate, { args: [{ actor: storefront }] });
    expect(again.seq).toBe(2);
    await executeUpdate(h, submitGuardianCodeUpdate, { args: [{ actor: storefront, seq: 2, codeMac: MAC }] });
    await executeUpdate(h, guardianAnswerUpdate, { args: [{ actor: storefront, decision: 'consent' }] });
    await verifyMobile(h);
    expect(await h.result()).toEqual({ outcome: 'approved' });
  });

  test('withdrawn while waiting for the guardian: abandoned as withdrawn and erased', async () => {
    const i = childInput();
    const h = await start(i);
    await atGuardianStep(h);
    await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: storefront, reasonCode: 'customer_request' }] });
    expect(await h.result()).toEqual({ outcome: 'cancelled' });
    expect(events(i.caseId).find((e) => e.type === 'registration.withdrawn').payload).toEqual({ step: 'guardian_consent' });
    expect(reg.of('erasePersonalData', i.caseId)).toEqual([expect.objectContaining({ reason: 'cancelled' })]);
  });

  test('the guardian step runs only for a case that asks for it: an adult\'s registration never reaches it', async () => {
    const i = lawfulInput({ emailGiven: false, realName: null });
    const h = await start(i);
    await waitForState(h, (s) => s.step === 'mobile_verification' && latestSeq(s) > 0);
    await expect(executeUpdate(h, requestGuardianCodeUpdate, { args: [{ actor: storefront }] })).rejects.toMatchObject({ cause: { type: 'NotAllowedNow' } });
    await verifyMobile(h);
    expect(await h.result()).toEqual({ outcome: 'approved' });
    expect(reg.of('sendGuardianCode', i.caseId)).toHaveLength(0);
  });
});
