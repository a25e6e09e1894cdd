// Two switches of the SDK's workflow sandbox, read from the environment that a workflow thread (or the in-process
// replayer) inherits when it starts (patches/@temporalio+worker+*.patch):
// - stack traces: the promise hook behind the `__stack_trace` query, which captures a stack for every workflow promise;
// - deadlock detection: the timeout on each call into a workflow's context, for which Node starts and joins a watchdog
//   thread (nodejs/node#47739); without it a workflow stuck in a loop is not detected.
// Kept apart from worker.ts so that the replay processes load nothing else.
const STACK_TRACES = 'TEMPORAL_WORKFLOW_STACK_TRACES';
const DEADLOCK_DETECTION = 'TEMPORAL_WORKFLOW_DEADLOCK_DETECTION';

export function setWorkflowStackTraces(on: boolean): void {
  process.env[STACK_TRACES] = on ? 'on' : 'off';
}

export function setWorkflowDeadlockDetection(on: boolean): void {
  process.env[DEADLOCK_DETECTION] = on ? 'on' : 'off';
}

/** Stack traces off, unless the environment already says (the test run): no test asks where a workflow waits. */
export function workflowStackTracesOffUnlessSet(): void {
  process.env[STACK_TRACES] ??= 'off';
}

/**
 * For replays (the replay tool, the bench): no stack-trace hook and no watchdog thread per call, unless the environment
 * already says. A replay answers no queries, and a replay that never ends is seen by whoever runs it.
 */
export function replaySandboxUnlessSet(): void {
  process.env[STACK_TRACES] ??= 'off';
  process.env[DEADLOCK_DETECTION] ??= 'off';
}
