// The case worker versioned by WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID (worker/worker.ts), on the real dev server,
// PostgreSQL and the HTTP API: a return opened through the API is pinned to the worker's build and runs its steps
// (local writes, the merchant's task completed by an update) as an unversioned worker runs them. The deployment's name
// is this test's own, and so is the task queue of its test system.
import { idem, returnBody } from '../../scripts/harness/bodies';
import { workerVersioningSetting } from '../../worker/worker';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';
import { setCurrentVersion } from '../helpers/workerVersions';

const deploymentName = `casework-it-${process.pid}-${Date.now()}`;
const buildId = 'build-1';
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ versioning: workerVersioningSetting({ WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: buildId })! });
  // The deploy's step 2 (README "Deploying with Worker Versioning"): the build becomes current once its workers poll.
  await setCurrentVersion(sys.connection, 'default', deploymentName, buildId);
});
afterAll(async () => {
  await sys?.stop();
});

test('a return opened on a versioned worker is pinned to its build and runs its steps', async () => {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const caseId = opened.body.caseId as string;
  const review = await eventually(async () => {
    const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.merchant.apiKey });
    return r.body?.tasks?.find((t: any) => t.type === 'return.merchant_review');
  }, 'merchant review task');
  const done = await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } });
  expect(done.status).toBe(200);
  await eventually(async () => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body.step === 'awaiting_customer_shipment', 'awaiting shipment');

  const info = (await sys.connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: caseId } })).workflowExecutionInfo!;
  expect(info.type?.name).toBe('returnWithin7Days');
  expect(String(info.versioningInfo?.behavior)).toBe('1'); // VERSIONING_BEHAVIOR_PINNED
  expect(info.versioningInfo?.deploymentVersion).toMatchObject({ deploymentName, buildId });
});
