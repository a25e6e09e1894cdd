// A dispute that runs for half a year (policy 8.3, 8.4), on the time-skipping server with the case's writes on
// PostgreSQL: negotiation, mediation, an agreement declined, arbitration, and six months' wait for the award with a
// status update each month. Every rung and every month is a run of its own: the largest run stays under a stated bound,
// the case answers its query throughout, its audit chain is valid, and it completes with the award paid.
import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { applyWritesIn } from '../../activities/caseWrites';
import { verifyAuditChain } from '../../activities/audit';
import { createDb, withPgTransaction, type Db } from '../../lib/db';
import { COMPLAINT_HISTORY } from '../../policy/complaints';
import { caseStateQuery, completeTaskUpdate, threadMessageSignal, type Actor } from '../../workflows/definitions';
import {
  chooseOutsideRouteUpdate,
  complaint,
  proposeSettlementUpdate,
  rateComplaintUpdate,
  requestMediationUpdate,
  respondMediationAgreementUpdate,
  respondSettlementUpdate,
} from '../../workflows/complaint';
import { everyRun } from '../../scripts/harness/runs';
import { caseWorker, createTimeSkippingEnv, executeUpdate, openTaskOf, waitForState } from '../../scripts/harness/timeSkipping';
import { complaintInput, createComplaintFakeActivities } from '../../scripts/scenarios/complaint';
import { requireEnv } from '../helpers/env';

/** The bound this test holds every run to: one rung or one month of a dispute (the process's own bound is COMPLAINT_HISTORY). */
const RUN_BOUND_EVENTS = 100;
const MONTHS = 6;
const agent: Actor = { id: 'principal-agent-long', role: 'agent' };
const mediator: Actor = { id: 'principal-mediator-long', role: 'mediator' };
const storefront: Actor = { id: 'principal-storefront', role: 'storefront' };
const merchant: Actor = { id: 'principal-merchant-1', role: 'merchant', merchantId: 'merchant-fixture' };

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let db: Db;
const fakes = createComplaintFakeActivities();
const taskQueue = 'complaint-long-dispute';

beforeAll(async () => {
  db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 4 });
  env = await createTimeSkippingEnv();
  // The generic fakes record the writes; the same writes land on PostgreSQL, so the audit chain is real.
  worker = await caseWorker(env, taskQueue, {
    ...fakes.activities,
    applyCaseWrites: async (input: Parameters<typeof fakes.activities.applyCaseWrites>[0]) => {
      await fakes.activities.applyCaseWrites(input);
      await withPgTransaction(db, (client) => applyWritesIn(client, input.caseId, input.writes, null));
    },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.$disconnect();
});

test('six months to an arbitral award: bounded runs, queryable throughout, a valid audit chain, completed', async () => {
  const caseId = `CMP-LONG-${crypto.randomUUID()}`;
  const i = complaintInput(caseId);
  await db.case.create({ data: { id: caseId, type: 'complaint', status: 'open', step: 'review', customerId: i.complainantId, merchantId: i.merchantId, policyVersion: i.policy.version, workflowId: caseId, summary: {}, openedBy: i.openedBy } });
  const started = await env.client.workflow.start(complaint, { taskQueue, workflowId: caseId, args: [i] });
  const h = env.client.workflow.getHandle(caseId);
  const steps: string[] = [];
  /** The case answers at every point of the dispute, whichever run is current. */
  const at = async (step: string, extra: (v: any) => boolean = () => true) => {
    const v = await waitForState(h, (s) => s.step === step && extra(s), step);
    steps.push(v.step);
    return v;
  };
  const complete = async (type: string, payload: unknown, actor: Actor = agent) => {
    const v = await waitForState(h, (s) => !!openTaskOf(s, type), type);
    await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
  };
  const sleepPast = async (due: string) => env.sleep(Math.max(0, Date.parse(due) - (await env.currentTimeMs())) + 1_000);

  await complete('complaint.information_review', { outcome: 'complete' });
  await complete('complaint.preliminary_judgement', { classification: 'product_quality' });
  await at('merchant_reply');
  await h.signal(threadMessageSignal, { messageId: 'msg_long_m1', party: 'merchant', at: new Date().toISOString() });
  const negotiation = await at('negotiation', (s) => !!s.deadlines.negotiation);
  // Negotiation: a proposal declined, no settlement in the window.
  await executeUpdate(h, proposeSettlementUpdate, { args: [{ actor: storefront, terms: 'refund', amount: '900.00' }] });
  await executeUpdate(h, respondSettlementUpdate, { args: [{ actor: merchant, proposal: 1, decision: 'decline' }] });
  await sleepPast(negotiation.deadlines.negotiation!);
  await at('mediation_offered');
  await executeUpdate(h, requestMediationUpdate, { args: [{ actor: storefront }] });
  // Mediation: an agreement drafted, then declined by the merchant.
  await complete('complaint.mediation', { outcome: 'agreement', agreementId: `att_${'c'.repeat(32)}`, terms: 'refund', amount: '600.00' }, mediator);
  await at('mediation_agreement');
  await executeUpdate(h, respondMediationAgreementUpdate, { args: [{ actor: storefront, decision: 'accept' }] });
  await executeUpdate(h, respondMediationAgreementUpdate, { args: [{ actor: merchant, decision: 'decline' }] });
  await at('outside_route_offered');
  await executeUpdate(h, chooseOutsideRouteUpdate, { args: [{ actor: storefront, route: 'arbitration', institution: 'Shenzhen Court of International Arbitration' }] });
  // Six months before the award, a status update each month, each on its deadline's eve.
  for (let month = 1; month <= MONTHS; month++) {
    const v = await at('arbitration', (s) => !!openTaskOf(s, 'complaint.outside_status_update') && !!s.deadlines.statusUpdate);
    await env.sleep(Math.max(0, Date.parse(v.deadlines.statusUpdate!) - (await env.currentTimeMs()) - 86_400_000));
    await complete('complaint.outside_status_update', { status: 'pending', stage: month === 1 ? 'accepted' : 'hearing_scheduled' });
  }
  await at('arbitration', (s) => !!openTaskOf(s, 'complaint.outside_status_update'));
  await complete('complaint.outside_status_update', { status: 'decided', result: 'partly_for_complainant', decisionId: `att_${'d'.repeat(32)}`, amount: '700.00' });
  await at('rating');
  await executeUpdate(h, rateComplaintUpdate, { args: [{ actor: storefront, rating: 3 }] });
  expect(await started.result()).toEqual({ outcome: 'awarded', rating: 3 });

  // Half a year passed; no update was missed.
  const opened = Date.parse(fakes.fake.of('recordCaseEvent').find((e) => e.caseId === caseId && e.type === 'case.opened').at);
  const closed = Date.parse(fakes.fake.of('recordCaseEvent').find((e) => e.caseId === caseId && e.type === 'case.closed').at);
  expect(closed - opened).toBeGreaterThan(180 * 86_400_000);
  expect(fakes.fake.of('escalateTask').filter((e) => e.caseId === caseId && e.kind === 'breach')).toEqual([]);
  expect(steps.filter((s) => s === 'arbitration')).toHaveLength(MONTHS + 1);

  // Bounded: each rung and each month a run; the largest run under the stated bound (and the process's own).
  const runs = await everyRun(env.client, caseId, started.firstExecutionRunId);
  const sizes = runs.map((r) => r.history.events!.length);
  console.log(`long dispute: ${runs.length} runs, events per run ${sizes.join(', ')}; largest ${Math.max(...sizes)}`);
  expect(runs.length).toBeGreaterThanOrEqual(MONTHS + 3);
  expect(Math.max(...sizes)).toBeLessThan(RUN_BOUND_EVENTS);
  expect(RUN_BOUND_EVENTS).toBeLessThanOrEqual(COMPLAINT_HISTORY.events!);

  // One valid audit chain across every run, the award paid once under its own key.
  const chain = await verifyAuditChain(db, caseId);
  expect(chain).toMatchObject({ caseId, valid: true });
  const trail = await db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } });
  expect(trail.filter((e) => e.type === 'complaint.status_updated')).toHaveLength(MONTHS);
  expect(trail.map((e) => e.type)).toEqual(expect.arrayContaining(['complaint.negotiation_lapsed', 'complaint.mediation_agreement_declined', 'complaint.outside_route_chosen', 'complaint.dossier_exported', 'complaint.outside_result', 'complaint.award_paid', 'case.closed']));
  expect(fakes.payments.filter((p) => p.caseId === caseId)).toEqual([expect.objectContaining({ purpose: 'award', amountMinor: 70000, idempotencyKey: `award:${caseId}:${MONTHS + 1}` })]);
  expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).outcome).toBe('awarded');
  expect((await h.query(caseStateQuery)).status).toBe('closed');
});
