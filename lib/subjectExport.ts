// A data subject's personal-data export (issue 20 §2.3 "Access"; PIPL art. 45: access and a copy; policy 2.2-2.4), run
// from the inventory (lib/personalData.ts): everything its subject predicates and store locators find, as JSON, with
// the blobs' bytes, in a gzip-compressed tar whose manifest of SHA-256 hashes is signed with the platform's Ed25519 key
// (lib/dossier.ts writeSignedArchive, the KeyManagement port), so that the subject can check it.
//
// - Per table (tables/<table>.json): the subject's rows, each with its personal columns and the columns that say what
//   the row is (ids, enums, times, amounts: personalData.ts describesRow). Internal columns (the audit chain's hashes,
//   payloads of ids and enums) are left out; personal columns of the category `credential` (a password's hash, the
//   HMAC of a one-time code, the text that carried a code) are withheld: the manifest names them and why.
// - Per store (stores/<store>.json): the keys its locator finds (blob keys, e-mail addresses, mobile numbers,
//   Message-IDs, workflow ids); for the blob store, the files themselves (blobs/<sha256>), but for the subject's
//   earlier exports, whose archives are copies of what this one holds.
// - manifest.json: the subject, the time, the link's expiry, each table's inventory entry (what a row is, each
//   column's category, purpose and retention with its clause and law) and row count, the tables not searched by
//   subject and why, each store's entry, and every file with its SHA-256 and size; manifest.json.sig its signature.
//
// Why tar.gz and not zip: no zip library is installed; tar-stream (the dossier's) and node:zlib are, and the archive
// opens with every platform's archive tool (`tar -xzf`, 7-Zip, the macOS Archive Utility).
//
// Delivery: the archive is a blob and a row of data_exports; the subject gets a signed, expiring link
// (GET /data-exports/{token}, api/routes/dataExports.ts), never an e-mail attachment. purgeExpiredExports deletes
// expired rows and their blobs (the daily retention purge calls it).
import { isSealedBlob, storedReader } from './blobs';
import crypto from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { BlobStore } from './blobs';
import type { Secrets } from './config';
import type { Db } from './db';
import { jsonBytes, verifySignedArchive, writeSignedArchive, type DossierEntry, type ManifestFile, type ManifestSigningKey, type SignedArchiveVerification } from './dossier';
import type { KeyManagement } from './keys';
import { describesRow, isPersonal, personalDataInventory, personalDataStores, retentions, type PersonalCategory, type Retention, type RetentionId } from './personalData';
import { isSealed, sealerFor } from './sealedFields';

export const DATA_EXPORT_FORMAT = 'casework-subject-export/1';
export const DATA_EXPORT_CONTENT_TYPE = 'application/gzip';
/** How long a download link is valid by default (the caller may give its own). */
export const DATA_EXPORT_LINK_DAYS = 7;
/** The largest archive a row can describe (data_exports.size_bytes is a 32-bit integer). */
const MAX_EXPORT_BYTES = 2_147_483_647;
/** Personal columns of these categories are withheld from an export (their existence shown, not their value). */
const WITHHELD: readonly PersonalCategory[] = ['credential'];
const WITHHELD_WHY = 'a secret that authenticates the person (a hash of the password or of a one-time code, or the text that carried a code): a copy would let whoever holds the archive attack it offline; the column is named, its value withheld';

/** The HMAC key of the download links: the registration's (the subject's identity links), under a label of its own. */
export const dataExportLinkSecret = (secrets: Pick<Secrets, 'registration'>): string => secrets.registration;

export interface SubjectExportDeps {
  db: Db;
  blobs: BlobStore;
  keys: KeyManagement;
  /** The HMAC key of the download links (dataExportLinkSecret). */
  linkSecret: string;
}

export interface ExportedColumn {
  column: string;
  category: PersonalCategory;
  purpose: string;
  retention: RetentionId;
}

export interface ExportedTable {
  table: string;
  /** What a row is. */
  holds: string;
  /** tables/<table>.json, or null when the subject has no row there. */
  file: string | null;
  rows: number;
  /** The retention of the rows (a column may name its own): period, clause, disposal, law. */
  retention: { id: RetentionId } & Retention;
  /** The personal columns given, with their class. */
  columns: ExportedColumn[];
  /** The columns given beside them that say what a row is (ids, enums, times, amounts). */
  describedBy: string[];
  /** Personal columns withheld, and why. */
  withheld: { column: string; category: PersonalCategory; why: string }[];
}

export interface ExportedStore {
  store: string;
  where: string;
  holds: string;
  categories: PersonalCategory[];
  retention: { id: RetentionId } & Retention;
  /** stores/<store>.json (the keys), or null: the store is not searched by subject. */
  file: string | null;
  keys: number | null;
  /** What its keys are. */
  keysAre: string;
}

export interface SubjectExportManifest {
  format: typeof DATA_EXPORT_FORMAT;
  exportId: string;
  subjectId: string;
  generatedAt: string;
  /** Until when the download link answers; the archive is purged after it. */
  linkExpiresAt: string;
  /** Which columns a table's file carries (README "Personal data: the subject's export"). */
  columnRule: string;
  tables: ExportedTable[];
  /** Tables the inventory does not search by subject, and why (organisations, public data, keyed hashes). */
  notSearched: { table: string; why: string }[];
  stores: ExportedStore[];
  files: ManifestFile[];
  signingKey: ManifestSigningKey;
}

export interface SubjectExport {
  exportId: string;
  subjectId: string;
  sha256: string;
  sizeBytes: number;
  createdAt: Date;
  expiresAt: Date;
  /** The signed link's token, and its path on the API (GET /data-exports/{token}). */
  token: string;
  path: string;
  manifest: SubjectExportManifest;
}

export const COLUMN_RULE =
  'Each row carries its personal columns and the columns that say what the row is (ids and references, enums and codes, times, amounts). ' +
  'Internal columns without personal data (hash-chain values, key hashes, payloads of ids and enums) are left out. ' +
  'Personal columns of the category credential are withheld (see `withheld`). Column names are the database names; times are UTC (ISO 8601).';

// ---------------------------------------------------------------------------------------------------------------------
// The signed link: `<export id>.<expiry, Unix seconds>.<26 base32 digits of HMAC-SHA256>` (130 bits), URL-safe. The
// expiry is signed in the token, so an expired link answers 410 even once its row is purged.

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const exportIdPattern = /^dx_[0-9a-f]{32}$/;

function mac(secret: string, exportId: string, expiresSeconds: number): string {
  const digest = crypto.createHmac('sha256', secret).update(`data-export\u0000${exportId}\u0000${expiresSeconds}`).digest();
  let bits = 0n;
  for (const b of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 25; i >= 0; i--) out += BASE32[Number((bits >> BigInt(i * 5 + 6)) & 31n)];
  return out;
}

export function dataExportToken(secret: string, exportId: string, expiresAt: Date): string {
  const seconds = Math.floor(expiresAt.getTime() / 1000);
  return `${exportId}.${seconds}.${mac(secret, exportId, seconds)}`;
}

/** The export and expiry a token names, or null when it is not one we signed. Whether it expired is the caller's. */
export function verifyDataExportToken(secret: string, token: string): { exportId: string; expiresAt: Date } | null {
  const m = /^(dx_[0-9a-f]{32})\.([0-9]{1,12})\.([a-z2-7]{26})$/.exec(token);
  if (!m) return null;
  const seconds = Number(m[2]);
  const expected = Buffer.from(mac(secret, m[1], seconds));
  if (!crypto.timingSafeEqual(expected, Buffer.from(m[3]))) return null;
  return { exportId: m[1], expiresAt: new Date(seconds * 1000) };
}

export const dataExportPath = (token: string): string => `/data-exports/${token}`;

// ---------------------------------------------------------------------------------------------------------------------
// Reading the subject's data from the inventory.

/** A value of a raw row as JSON: times as ISO 8601, big integers and decimals as strings, bytes as base64. */
function jsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { base64: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') {
    if (typeof (v as { toFixed?: unknown }).toFixed === 'function' && typeof (v as { isFinite?: unknown }).isFinite === 'function') return String(v); // Prisma's Decimal
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonValue(x)]));
  }
  return v;
}

const withId = <T extends Retention>(id: RetentionId, r: T) => ({ id, ...r });

interface Collected {
  tables: { entry: ExportedTable; rows: Record<string, unknown>[] }[];
  stores: { entry: ExportedStore; keys: string[] | null }[];
  /** The blob keys of the subject's earlier exports (not copied into this one). */
  earlierExports: Set<string>;
}

/** Every table's rows and every store's keys for the subject, read in one REPEATABLE READ snapshot. */
async function collect(db: Db, subjectId: string): Promise<Collected> {
  return db.$transaction(
    async (tx) => {
      const tables: Collected['tables'] = [];
      for (const t of personalDataInventory) {
        if (t.subject === null) continue;
        const personal = Object.entries(t.columns).filter(([, c]) => isPersonal(c));
        const given = personal.filter(([, c]) => !WITHHELD.includes(c.category as PersonalCategory));
        const describedBy = Object.entries(t.columns)
          .filter(([, c]) => describesRow(c))
          .map(([n]) => n);
        const columns = [...describedBy, ...given.map(([n]) => n)];
        const select = columns.map((c) => `t."${c}"`).join(', ');
        const raw = await tx.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT ${select} FROM ${t.table} t WHERE (${t.subject}) ORDER BY t::text`, subjectId);
        // Each row in the inventory's column order: what it is first, then its personal data.
        const rows = raw.map((r) => Object.fromEntries(columns.map((c) => [c, jsonValue(r[c])])));
        tables.push({
          rows,
          entry: {
            table: t.table,
            holds: t.holds,
            file: rows.length ? `tables/${t.table}.json` : null,
            rows: rows.length,
            retention: withId(t.retention, retentions[t.retention]),
            columns: given.map(([column, c]) => ({ column, category: c.category as PersonalCategory, purpose: (c as { purpose: string }).purpose, retention: (c as { retention?: RetentionId }).retention ?? t.retention })),
            describedBy,
            withheld: personal.filter(([, c]) => WITHHELD.includes(c.category as PersonalCategory)).map(([column, c]) => ({ column, category: c.category as PersonalCategory, why: WITHHELD_WHY })),
          },
        });
      }
      const stores: Collected['stores'] = [];
      for (const s of personalDataStores) {
        const keys = s.locate ? (await tx.$queryRawUnsafe<{ key: string }[]>(`SELECT DISTINCT key FROM (${s.locate}) k WHERE key IS NOT NULL ORDER BY key`, subjectId)).map((r) => r.key) : null;
        stores.push({
          keys,
          entry: { store: s.store, where: s.where, holds: s.holds, categories: [...s.categories], retention: withId(s.retention, retentions[s.retention]), file: keys ? `stores/${s.store}.json` : null, keys: keys?.length ?? null, keysAre: s.keys },
        });
      }
      const earlier = await tx.dataExport.findMany({ where: { subjectId }, select: { sha256: true } });
      return { tables, stores, earlierExports: new Set(earlier.map((e) => e.sha256)) };
    },
    { isolationLevel: 'RepeatableRead', timeout: 60_000 },
  );
}

/** The size of a blob, by reading it (the port keeps no sizes; the archive's entry needs it before its bytes). */
async function sizeOf(stream: Readable): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

export class SubjectNotFound extends Error {}

/**
 * Exports everything the inventory finds for `subjectId` into the blob store as a signed tar.gz, records it in
 * data_exports, and answers the signed link that delivers it (valid `linkValidForMs`, 7 days by default). The archive
 * streams into the blob store as it is written, never whole in memory. Throws SubjectNotFound for an unknown subject.
 */
export async function exportSubjectData(deps: SubjectExportDeps, subjectId: string, o: { now?: Date; linkValidForMs?: number } = {}): Promise<SubjectExport> {
  const subject = await deps.db.subject.findUnique({ where: { id: subjectId } });
  if (!subject) throw new SubjectNotFound(`subject ${subjectId} does not exist`);
  const createdAt = o.now ?? new Date();
  const expiresAt = new Date(createdAt.getTime() + (o.linkValidForMs ?? DATA_EXPORT_LINK_DAYS * 86_400_000));
  const exportId = `dx_${crypto.randomBytes(16).toString('hex')}`;
  const key = await deps.keys.signingKey();
  const data = await collect(deps.db, subjectId);
  // Fields sealed with the subject's data key (lib/sealedFields.ts) go into the archive opened: it is the person's copy.
  const sealer = sealerFor(deps.db, deps.keys);
  // At any depth: a held mail's or an intake's file names are sealed inside their JSON.
  const cells: [Record<string | number, unknown>, string | number][] = [];
  const walk = (holder: Record<string | number, unknown>, key: string | number) => {
    const v = holder[key];
    if (isSealed(v)) cells.push([holder, key]);
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) walk(v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k);
  };
  for (const t of data.tables) for (const r of t.rows) for (const c of Object.keys(r)) walk(r, c);
  const opened = await sealer.open(subjectId, cells.map(([r, c]) => r[c] as string));
  cells.forEach(([r, c], i) => (r[c] = opened[i]));
  // A store's keys read from sealed columns (the mobile numbers a gateway is asked about) go in opened too.
  for (const st of data.stores) {
    if (!st.keys?.some(isSealed)) continue;
    // One per row it was found in (an address sealed in two rows is listed twice, as the count says).
    st.keys = (await sealer.open(subjectId, st.keys)).map((k) => k ?? '(sealed: key destroyed)').sort();
  }

  async function* entries(): AsyncGenerator<DossierEntry> {
    yield {
      path: 'README.txt',
      bytes: Buffer.from(
        `Personal data export ${exportId} of ${subjectId}, ${createdAt.toISOString()}.\n` +
          `个人信息副本:tables/ 为各数据表中您的记录(JSON),stores/ 为其他存储中找到的键,blobs/ 为您上传的文件。manifest.json 列出每个文件的 SHA-256 及其用途、保存期限与法律依据,manifest.json.sig 为平台 Ed25519 密钥对 manifest.json 的签名。\n` +
          `tables/ holds your rows of each table (JSON), stores/ the keys found in other stores, blobs/ your files. manifest.json lists every file with its SHA-256, and each table's purpose, retention and legal basis; manifest.json.sig is the platform's Ed25519 signature of manifest.json's exact bytes (check it with the public key the manifest names).\n`,
      ),
    };
    for (const t of data.tables) if (t.entry.file) yield { path: t.entry.file, bytes: jsonBytes(t.rows) };
    for (const s of data.stores) {
      if (!s.entry.file || !s.keys) continue;
      if (s.entry.store !== 'blobs') {
        yield { path: s.entry.file, bytes: jsonBytes({ store: s.entry.store, keys: s.keys }) };
        continue;
      }
      // The blob store: the keys, and each file's bytes (an earlier export's archive is not copied; a key whose bytes
      // are gone, erased or never committed, is named).
      const files: Record<string, string> = {};
      const missing: string[] = [];
      const present: string[] = [];
      for (const k of s.keys) {
        if (data.earlierExports.has(k)) continue;
        if (/^[0-9a-f]{64}$/.test(k) && (await deps.blobs.exists(k))) present.push(k);
        else missing.push(k);
      }
      for (const k of present) files[k] = `blobs/${k}`;
      yield { path: s.entry.file, bytes: jsonBytes({ store: s.entry.store, keys: s.keys, files, earlierExports: s.keys.filter((k) => data.earlierExports.has(k)), missing }) };
      // A file sealed with the subject's key goes into the archive opened: it is the person's copy. An attachment's
      // (attachments.blob_key), and a held mail's or an intake's filed under the subject: its HTML and files, and its
      // raw message when sealed (one held before sealing is a clear blob until the backfill reaches it).
      const sealedKeys = new Set((await deps.db.attachment.findMany({ where: { blobKey: { in: present } }, select: { blobKey: true } })).map((r) => r.blobKey!));
      const mailKeys = await deps.db.$queryRawUnsafe<{ key: string; raw: boolean }[]>(
        `SELECT k.key, k.raw FROM inbound_mail_quarantine t, LATERAL (VALUES (t.raw_sha256, true), (t.html_blob_key, false)) k(key, raw) WHERE t.subject_id = $1 AND k.key IS NOT NULL
         UNION SELECT f->>'blobKey', false FROM inbound_mail_quarantine t, jsonb_array_elements(t.attachments) f WHERE t.subject_id = $1 AND f ? 'blobKey'
         UNION SELECT f->>'blobKey', false FROM mail_intakes t, jsonb_array_elements(t.attachments) f WHERE t.subject_id = $1 AND f ? 'blobKey'`,
        subjectId,
      );
      for (const m of mailKeys) if (present.includes(m.key) && (!m.raw || (await isSealedBlob(deps.blobs, m.key)))) sealedKeys.add(m.key);
      for (const k of present) {
        const stream = sealedKeys.has(k) ? await storedReader(deps.blobs, sealerFor(deps.db, deps.keys), { sha256: k, blobKey: k }, subjectId) : () => deps.blobs.read(k);
        if (stream) yield { path: `blobs/${k}`, size: await sizeOf(stream()), stream };
      }
    }
  }
  const manifestOf = (files: ManifestFile[], signingKey: ManifestSigningKey): SubjectExportManifest => ({
    format: DATA_EXPORT_FORMAT,
    exportId,
    subjectId,
    generatedAt: createdAt.toISOString(),
    linkExpiresAt: expiresAt.toISOString(),
    columnRule: COLUMN_RULE,
    tables: data.tables.map((t) => t.entry),
    notSearched: personalDataInventory.filter((t) => t.subject === null).map((t) => ({ table: t.table, why: t.notBySubject ?? '' })),
    stores: data.stores.map((s) => s.entry),
    files,
    signingKey,
  });

  const pipe = new PassThrough();
  const staging = deps.blobs.stage(pipe, { maxBytes: MAX_EXPORT_BYTES });
  const writing = writeSignedArchive(pipe, { mtime: createdAt, gzip: true }, entries(), key, manifestOf).catch((err: unknown) => {
    pipe.destroy(err as Error);
    throw err;
  });
  writing.catch(() => undefined); // its failure destroys the pipe: the staging rejects with it
  let blob: Awaited<typeof staging>;
  try {
    blob = await staging;
  } catch (err) {
    pipe.destroy(); // the writer stops (an archive too large)
    throw err;
  }
  const manifest = await writing.catch(async (err) => {
    await blob.discard();
    throw err;
  });
  // The bytes first, then the row that names them: a row never points at bytes that are not kept.
  await blob.commit();
  await deps.db.dataExport.create({ data: { id: exportId, subjectId, sha256: blob.sha256, sizeBytes: blob.size, createdAt, expiresAt } });
  const token = dataExportToken(deps.linkSecret, exportId, expiresAt);
  return { exportId, subjectId, sha256: blob.sha256, sizeBytes: blob.size, createdAt, expiresAt, token, path: dataExportPath(token), manifest };
}

/** Verifies an export offline (the subject's check): the signature, every file's size and SHA-256, nothing else. */
export function verifySubjectExport(input: Readable | Buffer, o: { trustedPublicKeyPem?: string } = {}): Promise<SignedArchiveVerification<SubjectExportManifest>> {
  return verifySignedArchive<SubjectExportManifest>(input, { format: DATA_EXPORT_FORMAT, gzip: true, trustedPublicKeyPem: o.trustedPublicKeyPem });
}

/** A download of an export: found, expired (410), or unknown (404). */
export type ExportDownload = { status: 'ok'; exportId: string; sha256: string; sizeBytes: number } | { status: 'expired' } | { status: 'not_found' };

/** What the link `token` delivers at `now` (the token's signature, its expiry, then the row). */
export async function exportForDownload(db: Db, secret: string, token: string, now: Date = new Date()): Promise<ExportDownload> {
  const t = verifyDataExportToken(secret, token);
  if (!t) return { status: 'not_found' };
  if (t.expiresAt.getTime() <= now.getTime()) return { status: 'expired' };
  const row = await db.dataExport.findUnique({ where: { id: t.exportId } });
  if (!row) return { status: 'not_found' };
  if (row.expiresAt.getTime() <= now.getTime()) return { status: 'expired' };
  return { status: 'ok', exportId: row.id, sha256: row.sha256, sizeBytes: row.sizeBytes };
}

/** Records the first download of an export (later ones leave the time as it is). */
export async function markExportDownloaded(db: Db, exportId: string, at: Date = new Date()): Promise<void> {
  await db.dataExport.updateMany({ where: { id: exportId, downloadedAt: null }, data: { downloadedAt: at } });
}

/**
 * Deletes the exports whose link expired by `now`, with their archives (a blob goes only when no other row names its
 * key: blobs are content-addressed). The daily retention purge calls it (retention `dataExport`). Answers the counts.
 */
export async function purgeExpiredExports(db: Db, blobs: BlobStore, now: Date = new Date()): Promise<{ exports: number; blobs: number; bytes: number }> {
  const expired = await db.dataExport.findMany({ where: { expiresAt: { lte: now } }, orderBy: { expiresAt: 'asc' } });
  let removed = 0;
  let bytes = 0;
  for (const e of expired) {
    // The blob first, while the row still names it: a crash between the two leaves a row without its bytes (its link
    // answers 410 by its signed expiry), which the next purge deletes; the other order could leave bytes no row names.
    const others =
      (await db.dataExport.count({ where: { sha256: e.sha256, id: { not: e.id } } })) +
      (await db.attachment.count({ where: { sha256: e.sha256 } }));
    if (others === 0) {
      await blobs.remove(e.sha256);
      removed++;
      bytes += e.sizeBytes;
    }
    await db.dataExport.deleteMany({ where: { id: e.id } });
  }
  return { exports: expired.length, blobs: removed, bytes };
}
