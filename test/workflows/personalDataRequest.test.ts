// Personal-data requests (policy 2.3-2.4; PIPL arts. 44-47, 50) on the time-skipping server: the identity check (a
// code, attempts capped, the lapse), processing stopped for a deletion, every deadline (the handling's reminder and
// escalation to a supervisor, the appeal window, the appeal review's escalation, the answer's delivery wait), the
// refusal with reasons and the appeal decided by another person.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addClockTime, durationMs } from '../../policy/durations';
import { cancelCaseUpdate, caseStateQuery } from '../../workflows/definitions';
import { appealRefusalUpdate, personalDataRequest, verifyIdentityUpdate, type PersonalDataRequestInput } from '../../workflows/personalDataRequest';
import { executeUpdate, openTaskOf, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';
import { RIGHT_CODE_MAC, WRONG_CODE_MAC, heldCodeSends, pdrActors, pdrInput, pdrSteps, pdrWorker } from '../../scripts/scenarios/personalDataRequest';
import type { RequestType } from '../../policy/personalDataRequest';

let env: TestWorkflowEnvironment;
let fakes: Awaited<ReturnType<typeof pdrWorker>>;
const taskQueue = 'pdr-test';
let n = 0;

useTimeSkippingWorker((e) => pdrWorker(e, taskQueue), (e, made) => {
  env = e;
  fakes = made;
});

const start = async (type: RequestType, over: Partial<PersonalDataRequestInput> = {}) => {
  const i = pdrInput(`PDR-TS-${++n}-${Date.now()}${over.customerId ?? ''}`, type, over);
  const h = await env.client.workflow.start(personalDataRequest, { taskQueue, workflowId: i.caseId, args: [i] });
  return { i, h, s: pdrSteps(env, i.caseId) };
};
const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const events = (caseId: string) => forCase(caseId, fakes.fake.of('recordCaseEvent'));
const event = (caseId: string, type: string) => events(caseId).find((e) => e.type === type);
const eventTypes = (caseId: string) => events(caseId).map((e) => e.type);
const notices = (caseId: string) => forCase(caseId, fakes.fake.of('notify'));
const notice = (caseId: string, template: string) => notices(caseId).find((x) => x.template === template);
const refused = (p: Promise<unknown>, re: RegExp = /./) => expect(p).rejects.toMatchObject({ cause: { message: expect.stringMatching(re) } });
/** The lapse came from the deadline's own timer: never before it, within the minute after. */
function expectAt(actualIso: string, dueIso: string) {
  const late = new Date(actualIso).getTime() - new Date(dueIso).getTime();
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(60_000);
}

test('access: the code verifies, the agent fulfils, the export goes by its signed link (never in the history), answered', async () => {
  const { i, h, s } = await start('access');
  await s.verify();
  await s.at('handling');
  expect(fakes.of('stopProcessing', i.caseId)).toHaveLength(0);
  await s.complete('pdr.handling', { decision: 'fulfil' });
  expect(await h.result()).toEqual({ outcome: 'fulfilled', reasons: [] });
  const [ex] = fakes.of('deliverExport', i.caseId);
  expect(ex).toMatchObject({ linkDays: 7, customerId: i.customerId, noticeKey: `${i.caseId}:pdr.export_ready:customer:${i.customerId}` });
  expect(event(i.caseId, 'pdr.export_delivered')!.payload).toMatchObject({ exportId: expect.stringMatching(/^dx_/) });
  expect(notice(i.caseId, 'pdr.answered')!.params).toMatchObject({ requestType: 'access', outcome: 'fulfilled' });
  // The link is signed inside the activity: no notice the workflow queued carries one.
  expect(JSON.stringify(notices(i.caseId))).not.toMatch(/data-exports/);
  expect(eventTypes(i.caseId)).toEqual(expect.arrayContaining(['pdr.received', 'pdr.code_sent', 'pdr.code_checked', 'pdr.identity_verified', 'pdr.answered', 'case.closed']));
});

test('the identity check lapses at its 24-hour deadline: closed not verified, nothing done', async () => {
  const { i, h, s } = await start('copy');
  const v = await waitForState(h, (x) => !!x.deadlines.identityVerification, 'verification');
  const due = v.deadlines.identityVerification!;
  expect(Date.parse(due) - Date.parse(event(i.caseId, 'pdr.code_sent')!.at)).toBe(24 * 3_600_000);
  await s.sleepPast(due);
  expect(await h.result()).toEqual({ outcome: 'not_verified', reasons: [] });
  expectAt(event(i.caseId, 'pdr.verification_lapsed')!.at, due);
  expect(fakes.of('deliverExport', i.caseId)).toHaveLength(0);
});

test('five wrong codes use the attempts up: closed not verified, nothing stopped', async () => {
  const { i, h, s } = await start('deletion');
  for (let k = 0; k < 4; k++) await s.verify(WRONG_CODE_MAC);
  expect(event(i.caseId, 'pdr.code_checked')!.payload).toMatchObject({ result: 'invalid', attemptsLeft: 4 });
  await s.verify(WRONG_CODE_MAC);
  expect(await h.result()).toEqual({ outcome: 'not_verified', reasons: [] });
  expect(event(i.caseId, 'pdr.verification_failed')!.payload).toMatchObject({ reason: 'attempts_used_up', attempts: 5 });
  expect(fakes.of('stopProcessing', i.caseId)).toHaveLength(0);
});

test('a code typed in while its send is still being recorded is checked, not refused: the request goes on at once', async () => {
  const { i, h, s } = await start('access', { customerId: '-heldsend' });
  await waitFor(() => heldCodeSends.has(i.caseId));
  // The SMS is on the phone; the workflow has not yet seen the send finish (no deadline on the case yet).
  expect((await h.query(caseStateQuery)).deadlines.identityVerification).toBeUndefined();
  await expect(executeUpdate(h, verifyIdentityUpdate, { args: [{ actor: pdrActors.storefront, codeMac: RIGHT_CODE_MAC }] })).resolves.toBeDefined();
  heldCodeSends.get(i.caseId)!();
  await s.at('handling');
  expect(eventTypes(i.caseId)).toEqual(expect.arrayContaining(['pdr.code_sent', 'pdr.code_checked', 'pdr.identity_verified']));
  expect(event(i.caseId, 'pdr.verification_lapsed')).toBeUndefined();
  await s.complete('pdr.handling', { decision: 'fulfil' });
  expect(await h.result()).toEqual({ outcome: 'fulfilled', reasons: [] });
});

async function waitFor(ok: () => boolean) {
  for (let k = 0; k < 200 && !ok(); k++) await new Promise((r) => setTimeout(r, 25));
  expect(ok()).toBe(true);
}

test('no registered mobile or e-mail: the identity cannot be checked, closed at once', async () => {
  const { i, h } = await start('access', { customerId: '-nocontact' });
  expect(await h.result()).toMatchObject({ outcome: 'not_verified' });
  expect(event(i.caseId, 'pdr.verification_failed')!.payload).toMatchObject({ reason: 'no_registered_contact' });
});

test('the handling deadline: 15 working days from receipt, a reminder at 60 %, then a supervisor takes the request', async () => {
  const { i, h, s } = await start('correction');
  await s.verify();
  const v = await waitForState(h, (x) => !!openTaskOf(x, 'pdr.handling'), 'handling task');
  const task = openTaskOf(v, 'pdr.handling')!;
  const received = new Date(event(i.caseId, 'pdr.received')!.at);
  expect(task.dueAt).toBe(addClockTime(true, i.policy.calendar, received, durationMs(i.policy.personalDataRequest.handling.within, i.policy.calendar)).toISOString());
  await s.sleepPast(task.dueAt);
  const escalated = await waitForState(h, (x) => !!x.tasks.find((t) => t.type === 'pdr.handling' && t.escalated), 'escalated');
  expect(openTaskOf(escalated, 'pdr.handling')!.role).toBe('supervisor');
  const esc = forCase(i.caseId, fakes.fake.of('escalateTask'));
  expect(esc.map((e) => e.kind)).toEqual(['reminder', 'breach']);
  expect(esc[1]).toMatchObject({ action: 'reassign-to-supervisor', dueAt: task.dueAt });
  // An agent no longer completes it; a supervisor does.
  await refused(s.complete('pdr.handling', { decision: 'fulfil' }, pdrActors.agent), /may not complete a supervisor task/);
  await s.complete('pdr.handling', { decision: 'fulfil' }, pdrActors.supervisor);
  expect(await h.result()).toMatchObject({ outcome: 'fulfilled' });
  expect(fakes.of('applyCorrections', i.caseId)).toEqual([expect.objectContaining({ refused: [] })]);
});

test('deletion: processing stops at once, the erasure answers what is kept and why, the contact goes after the answer (delivery wait lapses)', async () => {
  const { i, h, s } = await start('deletion');
  await s.verify();
  await waitForState(h, (x) => !!openTaskOf(x, 'pdr.handling'), 'handling task');
  expect(fakes.of('stopProcessing', i.caseId)).toHaveLength(1);
  expect(event(i.caseId, 'pdr.processing_stopped')!.payload).toEqual({ openCases: [{ caseId: 'RET-open-refund', type: 'return' }] });
  await s.complete('pdr.handling', { decision: 'fulfil' });
  await waitForState(h, (x) => x.timeline.some((e) => e.type === 'pdr.erased'), 'erased');
  const answered = notice(i.caseId, 'pdr.answered')!;
  expect(answered).toMatchObject({ receipt: true, params: { requestType: 'deletion', retained: 'cases:transactionRecord:2029-12-06,payments:transactionRecord:2029-12-06', mustFinish: 'RET-open-refund' } });
  expect(fakes.of('finishErasure', i.caseId)).toHaveLength(0);
  const before = await env.currentTimeMs();
  expect(await h.result()).toMatchObject({ outcome: 'fulfilled' });
  const erased = event(i.caseId, 'pdr.subject_erased')!;
  expect(Date.parse(erased.at) - before).toBeGreaterThanOrEqual(2 * 86_400_000 - 60_000);
  expect(erased.payload).toMatchObject({ keyDestroyed: true, answerDelivered: false });
  expect(fakes.of('resumeProcessing', i.caseId)).toHaveLength(0);
});

test('deletion refused with reasons: the appeal window lapses at 15 days, processing resumes, closed refused', async () => {
  const { i, h, s } = await start('deletion');
  await s.verify();
  await s.complete('pdr.handling', { decision: 'refuse', reasons: ['legal_claim_pending'] });
  const v = await waitForState(h, (x) => !!x.deadlines.appealWindow, 'appeal window');
  const due = v.deadlines.appealWindow!;
  expect(notice(i.caseId, 'pdr.refused')!.params).toMatchObject({ reasons: 'legal_claim_pending', appealBy: due });
  await s.sleepPast(due);
  expect(await h.result()).toEqual({ outcome: 'refused', reasons: ['legal_claim_pending'] });
  expectAt(event(i.caseId, 'pdr.appeal_lapsed')!.at, due);
  expect(fakes.of('resumeProcessing', i.caseId)).toHaveLength(1);
  expect(fakes.of('eraseRequestSubject', i.caseId)).toHaveLength(0);
  expect(fakes.of('recordRequestAnswer', i.caseId)).toEqual([expect.objectContaining({ outcome: 'refused', reasons: ['legal_claim_pending'] })]);
});

test('appeal: the supervisor who refused may not decide it; another overturns and the request is carried out', async () => {
  const { i, h, s } = await start('copy');
  await s.verify();
  await s.complete('pdr.handling', { decision: 'refuse', reasons: ['manifestly_unfounded'] }, pdrActors.supervisor);
  await s.appeal();
  await refused(executeUpdate(h, appealRefusalUpdate, { args: [{ actor: pdrActors.storefront }] }), /not waiting for appeal/);
  await s.at('appeal_review');
  await refused(s.complete('pdr.appeal_review', { decision: 'overturn' }, pdrActors.supervisor), /Another person decides/);
  await refused(s.complete('pdr.appeal_review', { decision: 'overturn' }, pdrActors.agent), /may not complete a supervisor task/);
  await s.complete('pdr.appeal_review', { decision: 'overturn' }, pdrActors.supervisor2);
  expect(await h.result()).toEqual({ outcome: 'fulfilled_on_appeal', reasons: [] });
  expect(fakes.of('deliverExport', i.caseId)).toHaveLength(1);
  expect(eventTypes(i.caseId)).toEqual(expect.arrayContaining(['pdr.refused', 'pdr.appealed', 'pdr.refusal_overturned', 'pdr.export_delivered']));
});

test('the appeal review deadline: 5 working days, then supervisors are told; upheld, the refusal stands', async () => {
  const { i, h, s } = await start('access');
  await s.verify();
  await s.complete('pdr.handling', { decision: 'refuse', reasons: ['other_persons_data'] });
  await s.appeal();
  const v = await waitForState(h, (x) => !!openTaskOf(x, 'pdr.appeal_review'), 'appeal review');
  const task = openTaskOf(v, 'pdr.appeal_review')!;
  await s.sleepPast(task.dueAt);
  await waitForState(h, (x) => !!x.tasks.find((t) => t.type === 'pdr.appeal_review' && t.escalated), 'escalated');
  expect(forCase(i.caseId, fakes.fake.of('escalateTask')).map((e) => `${e.kind}:${e.action ?? ''}`)).toEqual(['reminder:', 'breach:notify']);
  await s.complete('pdr.appeal_review', { decision: 'uphold' }, pdrActors.supervisor2);
  expect(await h.result()).toEqual({ outcome: 'refused', reasons: ['other_persons_data'] });
  expect(notice(i.caseId, 'pdr.appeal_upheld')!.params).toMatchObject({ reasons: 'other_persons_data' });
});

test('a correction partly refused: the other fields corrected, the refused one named with its reason; the appeal lapses', async () => {
  const { i, h, s } = await start('correction');
  await s.verify();
  await s.complete('pdr.handling', { decision: 'partial', reasons: ['correction_not_accurate'], refusedFields: ['contact_name'] });
  const v = await waitForState(h, (x) => !!x.deadlines.appealWindow, 'appeal window');
  expect(fakes.of('applyCorrections', i.caseId)).toEqual([expect.objectContaining({ refused: ['contact_name'] })]);
  expect(notice(i.caseId, 'pdr.answered')!.params).toMatchObject({ outcome: 'partly_fulfilled', corrected: 'contact_email', reasons: 'correction_not_accurate' });
  expect(notice(i.caseId, 'pdr.partly_refused')).toBeDefined();
  await s.sleepPast(v.deadlines.appealWindow!);
  expect(await h.result()).toEqual({ outcome: 'partly_fulfilled', reasons: ['correction_not_accurate'] });
});

test('a cancellation withdrawn before the work starts: processing resumes, closed cancelled', async () => {
  const { i, h, s } = await start('cancellation');
  await s.verify();
  await s.at('handling');
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: pdrActors.storefront, reasonCode: 'customer_request' }] });
  expect(await h.result()).toMatchObject({ outcome: 'cancelled' });
  expect(fakes.of('resumeProcessing', i.caseId)).toHaveLength(1);
});
