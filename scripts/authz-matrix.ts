// Prints the authorization matrix (route x role) as a Markdown table, from the route declarations, the
// process catalogue and api/authz.ts: the same sources the API enforces and test/api/authz.test.ts walks.
// The generic doors are expanded per process: POST /v1/cases per case type, each party action per process.
// The roles are the catalogue's (the platform's and each process's own); then the party scopes each role takes.
import { actionRoles, processAction } from '../api/authz';
import '../api/openapi';
import { routeSpecs } from '../api/routeSpec';
import { catalogueRoleDecls, catalogueScopeKinds, processes } from '../processes';
import type { AnyProcess } from '../processes/types';

const catalogue: readonly AnyProcess[] = processes;
const roles = catalogueRoleDecls().map((d) => d.role);
const table = actionRoles();
const cells = (action: string | null) => roles.map((role) => (action === null ? 'public' : (table[action] ?? []).includes(role) ? '✓' : '403'));
const row = (label: string, action: string | null) => `| ${label} | ${cells(action).join(' | ')} |`;

const rows: string[] = [];
for (const r of routeSpecs) {
  if (r.id === 'openCase') {
    for (const p of catalogue) rows.push(row(`\`POST /v1/cases\` type=${p.caseType}`, processAction.open(p)));
  } else if (r.id.startsWith('caseAction_')) {
    const name = r.path.split('/').pop()!;
    for (const p of catalogue.filter((x) => x.actions[name])) rows.push(row(`\`POST ${r.path}\` (${p.caseType})`, processAction.party(p, name)));
  } else {
    rows.push(row(`\`${r.method.toUpperCase()} ${r.path}\``, r.action));
  }
}
console.log([`| Route | ${roles.join(' | ')} |`, `|---|${roles.map(() => ':-:').join('|')}|`, ...rows].join('\n'));
console.log('\nNo key or an unknown/revoked key: 401 on every non-public route. Scoping on top of roles: a merchant sees only its own merchant id (others: 404); a task is completed or claimed only by its role (agent tasks also by supervisors); a claimed task only by its assignee or a supervisor (409). The workflow checks the same rules again in its update validators.');

const kinds = catalogueScopeKinds();
const from = (kind: string) => {
  const k = kinds.find((d) => d.kind === kind)!;
  return 'column' in k.from ? `case column \`${k.from.column}\`` : `party reference \`${k.from.partyRef}\``;
};
console.log('\n| Role | Scope kinds (read from) | Unscoped |\n|---|---|---|');
for (const d of catalogueRoleDecls()) {
  console.log(`| ${d.role} | ${d.scopeKinds.map((k) => `${k} (${from(k)})`).join(', ') || '—'} | ${d.scopeKinds.length === 0 ? 'always (staff)' : d.scopeRequired ? 'never' : 'allowed'} |`);
}
console.log('\nA scoped principal sees only the cases one of its scopes matches: in scope, the role table above; out of scope, every route naming a case, task, attachment, registration or merchant answers 404 (as if absent), and lists leave those cases out.');
