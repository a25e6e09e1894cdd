// The sealing backfill (lib/sealingBackfill.ts) on rows written before encryption at rest: rows inserted in the old
// shape (clear names, numbers, addresses, words and file bytes) are sealed with their subject's key, read back the
// same, found by their blind indexes, the clear columns emptied; a second run finds nothing; a subject whose key was
// destroyed is left. Real PostgreSQL (TEST_DATABASE_ADMIN_URL), every migration applied.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { blindIndexerFor } from '../../lib/blindIndex';
import { FileBlobStore, readStored } from '../../lib/blobs';
import { createDb, type Db } from '../../lib/db';
import { SimulatedKeyManagement } from '../../lib/keys';
import { isSealed, sealerFor } from '../../lib/sealedFields';
import { backfillSealing } from '../../lib/sealingBackfill';
import { mailSenderRef } from '../../lib/subjects';
import { scratchDatabase } from '../helpers/scratchDatabase';

const scratch = scratchDatabase('casework_sealing_backfill');
let sql: Client;
let db: Db;
const keys = new SimulatedKeyManagement(crypto.randomBytes(32).toString('hex'));
const blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seal-backfill-'));
const blobs = new FileBlobStore(blobDir);
const lines: Record<string, unknown>[] = [];
const logger = { child: () => logger, info: (o: Record<string, unknown>, msg: string) => lines.push({ ...o, msg }), warn() {}, error() {} } as any;

beforeAll(() => {
  sql = scratch.sql;
  db = createDb(scratch.url);
});
afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(blobDir, { recursive: true, force: true });
});

const file = Buffer.from(`%PDF-1.7\n% the receipt of the old shape\n${'x'.repeat(70 * 1024)}\n%%EOF\n`); // more than one 64 KiB segment
const sha = crypto.createHash('sha256').update(file).digest('hex');
// A held mail of the old shape: its raw message, HTML part and file in clear blobs.
const heldRaw = Buffer.from('From: Wang <wang@old.test>\r\nSubject: Re: my kettle\r\n\r\nWhere is my kettle? The raw words of the old shape.\r\n');
const heldHtml = Buffer.from('<p>Where is my kettle? The HTML of the old shape.</p>');
const heldFile = Buffer.from('%PDF-1.7\n% the photo held in the old shape\n%%EOF\n');
const hash = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const MAIL_SENDER_SECRET = 's'.repeat(40);

test('rows in the old shape are sealed with their subject’s key, read back the same, found by blind index; again: nothing to do', async () => {
  await sql.query(`
    INSERT INTO subjects (id, kind) VALUES ('sub_a', 'customer'), ('sub_g', 'guardian'), ('sub_gone', 'customer');
    INSERT INTO cases (id, type, status, step, customer_id, subject_id, policy_version, workflow_id, summary, opened_by, updated_at) VALUES
      ('REG-1', 'registration', 'open', 'x', 'usr_1', 'sub_a', 'p', 'REG-1', '{}', 'prn', now()),
      ('REP-1', 'warranty_repair', 'open', 'x', 'usr_1', 'sub_a', 'p', 'REP-1', '{}', 'prn', now()),
      ('CMP-1', 'complaint', 'open', 'x', 'usr_1', 'sub_a', 'p', 'CMP-1', '{}', 'prn', now()),
      ('RET-9', 'return', 'open', 'x', 'cust-gone', 'sub_gone', 'p', 'RET-9', '{}', 'prn', now());
    INSERT INTO registrations (id, user_ref, subject_id, status, username, full_name, mobile, email, declared_birth_date, agreement_version, updated_at) VALUES
      ('REG-1', 'usr_1', 'sub_a', 'approved', 'old_user', '王五', '13912345678', 'wang@old.test', '1990-01-02', '2026-11', now());
    INSERT INTO user_accounts (id, registration_id, subject_id, username, status, activated_at) VALUES ('usr_1', 'REG-1', 'sub_a', 'old_user', 'active', now());
    INSERT INTO parties (kind, id, email, display_name, updated_at, subject_id) VALUES
      ('customer', 'usr_1', 'Wang@Old.test', '王五', now(), 'sub_a'), ('merchant', 'm-1', 'shop@m.test', 'Shop Ltd', now(), NULL),
      ('customer', 'cust-gone', 'gone@old.test', 'Gone', now(), 'sub_gone');
    INSERT INTO registration_guardians (id, registration_id, subject_id, mobile, full_name, updated_at) VALUES ('grd_1', 'REG-1', 'sub_g', '13800000001', '王父', now());
    INSERT INTO repair_requests (case_id, order_id, line_item_id, product_ref, problem_category, description, warranty_months, delivered_at, requested_at, warranty_ends_at, in_warranty, dispute_text, updated_at) VALUES
      ('REP-1', 'o', 'l', 'p', 'power', 'The kettle stopped heating', 12, now(), now(), now(), true, NULL, now());
    INSERT INTO complaints (case_id, channel, category, description) VALUES ('CMP-1', 'storefront', 'service', 'Nobody answered my calls');
    INSERT INTO thread_messages (id, case_id, party, author_id, author_role, body, attachment_ids) VALUES ('m1', 'REP-1', 'customer', 'usr_1', 'storefront', 'Any news on my kettle?', '{}');
    INSERT INTO mail_intakes (id, case_type, from_address, description, attachments, expires_at) VALUES ('mi_1', 'complaint', 'wang@old.test', 'words', '[]', now() + interval '1 day');
    INSERT INTO inbound_mail_quarantine (id, mail_from, from_address, rcpt_to, subject, reason, subject_id, text_body, raw_sha256, attachments) VALUES
      ('qm_1', 'wang@old.test', 'Wang <wang@old.test>', '{case+x@reply.test}', 'Re: my kettle', 'bad_token', 'sub_a', 'Where is my kettle?', '${hash(heldRaw)}', '[{"sha256": "${hash(heldFile)}", "sizeBytes": ${heldFile.length}, "contentType": "application/pdf", "filename": "王五的照片.pdf"}]'),
      ('qm_2', 'x@nobody.test', 'x@nobody.test', '{case+y@reply.test}', 'hello', 'bad_token', NULL, 'from nobody known', '${'2'.repeat(64)}', '[]');
    INSERT INTO attachments (id, case_id, sha256, size_bytes, content_type, filename, uploaded_by, uploader_role, subject_id) VALUES
      ('att_1', 'REP-1', '${sha}', ${file.length}, 'application/pdf', '王五的发票.pdf', 'prn', 'storefront', 'sub_a'),
      ('att_2', 'REP-1', '${'0'.repeat(64)}', 10, 'application/x-tar', 'dossier-REP-1.tar', 'system', 'system', NULL);`);
  await sql.query(`UPDATE inbound_mail_quarantine SET html_sha256 = $1 WHERE id = 'qm_1'`, [hash(heldHtml)]);
  for (const bytes of [file, heldRaw, heldHtml, heldFile]) {
    const staged = await blobs.stage((await import('node:stream')).Readable.from([bytes]), { maxBytes: bytes.length });
    await staged.commit();
  }
  // A subject erased before the backfill: its key destroyed; its rows are left as they are.
  await sealerFor(db, keys).shred('sub_gone');

  const counts = await backfillSealing({ db, keys, logger, blobs, mailSenderSecret: MAIL_SENDER_SECRET }, { batch: 1 });
  expect(counts.sealed).toEqual({ 'inbound_mail_quarantine.sender': 1, registrations: 1, user_accounts: 1, parties: 1, registration_guardians: 1, repair_requests: 1, complaints: 1, thread_messages: 1, 'attachments.filename': 1, inbound_mail_quarantine: 2, task_notes: 0, mail_intakes: 1, attachments: 1, 'inbound_mail_quarantine.blobs': 1 });
  expect(counts.skipped).toMatchObject({ parties: 1, attachments: 0 });
  expect(lines.some((l) => l.msg === 'sealing backfill: page done' && l.table === 'registrations')).toBe(true);

  // Nothing personal left in clear where it was sealed; the clear columns emptied.
  const reg = (await sql.query(`SELECT * FROM registrations WHERE id = 'REG-1'`)).rows[0];
  expect(reg).toMatchObject({ username: null, mobile: null });
  for (const c of ['username_sealed', 'full_name', 'mobile_sealed', 'email', 'declared_birth_date']) expect(isSealed(reg[c])).toBe(true);
  const open = (subject: string, values: (string | null)[]) => sealerFor(db, keys).open(subject, values);
  expect(await open('sub_a', [reg.username_sealed, reg.full_name, reg.mobile_sealed, reg.email, reg.declared_birth_date])).toEqual(['old_user', '王五', '13912345678', 'wang@old.test', '1990-01-02']);
  // The look-ups by equality find them by blind index, the number in any accepted form.
  const index = blindIndexerFor(keys);
  expect(reg.mobile_index).toBe(await index('mobile', '+86 139-1234-5678'));
  expect(reg.username_index).toBe(await index('username', 'OLD_USER'));
  const account = (await sql.query(`SELECT * FROM user_accounts WHERE id = 'usr_1'`)).rows[0];
  expect(account.username).toBeNull();
  expect(await open('sub_a', [account.username_sealed])).toEqual(['old_user']);
  expect(account.username_index).toBe(reg.username_index);
  const party = (await sql.query(`SELECT * FROM parties WHERE kind = 'customer' AND id = 'usr_1'`)).rows[0];
  expect(await open('sub_a', [party.email, party.display_name])).toEqual(['Wang@Old.test', '王五']);
  expect(party.email_index).toBe(await index('email', 'wang@old.test'));
  // A merchant (no subject, a business) and an erased subject's row are left as they were.
  expect((await sql.query(`SELECT email FROM parties WHERE kind = 'merchant'`)).rows[0].email).toBe('shop@m.test');
  expect((await sql.query(`SELECT email FROM parties WHERE id = 'cust-gone'`)).rows[0].email).toBe('gone@old.test');
  const guardian = (await sql.query(`SELECT * FROM registration_guardians WHERE id = 'grd_1'`)).rows[0];
  expect(await open('sub_g', [guardian.mobile, guardian.full_name])).toEqual(['13800000001', '王父']);
  expect(await open('sub_g', [guardian.mobile])).not.toEqual(await open('sub_a', [guardian.mobile]).catch(() => ['other key']));
  const words = (await sql.query(`SELECT (SELECT description FROM repair_requests) AS r, (SELECT description FROM complaints) AS c, (SELECT body FROM thread_messages) AS m`)).rows[0];
  expect(await open('sub_a', [words.r, words.c, words.m])).toEqual(['The kettle stopped heating', 'Nobody answered my calls', 'Any news on my kettle?']);
  // A held mail filed under the subject: its addresses, subject line and words; one from nobody known is filed under
  // the sender's own subject (lib/subjects.ts mailSenderRef) and sealed with its key.
  const held = Object.fromEntries((await sql.query(`SELECT * FROM inbound_mail_quarantine`)).rows.map((r) => [r.id, r]));
  expect(await open('sub_a', [held.qm_1.mail_from, held.qm_1.from_address, held.qm_1.subject, held.qm_1.text_body])).toEqual(['wang@old.test', 'Wang <wang@old.test>', 'Re: my kettle', 'Where is my kettle?']);
  expect(isSealed(held.qm_1.text_body)).toBe(true);
  const sender = (await sql.query(`SELECT subject_id FROM subject_refs WHERE kind = $1 AND value = $2`, [mailSenderRef(MAIL_SENDER_SECRET, 'x@nobody.test').kind, mailSenderRef(MAIL_SENDER_SECRET, 'x@nobody.test').value])).rows[0].subject_id;
  expect(held.qm_2.subject_id).toBe(sender);
  expect(isSealed(held.qm_2.text_body)).toBe(true);
  expect(await open(sender, [held.qm_2.text_body, held.qm_2.from_address])).toEqual(['from nobody known', 'x@nobody.test']);
  // Its raw message, HTML and file: sealed blobs of their own, the clear ones gone, the file's name sealed.
  const [heldFileRow] = held.qm_1.attachments;
  expect(isSealed(heldFileRow.filename)).toBe(true);
  expect(await open('sub_a', [heldFileRow.filename])).toEqual(['王五的照片.pdf']);
  for (const [clear, key, bytes] of [[hash(heldRaw), held.qm_1.raw_sha256, heldRaw], [hash(heldHtml), held.qm_1.html_blob_key, heldHtml], [hash(heldFile), heldFileRow.blobKey, heldFile]] as const) {
    expect({ clearKept: await blobs.exists(clear), newKey: key !== clear }).toEqual({ clearKept: false, newKey: true });
    const opened = await readStored(blobs, sealerFor(db, keys), { sha256: clear, blobKey: key }, 'sub_a');
    const parts: Buffer[] = [];
    for await (const c of opened!) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  }
  expect(held.qm_1.html_sha256).toBe(hash(heldHtml));
  // A file's name sealed like its bytes; the name the platform gave a dossier stays as it was.
  const names = Object.fromEntries((await sql.query(`SELECT id, filename FROM attachments`)).rows.map((r) => [r.id, r.filename]));
  expect(isSealed(names.att_1)).toBe(true);
  expect(await open('sub_a', [names.att_1])).toEqual(['王五的发票.pdf']);
  expect(names.att_2).toBe('dossier-REP-1.tar');

  // An unconfirmed mail from the subject's address is found by the subject again, by the address's blind index.
  expect((await sql.query(`SELECT from_index FROM mail_intakes WHERE id = 'mi_1'`)).rows[0].from_index).toBe(party.email_index);

  // The file: its bytes sealed into a blob of their own, the clear blob gone, the download the same bytes.
  const att = (await sql.query(`SELECT sha256, blob_key AS "blobKey" FROM attachments WHERE id = 'att_1'`)).rows[0];
  expect(att.blobKey).toMatch(/^[0-9a-f]{64}$/);
  expect(await blobs.exists(sha)).toBe(false);
  const stored = fs.readFileSync(path.join(blobDir, att.blobKey.slice(0, 2), att.blobKey));
  expect(stored.includes(Buffer.from('the receipt of the old shape'))).toBe(false);
  const back = await readStored(blobs, sealerFor(db, keys), att, 'sub_a');
  const parts: Buffer[] = [];
  for await (const c of back!) parts.push(c as Buffer);
  expect(Buffer.concat(parts).equals(file)).toBe(true);

  // Idempotent: a second run finds nothing, and what it sealed reads the same.
  const again = await backfillSealing({ db, keys, logger, blobs, mailSenderSecret: MAIL_SENDER_SECRET });
  expect(Object.values(again.sealed).every((n) => n === 0)).toBe(true);
  expect(await open('sub_a', [(await sql.query(`SELECT mobile_sealed FROM registrations`)).rows[0].mobile_sealed])).toEqual(['13912345678']);

  // Crypto-shredding: once the key is destroyed, neither the fields nor the file open.
  await sealerFor(db, keys).shred('sub_a');
  expect(await open('sub_a', [reg.mobile_sealed])).toEqual([null]);
  expect(await readStored(blobs, sealerFor(db, keys), att, 'sub_a')).toBeNull();
});
