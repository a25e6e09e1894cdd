// The task inbox against real services: filters and ordering, claim/release/assign races, notes.
import crypto from 'node:crypto';
import { createPrincipal } from '../../lib/principals';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let agent2: { id: string; apiKey: string };
beforeAll(async () => {
  sys = await startTestSystem();
  agent2 = await createPrincipal(sys.db, { name: 'second agent', role: 'agent' });
});
afterAll(async () => {
  await sys?.stop();
});

/** Opens a return and drives it to an open platform-review task (role agent). */
async function platformReviewTask() {
  const opened = await call(sys, 'POST', '/v1/cases', {
    key: sys.keys.storefront.apiKey,
    headers: { 'Idempotency-Key': `inbox-${crypto.randomUUID()}` },
    body: {
      type: 'return',
      order: { orderId: 'O-INBOX', lineItemId: 'L1', category: 'apparel', amount: '10.00', currency: 'CNY', customerId: `c-${crypto.randomUUID().slice(0, 6)}`, merchantId: sys.keys.merchant.merchantId, deliveredAt: new Date(Date.now() - 86_400_000).toISOString() },
      requestType: 'return_and_refund',
      reasonCode: 'no_reason',
    },
  });
  const caseId = opened.body.caseId as string;
  const review = await eventually(async () => sys.db.task.findFirst({ where: { caseId, type: 'return.merchant_review', status: 'open' } }), 'review');
  await call(sys, 'POST', `/v1/tasks/${review.id}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'reject', reasonCode: 'other' } } });
  await eventually(async () => (await sys.db.case.findUniqueOrThrow({ where: { id: caseId } })).step === 'awaiting_platform_review_request', 'rejection recorded');
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/actions/platform-review`, { key: sys.keys.storefront.apiKey, body: {} })).status).toBe(200);
  const task = await eventually(async () => sys.db.task.findFirst({ where: { caseId, type: 'return.platform_review', status: 'open' } }), 'platform review task');
  return { caseId, taskId: task.id };
}

test('inbox lists by role, status, assignee, escalation and due time, sorted by due time, with SLA facts', async () => {
  const a = await platformReviewTask();
  const b = await platformReviewTask();
  const res = await call(sys, 'GET', '/v1/tasks?role=agent&status=open&caseType=return&escalated=false&assignee=none&limit=500', { key: sys.keys.agent.apiKey });
  expect(res.status).toBe(200);
  const ids = res.body.tasks.map((t: any) => t.taskId);
  expect(ids).toEqual(expect.arrayContaining([a.taskId, b.taskId]));
  const dues = res.body.tasks.map((t: any) => t.dueAt);
  expect([...dues].sort()).toEqual(dues);
  const ta = res.body.tasks.find((t: any) => t.taskId === a.taskId);
  expect(ta).toMatchObject({ role: 'agent', status: 'open', sla: 'platformReview', escalated: false, overdue: false, assigneeId: null });
  expect(ta.timeLeftMs).toBeGreaterThan(0);
  expect(ta.timeLeftMs).toBeLessThanOrEqual(new Date(ta.dueAt).getTime() - Date.now() + 1000);

  const past = await call(sys, 'GET', `/v1/tasks?role=agent&dueBefore=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}`, { key: sys.keys.agent.apiKey });
  expect(past.body.tasks.map((t: any) => t.taskId)).not.toContain(a.taskId);
  const bad = await call(sys, 'GET', '/v1/tasks?dueBefore=tomorrow', { key: sys.keys.agent.apiKey });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details[0].path).toBe('dueBefore');
});

test('claims are race-safe: of two agents claiming at once exactly one wins; release and reclaim', async () => {
  const { taskId } = await platformReviewTask();
  const both = await Promise.all([sys.keys.agent.apiKey, agent2.apiKey].map((key) => call(sys, 'POST', `/v1/tasks/${taskId}/claim`, { key, body: {} })));
  expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
  const winner = both.find((r) => r.status === 200)!.body.assigneeId;
  const loserKey = winner === sys.keys.agent.id ? agent2.apiKey : sys.keys.agent.apiKey;
  const winnerKey = winner === sys.keys.agent.id ? sys.keys.agent.apiKey : agent2.apiKey;
  expect(both.find((r) => r.status === 409)!.body.error.code).toBe('TASK_ALREADY_CLAIMED');

  const mine = await call(sys, 'GET', '/v1/tasks?assignee=me&status=open', { key: winnerKey });
  expect(mine.body.tasks.map((t: any) => t.taskId)).toContain(taskId);

  // The other agent can neither release nor complete it while it is claimed.
  expect((await call(sys, 'POST', `/v1/tasks/${taskId}/release`, { key: loserKey, body: {} })).body.error.code).toBe('NOT_THE_ASSIGNEE');
  const blocked = await call(sys, 'POST', `/v1/tasks/${taskId}/complete`, { key: loserKey, body: { payload: { decision: 'approve' } } });
  expect(blocked.status).toBe(409);
  expect(blocked.body.error.code).toBe('TASK_CLAIMED_BY_OTHER');

  expect((await call(sys, 'POST', `/v1/tasks/${taskId}/release`, { key: winnerKey, body: {} })).body.assigneeId).toBeNull();
  expect((await call(sys, 'POST', `/v1/tasks/${taskId}/claim`, { key: loserKey, body: {} })).status).toBe(200);
  const done = await call(sys, 'POST', `/v1/tasks/${taskId}/complete`, { key: loserKey, body: { payload: { decision: 'approve' } } });
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ status: 'completed', completedBy: winner === sys.keys.agent.id ? agent2.id : sys.keys.agent.id });
  expect((await call(sys, 'POST', `/v1/tasks/${taskId}/claim`, { key: winnerKey, body: {} })).status).toBe(409);

  const events = await sys.db.auditEvent.findMany({ where: { payload: { path: ['taskId'], equals: taskId } }, orderBy: { seq: 'asc' } });
  expect(events.map((e) => e.type)).toEqual(['task.created', 'task.claimed', 'task.released', 'task.claimed', 'task.completed']);
});

test('supervisors assign and reassign; the assignee must be able to act; others may not assign', async () => {
  const { taskId } = await platformReviewTask();
  const assigned = await call(sys, 'POST', `/v1/tasks/${taskId}/assign`, { key: sys.keys.supervisor.apiKey, body: { assigneeId: agent2.id } });
  expect(assigned.status).toBe(200);
  expect(assigned.body.assigneeId).toBe(agent2.id);
  const reassigned = await call(sys, 'POST', `/v1/tasks/${taskId}/assign`, { key: sys.keys.supervisor.apiKey, body: { assigneeId: sys.keys.agent.id } });
  expect(reassigned.body.assigneeId).toBe(sys.keys.agent.id);
  const toMerchant = await call(sys, 'POST', `/v1/tasks/${taskId}/assign`, { key: sys.keys.supervisor.apiKey, body: { assigneeId: sys.keys.merchant.id } });
  expect(toMerchant.status).toBe(422);
  expect(toMerchant.body.error.code).toBe('ASSIGNEE_CANNOT_ACT');
  expect((await call(sys, 'POST', `/v1/tasks/${taskId}/assign`, { key: sys.keys.supervisor.apiKey, body: { assigneeId: 'prn_nobody' } })).status).toBe(400);
  expect((await call(sys, 'POST', `/v1/tasks/${taskId}/assign`, { key: sys.keys.agent.apiKey, body: { assigneeId: agent2.id } })).status).toBe(403);
  const audit = await sys.db.auditEvent.findMany({ where: { type: 'task.assigned', payload: { path: ['taskId'], equals: taskId } } });
  expect(audit.map((e) => [e.actor, (e.payload as any).assigneeId])).toEqual([
    [sys.keys.supervisor.id, agent2.id],
    [sys.keys.supervisor.id, sys.keys.agent.id],
  ]);
});

test('notes stay in PostgreSQL; the audit trail records only that a note was added', async () => {
  const { caseId, taskId } = await platformReviewTask();
  const text = 'Customer called: the parcel was left at the neighbour, phone 13800000000';
  const added = await call(sys, 'POST', `/v1/tasks/${taskId}/notes`, { key: sys.keys.agent.apiKey, body: { body: text } });
  expect(added.status).toBe(201);
  const task = await call(sys, 'GET', `/v1/tasks/${taskId}`, { key: sys.keys.supervisor.apiKey });
  expect(task.body.notes).toEqual([expect.objectContaining({ noteId: added.body.noteId, authorId: sys.keys.agent.id, body: text })]);
  const timeline = await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey });
  expect(timeline.body.events.find((e: any) => e.type === 'task.note_added')).toMatchObject({ actor: sys.keys.agent.id, payload: { taskId, noteId: added.body.noteId } });
  expect(JSON.stringify(timeline.body)).not.toContain('13800000000');
  expect((await call(sys, 'POST', `/v1/tasks/${taskId}/notes`, { key: sys.keys.agent.apiKey, body: { body: '' } })).status).toBe(400);
});
