// Worker Versioning on the dev server, with the worker option the case worker takes from WORKER_DEPLOYMENT_NAME and
// WORKER_BUILD_ID (worker/worker.ts workerVersioningSetting): a deploy. A case starts on build A; build B ships a change
// of the workflow's commands (an added timer, and another answer) and becomes the current version; the case still
// finishes on A's code, and only on A's workers (with A stopped it waits, B never takes it), while a new case starts
// and finishes on B; a case that continues as new stays on A in its next run. Its own namespace on the shared dev
// server: the deployment and its versions are seen by no other test file.
import path from 'node:path';
import { Connection, type Client, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { requireEnv } from '../helpers/env';
import { createNamespace, eventually } from '../helpers/namespace';
import { setCurrentVersion } from '../helpers/workerVersions';
import { workerVersioningSetting } from '../../worker/worker';

const address = requireEnv('TEMPORAL_TEST_ADDRESS');
const namespace = `versioning-${process.pid}-${Date.now()}`;
const deploymentName = 'casework';
const taskQueue = 'casework';
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as any;
let connection: Connection;
let native: NativeConnection;
let client: Client;
const bundles: Record<'A' | 'B', { code: string }> = {} as any;

/** A worker of build `build` ('A' or 'B'), versioned as the case worker is when the two settings are given. */
function workerOf(build: 'A' | 'B', versioned = true, at = { deploymentName, taskQueue }): Promise<Worker> {
  const versioning = versioned ? workerVersioningSetting({ WORKER_DEPLOYMENT_NAME: at.deploymentName, WORKER_BUILD_ID: build }) : null;
  const options: WorkerOptions = {
    connection: native,
    namespace,
    taskQueue: at.taskQueue,
    workflowBundle: bundles[build],
    identity: versioned ? `worker-build-${build}` : 'worker-unversioned',
    ...(versioning && { workerDeploymentOptions: versioning }),
  };
  return Worker.create(options);
}

/** Runs a worker until stop() (Worker.run resolves after shutdown()). */
async function running(w: Worker): Promise<{ stop: () => Promise<void> }> {
  const run = w.run();
  return {
    stop: async () => {
      w.shutdown();
      await run;
    },
  };
}

/** The deploy's step 2 in this test's namespace (test/helpers/workerVersions.ts). */
const setCurrent = (buildId: string, deployment = deploymentName) => setCurrentVersion(connection, namespace, deployment, buildId);

async function pinnedTo(h: WorkflowHandle): Promise<{ behavior?: string | null; buildId?: string | null }> {
  const info = (await h.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { behavior: info?.behavior != null ? String(info.behavior) : null, buildId: info?.deploymentVersion?.buildId ?? null };
}

/** The identities of the workers that completed the case's workflow tasks. */
async function completedBy(h: WorkflowHandle): Promise<string[]> {
  const events = (await h.fetchHistory()).events ?? [];
  return events.filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => e.workflowTaskCompletedEventAttributes!.identity!);
}

const PINNED = '1'; // temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') }); // test workers register no activities: no warning for that
  } catch {
    /* already installed in this process */
  }
  connection = await Connection.connect({ address });
  native = await NativeConnection.connect({ address });
  client = await createNamespace(connection, namespace);
  for (const build of ['A', 'B'] as const) {
    bundles[build] = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, '..', 'helpers', 'versioned', `build${build}.ts`), logger: silent });
  }
}, 60_000);

afterAll(async () => {
  await native?.close();
  await connection?.close();
});

test('a deploy: the case started on build A finishes on A after B became current; new cases go to B', async () => {
  // Build A is deployed and made current; a case starts on it and waits (as a return waits on the merchant).
  let a = await running(await workerOf('A'));
  await setCurrent('A');
  const old = await client.workflow.start('longCase', { taskQueue, workflowId: 'case-started-on-A' });
  const long = await client.workflow.start('twoRunCase', { taskQueue, workflowId: 'two-run-case-started-on-A', args: [1] });
  expect(await eventually(() => pinnedTo(old), (p) => p.buildId === 'A')).toEqual({ behavior: PINNED, buildId: 'A' });
  expect(await eventually(() => pinnedTo(long), (p) => p.buildId === 'A')).toEqual({ behavior: PINNED, buildId: 'A' });

  // Build B is deployed beside it and becomes current; build A's workers are stopped for a while.
  const b = await running(await workerOf('B'));
  await setCurrent('B');
  await a.stop();

  // The old case's next step waits for build A: B's workers never take it (on B it would answer "build B").
  await old.signal('proceed');
  await new Promise((r) => setTimeout(r, 3000));
  expect((await old.describe()).status.name).toBe('RUNNING');
  expect(await completedBy(old)).toEqual(['worker-build-A']);

  // A new case goes to B, is pinned to B and finishes on B's code.
  const fresh = await client.workflow.start('longCase', { taskQueue, workflowId: 'case-started-on-B' });
  await fresh.signal('proceed');
  expect(await fresh.result()).toBe('build B');
  expect(await pinnedTo(fresh)).toEqual({ behavior: PINNED, buildId: 'B' });
  expect(new Set(await completedBy(fresh))).toEqual(new Set(['worker-build-B']));

  // Build A's workers come back (kept until its cases are done): the old case finishes on A's code.
  a = await running(await workerOf('A'));
  expect(await old.result()).toBe('build A');
  expect(await pinnedTo(old)).toEqual({ behavior: PINNED, buildId: 'A' });
  expect(new Set(await completedBy(old))).toEqual(new Set(['worker-build-A']));

  // A case longer than one run (continue-as-new) stays on its build: its next run is pinned to A too.
  await long.signal('proceed');
  const nextRun = client.workflow.getHandle(long.workflowId);
  await eventually(() => nextRun.describe(), (d) => d.runId !== long.firstExecutionRunId);
  expect(await pinnedTo(nextRun)).toEqual({ behavior: PINNED, buildId: 'A' });
  await nextRun.signal('proceed');
  expect(await nextRun.result()).toBe('build A, run 2');
  expect(new Set(await completedBy(nextRun))).toEqual(new Set(['worker-build-A']));
  await a.stop();
  await b.stop();
}, 90_000);

test('an unversioned worker takes no case while the deployment has a current version; unset it to turn versioning off', async () => {
  // B is current (previous test). Only an unversioned worker polls: a new case waits, it is B's.
  const u = await running(await workerOf('A', false));
  const stranded = await client.workflow.start('longCase', { taskQueue, workflowId: 'case-with-only-an-unversioned-worker' });
  await stranded.signal('proceed');
  await new Promise((r) => setTimeout(r, 3000));
  expect(await completedBy(stranded)).toEqual([]);

  // Back to unversioned (set-current-version --unversioned): that case and new ones run on the unversioned worker.
  await setCurrent('');
  expect(await stranded.result()).toBe('build A');
  expect(await pinnedTo(stranded)).toEqual({ behavior: null, buildId: null });
  await u.stop();
}, 60_000);

test('turning versioning on: a case started on an unversioned worker moves to the current version at its next step', async () => {
  // Its own task queue and deployment. A case runs unversioned (build A's code), then build B's versioned workers
  // start and B becomes current: the case's next workflow task goes to B, which replays its history and pins it to B.
  // So the first versioned build must replay the unversioned cases (patched() as before), or keep an unversioned
  // worker and leave no current version until they are done.
  const at = { deploymentName: 'casework-switch', taskQueue: 'casework-switch' };
  const u = await running(await workerOf('A', false, at));
  const before = await client.workflow.start('longCase', { taskQueue: at.taskQueue, workflowId: 'case-started-unversioned' });
  await eventually(() => completedBy(before), (c) => c.length === 1);
  const b = await running(await workerOf('B', true, at));
  await setCurrent('B', at.deploymentName);
  await before.signal('proceed');
  expect(await before.result()).toBe('build B');
  expect(await completedBy(before)).toEqual(['worker-unversioned', 'worker-build-B', 'worker-build-B']);
  expect(await pinnedTo(before)).toEqual({ behavior: PINNED, buildId: 'B' });
  await b.stop();
  await u.stop();
}, 60_000);
