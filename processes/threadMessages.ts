// Posting a message in a case's thread, for every way a message arrives: the API (api/routes/threads.ts) and a reply
// by e-mail (processes/inboundMail.ts). One transaction writes the message, the audit event (that a message exists,
// never its words) and the other parties' e-mails; then the case's workflow hears of it (threadMessageSignal: a process
// may wait on a reply, CaseKit awaitThreadReply).
import crypto from 'node:crypto';
import { appendAuditEventIn, pgSql } from '../activities/audit';
import { queueNotification } from '../activities/caseWrites';
import { withPgTransaction, type Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { ClientPool } from '../lib/temporal';
import { threadMessageSignal, type ThreadParty } from '../workflows/definitions';

export interface ThreadCase {
  id: string;
  status: string;
  customerId: string;
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
  deps: { db: Db; clients: ClientPool; logger: Logger },
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
  const row = await withPgTransaction(deps.db, async (tx) => {
    const inserted = await tx.query<{ created_at: Date }>(
      `INSERT INTO thread_messages (id, case_id, party, author_id, author_role, body, attachment_ids, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
      [id, c.id, party, m.authorId, m.authorRole, m.body, m.attachmentIds, at],
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
  // The case's workflow hears of it (a process may wait on a reply: CaseKit awaitThreadReply). A closed case needs
  // nothing; any other failure is logged: the message is kept and shown, but a waiting case would not see it.
  if (c.status !== 'closed') {
    await deps.clients
      .forIdentity(m.authorId)
      .workflow.getHandle(c.workflowId)
      .signal(threadMessageSignal, { messageId: id, party, at: at.toISOString() })
      .catch((err: Error) => {
        if (!/completed|not found/i.test(err.message)) deps.logger.error({ err, caseId: c.id, messageId: id }, 'the case did not hear of its thread message');
      });
  }
  return { id, caseId: c.id, party, authorId: m.authorId, authorRole: m.authorRole, body: m.body, attachmentIds: m.attachmentIds, createdAt: row.created_at };
}
