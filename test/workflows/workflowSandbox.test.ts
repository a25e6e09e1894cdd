// The switches of the SDK's workflow sandbox (worker/workflowSandbox.ts, patches/@temporalio+worker+1.24.0.patch):
// - WORKER_WORKFLOW_STACK_TRACES: off (the default), the workflow thread installs no promise hook and the stack-trace
//   query says so; on, it answers where the workflow waits;
// - WORKER_WORKFLOW_DEADLOCK_DETECTION: on (the default), every call into a workflow carries a timeout; the replay tool
//   replays without it unless told otherwise.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowDeadlockDetectionSetting, workflowStackTracesSetting } from '../../worker/worker';
import { createTimeSkippingEnv } from '../../scripts/harness/timeSkipping';
import { ROOT, WORKFLOW_BUNDLE_PATH } from '../helpers/env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

test('stack traces are off unless turned on', () => {
  expect(workflowStackTracesSetting({})).toBe(false);
  expect(workflowStackTracesSetting({ WORKER_WORKFLOW_STACK_TRACES: 'true' })).toBe(true);
  expect(() => workflowStackTracesSetting({ WORKER_WORKFLOW_STACK_TRACES: 'sometimes' })).toThrow(/WORKER_WORKFLOW_STACK_TRACES/);
});

/** The stack-trace query's answer from a worker process started with the setting `mode`. */
async function stackTraceQueryAnswer(mode: 'on' | 'off'): Promise<string> {
  const address = (env.connection.options as { address: string }).address;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/workflows/probes/stackTraceWorker.ts', address, env.namespace ?? 'default', mode], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_WORKFLOW_STACK_TRACES: '' },
  });
  return (JSON.parse(stdout.trim().split('\n').pop()!) as { answer: string }).answer;
}

test('off: the workflow thread captures no stacks, and the query says stack traces are off', async () => {
  expect(await stackTraceQueryAnswer('off')).toMatch(/^refused: .*stack traces are not enabled/i);
}, 60_000);

test('on: the query answers where the workflow waits', async () => {
  expect(await stackTraceQueryAnswer('on')).toMatch(/^trace: [\s\S]*slaProbe/);
}, 60_000);

test('deadlock detection is on unless turned off', () => {
  expect(workflowDeadlockDetectionSetting({})).toBe(true);
  expect(workflowDeadlockDetectionSetting({ WORKER_WORKFLOW_DEADLOCK_DETECTION: 'false' })).toBe(false);
  expect(() => workflowDeadlockDetectionSetting({ WORKER_WORKFLOW_DEADLOCK_DETECTION: 'maybe' })).toThrow(/WORKER_WORKFLOW_DEADLOCK_DETECTION/);
});

/** Replays a committed history in a process of its own, as the replay tool does, with the switch as given. */
async function replayCountingTimeouts(detection: 'on' | undefined) {
  const history = path.join(ROOT, 'test', 'fixtures', 'histories', 'returnWithin7Days.v7BatchedWritesNotReceivedRefundOnly.json');
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_WORKFLOW_DEADLOCK_DETECTION: detection };
  if (detection === undefined) delete env.TEMPORAL_WORKFLOW_DEADLOCK_DETECTION;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/workflows/probes/deadlockDetectionReplay.ts', history, WORKFLOW_BUNDLE_PATH], { cwd: ROOT, env });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { results: { mismatch?: string; error?: string }[]; withTimeout: number; withoutTimeout: number };
}

test('the replay tool replays without a watchdog per call, and replays the same', async () => {
  const r = await replayCountingTimeouts(undefined);
  expect(r.results).toEqual([{ i: 0, workflowId: 'probe' }]);
  expect(r.withTimeout).toBe(0);
  expect(r.withoutTimeout).toBeGreaterThan(10);
}, 60_000);

test('deadlock detection on: every call into the workflow carries the timeout', async () => {
  const r = await replayCountingTimeouts('on');
  expect(r.results).toEqual([{ i: 0, workflowId: 'probe' }]);
  expect(r.withTimeout).toBeGreaterThan(10);
  expect(r.withoutTimeout).toBe(0);
}, 60_000);
