// Schemas that a workflow reaches only when it validates something.
//
// A workflow evaluates every module it imports once per execution (each case a worker holds in its cache, and
// each history it replays, has its own copy of every bundled module), so what workflows import at module level
// is plain code and data. The zod schemas of task payloads and action bodies sit in schema modules
// (policy/<process>.schemas.ts) that a task's `payload` and an action's `body` load on first use, with
// `require()` inside a getter: webpack bundles such a require as a module evaluated when it is first called,
// and in Node it is plain CommonJS. Server code (processes/ and its policy document, api/) reads the same getters and
// gets the real schemas; it may also import the schema modules directly. zod itself is not per case: the worker
// preloads it once per sandbox (workflows/sharedZod.ts).
import type { z } from 'zod';

/**
 * The schema `load` returns: a `require()` of its schema module, evaluated on first use. Use it in the getter
 * of a task's `payload` or an action's `body`. Only validators call those getters in a workflow (handlers take
 * the validated argument as it is), and validators never run on replay, so a replay never loads zod.
 */
export function lazySchema<T extends z.ZodType>(load: () => T): T {
  return load();
}
