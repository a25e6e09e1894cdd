// Complaints over HTTP against the real Temporal dev server and PostgreSQL: intake by the storefront (online) and by an
// agent (phone), each channel for its role only; the description in PostgreSQL and never in the workflow; the
// merchant's reply in the thread; a settlement accepted twice at the same moment pays once.
import { idem, complaintBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';
import { sealerFor } from '../../lib/sealedFields';

let sys: TestSystem;
const opened: string[] = [];
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  for (const id of opened) await sys?.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await sys?.stop();
});

async function openComplaint(body: ReturnType<typeof complaintBody>, key: string) {
  const res = await call(sys, 'POST', '/v1/cases', { key, body, headers: { 'Idempotency-Key': idem() } });
  expect({ status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({ status: 201, body: undefined });
  opened.push(res.body.caseId);
  return res.body.caseId as string;
}
async function completeTask(caseId: string, type: string, payload: unknown, key = sys.keys.agent.apiKey) {
  const task = await eventually(async () => {
    const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.agent.apiKey });
    return r.body?.tasks?.find((t: any) => t.type === type);
  }, `${type} task`);
  const res = await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key, body: { payload } });
  expect({ type, status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({ type, status: 200, body: undefined });
}
const caseOf = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body;
const atStep = (caseId: string, step: string) => eventually(async () => ((await caseOf(caseId)).step === step ? true : undefined), step);

test('the storefront opens a complaint online, an agent one by phone; each channel for its role; the description stays in PostgreSQL', async () => {
  const body = complaintBody(sys.keys.merchant.merchantId);
  const caseId = await openComplaint(body, sys.keys.storefront.apiKey);
  expect(caseId).toMatch(/^CMP-/);
  const byPhone = await openComplaint(complaintBody(sys.keys.merchant.merchantId, { channel: 'phone', category: 'service' }), sys.keys.agent.apiKey);

  // The row beside the case holds the words; the workflow's input and its history do not.
  // At rest the words are sealed with the complainant's data key (lib/sealedFields.ts); they open to what was sent.
  const row = await sys.db.complaintRecord.findUniqueOrThrow({ where: { caseId } });
  expect(row).toMatchObject({ channel: 'online', category: 'product_quality', description: expect.stringMatching(/^sealed:v1:/) });
  expect(row.description).not.toContain(body.description);
  const subjectId = (await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).subjectId;
  expect(await sealerFor(sys.db, sys.api.deps.ports.keys).open(subjectId, [row.description])).toEqual([body.description]);
  expect(await sys.db.complaintRecord.findUniqueOrThrow({ where: { caseId: byPhone } })).toMatchObject({ channel: 'phone', category: 'service' });
  const handle = sys.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(caseId);
  await eventually(async () => ((await caseOf(caseId)).tasks?.some((t: any) => t.type === 'complaint.information_review') ? true : undefined), 'review task');
  const history = JSON.stringify(await handle.fetchHistory());
  expect(history).not.toContain(body.description);
  // The case shows the complaint: its words to staff, not to the merchant.
  expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.agent.apiKey })).body.complaint).toMatchObject({ channel: 'online', description: body.description });
  expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.merchant.apiKey })).body.complaint.description).toBeUndefined();

  // The channel goes with the role (policy 8.1): a storefront does not take phone calls, an agent is not the storefront.
  for (const [key, channel] of [[sys.keys.storefront.apiKey, 'phone'], [sys.keys.agent.apiKey, 'online']] as const) {
    const res = await call(sys, 'POST', '/v1/cases', { key, body: complaintBody(sys.keys.merchant.merchantId, { channel }), headers: { 'Idempotency-Key': idem() } });
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 422, code: 'CHANNEL_NOT_FOR_ROLE' });
  }
  // Without a category or a description: 400, nothing opened.
  const { description: _d, ...noWords } = complaintBody(sys.keys.merchant.merchantId);
  const bad = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: { ...noWords, category: undefined }, headers: { 'Idempotency-Key': idem() } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(['category', 'description']);
  // A merchant opens no complaint.
  expect((await call(sys, 'POST', '/v1/cases', { key: sys.keys.merchant.apiKey, body: complaintBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } })).status).toBe(403);
});

test('a settlement accepted twice at the same moment pays once, under settlement:<caseId>:1', async () => {
  const caseId = await openComplaint(complaintBody(sys.keys.merchant.merchantId), sys.keys.storefront.apiKey);
  await completeTask(caseId, 'complaint.information_review', { outcome: 'complete' });
  await completeTask(caseId, 'complaint.preliminary_judgement', { classification: 'product_quality' });
  await atStep(caseId, 'merchant_reply');
  const reply = await call(sys, 'POST', `/v1/cases/${caseId}/messages`, { key: sys.keys.merchant.apiKey, body: { body: 'We are sorry; we offer a compensation.' } });
  expect(reply.status).toBe(201);
  await atStep(caseId, 'negotiation');
  const action = (name: string, key: string, body: unknown) => call(sys, 'POST', `/v1/cases/${caseId}/actions/${name}`, { key, body });
  expect((await action('propose-settlement', sys.keys.merchant.apiKey, { terms: 'compensation', amount: '88.00' })).status).toBe(200);
  const answers = await Promise.all([1, 2].map(() => action('respond-settlement', sys.keys.storefront.apiKey, { proposal: 1, decision: 'accept' })));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  await atStep(caseId, 'rating');
  const payments = await sys.db.payment.findMany({ where: { caseId } });
  expect(payments).toEqual([expect.objectContaining({ idempotencyKey: `settlement:${caseId}:1`, kind: 'complaint_compensation', amountMinor: 8800, currency: 'CNY', status: 'succeeded' })]);
  expect(await sys.db.simulatedGatewayCharge.count({ where: { idempotencyKey: `settlement:${caseId}:1` } })).toBe(1);
  expect((await action('complaint-rating', sys.keys.storefront.apiKey, { rating: 5 })).status).toBe(200);
  await atStep(caseId, 'closed');
  expect((await caseOf(caseId)).outcome).toBe('settled');
});
