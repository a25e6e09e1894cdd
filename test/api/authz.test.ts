// The authorization matrix, walked in full: every declared route x every role (and no key).
// Allowed roles pass authorization (200 for reads; 400 for writes, which get a deliberately invalid
// body so nothing changes); other roles get 403; a missing key gets 401.
import crypto from 'node:crypto';
import { actionRoles, type Action } from '../../api/authz';
import '../../api/app';
import { routeSpecs } from '../../api/routeSpec';
import { roles, type Role } from '../../policy/tasks';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let caseId: string;
let taskId: string;
let throwawayPrincipal: string;
let registrationId: string;

beforeAll(async () => {
  sys = await startTestSystem();
  const customerId = `cust-${crypto.randomUUID().slice(0, 8)}`;
  const opened = await call(sys, 'POST', '/v1/returns', {
    key: sys.keys.storefront.apiKey,
    headers: { 'Idempotency-Key': `authz-${crypto.randomUUID()}` },
    body: {
      order: { orderId: 'O-AUTHZ', lineItemId: 'L1', category: 'apparel', amount: '10.00', currency: 'CNY', customerId, merchantId: sys.keys.merchant.merchantId, deliveredAt: new Date(Date.now() - 86_400_000).toISOString() },
      requestType: 'return_and_refund',
      reasonCode: 'no_reason',
    },
  });
  expect(opened.status).toBe(201);
  caseId = opened.body.caseId;
  taskId = await eventually(async () => (await sys.db.task.findFirst({ where: { caseId, status: 'open' } }))?.id, 'task');
  throwawayPrincipal = (await call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body: { name: 'throwaway', role: 'auditor' } })).body.id;
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  registrationId = (await call(sys, 'POST', '/v1/registrations', {
    key: sys.keys.storefront.apiKey,
    headers: { 'Idempotency-Key': `authz-${crypto.randomUUID()}` },
    body: { name: 'Authz', mobile: '13900000000', email: `a${tag}@authz.test`, username: `authz_${tag}`, password: 'Correct-Horse-9!', agreementVersion: '2026-11' },
  })).body.registrationId;
});
afterAll(async () => {
  await sys?.stop();
});

const keyOf = (role: Role) => sys.keys[role === 'merchant' ? 'merchant' : role].apiKey;
const protectedRoutes = () => routeSpecs.filter((r) => r.action !== null);
const pathOf = (p: string) => p.replace(':caseId', caseId).replace(':taskId', taskId).replace(':principalId', throwawayPrincipal).replace(':registrationId', registrationId);

test('every protected route is covered by the matrix, and every action names its roles', () => {
  expect(protectedRoutes().length).toBeGreaterThanOrEqual(15);
  for (const r of protectedRoutes()) expect(actionRoles[r.action as Action]).toBeDefined();
});

test('no key: 401 on every protected route; public routes answer without one', async () => {
  for (const r of protectedRoutes()) {
    const res = await call(sys, r.method.toUpperCase(), pathOf(r.path), r.method === 'post' ? { body: {} } : {});
    expect({ route: r.id, status: res.status, code: res.body?.error?.code }).toEqual({ route: r.id, status: 401, code: 'UNAUTHENTICATED' });
  }
  expect((await call(sys, 'GET', '/healthz')).status).toBe(200);
});

test.each(roles)('role %s: allowed routes pass, the others answer 403', async (role) => {
  const seen: string[] = [];
  for (const r of protectedRoutes()) {
    const allowed = (actionRoles[r.action as Action] as readonly Role[]).includes(role);
    const res = await call(sys, r.method.toUpperCase(), pathOf(r.path), {
      key: keyOf(role),
      ...(r.method === 'post' && { body: { __deliberately_invalid__: true } }),
    });
    const expected = !allowed ? 403 : r.method === 'post' ? 400 : 200;
    expect({ route: r.id, role, status: res.status }).toEqual({ route: r.id, role, status: expected });
    if (!allowed) expect(res.body.error.code).toBe('FORBIDDEN');
    seen.push(r.id);
  }
  expect(seen).toHaveLength(protectedRoutes().length);
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
