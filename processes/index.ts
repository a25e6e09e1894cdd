// The process catalogue: every policy process, declared once in its own module. The API (routes,
// OpenAPI, authorization), the worker (workflows and activities), the policy document, the metrics
// labels and the history fixtures iterate over this list. A new process is a new module and a line here.
import type { TaskDef } from '../policy/process';
import { registrationReviewProcess } from './registrationReview';
import { returnWithin7DaysProcess } from './returnWithin7Days';
import type { AnyProcess } from './types';
import { warrantyRepairProcess } from './warrantyRepair';

export const processes = [returnWithin7DaysProcess, warrantyRepairProcess, registrationReviewProcess] as const;

const catalogue: readonly AnyProcess[] = processes;

/**
 * Processes a test registered (registerTestProcess): found by processOf, so that the opening service opens their cases
 * and the case routes show them, but never in `processes` (the API description, the authorization matrix, the worker's
 * bundle and the fixtures iterate over the catalogue only).
 */
const testProcesses: AnyProcess[] = [];

/**
 * A test's stand-in for a process the catalogue does not have yet (e.g. a stub `complaint` module with a trivial
 * workflow, to show a return opening a linked complaint). Refused in production; a case type of the catalogue cannot be
 * replaced. Returns the function that removes it again.
 */
export function registerTestProcess(p: AnyProcess, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env.NODE_ENV === 'production') throw new Error('registerTestProcess is for tests: refused in production');
  if (catalogue.some((c) => c.caseType === p.caseType)) throw new Error(`The catalogue already has the process ${p.caseType}`);
  const at = testProcesses.findIndex((t) => t.caseType === p.caseType);
  if (at >= 0) testProcesses.splice(at, 1);
  testProcesses.push(p);
  return () => {
    const i = testProcesses.indexOf(p);
    if (i >= 0) testProcesses.splice(i, 1);
  };
}

/** The process of a case type (the catalogue's, or one a test registered), or undefined. */
export function processOf(caseType: string): AnyProcess | undefined {
  return catalogue.find((p) => p.caseType === caseType) ?? testProcesses.find((p) => p.caseType === caseType);
}

/** Every task type of every process, with its role and payload schema. */
export function taskDef(type: string): TaskDef | undefined {
  for (const p of catalogue) if (Object.prototype.hasOwnProperty.call(p.tasks, type)) return p.tasks[type];
  return undefined;
}

export const allTaskTypes = (): string[] => catalogue.flatMap((p) => Object.keys(p.tasks));

/** Validates a completion payload for a task type; readable issues on failure. */
export function parseTaskPayload(type: string, payload: unknown): { ok: true; value: unknown } | { ok: false; issues: { path: string; message: string }[] } {
  const def = taskDef(type);
  if (!def) return { ok: false, issues: [{ path: '', message: `unknown task type ${type}` }] };
  const r = def.payload.safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
}

export type { AnyProcess, ProcessModule, ProcessRoute } from './types';
