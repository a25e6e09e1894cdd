// The e-mail outbox. A case step only queues its notification (the notify activity writes one row, keyed per
// case and milestone); this dispatcher delivers queued rows over SMTP in the background, so a workflow never
// waits on a mail server and a human step answers as soon as its own writes are done.
//
// A row is claimed ('sending') before SMTP. A claim that never finished (the process died around the SMTP call, or
// SMTP accepted but recording the send failed) cannot know whether the message left: after `staleClaimMs` it becomes
// 'uncertain'. What happens then is the template's declared delivery (activities/templates.ts Delivery):
// 'at-most-once' rows stay 'uncertain' and are never resent; 'at-least-once' rows (notices that carry a right or start
// a legal clock) are claimed again and resent with the same Message-ID, derived from the row, so that a duplicate shows
// as one. A claim whose recipient has no address ends 'skipped', as a send does. An SMTP refusal is safe to retry: the
// row goes back to 'failed' with a backoff. Several workers may run dispatchers on one database: claims use FOR UPDATE
// SKIP LOCKED.
//
// Fan-out templates (TemplateDef.fanOut: a breach's notices to every affected subject) are claimed apart, a page at a
// time (`fanOutPage` rows), sent `fanOutConcurrency` at a time (their order does not matter), each row's send recorded on
// its row; the case's trail gets one `notification.sent_page` event per page (counts and a cursor: the page's last
// queued_seq), never one per recipient, so that 100,000 notices do not make 100,000 links of one case's audit chain.
//
// Delivery receipts (onAccepted), for the notices whose case asked for one (NotifyInput.receipt; a signal to every case
// for every notice would race with the task that closes a case, which the server then refuses): once a send is
// accepted by the mail server AND recorded 'sent', the case's workflow is told (the worker signals noticeDelivered: the notice's key and the acceptance time), so a process can start a clock at
// delivery (CaseKit awaitNoticeDelivered). An 'uncertain' send gives no receipt: we cannot know the server accepted it.
// Such a clock does not start on it; an at-least-once notice is sent again with the same Message-ID and its clock starts
// at the first confirmed acceptance; an at-most-once notice is never resent, so a clock waiting on it never starts (a
// process that starts a clock at delivery uses an at-least-once template). The same holds for an acceptance whose
// record failed (the row becomes 'uncertain'): no receipt until a resend is accepted and recorded.
import type { KeyManagement } from '../lib/keys';
import { isSealed, sealerFor } from '../lib/sealedFields';
import crypto from 'node:crypto';
import { Prisma, poolOf, withPgTransaction, type Db } from '../lib/db';
import { STOPPED_SUBJECT, mayReach, type ProcessingStop } from '../lib/processingStop';
import { queueNotification } from './caseWrites';
import type { Logger } from '../lib/logger';
import { appendAuditEventIn, pgSql, utc } from './audit';
import type { Mailer } from './mailer';
import { metric, type Registry } from '../lib/metrics';
import { deliveryOf, fanOutTemplates, renderTemplate, type Delivery, type TemplateSet } from './templates';
import type { NotifyInput } from './types';

export interface NotificationOutbox {
  /** Queues a notification (idempotent on its key) and wakes the dispatcher. */
  enqueue(n: NotifyInput): Promise<void>;
  /** The task queue whose e-mails this dispatcher delivers (null: rows of no queue only); rows queued for it carry it. */
  readonly queue: string | null;
  /** Starts a delivery pass (or another after the one running): a case's writes queued e-mails. */
  wake(): void;
  /** Delivers what is due now; resolves with the number of rows it finished (sent, skipped, failed or uncertain). */
  deliverDue(): Promise<number>;
  /** Resolves once no delivery pass is running (tests, shutdown). */
  idle(): Promise<void>;
  /** Also polls every `pollMs` (retries, rows queued by other processes). */
  start(): void;
  /** Stops polling and waits for the pass in flight. */
  stop(): Promise<void>;
}

export interface OutboxOptions {
  db: Db;
  mailer: Mailer;
  logger: Logger;
  templates: () => TemplateSet;
  /** Opens the recipient's address, sealed with its subject's key (lib/sealedFields.ts); without it a sealed address is not sent to. */
  keys?: KeyManagement;
  mailDomain?: string;
  pollMs?: number;
  /** Rows claimed per pass. */
  batch?: number;
  /** Rows of fan-out templates claimed per page (default 200), and sent at the same time (default 8). */
  fanOutPage?: number;
  fanOutConcurrency?: number;
  /**
   * The worker's task queue: a dispatcher delivers the e-mails its own queue's cases queued (and rows queued before
   * queues were recorded), so every worker of a deployment shares the work while separate deployments on one
   * database (a test system each, say) never send each other's mail through the wrong SMTP server.
   */
  queue?: string;
  /** Cases whose e-mails are delivered at the same time (each delivery holds a database connection while it records). */
  concurrency?: number;
  /** A claim older than this is taken as interrupted: the row becomes 'uncertain' (resent if its template is at least once). */
  staleClaimMs?: number;
  /** Registry for the delivery counters (casework_notifications_total); the worker passes its own. */
  metrics?: Registry;
  /**
   * Test hook: called once SMTP has accepted a message and before the send is recorded. A test makes it throw or hang
   * to play a crash between the SMTP answer and the record.
   */
  afterSmtpAccepted?: (row: { id: string; template: string }) => Promise<void>;
  /** The Reply-To of a notice about `caseId` to a recipient of `recipientKind` (none: no Reply-To). */
  replyTo?: (caseId: string, recipientKind: string) => string | undefined;
  /**
   * A delivery receipt, for a notice queued with `receipt`: SMTP accepted it and the send is recorded. The worker signals the case's workflow
   * (noticeDelivered). Never called for an uncertain send. Its failure is logged; the send stays recorded.
   */
  onAccepted?: (receipt: DeliveryReceipt) => Promise<void>;
}

export interface DeliveryReceipt {
  caseId: string;
  /** The case's workflow (null: no case row, e.g. a row queued for a case since removed). */
  workflowId: string | null;
  /** The case was closed when the notice was claimed (its workflow has ended: nobody to tell). */
  caseClosed: boolean;
  /** The notification's key (notifications.id): what the workflow queued it under. */
  noticeKey: string;
  template: string;
  /** When the mail server accepted it (also the row's sent_at). */
  acceptedAt: Date;
}

/** What became of one claimed row. */
type Outcome = 'sent' | 'resent' | 'failed' | 'skipped' | 'unrecorded';

interface ClaimedRow {
  id: string;
  queued_seq: bigint;
  case_id: string;
  template: string;
  recipient_kind: string;
  recipient_id: string;
  params: Record<string, string | number | null> | null;
  event_key: string | null;
  event_at: Date | null;
  attempts: number;
  /** The recipient's contact (parties), if any: sealed with the subject's key (subject_id). */
  email: string | null;
  subject_id: string | null;
  locale: string | null;
  /** The status the row was claimed from: 'uncertain' is a resend of an interrupted at-least-once notice. */
  claimed_from: string;
  workflow_id: string | null;
  case_status: string | null;
  receipt: boolean;
  /** The recipient's subject, when its processing is stopped (policy 2.4.1, lib/processingStop.ts). */
  stop: ProcessingStop | null;
}

/** Tries to record a send that SMTP accepted. */
const RECORD_TRIES = 3;

/** Seconds before the n-th retry of an SMTP refusal: 5 s, 10 s, 20 s … capped at 10 minutes. */
export const retryDelaySeconds = (attempts: number): number => Math.min(600, 5 * 2 ** Math.max(0, attempts - 1));

/** How often a dispatcher looks for delivery receipts to signal again (a pass runs every poll, and on every queued e-mail). */
const RECEIPTS_AGAIN_EVERY_MS = 30_000;

export function createNotificationOutbox(o: OutboxOptions): NotificationOutbox {
  const { db, mailer } = o;
  const batch = o.batch ?? 16;
  const fanOutPage = o.fanOutPage ?? 200;
  const fanOutConcurrency = o.fanOutConcurrency ?? 8;
  const concurrency = o.concurrency ?? 2;
  const staleClaimMs = o.staleClaimMs ?? 5 * 60_000;
  let running: Promise<number> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const counted = o.metrics
    ? metric(o.metrics, 'counter', {
        name: 'casework_notifications_total',
        help: "E-mail notices by the template's declared delivery and what became of them: sent, resent_after_uncertain (an interrupted at-least-once notice sent again), uncertain (a claim interrupted by a crash), skipped (no address), failed (SMTP refused; retried)",
        labelNames: ['delivery', 'outcome'],
      })
    : undefined;
  const count = (template: string, outcome: 'sent' | 'resent_after_uncertain' | 'uncertain' | 'skipped' | 'failed', n = 1) =>
    counted?.inc({ delivery: deliveryOf(o.templates(), template), outcome }, n);
  /** The templates whose interrupted claims are sent again. */
  const atLeastOnce = (): string[] => Object.entries(o.templates()).filter(([, t]) => t.delivery === ('at-least-once' satisfies Delivery)).map(([name]) => name);

  async function enqueue(n: NotifyInput): Promise<void> {
    await queueNotification(poolOf(db), n, o.queue ?? null);
    wake();
  }

  function wake(): void {
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        wake();
      }
    });
    running.catch((err: unknown) => o.logger.error({ err: (err as Error).message }, 'notification outbox pass failed; the next pass retries'));
  }

  /**
   * Signals a receipt to its case (onAccepted) and records that it went through; a failure leaves it for a later pass
   * (receiptsAgain): a receipt starts a clock, so it is signalled at least once. CaseKit keeps the first of each key.
   */
  async function signalReceipt(r: { id: string; caseId: string; workflowId: string | null; caseStatus: string | null; template: string; acceptedAt: Date }): Promise<void> {
    try {
      await o.onAccepted!({ caseId: r.caseId, workflowId: r.workflowId, caseClosed: r.caseStatus === 'closed', noticeKey: r.id, template: r.template, acceptedAt: r.acceptedAt });
      await db.$executeRaw`UPDATE notifications SET receipt_signalled_at = timezone('UTC', now()) WHERE id = ${r.id}`;
    } catch (err) {
      o.logger.error({ err: (err as Error).message, caseId: r.caseId, notificationId: r.id }, 'delivery receipt not signalled to the case; the outbox tries again');
    }
  }

  /** Receipts of sent notices whose signal did not go through (older than a minute: not one in flight); every 30 s at most. */
  let receiptsCheckedAt = 0;
  async function receiptsAgain(): Promise<void> {
    if (!o.onAccepted || Date.now() - receiptsCheckedAt < RECEIPTS_AGAIN_EVERY_MS) return;
    receiptsCheckedAt = Date.now();
    const rows = await db.$queryRaw<{ id: string; caseId: string; workflowId: string | null; caseStatus: string | null; template: string; acceptedAt: string }[]>`
      SELECT n.id, n.case_id AS "caseId", k.workflow_id AS "workflowId", k.status AS "caseStatus", n.template, to_char(n.sent_at, ${'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'}) AS "acceptedAt"
        FROM notifications n LEFT JOIN cases k ON k.id = n.case_id
       WHERE n.receipt AND n.status = 'sent' AND n.receipt_signalled_at IS NULL AND n.sent_at < timezone('UTC', now()) - interval '1 minute'
         AND (n.queue = ${o.queue ?? null} OR n.queue IS NULL)
       ORDER BY n.sent_at LIMIT ${batch}`;
    for (const r of rows) await signalReceipt({ ...r, acceptedAt: new Date(r.acceptedAt) });
    if (rows.length) o.logger.info({ receipts: rows.length }, 'delivery receipts signalled again');
  }

  async function pass(): Promise<number> {
    await receiptsAgain().catch((err: Error) => o.logger.error({ err: err.message }, 'delivery receipts: signalling again failed; the next pass tries again'));
    let finished = 0;
    for (;;) {
      await sweepStaleClaims();
      const rows = await claim('single');
      const page = await claim('fanOut');
      if (rows.length === 0 && page.length === 0) return finished;
      if (page.length > 0) await deliverPage(page);
      finished += page.length;
      rows.sort((a, b) => (a.queued_seq < b.queued_seq ? -1 : a.queued_seq > b.queued_seq ? 1 : 0));
      // One case's e-mails leave in the order they were queued; `concurrency` cases at a time, so that the dispatcher
      // holds few of the pool's connections (each send is recorded in a transaction) and never starves the cases' own writes.
      const byCase = new Map<string, ClaimedRow[]>();
      for (const r of rows) byCase.set(r.case_id, [...(byCase.get(r.case_id) ?? []), r]);
      const queue = [...byCase.values()];
      await Promise.all(
        Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
          for (let caseRows = queue.shift(); caseRows; caseRows = queue.shift()) for (const r of caseRows) await deliver(r);
        }),
      );
      finished += rows.length;
    }
  }

  /**
   * A page of fan-out rows: sent `fanOutConcurrency` at a time, each recorded on its row; then one audit event per case
   * (notification.sent_page: what became of the page's rows, and its cursor). A crash before that event leaves the rows
   * recorded and the counts on the case's view (from the rows), only the page's trail event missing.
   */
  async function deliverPage(page: ClaimedRow[]): Promise<void> {
    page.sort((a, b) => (a.queued_seq < b.queued_seq ? -1 : a.queued_seq > b.queued_seq ? 1 : 0));
    const outcomes = new Map<string, Outcome>();
    const queue = [...page];
    await Promise.all(
      Array.from({ length: Math.min(fanOutConcurrency, queue.length) }, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) outcomes.set(r.id, await deliver(r, { pageAudit: true }));
      }),
    );
    const byCase = new Map<string, ClaimedRow[]>();
    for (const r of page) if (r.case_status !== null) byCase.set(`${r.case_id}\u0000${r.template}`, [...(byCase.get(`${r.case_id}\u0000${r.template}`) ?? []), r]);
    for (const rows of byCase.values()) {
      const counts: Record<Outcome, number> = { sent: 0, resent: 0, failed: 0, skipped: 0, unrecorded: 0 };
      for (const r of rows) counts[outcomes.get(r.id) ?? 'unrecorded']++;
      const first = rows[0];
      const cursor = String(rows[rows.length - 1].queued_seq);
      try {
        await withPgTransaction(db, async (client) =>
          appendAuditEventIn(pgSql(client), {
            caseId: first.case_id,
            eventKey: `${first.case_id}:notify-page:${first.template}:${String(first.queued_seq)}-${cursor}:${first.attempts}`,
            type: 'notification.sent_page',
            actor: 'system',
            at: new Date(),
            payload: { template: first.template, recipientKind: first.recipient_kind, rows: rows.length, ...counts, cursor },
          }),
        );
      } catch (err) {
        o.logger.error({ err: (err as Error).message, caseId: first.case_id, template: first.template, rows: rows.length }, 'a page of notices sent, its trail event not written (the rows record each send)');
      }
    }
  }

  async function sweepStaleClaims(): Promise<void> {
    // Claims that never finished: the outcome is unknown, so 'uncertain'; or 'skipped' when the recipient has no
    // address (nothing can have left, as a send would find).
    const stale = await db.$queryRaw<{ template: string; status: string }[]>`
      UPDATE notifications n SET
        status = CASE WHEN coalesce(p.email, '') = '' THEN 'skipped' ELSE 'uncertain' END,
        last_error = CASE WHEN coalesce(p.email, '') = '' THEN 'recipient has no e-mail address'
          WHEN n.template = ANY(${atLeastOnce()}::text[]) THEN 'delivery outcome unknown after an interrupted attempt; resent (at least once)'
          ELSE 'delivery outcome unknown after an interrupted attempt; not resent' END
      FROM notifications s LEFT JOIN parties p ON p.kind = s.recipient_kind AND p.id = s.recipient_id
      WHERE s.id = n.id AND n.status = 'sending' AND (n.claimed_at IS NULL OR n.claimed_at < timezone('UTC', now()) - make_interval(secs => ${staleClaimMs / 1000}))
        AND (n.queue = ${o.queue ?? null} OR n.queue IS NULL)
      RETURNING n.id, n.case_id AS "caseId", n.template, n.status`;
    for (const r of stale) count(r.template, r.status === 'skipped' ? 'skipped' : 'uncertain');
    const uncertain = stale.filter((r) => r.status === 'uncertain');
    if (uncertain.length > 0) {
      const resent = uncertain.filter((r) => deliveryOf(o.templates(), r.template) === 'at-least-once').length;
      o.logger.warn({ rows: uncertain.length, resent, notResent: uncertain.length - resent }, 'notifications left uncertain after an interrupted attempt; at-least-once ones are sent again');
    }
  }

  async function claim(kind: 'single' | 'fanOut'): Promise<ClaimedRow[]> {
    const paged = fanOutTemplates(o.templates());
    if (kind === 'fanOut' && paged.length === 0) return [];
    // Fan-out templates are claimed a page at a time, the others `batch` at a time.
    const limit = kind === 'fanOut' ? fanOutPage : batch;
    const templateFilter = kind === 'fanOut' ? Prisma.sql`template = ANY(${paged}::text[])` : Prisma.sql`NOT (template = ANY(${paged}::text[]))`;
    // Claimed with the recipient's contact as it is now: a corrected address or locale applies to what has not left yet.
    // An at-least-once row left 'uncertain' is claimed again: sent once more with its Message-ID.
    return db.$queryRaw<ClaimedRow[]>`
      WITH claimed AS (
        UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1, claimed_at = timezone('UTC', now())
        FROM (
          SELECT id, status FROM notifications
          WHERE (status IN ('pending', 'failed') AND next_attempt_at <= timezone('UTC', now()) OR status = 'uncertain' AND template = ANY(${atLeastOnce()}::text[]))
            AND (queue = ${o.queue ?? null} OR queue IS NULL) AND ${templateFilter}
          ORDER BY next_attempt_at, queued_seq LIMIT ${limit}
          FOR UPDATE SKIP LOCKED) due
        WHERE n.id = due.id
        RETURNING n.id, n.queued_seq, n.case_id, n.template, n.recipient_kind, n.recipient_id, n.params, n.event_key, n.event_at, n.attempts, n.receipt, due.status AS claimed_from)
      SELECT c.*, p.email, p.subject_id, p.locale, k.workflow_id, k.status AS case_status,
        CASE WHEN s.id IS NOT NULL THEN jsonb_build_object('subjectId', s.id, 'status', s.status, 'allowedCase', CASE WHEN s.status = 'erased' THEN NULL ELSE s.processing_stopped_by END) END AS stop
      FROM claimed c
      LEFT JOIN parties p ON p.kind = c.recipient_kind AND p.id = c.recipient_id
      LEFT JOIN subjects s ON s.id = p.subject_id AND ${Prisma.raw(STOPPED_SUBJECT)}
      LEFT JOIN cases k ON k.id = c.case_id`;
  }

  async function deliver(r: ClaimedRow, how: { pageAudit?: boolean } = {}): Promise<Outcome> {
    const l = o.logger.child({ caseId: r.case_id, notificationId: r.id, template: r.template });
    const locale = r.locale ?? 'zh-CN';
    // Policy 2.4.1 (PIPL art. 47): a subject whose processing is stopped gets only the stopping request's own notices.
    if (!mayReach(r.stop, r.case_id)) {
      await db.notification.update({ where: { id: r.id }, data: { status: 'skipped', locale, lastError: 'processing stopped (policy 2.4.1): personal-data request' } });
      count(r.template, 'skipped');
      l.info({ stoppedBy: r.stop?.allowedCase ?? null }, 'notification refused: processing stopped');
      return 'skipped';
    }
    // The address opens for the send only (null once the subject's key is destroyed: nobody left to write to).
    const to = isSealed(r.email) ? (o.keys ? (await sealerFor(db, o.keys).open(r.subject_id, [r.email]))[0] : null) : r.email;
    if (!to) {
      await db.notification.update({ where: { id: r.id }, data: { status: 'skipped', locale, lastError: 'recipient has no e-mail address' } });
      count(r.template, 'skipped');
      l.info('notification skipped: no address');
      return 'skipped';
    }
    let sent: { messageId: string };
    let acceptedAt: Date;
    try {
      const { subject, text } = renderTemplate(o.templates(), r.template, locale, r.params ?? {});
      const messageId = `<${crypto.createHash('sha256').update(r.id).digest('hex').slice(0, 32)}@${o.mailDomain ?? 'casework.local'}>`;
      const replyTo = o.replyTo?.(r.case_id, r.recipient_kind);
      sent = await mailer.send({ to, subject, text, messageId, ...(replyTo && { replyTo }), headers: { 'X-Case-Id': r.case_id, 'X-Notification-Id': r.id } });
      acceptedAt = new Date();
    } catch (err) {
      count(r.template, 'failed');
      // Not accepted by SMTP: safe to try again later.
      const message = String((err as Error).message).slice(0, 500);
      await db.$executeRaw`
        UPDATE notifications SET status = 'failed', locale = ${locale}, last_error = ${message},
          next_attempt_at = timezone('UTC', now()) + make_interval(secs => ${retryDelaySeconds(r.attempts)})
        WHERE id = ${r.id}`;
      l.warn({ err: message, attempts: r.attempts }, 'notification failed; will retry');
      return 'failed';
    }
    await o.afterSmtpAccepted?.({ id: r.id, template: r.template });
    // Accepted by SMTP: recorded (a few tries, it is the database that failed, not the mail). If recording still
    // fails, the row stays 'sending' and becomes 'uncertain' later: sent again only if its template is at least once.
    for (let tries = 1; ; tries++) {
      try {
        // Plain SQL, as a step's writes (activities/caseWrites.ts): the case row first, then the notification row.
        await withPgTransaction(db, async (client) => {
          const sql = pgSql(client);
          // A row of no case (an e-mail before any case, e.g. an e-mail intake's confirmation) has no trail to write; a
          // fan-out row's send is on the trail with its page (deliverPage).
          if (r.case_status !== null && !how.pageAudit) await appendAuditEventIn(sql, {
            caseId: r.case_id,
            eventKey: r.event_key ?? `${r.case_id}:notify:${r.id}`,
            type: 'notification.sent',
            actor: 'system',
            at: r.event_at ?? new Date(),
            payload: { notificationId: r.id, template: r.template, recipientKind: r.recipient_kind },
          });
          await sql.query(
            `UPDATE notifications SET status = 'sent', locale = $2, message_id = $3, sent_at = ${utc(4)}, last_error = NULL WHERE id = $1`,
            [r.id, locale, sent.messageId, acceptedAt.toISOString()],
          );
        });
        break;
      } catch (err) {
        if (tries < RECORD_TRIES) {
          await new Promise((resolve) => setTimeout(resolve, 200 * tries));
          continue;
        }
        l.error({ err: (err as Error).message, messageId: sent.messageId, delivery: deliveryOf(o.templates(), r.template) }, 'notification sent but not recorded; it will be marked uncertain (resent only if at least once)');
        return 'unrecorded';
      }
    }
    // The receipt: only now, the acceptance confirmed and recorded (an uncertain send never gets here).
    if (o.onAccepted && r.receipt) await signalReceipt({ id: r.id, caseId: r.case_id, workflowId: r.workflow_id, caseStatus: r.case_status, template: r.template, acceptedAt });
    const resent = r.claimed_from === 'uncertain';
    count(r.template, resent ? 'resent_after_uncertain' : 'sent');
    l.info({ messageId: sent.messageId, ...(resent && { resentAfterUncertain: true }) }, resent ? 'notification sent again after an interrupted attempt (at least once)' : 'notification sent');
    return resent ? 'resent' : 'sent';
  }

  return {
    enqueue,
    queue: o.queue ?? null,
    wake,
    async deliverDue() {
      while (running) await running.catch(() => undefined);
      wake();
      return running!;
    },
    async idle() {
      while (running) await running.catch(() => undefined);
    },
    start() {
      if (timer) return;
      timer = setInterval(wake, o.pollMs ?? 2000);
      timer.unref();
      wake();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      while (running) await running.catch(() => undefined);
    },
  };
}
