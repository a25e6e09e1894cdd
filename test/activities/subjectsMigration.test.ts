// The subjects migration (prisma/migrations/20261204200000_subjects) on a database holding rows from before it: one
// opaque subject per account, per distinct storefront customer reference (of a case or a contact) and per guardian,
// and every new column filled. Real PostgreSQL (TEST_DATABASE_ADMIN_URL).
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';
import { MIGRATIONS_DIR } from '../../lib/migrations';
import { scratchDatabase } from '../helpers/scratchDatabase';

const SUBJECTS = '20261204200000_subjects';
const scratch = scratchDatabase('casework_subjects_mig', { before: SUBJECTS });
let db: Client;
const sqlOf = (dir: string) => fs.readFileSync(path.join(MIGRATIONS_DIR, dir, 'migration.sql'), 'utf8');

beforeAll(() => {
  db = scratch.sql;
});

test('existing rows get their subjects: accounts by user ref, storefront customers by reference, guardians by record', async () => {
  await db.query(`
    INSERT INTO cases (id, type, status, step, customer_id, policy_version, workflow_id, summary, opened_by, updated_at) VALUES
      ('RET-1', 'return', 'open', 'x', 'cust-a', 'p', 'RET-1', '{}', 'prn', now()), ('RET-2', 'return', 'closed', 'x', 'cust-a', 'p', 'RET-2', '{}', 'prn', now()),
      ('REP-1', 'warranty_repair', 'open', 'x', 'cust-b', 'p', 'REP-1', '{}', 'prn', now()), ('REG-1', 'registration', 'open', 'x', 'usr_1', 'p', 'REG-1', '{}', 'prn', now()),
      ('RET-3', 'return', 'open', 'x', 'usr_1', 'p', 'RET-3', '{}', 'prn', now());
    INSERT INTO parties (kind, id, email, updated_at) VALUES ('customer', 'cust-a', 'a@x.test', now()), ('customer', 'usr_1', 'u@x.test', now()), ('customer', 'cust-c', 'c@x.test', now()), ('merchant', 'm-1', 'm@x.test', now());
    INSERT INTO registrations (id, user_ref, status, agreement_version, updated_at) VALUES ('REG-1', 'usr_1', 'pending', '2026-11', now());
    INSERT INTO user_accounts (id, registration_id, username, status, activated_at) VALUES ('usr_1', 'REG-1', 'u1', 'active', now());
    INSERT INTO registration_guardians (id, registration_id, updated_at) VALUES ('grd_1', 'REG-1', now());
    INSERT INTO thread_messages (id, case_id, party, author_id, author_role, body, attachment_ids) VALUES ('m1', 'RET-1', 'customer', 'prn', 'storefront', 'hi', '{}'), ('m2', 'RET-1', 'merchant', 'm-1', 'merchant', 'yo', '{}');
    INSERT INTO attachments (id, case_id, sha256, size_bytes, content_type, uploaded_by, uploader_role) VALUES
      ('a1', 'RET-1', 'aa', 1, 'x', 'prn', 'storefront'), ('a2', 'RET-1', 'bb', 1, 'x', 'cust-a', 'email'), ('a3', 'RET-1', 'cc', 1, 'x', 'prn-agent', 'agent');
    INSERT INTO inbound_mail_quarantine (id, mail_from, rcpt_to, reason, case_id, party, text_body, raw_sha256, attachments) VALUES
      ('q1', 'a@x.test', '{}', 'sender_mismatch', 'RET-1', 'customer', 't', 'rr', '[]'), ('q2', 'z@x.test', '{}', 'no_token', NULL, NULL, 't', 'rr', '[]');`);
  await db.query(sqlOf(SUBJECTS));

  const refs = (await db.query(`SELECT r.kind, r.value, s.kind AS "subjectKind", s.status, s.id ~ '^sub_[0-9a-f]{32}$' AS opaque FROM subject_refs r JOIN subjects s ON s.id = r.subject_id ORDER BY 1, 2`)).rows;
  expect(refs).toEqual([
    { kind: 'account', value: 'usr_1', subjectKind: 'customer', status: 'active', opaque: true },
    { kind: 'guardian', value: 'grd_1', subjectKind: 'guardian', status: 'active', opaque: true },
    { kind: 'storefront_customer', value: 'cust-a', subjectKind: 'customer', status: 'active', opaque: true },
    { kind: 'storefront_customer', value: 'cust-b', subjectKind: 'customer', status: 'active', opaque: true },
    { kind: 'storefront_customer', value: 'cust-c', subjectKind: 'customer', status: 'active', opaque: true },
  ]);
  expect((await db.query(`SELECT count(*)::int AS n FROM subjects`)).rows[0].n).toBe(5);
  /** The reference value naming the subject a row points to (null: none). */
  const named = async (sql: string) => Object.fromEntries((await db.query(`SELECT t.id, r.value FROM (${sql}) t LEFT JOIN subject_refs r ON r.subject_id = t.subject_id`)).rows.map((r) => [r.id, r.value]));
  expect(await named('SELECT id, subject_id FROM cases')).toEqual({ 'RET-1': 'cust-a', 'RET-2': 'cust-a', 'REP-1': 'cust-b', 'REG-1': 'usr_1', 'RET-3': 'usr_1' });
  expect(await named(`SELECT kind || ':' || id AS id, subject_id FROM parties`)).toEqual({ 'customer:cust-a': 'cust-a', 'customer:usr_1': 'usr_1', 'customer:cust-c': 'cust-c', 'merchant:m-1': null });
  expect(await named('SELECT id, subject_id FROM registrations')).toEqual({ 'REG-1': 'usr_1' });
  expect(await named('SELECT id, subject_id FROM user_accounts')).toEqual({ usr_1: 'usr_1' });
  expect(await named('SELECT id, subject_id FROM registration_guardians')).toEqual({ grd_1: 'grd_1' });
  // The customer's words and files (through the storefront, or by e-mail as the case's customer); not the others'.
  expect(await named('SELECT id, subject_id FROM thread_messages')).toEqual({ m1: 'cust-a', m2: null });
  expect(await named('SELECT id, subject_id FROM attachments')).toEqual({ a1: 'cust-a', a2: 'cust-a', a3: null });
  expect(await named('SELECT id, subject_id FROM inbound_mail_quarantine')).toEqual({ q1: 'cust-a', q2: null });
  // Registrations and accounts always have a subject from now on.
  await expect(db.query(`INSERT INTO registrations (id, user_ref, status, agreement_version, updated_at) VALUES ('REG-2', 'usr_2', 'pending', '2026-11', now())`)).rejects.toThrow(/subject_id/);
});
