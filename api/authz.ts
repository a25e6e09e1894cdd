// Authorization in one place: which roles may take each action, and which cases a principal sees. The platform's own
// actions, roles and scope kinds and the scoping rules are in lib/authz.ts; each process adds its opening, its party
// actions, its extra routes, its roles and its scope kinds from the catalogue (processes/index.ts), so a new process,
// role or scope kind never edits this file.
import type { Prisma } from '@prisma/client';
import { catalogueProcesses, catalogueRevision, catalogueRoleDecls, catalogueScopeKinds } from '../processes';
import { EVERYONE, needsPartyRefs, platformActionRoles, processAction, scopeAdmits, scopeFilter, type Action, type Principal, type ScopedCase } from '../lib/authz';
import { partiesOfCase } from '../lib/sqlReads';
import { processRoutesOf } from '../processes/reports';
import type { Db } from '../lib/db';
import type { Role } from '../policy/roles';

export { actingParty, canCompleteTask, canSeeMerchantScoped, platformActionRoles, processAction, type Action, type Principal } from '../lib/authz';

let table: { revision: number; roles: Record<string, readonly Role[]> } | undefined;

/** Every action with its roles: the platform's (with the grants of each declared role), then each process's (opening, party actions, extra routes). */
export function actionRoles(): Record<string, readonly Role[]> {
  if (table?.revision === catalogueRevision()) return table.roles;
  const decls = catalogueRoleDecls();
  const allRoles = decls.map((d) => d.role);
  const t: Record<string, readonly Role[]> = {};
  for (const [action, rs] of Object.entries(platformActionRoles) as [string, readonly string[]][]) {
    const granted = new Set<string>(rs.includes(EVERYONE) ? allRoles : rs);
    for (const d of decls) if (d.platformActions?.includes(action)) granted.add(d.role);
    t[action] = allRoles.filter((r) => granted.has(r));
  }
  const union = (lists: readonly (readonly Role[])[]) => allRoles.filter((r) => lists.some((l) => l.includes(r)));
  const catalogue = catalogueProcesses();
  for (const p of catalogue) {
    t[processAction.open(p)] = p.open.roles;
    for (const [name, a] of Object.entries(p.actions)) t[processAction.party(p, name)] = a.roles;
    for (const r of processRoutesOf(p)) t[processAction.route(p, r.id)] = r.roles;
  }
  // The generic doors admit the union; the route then checks the process's own action.
  t['cases.open'] = union(catalogue.map((p) => p.open.roles));
  for (const name of new Set(catalogue.flatMap((p) => Object.keys(p.actions)))) {
    t[`cases.action.${name}`] = union(catalogue.filter((p) => p.actions[name]).map((p) => p.actions[name].roles));
  }
  table = { revision: catalogueRevision(), roles: t };
  return t;
}

export function can(p: Principal, action: Action): boolean {
  return (actionRoles()[action] ?? []).includes(p.role);
}

/**
 * Whether the principal sees the case: unscoped principals (staff always) see every case; a scoped one only a case
 * one of its scopes matches, by the case's column or its stored party references. A case out of scope answers 404,
 * as a case that does not exist: its existence does not leak.
 */
export async function seesCase(db: Db, p: Principal, c: ScopedCase & { id: string }): Promise<boolean> {
  if (p.scopes.length === 0) return true;
  const kinds = catalogueScopeKinds();
  const parties = needsPartyRefs(kinds, p.scopes) ? await partiesOfCase(db, c.id) : [];
  return scopeAdmits(kinds, p, { ...c, parties });
}

/** The principal's scopes as a filter of the cases it lists (the same rule as seesCase); {} when unscoped. */
export function caseScopeWhere(p: Principal): Prisma.CaseWhereInput {
  return (scopeFilter(catalogueScopeKinds(), p) ?? {}) as Prisma.CaseWhereInput;
}
