// The proof of an erasure (policy 2.4.1 徹底刪除; PIPL art. 47): after a subject's data is deleted, scan every store for
// any of its personal values, in clear or in a reversible encoding: every table of the database as the raw text of
// its rows, the files of folders (the blob store, the mail catcher's files), and every Temporal history of the
// namespace exported as JSON. Encodings: UTF-8 as is, base64 (standard and URL-safe, at each of the three byte
// alignments a value can have inside a longer encoded text), hex, quoted-printable (soft line breaks ignored), URL
// encoding and JSON's \u escapes. The erasure tests run it; an operator can run it the same way against a system.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Db } from './db';
import { poolOf } from './db';

export interface EncodedNeedle {
  /** The value's label (never the value itself: a report must not repeat what it proves gone). */
  label: string;
  encoding: string;
  bytes: Buffer;
}

export interface ErasureFinding {
  store: 'database' | 'files' | 'temporal';
  /** The table, the file or the workflow run where it was found. */
  where: string;
  label: string;
  encoding: string;
}

export interface ErasureScanReport {
  findings: ErasureFinding[];
  scanned: { tables: number; rows: number; databaseBytes: number; files: number; fileBytes: number; histories: number; historyBytes: number };
}

/** base64 of `value` as it appears inside a longer base64 text, at each byte alignment (complete 4-character groups only). */
function base64Forms(value: Buffer, urlSafe: boolean): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), value]).toString(urlSafe ? 'base64url' : 'base64');
    // The characters whose six bits all come from the value: the same inside any text at this alignment.
    const body = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + value.length)) / 6));
    if (body.length >= 4) out.push(body);
  }
  return out;
}

const qp = (value: Buffer) => [...value].map((b) => (b >= 33 && b <= 126 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
const jsonEscaped = (s: string) => [...s].map((ch) => (ch.charCodeAt(0) > 126 ? [...ch].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('') : ch)).join('');

/** Every encoding searched for, of every value. Values shorter than 4 bytes are refused: they would match anything. */
export function encodedNeedles(values: Record<string, string>): EncodedNeedle[] {
  const out: EncodedNeedle[] = [];
  for (const [label, value] of Object.entries(values)) {
    const raw = Buffer.from(value, 'utf8');
    if (raw.length < 4) throw new Error(`value ${label} is too short to scan for (${raw.length} bytes)`);
    const forms: [string, string][] = [
      ['utf8', value],
      ['hex', raw.toString('hex')],
      ['HEX', raw.toString('hex').toUpperCase()],
      ['quoted-printable', qp(raw)],
      ['url', encodeURIComponent(value)],
      ['url+', encodeURIComponent(value).replace(/%20/g, '+')],
      ['json-unicode', jsonEscaped(value)],
      ...base64Forms(raw, false).map((b, i) => [`base64@${i}`, b] as [string, string]),
      ...base64Forms(raw, true).map((b, i) => [`base64url@${i}`, b] as [string, string]),
    ];
    const seen = new Set<string>();
    for (const [encoding, text] of forms) {
      if (seen.has(text)) continue;
      seen.add(text);
      out.push({ label, encoding, bytes: Buffer.from(text, 'utf8') });
    }
  }
  return out;
}

/** Finds the needles in a haystack; quoted-printable soft line breaks (`=\r\n`, `=\n`) are removed first. */
function found(haystack: Buffer, needles: readonly EncodedNeedle[]): EncodedNeedle[] {
  const soft = haystack.includes('=\n') ? Buffer.from(haystack.toString('latin1').replace(/=\r?\n/g, ''), 'latin1') : haystack;
  return needles.filter((n) => haystack.includes(n.bytes) || (soft !== haystack && soft.includes(n.bytes)));
}

export interface ErasureScanTargets {
  db: Db;
  /** Folders whose files are read whole (the blob store, the mail catcher's files). */
  folders?: string[];
  /** A client of the namespace whose every workflow history is exported and searched. */
  temporal?: Client;
  /** Progress, per store. */
  onProgress?: (msg: string) => void;
}

function* filesUnder(dir: string): Generator<string> {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* filesUnder(p);
    else if (e.isFile()) yield p;
  }
}

/** Scans every store for the values; a finding names the store, the place, the value's label and the encoding. */
export async function scanForErasedValues(t: ErasureScanTargets, values: Record<string, string>): Promise<ErasureScanReport> {
  const needles = encodedNeedles(values);
  const findings: ErasureFinding[] = [];
  const scanned = { tables: 0, rows: 0, databaseBytes: 0, files: 0, fileBytes: 0, histories: 0, historyBytes: 0 };
  const note = (store: ErasureFinding['store'], where: string, hits: EncodedNeedle[]) => {
    for (const h of hits) if (!findings.some((f) => f.store === store && f.where === where && f.label === h.label && f.encoding === h.encoding)) findings.push({ store, where, label: h.label, encoding: h.encoding });
  };

  // Every table, each row as PostgreSQL's text of the whole row (what a dump holds), a page at a time.
  const pool = poolOf(t.db);
  const tables = (await pool.query<{ name: string }>(`SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)).rows.map((r) => r.name);
  for (const table of tables) {
    scanned.tables++;
    for (let offset = 0; ; offset += 5000) {
      const rows = (await pool.query<{ t: string }>(`SELECT t::text AS t FROM ${table} t ORDER BY t::text LIMIT 5000 OFFSET ${offset}`)).rows;
      for (const r of rows) {
        const bytes = Buffer.from(r.t, 'utf8');
        scanned.rows++;
        scanned.databaseBytes += bytes.length;
        note('database', table, found(bytes, needles));
      }
      if (rows.length < 5000) break;
    }
  }
  t.onProgress?.(`database: ${scanned.tables} tables, ${scanned.rows} rows, ${scanned.databaseBytes} bytes`);

  for (const dir of t.folders ?? []) {
    for (const file of filesUnder(dir)) {
      const bytes = fs.readFileSync(file);
      scanned.files++;
      scanned.fileBytes += bytes.length;
      note('files', file, found(bytes, needles));
    }
  }
  t.onProgress?.(`files: ${scanned.files} files, ${scanned.fileBytes} bytes`);

  if (t.temporal) {
    for await (const w of t.temporal.workflow.list()) {
      const history = await t.temporal.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      const bytes = Buffer.from(historyToJSON(history), 'utf8');
      scanned.histories++;
      scanned.historyBytes += bytes.length;
      note('temporal', `${w.workflowId}/${w.runId}`, found(bytes, needles));
      if (scanned.histories % 200 === 0) t.onProgress?.(`temporal: ${scanned.histories} histories so far`);
    }
    t.onProgress?.(`temporal: ${scanned.histories} histories, ${scanned.historyBytes} bytes`);
  }
  return { findings, scanned };
}
