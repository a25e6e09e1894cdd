// Authorization in one place: which roles may take each action, and the scoping rules
// (a merchant acts for its own merchant id only; staff tasks need the task's role or a supervisor).
import type { Role } from '../policy/tasks';

export interface Principal {
  id: string;
  name: string;
  role: Role;
  merchantId: string | null;
}

export const actionRoles = {
  'returns.create': ['storefront'],
  'cases.read': ['storefront', 'merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'cases.timeline': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'cases.verify': ['auditor', 'supervisor', 'admin'],
  'cases.cancel': ['storefront', 'agent', 'supervisor'],
  'cases.shipment': ['storefront'],
  'cases.platformReview': ['storefront', 'agent'],
  'tasks.list': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'tasks.read': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'tasks.complete': ['merchant', 'agent', 'supervisor'],
  'tasks.claim': ['merchant', 'agent', 'supervisor'],
  'tasks.assign': ['supervisor'],
  'tasks.note': ['merchant', 'agent', 'supervisor'],
  'principals.manage': ['admin'],
  'repairs.create': ['storefront', 'agent'],
  'repairs.customerStep': ['storefront'],
  'reports.read': ['supervisor', 'auditor', 'admin'],
  'registrations.create': ['storefront'],
  'registrations.verify': ['storefront'], // codes, links, identity and payment token, on the applicant's behalf
  'registrations.read': ['storefront', 'agent', 'supervisor', 'auditor', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof actionRoles;

export function can(p: Principal, action: Action): boolean {
  return (actionRoles[action] as readonly Role[]).includes(p.role);
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
