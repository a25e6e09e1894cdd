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

/** The process of a case type, or undefined. */
export function processOf(caseType: string): AnyProcess | undefined {
  return catalogue.find((p) => p.caseType === caseType);
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
