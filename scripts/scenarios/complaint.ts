// Scenarios recorded as complaint history fixtures (scripts/record-histories.ts), and the fakes the complaint's
// workflow tests share: the generic fake activities plus a recording fake of the settlement payment.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PayComplaintSettlementInput } from '../../activities/complaint';
import { complaintPaymentKey } from '../../policy/complaints';
import type { ExportCaseDossierInput } from '../../activities/types';
import { completeTaskUpdate, threadMessageSignal, type Actor } from '../../workflows/definitions';
import { complaint, proposeSettlementUpdate, rateComplaintUpdate, respondSettlementUpdate, type ComplaintCaseInput } from '../../workflows/complaint';
import { createFakeActivities } from '../harness/fakeActivities';
import { executeUpdate, openTaskOf, testPolicy, waitForState, caseWorker } from '../harness/timeSkipping';
import type { ScenarioSet } from './types';

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

export const complaintScenarios: ScenarioSet = {
  /** Reviewed, classified, the merchant replies, a compensation proposed and accepted, paid, rated. */
  async 'complaint.settledPaidAndRated'({ env, taskQueue, workflowId: caseId }) {
    const queue = `${taskQueue}-complaint`;
    const { worker } = await complaintWorker(env, queue);
    await worker.runUntil(async () => {
      const h = await env.client.workflow.start(complaint, { taskQueue: queue, workflowId: caseId, args: [complaintInput(caseId)] });
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
      await h.result();
    });
  },
  /** Incomplete twice: the complainant answers the first question in the thread, not the second: withdrawn at its deadline. */
  async 'complaint.askedTwiceThenLapsed'({ env, taskQueue, workflowId: caseId }) {
    const queue = `${taskQueue}-complaint`;
    const { worker } = await complaintWorker(env, queue);
    await worker.runUntil(async () => {
      const h = await env.client.workflow.start(complaint, { taskQueue: queue, workflowId: caseId, args: [complaintInput(caseId)] });
      const incomplete = async () => {
        const v = await waitForState(h, (s) => !!openTaskOf(s, 'complaint.information_review'), 'review');
        await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'complaint.information_review')!.taskId, actor: agent, payload: { outcome: 'incomplete', missing: ['evidence'] } }] });
        await waitForState(h, (s) => s.step === 'awaiting_information' && !!s.deadlines.informationReply, 'question');
      };
      await incomplete();
      await h.signal(threadMessageSignal, { messageId: 'msg_fixture_customer', party: 'customer', at: new Date().toISOString() });
      await incomplete();
      await h.result();
    });
  },
};
