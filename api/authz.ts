// Authorization in one place: which roles may take each action, and the scoping rules (a merchant acts
// for its own merchant id only; staff tasks need the task's role or a supervisor). The platform's own
// actions are listed here; each process adds its opening, its party actions and its extra routes from the
// catalogue (processes/index.ts), so a new process never edits this file.
import type { AnyProcess } from '../processes/types';
import { roles as allRoles, type Role } from '../policy/roles';

export interface Principal {
  id: string;
  name: string;
  role: Role;
  merchantId: string | null;
}

const everyone = allRoles;

/** The platform's own actions (not tied to one process). */
export const platformActionRoles = {
  'cases.list': everyone,
  'cases.read': everyone,
  'cases.timeline': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'cases.verify': ['auditor', 'supervisor', 'admin'],
  'cases.cancel': ['storefront', 'agent', 'supervisor'],
  'processes.read': everyone,
  'tasks.list': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'tasks.read': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'tasks.complete': ['merchant', 'agent', 'supervisor'],
  'tasks.claim': ['merchant', 'agent', 'supervisor'],
  'tasks.assign': ['supervisor'],
  'tasks.note': ['merchant', 'agent', 'supervisor'],
  'principals.manage': ['admin'],
  'parties.manage': ['admin', 'merchant'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = string;

/** Action names of a process's own doors. */
export const processAction = {
  open: (p: Pick<AnyProcess, 'caseType'>) => `${p.caseType}.open`,
  party: (p: Pick<AnyProcess, 'caseType'>, name: string) => `${p.caseType}.action.${name}`,
  route: (p: Pick<AnyProcess, 'caseType'>, id: string) => `${p.caseType}.${id}`,
};

let table: Record<string, readonly Role[]> | undefined;

/** Every action with its roles: the platform's, then each process's (opening, party actions, extra routes). */
export function actionRoles(): Record<string, readonly Role[]> {
  if (table) return table;
  const { processes } = require('../processes') as typeof import('../processes');
  const t: Record<string, readonly Role[]> = { ...platformActionRoles };
  const union = (lists: readonly (readonly Role[])[]) => allRoles.filter((r) => lists.some((l) => l.includes(r)));
  const catalogue: readonly AnyProcess[] = processes;
  for (const p of catalogue) {
    t[processAction.open(p)] = p.open.roles;
    for (const [name, a] of Object.entries(p.actions)) t[processAction.party(p, name)] = a.roles;
    for (const r of p.routes ?? []) t[processAction.route(p, r.id)] = r.roles;
  }
  // The generic doors admit the union; the route then checks the process's own action.
  t['cases.open'] = union(catalogue.map((p) => p.open.roles));
  for (const name of new Set(catalogue.flatMap((p) => Object.keys(p.actions)))) {
    t[`cases.action.${name}`] = union(catalogue.filter((p) => p.actions[name]).map((p) => p.actions[name].roles));
  }
  return (table = t);
}

export function can(p: Principal, action: Action): boolean {
  return (actionRoles()[action] ?? []).includes(p.role);
}

/** Merchants see only their own merchant's cases and tasks. */
export function canSeeMerchantScoped(p: Principal, merchantId: string | null): boolean {
  return p.role !== 'merchant' || (merchantId !== null && p.merchantId === merchantId);
}

/** Who may complete a task of a given role: the role itself, or a supervisor for staff tasks. */
export function canCompleteTask(p: Principal, task: { role: Role; merchantId: string | null }): boolean {
  switch (task.role) {
    case 'merchant':
      return p.role === 'merchant' && canSeeMerchantScoped(p, task.merchantId);
    case 'agent':
      return p.role === 'agent' || p.role === 'supervisor';
    case 'supervisor':
      return p.role === 'supervisor';
    default:
      return false;
  }
}

/** The acting party the workflow's validators check: id, role, and the merchant a merchant acts for. */
export function actingParty(p: Principal): { id: string; role: Role; merchantId?: string } {
  return { id: p.id, role: p.role, ...(p.role === 'merchant' && p.merchantId && { merchantId: p.merchantId }) };
}
