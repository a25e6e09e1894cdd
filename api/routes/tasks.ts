// The task inbox, the staff's daily work surface: list, read, claim, release, assign, note, complete.
// Claims are atomic conditional updates; completion goes through the workflow's completeTask update,
// whose validator makes it race-safe: of two concurrent completions exactly one wins.
import { sealerFor } from '../../lib/sealedFields';
import crypto from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Prisma, Task } from '@prisma/client';
import { appendAuditEvent } from '../../activities/audit';
import { catalogueRoles, parseTaskPayload, taskDef } from '../../processes';
import { completeTaskUpdate } from '../../workflows/definitions';
import { attachmentIdsIn } from '../../policy/schemas';
import { requireCaseAttachments } from './attachments';
import { actingParty, canCompleteTask, caseScopeWhere, seesCase, type Principal } from '../authz';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, forbidden, fromUpdateFailure, notFound, policyRefused, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { caseById, taskById } from '../../lib/sqlReads';
import { storedScopes } from '../../lib/principals';
import { presentTask } from './present';
import { taskListSchema, taskNoteSchema, taskSchema, taskWithNotesSchema } from '../schemas';
import { processes } from '../../processes';

export const listTasksQuery = z
  .object({
    role: z.enum(catalogueRoles() as [string, ...string[]]).optional(),
    status: z.enum(['open', 'completed', 'expired', 'cancelled']).optional(),
    caseType: z.string().max(40).optional(),
    caseId: z.string().max(80).optional(),
    assignee: z.string().max(80).optional().describe("a principal id, 'me', or 'none'"),
    escalated: z.enum(['true', 'false']).optional(),
    dueBefore: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(200).optional().describe('Opaque: the nextCursor of the previous page, unchanged'),
  })
  .strict();
const completeBody = z.object({ payload: z.unknown() }).strict();

/**
 * The completion body as documented: `payload` is the branch of its task's type (the task's `type` decides which;
 * branches may overlap, e.g. two approve/reject decisions, so it is an anyOf: the server validates against the one
 * branch of the task's type). Task types sharing one schema share a branch. From the catalogue.
 */
export function completeBodyDocumented() {
  const byType = new Map<z.ZodType, string[]>();
  for (const p of processes) for (const [type, def] of Object.entries(p.tasks)) byType.set(def.payload, [...(byType.get(def.payload) ?? []), type]);
  const branches = [...byType].map(([schema, types]) => schema.meta({ title: types.join(', '), description: `The payload of a task of type ${types.join(' or ')}` }));
  return z
    .object({ payload: z.union(branches as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]).describe("The completion payload: the branch of the task's type") })
    .strict();
}
const assignBody = z.object({ assigneeId: z.string().min(1).max(80) }).strict();
const noteBody = z.object({ body: z.string().min(1).max(4000) }).strict();
const empty = z.object({}).strict();

export const taskRoutes = {
  list: defineRoute({ id: 'listTasks', method: 'get', path: '/v1/tasks', action: 'tasks.list', summary: 'The inbox: tasks filtered by role, assignee, status, case type, escalation and due time, sorted by due time', tag: 'tasks', query: listTasksQuery, success: { status: 200, description: 'Tasks and a cursor', schema: taskListSchema }, errors: [400] }),
  get: defineRoute({ id: 'getTask', method: 'get', path: '/v1/tasks/:taskId', action: 'tasks.read', summary: 'A task with its SLA, time left, escalation and notes', tag: 'tasks', success: { status: 200, description: 'The task', schema: taskWithNotesSchema }, errors: [404] }),
  claim: defineRoute({ id: 'claimTask', method: 'post', path: '/v1/tasks/:taskId/claim', action: 'tasks.claim', summary: 'Claim an open task (atomic: one claimant wins)', tag: 'tasks', body: empty, success: { status: 200, description: 'The claimed task', schema: taskSchema }, errors: [400, 404, 409] }),
  release: defineRoute({ id: 'releaseTask', method: 'post', path: '/v1/tasks/:taskId/release', action: 'tasks.claim', summary: 'Release a claimed task back to the queue', tag: 'tasks', body: empty, success: { status: 200, description: 'The task', schema: taskSchema }, errors: [400, 404, 409] }),
  assign: defineRoute({ id: 'assignTask', method: 'post', path: '/v1/tasks/:taskId/assign', action: 'tasks.assign', summary: 'Assign or reassign a task (supervisor)', tag: 'tasks', body: assignBody, success: { status: 200, description: 'The task', schema: taskSchema }, errors: [400, 404, 409, 422] }),
  note: defineRoute({ id: 'addTaskNote', method: 'post', path: '/v1/tasks/:taskId/notes', action: 'tasks.note', summary: 'Add a note to a task (kept in PostgreSQL, never in the workflow)', tag: 'tasks', body: noteBody, success: { status: 201, description: 'The note', schema: taskNoteSchema }, errors: [400, 404] }),
  complete: defineRoute({ id: 'completeTask', method: 'post', path: '/v1/tasks/:taskId/complete', action: 'tasks.complete', summary: 'Complete a task; the payload is validated per task type', tag: 'tasks', get body() {
      return completeBodyDocumented();
    }, success: { status: 200, description: 'The completed task', schema: taskSchema }, errors: [400, 404, 409, 422, 503] }),
};

export function tasksRouter(deps: ApiDeps): Router {
  const r = Router();

  async function taskCaseSeenBy(p: Principal, t: Task): Promise<boolean> {
    if (p.scopes.length === 0) return true;
    const c = await caseById(deps.db, t.caseId);
    return !!c && (await seesCase(deps.db, p, c));
  }

  async function visibleTask(req: Request) {
    const t = await taskById(deps.db, req.params.taskId as string);
    // A task of a case out of the principal's scopes does not exist for it (404, as the case's own routes).
    if (!t || !(await taskCaseSeenBy(req.principal!, t))) throw notFound('Task', req.params.taskId as string);
    return t;
  }

  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const r = schema.safeParse(value ?? {});
    if (!r.success) throw badRequest('VALIDATION_FAILED', `The ${what} is not valid`, zodIssues(r.error));
    return r.data;
  }

  /** Applies a conditional update and its audit event in one transaction; false if the condition failed. */
  async function change(task: Task, actor: Principal, where: Prisma.TaskWhereInput, data: Prisma.TaskUpdateManyMutationInput, event: string, payload: Record<string, unknown>) {
    return deps.db.$transaction(async (tx) => {
      // The case row first, as every write of the case takes it (activities/caseWrites.ts): one lock order, no deadlock.
      await tx.$queryRaw`SELECT id FROM cases WHERE id = ${task.caseId} FOR UPDATE`;
      const updated = await tx.task.updateMany({ where: { id: task.id, ...where }, data });
      if (updated.count === 0) return false;
      await appendAuditEvent(tx, { caseId: task.caseId, eventKey: `api:${crypto.randomUUID()}`, type: event, actor: actor.id, at: new Date(), payload: { taskId: task.id, ...payload } });
      return true;
    });
  }

  const reread = async (id: string) => {
    const t = await taskById(deps.db, id);
    if (!t) throw notFound('Task', id);
    return presentTask(t);
  };

  mount(r, taskRoutes.list, async (req, res) => {
    const { role, status, caseType, caseId, assignee, escalated, dueBefore, limit, cursor } = parse(listTasksQuery, req.query, 'query');
    const p = req.principal!;
    const where: Prisma.TaskWhereInput = {
      ...(role && { role }),
      ...(status && { status }),
      ...(caseType && { caseType }),
      ...(caseId && { caseId }),
      ...(assignee && { assigneeId: assignee === 'me' ? p.id : assignee === 'none' ? null : assignee }),
      ...(escalated && { escalated: escalated === 'true' }),
      ...(dueBefore && { dueAt: { lt: new Date(dueBefore) } }),
      ...(p.scopes.length > 0 && { case: caseScopeWhere(p) }), // only the tasks of cases in the principal's scopes
    };
    const rows = await deps.db.task.findMany({ where, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }], take: limit + 1, ...(cursor && { cursor: { id: cursor }, skip: 1 }) });
    const now = Date.now();
    res.json({ tasks: rows.slice(0, limit).map((t) => presentTask(t, now)), nextCursor: rows.length > limit ? rows[limit - 1].id : null });
  });

  const caseSubjectOf = async (caseId: string) => (await deps.db.case.findUnique({ where: { id: caseId }, select: { subjectId: true } }))?.subjectId ?? null;

  mount(r, taskRoutes.get, async (req, res) => {
    const t = await visibleTask(req);
    const notes = await deps.db.taskNote.findMany({ where: { taskId: t.id }, orderBy: { createdAt: 'asc' } });
    // Sealed with the case customer's key (policy 1.3): opened for the staff who read the task (null once it is destroyed).
    const bodies = notes.length ? await sealerFor(deps.db, deps.ports.keys).open(await caseSubjectOf(t.caseId), notes.map((n) => n.body)) : [];
    res.json({ ...presentTask(t), notes: notes.map((n, i) => ({ noteId: n.id, authorId: n.authorId, body: bodies[i], createdAt: n.createdAt.toISOString() })) });
  });

  mount(r, taskRoutes.claim, async (req, res) => {
    const t = await visibleTask(req); // out of scope: 404 before anything about the body
    parse(empty, req.body, 'body');
    const p = req.principal!;
    if (!canCompleteTask(p, t)) throw forbidden(`A '${t.role}' task cannot be claimed by role '${p.role}'`);
    if (t.status !== 'open') throw conflict('TASK_NOT_OPEN', `Task ${t.id} is already ${t.status}`);
    if (t.assigneeId === p.id) return void res.json(presentTask(t));
    const ok = await change(t, p, { status: 'open', assigneeId: null }, { assigneeId: p.id }, 'task.claimed', {});
    if (!ok) throw conflict('TASK_ALREADY_CLAIMED', `Task ${t.id} was claimed by someone else`);
    res.json(await reread(t.id));
  });

  mount(r, taskRoutes.release, async (req, res) => {
    const t = await visibleTask(req); // out of scope: 404 before anything about the body
    parse(empty, req.body, 'body');
    const p = req.principal!;
    if (t.assigneeId !== p.id && p.role !== 'supervisor') throw conflict('NOT_THE_ASSIGNEE', `Task ${t.id} is not claimed by you`);
    const ok = await change(t, p, { status: 'open', assigneeId: t.assigneeId }, { assigneeId: null }, 'task.released', {});
    if (!ok) throw conflict('TASK_CHANGED', `Task ${t.id} changed meanwhile; reload it`);
    res.json(await reread(t.id));
  });

  mount(r, taskRoutes.assign, async (req, res) => {
    const t = await visibleTask(req);
    const { assigneeId } = parse(assignBody, req.body, 'body');
    const p = req.principal!;
    if (t.status !== 'open') throw conflict('TASK_NOT_OPEN', `Task ${t.id} is already ${t.status}`);
    const target = await deps.db.principal.findUnique({ where: { id: assigneeId } });
    if (!target || target.revokedAt) throw badRequest('UNKNOWN_ASSIGNEE', `No active principal '${assigneeId}'`);
    const assignee: Principal = { id: target.id, name: target.name, role: target.role, merchantId: target.merchantId, scopes: storedScopes(target.scopes) };
    if (!canCompleteTask(assignee, t) || !(await taskCaseSeenBy(assignee, t))) {
      throw policyRefused('ASSIGNEE_CANNOT_ACT', `Principal ${assigneeId} (role ${target.role}) cannot complete a '${t.role}' task`);
    }
    const ok = await change(t, p, { status: 'open' }, { assigneeId }, 'task.assigned', { assigneeId, previousAssigneeId: t.assigneeId });
    if (!ok) throw conflict('TASK_NOT_OPEN', `Task ${t.id} is no longer open`);
    res.json(await reread(t.id));
  });

  mount(r, taskRoutes.note, async (req, res) => {
    const t = await visibleTask(req);
    const { body } = parse(noteBody, req.body, 'body');
    const p = req.principal!;
    const noteId = `note_${crypto.randomUUID()}`;
    const subjectId = await caseSubjectOf(t.caseId);
    await deps.db.$transaction(async (tx) => {
      // Sealed with the case customer's key: a note may name or describe the customer (a case without one: clear).
      const stored = subjectId ? await sealerFor(deps.db, deps.ports.keys).seal(subjectId, body, tx) : body;
      await tx.taskNote.create({ data: { id: noteId, taskId: t.id, authorId: p.id, body: stored } });
      // The audit trail records that a note exists, not what it says (it may hold personal data).
      await appendAuditEvent(tx, { caseId: t.caseId, eventKey: `api:${noteId}`, type: 'task.note_added', actor: p.id, at: new Date(), payload: { taskId: t.id, noteId } });
    });
    res.status(201).json({ noteId, taskId: t.id, authorId: p.id, body });
  });

  mount(r, taskRoutes.complete, async (req, res) => {
    const task = await visibleTask(req);
    const body = parse(completeBody, req.body, 'body');
    const p = req.principal!;
    if (!canCompleteTask(p, task)) throw forbidden(`A '${task.role}' task cannot be completed by role '${p.role}'`);
    if (task.status !== 'open') throw conflict('TASK_NOT_OPEN', `Task ${task.id} is already ${task.status}`);
    if (task.assigneeId && task.assigneeId !== p.id && p.role !== 'supervisor') throw conflict('TASK_CLAIMED_BY_OTHER', `Task ${task.id} is claimed by ${task.assigneeId}`);
    if (!taskDef(task.type)) throw conflict('UNKNOWN_TASK_TYPE', `Task type ${task.type} is not handled here`);
    const payload = parseTaskPayload(task.type, body.payload);
    if (!payload.ok) throw badRequest('INVALID_PAYLOAD', `Invalid payload for ${task.type}`, payload.issues);
    await requireCaseAttachments(deps, task.caseId, attachmentIdsIn(payload.value));
    try {
      await deps.temporal.clients
        .forIdentity(p.id)
        .workflow.getHandle(task.caseId)
        .executeUpdate(completeTaskUpdate, { args: [{ taskId: task.id, actor: actingParty(p), payload: payload.value }] });
    } catch (err) {
      throw fromUpdateFailure(err) ?? err;
    }
    req.log.info({ caseId: task.caseId, taskId: task.id, taskType: task.type }, 'task completed');
    res.json(await reread(task.id));
  });

  return r;
}
