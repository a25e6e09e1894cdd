// Posting a message in a case's thread, for every way a message arrives: the API (api/routes/threads.ts) and a reply
// by e-mail (processes/inboundMail.ts). One transaction writes the message, the audit event (that a message exists,
// never its words) and the other parties' e-mails; then the case's workflow hears of it (threadMessageSignal: a process
// may wait on a reply, CaseKit awaitThreadReply).
import crypto from 'node:crypto';
import { appendAuditEventIn, ISO_INSTANT, pgSql } from '../activities/audit';
import { queueNotification } from '../activities/caseWrites';
import { poolOf, withPgTransaction, type Db } from '../lib/db';
import type { KeyManagement } from '../lib/keys';
import type { Logger } from '../lib/logger';
import { sealerFor } from '../lib/sealedFields';
import type { ClientPool } from '../lib/temporal';
import { threadMessageSignal, type ThreadParty } from '../workflows/definitions';

type ThreadMessageDeps = { db: Db; clients: ClientPool; logger: Logger };
/** Posting seals the words with the case subject's data key (lib/sealedFields.ts): the key-management port. */
type PostingDeps = ThreadMessageDeps & { keys: KeyManagement };

export interface ThreadCase {
  id: string;
  status: string;
  customerId: string;
  /** The customer's subject (cases.subject_id). */
  subjectId?: string | null;
  merchantId: string | null;
  taskQueue: string | null;
  workflowId: string;
}

export interface PostedThreadMessage {
  id: string;
  caseId: string;
  party: ThreadParty;
  authorId: string;
  authorRole: string;
  body: string;
  attachmentIds: string[];
  createdAt: Date;
}

export async function postThreadMessage(
  deps: PostingDeps,
  c: ThreadCase,
  m: { party: ThreadParty; authorId: string; authorRole: string; body: string; attachmentIds: string[]; via?: 'api' | 'email' },
): Promise<PostedThreadMessage> {
  const { party } = m;
  const id = `msg_${crypto.randomUUID().replace(/-/g, '')}`;
  const at = new Date();
  // The other parties: the customer and the merchant of the case, whoever did not write (staff read the case).
  const others = [
    ...(party !== 'customer' ? [{ kind: 'customer' as const, id: c.customerId }] : []),
    ...(party !== 'merchant' && c.merchantId ? [{ kind: 'merchant' as const, id: c.merchantId }] : []),
  ];
  // The words at rest: sealed with the data key of the case's subject (the customer), whoever wrote them, so that
  // destroying that key makes the whole thread unreadable (policy 2.4.1, crypto-shredding). A case without a subject
  // (opened before subjects existed) keeps them as written.
  const stored = c.subjectId ? await sealerFor(deps.db, deps.keys).seal(c.subjectId, m.body) : m.body;
  const row = await withPgTransaction(deps.db, async (tx) => {
    const inserted = await tx.query<{ created_at: Date }>(
      // The customer's words point to the customer's subject (lib/personalData.ts); the merchant's and staff's to none.
      `INSERT INTO thread_messages (id, case_id, party, author_id, author_role, body, attachment_ids, created_at, subject_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $3 = 'customer' THEN (SELECT subject_id FROM cases WHERE id = $2) END) RETURNING created_at`,
      [id, c.id, party, m.authorId, m.authorRole, stored, m.attachmentIds, at],
    );
    const payload = { messageId: id, party, attachments: m.attachmentIds.length, ...(m.via === 'email' && { via: 'email' }) };
    await appendAuditEventIn(pgSql(tx), { caseId: c.id, eventKey: `thread:${id}`, type: 'thread.message_posted', actor: m.authorId, at, payload });
    for (const o of others) {
      await queueNotification(
        tx,
        { key: `${c.id}:thread:${id}:${o.kind}`, caseId: c.id, template: 'thread.message_posted', recipient: o, params: { caseId: c.id, from: party, attachments: m.attachmentIds.length }, at: at.toISOString(), eventKey: `thread:${id}:notice:${o.kind}` },
        c.taskQueue ?? null,
      );
    }
    return inserted.rows[0];
  });
  deps.logger.info({ caseId: c.id, messageId: id, party, attachments: m.attachmentIds.length, via: m.via ?? 'api' }, 'thread message posted');
  // The case's workflow hears of it (a process may wait on a reply: CaseKit awaitThreadReply). A signal that fails is
  // sent again by the case reconciler (resignalThreadMessages): signalled_at stays null until one goes through.
  await signalThreadMessage(deps, { id, caseId: c.id, workflowId: c.workflowId, status: c.status, party, at: at.toISOString(), authorId: m.authorId });
  return { id, caseId: c.id, party, authorId: m.authorId, authorRole: m.authorRole, body: m.body, attachmentIds: m.attachmentIds, createdAt: row.created_at };
}

/**
 * Tells the case's workflow of a stored message (threadMessagePosted) and records that it did. A closed case needs
 * nothing (recorded as done); another failure leaves signalled_at null for the reconciler's next pass. CaseKit hears
 * each message id once, so a signal sent twice is harmless.
 */
export async function signalThreadMessage(
  deps: Pick<ThreadMessageDeps, 'db' | 'clients' | 'logger'>,
  m: { id: string; caseId: string; workflowId: string; status: string; party: ThreadParty; at: string; authorId: string },
): Promise<boolean> {
  let done = m.status === 'closed';
  if (!done) {
    try {
      await deps.clients.forIdentity(m.authorId).workflow.getHandle(m.workflowId).signal(threadMessageSignal, { messageId: m.id, party: m.party, at: m.at });
      done = true;
    } catch (err) {
      done = /completed|not found/i.test((err as Error).message);
      if (!done) deps.logger.error({ err, caseId: m.caseId, messageId: m.id }, 'the case did not hear of its thread message; the reconciler tries again');
    }
  }
  if (done) await poolOf(deps.db).query(`UPDATE thread_messages SET signalled_at = timezone('UTC', now()) WHERE id = $1 AND signalled_at IS NULL`, [m.id]);
  return done;
}

/** The reconciler's pass over thread messages: those of its task queue's cases not signalled `afterMs` after they were written. */
export async function resignalThreadMessages(
  deps: Pick<ThreadMessageDeps, 'db' | 'clients' | 'logger'>,
  o: { afterMs: number; batch: number; taskQueue: string; adoptUnqueued: boolean },
): Promise<{ signalled: number; failed: number }> {
  const { rows } = await poolOf(deps.db).query<{ id: string; caseId: string; workflowId: string; status: string; party: ThreadParty; at: string; authorId: string }>(
    `SELECT m.id, m.case_id AS "caseId", c.workflow_id AS "workflowId", c.status, m.party, to_char(m.created_at, ${ISO_INSTANT}) AS at, m.author_id AS "authorId"
       FROM thread_messages m JOIN cases c ON c.id = m.case_id
      WHERE m.signalled_at IS NULL AND m.created_at < timezone('UTC', now()) - make_interval(secs => $1)
        AND (c.task_queue = $3 OR ($4::boolean AND c.task_queue IS NULL))
      ORDER BY m.created_at LIMIT $2`,
    [o.afterMs / 1000, o.batch, o.taskQueue, o.adoptUnqueued],
  );
  let signalled = 0;
  for (const m of rows) if (await signalThreadMessage(deps, m)) signalled++;
  if (rows.length) deps.logger.info({ messages: rows.length, signalled }, 'thread messages signalled again');
  return { signalled, failed: rows.length - signalled };
}
