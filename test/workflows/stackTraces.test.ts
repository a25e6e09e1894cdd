// WORKER_WORKFLOW_STACK_TRACES: off (the default), the workflow thread installs no promise hook and the stack-trace
// query says so; on, it answers where the workflow waits (patches/@temporalio+worker+1.24.0.patch).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowStackTracesSetting } from '../../worker/worker';
import { createTimeSkippingEnv } from '../helpers/timeSkipping';
import { ROOT } from '../helpers/env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

test('the setting is off unless turned on', () => {
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
