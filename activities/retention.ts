// The daily retention purge's activities (workflows/retentionPurge.ts, started by the Schedule `retention-purge`): every
// retention rule of the personal-data inventory with a finite period and purge steps (lib/personalData.ts retentions)
// disposes of the rows past it, page by page (PIPL art. 19, 47; policy 2.2.1, 2.4.1). A rule's steps are re-runnable:
// a row is due only while it is not yet disposed of, so a retry (or the next day) resumes where the last one stopped.
// Counts go to the run's row (retention_runs), the metric casework_retention_purged_rows_total and the log.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { BlobStore } from '../lib/blobs';
import { poolOf, type Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import { metric, type Registry } from '../lib/metrics';
import { dateKeptCaseRecords, purgeKeptCaseRecord, removeBlobsNoRowNeeds } from '../lib/keptRecords';
import { HELD_MAIL_BLOBS, retentions, type PurgeStep, type Retention, type RetentionId } from '../lib/personalData';
import { retireMailSender } from '../lib/subjects';
import { purgeExpiredExports } from '../lib/subjectExport';
import { appendAuditEvent } from './audit';
import type { RegistrationActivities } from './registration';

/** The purge counts its days in China Standard Time (no daylight saving): the schedule's zone, the law's days. */
export const RETENTION_TIME_ZONE = 'Asia/Shanghai';
const ZONE_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
/** Rows per statement: a page, followed by a heartbeat. */
export const RETENTION_PAGE = 1_000;

/** The rules the purge runs: the inventory's retentions with a finite period and purge steps, in the inventory's order. */
export function purgeRules(): RetentionId[] {
  return (Object.entries(retentions) as [RetentionId, Retention][]).filter(([, r]) => r.days !== null && (r.purge?.length ?? 0) > 0).map(([id]) => id);
}

/** The local day (YYYY-MM-DD, China Standard Time) of an instant. */
export function localDay(at: Date): string {
  return new Date(at.getTime() + ZONE_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * A rule's cutoff for a run on `runDay`: the start of the local day `days` days before. A row whose period counts from
 * before it has had its `days` whole days after the day it started (民法典 art. 201: from the next day, to 24:00 of the
 * last), so a registration rejected on day D (erasureAt 24:00 of D+30) is erased by the run of D+31, never before.
 */
export function cutoffOf(runDay: string, days: number): { cutoff: string; day: string } {
  const start = Date.parse(`${runDay}T00:00:00.000Z`) - ZONE_OFFSET_MS - days * DAY_MS;
  return { cutoff: new Date(start).toISOString(), day: localDay(new Date(start)) };
}

export interface RetentionRuleInput {
  runId: string;
  rule: RetentionId;
  /** The run's local day (retention_runs.cutoff_day). */
  runDay: string;
  /** Rows per statement (default RETENTION_PAGE). */
  page?: number;
}
/** Rows disposed of per table. */
export type RetentionCounts = Record<string, number>;

export interface RetentionActivities {
  /**
   * Opens the run's row (once per run id) and answers its day and the rules to purge. `asOf`: the instant whose local
   * day the run purges as of (a run started by hand, a test's clock); refused in production when later than now.
   */
  startRetentionRun(input: { runId: string; at: string; asOf?: string }): Promise<{ runDay: string; rules: RetentionId[] }>;
  /** One rule's purge, paged and heartbeating; its counts are added to the run's row. */
  purgeRetentionRule(input: RetentionRuleInput): Promise<RetentionCounts>;
  /** Closes the run's row; answers the counts of every rule. */
  finishRetentionRun(input: { runId: string; at: string }): Promise<Record<string, RetentionCounts>>;
}

export interface RetentionDeps {
  db: Db;
  logger: Logger;
  metrics?: Registry;
  /** The blob store: an expired export's archive goes with its row (absent: exports are not purged). */
  blobs?: BlobStore;
  /** The registration's erasures (activities/registration.ts), for the registration rule. */
  registration: Pick<RegistrationActivities, 'erasePersonalData' | 'eraseIdentity'>;
}

const heartbeat = (details: unknown) => {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* called outside an activity (tests, scripts) */
  }
};
const progress = (): RetentionCounts | undefined => {
  try {
    return Context.current().info.heartbeatDetails as RetentionCounts | undefined;
  } catch {
    return undefined;
  }
};

export function createRetentionActivities(deps: RetentionDeps): RetentionActivities {
  const { db } = deps;
  const log = deps.logger.child({ component: 'retention' });
  const purged = deps.metrics
    ? metric(deps.metrics, 'counter', { name: 'casework_retention_purged_rows_total', help: 'Rows the retention purge disposed of, by inventory rule and table', labelNames: ['rule', 'table'] })
    : undefined;

  /** Files of the blob store that went with a step's rows: counted under the inventory's store name (stores: blobs). */
  const blobsGone = (ctx: { rule: RetentionId; more: RetentionCounts }, n: number) => {
    if (n === 0) return;
    ctx.more.blobs = (ctx.more.blobs ?? 0) + n;
    purged?.inc({ rule: ctx.rule, table: 'blobs' }, n);
  };

  /**
   * One page of a step: the rows disposed of (0: nothing left). `more` gets the rows of other tables that went with
   * them (a kept case record's rows in every table).
   */
  const page = async (step: PurgeStep, cutoff: { cutoff: string; day: string }, size: number, at: string, seen: Set<string>, ctx: { runId: string; runDay: string; rule: RetentionId; more: RetentionCounts }): Promise<number> => {
    const params = [cutoff.cutoff, cutoff.day, size, ctx.runDay];
    // Every parameter is typed in every statement, whichever the step's predicate uses.
    const due = `(${step.due}) AND $1::timestamp IS NOT NULL AND $2::text IS NOT NULL AND $4::text IS NOT NULL`;
    if (step.action === 'delete') {
      // ctid: any table, whatever its key; the rows go in the same statement that chose them.
      return db.$executeRawUnsafe(`DELETE FROM ${step.table} WHERE ctid IN (SELECT ctid FROM ${step.table} t WHERE ${due} LIMIT $3)`, ...params);
    }
    if (step.action === 'purgeHeldMails') {
      // The rows go in the statement that chose them; then the blobs only they named (sealed or clear).
      const gone = await db.$queryRawUnsafe<{ keys: string[] }[]>(
        `DELETE FROM ${step.table} t WHERE ctid IN (SELECT ctid FROM ${step.table} t WHERE ${due} LIMIT $3) RETURNING ${HELD_MAIL_BLOBS} AS keys`,
        ...params,
      );
      if (deps.blobs) blobsGone(ctx, await removeBlobsNoRowNeeds(db, deps.blobs, gone.flatMap((r) => r.keys)));
      return gone.length;
    }
    if (step.action === 'retireMailSenders') {
      // Each under its lock, checked again there: a mail being filed under one at that moment wins.
      const rows = (await db.$queryRawUnsafe<{ id: string }[]>(`SELECT t.id FROM ${step.table} t WHERE ${due} ORDER BY t.id LIMIT $3`, ...params)).filter((r) => !seen.has(r.id));
      let retired = 0;
      for (const r of rows) {
        seen.add(r.id);
        if (await retireMailSender(db, r.id, cutoff.cutoff)) retired++;
      }
      return retired;
    }
    if (step.action === 'eraseRegistration') {
      const rows = (await db.$queryRawUnsafe<{ id: string; user_ref: string }[]>(`SELECT t.id, t.user_ref FROM ${step.table} t WHERE ${due} ORDER BY t.id LIMIT $3`, ...params)).filter((r) => !seen.has(r.id));
      // The registration's own erasure, audited on its case under the key its workflow's timer uses: whichever runs
      // first erases, the other answers what was erased.
      for (const r of rows) {
        seen.add(r.id);
        await deps.registration.erasePersonalData({ caseId: r.id, registrationId: r.id, userRef: r.user_ref, reason: 'rejected', at, eventKey: `${r.id}:erase` });
      }
      return rows.length;
    }
    if (step.action === 'purgeKeptCaseRecord') {
      // First the closed case records still without a day (closed since the last run, or before this purge dated
      // every case): dated from their close.
      if (seen.size === 0) while ((await dateKeptCaseRecords(poolOf(db), { limit: size })) > 0);
      // The erasure request's own case goes last: the others' counts are written on its trail while it stands.
      const rows = (
        await db.$queryRawUnsafe<{ id: string; request: string | null }[]>(
          `SELECT t.id, s.processing_stopped_by AS request FROM ${step.table} t LEFT JOIN subjects s ON s.id = t.subject_id WHERE ${due} ORDER BY (t.id = s.processing_stopped_by) NULLS FIRST, t.id LIMIT $3`,
          ...params,
        )
      ).filter((r) => !seen.has(r.id));
      for (const r of rows) {
        seen.add(r.id);
        const p = await purgeKeptCaseRecord(db, r.id, deps.blobs);
        if (!p.purged) {
          log.warn({ runId: ctx.runId, caseId: r.id, heldBy: p.heldBy }, 'kept case record not purged yet: a row with a period of its own holds it');
          continue;
        }
        for (const [table, rowsGone] of Object.entries(p.rows)) {
          ctx.more[table] = (ctx.more[table] ?? 0) + rowsGone;
          purged?.inc({ rule: ctx.rule, table }, rowsGone);
        }
        blobsGone(ctx, p.blobsRemoved);
        log.info({ runId: ctx.runId, caseId: r.id, rows: p.rows, blobsRemoved: p.blobsRemoved }, 'case record purged at the end of its period');
        // The audit trail: the erasure request that kept it records that it is gone (its own trail went with it).
        if (r.request && r.request !== r.id) {
          await appendAuditEvent(db, {
            caseId: r.request,
            eventKey: `${r.request}:kept-record-purged:${r.id}`,
            type: 'retention.kept_record_purged',
            actor: 'system',
            at: new Date(at),
            payload: { caseId: r.id, rule: ctx.rule, runId: ctx.runId, runDay: ctx.runDay, rows: p.rows },
          }).catch((err: Error) => log.warn({ runId: ctx.runId, caseId: r.id, err: err.message }, 'kept record purged; its note on the request case not written'));
        }
      }
      // The rows looked at (the purged ones are counted per table in `more`): a page of records held for now goes on to the next.
      return rows.length;
    }
    if (step.action === 'purgeExports') {
      // Expired exports with their archives: the blob store's files go too (the archive is the subject's data).
      if (!deps.blobs) return 0;
      return (await purgeExpiredExports(db, deps.blobs, new Date(cutoff.cutoff))).exports;
    }
    const rows = (
      await db.$queryRawUnsafe<{ registration_id: string; case_id: string }[]>(
        `SELECT t.registration_id, r.real_name_case_id AS case_id FROM ${step.table} t JOIN registrations r ON r.id = t.registration_id WHERE ${due} ORDER BY t.registration_id LIMIT $3`,
        ...params,
      )
    ).filter((r) => !seen.has(r.registration_id));
    for (const r of rows) {
      seen.add(r.registration_id);
      await deps.registration.eraseIdentity({ caseId: r.case_id, registrationId: r.registration_id, reason: 'rejected', at, eventKey: `${r.case_id}:erase` });
    }
    return rows.length;
  };

  return {
    async startRetentionRun({ runId, at, asOf }) {
      if (asOf && process.env.NODE_ENV === 'production' && Date.parse(asOf) > Date.now() + 60_000) {
        throw ApplicationFailure.nonRetryable(`a retention run as of a later time (${asOf}) is refused in production: it would purge records before their period ends`, 'RETENTION_AS_OF_REFUSED');
      }
      // A retried start finds the row and keeps its day: every rule of the run counts from the same cutoff.
      const [row] = await db.$queryRaw<{ cutoff_day: string }[]>`
        INSERT INTO retention_runs (id, started_at, cutoff_day) VALUES (${runId}, ${new Date(at)}, ${localDay(new Date(asOf ?? at))})
        ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING cutoff_day`;
      const rules = purgeRules();
      log.info({ runId, runDay: row.cutoff_day, rules }, 'retention purge started');
      return { runDay: row.cutoff_day, rules };
    },

    async purgeRetentionRule({ runId, rule, runDay, page: size = RETENTION_PAGE }) {
      const r: Retention = retentions[rule];
      if (r.days === null || !r.purge) return {};
      const cutoff = cutoffOf(runDay, r.days);
      // A retry continues the counts its previous attempt heartbeated (what those pages disposed of is gone).
      const counts: RetentionCounts = { ...Object.fromEntries(r.purge.map((s) => [s.table, 0])), ...progress() };
      const at = new Date().toISOString();
      for (const step of r.purge) {
        // An erasure that leaves its row due (it was erased under its key before) is not asked twice.
        const seen = new Set<string>();
        for (;;) {
          const more: RetentionCounts = {};
          const n = await page(step, cutoff, size, at, seen, { runId, runDay, rule, more });
          const own = step.action === 'purgeKeptCaseRecord' ? 0 : n;
          counts[step.table] += own;
          for (const [table, m] of Object.entries(more)) counts[table] = (counts[table] ?? 0) + m;
          if (own > 0) purged?.inc({ rule, table: step.table }, own);
          heartbeat(counts);
          if (n === 0 || ((step.action === 'delete' || step.action === 'purgeExports' || step.action === 'purgeHeldMails') && n < size)) break;
        }
      }
      await db.$executeRaw`UPDATE retention_runs SET counts = counts || jsonb_build_object(${rule}::text, ${JSON.stringify(counts)}::jsonb) WHERE id = ${runId}`;
      log.info({ runId, rule, cutoff: cutoff.cutoff, counts }, 'retention rule purged');
      return counts;
    },

    async finishRetentionRun({ runId, at }) {
      const [row] = await db.$queryRaw<{ counts: Record<string, RetentionCounts> }[]>`
        UPDATE retention_runs SET finished_at = COALESCE(finished_at, ${new Date(at)}) WHERE id = ${runId} RETURNING counts`;
      log.info({ runId, counts: row?.counts ?? {} }, 'retention purge finished');
      return row?.counts ?? {};
    },
  };
}
