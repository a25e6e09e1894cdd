// A subject's erasure (policy 2.4.1 彻底删除; PIPL art. 47; 电子商务法 art. 31), run from the inventory
// (lib/personalData.ts): in one transaction, every row the inventory finds for the subject in a table whose retention is
// erasable is deleted; in the tables the law requires keeping (transaction records: 3 years), the rows stay stripped to
// the minimum (every personal column with an erasable retention of its own set to null) and are listed with their
// period, for the retention purge. Nothing is named table by table here: a new table in the inventory is erased by its
// declaration. Foreign keys decide the order: a delete a key refuses is tried again after the others (savepoints), and
// a row still refused at the end is stripped like a kept one. The blob store's files of the deleted rows go after the
// commit, each only when no row names its key any more.
import type pg from 'pg';
import { poolOf, withPgTransaction, type Db } from './db';
import type { BlobStore } from './blobs';
import { dateKeptCaseRecords, removeBlobsNoRowNeeds } from './keptRecords';
import { removeCaughtMailTo } from './mailCatcher';
import { isSealed, type FieldSealer } from './sealedFields';

import { isPersonal, personalDataInventory, personalDataStores, retentionOf, retentions, type RetentionId, type TableInventory } from './personalData';

/**
 * Tables an erasure leaves to its last step (the subject record and how the request reaches the person). The data key
 * is among them: the contact it seals must still open for the answer, and the last step destroys it (shred) rather
 * than deleting its row, so that nothing is sealed for the subject afterwards.
 */
export const ERASED_LAST = ['subjects', 'subject_refs', 'parties', 'subject_keys'] as const;

/** The subject's addresses in clear (sealed with its key, which an erasure destroys only after this). */
async function openedAddresses(sealer: FieldSealer | undefined, subjectId: string, addresses: string[]): Promise<string[]> {
  if (!sealer) return addresses.filter((a) => !isSealed(a));
  return (await sealer.open(subjectId, addresses)).filter((a): a is string => !!a);
}

export interface ErasedTable {
  table: string;
  rows: number;
}
export interface StrippedTable {
  table: string;
  columns: string[];
  rows: number;
}
export interface RetainedTable {
  table: string;
  rows: number;
  retention: RetentionId;
  /** The law that requires keeping it. */
  law: string | null;
  /**
   * Until when (ISO day): the day the retention purge deletes the last of these records (the latest `cases.purge_on` of
   * the subject's case records, lib/keptRecords.ts); null: a case is still open (its period counts from its close).
   */
  until: string | null;
}
export interface SubjectErasure {
  erased: ErasedTable[];
  stripped: StrippedTable[];
  retained: RetainedTable[];
  /** Blob files removed after the commit. */
  blobsRemoved: number;
  /** The development mail catcher's files removed (its `dir`, when given). */
  mailFilesRemoved: number;
}

async function tryIn(client: pg.PoolClient, sql: string, params: unknown[]): Promise<{ ok: true; rows: number } | { ok: false; code: string }> {
  await client.query('SAVEPOINT erasure_step');
  try {
    const r = await client.query(sql, params);
    await client.query('RELEASE SAVEPOINT erasure_step');
    return { ok: true, rows: r.rowCount ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT erasure_step');
    return { ok: false, code: String((err as { code?: string }).code ?? 'error') };
  }
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Erases the subject's data everywhere the inventory finds it, except `keep` (tables left for a later step: by default
 * the subject record, its references and its contact, which the request's answer still needs; eraseSubjectRecord ends
 * them). Answers what was deleted, stripped and kept (with the rule and its period).
 */
export async function eraseSubjectData(db: Db, blobs: BlobStore | null, subjectId: string, o: { keep?: readonly string[]; now?: Date; mailCatcherDir?: string; sealer?: FieldSealer } = {}): Promise<SubjectErasure> {
  const keep = new Set(o.keep ?? ERASED_LAST);
  const searched = personalDataInventory.filter((t) => t.subject !== null && !keep.has(t.table));
  const blobStore = personalDataStores.find((s) => s.store === 'blobs');
  const result = await withPgTransaction(db, async (client) => {
    // What a stripped column becomes: NULL, or for a NOT NULL text column the empty text (a NOT NULL column of another
    // type cannot be stripped: it holds no free personal value in this schema).
    const emptied = new Map<string, string>(
      (await client.query<{ t: string; c: string; nullable: string; type: string }>(`SELECT table_name AS t, column_name AS c, is_nullable AS nullable, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema()`)).rows.flatMap((r) =>
        r.nullable === 'YES' ? [[`${r.t}.${r.c}`, 'NULL'] as [string, string]] : ['text', 'character varying'].includes(r.type) ? [[`${r.t}.${r.c}`, "''"] as [string, string]] : r.type === 'ARRAY' ? [[`${r.t}.${r.c}`, "'{}'"] as [string, string]] : [],
      ),
    );
    // The rows of every table, found before anything changes: a predicate that reads another table (an SMS by its
    // registration) must not miss its rows because that table's went first.
    const found = new Map<string, string>();
    const foundRows = new Map<string, number>();
    for (const [i, t] of searched.entries()) {
      const name = `erase_rows_${i}`;
      const r = await client.query(`CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT t.ctid AS tid FROM ${quoted(t.table)} t WHERE ${t.subject}`, [subjectId]);
      found.set(t.table, `t.ctid IN (SELECT tid FROM ${name})`);
      foundRows.set(t.table, r.rowCount ?? 0);
    }
    const mailStore = personalDataStores.find((st) => st.store === 'mailCatcher');
    const addresses = o.mailCatcherDir && mailStore?.locate ? (await client.query<{ key: string }>(`SELECT DISTINCT key FROM (${mailStore.locate}) k WHERE key IS NOT NULL`, [subjectId])).rows.map((r) => r.key) : [];
    const blobKeys = blobStore?.locate ? (await client.query<{ key: string }>(`SELECT DISTINCT key FROM (${blobStore.locate}) k WHERE key IS NOT NULL`, [subjectId])).rows.map((r) => r.key) : [];
    const erased: ErasedTable[] = [];
    // Rows of erasable tables, in as many passes as the foreign keys need.
    let pending: TableInventory[] = searched.filter((t) => retentions[t.retention].disposal === 'erase');
    for (let pass = 0; pass < 8 && pending.length > 0; pass++) {
      const refused: TableInventory[] = [];
      for (const t of pending) {
        const r = await tryIn(client, `DELETE FROM ${quoted(t.table)} t WHERE ${found.get(t.table)}`, []);
        if (r.ok) erased.push({ table: t.table, rows: r.rows });
        else refused.push(t);
      }
      if (refused.length === pending.length) break;
      pending = refused;
    }
    // Kept rows (and rows a key still holds): their erasable personal columns go.
    const stripped: StrippedTable[] = [];
    const kept = [...searched.filter((t) => retentions[t.retention].disposal !== 'erase'), ...pending];
    for (const t of kept) {
      const columns = Object.entries(t.columns)
        .filter(([c, cls]) => isPersonal(cls) && retentionOf(t, c).disposal === 'erase' && emptied.has(`${t.table}.${c}`))
        .map(([c]) => c);
      if (columns.length === 0) continue;
      const set = columns.map((c) => `${quoted(c)} = ${emptied.get(`${t.table}.${c}`)}`).join(', ');
      const any = columns.map((c) => `${quoted(c)} IS DISTINCT FROM ${emptied.get(`${t.table}.${c}`)}`).join(' OR ');
      const r = await tryIn(client, `UPDATE ${quoted(t.table)} t SET ${set} WHERE (${found.get(t.table)}) AND (${any})`, []);
      if (r.ok && r.rows > 0) stripped.push({ table: t.table, columns, rows: r.rows });
    }
    // What stays, why and until when: each closed case record carries the day the purge deletes it from (cases.purge_on,
    // counted from its close like the law); a case still open gets it when it closes.
    await dateKeptCaseRecords(client, { subjectId });
    const latest = (await client.query<{ open: number; day: string | null }>(`SELECT count(*) FILTER (WHERE status <> 'closed')::int AS open, to_char(max(purge_on), 'YYYY-MM-DD') AS day FROM cases WHERE subject_id = $1`, [subjectId])).rows[0];
    const retained: RetainedTable[] = [];
    for (const t of kept) {
      // Kept rows are never deleted here (only stripped, which moves them): as many as were found.
      const n = foundRows.get(t.table) ?? 0;
      if (n === 0) continue;
      const rule = retentions[t.retention as RetentionId] as { days: number | null; law?: string };
      const until = latest.open > 0 || !latest.day || rule.days === null ? null : latest.day;
      retained.push({ table: t.table, rows: n, retention: t.retention, law: rule.law ?? null, until });
    }
    return { erased: erased.filter((e) => e.rows > 0), stripped, retained, blobKeys, addresses };
  });
  const blobsRemoved = blobs && blobStore?.locate ? await removeBlobsNoRowNeeds(db, blobs, result.blobKeys) : 0;
  const mailFilesRemoved = o.mailCatcherDir ? removeCaughtMailTo(o.mailCatcherDir, await openedAddresses(o.sealer, subjectId, result.addresses)) : 0;
  return { erased: result.erased, stripped: result.stripped, retained: result.retained, blobsRemoved, mailFilesRemoved };
}

/**
 * The last step of an erasure: the subject's contact rows and references go and the subject is `erased` (the row stays:
 * kept records point to it, and nothing links its random id back to the person once its references are gone).
 */
export async function eraseSubjectRecord(db: Db, subjectId: string, at: Date, o: { mailCatcherDir?: string; sealer?: FieldSealer } = {}): Promise<{ parties: number; refs: number; mailFilesRemoved: number }> {
  // The inventory's predicates find them (a party is the subject's own contact, or an e-mail intake's sender at their address).
  const of = (table: string) => personalDataInventory.find((t) => t.table === table)!.subject!;
  const r = await withPgTransaction(db, async (client) => {
    const addresses = (await client.query<{ email: string }>(`SELECT t.email FROM parties t WHERE (${of('parties')}) AND t.email IS NOT NULL`, [subjectId])).rows.map((x) => x.email);
    const parties = await client.query(`DELETE FROM parties WHERE ctid IN (SELECT t.ctid FROM parties t WHERE ${of('parties')})`, [subjectId]);
    const refs = await client.query(`DELETE FROM subject_refs WHERE ctid IN (SELECT t.ctid FROM subject_refs t WHERE ${of('subject_refs')})`, [subjectId]);
    await client.query(`UPDATE subjects SET status = 'erased', erased_at = $2 WHERE id = $1`, [subjectId, at]);
    return { parties: parties.rowCount ?? 0, refs: refs.rowCount ?? 0, addresses };
  });
  // The answer itself was the last mail to the contact: the catcher's copies go now.
  const mailFilesRemoved = o.mailCatcherDir ? removeCaughtMailTo(o.mailCatcherDir, await openedAddresses(o.sealer, subjectId, r.addresses)) : 0;
  return { parties: r.parties, refs: r.refs, mailFilesRemoved };
}
