// Evidence attachments over HTTP against the real API, PostgreSQL and the filesystem blob store: stored once per case
// by their SHA-256, typed by their bytes, downloaded as attachments; every refused upload leaves nothing behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { isSealed } from '../../lib/sealedFields';
import { createApp } from '../../api/app';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { checkerFor } from '../helpers/responses';
import { call, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let small: http.Server;
let smallUrl: string;
beforeAll(async () => {
  sys = await startTestSystem();
  // An API with small limits (2 files or 3,000 bytes a case, 2,000 bytes a file), over the same system.
  small = http.createServer(createApp({ ...sys.api.deps, attachmentLimits: { maxFileBytes: 2000, maxCaseBytes: 3000, maxCaseFiles: 2, types: ['application/pdf', 'image/png'] } }));
  await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
  smallUrl = `http://127.0.0.1:${(small.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => small?.close(resolve));
  await sys?.stop();
});

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const pdf = (text = crypto.randomUUID()) => Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${text}) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`);
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function openCase(): Promise<string> {
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(201);
  return res.body.caseId;
}

async function upload(caseId: string, file: Buffer | undefined, o: { key?: string; name?: string; type?: string; field?: string; base?: string } = {}) {
  const form = new FormData();
  if (file) form.append(o.field ?? 'file', new Blob([file], { type: o.type ?? 'application/pdf' }), o.name ?? 'evidence.pdf');
  else form.append('note', 'no file here');
  const url = `${o.base ?? sys.api.url}/v1/cases/${caseId}/attachments`;
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${o.key ?? sys.keys.storefront.apiKey}` }, body: form });
  const body: any = await res.json();
  expect((await checkerFor(sys.api.url)).check('POST', url, res.status, res.headers, body, res.headers.get('content-type'))).toEqual([]);
  return { status: res.status, body, headers: res.headers };
}

/** Every file the blob store holds, staged or kept. */
function blobFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) (e.isDirectory() ? walk(path.join(d, e.name)) : out.push(path.relative(sys.blobDir, path.join(d, e.name))));
  };
  walk(sys.blobDir);
  return out.sort();
}

test('a PDF attached by the storefront: 201 with its hash, listed, downloaded as an attachment of its stored type; the same bytes again are the same attachment', async () => {
  const caseId = await openCase();
  const file = pdf();
  const first = await upload(caseId, file, { name: 'receipt.pdf', type: 'text/plain' }); // the claimed type is not believed
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ attachmentId: expect.stringMatching(/^att_[0-9a-f]{32}$/), caseId, sha256: sha256(file), sizeBytes: file.length, contentType: 'application/pdf', filename: 'receipt.pdf', uploadedBy: sys.keys.storefront.id, uploaderRole: 'storefront' });
  expect(first.headers.get('location')).toBe(`/v1/cases/${caseId}/attachments/${first.body.attachmentId}`);
  // At rest the bytes are sealed with the case customer's key (policy 1.3): a blob of their own, nothing in clear.
  const stored = await sys.db.attachment.findUniqueOrThrow({ where: { id: first.body.attachmentId } });
  expect(stored.blobKey).toMatch(/^[0-9a-f]{64}$/);
  expect(blobFiles()).toContain(`${stored.blobKey!.slice(0, 2)}/${stored.blobKey}`);
  expect(blobFiles()).not.toContain(`${sha256(file).slice(0, 2)}/${sha256(file)}`);
  const sealedBytes = fs.readFileSync(path.join(sys.blobDir, stored.blobKey!.slice(0, 2), stored.blobKey!));
  expect(sealedBytes.subarray(0, 4).toString()).toBe('CWB1');
  expect(sealedBytes.includes(file.subarray(0, 16))).toBe(false);

  const again = await upload(caseId, file, { name: 'same-bytes-other-name.pdf', key: sys.keys.agent.apiKey });
  expect(again.status).toBe(200);
  expect(again.body).toEqual(first.body);

  const png = await upload(caseId, PNG, { name: 'photo.png', type: 'image/png', key: sys.keys.merchant.apiKey });
  expect(png.status).toBe(201);
  expect(png.body).toMatchObject({ contentType: 'image/png', uploaderRole: 'merchant' });

  const list = await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.auditor.apiKey });
  expect(list.status).toBe(200);
  expect(list.body.attachments.map((a: any) => a.attachmentId)).toEqual([first.body.attachmentId, png.body.attachmentId]);
  // The names are the uploaders' words: sealed at rest with the case customer's key, masked for the auditor (who
  // reads no free text in clear), in clear for the parties and the agent, whose read is recorded (policy 2.2.2).
  expect(isSealed(stored.filename)).toBe(true);
  expect(list.body.attachments.map((a: any) => a.filename)).toEqual(['[masked]', '[masked]']);
  const byStorefront = await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.storefront.apiKey });
  expect(byStorefront.body.attachments.map((a: any) => a.filename)).toEqual(['receipt.pdf', 'photo.png']);
  const readsBefore = await sys.db.personalDataRead.count({ where: { caseId, tableName: 'attachments', principalId: sys.keys.agent.id } });
  const byAgent = await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.agent.apiKey });
  expect(byAgent.body.attachments.map((a: any) => a.filename)).toEqual(['receipt.pdf', 'photo.png']);
  const read = await sys.db.personalDataRead.findMany({ where: { caseId, tableName: 'attachments', principalId: sys.keys.agent.id }, orderBy: { at: 'desc' } });
  expect(read.length).toBe(readsBefore + 1);
  expect(read[0]).toMatchObject({ columns: ['filename'], rows: 2, route: 'listAttachments' });

  const res = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments/${first.body.attachmentId}`, { headers: { authorization: `Bearer ${sys.keys.agent.apiKey}` } });
  expect(res.status).toBe(200);
  expect(Buffer.from(await res.arrayBuffer()).equals(file)).toBe(true);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${first.body.attachmentId}"`);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect((await checkerFor(sys.api.url)).check('GET', res.url, res.status, res.headers, undefined, res.headers.get('content-type'))).toEqual([]);

  // The same bytes in another case: an attachment of that case, sealed with that case's customer's key in a blob of
  // its own (one customer's erasure never reaches another's copy).
  const other = await upload(await openCase(), file);
  expect(other.status).toBe(201);
  expect(other.body.attachmentId).not.toBe(first.body.attachmentId);
  const otherRow = await sys.db.attachment.findUniqueOrThrow({ where: { id: other.body.attachmentId } });
  expect(otherRow.blobKey).not.toBe(stored.blobKey);
  expect(blobFiles().filter((f) => f.endsWith(sha256(file)))).toHaveLength(0);
});

test('refused uploads leave nothing behind: wrong type, empty, too big, no file part, not multipart, truncated, abandoned mid-upload', async () => {
  const caseId = await openCase();
  const before = blobFiles();
  const rows = async () => sys.db.attachment.count({ where: { caseId } });

  const text = await upload(caseId, Buffer.from('just text, named like a PDF'), { name: 'fake.pdf', type: 'application/pdf' });
  expect(text.status).toBe(415);
  expect(text.body.error).toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', details: { detected: null } });
  const exe = await upload(caseId, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]), { name: 'x.exe' });
  expect(exe.status).toBe(415);

  expect((await upload(caseId, Buffer.alloc(0))).body.error.code).toBe('EMPTY_FILE');
  const big = await upload(caseId, Buffer.concat([pdf(), crypto.randomBytes(3000)]), { base: smallUrl });
  expect(big.status).toBe(413);
  expect(big.body.error).toMatchObject({ code: 'FILE_TOO_LARGE', details: { maxBytes: 2000 } });
  const none = await upload(caseId, undefined);
  expect(none.status).toBe(400);
  expect(none.body.error.code).toBe('FILE_REQUIRED');
  const wrongField = await upload(caseId, pdf(), { field: 'document' });
  expect(wrongField.body.error.code).toBe('FILE_REQUIRED');
  const json = await call(sys, 'POST', `/v1/cases/${caseId}/attachments`, { key: sys.keys.storefront.apiKey, body: { file: 'JVBERi0=' } });
  expect(json.status).toBe(400);
  expect(json.body.error.code).toBe('INVALID_MULTIPART');

  // A body cut off in the middle of its file part.
  const boundary = 'casework-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
  const cut = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.concat([Buffer.from(head), pdf()]),
  });
  expect(cut.status).toBe(400);
  expect(((await cut.json()) as any).error.code).toBe('INVALID_MULTIPART');

  // A client that goes away mid-upload: half a file sent, then the connection closed.
  await new Promise<void>((resolve) => {
    const url = new URL(`${sys.api.url}/v1/cases/${caseId}/attachments`);
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': '100000' } });
    req.on('error', () => resolve());
    req.write(Buffer.concat([Buffer.from(head), pdf(), crypto.randomBytes(20_000)]));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 300);
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // the server notices the closed connection
  expect(await rows()).toBe(0);
  expect(blobFiles()).toEqual(before);
});

test('per-case limits are a policy refusal (422); a closed case takes no evidence (409); scope and roles hold', async () => {
  const caseId = await openCase();
  expect((await upload(caseId, pdf(), { base: smallUrl })).status).toBe(201);
  expect((await upload(caseId, PNG, { base: smallUrl, type: 'image/png' })).status).toBe(201);
  const third = await upload(caseId, pdf(), { base: smallUrl });
  expect(third.status).toBe(422);
  expect(third.body.error).toMatchObject({ code: 'CASE_ATTACHMENT_LIMIT', details: { maxCaseFiles: 2 } });

  const bytesCase = await openCase();
  expect((await upload(bytesCase, Buffer.concat([pdf(), Buffer.alloc(1700, 0x20)]), { base: smallUrl })).status).toBe(201);
  const over = await upload(bytesCase, Buffer.concat([pdf(), Buffer.alloc(1700, 0x20)]), { base: smallUrl });
  expect(over.status).toBe(422);
  expect(over.body.error.details).toMatchObject({ maxCaseBytes: 3000 });

  expect((await upload(caseId, pdf(), { key: sys.keys.otherMerchant.apiKey })).status).toBe(404);
  expect((await upload(caseId, pdf(), { key: sys.keys.auditor.apiKey })).status).toBe(403);
  expect((await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.otherMerchant.apiKey })).status).toBe(404);
  expect((await call(sys, 'GET', `/v1/cases/${caseId}/attachments/att_${'0'.repeat(32)}`, { key: sys.keys.auditor.apiKey })).status).toBe(404);

  expect((await call(sys, 'POST', `/v1/cases/${caseId}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } })).status).toBe(200);
  const closed = await upload(caseId, pdf());
  expect(closed.status).toBe(409);
  expect(closed.body.error.code).toBe('CASE_CLOSED');
});
