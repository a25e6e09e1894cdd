// The backfill that seals rows written before encryption at rest (policy 1.3, 2.2.1, 6.3.1). A migration cannot reach
// the key-management port, so migration 20261205090000_sealed_personal_fields only added the columns; this seals what
// is still clear, table by table, a page at a time with a cursor on the primary key, and logs its progress:
// - a clear value of a sealed column is sealed in place with its subject's key (lib/sealedFields.ts);
// - a clear column that moved (registrations.mobile and username, user_accounts.username) is sealed into its new
//   column with its blind index (lib/blindIndex.ts), and the clear column is nulled in the same statement;
// - an attachment's clear bytes are sealed into a blob of their own (lib/blobs.ts), its row names it, and the clear
//   blob goes when no other row still needs it;
// - a held mail from a sender nobody knew is filed under the sender's own subject (lib/subjects.ts mailSenderRef) and
//   sealed like the others; a held mail's raw message, HTML and files still in clear blobs, and its file names, are
//   sealed with its subject's key.
// Idempotent: a row sealed is no longer selected, a second run finds nothing; each row is written only if it is as it
// was read (a write in between wins, and the row is taken again by the next run). Rows whose subject's key was
// destroyed are left (their personal data was erased with it) and counted as skipped. Run at start-up by the worker
// and `bash scripts/dev`, in the background, and by `npx tsx scripts/seal-backfill.ts`.
// The clear columns are dropped by a later migration, once every deployment has run this to the end.
import { Readable } from 'node:stream';
import { blindIndexerFor, type BlindIndexPurpose } from './blindIndex';
import { isSealedBlob, keepSealedBytes, readBytes, stageSealed, storedBytes, type BlobStore } from './blobs';
import { poolOf, type Db } from './db';
import type { KeyManagement } from './keys';
import type { Logger } from './logger';
import { SYSTEM_UPLOADER } from './attachmentRules';
import { removeBlobsNoRowNeeds } from './keptRecords';
import { isSealed, sealerFor, SEALED_PREFIX } from './sealedFields';
import { mailSenderRef, resolveSubject } from './subjects';

/** A table whose clear values are sealed: its key columns, how a row finds its subject, what is sealed. */
interface BackfillTable {
  table: string;
  /** The name its counts go under (default: the table). */
  label?: string;
  /** The primary key's columns (text): the cursor. */
  key: string[];
  /** An SQL expression over `t` answering the subject id whose key seals the row (null: left clear, no key). */
  subject: string;
  /** Columns sealed in place. */
  inPlace: string[];
  /** Clear columns moved into a sealed column (and a blind index), the clear column then nulled. */
  moves?: { from: string; to: string; index?: { column: string; purpose: BlindIndexPurpose } }[];
  /** Columns to index beside an in-place one (parties.email_index). */
  indexes?: { of: string; column: string; purpose: BlindIndexPurpose }[];
}

const OF_CASE = '(SELECT c.subject_id FROM cases c WHERE c.id = t.case_id)';

/** Every sealed column of the inventory written before sealing (lib/personalData.ts `sealed(…)`). */
export const backfillTables: readonly BackfillTable[] = [
  {
    table: 'registrations',
    key: ['id'],
    subject: 't.subject_id',
    inPlace: ['full_name', 'email', 'declared_birth_date'],
    moves: [
      { from: 'username', to: 'username_sealed', index: { column: 'username_index', purpose: 'username' } },
      { from: 'mobile', to: 'mobile_sealed', index: { column: 'mobile_index', purpose: 'mobile' } },
    ],
  },
  { table: 'user_accounts', key: ['id'], subject: 't.subject_id', inPlace: [], moves: [{ from: 'username', to: 'username_sealed', index: { column: 'username_index', purpose: 'username' } }] },
  { table: 'parties', key: ['kind', 'id'], subject: 't.subject_id', inPlace: ['display_name', 'email'], indexes: [{ of: 'email', column: 'email_index', purpose: 'email' }] },
  { table: 'registration_guardians', key: ['id'], subject: 't.subject_id', inPlace: ['mobile', 'mobile_pending', 'full_name'] },
  { table: 'repair_requests', key: ['case_id'], subject: OF_CASE, inPlace: ['description', 'dispute_text'] },
  { table: 'complaints', key: ['case_id'], subject: OF_CASE, inPlace: ['description'] },
  { table: 'thread_messages', key: ['id'], subject: OF_CASE, inPlace: ['body'] },
  // A file's name (the bytes are sealed below); a name the platform gave (a dossier export's) stays clear.
  { table: 'attachments', label: 'attachments.filename', key: ['id'], subject: `(SELECT c.subject_id FROM cases c WHERE c.id = t.case_id AND t.uploader_role <> '${SYSTEM_UPLOADER}')`, inPlace: ['filename'] },
  // A held mail filed under a subject (its raw message stays a clear blob until the row's purge, 30 days after the decision).
  // A held mail filed under a subject (its blobs and file names: heldMailBlobs below).
  { table: 'inbound_mail_quarantine', key: ['id'], subject: 't.subject_id', inPlace: ['mail_from', 'from_address', 'subject', 'text_body'] },
  { table: 'task_notes', key: ['id'], subject: '(SELECT c.subject_id FROM tasks k JOIN cases c ON c.id = k.case_id WHERE k.id = t.task_id)', inPlace: ['body'] },
];

export interface BackfillDeps {
  db: Db;
  keys: KeyManagement;
  logger: Logger;
  blobs?: BlobStore | null;
  /** REPLY_TOKEN_SECRET: files a held mail from a sender nobody knew under the sender's own subject (none: left). */
  mailSenderSecret?: string;
}

export interface BackfillCounts {
  /** Rows sealed, per table (attachments: files). */
  sealed: Record<string, number>;
  /** Rows left because their subject's key was destroyed. */
  skipped: Record<string, number>;
}

const clear = (column: string) => `(t.${column} IS NOT NULL AND t.${column} <> '' AND left(t.${column}, ${SEALED_PREFIX.length}) <> '${SEALED_PREFIX}')`;

/** Seals every row still clear (see the file's head). `batch`: rows per page. */
export async function backfillSealing(deps: BackfillDeps, o: { batch?: number } = {}): Promise<BackfillCounts> {
  const batch = o.batch ?? 500;
  const pool = poolOf(deps.db);
  const sealer = sealerFor(deps.db, deps.keys);
  const index = blindIndexerFor(deps.keys);
  const counts: BackfillCounts = { sealed: {}, skipped: {} };
  const log = deps.logger.child({ component: 'sealing-backfill' });

  // Held mails from a sender nobody knew, written before such senders had a subject: filed under the sender's own
  // (the words are sealed by the table step below, the blobs by heldMailBlobs). A bounce (no address) stays clear.
  if (deps.mailSenderSecret) {
    let filed = 0;
    let cursor = '';
    for (;;) {
      const page = await pool.query<{ id: string; address: string }>(
        `SELECT id, lower(coalesce(from_address, nullif(mail_from, ''))) AS address FROM inbound_mail_quarantine
         WHERE subject_id IS NULL AND coalesce(from_address, nullif(mail_from, '')) IS NOT NULL AND id > $2 ORDER BY id LIMIT $1`,
        [batch, cursor],
      );
      if (page.rows.length === 0) break;
      for (const r of page.rows) {
        const subjectId = await resolveSubject(deps.db, mailSenderRef(deps.mailSenderSecret, r.address));
        filed += (await pool.query(`UPDATE inbound_mail_quarantine SET subject_id = $2 WHERE id = $1 AND subject_id IS NULL`, [r.id, subjectId])).rowCount ?? 0;
      }
      cursor = page.rows[page.rows.length - 1].id;
      log.info({ table: 'inbound_mail_quarantine', filed, cursor }, 'sealing backfill: held mails filed under their senders');
    }
    counts.sealed['inbound_mail_quarantine.sender'] = filed;
  }

  for (const t of backfillTables) {
    const moved = t.moves ?? [];
    const due = [...t.inPlace.map(clear), ...moved.map((m) => `t.${m.from} IS NOT NULL`)].join(' OR ');
    const selected = [...t.inPlace, ...moved.map((m) => m.from)];
    const keyList = t.key.map((k) => `t.${k}`).join(', ');
    let cursor: string[] | null = null;
    let sealed = 0;
    let skipped = 0;
    for (;;) {
      const after: string = cursor ? `AND (${keyList}) > (${t.key.map((_k, i) => `$${i + 2}::text`).join(', ')})` : '';
      const page: { rows: Record<string, string | null>[] } = await pool.query<Record<string, string | null>>(
        `SELECT ${t.key.map((k, i) => `t.${k} AS k${i}`).join(', ')}, ${t.subject} AS subject_id, ${selected.map((c) => `t.${c}`).join(', ')}
         FROM ${t.table} t WHERE (${due}) AND ${t.subject} IS NOT NULL ${after} ORDER BY ${keyList} LIMIT $1`,
        [batch, ...(cursor ?? [])],
      );
      if (page.rows.length === 0) break;
      for (const r of page.rows) {
        const subjectId = r.subject_id!;
        try {
          const set: string[] = [];
          const params: unknown[] = t.key.map((_k, i) => r[`k${i}`]);
          const guard: string[] = [];
          const param = (v: unknown) => {
            params.push(v);
            return `$${params.length}`;
          };
          for (const c of t.inPlace) {
            const v = r[c];
            if (v === null || v === '' || isSealed(v)) continue;
            set.push(`${c} = ${param(await sealer.seal(subjectId, v))}`);
            guard.push(`${c} IS NOT DISTINCT FROM ${param(v)}`);
            for (const ix of (t.indexes ?? []).filter((x) => x.of === c)) set.push(`${ix.column} = ${param(await index(ix.purpose, v))}`);
          }
          for (const m of moved) {
            const v = r[m.from];
            if (v === null) continue;
            set.push(`${m.to} = ${param(await sealer.seal(subjectId, v))}`, `${m.from} = NULL`);
            if (m.index) set.push(`${m.index.column} = ${param(await index(m.index.purpose, v))}`);
            guard.push(`${m.from} IS NOT DISTINCT FROM ${param(v)}`);
          }
          if (set.length === 0) continue;
          const keyMatch = t.key.map((k, i) => `${k} = $${i + 1}`).join(' AND ');
          const done = await pool.query(`UPDATE ${t.table} SET ${set.join(', ')} WHERE ${keyMatch} AND ${guard.join(' AND ')}`, params);
          sealed += done.rowCount ?? 0;
        } catch (err) {
          if (!/was destroyed/.test((err as Error).message)) throw err;
          skipped++;
        }
      }
      const last: Record<string, string | null> = page.rows[page.rows.length - 1];
      cursor = t.key.map((_k, i) => last[`k${i}`]!);
      log.info({ table: t.label ?? t.table, sealed, skipped, cursor: cursor.join('/') }, 'sealing backfill: page done');
    }
    counts.sealed[t.label ?? t.table] = sealed;
    counts.skipped[t.label ?? t.table] = skipped;
  }

  // Mail intakes written before: the sender's blind index (the subject whose sealed contact it is finds them by it).
  {
    let cursor = '';
    let indexed = 0;
    for (;;) {
      const page = await pool.query<{ id: string; from_address: string }>(`SELECT id, from_address FROM mail_intakes WHERE from_index IS NULL AND id > $2 ORDER BY id LIMIT $1`, [batch, cursor]);
      if (page.rows.length === 0) break;
      for (const r of page.rows) indexed += (await pool.query(`UPDATE mail_intakes SET from_index = $2 WHERE id = $1 AND from_index IS NULL`, [r.id, await index('email', r.from_address)])).rowCount ?? 0;
      cursor = page.rows[page.rows.length - 1].id;
      log.info({ table: 'mail_intakes', indexed, cursor }, 'sealing backfill: page done');
    }
    counts.sealed.mail_intakes = indexed;
  }

  // Attachment bytes: sealed into a blob of their own with the case customer's key.
  if (deps.blobs) {
    const blobs = deps.blobs;
    let cursor = '';
    let sealed = 0;
    let skipped = 0;
    for (;;) {
      const page = await pool.query<{ id: string; sha256: string; subject_id: string }>(
        `SELECT t.id, t.sha256, c.subject_id FROM attachments t JOIN cases c ON c.id = t.case_id
         WHERE t.blob_key IS NULL AND c.subject_id IS NOT NULL AND t.id > $2 ORDER BY t.id LIMIT $1`,
        [batch, cursor],
      );
      if (page.rows.length === 0) break;
      for (const a of page.rows) {
        try {
          if ((await sealAttachmentBytes({ db: deps.db, keys: deps.keys, blobs }, { id: a.id, sha256: a.sha256, subjectId: a.subject_id })) === 'sealed') sealed++;
        } catch (err) {
          if (!/was destroyed/.test((err as Error).message)) throw err;
          skipped++;
        }
      }
      cursor = page.rows[page.rows.length - 1].id;
      log.info({ table: 'attachments', sealed, skipped, cursor }, 'sealing backfill: page done');
    }
    counts.sealed.attachments = sealed;
    counts.skipped.attachments = skipped;
    await heldMailBlobs({ ...deps, blobs }, batch, counts, log);
  }
  log.info({ counts }, 'sealing backfill finished');
  return counts;
}

/**
 * Seals an attachment's clear bytes (stored under their hash) into a blob of their own with `subjectId`'s key, names
 * it on the row, and removes the clear blob once no row needs it in clear (content-addressed: other cases, a held mail
 * or a mail intake may share it). 'gone': no clear bytes (erased); 'raced': another process sealed the row first.
 */
export async function sealAttachmentBytes(deps: { db: Db; keys: KeyManagement; blobs: BlobStore }, a: { id: string; sha256: string; subjectId: string }): Promise<'sealed' | 'gone' | 'raced'> {
  const { blobs } = deps;
  if (!(await blobs.exists(a.sha256))) return 'gone';
  const bytes = await readBytes(blobs.read(a.sha256));
  const staged = await stageSealed(blobs, sealerFor(deps.db, deps.keys), a.subjectId, Readable.from([bytes]), { maxBytes: Math.max(1, bytes.length) });
  if (staged.sha256 !== a.sha256) {
    await staged.discard();
    throw new Error(`attachment ${a.id}: the stored bytes do not match their hash`);
  }
  await staged.commit();
  const done = await poolOf(deps.db).query(`UPDATE attachments SET blob_key = $2 WHERE id = $1 AND blob_key IS NULL`, [a.id, staged.storedKey]);
  if (!done.rowCount) {
    await blobs.remove(staged.storedKey);
    return 'raced';
  }
  // The clear bytes go once no row needs them in clear (the sealed copy is this row's own key now).
  await removeBlobsNoRowNeeds(deps.db, blobs, [a.sha256]);
  return 'sealed';
}

/** A held mail's file as its row lists it (processes/inboundMail.ts InboundFile). */
interface HeldFile {
  sha256?: string;
  blobKey?: string;
  filename?: string | null;
}

/** A held mail's blobs and file names as its row names them. */
export interface HeldMailBlobs {
  subjectId: string | null;
  rawSha256: string;
  htmlSha256: string | null;
  htmlBlobKey: string | null;
  attachments: unknown;
}

/**
 * A held mail's raw message, HTML part and files sealed (again) into blobs of their own with `to`'s key, from the key of
 * the subject it is filed under or from clear blobs, and its file names with them: the row's new values, the blobs
 * written (to remove if the row is not written), and the ones they replace (to remove once it is). A part whose blob is
 * gone stays as it is. Used when a held mail moves to another subject (processes/inboundMail.ts releaseQuarantined)
 * and by the backfill (the same subject, for a row whose blobs are still clear).
 */
export async function resealHeldMail(deps: { db: Db; keys: KeyManagement; blobs: BlobStore }, row: HeldMailBlobs, to: string) {
  const sealer = sealerFor(deps.db, deps.keys);
  const written: string[] = [];
  const replaced: string[] = [];
  const reseal = async (f: { sha256: string; blobKey: string | null }): Promise<string> => {
    const key = f.blobKey ?? f.sha256;
    if (!(await deps.blobs.exists(key))) return key;
    const kept = await keepSealedBytes(deps.blobs, sealer, to, await storedBytes(deps.blobs, sealer, f, row.subjectId));
    written.push(kept.storedKey);
    replaced.push(key);
    return kept.storedKey;
  };
  try {
    // The raw message is sealed when the mail was filed under a subject (but a clear blob if held before sealing).
    const rawSealed = row.subjectId !== null && (await deps.blobs.exists(row.rawSha256)) && (await isSealedBlob(deps.blobs, row.rawSha256));
    const rawSha256 = await reseal({ sha256: row.rawSha256, blobKey: rawSealed ? row.rawSha256 : null });
    const htmlBlobKey = row.htmlSha256 ? await reseal({ sha256: row.htmlSha256, blobKey: row.htmlBlobKey }) : null;
    const files = (row.attachments as HeldFile[] | null) ?? [];
    const names = await sealer.sealAll(to, await sealer.open(row.subjectId, files.map((f) => f.filename ?? null)));
    const attachments: HeldFile[] = [];
    for (const [i, f] of files.entries()) attachments.push({ ...f, filename: names[i], ...(f.sha256 && { blobKey: await reseal({ sha256: f.sha256, blobKey: f.blobKey ?? null }) }) });
    return { data: { rawSha256, htmlBlobKey, attachments: attachments as object[] }, written, replaced };
  } catch (err) {
    await removeBlobsNoRowNeeds(deps.db, deps.blobs, written);
    throw err;
  }
}

/**
 * A held mail filed under a subject whose blobs are still clear (written before they were sealed): sealed with the
 * subject's key (resealHeldMail); the row is written only if it is as it was read; then the clear blobs go once no row
 * needs them.
 */
async function heldMailBlobs(deps: BackfillDeps & { blobs: BlobStore }, batch: number, counts: BackfillCounts, log: Logger): Promise<void> {
  const pool = poolOf(deps.db);
  let cursor = '';
  let sealed = 0;
  let skipped = 0;
  for (;;) {
    const page = await pool.query<{ id: string; subject_id: string; raw_sha256: string; html_sha256: string | null; html_blob_key: string | null; attachments: HeldFile[] }>(
      `SELECT id, subject_id, raw_sha256, html_sha256, html_blob_key, attachments FROM inbound_mail_quarantine WHERE subject_id IS NOT NULL AND id > $2 ORDER BY id LIMIT $1`,
      [batch, cursor],
    );
    if (page.rows.length === 0) break;
    for (const r of page.rows) {
      const files = r.attachments ?? [];
      const clearFiles = files.some((f) => (f.sha256 && !f.blobKey) || (f.filename && !isSealed(f.filename)));
      const clearHtml = r.html_sha256 !== null && r.html_blob_key === null && (await deps.blobs.exists(r.html_sha256));
      const clearRaw = (await deps.blobs.exists(r.raw_sha256)) && !(await isSealedBlob(deps.blobs, r.raw_sha256));
      if (!clearFiles && !clearHtml && !clearRaw) continue;
      let moved: Awaited<ReturnType<typeof resealHeldMail>>;
      try {
        moved = await resealHeldMail(deps, { subjectId: r.subject_id, rawSha256: r.raw_sha256, htmlSha256: r.html_sha256, htmlBlobKey: r.html_blob_key, attachments: files }, r.subject_id);
      } catch (err) {
        if (!/was destroyed/.test((err as Error).message)) throw err;
        skipped++;
        continue;
      }
      const done = await pool.query(
        `UPDATE inbound_mail_quarantine SET raw_sha256 = $2, html_blob_key = $3, attachments = $4::jsonb
         WHERE id = $1 AND raw_sha256 = $5 AND html_blob_key IS NOT DISTINCT FROM $6 AND attachments = $7::jsonb`,
        [r.id, moved.data.rawSha256, moved.data.htmlBlobKey, JSON.stringify(moved.data.attachments), r.raw_sha256, r.html_blob_key, JSON.stringify(files)],
      );
      await removeBlobsNoRowNeeds(deps.db, deps.blobs, done.rowCount ? moved.replaced : moved.written);
      if (done.rowCount) sealed++;
    }
    cursor = page.rows[page.rows.length - 1].id;
    log.info({ table: 'inbound_mail_quarantine.blobs', sealed, skipped, cursor }, 'sealing backfill: page done');
  }
  counts.sealed['inbound_mail_quarantine.blobs'] = sealed;
  counts.skipped['inbound_mail_quarantine.blobs'] = skipped;
}

/**
 * The backfill at start-up, in the background (errors are logged; it runs again at the next start). Several processes
 * may run it at once (every worker replica): each row is written only if it is as it was read, so one write wins.
 */
export function startSealingBackfill(deps: BackfillDeps): Promise<BackfillCounts | null> {
  return backfillSealing(deps).catch((err: Error) => {
    deps.logger.error({ err }, 'sealing backfill failed; it runs again at the next start');
    return null;
  });
}
