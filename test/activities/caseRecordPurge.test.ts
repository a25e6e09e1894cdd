// Case records at the end of their period (lib/keptRecords.ts; 电子商务法 art. 31, PIPL arts. 19, 47; policy 2.2.1): the
// daily purge's rule transactionRecord dates every closed case record, then deletes the ones past their day whole, with
// the files only they held; a recent case, an open one and an account's own record stay. Real PostgreSQL, a database
// of its own (the other test files share theirs, with cases of their own), every migration applied.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { appendAuditEvent } from '../../activities/audit';
import { createRetentionActivities, localDay } from '../../activities/retention';
import { FileBlobStore } from '../../lib/blobs';
import { createDb, type Db } from '../../lib/db';
import { ACCOUNT_CASE_TYPES, purgeDayOfCaseRecord } from '../../lib/keptRecords';
import { REGISTRATION_CASE_TYPE } from '../../workflows/registrationReview';
import { scratchDatabase } from '../helpers/scratchDatabase';

const scratch = scratchDatabase('casework_case_record_purge');
let db: Db;
const blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'case-record-purge-'));
const blobs = new FileBlobStore(blobDir);
const lines: Record<string, unknown>[] = [];
const logger = { child: () => logger, info: (o: Record<string, unknown>, msg: string) => lines.push({ ...o, msg }), warn: (o: Record<string, unknown>, msg: string) => lines.push({ ...o, msg }), error() {} } as any;

beforeAll(() => {
  db = createDb(scratch.url);
});
afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(blobDir, { recursive: true, force: true });
});

const YEAR = 365 * 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms);

async function keep(bytes: Buffer): Promise<string> {
  const staged = await blobs.stage(Readable.from([bytes]), { maxBytes: bytes.length });
  await staged.commit();
  return staged.sha256;
}

test('the account’s own record is the registration case type', () => {
  expect(ACCOUNT_CASE_TYPES).toEqual([REGISTRATION_CASE_TYPE]);
});

test('a case record 3 years past its close goes whole with the files only it held; a recent, an open case and an account’s record stay', async () => {
  const closedOld = ago(4 * YEAR);
  const closedRecent = ago(YEAR);
  const onlyOld = await keep(Buffer.from('%PDF-1.7\n% a receipt only the old case holds\n%%EOF\n'));
  const shared = await keep(Buffer.from('%PDF-1.7\n% the same photo sent in two cases\n%%EOF\n'));
  await scratch.sql.query(`INSERT INTO subjects (id, kind) VALUES ('sub_live', 'customer'), ('sub_acct', 'customer')`);
  const kase = (id: string, type: string, subject: string, closedAt: Date | null, createdAt: Date) =>
    scratch.sql.query(
      `INSERT INTO cases (id, type, status, step, customer_id, subject_id, policy_version, workflow_id, summary, opened_by, created_at, updated_at, closed_at)
       VALUES ($1, $2, $3, $3, 'usr_live', $4, 'p', $1, '{}', 'prn', $5, $5, $6)`,
      [id, type, closedAt ? 'closed' : 'open', subject, createdAt, closedAt],
    );
  await kase('RET-old', 'return', 'sub_live', closedOld, ago(4 * YEAR + 30 * 86_400_000));
  await kase('RET-recent', 'return', 'sub_live', closedRecent, ago(YEAR + 30 * 86_400_000));
  await kase('RET-open', 'return', 'sub_live', null, ago(4 * YEAR));
  await kase('REG-old', 'registration', 'sub_acct', closedOld, ago(4 * YEAR + 86_400_000));
  await scratch.sql.query(
    `INSERT INTO attachments (id, case_id, sha256, size_bytes, content_type, uploaded_by, uploader_role, subject_id) VALUES
       ('att_old_1', 'RET-old', $1, 10, 'application/pdf', 'prn', 'storefront', 'sub_live'),
       ('att_old_2', 'RET-old', $2, 10, 'application/pdf', 'prn', 'storefront', 'sub_live'),
       ('att_recent', 'RET-recent', $2, 10, 'application/pdf', 'prn', 'storefront', 'sub_live')`,
    [onlyOld, shared],
  );
  for (const id of ['RET-old', 'RET-recent']) {
    await appendAuditEvent(db, { caseId: id, eventKey: `${id}:opened`, type: 'case.opened', actor: 'prn', at: new Date(), payload: {} });
    await appendAuditEvent(db, { caseId: id, eventKey: `${id}:closed`, type: 'case.closed', actor: 'system', at: new Date(), payload: {} });
  }

  const retention = createRetentionActivities({ db, logger, blobs, registration: { erasePersonalData: async () => { throw new Error('not here'); }, eraseIdentity: async () => { throw new Error('not here'); } } as any });
  const runId = `retention-purge-case-records-${process.pid}`;
  const { runDay, rules } = await retention.startRetentionRun({ runId, at: new Date().toISOString() });
  expect(runDay).toBe(localDay(new Date()));
  expect(rules).toContain('transactionRecord');
  const counts = await retention.purgeRetentionRule({ runId, rule: 'transactionRecord', runDay });

  // Gone whole: the case, its files' rows, its trail; the file only it held left the blob store, the shared one stayed.
  expect(counts).toMatchObject({ cases: 1, attachments: 2, audit_events: 2, blobs: 1 });
  const left = (await scratch.sql.query<{ id: string; purge_on: string | null }>(`SELECT id, to_char(purge_on, 'YYYY-MM-DD') AS purge_on FROM cases ORDER BY id`)).rows;
  expect(left.map((r) => r.id)).toEqual(['REG-old', 'RET-open', 'RET-recent']);
  expect((await scratch.sql.query(`SELECT id FROM attachments ORDER BY id`)).rows.map((r) => r.id)).toEqual(['att_recent']);
  expect((await scratch.sql.query(`SELECT DISTINCT case_id FROM audit_events`)).rows.map((r) => r.case_id)).toEqual(['RET-recent']);
  expect(await blobs.exists(onlyOld)).toBe(false);
  expect(await blobs.exists(shared)).toBe(true);
  // The recent record carries its day (3 years after its close, counted like the law); the open case none yet; the
  // account's own record none while its subject is not erased.
  const day = Object.fromEntries(left.map((r) => [r.id, r.purge_on]));
  expect(day).toEqual({ 'RET-recent': purgeDayOfCaseRecord(closedRecent), 'RET-open': null, 'REG-old': null });
  expect(lines.some((l) => l.msg === 'case record purged at the end of its period' && l.caseId === 'RET-old' && l.blobsRemoved === 1)).toBe(true);
  const run = (await scratch.sql.query(`SELECT counts FROM retention_runs WHERE id = $1`, [runId])).rows[0];
  expect(run.counts.transactionRecord).toEqual(counts);

  // Run again: nothing more to do.
  const again = await retention.purgeRetentionRule({ runId, rule: 'transactionRecord', runDay });
  expect(again).toEqual({ cases: 0 });
});
