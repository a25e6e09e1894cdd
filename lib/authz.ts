// Who acts, and the scoping rules (a scoped principal sees only the cases its scopes match; staff tasks need the
// task's role or a supervisor), with the platform's own actions, roles and scope kinds and the names of a process's
// doors. Process modules check these rules too; the table of every action with its roles, the catalogue's included,
// is api/authz.ts, and the catalogue's roles and scope kinds are processes/index.ts.
import { platformRoles, staffRoles, type Role } from '../policy/roles';
import type { PersonalCategory } from './personalData';

/** A party scope a principal carries: of a kind the catalogue declares (merchant, storefront, …), with its value. */
export interface PartyScope {
  kind: string;
  value: string;
}

export interface Principal {
  id: string;
  name: string;
  role: Role;
  merchantId: string | null;
  /** Zero or more party scopes. None: the principal sees every case its role's actions reach (staff always). */
  scopes: PartyScope[];
}

/**
 * How a scope kind is read from a case: a column of the case row, or a party reference stored with the case when it
 * opened (case_parties: the process's `CaseStart.parties`, and the opener's own scopes of a reference kind).
 */
export type ScopeSource = { column: 'merchantId' | 'customerId' } | { partyRef: string };

/** A kind of party scope, declared by the platform or by a process. */
export interface ScopeKindDecl {
  kind: string;
  description: string;
  from: ScopeSource;
}

/** A role, declared by the platform or by a process. */
export interface RoleDecl {
  role: Role;
  description: string;
  /** The scope kinds its principals may carry; none for staff. */
  scopeKinds: readonly string[];
  /** A principal of this role must carry at least one scope (a merchant, a rights holder). */
  scopeRequired?: boolean;
  /** Platform actions (platformActionRoles' names, e.g. 'threads.read') granted to the role besides the everyone-actions. */
  platformActions?: readonly string[];
  /** A staff role's personal-data categories read in clear (lib/personalAccess.ts); the rest it sees masked. */
  readsInClear?: readonly PersonalCategory[];
}

/** The platform's scope kinds: a merchant sees its own merchant's cases; a storefront the cases it opened. */
export const platformScopeKinds: readonly ScopeKindDecl[] = [
  { kind: 'merchant', description: "The merchant's own cases (the case's merchant id)", from: { column: 'merchantId' } },
  { kind: 'storefront', description: 'The cases a storefront opened (recorded with the case as a party reference)', from: { partyRef: 'storefront' } },
];

const staff = (role: Role, description: string): RoleDecl => ({ role, description, scopeKinds: [] });

/** The platform's roles. Their actions are platformActionRoles below; a process's roles get theirs from their declaration. */
export const platformRoleDecls: readonly RoleDecl[] = [
  { role: 'storefront', description: "The customer's storefront; scoped to a storefront, it sees only the cases that storefront opened", scopeKinds: ['storefront'] },
  { role: 'merchant', description: "A merchant: sees and acts on its own merchant's cases only", scopeKinds: ['merchant'], scopeRequired: true },
  staff('agent', 'Platform customer-service agent'),
  staff('supervisor', 'Platform supervisor'),
  staff('auditor', 'Platform auditor (reads, verifies the audit chain)'),
  staff('admin', 'Platform administrator (principals)'),
];
if (platformRoleDecls.map((d) => d.role).join() !== platformRoles.join() || staffRoles.some((r) => platformRoleDecls.find((d) => d.role === r)!.scopeKinds.length > 0)) {
  throw new Error('platformRoleDecls must declare policy/roles.ts platformRoles, staff unscoped');
}

/** Every role, whichever process declared it: the platform's everyone-actions (reads, the catalogue) admit all of them. */
export const EVERYONE = '*';

/** The platform's own actions (not tied to one process). EVERYONE: every role of the catalogue. */
export const platformActionRoles = {
  'cases.list': [EVERYONE],
  'cases.read': [EVERYONE],
  'cases.timeline': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'cases.verify': ['auditor', 'supervisor', 'admin'],
  'cases.dossier': ['auditor', 'supervisor'],
  'attachments.upload': ['storefront', 'merchant', 'agent', 'supervisor'],
  'attachments.read': ['storefront', 'merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'threads.post': ['storefront', 'merchant', 'agent', 'supervisor'],
  'threads.read': ['storefront', 'merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'inboundMail.review': ['agent', 'supervisor'],
  'cases.cancel': ['storefront', 'agent', 'supervisor'],
  'processes.read': [EVERYONE],
  'tasks.list': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'tasks.read': ['merchant', 'agent', 'supervisor', 'auditor', 'admin'],
  'tasks.complete': ['merchant', 'agent', 'supervisor'],
  'tasks.claim': ['merchant', 'agent', 'supervisor'],
  'tasks.assign': ['supervisor'],
  'tasks.note': ['merchant', 'agent', 'supervisor'],
  'principals.manage': ['admin'],
  'parties.manage': ['admin', 'merchant'],
  'personalData.accessRecord': ['auditor', 'supervisor'],
} as const satisfies Record<string, readonly string[]>;

export type Action = string;

/** Action names of a process's own doors. */
export const processAction = {
  open: (p: { caseType: string }) => `${p.caseType}.open`,
  party: (p: { caseType: string }, name: string) => `${p.caseType}.action.${name}`,
  route: (p: { caseType: string }, id: string) => `${p.caseType}.${id}`,
};

/** What a case offers to scope matching: its row's columns and its stored party references. */
export interface ScopedCase {
  merchantId: string | null;
  customerId: string;
  parties?: readonly PartyScope[];
}

/** The party references of a case are needed to match these scopes (a kind read from case_parties). */
export function needsPartyRefs(kinds: readonly ScopeKindDecl[], scopes: readonly PartyScope[]): boolean {
  return scopes.some((s) => kinds.some((k) => k.kind === s.kind && 'partyRef' in k.from));
}

/**
 * Whether a principal sees a case: unscoped principals see every case (their role's actions decide the rest); a scoped
 * one sees a case one of its scopes matches. A scope of a kind nobody declares matches nothing.
 */
export function scopeAdmits(kinds: readonly ScopeKindDecl[], p: Pick<Principal, 'scopes'>, c: ScopedCase): boolean {
  if (p.scopes.length === 0) return true;
  return p.scopes.some((s) => {
    const k = kinds.find((d) => d.kind === s.kind);
    if (!k) return false;
    if ('column' in k.from) return c[k.from.column] === s.value;
    const ref = k.from.partyRef;
    return (c.parties ?? []).some((r) => r.kind === ref && r.value === s.value);
  });
}

/** The same rule as a filter of the case read model (Prisma's CaseWhereInput shape); null: no filter. */
export function scopeFilter(kinds: readonly ScopeKindDecl[], p: Pick<Principal, 'scopes'>): Record<string, unknown> | null {
  if (p.scopes.length === 0) return null;
  const any = p.scopes.flatMap((s): Record<string, unknown>[] => {
    const k = kinds.find((d) => d.kind === s.kind);
    if (!k) return [];
    return 'column' in k.from ? [{ [k.from.column]: s.value }] : [{ parties: { some: { kind: k.from.partyRef, value: s.value } } }];
  });
  return any.length > 0 ? { OR: any } : { id: { in: [] } };
}

/** Merchants see only their own merchant's data (its contact; a process's merchant-only fields). */
export function canSeeMerchantScoped(p: Pick<Principal, 'role' | 'merchantId'>, merchantId: string | null): boolean {
  return p.role !== 'merchant' || (merchantId !== null && p.merchantId === merchantId);
}

/** Who may complete a task of a given role: the role itself (a merchant on its own merchant's case), or a supervisor for agent tasks. */
export function canCompleteTask(p: Principal, task: { role: Role; merchantId: string | null }): boolean {
  switch (task.role) {
    case 'merchant':
      return p.role === 'merchant' && task.merchantId !== null && p.merchantId === task.merchantId;
    case 'agent':
      return p.role === 'agent' || p.role === 'supervisor';
    case 'supervisor':
      return p.role === 'supervisor';
    case 'storefront':
    case 'auditor':
    case 'admin':
      return false;
    default:
      return p.role === task.role; // a process's own role; the task's case is in its scope (the route checks it)
  }
}

/** The acting party the workflow's validators check: id, role, and the merchant a merchant acts for. */
export function actingParty(p: Principal): { id: string; role: Role; merchantId?: string } {
  return { id: p.id, role: p.role, ...(p.role === 'merchant' && p.merchantId && { merchantId: p.merchantId }) };
}
