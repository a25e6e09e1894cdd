// Records real workflow histories as replay fixtures (test/fixtures/histories/*.json).
// Run after an intentional, versioned workflow change: `npx tsx scripts/record-histories.ts`.
// Scenarios run on the time-skipping server with in-memory activities, so 7-day timers pass instantly.
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { completeTaskUpdate, cancelCaseUpdate, type Actor } from '../workflows/definitions';
import { requestPlatformReviewUpdate, returnWithin7Days, submitReturnShipmentUpdate, type ReturnCaseInput } from '../workflows/returnWithin7Days';
import { createTimeSkippingEnv, executeUpdate, fakeWorker, openTaskOf, testPolicy, waitForState } from '../test/helpers/timeSkipping';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
const merchant: Actor = { id: 'prn_fixture_merchant', role: 'merchant' };
const agent: Actor = { id: 'prn_fixture_agent', role: 'agent' };
const storefront: Actor = { id: 'prn_fixture_storefront', role: 'storefront' };

function input(caseId: string, requestType: ReturnCaseInput['requestType'] = 'return_and_refund'): ReturnCaseInput {
  const now = Date.now();
  return {
    caseId,
    policy: testPolicy(),
    openedBy: storefront.id,
    order: { orderId: 'ORD-FIXTURE', lineItemId: 'LI-1', category: 'apparel', amountMinor: 19900, currency: 'CNY', customerId: 'cust-fixture', merchantId: 'merchant-fixture', deliveredAt: new Date(now - 86_400_000).toISOString() },
    requestType,
    reasonCode: 'no_reason',
    requestedAt: new Date(now).toISOString(),
  };
}

async function main() {
  const env = await createTimeSkippingEnv();
  const taskQueue = 'record-histories';
  const { worker } = await fakeWorker(env, taskQueue);
  const scenarios: Record<string, (caseId: string) => Promise<void>> = {
    async happyPath(caseId) {
      const h = await env.client.workflow.start(returnWithin7Days, { taskQueue, workflowId: caseId, args: [input(caseId)] });
      const complete = async (type: string, actor: Actor, payload: unknown) => {
        const v = await waitForState(h, (s) => !!openTaskOf(s, type));
        await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
      };
      await complete('return.merchant_review', merchant, { decision: 'approve' });
      await waitForState(h, (s) => s.step === 'awaiting_customer_shipment');
      await executeUpdate(h, submitReturnShipmentUpdate, { args: [{ actor: storefront, shipment: { carrier: 'SF', trackingNumber: 'SF1234567890' } }] });
      await complete('return.merchant_inspection', merchant, { outcome: 'confirmed' });
      await h.result();
    },
    async autoApprovalThenAbandoned(caseId) {
      const h = await env.client.workflow.start(returnWithin7Days, { taskQueue, workflowId: caseId, args: [input(caseId)] });
      await h.result(); // merchant review lapses (auto-approve), then the shipment deadline lapses
    },
    async rejectionPlatformReviewEscalated(caseId) {
      const h = await env.client.workflow.start(returnWithin7Days, { taskQueue, workflowId: caseId, args: [input(caseId, 'exchange')] });
      let v = await waitForState(h, (s) => !!openTaskOf(s, 'return.merchant_review'));
      await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'return.merchant_review')!.taskId, actor: merchant, payload: { decision: 'reject', reasonCode: 'other' } }] });
      await waitForState(h, (s) => s.step === 'awaiting_platform_review_request');
      await executeUpdate(h, requestPlatformReviewUpdate, { args: [{ actor: storefront }] });
      v = await waitForState(h, (s) => !!openTaskOf(s, 'return.platform_review'));
      await env.sleep('3 days');
      v = await waitForState(h, (s) => openTaskOf(s, 'return.platform_review')?.role === 'supervisor');
      await executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, 'return.platform_review')!.taskId, actor: { id: 'prn_fixture_supervisor', role: 'supervisor' }, payload: { decision: 'approve' } }] });
      await waitForState(h, (s) => s.step === 'awaiting_customer_shipment');
      await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: agent, reasonCode: 'customer_request' }] });
      await h.result();
    },
  };
  await worker.runUntil(async () => {
    const names = Object.keys(scenarios);
    for (const [i, name] of names.entries()) {
      const caseId = `RET-fixture-${name}`;
      process.stderr.write(`[record] ${i + 1}/${names.length} ${name} ... `);
      await scenarios[name](caseId);
      const history = await env.client.workflow.getHandle(caseId).fetchHistory();
      const file = path.join(OUT, `returnWithin7Days.${name}.json`);
      fs.writeFileSync(file, historyToJSON(history));
      process.stderr.write(`${history.events?.length} events -> ${path.relative(process.cwd(), file)}\n`);
    }
  });
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
