// The dispute ladder of a complaint (policy 8.3, 8.4; patch complaint-dispute-ladder) on the time-skipping server:
// mediation asked for, agreed and carried out, agreed and not carried out, failed; the outside routes (arbitration,
// litigation) with the dossier exported, the periodic status update missed then given, the award paid under its own
// key; each lapse at its deadline (working days across a weekend and a holiday); withdrawal at each rung.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addWorkingDays, type BusinessCalendar } from '../../policy/businessCalendar';
import { cancelCaseUpdate, completeTaskUpdate, threadMessageSignal, type Actor } from '../../workflows/definitions';
import {
  chooseOutsideRouteUpdate,
  complaint,
  confirmExecutionUpdate,
  proposeSettlementUpdate,
  rateComplaintUpdate,
  recordMediationSessionUpdate,
  requestMediationUpdate,
  respondMediationAgreementUpdate,
  type ComplaintCaseInput,
} from '../../workflows/complaint';
import { executeUpdate, openTaskOf, waitForState } from '../../scripts/harness/timeSkipping';
import { useTimeSkippingWorker } from '../helpers/timeSkippingWorker';
import { complaintInput, complaintWorker } from '../../scripts/scenarios/complaint';

const agent: Actor = { id: 'principal-agent-1', role: 'agent' };
const supervisor: Actor = { id: 'principal-supervisor-1', role: 'supervisor' };
const mediator: Actor = { id: 'principal-mediator-1', role: 'mediator' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };
const merchant: Actor = { id: 'principal-merchant-1', role: 'merchant', merchantId: 'merchant-fixture' };
const AGREEMENT = `att_${'a'.repeat(32)}`;
const AWARD = `att_${'b'.repeat(32)}`;
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let fakes: Awaited<ReturnType<typeof complaintWorker>>;
const taskQueue = 'complaint-ladder-test';
let n = 0;

useTimeSkippingWorker((e) => complaintWorker(e, taskQueue), (e, made) => {
  env = e;
  fakes = made;
});

const input = (over: Partial<ComplaintCaseInput> = {}) => complaintInput(`CMP-LAD-${++n}-${Date.now()}`, over);
const start = (i: ComplaintCaseInput) => env.client.workflow.start(complaint, { taskQueue, workflowId: i.caseId, args: [i] });
type Handle = Awaited<ReturnType<typeof start>>;
/** The case as the API reaches it: by workflow id, whichever run is current. */
const current = (h: Handle) => env.client.workflow.getHandle(h.workflowId);

const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const events = (caseId: string) => forCase(caseId, fakes.fake.of('recordCaseEvent'));
const event = (caseId: string, type: string) => events(caseId).find((e) => e.type === type);
const eventTypes = (caseId: string) => events(caseId).map((e) => e.type);
const notices = (caseId: string) => forCase(caseId, fakes.fake.of('notify')).map((e) => `${e.template}${e.params?.stage ? `:${e.params.stage}` : ''}>${e.recipient.kind}`);
const paymentsOf = (caseId: string) => fakes.payments.filter((p) => p.caseId === caseId);

async function complete(h: Handle, type: string, payload: unknown, actor: Actor = agent) {
  const v = await waitForState(current(h), (s) => !!openTaskOf(s, type), `${type} task`);
  return executeUpdate(current(h), completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
}
const update = (h: Handle, def: any, args: any) => executeUpdate(current(h), def, { args: [args] });
const atStep = (h: Handle, step: string) => waitForState(current(h), (s) => s.step === step, step);
const deadlineOf = async (h: Handle, name: string) => (await waitForState(current(h), (s) => !!s.deadlines[name], `deadline ${name}`)).deadlines[name]!;
async function sleepPast(due: string) {
  await env.sleep(Math.max(0, Date.parse(due) - (await env.currentTimeMs())) + 1_000);
}
const refused = (p: Promise<unknown>, re: RegExp = /./) => expect(p).rejects.toMatchObject({ cause: { message: expect.stringMatching(re) } });
function expectAt(actualIso: string, dueIso: string) {
  const late = new Date(actualIso).getTime() - new Date(dueIso).getTime();
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(60_000);
}

/** Reviewed, classified, the merchant replied, the negotiation lapsed: mediation is offered. */
async function toMediationOffered(h: Handle) {
  await complete(h, 'complaint.information_review', { outcome: 'complete' });
  await complete(h, 'complaint.preliminary_judgement', { classification: 'product_quality' });
  await atStep(h, 'merchant_reply');
  await h.signal(threadMessageSignal, { messageId: 'msg_m1', party: 'merchant', at: new Date().toISOString() });
  await sleepPast(await deadlineOf(h, 'negotiation'));
  await atStep(h, 'mediation_offered');
}
/** Mediation asked for: the mediator's task is open (in a new run). */
async function toMediation(h: Handle) {
  await toMediationOffered(h);
  await update(h, requestMediationUpdate, { actor: storefront });
  await waitForState(current(h), (s) => !!openTaskOf(s, 'complaint.mediation'), 'mediation task');
}
/** The mediator drafts an agreement with `terms`; the agreement waits for both parties. */
async function toAgreement(h: Handle, terms: Record<string, unknown>) {
  await toMediation(h);
  await update(h, recordMediationSessionUpdate, { actor: mediator, form: 'video', attended: ['complainant', 'merchant'], result: 'progress' });
  await complete(h, 'complaint.mediation', { outcome: 'agreement', agreementId: AGREEMENT, ...terms }, mediator);
  await atStep(h, 'mediation_agreement');
}
/** Mediation failed: the outside routes are offered. */
async function toOutsideRoutes(h: Handle) {
  await toMediation(h);
  await complete(h, 'complaint.mediation', { outcome: 'failed', reason: 'no_agreement' }, mediator);
  await atStep(h, 'outside_route_offered');
}

test('negotiation lapsed: mediation is offered to the complainant; silence closes the complaint unresolved at the deadline', async () => {
  const i = input();
  const h = await start(i);
  await toMediationOffered(h);
  const due = await deadlineOf(h, 'mediationRequest');
  // Only the complainant asks, and only now.
  await refused(update(h, requestMediationUpdate, { actor: merchant }), /may not/);
  expect(await h.result()).toEqual({ outcome: 'unresolved', rating: null });
  const lapse = event(i.caseId, 'complaint.mediation_not_requested');
  expect(lapse.payload).toEqual({ dueAt: due });
  expectAt(lapse.at, due);
  expect(notices(i.caseId)).toEqual(expect.arrayContaining(['complaint.stage_changed:mediation_offered>customer', 'complaint.stage_changed:mediation_offered>merchant', 'complaint.closed.unresolved>customer']));
});

test('mediation agreed: a mediator concludes, both parties accept (recorded with actor and time), the compensation is paid once, rated: mediated', async () => {
  const i = input();
  const h = await start(i);
  await toMediation(h);
  // The mediator's task: an agent may not conclude it; a session is recorded by the mediator only.
  await expect(complete(h, 'complaint.mediation', { outcome: 'failed', reason: 'other' }, agent)).rejects.toThrow();
  await refused(update(h, recordMediationSessionUpdate, { actor: agent, form: 'phone', attended: [], result: 'adjourned' }), /may not/);
  await update(h, recordMediationSessionUpdate, { actor: mediator, form: 'phone', attended: ['complainant'], result: 'adjourned' });
  await update(h, recordMediationSessionUpdate, { actor: mediator, form: 'in_person', attended: ['complainant', 'merchant'], result: 'progress' });
  await complete(h, 'complaint.mediation', { outcome: 'agreement', agreementId: AGREEMENT, terms: 'compensation', amount: '80.00' }, mediator);
  await atStep(h, 'mediation_agreement');
  await update(h, respondMediationAgreementUpdate, { actor: merchant, decision: 'accept' });
  await refused(update(h, respondMediationAgreementUpdate, { actor: merchant, decision: 'accept' }), /accepted the agreement already/);
  await update(h, respondMediationAgreementUpdate, { actor: storefront, decision: 'accept' });
  await atStep(h, 'rating');
  await refused(update(h, cancelCaseUpdate, { actor: storefront, reasonCode: 'customer_request' }), /settlement was agreed/);
  await update(h, rateComplaintUpdate, { actor: storefront, rating: 4 });
  expect(await h.result()).toEqual({ outcome: 'mediated', rating: 4 });
  expect(events(i.caseId).filter((e) => e.type === 'complaint.mediation_session').map((e) => e.payload)).toEqual([
    { session: 1, form: 'phone', attended: ['complainant'], result: 'adjourned' },
    { session: 2, form: 'in_person', attended: ['complainant', 'merchant'], result: 'progress' },
  ]);
  const acceptances = events(i.caseId).filter((e) => e.type === 'complaint.mediation_agreement_accepted');
  expect(acceptances.map((e) => [e.payload.party, e.actor])).toEqual([
    ['merchant', merchant.id],
    ['complainant', storefront.id],
  ]);
  for (const a of acceptances) expect(Date.parse(a.at)).toBeGreaterThan(0);
  expect(event(i.caseId, 'complaint.mediation_agreed').payload).toEqual({ proposal: 1, agreementId: AGREEMENT, terms: 'compensation', amountMinor: 8000 });
  expect(paymentsOf(i.caseId)).toEqual([expect.objectContaining({ proposal: 1, terms: 'compensation', amountMinor: 8000, idempotencyKey: `settlement:${i.caseId}:1` })]);
  expect(notices(i.caseId)).toEqual(expect.arrayContaining(['complaint.stage_changed:mediation>customer', 'complaint.stage_changed:mediation_agreement>merchant', 'complaint.settlement_paid>customer', 'complaint.closed.mediated>customer']));
});

test('mediation agreed in kind and carried out: the merchant confirms the repair within the working-day deadline', async () => {
  const i = input();
  const h = await start(i);
  await toAgreement(h, { terms: 'repair' });
  await update(h, respondMediationAgreementUpdate, { actor: storefront, decision: 'accept' });
  await update(h, respondMediationAgreementUpdate, { actor: merchant, decision: 'accept' });
  await atStep(h, 'agreement_execution');
  await update(h, confirmExecutionUpdate, { actor: merchant, executed: true });
  await atStep(h, 'rating');
  await update(h, rateComplaintUpdate, { actor: storefront, rating: 5 });
  expect(await h.result()).toEqual({ outcome: 'mediated', rating: 5 });
  expect(paymentsOf(i.caseId)).toEqual([]);
  expect(event(i.caseId, 'complaint.settlement_executed').payload).toEqual({ proposal: 1, terms: 'repair', confirmedBy: 'merchant' });
});

test('an agreement in kind not carried out: its working-day deadline lapses across a weekend and a holiday; a supervisor finds it not done; litigation follows, the update missed then given, the judgement paid', async () => {
  // The calendar as written by hand: Monday to Friday 09:00-18:00, and every Monday of the next six weeks a holiday,
  // so whichever Friday the agreement is accepted on, its deadline passes weekends and holidays.
  const base = input();
  const t0 = await env.currentTimeMs();
  const holidays = Array.from({ length: 42 }, (_, d) => new Date(t0 + d * DAY)).filter((d) => d.getUTCDay() === 1).map((d) => d.toISOString().slice(0, 10));
  const calendar: BusinessCalendar = { ...base.policy.calendar, timeZone: 'Asia/Shanghai', workdayStart: '09:00', workdayEnd: '18:00', workingWeekdays: [1, 2, 3, 4, 5], holidays, makeUpWorkdays: [] };
  const i = { ...base, policy: { ...base.policy, calendar } };
  const h = await start(i);
  await toAgreement(h, { terms: 'replacement' });
  await update(h, respondMediationAgreementUpdate, { actor: storefront, decision: 'accept' });
  // The next Friday 10:00 in Shanghai (02:00Z), within the acceptance window of 7 days.
  const now = await env.currentTimeMs();
  let fridayStart = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T02:00:00.000Z`);
  while (fridayStart <= now + 60_000 || new Date(fridayStart).getUTCDay() !== 5) fridayStart += DAY;
  expect(fridayStart).toBeLessThan(Date.parse(await deadlineOf(h, 'agreementAcceptance')));
  await env.sleep(fridayStart - now);
  await update(h, respondMediationAgreementUpdate, { actor: merchant, decision: 'accept' });
  const due = await deadlineOf(h, 'agreementExecution');
  const agreedAt = event(i.caseId, 'complaint.mediation_agreed').at;
  expect(due).toBe(addWorkingDays(calendar, new Date(agreedAt), 10).toISOString());
  // Ten working days from a Friday 10:00: two weekends and two Monday holidays pass (19 calendar days; 17 without the holidays).
  expect(new Date(agreedAt).getUTCDay()).toBe(5);
  expect(Date.parse(due) - Date.parse(agreedAt)).toBe(19 * DAY);
  await sleepPast(due);
  await complete(h, 'complaint.agreement_execution_review', { executed: false }, supervisor);
  const lapse = event(i.caseId, 'complaint.agreement_execution_lapsed');
  expect(lapse.payload).toEqual({ dueAt: due, proposal: 1 });
  expectAt(lapse.at, due);
  await atStep(h, 'outside_route_offered');
  // The agreement failed: the complainant may still withdraw; the route is the parties' choice.
  await update(h, chooseOutsideRouteUpdate, { actor: storefront, route: 'litigation', institution: 'Hangzhou Internet Court', reference: '(2027) Zhe 0192 Min Chu 1' });
  await waitForState(current(h), (s) => s.step === 'litigation' && !!openTaskOf(s, 'complaint.outside_status_update'), 'litigation');
  expect(fakes.dossiers.filter((d) => d.caseId === i.caseId)).toEqual([expect.objectContaining({ purpose: 'litigation', eventKey: `${i.caseId}:dossier:litigation` })]);
  expect(event(i.caseId, 'complaint.dossier_exported').payload).toMatchObject({ route: 'litigation', attachmentId: expect.stringMatching(/^att_/) });
  // The monthly update is missed: escalated to a supervisor at its deadline; the agent then gives it.
  const updateDue = await deadlineOf(h, 'statusUpdate');
  await sleepPast(updateDue);
  await waitForState(current(h), (s) => !!s.tasks.find((t) => t.type === 'complaint.outside_status_update' && t.escalated), 'escalated update');
  const escalation = forCase(i.caseId, fakes.fake.of('escalateTask')).find((e) => e.slaName === 'statusUpdate' && e.kind === 'breach');
  expect(escalation.dueAt).toBe(updateDue);
  expectAt(escalation.at, updateDue);
  expect(notices(i.caseId)).toContain('task.escalated>role');
  await complete(h, 'complaint.outside_status_update', { status: 'pending', stage: 'hearing_scheduled' });
  await waitForState(current(h), (s) => (s.tasks.filter((t) => t.type === 'complaint.outside_status_update' && t.status === 'open').length === 1 && !!s.deadlines.statusUpdate), 'next update');
  await complete(h, 'complaint.outside_status_update', { status: 'decided', result: 'for_complainant', decisionId: AWARD, amount: '1500.00' });
  await atStep(h, 'rating');
  await refused(update(h, cancelCaseUpdate, { actor: storefront, reasonCode: 'customer_request' }), /judgement is recorded/);
  await update(h, rateComplaintUpdate, { actor: storefront, rating: 3 });
  expect(await h.result()).toEqual({ outcome: 'judged', rating: 3 });
  expect(events(i.caseId).filter((e) => e.type === 'complaint.status_updated').map((e) => e.payload)).toEqual([{ route: 'litigation', update: 1, stage: 'hearing_scheduled' }]);
  expect(event(i.caseId, 'complaint.outside_result').payload).toEqual({ route: 'litigation', update: 2, result: 'for_complainant', decisionId: AWARD, amountMinor: 150000, currency: 'CNY' });
  expect(paymentsOf(i.caseId)).toEqual([expect.objectContaining({ purpose: 'award', proposal: 2, amountMinor: 150000, idempotencyKey: `award:${i.caseId}:2` })]);
  expect(notices(i.caseId)).toEqual(expect.arrayContaining(['complaint.award_paid>customer', 'complaint.closed.judged>customer']));
});

test('mediation failed: arbitration chosen, the award for the merchant pays nothing; the rating lapse is recorded', async () => {
  const i = input();
  const h = await start(i);
  await toOutsideRoutes(h);
  expect(event(i.caseId, 'complaint.mediation_failed').payload).toEqual({ reason: 'no_agreement', sessions: 0 });
  await refused(update(h, chooseOutsideRouteUpdate, { actor: storefront, route: 'arbitration', institution: '<script>' }), /institution/);
  await update(h, chooseOutsideRouteUpdate, { actor: merchant, route: 'arbitration', institution: 'CIETAC' });
  await refused(update(h, chooseOutsideRouteUpdate, { actor: storefront, route: 'litigation', institution: 'Court' }), /not waiting/);
  await refused(complete(h, 'complaint.outside_status_update', { status: 'decided', result: 'for_merchant', decisionId: AWARD, amount: '10.00' }), /orders no payment/);
  await complete(h, 'complaint.outside_status_update', { status: 'decided', result: 'for_merchant', decisionId: AWARD });
  expect(await h.result()).toEqual({ outcome: 'awarded', rating: 'no_rating' });
  expect(paymentsOf(i.caseId)).toEqual([]);
  expect(event(i.caseId, 'complaint.outside_route_chosen').payload).toEqual({ route: 'arbitration', institution: 'CIETAC', by: 'merchant' });
  expect(eventTypes(i.caseId)).toEqual(expect.arrayContaining(['complaint.dossier_exported', 'complaint.outside_result', 'complaint.no_rating']));
});

test('an agreement declined: the outside routes are offered; none chosen by the deadline closes the complaint unresolved', async () => {
  const i = input();
  const h = await start(i);
  await toAgreement(h, { terms: 'apology' });
  await update(h, respondMediationAgreementUpdate, { actor: merchant, decision: 'decline' });
  await atStep(h, 'outside_route_offered');
  const due = await deadlineOf(h, 'outsideRouteChoice');
  expect(await h.result()).toEqual({ outcome: 'unresolved', rating: null });
  expect(event(i.caseId, 'complaint.mediation_agreement_declined').payload).toMatchObject({ party: 'merchant', agreementId: AGREEMENT });
  const lapse = event(i.caseId, 'complaint.outside_route_not_chosen');
  expect(lapse.payload).toEqual({ dueAt: due });
  expectAt(lapse.at, due);
});

test('an agreement accepted by one party only lapses at its deadline: the acceptance is named, the outside routes offered', async () => {
  const i = input();
  const h = await start(i);
  await toAgreement(h, { terms: 'refund', amount: '20.00' });
  const due = await deadlineOf(h, 'agreementAcceptance');
  await update(h, respondMediationAgreementUpdate, { actor: storefront, decision: 'accept' });
  await sleepPast(due);
  await atStep(h, 'outside_route_offered');
  const lapse = event(i.caseId, 'complaint.mediation_agreement_lapsed');
  expect(lapse.payload).toEqual({ dueAt: due, agreementId: AGREEMENT, accepted: ['complainant'] });
  expectAt(lapse.at, due);
  await update(h, cancelCaseUpdate, { actor: storefront, reasonCode: 'customer_request' });
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
  expect(paymentsOf(i.caseId)).toEqual([]);
});

test('the mediation deadline passes: a supervisor is told, the mediator still concludes', async () => {
  const i = input();
  const h = await start(i);
  await toMediation(h);
  const due = await deadlineOf(h, 'mediation');
  await sleepPast(due);
  await waitForState(current(h), (s) => !!s.tasks.find((t) => t.type === 'complaint.mediation' && t.escalated), 'escalated mediation');
  const escalation = forCase(i.caseId, fakes.fake.of('escalateTask')).find((e) => e.slaName === 'mediation' && e.kind === 'breach');
  expectAt(escalation.at, due);
  await complete(h, 'complaint.mediation', { outcome: 'failed', reason: 'party_absent' }, mediator);
  await atStep(h, 'outside_route_offered');
  await update(h, cancelCaseUpdate, { actor: storefront, reasonCode: 'customer_request' });
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
});

describe('withdrawal by the complainant at each rung', () => {
  const rungs: [string, (h: Handle) => Promise<unknown>][] = [
    ['mediation offered', toMediationOffered],
    ['mediation', toMediation],
    ['mediation agreement', (h) => toAgreement(h, { terms: 'apology' })],
    ['outside routes offered', toOutsideRoutes],
    [
      'arbitration',
      async (h) => {
        await toOutsideRoutes(h);
        await update(h, chooseOutsideRouteUpdate, { actor: storefront, route: 'arbitration', institution: 'Shanghai Arbitration Commission' });
        await waitForState(current(h), (s) => !!openTaskOf(s, 'complaint.outside_status_update'), 'status update task');
      },
    ],
  ];
  test.each(rungs)('%s', async (_name, reach) => {
    const i = input();
    const h = await start(i);
    await reach(h);
    await update(h, cancelCaseUpdate, { actor: storefront, reasonCode: 'customer_request' });
    expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
    expect(notices(i.caseId)).toContain('complaint.closed.withdrawn>customer');
    expect(paymentsOf(i.caseId)).toEqual([]);
  });
});

test('the negotiation settles in the window: no mediation is offered (the ladder is climbed only on a lapse)', async () => {
  const i = input();
  const h = await start(i);
  await complete(h, 'complaint.information_review', { outcome: 'complete' });
  await complete(h, 'complaint.preliminary_judgement', { classification: 'service' });
  await atStep(h, 'merchant_reply');
  await h.signal(threadMessageSignal, { messageId: 'msg_m1', party: 'merchant', at: new Date().toISOString() });
  await atStep(h, 'negotiation');
  await update(h, proposeSettlementUpdate, { actor: merchant, terms: 'apology' });
  await refused(update(h, requestMediationUpdate, { actor: storefront }), /not waiting for mediation offered/);
  expect(eventTypes(i.caseId)).not.toContain('complaint.mediation_requested');
  await update(h, cancelCaseUpdate, { actor: storefront, reasonCode: 'customer_request' });
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
});

test('the staff steps\' deadlines: information review, judgement and platform review go to the supervisor queue at their working-time deadlines', async () => {
  const i = input();
  const h = await start(i);
  const escalatedAt = async (type: string, slaName: string) => {
    const due = await deadlineOf(h, slaName);
    await sleepPast(due);
    const v = await waitForState(current(h), (s) => !!s.tasks.find((t) => t.type === type && t.escalated && t.role === 'supervisor'), `${type} escalated`);
    const escalation = forCase(i.caseId, fakes.fake.of('escalateTask')).find((e) => e.slaName === slaName && e.kind === 'breach');
    expect({ dueAt: escalation.dueAt, action: escalation.action }).toEqual({ dueAt: due, action: 'reassign-to-supervisor' });
    expectAt(escalation.at, due);
    // An agent may no longer complete it; the supervisor does.
    await expect(complete(h, type, {}, agent)).rejects.toThrow();
    return v;
  };
  await escalatedAt('complaint.information_review', 'informationReview');
  await complete(h, 'complaint.information_review', { outcome: 'complete' }, supervisor);
  await escalatedAt('complaint.preliminary_judgement', 'preliminaryJudgement');
  await complete(h, 'complaint.preliminary_judgement', { classification: 'after_sales' }, supervisor);
  await sleepPast(await deadlineOf(h, 'merchantReply'));
  await escalatedAt('complaint.platform_review', 'platformReview');
  await complete(h, 'complaint.platform_review', { decision: 'negotiate' }, supervisor);
  await atStep(h, 'negotiation');
  expect(notices(i.caseId).filter((x) => x === 'task.escalated>role')).toHaveLength(3);
  await update(h, cancelCaseUpdate, { actor: storefront, reasonCode: 'customer_request' });
  expect(await h.result()).toEqual({ outcome: 'withdrawn', rating: null });
});
