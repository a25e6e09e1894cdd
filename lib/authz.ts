// Who acts, and the scoping rules (a merchant acts for its own merchant id only; staff tasks need the task's role or
// a supervisor), with the platform's own actions and the names of a process's doors. Process modules check these
// rules too; the table of every action with its roles, the catalogue's included, is api/authz.ts.
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
  'cases.dossier': ['auditor', 'supervisor'],
  'attachments.upload': ['storefront', 'merchant', 'agent', 'supervisor'],
  'attachments.read': ['storefront', 'merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'threads.post': ['storefront', 'merchant', 'agent', 'supervisor'],
  'threads.read': ['storefront', 'merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'inboundMail.review': ['agent', 'supervisor'],
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
  open: (p: { caseType: string }) => `${p.caseType}.open`,
  party: (p: { caseType: string }, name: string) => `${p.caseType}.action.${name}`,
  route: (p: { caseType: string }, id: string) => `${p.caseType}.${id}`,
};

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
