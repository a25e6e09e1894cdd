// The breach response's own activities (policy 6.4.1; PIPL art. 57): the investigation's scope stored in PostgreSQL, the
// authority's report through the RegulatorNotifier port, the individuals' notices fanned out to the outbox in pages,
// and their delivery counted. The workflow gets counts back, never the subjects.
import { sealerFor } from '../lib/sealedFields';
import { Context } from '@temporalio/activity';
import { withPgTransaction } from '../lib/db';
import type { BreachReport } from '../lib/regulator';
import { personalCategories, tablesTouchedInWindow, touchedSubjectsPredicate, type PersonalCategory } from '../lib/personalData';
import type { ActivityDeps } from './index';
import { templatesOf } from './index';
import { renderTemplate } from './templates';
import { appendAuditEventIn, canonicalJson, pgSql, utc } from './audit';

export interface BreachInvestigationInput {
  caseId: string;
  cause: string;
  categories: string[];
  windowFrom: string;
  windowTo: string;
  systems: string[];
}

export interface BreachScope {
  subjects: number;
  byChannel: { email: number; sms: number; none: number };
}

/** The report as the workflow hands it over: the port's report (lib/regulator.ts) without its key, with its approver. */
export type BreachReportInput = Omit<BreachReport, 'idempotencyKey'> & { approvedBy: string };

export interface FanOutInput {
  caseId: string;
  template: string;
  /** The art. 57 contents as codes (comma lists): the same for every recipient. */
  params: Record<string, string>;
  /** Rows per page: one transaction, then a heartbeat with the cursor. */
  batch: number;
}

export interface FanOutResult {
  queued: number;
  email: number;
  sms: number;
  unreachable: number;
}

/** The notices' delivery, counted from the outbox (e-mail) and the SMS gateway's rows. */
export interface NoticeProgress {
  subjects: number;
  queued: number;
  sent: number;
  /** Sent again after an interrupted attempt (at least once, same Message-ID), or uncertain now. */
  uncertainResent: number;
  failed: number;
  skipped: number;
  sms: number;
  unreachable: number;
  /** E-mails not finished yet (pending, sending, failed and due again, uncertain to be resent). */
  pending: number;
}

/** Where a resumed fan-out goes on: the last subject id of the last page committed, and the counts so far. */
interface FanOutCursor {
  cursor: string;
  totals: FanOutResult;
}

/** The key of one subject's notice: its outbox row id (the Message-ID derives from it), and its SMS key. */
export const breachNoticeKey = (caseId: string, template: string, subjectId: string) => `${caseId}:${template}:subject:${subjectId}`;

export function createBreachActivities(deps: Pick<ActivityDeps, 'db' | 'ports' | 'logger' | 'outbox' | 'processes'>) {
  const { db } = deps;

  /** 6.4.1 调查核实: the findings on the breach row, and every subject touched in the window stored once with its channel. */
  async function recordBreachInvestigation(i: BreachInvestigationInput): Promise<BreachScope> {
    const categories = i.categories.filter((c): c is PersonalCategory => (personalCategories as readonly string[]).includes(c));
    // The breach's own rows and the notices about it are not what was breached.
    const exceptTables = ['breach_affected_subjects', 'notifications'];
    const tables = await tablesTouchedInWindow(db, { categories, exceptTables, from: i.windowFrom, to: i.windowTo });
    const touched = tables.length ? touchedSubjectsPredicate({ categories, tables, exceptTables, fromParam: utc(2), toParam: utc(3) }) : null;
    await withPgTransaction(db, async (c) => {
      await c.query(
        `UPDATE breach_records SET cause = $2, categories = $3::jsonb, window_from = ${utc(4)}, window_to = ${utc(5)}, affected_systems = $6::jsonb, investigated_at = timezone('UTC', now()) WHERE case_id = $1`,
        [i.caseId, i.cause, JSON.stringify(i.categories), i.windowFrom, i.windowTo, JSON.stringify(i.systems)],
      );
      if (!touched) return;
      // One statement: the subjects never travel through this process. Again on a retry: ON CONFLICT keeps the first row.
      await c.query(
        `INSERT INTO breach_affected_subjects (case_id, subject_id, channel, recipient_id, status)
         SELECT $1, subj.id,
           CASE WHEN p.id IS NOT NULL THEN 'email'
                WHEN EXISTS (SELECT 1 FROM registrations r WHERE r.subject_id = subj.id AND coalesce(r.mobile_sealed, r.mobile, '') <> '') THEN 'sms'
                ELSE 'none' END,
           p.id, 'found'
         FROM subjects subj
         LEFT JOIN LATERAL (SELECT id FROM parties WHERE kind = 'customer' AND subject_id = subj.id AND coalesce(email, '') <> '' ORDER BY id LIMIT 1) p ON true
         WHERE subj.status <> 'erased' AND ${touched}
         ON CONFLICT (case_id, subject_id) DO NOTHING`,
        [i.caseId, i.windowFrom, i.windowTo],
      );
    });
    const rows = await db.$queryRawUnsafe<{ channel: 'email' | 'sms' | 'none'; n: number }[]>(`SELECT channel, count(*)::int AS n FROM breach_affected_subjects WHERE case_id = $1 GROUP BY channel`, i.caseId);
    const byChannel = { email: 0, sms: 0, none: 0 };
    for (const r of rows) byChannel[r.channel] = r.n;
    return { subjects: byChannel.email + byChannel.sms + byChannel.none, byChannel };
  }

  /** PIPL art. 57: the report, filed once per case (`breach-report:<caseId>`). */
  async function reportBreachToRegulator(i: BreachReportInput): Promise<{ reportId: string; acceptedAt: string }> {
    const { approvedBy: _a, ...report } = i;
    const r = await deps.ports.regulator.submit({ idempotencyKey: `breach-report:${i.caseId}`, ...report });
    return { reportId: r.reportId, acceptedAt: r.acceptedAt };
  }

  /**
   * 6.4.1 通知用户: every affected subject's notice, page by page (`batch` subjects ordered by id): one transaction
   * inserts the page's outbox rows (one per subject, key breachNoticeKey: at least once, the same Message-ID on a
   * resend) and marks the page queued; SMS for those without e-mail goes through the gateway under the same key. After
   * each page a heartbeat carries the cursor: a retry (a worker killed, a heartbeat timeout) resumes after the last
   * committed page, and a page done twice inserts nothing twice.
   */
  async function fanOutBreachNotices(i: FanOutInput): Promise<FanOutResult> {
    const ctx = Context.current();
    const resumed = ctx.info.heartbeatDetails as FanOutCursor | undefined;
    let cursor = resumed?.cursor ?? '';
    const totals: FanOutResult = resumed?.totals ?? { queued: 0, email: 0, sms: 0, unreachable: 0 };
    const queue = deps.outbox?.queue ?? null;
    const templates = templatesOf(deps.processes);
    const params = canonicalJson({ caseId: i.caseId, ...i.params });
    for (;;) {
      const page = await db.$queryRawUnsafe<{ subject_id: string; channel: string; mobile: string | null; locale: string | null }[]>(
        `SELECT b.subject_id, b.channel,
           CASE WHEN b.channel = 'sms' THEN (SELECT coalesce(r.mobile_sealed, r.mobile) FROM registrations r WHERE r.subject_id = b.subject_id AND coalesce(r.mobile_sealed, r.mobile, '') <> '' ORDER BY r.created_at DESC LIMIT 1) END AS mobile,
           CASE WHEN b.channel = 'sms' THEN (SELECT r.locale FROM registrations r WHERE r.subject_id = b.subject_id ORDER BY r.created_at DESC LIMIT 1) END AS locale
         FROM breach_affected_subjects b WHERE b.case_id = $1 AND b.subject_id > $2 ORDER BY b.subject_id LIMIT $3`,
        i.caseId,
        cursor,
        i.batch,
      );
      if (page.length === 0) break;
      const last = page[page.length - 1].subject_id;
      const pageCounts = { subjects: page.length, email: 0, sms: 0, unreachable: 0 };
      for (const r of page) pageCounts[r.channel === 'email' ? 'email' : r.channel === 'sms' ? 'sms' : 'unreachable']++;
      await withPgTransaction(db, async (c) => {
        await c.query(
          `INSERT INTO notifications (id, case_id, template, recipient_kind, recipient_id, status, params, queue)
           SELECT $1 || ':' || $4 || ':subject:' || b.subject_id, $1, $4, 'customer', b.recipient_id, 'pending', $5::jsonb, $6
           FROM breach_affected_subjects b WHERE b.case_id = $1 AND b.subject_id > $2 AND b.subject_id <= $3 AND b.channel = 'email'
           ORDER BY b.subject_id
           ON CONFLICT (id) DO NOTHING`,
          [i.caseId, cursor, last, i.template, params, queue],
        );
        await c.query(
          `UPDATE breach_affected_subjects SET status = CASE WHEN channel = 'none' THEN 'unreachable' ELSE 'queued' END, queued_at = coalesce(queued_at, timezone('UTC', now()))
           WHERE case_id = $1 AND subject_id > $2 AND subject_id <= $3`,
          [i.caseId, cursor, last],
        );
        // The page on the case's trail, in the same transaction: one event with its counts and cursor (the page's last
        // subject id, an opaque id), never one per recipient; its key and contents are the page's (its bounds and what
        // they hold), so a page done again (a retry after its commit) adds none.
        await appendAuditEventIn(pgSql(c), {
          caseId: i.caseId,
          eventKey: `${i.caseId}:breach.notices_page:${i.template}:${cursor}-${last}`,
          type: 'breach.notices_page_queued',
          actor: 'system',
          at: new Date(),
          payload: { template: i.template, after: cursor || null, cursor: last, ...pageCounts },
        });
      });
      for (const r of page) {
        // The mobile is sealed with the subject's key: opened here, for the send only.
        const mobile = r.channel === 'sms' && r.mobile ? (await sealerFor(db, deps.ports.keys).open(r.subject_id, [r.mobile]))[0] : null;
        if (r.channel === 'sms' && mobile) {
          const { text } = renderTemplate(templates, i.template, r.locale ?? 'zh-CN', { caseId: i.caseId, ...i.params });
          await deps.ports.sms.send({ idempotencyKey: breachNoticeKey(i.caseId, i.template, r.subject_id), to: mobile, body: text, purpose: 'breach_notice' });
        }
        totals.queued++;
        if (r.channel === 'email') totals.email++;
        else if (r.channel === 'sms') totals.sms++;
        else totals.unreachable++;
      }
      cursor = last;
      ctx.heartbeat({ cursor, totals } satisfies FanOutCursor);
      deps.outbox?.wake();
    }
    deps.logger.child({ caseId: i.caseId }).info({ ...totals, resumedAfter: resumed?.cursor ?? null }, 'breach notices queued');
    return totals;
  }

  /** The notices' delivery so far (counts only): what the case view shows and the closing report records. */
  async function breachNotificationProgress(i: { caseId: string }): Promise<NoticeProgress> {
    return breachNoticeProgress(db, i.caseId);
  }

  return { recordBreachInvestigation, reportBreachToRegulator, fanOutBreachNotices, breachNotificationProgress };
}

/** Counts of a breach's notices: its affected subjects, the outbox rows of its template by status, the SMS sent. */
export async function breachNoticeProgress(db: ActivityDeps['db'], caseId: string): Promise<NoticeProgress> {
  const [row] = await db.$queryRawUnsafe<NoticeProgress[]>(
    `SELECT
       (SELECT count(*)::int FROM breach_affected_subjects WHERE case_id = $1) AS subjects,
       (SELECT count(*)::int FROM breach_affected_subjects WHERE case_id = $1 AND status = 'queued') AS queued,
       (SELECT count(*)::int FROM breach_affected_subjects WHERE case_id = $1 AND status = 'unreachable') AS unreachable,
       (SELECT count(*)::int FROM sms_outbox WHERE idempotency_key LIKE $1 || ':breach.%') AS sms,
       count(*) FILTER (WHERE n.status = 'sent')::int AS sent,
       count(*) FILTER (WHERE n.status = 'uncertain' OR (n.status = 'sent' AND n.attempts > 1))::int AS "uncertainResent",
       count(*) FILTER (WHERE n.status = 'failed')::int AS failed,
       count(*) FILTER (WHERE n.status = 'skipped')::int AS skipped,
       count(*) FILTER (WHERE n.status IN ('pending', 'sending', 'failed', 'uncertain'))::int AS pending
     FROM notifications n WHERE n.case_id = $1 AND n.template = 'breach.individual_notice'`,
    caseId,
  );
  return row;
}

export type BreachActivities = ReturnType<typeof createBreachActivities>;
