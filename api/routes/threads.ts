// Case threads, for a case of any process: messages between the customer (through the storefront), the merchant and
// staff. The words stay in PostgreSQL; the audit trail records that a message exists (who, when, how many attachments);
// the other parties are told by e-mail in their locale (template thread.message_posted: that a message exists, never
// its words).
import { Router, type Request } from 'express';
import { z } from 'zod';
import { postThreadMessage } from '../../processes/threadMessages';
import { seesCase } from '../authz';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, notFound, policyRefused, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { loadCase } from './present';
import { requireCaseAttachments } from './attachments';
import { attachmentIdSchema } from '../../policy/schemas';
import { personalReadsOf } from '../deps';
import { accessPurposeHeader, purposeOf } from './personalData';

export const threadParties = ['customer', 'merchant', 'staff'] as const;
export type ThreadParty = (typeof threadParties)[number];

const postMessageSchema = z
  .object({
    body: z.string().trim().min(1, 'a message says something').max(4000),
    attachmentIds: z.array(attachmentIdSchema).max(10).optional(),
  })
  .strict();
const messageSchema = z
  .object({
    messageId: z.string().regex(/^msg_[0-9a-f]{32}$/),
    caseId: z.string(),
    party: z.enum(threadParties),
    authorId: z.string(),
    authorRole: z.string(),
    body: z.string().nullable().describe("The words: masked for staff roles that do not need them; null once the case subject's data key was destroyed (erasure)"),
    attachmentIds: z.array(z.string()),
    createdAt: z.iso.datetime(),
  })
  .strict();
const messageListSchema = z.object({ caseId: z.string(), messages: z.array(messageSchema), nextCursor: z.string().nullable() }).strict();
const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional().describe('Opaque: the nextCursor of the previous page, unchanged'),
  })
  .strict();

export const threadRoutes = {
  post: defineRoute({
    id: 'postCaseMessage',
    method: 'post',
    path: '/v1/cases/:caseId/messages',
    action: 'threads.post',
    summary: "Write in a case's thread (the storefront for the customer, the merchant, staff); the other parties are told by e-mail",
    tag: 'threads',
    body: postMessageSchema,
    success: { status: 201, description: 'The message; Location is the thread', schema: messageSchema, headers: ['Location'] },
    errors: [404, 409, 422],
  }),
  list: defineRoute({ id: 'listCaseMessages', method: 'get', path: '/v1/cases/:caseId/messages', action: 'threads.read', summary: "A case's thread, oldest first, a page at a time; the words masked for staff roles that do not need them (policy 2.2.2)", tag: 'threads', query: listQuery, headers: accessPurposeHeader, success: { status: 200, description: 'Messages and the next cursor', schema: messageListSchema }, errors: [400, 404] }),
};

const partyOf = (role: string): ThreadParty => (role === 'storefront' ? 'customer' : role === 'merchant' ? 'merchant' : 'staff');

const encodeCursor = (m: { createdAt: Date; id: string }) => Buffer.from(JSON.stringify([m.createdAt.toISOString(), m.id])).toString('base64url');
function decodeCursor(s: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string') throw new Error('bad');
    return { createdAt, id };
  } catch {
    throw badRequest('VALIDATION_FAILED', 'The cursor is not valid', [{ path: 'cursor', message: 'not a cursor from this API', code: 'custom' }]);
  }
}

const present = (m: { id: string; caseId: string; party: string; authorId: string; authorRole: string; body: string | null; attachmentIds: string[]; createdAt: Date }) => ({
  messageId: m.id,
  caseId: m.caseId,
  party: m.party as ThreadParty,
  authorId: m.authorId,
  authorRole: m.authorRole,
  body: m.body,
  attachmentIds: m.attachmentIds,
  createdAt: m.createdAt.toISOString(),
});

export function threadsRouter(deps: ApiDeps): Router {
  const r = Router();

  async function visibleCase(req: Request) {
    const c = await loadCase(deps, req.params.caseId as string);
    if (!(await seesCase(deps.db, req.principal!, c))) throw notFound('Case', c.id); // out of scope: as if absent
    return c;
  }
  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const p = schema.safeParse(value ?? {});
    if (!p.success) throw badRequest('VALIDATION_FAILED', `The ${what} is not valid`, zodIssues(p.error));
    return p.data;
  }

  mount(r, threadRoutes.post, async (req, res) => {
    const c = await visibleCase(req);
    const body = parse(postMessageSchema, req.body, 'message');
    if (c.status === 'closed') throw conflict('CASE_CLOSED', `Case '${c.id}' is closed: its thread takes no new message`);
    const attachmentIds = [...new Set(body.attachmentIds ?? [])];
    await requireCaseAttachments(deps, c.id, attachmentIds);
    const p = req.principal!;
    const posted = await postThreadMessage({ db: deps.db, clients: deps.temporal.clients, logger: req.log, keys: deps.ports.keys }, c, { party: partyOf(p.role), authorId: p.id, authorRole: p.role, body: body.body, attachmentIds });
    res.status(201).location(`/v1/cases/${c.id}/messages`).json(present(posted));
  });

  mount(r, threadRoutes.list, async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const c = await visibleCase(req);
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await deps.db.threadMessage.findMany({
      where: { caseId: c.id, ...(after && { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    // The words: in clear for the parties and the staff roles that need them (each read by staff recorded), else masked.
    const bodies = await personalReadsOf(deps).reveal(
      { principal: req.principal!, route: threadRoutes.list.id, purpose: purposeOf(req, 'case_handling'), caseId: c.id, subjectId: c.subjectId },
      page.map((m) => ({ table: 'thread_messages', column: 'body', category: 'free_text', value: m.body })),
    );
    res.json({ caseId: c.id, messages: page.map((m, i) => present({ ...m, body: bodies[i] })), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null });
  });

  return r;
}
