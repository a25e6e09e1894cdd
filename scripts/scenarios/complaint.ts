// Scenarios recorded as complaint history fixtures (scripts/record-histories.ts), and the fakes the complaint's
// workflow tests share: the generic fake activities plus a recording fake of the settlement payment.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PayComplaintSettlementInput } from '../../activities/complaint';
import { complaintPaymentKey } from '../../policy/complaints';
import type { ExportCaseDossierInput } from '../../activities/types';
import { completeTaskUpdate, threadMessageSignal, type Actor } from '../../workflows/definitions';
import {
  chooseOutsideRouteUpdate,
  complaint,
  proposeSettlementUpdate,
  rateComplaintUpdate,
  recordMediationSessionUpdate,
  requestMediationUpdate,
  respondMediationAgreementUpdate,
  respondSettlementUpdate,
  type ComplaintCaseInput,
} from '../../workflows/complaint';
import { createFakeActivities } from '../harness/fakeActivities';
import { executeUpdate, openTaskOf, testPolicy, waitForState, caseWorker } from '../harness/timeSkipping';
import type { Scenario, ScenarioSet } from './types';

/** The generic fakes and a payment fake that pays once per idempotency key (as the gateway does). */
export function createComplaintFakeActivities() {
  const fake = createFakeActivities();
  const payments: (PayComplaintSettlementInput & { idempotencyKey: string })[] = [];
  const complaintActivities = {
    async payComplaintSettlement(input: PayComplaintSettlementInput) {
      const idempotencyKey = complaintPaymentKey(input.purpose ?? 'settlement', input.caseId, input.proposal);
      if (!payments.some((p) => p.idempotencyKey === idempotencyKey)) payments.push({ ...input, idempotencyKey });
      return { paymentId: `pay-${idempotencyKey}`, gatewayRef: `SIM-${idempotencyKey}` };
    },
  };
  /** The dossier export: one attachment per event key, as the worker's activity keeps it. */
  const dossiers: ExportCaseDossierInput[] = [];
  const dossierActivities = {
    async exportCaseDossier(input: ExportCaseDossierInput) {
      if (!dossiers.some((d) => d.eventKey === input.eventKey)) dossiers.push(input);
      const n = dossiers.findIndex((d) => d.eventKey === input.eventKey) + 1;
      return { attachmentId: `att_${n.toString(16).padStart(32, '0')}`, sha256: n.toString(16).padStart(64, '0'), sizeBytes: 10_240 * n };
    },
  };
  return { fake, payments, dossiers, activities: { ...fake.activities, ...complaintActivities, ...dossierActivities } };
}

export async function complaintWorker(env: TestWorkflowEnvironment, taskQueue: string) {
  const fakes = createComplaintFakeActivities();
  return { worker: await caseWorker(env, taskQueue, fakes.activities), ...fakes };
}

/** A complaint by the storefront (channel online); the calendar as written by hand (no holiday data read). */
export function complaintInput(caseId: string, over: Partial<ComplaintCaseInput> = {}): ComplaintCaseInput {
  const policy = testPolicy();
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = policy.calendar;
  return {
    caseId,
    openedBy: 'prn_fixture_storefront',
    policy: { version: policy.version, calendar: handWritten, complaint: policy.complaint },
    complainantId: `cust-${caseId}`,
    merchantId: 'merchant-fixture',
    orderId: 'ORD-COMPLAINT',
    category: 'product_quality',
    channel: 'online',
    linkedFrom: null,
    ...over,
  };
}

const agent: Actor = { id: 'prn_fixture_agent', role: 'agent' };
const storefront: Actor = { id: 'prn_fixture_storefront', role: 'storefront' };
const merchant: Actor = { id: 'prn_fixture_merchant', role: 'merchant', merchantId: 'merchant-fixture' };
const mediator: Actor = { id: 'prn_fixture_mediator', role: 'mediator' };
const supervisor: Actor = { id: 'prn_fixture_supervisor', role: 'supervisor' };

/** A complaint driven up the ladder (policy 8.3, 8.4) on the time-skipping server: the steps the ladder fixtures share. */
function ladder(env: TestWorkflowEnvironment, caseId: string) {
  const h = () => env.client.workflow.getHandle(caseId);
  const complete = async (type: string, payload: unknown, actor: Actor = agent) => {
    const v = await waitForState(h(), (s) => !!openTaskOf(s, type), type);
    await executeUpdate(h(), completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
  };
  const at = (step: string, extra: (v: any) => boolean = () => true) => waitForState(h(), (s) => s.step === step && extra(s), step);
  const sleepPast = async (due: string) => env.sleep(Math.max(0, Date.parse(due) - (await env.currentTimeMs())) + 1_000);
  return {
    h,
    complete,
    at,
    sleepPast,
    /** Reviewed, classified, the merchant replied in the thread, no settlement in the window: mediation is offered. */
    async toMediationOffered() {
      await complete('complaint.information_review', { outcome: 'complete' });
      await complete('complaint.preliminary_judgement', { classification: 'product_quality' });
      await at('merchant_reply');
      await h().signal(threadMessageSignal, { messageId: 'msg_fixture_merchant', party: 'merchant', at: new Date().toISOString() });
      const v = await at('negotiation', (s) => !!s.deadlines.negotiation);
      await executeUpdate(h(), proposeSettlementUpdate, { args: [{ actor: storefront, terms: 'refund', amount: '300.00' }] });
      await executeUpdate(h(), respondSettlementUpdate, { args: [{ actor: merchant, proposal: 1, decision: 'decline' }] });
      await sleepPast(v.deadlines.negotiation!);
      await at('mediation_offered');
    },
    /** Mediation asked for and held (one session). */
    async toMediation() {
      await this.toMediationOffered();
      await executeUpdate(h(), requestMediationUpdate, { args: [{ actor: storefront }] });
      await waitForState(h(), (s) => !!openTaskOf(s, 'complaint.mediation'), 'mediation task');
      await executeUpdate(h(), recordMediationSessionUpdate, { args: [{ actor: mediator, form: 'video', attended: ['complainant', 'merchant'], result: 'progress' }] });
    },
  };
}

/** A complaint opened online on a queue of its own, driven by `drive`, then awaited to its end. */
function complaintScenario(drive: (h: WorkflowHandle, ctx: { env: TestWorkflowEnvironment; caseId: string }) => Promise<void>): Scenario {
  return async ({ env, taskQueue, workflowId: caseId }) => {
    const queue = `${taskQueue}-complaint`;
    const { worker } = await complaintWorker(env, queue);
    await worker.runUntil(async () => {
      const started = await env.client.workflow.start(complaint, { taskQueue: queue, workflowId: caseId, args: [complaintInput(caseId)] });
      await drive(started, { env, caseId });
      await started.result();
    });
  };
}

export const complaintScenarios: ScenarioSet = {
  /** Reviewed, classified, the merchant replies, a compensation proposed and accepted, paid, rated. */
  'complaint.settledPaidAndRated': complaintScenario(async (h) => {
    const complete = async (type: string, payload: unknown) => {
      const v = await waitForState(h, (s) => !!openTaskOf(s, type), type);
      await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor: agent, payload }] });
    };
    await complete('complaint.information_review', { outcome: 'complete' });
    await complete('complaint.preliminary_judgement', { classification: 'product_quality' });
    await waitForState(h, (s) => s.step === 'merchant_reply', 'merchant reply');
    await h.signal(threadMessageSignal, { messageId: 'msg_fixture_merchant', party: 'merchant', at: new Date().toISOString() });
    await waitForState(h, (s) => s.step === 'negotiation', 'negotiation');
    await executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: merchant, terms: 'compensation', amount: '50.00' }] });
    await executeUpdate(h, respondSettlementUpdate, { args: [{ actor: storefront, proposal: 1, decision: 'accept' }] });
    await waitForState(h, (s) => s.step === 'rating', 'rating');
    await executeUpdate(h, rateComplaintUpdate, { args: [{ actor: storefront, rating: 5 }] });
  }),
  /** Incomplete twice: the complainant answers the first question in the thread, not the second: withdrawn at its deadline. */
  'complaint.askedTwiceThenLapsed': complaintScenario(async (h) => {
    const incomplete = async () => {
      const v = await waitForState(h, (s) => !!openTaskOf(s, 'complaint.information_review'), 'review');
      await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'complaint.information_review')!.taskId, actor: agent, payload: { outcome: 'incomplete', missing: ['evidence'] } }] });
      await waitForState(h, (s) => s.step === 'awaiting_information' && !!s.deadlines.informationReply, 'question');
    };
    await incomplete();
    await h.signal(threadMessageSignal, { messageId: 'msg_fixture_customer', party: 'customer', at: new Date().toISOString() });
    await incomplete();
  }),
  /** Ladder: no settlement in the window, mediation offered and not asked for: closed unresolved at its deadline (one run). */
  'complaint.v2MediationNotRequested': complaintScenario(async (_h, { env, caseId }) => {
    await ladder(env, caseId).toMediationOffered();
  }),
  /** Ladder: mediation agreed (a compensation), accepted by both parties, paid, rated (the mediation's run is the last). */
  'complaint.v2MediatedCompensationPaid': complaintScenario(async (_h, { env, caseId }) => {
    const l = ladder(env, caseId);
    await l.toMediation();
    await l.complete('complaint.mediation', { outcome: 'agreement', agreementId: `att_${'a'.repeat(32)}`, terms: 'compensation', amount: '80.00' }, mediator);
    await l.at('mediation_agreement');
    await executeUpdate(l.h(), respondMediationAgreementUpdate, { args: [{ actor: merchant, decision: 'accept' }] });
    await executeUpdate(l.h(), respondMediationAgreementUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
    await l.at('rating');
    await executeUpdate(l.h(), rateComplaintUpdate, { args: [{ actor: storefront, rating: 4 }] });
  }),
  /** Ladder: mediation failed, arbitration chosen, the dossier exported, one monthly update, then the award paid and rated. */
  'complaint.v2ArbitrationAwardPaid': complaintScenario(async (_h, { env, caseId }) => {
    const l = ladder(env, caseId);
    await l.toMediation();
    await l.complete('complaint.mediation', { outcome: 'failed', reason: 'no_agreement' }, mediator);
    await l.at('outside_route_offered');
    await executeUpdate(l.h(), chooseOutsideRouteUpdate, { args: [{ actor: storefront, route: 'arbitration', institution: 'CIETAC' }] });
    await l.complete('complaint.outside_status_update', { status: 'pending', stage: 'accepted' });
    await l.at('arbitration', (s) => s.tasks.filter((t: any) => t.type === 'complaint.outside_status_update' && t.status === 'open').length === 1);
    await l.complete('complaint.outside_status_update', { status: 'decided', result: 'for_complainant', decisionId: `att_${'b'.repeat(32)}`, amount: '500.00' });
    await l.at('rating');
    await executeUpdate(l.h(), rateComplaintUpdate, { args: [{ actor: storefront, rating: 5 }] });
  }),
  /** A privacy complaint (patch complaint-privacy-opens-breach): classified privacy, a linked breach response opened, handed over. */
  'complaint.v3PrivacyOpensBreach': complaintScenario(async (h) => {
    const complete = async (type: string, payload: unknown) => {
      const v = await waitForState(h, (s) => !!openTaskOf(s, type), type);
      await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor: agent, payload }] });
    };
    await complete('complaint.information_review', { outcome: 'complete' });
    await complete('complaint.preliminary_judgement', { classification: 'privacy' });
  }),
  /** Ladder: an agreement in kind not carried out, a supervisor finds it so; litigation chosen, its update missed then given, the judgement paid. */
  'complaint.v2AgreementNotCarriedOutJudged': complaintScenario(async (_h, { env, caseId }) => {
    const l = ladder(env, caseId);
    await l.toMediation();
    await l.complete('complaint.mediation', { outcome: 'agreement', agreementId: `att_${'a'.repeat(32)}`, terms: 'replacement' }, mediator);
    await l.at('mediation_agreement');
    await executeUpdate(l.h(), respondMediationAgreementUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
    await executeUpdate(l.h(), respondMediationAgreementUpdate, { args: [{ actor: merchant, decision: 'accept' }] });
    const v = await l.at('agreement_execution', (s) => !!s.deadlines.agreementExecution);
    await l.sleepPast(v.deadlines.agreementExecution!);
    await l.complete('complaint.agreement_execution_review', { executed: false }, supervisor);
    await l.at('outside_route_offered');
    await executeUpdate(l.h(), chooseOutsideRouteUpdate, { args: [{ actor: merchant, route: 'litigation', institution: 'Hangzhou Internet Court' }] });
    const u = await l.at('litigation', (s) => !!s.deadlines.statusUpdate);
    await l.sleepPast(u.deadlines.statusUpdate!);
    await waitForState(l.h(), (s) => !!s.tasks.find((t) => t.type === 'complaint.outside_status_update' && t.escalated), 'escalated update');
    await l.complete('complaint.outside_status_update', { status: 'decided', result: 'partly_for_complainant', decisionId: `att_${'b'.repeat(32)}`, amount: '120.00' });
    await l.at('rating');
    await executeUpdate(l.h(), rateComplaintUpdate, { args: [{ actor: storefront, rating: 2 }] });
  }),
};
