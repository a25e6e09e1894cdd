// The authorization matrix, walked in full: every declared route x every role (and no key), with the
// generic doors expanded per process from the catalogue (POST /v1/cases per case type, each party action
// per process). Allowed roles pass authorization (200 for reads; 400 for writes, which get a deliberately
// invalid body so nothing changes); other roles get 403; a missing key gets 401.
import crypto from 'node:crypto';
import { actionRoles, processAction } from '../../api/authz';
import '../../api/app';
import { routeSpecs } from '../../api/routeSpec';
import { processes } from '../../processes';
import type { AnyProcess } from '../../processes/types';
import { roles, type Role } from '../../policy/roles';
import { idem, repairBody, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let caseId: string;
let taskId: string;
let throwawayPrincipal: string;
let registrationId: string;
let attachmentId: string;
const caseOfType: Record<string, string> = {};
const catalogue: readonly AnyProcess[] = processes;

beforeAll(async () => {
  sys = await startTestSystem();
  const open = async (body: Record<string, unknown>) => {
    const res = await call(sys, 'POST', '/v1/cases', { key: body.type === 'warranty_repair' ? sys.keys.agent.apiKey : sys.keys.storefront.apiKey, headers: { 'Idempotency-Key': idem() }, body });
    expect(res.status).toBe(201);
    return res.body.caseId as string;
  };
  caseId = await open(returnBody(sys.keys.merchant.merchantId));
  taskId = await eventually(async () => (await sys.db.task.findFirst({ where: { caseId, status: 'open' } }))?.id, 'task');
  throwawayPrincipal = (await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'throwaway', role: 'auditor' } })).body.id;
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  registrationId = await open({ type: 'registration', name: 'Authz', mobile: '13900000000', email: `a${tag}@authz.test`, username: `authz_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11' });
  caseOfType.return = caseId;
  caseOfType.registration = registrationId;
  caseOfType.warranty_repair = await open(repairBody(sys.keys.merchant.merchantId));
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n')]), 'authz.pdf');
  attachmentId = ((await (await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form })).json()) as any).attachmentId;
  expect(Object.keys(caseOfType).sort()).toEqual(catalogue.map((p) => p.caseType).sort());
});
afterAll(async () => {
  await sys?.stop();
});

const keyOf = (role: Role) => sys.keys[role === 'merchant' ? 'merchant' : role].apiKey;
const protectedRoutes = () => routeSpecs.filter((r) => r.action !== null);
const pathOf = (p: string) => p.replace(':caseId', caseId).replace(':taskId', taskId).replace(':principalId', throwawayPrincipal).replace(':registrationId', registrationId).replace(':merchantId', sys.keys.merchant.merchantId!).replace(':attachmentId', attachmentId);
const writes = (method: string) => method === 'post' || method === 'put';

test('every protected route is covered by the matrix, and every action names its roles', () => {
  const generic = ['listProcesses', 'openCase', 'listCases', 'getCase', 'getCaseLinks', 'getCaseTimeline', 'verifyCaseAudit', 'getCaseDossier', 'getSigningKey', 'cancelCase', 'uploadAttachment', 'listAttachments', 'downloadAttachment', 'postCaseMessage', 'listCaseMessages', 'listQuarantinedMail', 'releaseQuarantinedMail', 'discardQuarantinedMail'];
  const perAction = new Set(catalogue.flatMap((p) => Object.keys(p.actions))).size;
  const perProcess = catalogue.reduce((n, p) => n + (p.routes?.length ?? 0), 0);
  const tasksAndPrincipals = routeSpecs.filter((r) => r.path.startsWith('/v1/tasks') || r.path.startsWith('/v1/principals') || r.path.startsWith('/v1/parties') || r.path.startsWith('/v1/merchants')).length;
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

test.each(roles)('role %s: allowed routes pass, the others answer 403', async (role) => {
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

  test('a revoked key is refused at once', async () => {
    const p = (await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'soon revoked', role: 'agent' } })).body;
    expect((await call(sys, 'GET', '/v1/tasks', { key: p.apiKey })).status).toBe(200);
    expect((await call(sys, 'DELETE', `/v1/principals/${p.id}`, { key: sys.keys.admin.apiKey })).status).toBe(200);
    expect((await call(sys, 'GET', '/v1/tasks', { key: p.apiKey })).status).toBe(401);
    const listed = await call(sys, 'GET', '/v1/principals', { key: sys.keys.admin.apiKey });
    expect(JSON.stringify(listed.body)).not.toContain(p.apiKey);
  });
});
