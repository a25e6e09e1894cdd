// Every case that closed on the real Temporal dev server during this test run replays against the current
// workflow code: the order of local writes, update handlers and timers recorded under real timing is the
// order the code produces again. (The committed fixtures guard old histories; this guards live ones.)
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { idem, repairBody, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';
import { carrierDelivers } from '../helpers/webhooks';
import { workflowBundle } from '../../scripts/harness/timeSkipping';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';
import { processes } from '../../processes';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const task = (caseId: string, type: string) => eventually(async () => sys.db.task.findFirst({ where: { caseId, type, status: 'open' } }), type);
const complete = async (caseId: string, type: string, key: string, payload: unknown) => {
  const t = await task(caseId, type);
  expect((await call(sys, 'POST', `/v1/tasks/${t.id}/complete`, { key, body: { payload } })).status).toBe(200);
};
const closed = (caseId: string) => eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).status === 'closed' ? true : undefined), `case ${caseId} closed`);

test('cases driven over the API with concurrent updates and local writes replay exactly', async () => {
  const SF = sys.keys.storefront.apiKey;
  const M = sys.keys.merchant.apiKey;
  const A = sys.keys.agent.apiKey;
  // A return: rejected, platform review asked for and approved, shipped, inspected, refunded.
  const r = (await call(sys, 'POST', '/v1/cases', { key: SF, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } })).body.caseId as string;
  await complete(r, 'return.merchant_review', M, { decision: 'reject', reasonCode: 'other' });
  await eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id: r } })).step === 'awaiting_platform_review_request' ? true : undefined), 'rejected');
  expect((await call(sys, 'POST', `/v1/cases/${r}/actions/platform-review`, { key: SF, body: {} })).status).toBe(200);
  await complete(r, 'return.platform_review', A, { decision: 'approve' });
  await eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id: r } })).step === 'awaiting_customer_shipment' ? true : undefined), 'approved');
  expect((await call(sys, 'POST', `/v1/cases/${r}/actions/shipment`, { key: SF, body: { carrier: 'SF', trackingNumber: 'sim-delivered-SF1234567890' } })).status).toBe(200);
  await carrierDelivers(sys, r, 'sim-delivered-SF1234567890');
  await complete(r, 'return.merchant_inspection', M, { outcome: 'complete' });
  // A repair, in warranty, to the rating; and two returns cancelled while their review is open.
  const p = (await call(sys, 'POST', '/v1/cases', { key: SF, body: repairBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } })).body.caseId as string;
  await complete(p, 'repair.first_response', A, { solution: 'free_repair' });
  await eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id: p } })).step === 'awaiting_hand_over' ? true : undefined), 'hand-over step');
  expect((await call(sys, 'POST', `/v1/cases/${p}/actions/hand-over`, { key: SF, body: { method: 'drop_off', reference: 'SP-0001' } })).status).toBe(200);
  await complete(p, 'repair.confirm_receipt', A, { outcome: 'received' });
  await complete(p, 'repair.technician_report', A, { result: 'repaired', faultCode: 'power_supply', partsUsed: ['PSU-2000-A'] });
  await complete(p, 'repair.return_shipment', A, { carrier: 'SF', trackingNumber: 'SF0987654321' });
  await eventually(async () => ((await sys.db.case.findUniqueOrThrow({ where: { id: p } })).step === 'awaiting_rating' ? true : undefined), 'rating step');
  expect((await call(sys, 'POST', `/v1/cases/${p}/actions/rating`, { key: SF, body: { rating: 5 } })).status).toBe(200);
  const cancelled = await Promise.all([1, 2].map(async () => (await call(sys, 'POST', '/v1/cases', { key: SF, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } })).body.caseId as string));
  for (const c of cancelled) {
    await task(c, 'return.merchant_review');
    expect((await call(sys, 'POST', `/v1/cases/${c}/cancel`, { key: SF, body: { reasonCode: 'customer_request' } })).status).toBe(200);
  }
  for (const id of [r, p, ...cancelled]) await closed(id);

  // Replay every case that has closed on this server so far (this test's and the other files').
  const client = new Client({ connection: sys.connection });
  const histories = [];
  // Only the catalogue's types: other files start probe workflows on this server that the case bundle does not hold.
  const types = processes.map((proc) => `'${proc.workflow.name}'`).join(', ');
  for await (const w of client.workflow.list({ query: `ExecutionStatus = "Completed" AND WorkflowType IN (${types})` })) {
    histories.push({ workflowId: w.workflowId, history: await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory() });
  }
  expect(histories.map((h) => h.workflowId)).toEqual(expect.arrayContaining([r, p, ...cancelled]));
  const bundle = workflowBundle();
  const failures: string[] = [];
  for await (const res of Worker.runReplayHistories(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }, histories)) {
    if (res.error) failures.push(`${res.workflowId}: ${res.error.message}`);
  }
  expect(failures).toEqual([]);
});
