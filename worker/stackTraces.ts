// Whether the workflow threads (or the in-process replayer) started next install the SDK's promise hook for the
// stack-trace queries: read by the SDK as a thread starts (patches/@temporalio+worker+*.patch), from the environment
// the thread inherits. Kept apart from worker.ts so that the replay processes load nothing else.
const VARIABLE = 'TEMPORAL_WORKFLOW_STACK_TRACES';

export function setWorkflowStackTraces(on: boolean): void {
  process.env[VARIABLE] = on ? 'on' : 'off';
}

/** Off, unless the environment already says (replays, the test run): they need no stack-trace queries. */
export function workflowStackTracesOffUnlessSet(): void {
  process.env[VARIABLE] ??= 'off';
}
