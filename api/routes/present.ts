// How cases and tasks look over the API.
import type { Task } from '@prisma/client';
import { processOf } from '../../processes';
import type { Principal } from '../authz';
import type { ApiDeps } from '../deps';
import { workflowUiLink } from '../deps';
import { notFound } from '../errors';
import { caseById, tasksOfCase } from '../../lib/sqlReads';
import type { CaseReadAccess } from '../../processes/types';

export function presentTask(t: Task, now = Date.now()) {
  return {
    taskId: t.id,
    caseId: t.caseId,
    caseType: t.caseType,
    type: t.type,
    role: t.role,
    merchantId: t.merchantId,
    assigneeId: t.assigneeId,
    status: t.status,
    sla: t.slaName,
    dueAt: t.dueAt.toISOString(),
    timeLeftMs: t.status === 'open' ? t.dueAt.getTime() - now : null,
    overdue: t.status === 'open' && t.dueAt.getTime() < now,
    escalated: t.escalated,
    escalatedAt: t.escalatedAt?.toISOString() ?? null,
    createdAt: t.createdAt.toISOString(),
    completedAt: t.completedAt?.toISOString() ?? null,
    completedBy: t.completedBy,
    resolution: t.resolution,
    result: t.result ?? null,
  };
}

export async function loadCase(deps: ApiDeps, caseId: string) {
  const c = await caseById(deps.db, caseId);
  if (!c) throw notFound('Case', caseId);
  return c;
}

/** The case resource: the read model, its tasks, and what its process adds (e.g. the repair's details). */
export async function presentCase(deps: ApiDeps, caseId: string, principal: Principal, access: CaseReadAccess = { route: 'getCase', purpose: 'case_handling' }) {
  const c = await loadCase(deps, caseId);
  const [extras, tasks] = await Promise.all([
    processOf(c.type)?.present?.(deps, c, principal, access) ?? Promise.resolve({}),
    tasksOfCase(deps.db, caseId),
  ]);
  const { workflowInput: _omit, ...summary } = (c.summary ?? {}) as Record<string, unknown>;
  return {
    caseId: c.id,
    type: c.type,
    status: c.status,
    step: c.step,
    outcome: c.outcome,
    customerId: c.customerId,
    merchantId: c.merchantId,
    policyVersion: c.policyVersion,
    summary,
    deadlines: c.deadlines,
    openTasks: tasks.filter((t) => t.status === 'open').map((t) => presentTask(t)),
    tasks: tasks.map((t) => presentTask(t)),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    closedAt: c.closedAt?.toISOString() ?? null,
    ...extras,
    links: { self: `/v1/cases/${c.id}`, timeline: `/v1/cases/${c.id}/timeline`, temporalUi: workflowUiLink(deps, c.workflowId) },
  };
}
