// One time-skipping server and one running worker per test file: made before the file's tests, shut down after them.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createTimeSkippingEnv } from '../../scripts/harness/timeSkipping';

/** `make` builds the worker (and whatever the file keeps beside it, e.g. its fakes); `ready` hands both to the file. */
export function useTimeSkippingWorker<T extends { worker: Worker }>(make: (env: TestWorkflowEnvironment) => Promise<T>, ready: (env: TestWorkflowEnvironment, made: T) => void): void {
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    const made = await make(env);
    worker = made.worker;
    running = worker.run();
    ready(env, made);
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });
}
