// The authorization matrix, walked in full: every declared route x every role of the catalogue (and no key), with
// the generic doors expanded per process from the catalogue (POST /v1/cases per case type, each party action
// per process). Allowed roles pass authorization (200 for reads; 400 for writes, which get a deliberately
// invalid body so nothing changes); other roles get 403; a missing key gets 401. Then every role that takes party
// scopes x each scope kind it takes: scoped to the walked cases, as its role; scoped elsewhere, every route of one
// case (or task, attachment, merchant) answers 404, as for a case that does not exist.
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { actionRoles, processAction } from '../../api/authz';
import '../../api/app';
import { routeSpecs } from '../../api/routeSpec';
import { catalogueRoleDecls, catalogueRoles, catalogueScopeKinds, processes } from '../../processes';
import type { AnyProcess } from '../../processes/types';
import type { Role } from '../../policy/roles';
import { complaintBody, idem, repairBody, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let caseId: string;
let subjectId: string;
let taskId: string;
let throwawayPrincipal: string;
let throwawayKey: string;
let registrationId: string;
let attachmentId: string;
const caseOfType: Record<string, string> = {};
const catalogue: readonly AnyProcess[] = processes;
const keys: Record<string, string> = {};
/** The storefront the walked return and registration cases are opened by: its scope is stored with them. */
let storefrontScope: string;

beforeAll(async () => {
  // The walk sends thousands of requests from a few keys: the per-key rate limit is another test's (operations.test.ts).
  sys = await startTestSystem({ env: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '100000' } });
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  storefrontScope = `sf-${tag}`;
  const scopedStorefront = await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'scoped storefront', role: 'storefront', scopes: [{ kind: 'storefront', value: storefrontScope }] } });
  expect(scopedStorefront.status).toBe(201);
  const open = async (body: Record<string, unknown>) => {
    const res = await call(sys, 'POST', '/v1/cases', { key: body.type === 'warranty_repair' || body.type === 'breach_response' ? sys.keys.agent.apiKey : scopedStorefront.body.apiKey, headers: { 'Idempotency-Key': idem() }, body });
    expect(res.status).toBe(201);
    return res.body.caseId as string;
  };
  caseId = await open(returnBody(sys.keys.merchant.merchantId));
  subjectId = (await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).subjectId!;
  taskId = await eventually(async () => (await sys.db.task.findFirst({ where: { caseId, status: 'open' } }))?.id, 'task');
  const throwaway = (await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'throwaway', role: 'auditor' } })).body;
  throwawayPrincipal = throwaway.id;
  throwawayKey = throwaway.keyId;
  registrationId = await open({ type: 'registration', name: 'Authz', mobile: '13900000000', email: `a${tag}@authz.test`, username: `authz_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11' });
  caseOfType.return = caseId;
  caseOfType.registration = registrationId;
  caseOfType.warranty_repair = await open(repairBody(sys.keys.merchant.merchantId));
  caseOfType.complaint = await open(complaintBody(sys.keys.merchant.merchantId));
  // A personal-data request of the registered customer (its identity code goes to the registration's mobile).
  const userRef = (await sys.db.registration.findUniqueOrThrow({ where: { id: registrationId } })).userRef!;
  caseOfType.personal_data_request = await open({ type: 'personal_data_request', customerId: userRef, requestType: 'access' });
  caseOfType.breach_response = await open({ type: 'breach_response', source: 'staff_report', detectedAt: new Date().toISOString(), systems: ['crm'] });
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n')]), 'authz.pdf');
  attachmentId = ((await (await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form })).json()) as any).attachmentId;
  expect(Object.keys(caseOfType).sort()).toEqual(catalogue.map((p) => p.caseType).sort());
  // A key per role: the test system's for the platform's roles; a process's own role scoped to the walked case.
  for (const d of catalogueRoleDecls()) {
    const own = (sys.keys as Record<string, { apiKey: string } | undefined>)[d.role];
    keys[d.role] = own ? own.apiKey : (await scopedPrincipal(d.role, d.scopeRequired ? d.scopeKinds[0] : undefined, true)).apiKey;
  }
});

/** The value a case carries for a scope kind: its column, or its stored party reference. */
async function scopeValueOf(kaseId: string, kind: string): Promise<string> {
  const k = catalogueScopeKinds().find((d) => d.kind === kind)!;
  if ('column' in k.from) return (await sys.db.case.findUniqueOrThrow({ where: { id: kaseId } }))[k.from.column]!;
  return (await sys.db.caseParty.findFirstOrThrow({ where: { caseId: kaseId, kind: k.from.partyRef } })).value;
}

/** A new principal of `role`, scoped by `kind` to the walked return case (inScope) or to a value no case carries. */
async function scopedPrincipal(role: string, kind: string | undefined, inScope: boolean): Promise<{ apiKey: string }> {
  const value = kind && (inScope ? await scopeValueOf(caseId, kind) : `elsewhere-${crypto.randomUUID().slice(0, 8)}`);
  const body = { name: `${role} ${kind ?? ''} ${inScope ? 'in' : 'out of'} scope`, role, ...(value && { scopes: [{ kind, value }] }), ...(role === 'merchant' && { merchantId: value }) };
  const res = await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body });
  expect(res.status).toBe(201);
  return res.body;
}
afterAll(async () => {
  await sys?.stop();
});

const keyOf = (role: Role) => keys[role];
const protectedRoutes = () => routeSpecs.filter((r) => r.action !== null);
const pathOf = (p: string) => p.replace(':caseId', caseId).replace(':taskId', taskId).replace(':principalId', throwawayPrincipal).replace(':keyId', throwawayKey).replace(':registrationId', registrationId).replace(':merchantId', sys.keys.merchant.merchantId!).replace(':attachmentId', attachmentId).replace(':subjectId', subjectId);
const writes = (method: string) => method === 'post' || method === 'put';

test('every protected route is covered by the matrix, and every action names its roles', () => {
  const generic = ['listProcesses', 'openCase', 'listCases', 'getCase', 'getCaseLinks', 'getCaseTimeline', 'verifyCaseAudit', 'getCaseDossier', 'getSigningKey', 'cancelCase', 'uploadAttachment', 'listAttachments', 'downloadAttachment', 'postCaseMessage', 'listCaseMessages', 'listQuarantinedMail', 'releaseQuarantinedMail', 'discardQuarantinedMail'];
  const perAction = new Set(catalogue.flatMap((p) => Object.keys(p.actions))).size;
  const perProcess = catalogue.reduce((n, p) => n + (p.routes?.length ?? 0) + (p.reports?.length ?? 0), 0);
  const tasksAndPrincipals = routeSpecs.filter((r) => r.path.startsWith('/v1/tasks') || r.path.startsWith('/v1/principals') || r.path.startsWith('/v1/parties') || r.path.startsWith('/v1/merchants') || r.path.startsWith('/v1/subjects')).length;
  expect(protectedRoutes()).toHaveLength(generic.length + perAction + perProcess + tasksAndPrincipals);
  for (const id of generic) expect(routeSpecs.map((r) => r.id)).toContain(id);
  for (const r of protectedRoutes()) expect(actionRoles()[r.action as string]).toBeDefined();
  for (const p of catalogue) {
    expect(actionRoles()[processAction.open(p)]).toEqual(p.open.roles);
    for (const [name, a] of Object.entries(p.actions)) expect(actionRoles()[processAction.party(p, name)]).toEqual(a.roles);
  }
});

test('no key: 401 on every protected route; public routes answer without one', async () => {
  for (const r of protectedRoutes()) {
    const res = await call(sys, r.method.toUpperCase(), pathOf(r.path), writes(r.method) ? { body: {} } : {});
    expect({ route: r.id, status: res.status, code: res.body?.error?.code }).toEqual({ route: r.id, status: 401, code: 'UNAUTHENTICATED' });
  }
  expect((await call(sys, 'GET', '/healthz')).status).toBe(200);
});

test.each(catalogueRoles())('role %s: allowed routes pass, the others answer 403', async (role) => {
  const seen: string[] = [];
  const forbiddenCodes = new Set<string>();
  for (const r of protectedRoutes()) {
    if (r.id === 'openCase' || r.id.startsWith('caseAction_')) continue; // expanded per process below
    const allowed = actionRoles()[r.action as string].includes(role);
    const res = await call(sys, r.method.toUpperCase(), pathOf(r.path), {
      key: keyOf(role),
      ...(writes(r.method) && { body: { __deliberately_invalid__: true } }),
    });
    const expected = !allowed ? 403 : writes(r.method) ? 400 : 200;
    expect({ route: r.id, role, status: res.status }).toEqual({ route: r.id, role, status: expected });
    if (res.status === 403) forbiddenCodes.add(res.body.error.code);
    seen.push(r.id);
  }
  // POST /v1/cases, per case type: the process's opening roles get 400 for an invalid body, the others 403.
  for (const p of catalogue) {
    const res = await call(sys, 'POST', '/v1/cases', { key: keyOf(role), headers: { 'Idempotency-Key': idem() }, body: { type: p.caseType, __deliberately_invalid__: true } });
    const expected = p.open.roles.includes(role) ? 400 : 403;
    expect({ open: p.caseType, role, status: res.status }).toEqual({ open: p.caseType, role, status: expected });
    seen.push(`open:${p.caseType}`);
  }
  // Each party action on a case of its process: its roles get 400 for an invalid body, the others 403
  // (a merchant acts on its own merchant's case, which these are).
  for (const p of catalogue) {
    for (const [name, a] of Object.entries(p.actions)) {
      const res = await call(sys, 'POST', `/v1/cases/${caseOfType[p.caseType]}/actions/${name}`, { key: keyOf(role), body: { __deliberately_invalid__: true } });
      const visible = role !== 'merchant' || p.caseType !== 'registration';
      const expected = !visible ? 404 : a.roles.includes(role) ? 400 : 403;
      expect({ action: `${p.caseType}/${name}`, role, status: res.status }).toEqual({ action: `${p.caseType}/${name}`, role, status: expected });
      seen.push(`${p.caseType}/${name}`);
    }
  }
  const expectedCount = protectedRoutes().filter((r) => r.id !== 'openCase' && !r.id.startsWith('caseAction_')).length + catalogue.length + catalogue.reduce((n, p) => n + Object.keys(p.actions).length, 0);
  expect(seen).toHaveLength(expectedCount);
  expect([...forbiddenCodes]).toEqual(['FORBIDDEN']); // every role is refused something, always with this code
});

test('an action another process declares is unknown on this case (404), and a made-up action has no route (404)', async () => {
  const onRegistration = await call(sys, 'POST', `/v1/cases/${registrationId}/actions/shipment`, { key: sys.keys.storefront.apiKey, body: { carrier: 'SF', trackingNumber: 'SF1234567890' } });
  expect(onRegistration.status).toBe(404);
  expect(onRegistration.body.error.code).toBe('NOT_FOUND');
  const madeUp = await call(sys, 'POST', `/v1/cases/${caseId}/actions/teleport`, { key: sys.keys.storefront.apiKey, body: {} });
  expect(madeUp.status).toBe(404);
});

/** The path parameters that name one scoped thing: a route naming one out of the principal's scopes answers 404. */
const scopedParams = [':caseId', ':taskId', ':attachmentId', ':registrationId', ':merchantId'];
const scopedPairs = catalogueRoleDecls().flatMap((d) => d.scopeKinds.map((kind) => [d.role, kind] as const));

test('every role that takes scopes is walked with each kind it takes; staff take none', () => {
  expect(scopedPairs.map(([role, kind]) => `${role}:${kind}`)).toEqual(expect.arrayContaining(['merchant:merchant', 'storefront:storefront']));
  for (const role of ['agent', 'supervisor', 'auditor', 'admin']) expect(scopedPairs.some(([r]) => r === role)).toBe(false);
});

test.each(scopedPairs)('role %s scoped by %s: in scope as its role, out of scope 404 on every route naming a case, task, attachment or merchant', async (role, kind) => {
  const inScope = (await scopedPrincipal(role, kind, true)).apiKey;
  const outOfScope = (await scopedPrincipal(role, kind, false)).apiKey;
  let walked = 0;
  for (const r of protectedRoutes()) {
    if (r.id === 'openCase' || r.id.startsWith('caseAction_')) continue; // their visibility is the case's, walked by getCase
    const allowed = actionRoles()[r.action as string].includes(role);
    const asRole = !allowed ? 403 : writes(r.method) ? 400 : 200;
    const names = scopedParams.some((p) => r.path.includes(p));
    for (const [key, expected, where] of [[inScope, asRole, 'in'], [outOfScope, allowed && names ? 404 : asRole, 'out']] as const) {
      const res = await call(sys, r.method.toUpperCase(), pathOf(r.path), { key, ...(writes(r.method) && { body: { __deliberately_invalid__: true } }) });
      expect({ route: r.id, role, kind, where, status: res.status }).toEqual({ route: r.id, role, kind, where, status: expected });
      if (expected === 404) expect(res.body.error.code).toBe('NOT_FOUND');
    }
    walked++;
  }
  expect(walked).toBeGreaterThan(10);
  // Lists answer 200 for both, without the case out of scope.
  const { customerId } = await sys.db.case.findUniqueOrThrow({ where: { id: caseId } });
  const listed = async (key: string) => (await call(sys, 'GET', `/v1/cases?type=return&customerId=${encodeURIComponent(customerId)}`, { key })).body.cases.map((c: any) => c.caseId);
  expect(await listed(inScope)).toContain(caseId);
  expect(await listed(outOfScope)).toEqual([]);
});

describe('scoping rules beyond the role table', () => {
  test("a merchant sees and completes only its own merchant's cases and tasks", async () => {
    expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.otherMerchant.apiKey })).status).toBe(404);
    expect((await call(sys, 'GET', `/v1/tasks/${taskId}`, { key: sys.keys.otherMerchant.apiKey })).status).toBe(404);
    const list = await call(sys, 'GET', '/v1/tasks?status=open', { key: sys.keys.otherMerchant.apiKey });
    expect(list.body.tasks.every((t: any) => t.merchantId === sys.keys.otherMerchant.merchantId)).toBe(true);
    const res = await call(sys, 'POST', `/v1/tasks/${taskId}/complete`, { key: sys.keys.otherMerchant.apiKey, body: { payload: { decision: 'approve' } } });
    expect(res.status).toBe(404);
    expect((await sys.db.task.findUniqueOrThrow({ where: { id: taskId } })).status).toBe('open');
  });

  test('an agent cannot complete a supervisor task; staff cannot complete a merchant task', async () => {
    const supervisorTask = await sys.db.task.create({
      data: { id: `${caseId}.tsup-${crypto.randomUUID().slice(0, 6)}`, caseId, caseType: 'return', type: 'return.platform_review', role: 'supervisor', status: 'open', dueAt: new Date(Date.now() + 3_600_000), slaName: 'platformReview' },
    });
    const byAgent = await call(sys, 'POST', `/v1/tasks/${supervisorTask.id}/complete`, { key: sys.keys.agent.apiKey, body: { payload: { decision: 'approve' } } });
    expect(byAgent.status).toBe(403);
    const staffOnMerchantTask = await call(sys, 'POST', `/v1/tasks/${taskId}/complete`, { key: sys.keys.supervisor.apiKey, body: { payload: { decision: 'approve' } } });
    expect(staffOnMerchantTask.status).toBe(403);
    await sys.db.task.update({ where: { id: supervisorTask.id }, data: { status: 'cancelled' } });
  });

  test('the principals CLI gives party scopes: a storefront scoped to the walked cases sees them, one scoped elsewhere does not', async () => {
    const root = path.resolve(__dirname, '../..');
    const cli = (...args: string[]) => promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), ['scripts/principals.ts', 'create', ...args], { cwd: root, env: process.env, timeout: 60_000 });
    const mine = JSON.parse((await cli('--name', 'CLI shop', '--role', 'storefront', '--scope', `storefront=${storefrontScope}`)).stdout);
    expect(mine).toMatchObject({ role: 'storefront', scopes: [{ kind: 'storefront', value: storefrontScope }] });
    const elsewhere = JSON.parse((await cli('--name', 'CLI other shop', '--role', 'storefront', '--scope', 'storefront=elsewhere-cli')).stdout);
    expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: mine.apiKey })).status).toBe(200);
    expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: elsewhere.apiKey })).status).toBe(404);
    await expect(cli('--name', 'bad', '--role', 'agent', '--scope', 'merchant=m-1')).rejects.toMatchObject({ stderr: expect.stringContaining('scopes.0.kind') });
  });

  test('a revoked key is refused at once', async () => {
    const p = (await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'soon revoked', role: 'agent' } })).body;
    expect((await call(sys, 'GET', '/v1/tasks', { key: p.apiKey })).status).toBe(200);
    expect((await call(sys, 'DELETE', `/v1/principals/${p.id}`, { key: sys.keys.admin.apiKey })).status).toBe(200);
    expect((await call(sys, 'GET', '/v1/tasks', { key: p.apiKey })).status).toBe(401);
    const listed = await call(sys, 'GET', '/v1/principals', { key: sys.keys.admin.apiKey });
    expect(JSON.stringify(listed.body)).not.toContain(p.apiKey);
  });
});
