// Every running deadline is on the case: GET /v1/cases/:caseId lists the deadline of each open task (as the
// workflow sends it with openTask/closeTask) beside the case's own dates, exactly as the calendar computes
// them, and drops a deadline once it no longer runs. Real Temporal dev server, PostgreSQL and worker.
import type { PolicyConfig } from '../../processes/policyDocument';
import { addWorkingHours } from '../../policy/businessCalendar';
import { deadlineFrom } from '../../policy/durations';
import { returnWindowEndsAt } from '../../policy/returns';
import { checkWarranty } from '../../policy/warrantyRepair';
import { idem, repairBody, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

async function open(body: unknown) {
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect({ status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({ status: 201, body: undefined });
  return res.body.caseId as string;
}

/** The policy the case runs with (the workflow input stored when the case opened). */
async function policyOf(caseId: string): Promise<PolicyConfig> {
  const row = await sys.db.case.findUniqueOrThrow({ where: { id: caseId } });
  return (row.summary as any).workflowInput.policy as PolicyConfig;
}

const caseState = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;

function openTask(caseId: string, type: string, key: string) {
  return eventually(async () => {
    const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key });
    return r.body?.tasks?.find((t: any) => t.type === type);
  }, `${type} task`);
}

/**
 * Waits until the workflow is at `step` with the SLA `sla` running, then until the case resource lists the
 * same deadlines as the workflow (the read model catches up with every write); returns both.
 */
async function runningDeadlinesAt(caseId: string, step: string, sla: string) {
  const live = await eventually(async () => {
    const c = (await call(sys, 'GET', `/v1/cases/${caseId}?live=true`, { key: sys.keys.auditor.apiKey })).body;
    return c.live?.step === step && c.live.deadlines?.[sla] ? c.live : undefined;
  }, `${step} with ${sla} running`);
  const facts = live.slas.find((x: any) => x.name === sla);
  let shown: any;
  for (let i = 0; i < 50; i++) {
    shown = await caseState(caseId);
    if (JSON.stringify(sortKeys(shown.deadlines)) === JSON.stringify(sortKeys(live.deadlines))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { live, facts, shown };
}
const sortKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)));

async function complete(taskId: string, key: string, payload: unknown) {
  const res = await call(sys, 'POST', `/v1/tasks/${taskId}/complete`, { key, body: { payload } });
  expect({ status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({ status: 200, body: undefined });
}

test('return: while the merchant review is open its deadline is on the case beside the return window; once reviewed it is gone', async () => {
  const body = returnBody(sys.keys.merchant.merchantId);
  const caseId = await open(body);
  const policy = await policyOf(caseId);
  const windowEndsAt = returnWindowEndsAt(new Date(body.order.deliveredAt), policy.returnWithin7Days, policy.calendar).toISOString();

  const review = await openTask(caseId, 'return.merchant_review', sys.keys.merchant.apiKey);
  expect(review.dueAt).toBe(deadlineFrom(new Date(review.createdAt), policy.returnWithin7Days.merchantReview.within, policy.calendar).toISOString());
  // The task row and the case's deadlines are written in one transaction: visible together.
  const during = await caseState(caseId);
  expect(during.deadlines).toEqual({ returnWindowEndsAt: windowEndsAt, merchantReview: review.dueAt });
  expect(during.summary.windowEndsAt).toBe(windowEndsAt);
  expect(during.openTasks.map((t: any) => [t.type, t.dueAt])).toEqual([['return.merchant_review', during.deadlines.merchantReview]]);

  await complete(review.taskId, sys.keys.merchant.apiKey, { decision: 'approve' });
  // The completion answered after the task was closed, which took its deadline off the case.
  const reviewed = await caseState(caseId);
  expect(reviewed.deadlines).not.toHaveProperty('merchantReview');
  expect(reviewed.deadlines.returnWindowEndsAt).toBe(windowEndsAt);
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

test('return: once reviewed, the next running deadline (the customer shipment) is on the case, as the workflow has it', async () => {
  const body = returnBody(sys.keys.merchant.merchantId);
  const caseId = await open(body);
  const policy = await policyOf(caseId);
  const review = await openTask(caseId, 'return.merchant_review', sys.keys.merchant.apiKey);
  await complete(review.taskId, sys.keys.merchant.apiKey, { decision: 'approve' });

  const { live, facts, shown } = await runningDeadlinesAt(caseId, 'awaiting_customer_shipment', 'customerShipment');
  expect(live.deadlines.customerShipment).toBe(deadlineFrom(new Date(facts.startedAt), policy.returnWithin7Days.customerShipment.within, policy.calendar).toISOString());
  expect(Object.keys(live.deadlines).sort()).toEqual(['customerShipment', 'returnWindowEndsAt']);
  // The read model must not keep an older list (e.g. the review's close, written after the step change).
  expect({ step: shown.step, deadlines: shown.deadlines }).toEqual({ step: 'awaiting_customer_shipment', deadlines: live.deadlines });
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

test('warranty repair: while the first response is open its deadline is on the case beside the warranty end; once answered it is gone', async () => {
  const body = repairBody(sys.keys.merchant.merchantId);
  const caseId = await open(body);
  const policy = await policyOf(caseId);
  const warranty = checkWarranty({ deliveredAt: new Date(body.order.deliveredAt), warrantyMonths: body.warrantyMonths, requestedAt: new Date(), calendar: policy.calendar });
  if (!warranty.ok) throw new Error(warranty.message);
  const warrantyEndsAt = warranty.warrantyEndsAt.toISOString();

  const response = await openTask(caseId, 'repair.first_response', sys.keys.agent.apiKey);
  expect(policy.warrantyRepair.firstResponse.within).toEqual({ amount: 2, unit: 'working-hours' });
  expect(response.dueAt).toBe(addWorkingHours(policy.calendar, new Date(response.createdAt), 2).toISOString());
  const during = await caseState(caseId);
  expect(during.deadlines).toEqual({ warrantyEndsAt, firstResponse: response.dueAt });
  expect(during.repair.warrantyEndsAt).toBe(warrantyEndsAt);
  expect(during.openTasks.map((t: any) => [t.type, t.dueAt])).toEqual([['repair.first_response', during.deadlines.firstResponse]]);

  await complete(response.taskId, sys.keys.agent.apiKey, { solution: 'free_repair' });
  const answered = await caseState(caseId);
  expect(answered.deadlines).not.toHaveProperty('firstResponse');
  expect(answered.deadlines.warrantyEndsAt).toBe(warrantyEndsAt);
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});

test('warranty repair: once answered, the next running deadline (the hand-over) is on the case, as the workflow has it', async () => {
  const caseId = await open(repairBody(sys.keys.merchant.merchantId));
  const policy = await policyOf(caseId);
  const response = await openTask(caseId, 'repair.first_response', sys.keys.agent.apiKey);
  await complete(response.taskId, sys.keys.agent.apiKey, { solution: 'free_repair' });

  const { live, facts, shown } = await runningDeadlinesAt(caseId, 'awaiting_hand_over', 'handOver');
  expect(live.deadlines.handOver).toBe(deadlineFrom(new Date(facts.startedAt), policy.warrantyRepair.handOver.within, policy.calendar).toISOString());
  expect(Object.keys(live.deadlines).sort()).toEqual(['handOver', 'warrantyEndsAt']);
  expect({ step: shown.step, deadlines: shown.deadlines }).toEqual({ step: 'awaiting_hand_over', deadlines: live.deadlines });
  await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } });
});
