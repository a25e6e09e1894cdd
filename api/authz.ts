// Authorization in one place: which roles may take each action. The platform's own actions and the scoping rules
// are in lib/authz.ts; each process adds its opening, its party actions and its extra routes from the catalogue
// (processes/index.ts), so a new process never edits this file.
import { roles as allRoles, type Role } from '../policy/roles';
import { processes, type AnyProcess } from '../processes';
import { platformActionRoles, processAction, type Action, type Principal } from '../lib/authz';

export { actingParty, canCompleteTask, canSeeMerchantScoped, platformActionRoles, processAction, type Action, type Principal } from '../lib/authz';

let table: Record<string, readonly Role[]> | undefined;

/** Every action with its roles: the platform's, then each process's (opening, party actions, extra routes). */
export function actionRoles(): Record<string, readonly Role[]> {
  if (table) return table;
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

