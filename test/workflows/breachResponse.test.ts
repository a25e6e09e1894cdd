// Breach response (policy 6.3.2, 6.4; PIPL art. 57) on the time-skipping server: each step's deadline escalates at the
// policy's time (the authority's from detection), a second person approves the decision whether to notify, the
// decision not to notify (art. 57 ¶2) skips the fan-out, the fan-out is one activity whose counts alone reach the
// history, remediation follows the cause's measures (6.4.2), a compensation claim opens a linked complaint; and a
// privacy complaint opens a linked breach response instead of the supervisor's hand-over task (patch).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { defineUpdate } from '@temporalio/workflow';
import { defaultBreachPolicy } from '../../policy/breachResponse';
import { breachResponse, type BreachCaseInput } from '../../workflows/breachResponse';
import { cancelCaseUpdate, completeTaskUpdate } from '../../workflows/definitions';
import { complaint } from '../../workflows/complaint';
import { createTimeSkippingEnv, executeUpdate, openTaskOf, waitForState } from '../../scripts/harness/timeSkipping';
import { breachActors, breachInput, breachWorker, completeBreachTask, reportPayload, toNotifyDecision } from '../../scripts/scenarios/breachResponse';
import { complaintInput, complaintWorker } from '../../scripts/scenarios/complaint';

const { agent, lead, approver } = breachActors;
let env: TestWorkflowEnvironment;
let worker: Worker;
let complaintW: Worker;
let fakes: Awaited<ReturnType<typeof breachWorker>>;
let cfakes: Awaited<ReturnType<typeof complaintWorker>>;
let running: Promise<void>[] = [];
const taskQueue = 'breach-test';
let n = 0;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  fakes = await breachWorker(env, taskQueue, { subjects: 300 });
  cfakes = await complaintWorker(env, `${taskQueue}-complaint`);
  worker = fakes.worker;
  complaintW = cfakes.worker;
  running = [worker.run(), complaintW.run()];
});

afterAll(async () => {
  worker?.shutdown();
  complaintW?.shutdown();
  await Promise.all(running);
  await env?.teardown();
});

const input = (over: Partial<BreachCaseInput> = {}) => breachInput(`BRC-TS-${++n}-${Date.now()}`, over);
const start = (i: BreachCaseInput) => env.client.workflow.start(breachResponse, { taskQueue, workflowId: i.caseId, args: [i] });
type Handle = Awaited<ReturnType<typeof start>>;
const forCase = (caseId: string, list: any[]) => list.filter((x) => x.caseId === caseId);
const events = (caseId: string) => forCase(caseId, fakes.fake.of('recordCaseEvent'));
const event = (caseId: string, type: string) => events(caseId).find((e) => e.type === type);
const eventTypes = (caseId: string) => events(caseId).map((e) => e.type);
const atStep = (h: Handle, step: string) => waitForState(h, (s) => s.step === step, step);
const deadlineOf = async (h: Handle, name: string) => (await waitForState(h, (s) => !!s.deadlines[name], `deadline ${name}`)).deadlines[name]!;
async function sleepPast(due: string) {
  await env.sleep(Math.max(0, Date.parse(due) - (await env.currentTimeMs())) + 1_000);
}
const refused = (p: Promise<unknown>, re: RegExp = /./) => expect(p).rejects.toMatchObject({ cause: { message: expect.stringMatching(re) } });
/** Polls (real time) until `fn` holds: the fakes record a batch once it is sent. */
async function until(fn: () => boolean, label = 'condition') {
  for (let k = 0; k < 100; k++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${label}`);
}
const hours = (h: number) => h * 3_600_000;
const days = (d: number) => hours(24 * d);

/** A step's deadline: at the policy's time from `from`; at it the task is flagged escalated and every supervisor hears. */
async function escalatesAt(h: Handle, caseId: string, type: string, slaName: string, ms: number, from: number) {
  const due = await deadlineOf(h, slaName);
  expect(Date.parse(due) - from).toBe(ms);
  await sleepPast(due);
  await waitForState(h, (s) => !!s.tasks.find((t) => t.type === type && t.escalated && t.status === 'open'), `${type} escalated`);
  const escalation = forCase(caseId, fakes.fake.of('escalateTask')).find((e) => e.slaName === slaName && e.kind === 'breach');
  expect({ dueAt: escalation.dueAt, action: escalation.action }).toEqual({ dueAt: due, action: 'notify' });
  expect(forCase(caseId, fakes.fake.of('notify')).some((x) => x.template === 'task.escalated' && x.recipient.kind === 'role' && x.recipient.id === 'supervisor')).toBe(true);
}
const startedAt = async (h: Handle, type: string) => Date.parse((await waitForState(h, (s) => !!openTaskOf(s, type), type)).timeline.find((e) => e.type === 'task.created' && e.data?.type === type)!.at);

test('every step escalates at its deadline (lead 2 h, containment 24 h, investigation 3 days, decision and approval 1 day each, the authority 72 h from detection, remediation 30 days), then closes notified', async () => {
  const i = input();
  const h = await start(i);
  // 6.4.1 "立即": supervisors hear of the breach at once.
  await atStep(h, 'lead_assignment');
  expect(forCase(i.caseId, fakes.fake.of('notify')).map((x) => `${x.template}>${x.recipient.id}`)).toContain('breach.opened>supervisor');
  await escalatesAt(h, i.caseId, 'breach.assign_lead', 'leadAssignment', hours(2), await startedAt(h, 'breach.assign_lead'));
  await completeBreachTask(h, 'breach.assign_lead', {}, lead);
  await escalatesAt(h, i.caseId, 'breach.containment', 'containment', hours(24), await startedAt(h, 'breach.containment'));
  await completeBreachTask(h, 'breach.containment', { done: ['isolate_systems'] }, lead);
  await escalatesAt(h, i.caseId, 'breach.investigation', 'investigation', days(3), await startedAt(h, 'breach.investigation'));
  await completeBreachTask(h, 'breach.investigation', { cause: 'network_attack', categories: ['contact'], windowFrom: '2026-11-01T00:00:00Z', windowTo: '2026-11-02T00:00:00Z', systems: ['crm'] }, agent);
  await escalatesAt(h, i.caseId, 'breach.notify_decision', 'notifyDecision', days(1), await startedAt(h, 'breach.notify_decision'));
  await completeBreachTask(h, 'breach.notify_decision', { decision: 'notify' }, agent);
  await escalatesAt(h, i.caseId, 'breach.notify_approval', 'notifyApproval', days(1), await startedAt(h, 'breach.notify_approval'));
  await completeBreachTask(h, 'breach.notify_approval', { approved: true }, approver);
  // PIPL art. 57: counted from detection, not from the task.
  await escalatesAt(h, i.caseId, 'breach.regulator_report', 'regulatorReport', hours(72), Date.parse(i.detectedAt));
  await completeBreachTask(h, 'breach.regulator_report', reportPayload, lead);
  await escalatesAt(h, i.caseId, 'breach.remediation', 'remediation', days(30), await startedAt(h, 'breach.remediation'));
  // 6.4.2: a network attack is remediated with the emergency plan, staff training and an internal review.
  await refused(completeBreachTask(h, 'breach.remediation', { measures: ['encryption'] }, lead), /emergency_plan, staff_training, internal_review/);
  await completeBreachTask(h, 'breach.remediation', { measures: ['emergency_plan', 'staff_training', 'internal_review'] }, lead);
  expect(await h.result()).toEqual({ outcome: 'closed_notified', subjects: 300 });
  expect(event(i.caseId, 'breach.lead_assigned').payload).toEqual({ lead: lead.id });
  expect(event(i.caseId, 'breach.contained').payload).toEqual({ done: ['isolate_systems'] });
});

test('the decision is approved by a second person; an approval refused sends it back; notified: one fan-out, counts only in the history', async () => {
  const i = input();
  const h = await start(i);
  await toNotifyDecision(h);
  await atStep(h, 'notify_decision');
  await until(() => !!event(i.caseId, 'breach.investigated'));
  expect(event(i.caseId, 'breach.investigated').payload).toMatchObject({ cause: 'database_leak', subjects: 300, byChannel: { email: 290, sms: 6, none: 4 } });
  // The proposer cannot approve their own proposal.
  await completeBreachTask(h, 'breach.notify_decision', { decision: 'notify' }, lead);
  await refused(completeBreachTask(h, 'breach.notify_approval', { approved: true }, lead), /other than the one who proposed/);
  await completeBreachTask(h, 'breach.notify_approval', { approved: false }, approver);
  await completeBreachTask(h, 'breach.notify_decision', { decision: 'notify' }, agent);
  await completeBreachTask(h, 'breach.notify_approval', { approved: true }, approver);
  await completeBreachTask(h, 'breach.regulator_report', reportPayload, lead);
  await completeBreachTask(h, 'breach.remediation', { measures: ['encryption', 'access_control', 'security_audit'] }, lead);
  expect(await h.result()).toEqual({ outcome: 'closed_notified', subjects: 300 });
  expect(events(i.caseId).filter((e) => e.type === 'breach.notification_decided').map((e) => e.payload.approved)).toEqual([false, true]);
  // The report: once per case, with art. 57's contents.
  expect(fakes.reports.get(`breach-report:${i.caseId}`)).toMatchObject({ cause: 'database_leak', categories: ['contact', 'transaction'], harms: ['phishing', 'fraud'], contact: 'privacy_office', individualsNotified: true, subjects: 300 });
  // One fan-out activity, with the art. 57 contents as codes; the history keeps the counts.
  expect(forCase(i.caseId, fakes.fanOuts)).toEqual([{ caseId: i.caseId, template: 'breach.individual_notice', batch: defaultBreachPolicy.fanOutBatch, params: { cause: 'database_leak', categories: 'contact,transaction', harms: 'phishing,fraud', measures: 'systems_isolated,credentials_revoked', actions: 'change_password,watch_for_phishing', contact: 'privacy_office' } }]);
  expect(event(i.caseId, 'breach.notices_queued').payload).toEqual({ queued: 300, email: 290, sms: 6, unreachable: 4 });
  expect(event(i.caseId, 'breach.closing_report').payload).toMatchObject({ subjects: 300, notified: true, reportId: `REG-${i.caseId}`, notices: { subjects: 300, pending: 0 } });
  expect(forCase(i.caseId, fakes.fake.of('notify')).filter((x) => x.template === 'breach.individual_notice')).toEqual([]);
});

test('PIPL art. 57 ¶2: not notifying, with the reason and measures, approved: no fan-out; still reported to the authority', async () => {
  const i = input();
  const h = await start(i);
  await toNotifyDecision(h);
  await completeBreachTask(h, 'breach.notify_decision', { decision: 'not_notify', reason: 'encrypted_unreadable', measures: ['credentials_revoked'] }, agent);
  await completeBreachTask(h, 'breach.notify_approval', { approved: true }, approver);
  await completeBreachTask(h, 'breach.regulator_report', { ...reportPayload, harms: ['unlikely'] }, lead);
  await atStep(h, 'remediation');
  await completeBreachTask(h, 'breach.remediation', { measures: ['encryption', 'access_control', 'security_audit'] }, lead);
  expect(await h.result()).toEqual({ outcome: 'closed_not_notified', subjects: 300 });
  expect(event(i.caseId, 'breach.notification_proposed').payload).toEqual({ decision: 'not_notify', reason: 'encrypted_unreadable', measures: ['credentials_revoked'] });
  expect(fakes.reports.get(`breach-report:${i.caseId}`)).toMatchObject({ individualsNotified: false, harms: ['unlikely'] });
  expect(forCase(i.caseId, fakes.fanOuts)).toEqual([]);
  expect(eventTypes(i.caseId)).not.toContain('breach.notices_queued');
});

test('the notices are followed until none is pending, read at the policy period (here every 6 hours), at most 3 days', async () => {
  const slow = await breachWorker(env, `${taskQueue}-slow`, { subjects: 300, pendingPolls: 1_000_000 });
  await slow.worker.runUntil(async () => {
    const base = breachInput(`BRC-TS-slow-${Date.now()}`);
    const i = { ...base, policy: { ...base.policy, breach: { ...base.policy.breach, notificationPollMinutes: 360 } } };
    const h = await env.client.workflow.start(breachResponse, { taskQueue: `${taskQueue}-slow`, workflowId: i.caseId, args: [i] });
    await toNotifyDecision(h);
    await completeBreachTask(h, 'breach.notify_decision', { decision: 'notify' }, agent);
    await completeBreachTask(h, 'breach.notify_approval', { approved: true }, approver);
    await completeBreachTask(h, 'breach.regulator_report', reportPayload, lead);
    const due = await deadlineOf(h, 'notificationFollowUp');
    const from = Date.parse((await waitForState(h, (s) => s.step === 'individual_notification')).timeline.find((e: any) => e.type === 'breach.stage_entered' && e.data.stage === 'individual_notification')!.at);
    expect(Date.parse(due) - from).toBeGreaterThanOrEqual(days(3) - 1_000);
    await sleepPast(due);
    await atStep(h, 'remediation');
    // 3 days of reads every 6 hours: 12 and the one at the start, then the count at the end.
    await until(() => !!slow.fake.of('recordCaseEvent').find((e: any) => e.caseId === i.caseId && e.type === 'breach.notices_delivered'));
    expect(slow.polls.get(i.caseId)).toBeGreaterThanOrEqual(12);
    expect(slow.polls.get(i.caseId)).toBeLessThanOrEqual(15);
    const delivered = slow.fake.of('recordCaseEvent').find((e: any) => e.caseId === i.caseId && e.type === 'breach.notices_delivered');
    expect(delivered.payload).toMatchObject({ pending: 5 });
    expect(Date.parse(delivered.at) - Date.parse(due)).toBeLessThan(60_000);
    await h.terminate('test done');
  });
});

test('a compensation claim (6.4.2) opens a linked complaint, ids only', async () => {
  const i = input();
  const h = await start(i);
  await atStep(h, 'lead_assignment');
  await refused(executeUpdate(h, defineUpdate<unknown, [unknown]>('breachCompensationClaim'), { args: [{ actor: { id: 'sf', role: 'storefront' }, customerId: 'cust-1' }] }), /may not/);
  await executeUpdate(h, defineUpdate<unknown, [unknown]>('breachCompensationClaim'), { args: [{ actor: agent, customerId: 'cust-1' }] });
  const opened = fakes.fake.of('openLinkedCase').filter((x: any) => x.fromCaseId === i.caseId);
  expect(opened).toEqual([expect.objectContaining({ caseType: 'complaint', linkType: 'related', body: { channel: 'linked_case', customerId: 'cust-1', merchantId: 'unassigned', category: 'privacy', returnCaseId: i.caseId, reasonCode: 'breach_compensation' } })]);
  await h.terminate('test done');
});

test('a privacy complaint opens a linked breach response instead of the hand-over task (patch complaint-privacy-opens-breach); an ip complaint keeps the task', async () => {
  const q = `${taskQueue}-complaint`;
  const privacy = complaintInput(`CMP-TS-privacy-${Date.now()}`, { category: 'privacy' });
  const h = await env.client.workflow.start(complaint, { taskQueue: q, workflowId: privacy.caseId, args: [privacy] });
  const complete = async (handle: typeof h, type: string, payload: unknown, actor = agent) => {
    const v = await waitForState(handle, (s) => !!openTaskOf(s, type), type);
    await executeUpdate(handle, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
  };
  await complete(h, 'complaint.information_review', { outcome: 'complete' });
  await complete(h, 'complaint.preliminary_judgement', { classification: 'privacy' });
  expect(await h.result()).toEqual({ outcome: 'handed_over', rating: null });
  const link = cfakes.fake.of('openLinkedCase').find((x: any) => x.fromCaseId === privacy.caseId);
  expect(link).toMatchObject({ caseType: 'breach_response', linkType: 'handed_over_to', body: { source: 'complaint', complaintCaseId: privacy.caseId } });
  expect(Object.keys(link.body).sort()).toEqual(['complaintCaseId', 'detectedAt', 'source']);
  const handedOver = cfakes.fake.of('recordCaseEvent').find((e: any) => e.caseId === privacy.caseId && e.type === 'complaint.handed_over');
  expect(handedOver.payload).toEqual({ classification: 'privacy', caseId: 'BRE-LINKED-1', caseType: 'breach_response' });
  expect(cfakes.fake.tasks().filter((t) => t.caseId === privacy.caseId).map((t) => t.type)).not.toContain('complaint.handover_review');
  // The catalogue without the breach process: the supervisor's task, as before.
  cfakes.fake.missingProcesses.add('breach_response');
  const fallback = complaintInput(`CMP-TS-privacy-fallback-${Date.now()}`, { category: 'privacy' });
  const f = await env.client.workflow.start(complaint, { taskQueue: q, workflowId: fallback.caseId, args: [fallback] });
  await complete(f, 'complaint.information_review', { outcome: 'complete' });
  await complete(f, 'complaint.preliminary_judgement', { classification: 'privacy' });
  await complete(f, 'complaint.handover_review', { outcome: 'handed_over' }, { id: 'sup', role: 'supervisor' });
  expect(await f.result()).toEqual({ outcome: 'handed_over', rating: null });
  cfakes.fake.missingProcesses.delete('breach_response');
});

test('a false alarm is cancelled by staff (not the storefront) until the authority has the report', async () => {
  const i = input({ source: 'monitoring', monitoringEventId: 'mon-1' });
  const h = await start(i);
  await atStep(h, 'lead_assignment');
  await refused(executeUpdate(h, cancelCaseUpdate, { args: [{ actor: { id: 'sf', role: 'storefront' }, reasonCode: 'duplicate' }] }), /may not cancel/);
  await executeUpdate(h, cancelCaseUpdate, { args: [{ actor: lead, reasonCode: 'duplicate' }] });
  expect(await h.result()).toEqual({ outcome: 'cancelled', subjects: 0 });
  // Reported: no cancellation any more.
  const j = input();
  const k = await start(j);
  await toNotifyDecision(k);
  await completeBreachTask(k, 'breach.notify_decision', { decision: 'not_notify', reason: 'encrypted_unreadable', measures: ['credentials_revoked'] }, agent);
  await completeBreachTask(k, 'breach.notify_approval', { approved: true }, approver);
  await completeBreachTask(k, 'breach.regulator_report', reportPayload, lead);
  await atStep(k, 'remediation');
  await refused(executeUpdate(k, cancelCaseUpdate, { args: [{ actor: lead, reasonCode: 'duplicate' }] }), /reported to the authority/);
  await k.terminate('test done');
});
