// Case records and their purge at the end of their period (policy 2.2.1, 2.4.1; PIPL arts. 19, 47; 电子商务法 art. 31:
// transaction records at least 3 years after the transaction). Every closed case record carries the local day from
// which the daily retention purge (activities/retention.ts, rule transactionRecord) deletes it: `cases.purge_on`, the
// first day after the longest period of the rules that keep its rows, counted from the case's close as the law counts
// (民法典 arts. 201-203: months and years to the corresponding day, monthPeriodEndsAt; days, dayPeriodEndsAt). The
// erasure (lib/subjectErasure.ts) strips an erased subject's case records to the minimum and dates them at once; the
// purge dates every other closed case first. An account's own record (a registration case) lives with the account
// (rule `account`) and is dated only once its subject is erased. The purge deletes the case record whole, in every
// table of the inventory that holds a case's rows (caseRecordTables), or not at all, and then the files only it held.
import type pg from 'pg';
import { dayPeriodEndsAt, monthPeriodEndsAt, type BusinessCalendar } from '../policy/businessCalendar';
import type { BlobStore } from './blobs';
import { poolOf, withPgTransaction, type Db } from './db';
import { caseRecordTables, personalDataInventory, retentions, type Retention, type RetentionId } from './personalData';

/**
 * The calendar retention periods are counted in: China Standard Time (the purge's days, activities/retention.ts). A
 * retention is a minimum, so its last day is never moved over a holiday: only the time zone matters.
 */
export const RETENTION_CALENDAR: BusinessCalendar = Object.freeze({ timeZone: 'Asia/Shanghai', workdayStart: '09:00', workdayEnd: '18:00', workingWeekdays: [1, 2, 3, 4, 5], holidays: [], makeUpWorkdays: [] });

/** The instant a rule's period ends for a record dated `from` (00:00 local of the day after its last day). */
export function retentionEndsAt(rule: Retention, from: Date, cal: BusinessCalendar = RETENTION_CALENDAR): Date {
  if (rule.months) return monthPeriodEndsAt(cal, from, rule.months, { extendOverHolidays: false });
  if (rule.days) return dayPeriodEndsAt(cal, from, rule.days, { extendOverHolidays: false });
  throw new Error(`retention period without a length: ${rule.period}`);
}

/** The local day (YYYY-MM-DD in the calendar's zone) of an instant. */
export function localDayIn(at: Date, cal: BusinessCalendar = RETENTION_CALENDAR): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: cal.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The rules kept by law over a case record's tables (transactionRecord, repairRecord): its day is the latest of theirs. */
export function caseRecordRules(): RetentionId[] {
  const tables = new Set(caseRecordTables().map((t) => t.table));
  const ids = new Set<RetentionId>();
  for (const t of personalDataInventory) {
    if (!tables.has(t.table)) continue;
    const r = retentions[t.retention] as Retention;
    if (r.disposal === 'keep_by_law' && (r.months || r.days)) ids.add(t.retention);
  }
  return [...ids];
}

/** The day a case record closed at `closedAt` is purged from: the first local day after its longest kept period. */
export function purgeDayOfCaseRecord(closedAt: Date, cal: BusinessCalendar = RETENTION_CALENDAR): string {
  const ends = caseRecordRules().map((id) => retentionEndsAt(retentions[id] as Retention, closedAt, cal).getTime());
  return localDayIn(new Date(Math.max(...ends)), cal);
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The case types whose record is an account's own (workflows/registrationReview.ts REGISTRATION_CASE_TYPE): kept while
 * the account is (rule `account`), dated only once the subject is erased.
 */
export const ACCOUNT_CASE_TYPES: readonly string[] = ['registration'];

/**
 * Gives closed case records their purge day: the closed cases of one subject (at its erasure), or every closed case
 * not yet dated (the daily purge), but an account's own record while its subject is not erased. Answers how many.
 */
export async function dateKeptCaseRecords(q: Queryable, o: { subjectId?: string; limit?: number } = {}): Promise<number> {
  const whose = o.subjectId ? 'subject_id = $1' : `(type <> ALL($1::text[]) OR subject_id IN (SELECT id FROM subjects WHERE status = 'erased'))`;
  const rows = (
    await q.query<{ id: string; closed: string }>(
      `SELECT id, to_char(closed_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS closed FROM cases WHERE purge_on IS NULL AND closed_at IS NOT NULL AND ${whose} ORDER BY id LIMIT ${Math.trunc(o.limit ?? 10_000)}`,
      [o.subjectId ?? ACCOUNT_CASE_TYPES],
    )
  ).rows;
  if (rows.length === 0) return 0;
  const days = rows.map((r) => purgeDayOfCaseRecord(new Date(r.closed)));
  const r = await q.query(`UPDATE cases c SET purge_on = v.day::date FROM unnest($1::text[], $2::text[]) v(id, day) WHERE c.id = v.id AND c.purge_on IS NULL`, [rows.map((x) => x.id), days]);
  return r.rowCount ?? 0;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface KeptRecordPurge {
  caseId: string;
  /** Whether the case record went (false: a row of it is held by a record with a period of its own; tried again later). */
  purged: boolean;
  /** Rows deleted per table (empty when not purged). */
  rows: Record<string, number>;
  /** Files of the blob store that went with it (its attachments' bytes no other row needs). */
  blobsRemoved: number;
  /** The table whose foreign key held it, when not purged. */
  heldBy?: string;
}

/**
 * Deletes a kept case record whole: its rows in every table of caseRecordTables (found before anything changes),
 * in as many passes as the foreign keys need, the audit trail included (the trigger lets only this purge delete it:
 * casework.kept_record_purge, local to the transaction). All or nothing: a row still refused rolls it all back.
 */
export async function purgeKeptCaseRecord(db: Db, caseId: string, blobs?: Pick<BlobStore, 'remove' | 'exists'> | null): Promise<KeptRecordPurge> {
  class Held extends Error {
    constructor(readonly table: string) {
      super(`case record ${caseId} held by ${table}`);
    }
  }
  try {
    const purged = await withPgTransaction(db, async (client) => {
      await client.query(`SET LOCAL casework.kept_record_purge = 'on'`);
      // Its files' blob keys, read before the rows go.
      const files = await client.query<{ key: string }>(`SELECT coalesce(blob_key, sha256) AS key FROM attachments WHERE case_id = $1`, [caseId]);
      const tables = caseRecordTables();
      const found = new Map<string, string>();
      for (const [i, t] of tables.entries()) {
        const name = `kept_rows_${i}`;
        await client.query(`CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT t.ctid AS tid FROM ${quoted(t.table)} t WHERE ${t.ofCase}`, [caseId]);
        found.set(t.table, `t.ctid IN (SELECT tid FROM ${name})`);
      }
      const rows: Record<string, number> = {};
      let pending = tables.map((t) => t.table);
      for (let pass = 0; pass < 8 && pending.length > 0; pass++) {
        const refused: string[] = [];
        for (const table of pending) {
          await client.query('SAVEPOINT kept_record_step');
          try {
            const r = await client.query(`DELETE FROM ${quoted(table)} t WHERE ${found.get(table)}`);
            await client.query('RELEASE SAVEPOINT kept_record_step');
            if (r.rowCount) rows[table] = (rows[table] ?? 0) + r.rowCount;
          } catch {
            await client.query('ROLLBACK TO SAVEPOINT kept_record_step');
            refused.push(table);
          }
        }
        if (refused.length === pending.length) throw new Held(refused[0]);
        pending = refused;
      }
      if (pending.length > 0) throw new Held(pending[0]);
      return { caseId, purged: true, rows, blobKeys: files.rows.map((r) => r.key) };
    });
    // The bytes of its files, once no row of another case, a held mail, an intake or an export needs them.
    const blobsRemoved = blobs ? await removeBlobsNoRowNeeds(db, blobs, purged.blobKeys) : 0;
    return { caseId, purged: true, rows: purged.rows, blobsRemoved };
  } catch (err) {
    if (err instanceof Held) return { caseId, purged: false, rows: {}, blobsRemoved: 0, heldBy: err.table };
    throw err;
  }
}

/**
 * Whether a held mail's or an intake's files (`t.attachments`: InboundFile, processes/inboundMail.ts) need the blob
 * `key`: a file sealed in a blob of its own (`blobKey`), or one kept clear under its hash (no `blobKey`).
 */
const filesNeed = (key: string) => `EXISTS (SELECT 1 FROM jsonb_array_elements(t.attachments) f WHERE f->>'blobKey' = ${key} OR (f->>'sha256' = ${key} AND NOT f ? 'blobKey'))`;

/**
 * Removes from the blob store the files of `keys` (a clear file's hash or a sealed file's own key) that no row needs any
 * more: an attachment, an export's archive, a held mail or a mail intake. Answers how many went.
 */
export async function removeBlobsNoRowNeeds(db: Db, blobs: Pick<BlobStore, 'remove' | 'exists'>, keys: readonly string[]): Promise<number> {
  let removed = 0;
  for (const key of new Set(keys)) {
    const still = await poolOf(db).query(
      `SELECT 1 FROM attachments WHERE (sha256 = $1 AND blob_key IS NULL) OR blob_key = $1 UNION ALL SELECT 1 FROM data_exports WHERE sha256 = $1
       UNION ALL SELECT 1 FROM inbound_mail_quarantine t WHERE t.raw_sha256 = $1 OR t.html_blob_key = $1 OR (t.html_sha256 = $1 AND t.html_blob_key IS NULL) OR ${filesNeed('$1')}
       UNION ALL SELECT 1 FROM mail_intakes t WHERE ${filesNeed('$1')} LIMIT 1`,
      [key],
    );
    if (still.rowCount === 0 && (await blobs.exists(key))) {
      await blobs.remove(key);
      removed++;
    }
  }
  return removed;
}

/** The case records kept for a subject and the day each is purged from (null: still open), for answers and tests. */
export async function keptCaseRecordsOf(db: Db, subjectId: string): Promise<{ caseId: string; purgeOn: string | null }[]> {
  const r = await poolOf(db).query<{ id: string; day: string | null }>(`SELECT id, to_char(purge_on, 'YYYY-MM-DD') AS day FROM cases WHERE subject_id = $1 ORDER BY id`, [subjectId]);
  return r.rows.map((x) => ({ caseId: x.id, purgeOn: x.day }));
}
