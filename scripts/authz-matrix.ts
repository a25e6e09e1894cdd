// Prints the authorization matrix (route x role) as a Markdown table, from the route declarations
// and api/authz.ts, the same sources the API enforces and test/api/authz.test.ts walks.
import { actionRoles, type Action } from '../api/authz';
import '../api/openapi';
import { routeSpecs } from '../api/routeSpec';
import { roles } from '../policy/roles';

const header = `| Route | ${roles.join(' | ')} |\n|---|${roles.map(() => ':-:').join('|')}|`;
const rows = routeSpecs.map((r) => {
  const cells = roles.map((role) => (r.action === null ? 'public' : (actionRoles[r.action as Action] as readonly string[]).includes(role) ? '✓' : '403'));
  return `| \`${r.method.toUpperCase()} ${r.path}\` | ${cells.join(' | ')} |`;
});
console.log([header, ...rows].join('\n'));
console.log('\nNo key or an unknown/revoked key: 401 on every non-public route. Scoping on top of roles: a merchant sees only its own merchant id (others: 404); a task is completed or claimed only by its role (agent tasks also by supervisors); a claimed task only by its assignee or a supervisor (409).');
