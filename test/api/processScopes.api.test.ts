// A role and a scope kind declared by a process, with no file under api/ touched: a test-only process module
// (test/processes/scopeProbe.ts) joins the catalogue, an admin creates its role's principals with its scopes, cases are
// opened through POST /v1/cases, and each principal sees the case its scope names and not another's (404, as absent).
import { registerTestProcess } from '../../processes';
import { idem } from '../../scripts/harness/bodies';
import { probeRole, probeScopeKind, scopeProbeProcess } from '../processes/scopeProbe';
import { call, startTestSystem, type TestSystem } from '../helpers/system';

const unregister = registerTestProcess(scopeProbeProcess);
let sys: TestSystem;
const opened: string[] = [];
const tag = Math.random().toString(36).slice(2, 8);
const holderA = `holder-a-${tag}`;
const holderB = `holder-b-${tag}`;

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  for (const workflowId of opened) {
    await sys.connection.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId }, reason: 'scope probe: its workflow runs nowhere' }).catch(() => undefined);
  }
  await sys?.stop();
  unregister();
});

async function principal(body: Record<string, unknown>) {
  return call(sys, 'POST', '/v1/principals', { key: sys.keys.admin.apiKey, body });
}

async function open(key: string, holderId: string): Promise<string> {
  const res = await call(sys, 'POST', '/v1/cases', { key, headers: { 'Idempotency-Key': idem() }, body: { type: scopeProbeProcess.caseType, holderId, customerId: `c-${tag}` } });
  expect(res.status).toBe(201);
  opened.push(res.body.caseId);
  return res.body.caseId;
}

test("the process's role takes the process's scope kind, checked against the catalogue", async () => {
  const ok = await principal({ name: 'holder A', role: probeRole, scopes: [{ kind: probeScopeKind, value: holderA }] });
  expect(ok.status).toBe(201);
  expect(ok.body).toMatchObject({ role: probeRole, merchantId: null, scopes: [{ kind: probeScopeKind, value: holderA }] });
  const listed = await call(sys, 'GET', '/v1/principals', { key: sys.keys.admin.apiKey });
  expect(listed.body.principals.find((p: any) => p.id === ok.body.id).scopes).toEqual([{ kind: probeScopeKind, value: holderA }]);

  const refused = [
    [{ name: 'no scope', role: probeRole }, 'scopes'],
    [{ name: 'wrong kind', role: probeRole, scopes: [{ kind: 'merchant', value: 'm-1' }] }, 'scopes.0.kind'],
    [{ name: 'unknown kind', role: probeRole, scopes: [{ kind: 'planet', value: 'mars' }] }, 'scopes.0.kind'],
    [{ name: 'staff scoped', role: 'agent', scopes: [{ kind: probeScopeKind, value: holderA }] }, 'scopes.0.kind'],
    [{ name: 'unknown role', role: 'astronaut' }, 'role'],
  ] as const;
  for (const [body, path] of refused) {
    const res = await principal(body);
    expect({ name: body.name, status: res.status, paths: res.body.error.details.map((d: any) => d.path) }).toEqual({ name: body.name, status: 400, paths: [path] });
  }
});

test('a principal of the new role sees the case its scope names, and not another (404); staff see both', async () => {
  const a = (await principal({ name: 'holder A', role: probeRole, scopes: [{ kind: probeScopeKind, value: holderA }] })).body.apiKey as string;
  const b = (await principal({ name: 'holder B', role: probeRole, scopes: [{ kind: probeScopeKind, value: holderB }] })).body.apiKey as string;
  const ofA = await open(sys.keys.agent.apiKey, holderA);
  const ofB = await open(sys.keys.agent.apiKey, holderB);

  for (const [key, mine, theirs] of [[a, ofA, ofB], [b, ofB, ofA]]) {
    for (const suffix of ['', '/timeline', '/attachments', '/messages']) {
      expect({ suffix, status: (await call(sys, 'GET', `/v1/cases/${mine}${suffix}`, { key })).status }).toEqual({ suffix, status: 200 });
      const other = await call(sys, 'GET', `/v1/cases/${theirs}${suffix}`, { key });
      expect({ suffix, status: other.status, code: other.body.error.code }).toEqual({ suffix, status: 404, code: 'NOT_FOUND' });
    }
    const listed = (await call(sys, 'GET', `/v1/cases?type=${scopeProbeProcess.caseType}`, { key })).body.cases.map((c: any) => c.caseId);
    expect(listed).toEqual([mine]);
    expect((await call(sys, 'GET', `/v1/tasks?caseId=${theirs}`, { key })).body.tasks).toEqual([]);
  }
  // What the role is not granted stays refused (403), in scope or not; a non-existent case is 404 as an out-of-scope one.
  expect((await call(sys, 'POST', `/v1/cases/${ofA}/messages`, { key: a, body: { body: 'hello' } })).status).toBe(403);
  expect((await call(sys, 'GET', `/v1/cases/${scopeProbeProcess.idPrefix}-00000000-0000-0000-0000-000000000000`, { key: a })).status).toBe(404);
  // Unscoped staff see every case; a scoped merchant sees none of these.
  const staff = (await call(sys, 'GET', `/v1/cases?type=${scopeProbeProcess.caseType}&customerId=c-${tag}`, { key: sys.keys.auditor.apiKey })).body.cases.map((c: any) => c.caseId);
  expect(staff.sort()).toEqual([ofA, ofB].sort());
  expect((await call(sys, 'GET', `/v1/cases/${ofA}`, { key: sys.keys.merchant.apiKey })).status).toBe(404);
});

test('a case the new role opens itself is in its scope (its own scope is stored with the case)', async () => {
  const a = (await principal({ name: 'holder A', role: probeRole, scopes: [{ kind: probeScopeKind, value: holderA }] })).body.apiKey as string;
  const mine = await open(a, holderA);
  expect((await call(sys, 'GET', `/v1/cases/${mine}`, { key: a })).status).toBe(200);
  expect(await sys.db.caseParty.findMany({ where: { caseId: mine }, select: { kind: true, value: true } })).toEqual([{ kind: 'probeRightsHolder', value: holderA }]);
});
