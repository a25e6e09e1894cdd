// A subject's personal-data export (lib/subjectExport.ts) on the real API, Temporal dev server and PostgreSQL: a
// registered customer with a return, a thread message and an upload is exported; the archive holds, per table the
// inventory searches, exactly the subject's rows (as subjectDataCounts counts them) with their personal columns, the
// keys of every store and the upload's bytes; its manifest's hashes match and its signature verifies, one changed
// byte fails; nothing of a second subject is in it. The signed link answers it once signed, 404 tampered, 410 expired;
// the purge deletes expired exports with their archives.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { filesOfTar } from '../helpers/tar';
import { FileBlobStore } from '../../lib/blobs';
import { loadConfig, secretsOf } from '../../lib/config';
import { SimulatedKeyManagement } from '../../lib/keys';
import { describesRow, isPersonal, personalDataInventory, personalDataStores, subjectDataCounts } from '../../lib/personalData';
import { dataExportLinkSecret, dataExportToken, exportSubjectData, purgeExpiredExports, verifySubjectExport, type SubjectExportDeps, type SubjectExportManifest } from '../../lib/subjectExport';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';
import { isSealed, sealerFor } from '../../lib/sealedFields';

let sys: TestSystem;
let deps: SubjectExportDeps;
beforeAll(async () => {
  sys = await startTestSystem();
  const cfg = loadConfig(process.env);
  deps = { db: sys.db, blobs: new FileBlobStore(sys.blobDir), keys: new SimulatedKeyManagement(cfg.SIMULATED_SIGNING_KEY_SEED), linkSecret: dataExportLinkSecret(secretsOf(cfg)) };
});
afterAll(async () => {
  await sys?.stop();
});

const open = (body: unknown) => call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });

/** A registered customer with a return, a thread message with an upload: the values that are theirs. */
async function customer(name: string) {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 10);
  const mobile = `137${String(crypto.randomInt(0, 1e8)).padStart(8, '0')}`;
  const email = `u${tag}@applicant.test`;
  const username = `u_${tag}`;
  const reg = await open({ type: 'registration', name, mobile, email, username, password: 'Correct-Horse-9!', agreementVersion: '2026-11', locale: 'en' });
  expect(reg.status).toBe(201);
  const registration = await sys.db.registration.findUniqueOrThrow({ where: { id: reg.body.caseId } });
  const ret = await open(returnBody(sys.keys.merchant.merchantId, { order: { customerId: registration.userRef } }));
  expect(ret.status).toBe(201);
  const file = Buffer.from(`%PDF-1.7\n% evidence ${tag}\n1 0 obj\n<<>>\nendobj\n%%EOF\n`);
  const form = new FormData();
  form.append('file', new Blob([file]), 'receipt.pdf');
  const upload = await fetch(`${sys.api.url}/v1/cases/${ret.body.caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form });
  expect(upload.status).toBe(201);
  const attachmentId = ((await upload.json()) as { attachmentId: string }).attachmentId;
  const message = `The seam split on the first wear (${tag}).`;
  expect((await call(sys, 'POST', `/v1/cases/${ret.body.caseId}/messages`, { key: sys.keys.storefront.apiKey, body: { body: message, attachmentIds: [attachmentId] } })).status).toBe(201);
  await eventually(async () => (await sys.db.smsOutbox.count({ where: { registrationId: registration.id } })) > 0, 'the registration code sent');
  return { subjectId: registration.subjectId, name, tag, mobile, email, username, userRef: registration.userRef!, registrationId: registration.id, returnId: ret.body.caseId as string, file, message };
}

/** The exported columns of a table's rows, read now: as JSON (times ISO 8601), one string per row, sorted. */
async function rowsNow(table: string, columns: string[], subjectId: string): Promise<string[]> {
  const t = personalDataInventory.find((e) => e.table === table)!;
  const rows = await sys.db.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT ${columns.map((c) => `t."${c}"`).join(', ')} FROM ${table} t WHERE (${t.subject})`, subjectId);
  // Sealed fields (lib/sealedFields.ts) are in the archive opened, as the person's copy.
  const sealer = sealerFor(sys.db, sys.api.deps.ports.keys);
  for (const r of rows) for (const c of columns) if (isSealed(r[c])) r[c] = (await sealer.open(subjectId, [r[c] as string]))[0];
  return rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, r[c] ?? null])), (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).sort();
}

/** Every searched table's rows of the subject, as text: unchanged between two reads, the subject's data is at rest. */
async function fingerprint(subjectId: string): Promise<string> {
  const parts: string[] = [];
  for (const t of personalDataInventory) {
    if (!t.subject || t.table === 'data_exports') continue;
    const r = await sys.db.$queryRawUnsafe<{ h: string | null }[]>(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${t.table} t WHERE (${t.subject})`, subjectId);
    parts.push(`${t.table}:${r[0].h}`);
  }
  return parts.join(',');
}


/** A personal-data export's files (a gzipped tar). */
const untar = (gz: Buffer) => filesOfTar(zlib.gunzipSync(gz));

test("the export holds exactly what the inventory finds for the subject, signed; nothing of another subject; the link answers it", async () => {
  const a = await customer('李四');
  const b = await customer('王五');
  expect(a.subjectId).not.toBe(b.subjectId);

  // At rest: the workflows have done what they do on opening (tasks, notices, codes).
  let previous = '';
  await eventually(async () => {
    const now = await fingerprint(a.subjectId);
    const same = now === previous;
    previous = now;
    if (!same) await new Promise((r) => setTimeout(r, 1500));
    return same;
  }, "the subject's rows at rest", 60_000);

  const counts = await subjectDataCounts(sys.db, a.subjectId);
  const storeKeys = new Map<string, string[]>();
  // Keys read from sealed columns (addresses, mobile numbers) are listed opened.
  for (const s of personalDataStores) {
    if (!s.locate) continue;
    const found = (await sys.db.$queryRawUnsafe<{ key: string }[]>(`SELECT DISTINCT key FROM (${s.locate}) k ORDER BY key`, a.subjectId)).map((k) => k.key);
    storeKeys.set(s.store, found.some(isSealed) ? ((await sealerFor(sys.db, sys.api.deps.ports.keys).open(a.subjectId, found)) as string[]).sort() : found);
  }
  const ex = await exportSubjectData(deps, a.subjectId);
  expect(await fingerprint(a.subjectId)).toBe(previous); // nothing moved while it was written
  expect(ex).toMatchObject({ subjectId: a.subjectId, exportId: expect.stringMatching(/^dx_[0-9a-f]{32}$/), path: `/data-exports/${ex.token}` });
  expect(ex.expiresAt.getTime() - ex.createdAt.getTime()).toBe(7 * 86_400_000);
  expect(await sys.db.dataExport.findUniqueOrThrow({ where: { id: ex.exportId } })).toMatchObject({ subjectId: a.subjectId, sha256: ex.sha256, sizeBytes: ex.sizeBytes, downloadedAt: null });

  // The link, once signed: the archive as a download, never cached or sniffed.
  const res = await fetch(`${sys.api.url}${ex.path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/gzip');
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="personal-data-${ex.exportId}.tar.gz"`);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const archive = Buffer.from(await res.arrayBuffer());
  expect(archive.length).toBe(ex.sizeBytes);
  expect(crypto.createHash('sha256').update(archive).digest('hex')).toBe(ex.sha256);
  await eventually(async () => (await sys.db.dataExport.findUniqueOrThrow({ where: { id: ex.exportId } })).downloadedAt, 'the download recorded');

  // The signature verifies with the platform's key; every file's hash and size match the manifest.
  const trusted = (await deps.keys.signingKey()).publicKeyPem;
  const verified = await verifySubjectExport(archive, { trustedPublicKeyPem: trusted });
  expect(verified.problems).toEqual([]);
  expect(verified).toMatchObject({ valid: true, keyTrusted: true });
  const files = await untar(archive);
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as SubjectExportManifest;
  expect(manifest).toMatchObject({ format: 'casework-subject-export/1', exportId: ex.exportId, subjectId: a.subjectId, generatedAt: ex.createdAt.toISOString(), linkExpiresAt: ex.expiresAt.toISOString() });
  expect([...files.keys()].sort()).toEqual([...manifest.files.map((f) => f.path), 'manifest.json', 'manifest.json.sig'].sort());
  for (const f of manifest.files) expect({ path: f.path, sha256: crypto.createHash('sha256').update(files.get(f.path)!).digest('hex'), bytes: files.get(f.path)!.length }).toEqual({ path: f.path, sha256: f.sha256, bytes: f.bytes });

  // Per table the inventory searches: exactly the rows subjectDataCounts counts, with the personal columns (credentials
  // withheld, named) and those that say what a row is; internal columns left out.
  const searched = personalDataInventory.filter((t) => t.subject !== null);
  expect(manifest.tables.map((t) => t.table)).toEqual(searched.map((t) => t.table));
  expect(manifest.notSearched.map((t) => t.table)).toEqual(personalDataInventory.filter((t) => t.subject === null).map((t) => t.table));
  for (const t of searched) {
    const entry = manifest.tables.find((e) => e.table === t.table)!;
    const expectedRows = counts.tables.find((c) => c.table === t.table)!.rows;
    expect({ table: t.table, rows: entry.rows }).toEqual({ table: t.table, rows: expectedRows });
    const personal = Object.entries(t.columns).filter(([, c]) => isPersonal(c));
    expect({ table: t.table, personal: entry.columns.map((c) => c.column) }).toEqual({ table: t.table, personal: personal.filter(([, c]) => c.category !== 'credential').map(([n]) => n) });
    expect({ table: t.table, withheld: entry.withheld.map((c) => c.column) }).toEqual({ table: t.table, withheld: personal.filter(([, c]) => c.category === 'credential').map(([n]) => n) });
    expect(entry.describedBy).toEqual(Object.entries(t.columns).filter(([, c]) => describesRow(c)).map(([n]) => n));
    for (const c of entry.columns) expect(c.purpose.length).toBeGreaterThan(5);
    expect(entry.retention.clause).toMatch(/PIPL|电子商务法|三包|policy/);
    if (expectedRows === 0) {
      expect({ table: t.table, file: entry.file }).toEqual({ table: t.table, file: null });
      expect(files.has(`tables/${t.table}.json`)).toBe(false);
      continue;
    }
    expect(entry.file).toBe(`tables/${t.table}.json`);
    const rows = JSON.parse(files.get(entry.file!)!.toString('utf8')) as Record<string, unknown>[];
    const columns = [...entry.describedBy, ...entry.columns.map((c) => c.column)];
    for (const r of rows) expect({ table: t.table, columns: Object.keys(r) }).toEqual({ table: t.table, columns });
    if (t.table !== 'data_exports') expect({ table: t.table, rows: rows.map((r) => JSON.stringify(r)).sort() }).toEqual({ table: t.table, rows: await rowsNow(t.table, columns, a.subjectId) });
  }
  const table = (name: string) => JSON.parse(files.get(`tables/${name}.json`)!.toString('utf8')) as Record<string, unknown>[];
  // The values of the setup are there, by name.
  // Sealed at rest with the subject's key (policy 1.3), in the archive opened; the clear columns of old rows empty.
  expect(table('registrations')).toEqual([expect.objectContaining({ id: a.registrationId, full_name: '李四', mobile_sealed: a.mobile, mobile: null, email: a.email, username_sealed: a.username, username: null, user_ref: a.userRef })]);
  expect(table('registrations')[0]).not.toHaveProperty('password_hash');
  expect(table('thread_messages')).toEqual([expect.objectContaining({ case_id: a.returnId, body: a.message, author_role: 'storefront' })]);
  // At rest the words are sealed with the subject's data key: not in clear in the row.
  const stored = await sys.db.threadMessage.findFirstOrThrow({ where: { caseId: a.returnId } });
  expect(stored.body).toMatch(/^sealed:v1:/);
  expect(stored.body).not.toContain(a.message);
  expect(table('sms_outbox')[0]).not.toHaveProperty('body');
  expect(table('audit_events')[0]).not.toHaveProperty('hash');
  expect(table('cases').map((c) => c.id).sort()).toEqual([a.registrationId, a.returnId].sort());

  // Per store: the keys its locator finds; the upload's bytes themselves.
  for (const s of personalDataStores) {
    const entry = manifest.stores.find((e) => e.store === s.store)!;
    const expectedKeys = counts.stores.find((c) => c.store === s.store)!.keys;
    expect({ store: s.store, keys: entry.keys }).toEqual({ store: s.store, keys: expectedKeys });
    if (!expectedKeys) {
      expect(files.has(`stores/${s.store}.json`)).toBe(false);
      continue;
    }
    expect(JSON.parse(files.get(`stores/${s.store}.json`)!.toString('utf8')).keys).toEqual(storeKeys.get(s.store));
  }
  // The upload's bytes are sealed in the blob store under a key of their own; the archive holds them opened.
  const attachment = table('attachments')[0] as { sha256: string; blob_key: string; filename: string };
  expect(attachment.filename).toBe('receipt.pdf');
  expect(attachment.blob_key).toMatch(/^[0-9a-f]{64}$/);
  expect(files.get(`blobs/${attachment.blob_key}`)).toEqual(a.file);
  expect(JSON.parse(files.get('stores/smsGateway.json')!.toString('utf8')).keys).toEqual([a.mobile]);

  // Nothing of the other subject, anywhere in the archive (its files' bytes included).
  const text = zlib.gunzipSync(archive);
  for (const v of [a.name, a.mobile, a.email, a.tag, a.subjectId]) expect({ value: v, present: text.includes(Buffer.from(v)) }).toEqual({ value: v, present: true });
  for (const v of [b.name, b.mobile, b.email, b.username, b.userRef, b.tag, b.subjectId, b.registrationId, b.returnId, b.message]) expect({ value: v, present: text.includes(Buffer.from(v)) }).toEqual({ value: v, present: false });

  // One changed byte (in a thread message, inside the archive) fails the check, naming the file.
  const tampered = Buffer.from(text);
  const at = tampered.indexOf(Buffer.from(a.message));
  tampered[at] = tampered[at] === 0x54 ? 0x74 : 0x54;
  const bad = await verifySubjectExport(zlib.gzipSync(tampered), { trustedPublicKeyPem: trusted });
  expect(bad.valid).toBe(false);
  expect(bad.problems).toEqual([expect.stringMatching(/^tables\/thread_messages\.json: SHA-256 [0-9a-f]{64} .* the manifest says/)]);
  // A changed manifest fails the signature.
  const forged = Buffer.from(text);
  const m = forged.indexOf(Buffer.from(`"exportId": "${ex.exportId}"`));
  forged[m + 16] = forged[m + 16] === 0x30 ? 0x31 : 0x30;
  expect((await verifySubjectExport(zlib.gzipSync(forged))).problems).toEqual([expect.stringMatching(/^manifest\.json\.sig: the signature does not verify the manifest/)]);

  // A second export names the first in data_exports, without copying its archive.
  const again = await exportSubjectData(deps, a.subjectId);
  const second = await untar(Buffer.from(await (await fetch(`${sys.api.url}${again.path}`)).arrayBuffer()));
  expect(JSON.parse(second.get('tables/data_exports.json')!.toString('utf8'))).toEqual([expect.objectContaining({ id: ex.exportId, sha256: ex.sha256 })]);
  expect(second.has(`blobs/${ex.sha256}`)).toBe(false);
  expect(JSON.parse(second.get('stores/blobs.json')!.toString('utf8')).earlierExports).toEqual([ex.sha256]);
});

test('the link: 404 when tampered or unknown, 410 after expiry (after the purge too); the purge deletes expired exports and their archives', async () => {
  const c = await customer('赵六');
  const live = await exportSubjectData(deps, c.subjectId);
  expect((await fetch(`${sys.api.url}${live.path}`)).status).toBe(200);

  // Tampered: the signature, the id, the expiry.
  const [id, expiry, mac] = live.token.split('.');
  const flip = (s: string) => (s[0] === 'a' ? 'b' : 'a') + s.slice(1);
  for (const token of [`${id}.${expiry}.${flip(mac)}`, `dx_${'0'.repeat(32)}.${expiry}.${mac}`, `${id}.${Number(expiry) + 86_400}.${mac}`, 'not-a-token']) {
    const res = await call(sys, 'GET', `/data-exports/${token}`);
    expect({ token, status: res.status, code: res.body.error?.code }).toEqual({ token, status: 404, code: 'NOT_FOUND' });
  }
  // Signed, but for an export that does not exist.
  expect((await call(sys, 'GET', `/data-exports/${dataExportToken(deps.linkSecret, `dx_${'1'.repeat(32)}`, new Date(Date.now() + 60_000))}`)).status).toBe(404);

  // Written eight days ago with the default week: expired.
  const old = await exportSubjectData(deps, c.subjectId, { now: new Date(Date.now() - 8 * 86_400_000) });
  const expired = await call(sys, 'GET', old.path);
  expect({ status: expired.status, code: expired.body.error.code }).toEqual({ status: 410, code: 'LINK_EXPIRED' });
  expect((await sys.db.dataExport.findUniqueOrThrow({ where: { id: old.exportId } })).downloadedAt).toBeNull();

  // The purge: the expired export and its archive go; the live one stays and still answers.
  expect(await deps.blobs.exists(old.sha256)).toBe(true);
  const purged = await purgeExpiredExports(sys.db, deps.blobs);
  expect(purged.exports).toBeGreaterThanOrEqual(1);
  expect(await sys.db.dataExport.findUnique({ where: { id: old.exportId } })).toBeNull();
  expect(await deps.blobs.exists(old.sha256)).toBe(false);
  expect(await sys.db.dataExport.findUnique({ where: { id: live.exportId } })).not.toBeNull();
  expect((await fetch(`${sys.api.url}${live.path}`)).status).toBe(200);
  // Its link still says expired (the expiry is signed in it), not unknown.
  expect((await call(sys, 'GET', old.path)).status).toBe(410);
  // The inventory finds the export and its archive as the subject's (erasure deletes them too).
  const counts = await subjectDataCounts(sys.db, c.subjectId);
  expect(counts.tables.find((t) => t.table === 'data_exports')!.rows).toBe(1);
  expect(counts.stores.find((s) => s.store === 'blobs')!.keys).toBe(2); // the upload and the live export
});
