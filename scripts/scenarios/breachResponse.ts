// Scenarios recorded as breach response history fixtures (scripts/record-histories.ts), and the fakes the breach
// workflow tests share: the generic fake activities plus recording fakes of the breach's own (policy 6.4; PIPL art. 57).
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { BreachInvestigationInput, BreachReportInput, FanOutInput, NoticeProgress } from '../../activities/breachResponse';
import { completeTaskUpdate, type Actor } from '../../workflows/definitions';
import { breachResponse, type BreachCaseInput } from '../../workflows/breachResponse';
import { createFakeActivities } from '../harness/fakeActivities';
import { caseWorker, executeUpdate, openTaskOf, testPolicy, waitForState } from '../harness/timeSkipping';
import type { Scenario, ScenarioSet } from './types';

/** The generic fakes and the breach's: a scope of `subjects` subjects, one report per key, notices delivered after `pendingPolls` reads. */
export function createBreachFakeActivities(o: { subjects?: number; pendingPolls?: number } = {}) {
  const fake = createFakeActivities();
  const investigations: BreachInvestigationInput[] = [];
  const reports = new Map<string, BreachReportInput>();
  const fanOuts: FanOutInput[] = [];
  const polls = new Map<string, number>();
  const subjects = o.subjects ?? 300;
  const progress = (caseId: string, pending: number): NoticeProgress => ({ subjects, queued: subjects - 10, sent: subjects - 10 - pending, uncertainResent: 2, failed: 0, skipped: 0, sms: 6, unreachable: 4, pending });
  const breach = {
    async recordBreachInvestigation(i: BreachInvestigationInput) {
      investigations.push(i);
      return { subjects, byChannel: { email: subjects - 10, sms: 6, none: 4 } };
    },
    async reportBreachToRegulator(i: BreachReportInput) {
      const key = `breach-report:${i.caseId}`;
      if (!reports.has(key)) reports.set(key, i);
      return { reportId: `REG-${i.caseId}`, acceptedAt: new Date().toISOString() };
    },
    async fanOutBreachNotices(i: FanOutInput) {
      fanOuts.push(i);
      return { queued: subjects, email: subjects - 10, sms: 6, unreachable: 4 };
    },
    async breachNotificationProgress(i: { caseId: string }) {
      const n = (polls.get(i.caseId) ?? 0) + 1;
      polls.set(i.caseId, n);
      const left = o.pendingPolls === undefined ? 0 : Math.max(0, (o.pendingPolls ?? 0) - n + 1);
      return progress(i.caseId, left > 0 ? 5 : 0);
    },
  };
  return { fake, investigations, reports, fanOuts, polls, activities: { ...fake.activities, ...breach } };
}

export async function breachWorker(env: TestWorkflowEnvironment, taskQueue: string, o: { subjects?: number; pendingPolls?: number } = {}) {
  const fakes = createBreachFakeActivities(o);
  return { worker: await caseWorker(env, taskQueue, fakes.activities), ...fakes };
}

/** A breach reported by staff; the calendar as written by hand (no holiday data read). */
export function breachInput(caseId: string, over: Partial<BreachCaseInput> = {}): BreachCaseInput {
  const policy = testPolicy();
  const { version: _v, officialYears: _o, provisionalYears: _p, ...handWritten } = policy.calendar;
  return {
    caseId,
    openedBy: 'prn_fixture_agent',
    policy: { version: policy.version, calendar: handWritten, breach: policy.breach },
    source: 'staff_report',
    detectedAt: new Date().toISOString(),
    systems: ['crm', 'order_db'],
    monitoringEventId: null,
    complaintCaseId: null,
    ...over,
  };
}

export const breachActors = {
  agent: { id: 'prn_fixture_agent', role: 'agent' } as Actor,
  lead: { id: 'prn_fixture_supervisor', role: 'supervisor' } as Actor,
  approver: { id: 'prn_fixture_supervisor_2', role: 'supervisor' } as Actor,
};

/** Completes the open task of `type` as `actor`. */
export async function completeBreachTask(h: WorkflowHandle, type: string, payload: unknown, actor: Actor) {
  const v = await waitForState(h, (s) => !!openTaskOf(s, type), type);
  return executeUpdate(h, completeTaskUpdate, { args: [{ taskId: openTaskOf(v, type)!.taskId, actor, payload }] });
}

export const investigationPayload = (over: Record<string, unknown> = {}) => ({
  cause: 'database_leak',
  categories: ['contact', 'transaction'],
  windowFrom: new Date(Date.now() - 7 * 86_400_000).toISOString(),
  windowTo: new Date().toISOString(),
  systems: ['order_db'],
  ...over,
});
export const reportPayload = { harms: ['phishing', 'fraud'], measures: ['systems_isolated', 'credentials_revoked'], individualActions: ['change_password', 'watch_for_phishing'], contact: 'privacy_office' };

/** Lead, containment, investigation: the case waits for the decision whether to notify. */
export async function toNotifyDecision(h: WorkflowHandle, investigation: Record<string, unknown> = {}) {
  const { agent, lead } = breachActors;
  await completeBreachTask(h, 'breach.assign_lead', {}, lead);
  await completeBreachTask(h, 'breach.containment', { done: ['isolate_systems', 'preserve_evidence'] }, lead);
  await completeBreachTask(h, 'breach.investigation', investigationPayload(investigation), agent);
}

function breachScenario(drive: (h: WorkflowHandle, ctx: { env: TestWorkflowEnvironment; caseId: string }) => Promise<void>): Scenario {
  return async ({ env, taskQueue, workflowId: caseId }) => {
    const queue = `${taskQueue}-breach`;
    const { worker } = await breachWorker(env, queue);
    await worker.runUntil(async () => {
      const started = await env.client.workflow.start(breachResponse, { taskQueue: queue, workflowId: caseId, args: [breachInput(caseId)] });
      await drive(started, { env, caseId });
      await started.result();
    });
  };
}

export const breachScenarios: ScenarioSet = {
  /** Led, contained, investigated (300 subjects), notification approved by a second supervisor, reported, notified, remediated, closed. */
  'breachResponse.notifiedReportedRemediated': breachScenario(async (h) => {
    const { agent, lead, approver } = breachActors;
    await toNotifyDecision(h);
    await completeBreachTask(h, 'breach.notify_decision', { decision: 'notify' }, agent);
    await completeBreachTask(h, 'breach.notify_approval', { approved: true }, approver);
    await completeBreachTask(h, 'breach.regulator_report', reportPayload, lead);
    await completeBreachTask(h, 'breach.remediation', { measures: ['encryption', 'access_control', 'security_audit'] }, lead);
  }),
  /** PIPL art. 57 ¶2: the data was encrypted: not notifying approved; reported to the authority; remediated, closed. */
  'breachResponse.notNotifiedEncrypted': breachScenario(async (h) => {
    const { agent, lead, approver } = breachActors;
    await toNotifyDecision(h);
    await completeBreachTask(h, 'breach.notify_decision', { decision: 'not_notify', reason: 'encrypted_unreadable', measures: ['credentials_revoked'] }, agent);
    await completeBreachTask(h, 'breach.notify_approval', { approved: true }, approver);
    await completeBreachTask(h, 'breach.regulator_report', { ...reportPayload, harms: ['unlikely'] }, lead);
    await completeBreachTask(h, 'breach.remediation', { measures: ['encryption', 'access_control', 'security_audit'] }, lead);
  }),
};
