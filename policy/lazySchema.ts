// Schemas that a workflow reaches only when it validates something.
//
// A workflow evaluates every module it imports once per execution (each case a worker holds in its cache, and
// each history it replays, has its own copy of every bundled module), so what workflows import at module level
// is plain code and data. The zod schemas of task payloads and action bodies sit in schema modules
// (policy/<process>.schemas.ts) that a task's `payload` and an action's `body` load on first use, with
// `require()` inside a getter: webpack bundles such a require as a module evaluated when it is first called,
// and in Node it is plain CommonJS. Server code (processes/, api/, policy/config.ts) reads the same getters and
// gets the real schemas; it may also import the schema modules directly.
import { inWorkflowContext, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';

/**
 * What a payload or body schema is while a workflow replays its history: the update's argument as recorded.
 * An update in history was accepted live, after its validator parsed it with the real schema, and the API sent
 * the parsed value; parsing that value again gives it back unchanged, because task payload and action body
 * schemas neither transform nor fill in defaults (test/unit/lazySchemas.test.ts keeps them so). Replay thus
 * takes the recorded value as it is and never loads zod.
 */
const asRecorded = {
  safeParse: (data: unknown) => ({ success: true as const, data }),
  parse: (data: unknown) => data,
};

/** Whether the caller runs inside a workflow that is replaying recorded history (not in a validator or query). */
function replayingHistory(): boolean {
  return inWorkflowContext() && workflowInfo().unsafe.isReplayingHistoryEvents;
}

/**
 * The schema `load` returns (a `require()` of its schema module, so evaluated on first use), or, while a
 * workflow replays its history, a stand-in that takes the recorded value as it is (see `asRecorded`).
 * Use it in the getter of a task's `payload` or an action's `body`.
 */
export function lazySchema<T extends z.ZodType>(load: () => T): T {
  return replayingHistory() ? (asRecorded as unknown as T) : load();
}
