// What a policy process declares that its workflow needs too: its task types and its party actions.
// Pure and workflow-safe: plain code and data (zod as types only; a task's `payload` and an action's `body` are
// getters that load their schema module on first use, see lazySchema.ts). The server-side half of a process (opening, presentation, templates,
// routes) is in processes/<name>.ts; the catalogue of every process is processes/index.ts.
import type { z } from 'zod';
import type { Role } from './roles';

/** A human step: who performs it and what its completion must contain. */
export interface TaskDef {
  role: Role;
  payload: z.ZodType;
  summary?: string;
}

/**
 * What a party (customer through the storefront, merchant, staff) may do on a case outside the task inbox:
 * POST /v1/cases/{caseId}/actions/{name}. The workflow's update validator checks the same roles.
 */
export interface PartyActionDef<B = unknown> {
  summary: string;
  /** Roles allowed to take the action (a merchant only on its own merchant's cases). */
  roles: readonly Role[];
  /** The request body (validated at the API edge and again by the workflow's validator). */
  body: z.ZodType<B>;
  /** The workflow update the action sends. */
  update: string;
  /** The update's argument that carries the body (`{ actor, [field]: body }`); without it the body's fields sit beside the actor. */
  field?: string;
}

export type TaskTable = Record<string, TaskDef>;

/**
 * How long one run of a case's workflow may grow before the case goes on in a new run (continue-as-new, CaseKit):
 * a number of history events, of history bytes, or both. A process that declares none runs each case in one run.
 */
export interface HistoryBound {
  events?: number;
  bytes?: number;
}
export type ActionTable = Record<string, PartyActionDef<any>>;

/** Checks a table at definition time and keeps its literal keys. */
export const defineTasks = <T extends TaskTable>(t: T): T => t;
export const defineActions = <T extends ActionTable>(t: T): T => t;

/** The acting principal, as the API passes it to every update. */
export interface ActingParty {
  id: string;
  role: Role;
  /** Set for merchant principals: the merchant they act for. */
  merchantId?: string | null;
}

/** Readable issues of a failed parse: "path message; path message". */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'} ${i.message}`).join('; ');
}
