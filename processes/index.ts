// The process catalogue: every policy process, declared once in its own module. The API (routes,
// OpenAPI, authorization), the worker (workflows and activities), the policy document, the metrics
// labels and the history fixtures iterate over this list. A new process is a new module and a line here.
import { platformRoleDecls, platformScopeKinds, type PartyScope, type RoleDecl, type ScopeKindDecl } from '../lib/authz';
import type { TaskDef } from '../policy/process';
import { breachResponseProcess } from './breachResponse';
import { complaintProcess } from './complaint';
import { personalDataRequestProcess } from './personalDataRequest';
import { registrationReviewProcess } from './registrationReview';
import { returnWithin7DaysProcess } from './returnWithin7Days';
import type { AnyProcess } from './types';
import { warrantyRepairProcess } from './warrantyRepair';

export const processes = [returnWithin7DaysProcess, warrantyRepairProcess, registrationReviewProcess, complaintProcess, personalDataRequestProcess, breachResponseProcess] as const;

/** The catalogue every look-up reads: the processes above, plus any a test registers (registerTestProcess). */
const catalogue: AnyProcess[] = [...processes];
let revision = 0;

/** The live catalogue (the processes above, and test-only ones while registered). */
export function catalogueProcesses(): readonly AnyProcess[] {
  return catalogue;
}

/** Grows with each change of the live catalogue: what caches of it (api/authz.ts) compare. */
export function catalogueRevision(): number {
  return revision;
}

/** Every role: the platform's, then each process's own (a name declared twice keeps its first declaration). */
export function catalogueRoleDecls(): RoleDecl[] {
  const out: RoleDecl[] = [...platformRoleDecls];
  for (const d of catalogue.flatMap((p) => p.roles ?? [])) if (!out.some((x) => x.role === d.role)) out.push(d);
  return out;
}

export const catalogueRoles = (): string[] => catalogueRoleDecls().map((d) => d.role);

/** Every party scope kind: the platform's, then each process's own. */
export function catalogueScopeKinds(): ScopeKindDecl[] {
  const out: ScopeKindDecl[] = [...platformScopeKinds];
  for (const d of catalogue.flatMap((p) => p.scopes ?? [])) if (!out.some((x) => x.kind === d.kind)) out.push(d);
  return out;
}

/** What is wrong with a principal's role and scopes, against the catalogue (empty: nothing). */
export function principalIssues(p: { role: string; merchantId?: string | null; scopes?: readonly PartyScope[] }): { path: string; message: string }[] {
  const decl = catalogueRoleDecls().find((d) => d.role === p.role);
  if (!decl) return [{ path: 'role', message: `one of: ${catalogueRoles().join(', ')}` }];
  const issues: { path: string; message: string }[] = [];
  const kinds = catalogueScopeKinds();
  (p.scopes ?? []).forEach((s, i) => {
    if (!kinds.some((k) => k.kind === s.kind)) issues.push({ path: `scopes.${i}.kind`, message: `one of: ${kinds.map((k) => k.kind).join(', ')}` });
    else if (!decl.scopeKinds.includes(s.kind)) issues.push({ path: `scopes.${i}.kind`, message: decl.scopeKinds.length ? `a ${p.role} takes scopes of kind ${decl.scopeKinds.join(', ')}` : `a ${p.role} takes no scope` });
  });
  if (decl.scopeRequired && (p.scopes ?? []).length === 0 && !(p.role === 'merchant' && p.merchantId)) issues.push({ path: 'scopes', message: `a ${p.role} needs a scope of kind ${decl.scopeKinds.join(', ')}` });
  return issues;
}

/**
 * TESTS ONLY: a test's stand-in for a process the catalogue does not have yet (e.g. a stub `complaint` module, to show
 * a return opening a linked complaint), or a module that declares a new role and scope. It joins the live catalogue
 * (look-ups, the opening service, roles, scopes, authorization), never `processes` (the API description, the policy
 * document, the worker's bundle and the fixtures). Refused in production; a process of `processes` cannot be replaced,
 * a test process of the same case type is. Returns the function that removes it again.
 */
export function registerTestProcess(p: AnyProcess, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env.NODE_ENV === 'production') throw new Error('registerTestProcess is for tests: refused in production');
  if ((processes as readonly AnyProcess[]).some((c) => c.caseType === p.caseType)) throw new Error(`The catalogue already has the process ${p.caseType}`);
  const at = catalogue.findIndex((t) => t.caseType === p.caseType);
  if (at >= 0) catalogue.splice(at, 1);
  catalogue.push(p);
  revision++;
  return () => {
    const i = catalogue.indexOf(p);
    if (i >= 0) catalogue.splice(i, 1);
    revision++;
  };
}

/** The process of a case type (the catalogue's, or one a test registered), or undefined. */
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
