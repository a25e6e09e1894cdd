// scripts/patches on the real dev server: open cases that started before a patch are counted per workflow type, closed
// cases and cases started after it are not, and the report says what may be deprecated and which fixtures may retire.
// Its own namespace: no other test file's cases are counted. The cases are started on a task queue no worker polls, so
// they stay open as a case waiting weeks on a party does.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Connection, type Client } from '@temporalio/client';
import { requireEnv, ROOT } from '../helpers/env';
import { createNamespace, eventually } from '../helpers/namespace';
import { patchReport, type PatchStatus } from '../../scripts/patchReport';
import { PATCHES, patchEntry, REFUND_ROUTE_BY_AGREEMENT_PATCH, RETURN_CONSUMER_LAW_PATCH, THREE_GUARANTEES_PATCH, type PatchEntry } from '../../workflows/patches';

const address = requireEnv('TEMPORAL_TEST_ADDRESS');
const namespace = `patches-${process.pid}-${Date.now()}`;
const taskQueue = 'no-worker';
let connection: Connection;
let client: Client;
let cutoff: string;

const start = (type: string, id: string) => client.workflow.start(type, { taskQueue, workflowId: `${id}-${Date.now()}`, args: [] });
const byId = (s: PatchStatus[], id: string) => s.find((x) => x.id === id)!;

beforeAll(async () => {
  connection = await Connection.connect({ address });
  client = await createNamespace(connection, namespace);
  // Before the cutoff: two returns (one then terminated: a closed case) and a repair; after it: a return and a repair.
  const early = [await start('returnWithin7Days', 'ret-old-1'), await start('returnWithin7Days', 'ret-old-2'), await start('warrantyRepair', 'rep-old')];
  const started = await Promise.all(early.map(async (h) => (await h.describe()).startTime.getTime()));
  await early[1].terminate('closed before the report');
  await new Promise((r) => setTimeout(r, 50));
  cutoff = new Date(Math.max(...started) + 1).toISOString();
  await new Promise((r) => setTimeout(r, 50));
  await start('returnWithin7Days', 'ret-new');
  await start('warrantyRepair', 'rep-new');
  await start('registrationReview', 'reg-new');
  await eventually(() => client.workflow.count(''), (c) => c.count === 6);
});

afterAll(async () => {
  await connection?.close();
});

test('counts the open cases of each patch type started before the patch, and says what may go', async () => {
  const at = (id: string, o: Partial<PatchEntry>): PatchEntry => ({ ...patchEntry(id)!, ...o });
  const patches = [
    at(RETURN_CONSUMER_LAW_PATCH, { deployedAt: cutoff }),
    at(REFUND_ROUTE_BY_AGREEMENT_PATCH, { deployedAt: cutoff }),
    at(THREE_GUARANTEES_PATCH, { deployedAt: '2020-01-01T00:00:00Z' }),
    at(RETURN_CONSUMER_LAW_PATCH, { id: 'deprecated-after-the-old-cases', state: 'deprecated', deprecatedAt: cutoff }),
    at(RETURN_CONSUMER_LAW_PATCH, { id: 'deprecated-before-every-case', state: 'deprecated', deprecatedAt: '2020-01-01T00:00:00Z' }),
  ];
  const report = await eventually(
    () => patchReport(client, patches),
    (r) => r[1].openBeforeTotal === 2,
  );

  const consumerLaw = byId(report, RETURN_CONSUMER_LAW_PATCH);
  expect(consumerLaw).toMatchObject({ cutoff, cutoffFrom: 'deployedAt', openBefore: { returnWithin7Days: 1 }, openBeforeTotal: 1, action: 'wait' });
  expect(consumerLaw.queries.returnWithin7Days).toBe(`WorkflowType = 'returnWithin7Days' AND ExecutionStatus = 'Running' AND StartTime < '${cutoff}'`);
  expect(consumerLaw.oldCode.deletable).toBe(false);

  // Two types: the open return and the open repair of before the cutoff, each in its type; their fixtures are kept.
  const route = byId(report, REFUND_ROUTE_BY_AGREEMENT_PATCH);
  expect(route).toMatchObject({ openBefore: { returnWithin7Days: 1, warrantyRepair: 1 }, openBeforeTotal: 2, action: 'wait', retireFixtures: [] });
  expect(route.keepFixtures).toEqual(patchEntry(REFUND_ROUTE_BY_AGREEMENT_PATCH)!.oldFlow.fixtures);

  // Deployed before every case: nothing predates it; it may become deprecatePatch(), its old flow and fixtures go.
  const threeGuarantees = byId(report, THREE_GUARANTEES_PATCH);
  expect(threeGuarantees).toMatchObject({ openBefore: { warrantyRepair: 0 }, action: 'deprecate', oldCode: { deletable: true }, keepFixtures: [] });
  expect(threeGuarantees.retireFixtures).toEqual(patchEntry(THREE_GUARANTEES_PATCH)!.oldFlow.fixtures);

  // A deprecated patch counts from its deprecation: its deprecatePatch() call goes once no open case predates that.
  expect(byId(report, 'deprecated-after-the-old-cases')).toMatchObject({ cutoffFrom: 'deprecatedAt', openBeforeTotal: 1, action: 'wait' });
  expect(byId(report, 'deprecated-before-every-case')).toMatchObject({ openBeforeTotal: 0, action: 'remove-call', oldCode: { deletable: false } });
});

test('scripts/patches --json reports every registered patch: every case here started after all of them', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/patches.ts', '--json'], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace },
  });
  const out = JSON.parse(stdout) as { namespace: string; patches: PatchStatus[] };
  expect(out.namespace).toBe(namespace);
  expect(out.patches.map((p) => p.id)).toEqual(PATCHES.map((p) => p.id));
  for (const p of out.patches) expect([p.id, p.openBeforeTotal, p.action]).toEqual([p.id, 0, 'deprecate']);
});
