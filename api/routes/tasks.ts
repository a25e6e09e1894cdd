// The task inbox: list, read, complete. Completion goes through the workflow's completeTask update,
// whose validator makes it race-safe: of two concurrent completions exactly one wins.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Prisma } from '@prisma/client';
import { isTaskType, parseTaskPayload, roles } from '../../policy/tasks';
import { completeTaskUpdate } from '../../workflows/definitions';
import { canCompleteTask, canSeeMerchantScoped } from '../authz';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, forbidden, fromUpdateFailure, notFound, zodIssues } from '../errors';
import { allow } from '../middleware';
import { presentTask } from './present';

export const listTasksQuery = z
  .object({
    role: z.enum(roles).optional(),
    status: z.enum(['open', 'completed', 'expired', 'cancelled']).optional(),
    caseType: z.string().max(40).optional(),
    caseId: z.string().max(80).optional(),
    assignee: z.string().max(80).optional(),
    dueBefore: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const completeBody = z.object({ payload: z.unknown() }).strict();

export function tasksRouter(deps: ApiDeps): Router {
  const r = Router();

  async function visibleTask(req: Request) {
    const t = await deps.db.task.findUnique({ where: { id: req.params.taskId as string } });
    if (!t || !canSeeMerchantScoped(req.principal!, t.merchantId)) throw notFound('Task', req.params.taskId as string);
    return t;
  }

  r.get('/v1/tasks', allow('tasks.list'), async (req, res) => {
    const q = listTasksQuery.safeParse(req.query);
    if (!q.success) throw badRequest('VALIDATION_FAILED', 'The query is not valid', zodIssues(q.error));
    const { role, status, caseType, caseId, assignee, dueBefore, limit, cursor } = q.data;
    const p = req.principal!;
    const where: Prisma.TaskWhereInput = {
      ...(role && { role }),
      ...(status && { status }),
      ...(caseType && { caseType }),
      ...(caseId && { caseId }),
      ...(assignee && { assigneeId: assignee === 'me' ? p.id : assignee }),
      ...(dueBefore && { dueAt: { lt: new Date(dueBefore) } }),
      ...(p.role === 'merchant' && { merchantId: p.merchantId }),
    };
    const rows = await deps.db.task.findMany({
      where,
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
      ...(cursor && { cursor: { id: cursor }, skip: 1 }),
    });
    const now = Date.now();
    res.json({ tasks: rows.slice(0, limit).map((t) => presentTask(t, now)), nextCursor: rows.length > limit ? rows[limit - 1].id : null });
  });

  r.get('/v1/tasks/:taskId', allow('tasks.read'), async (req, res) => {
    res.json(presentTask(await visibleTask(req)));
  });

  r.post('/v1/tasks/:taskId/complete', allow('tasks.complete'), async (req, res) => {
    const body = completeBody.safeParse(req.body);
    if (!body.success) throw badRequest('VALIDATION_FAILED', 'Send { "payload": { ... } }', zodIssues(body.error));
    const task = await visibleTask(req);
    const p = req.principal!;
    if (!canCompleteTask(p, task)) throw forbidden(`A '${task.role}' task cannot be completed by role '${p.role}'`);
    if (task.status !== 'open') throw conflict('TASK_NOT_OPEN', `Task ${task.id} is already ${task.status}`);
    if (!isTaskType(task.type)) throw conflict('UNKNOWN_TASK_TYPE', `Task type ${task.type} is not handled here`);
    const payload = parseTaskPayload(task.type, body.data.payload);
    if (!payload.ok) throw badRequest('INVALID_PAYLOAD', `Invalid payload for ${task.type}`, payload.issues);
    try {
      await deps.temporal.clients
        .forIdentity(p.id)
        .workflow.getHandle(task.caseId)
        .executeUpdate(completeTaskUpdate, { args: [{ taskId: task.id, actor: { id: p.id, role: p.role }, payload: payload.value }] });
    } catch (err) {
      throw fromUpdateFailure(err) ?? err;
    }
    req.log.info({ caseId: task.caseId, taskId: task.id, taskType: task.type }, 'task completed');
    res.json(presentTask(await deps.db.task.findUniqueOrThrow({ where: { id: task.id } })));
  });

  return r;
}
