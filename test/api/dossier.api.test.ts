// The signed dossier over HTTP (GET /v1/cases/{caseId}/dossier) against the real Temporal dev server and PostgreSQL:
// what an auditor downloads verifies offline with the key the platform publishes, holds the case's timeline and every
// run's history with its replay against the current code, and one changed byte fails, in the library and the command.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { verifyDossier } from '../../lib/dossier';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { checkerFor } from '../helpers/responses';
import { filesOfTar } from '../helpers/tar';
import { call, eventually, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

async function download(caseId: string, key: string) {
  const res = await fetch(`${sys.api.url}/v1/cases/${caseId}/dossier`, { headers: { authorization: `Bearer ${key}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  const problems = (await checkerFor(sys.api.url)).check('GET', `/v1/cases/${caseId}/dossier`, res.status, res.headers, res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(bytes.toString()) : undefined, res.headers.get('content-type'));
  expect(problems).toEqual([]);
  return { res, bytes };
}


test('an auditor downloads a signed dossier of a return that verifies with the published key and replays against the current code', async () => {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const caseId: string = opened.body.caseId;
  const review = await eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.merchant.apiKey })).body?.tasks?.find((t: any) => t.type === 'return.merchant_review'), 'merchant review');
  expect((await call(sys, 'POST', `/v1/tasks/${review.taskId}/complete`, { key: sys.keys.merchant.apiKey, body: { payload: { decision: 'approve' } } })).status).toBe(200);
  await eventually(async () => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body.step === 'awaiting_customer_shipment' || undefined, 'awaiting the shipment');

  // Evidence on the case: its bytes go into the dossier beside its row.
  const evidence = Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${caseId}) >>\nendobj\n%%EOF\n`);
  const form = new FormData();
  form.append('file', new Blob([evidence]), 'evidence.pdf');
  const uploaded: any = await (await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.storefront.apiKey}` }, body: form })).json();
  expect(uploaded.attachmentId).toMatch(/^att_/);

  const key = await call(sys, 'GET', '/v1/audit/signing-key', { key: sys.keys.auditor.apiKey });
  expect(key.status).toBe(200);
  expect(key.body).toMatchObject({ keyId: expect.stringMatching(/^ed25519:[0-9a-f]{16}$/), algorithm: 'Ed25519', publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY') });

  // The notices' delivery events land on the timeline as the outbox sends them: the dossier is compared with the
  // timeline once they are all in.
  await mailsDelivered(sys, caseId);
  const { res, bytes } = await download(caseId, sys.keys.auditor.apiKey);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-tar');
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="dossier-${caseId}.tar"`);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const verified = await verifyDossier(bytes, { trustedPublicKeyPem: key.body.publicKeyPem });
  expect(verified).toMatchObject({ valid: true, caseId, keyId: key.body.keyId, keyTrusted: true, problems: [] });

  const files = await filesOfTar(bytes);
  const json = (name: string) => JSON.parse(files.get(name)!.toString('utf8'));
  const manifest = json('manifest.json');
  expect(manifest).toMatchObject({ format: 'casework-dossier/1', caseId, caseType: 'return', generatedBy: sys.keys.auditor.id });
  expect(manifest.files.map((f: any) => f.path)).toEqual(['case.json', 'tasks.json', 'payments.json', 'timeline.json', 'audit-verification.json', 'thread.json', 'links.json', 'attachments.json', `attachments/${uploaded.attachmentId}`, expect.stringMatching(/^temporal\/run-1-[0-9a-f-]{36}\.json$/), 'replay.json']);
  expect(json('thread.json')).toEqual([]);
  expect(json('links.json')).toEqual([]);
  expect(json('attachments.json')).toEqual([expect.objectContaining({ attachmentId: uploaded.attachmentId, sha256: uploaded.sha256, filename: 'evidence.pdf', file: `attachments/${uploaded.attachmentId}` })]);
  expect(files.get(`attachments/${uploaded.attachmentId}`)!.equals(evidence)).toBe(true);
  expect(manifest.files.find((f: any) => f.path === `attachments/${uploaded.attachmentId}`).sha256).toBe(uploaded.sha256);
  expect(json('case.json')).toMatchObject({ id: caseId, type: 'return', step: 'awaiting_customer_shipment' });
  expect(json('tasks.json')).toEqual([expect.objectContaining({ id: review.taskId, type: 'return.merchant_review', status: 'completed' })]);
  const timeline = (await call(sys, 'GET', `/v1/cases/${caseId}/timeline`, { key: sys.keys.auditor.apiKey })).body.events;
  expect(json('timeline.json').map((e: any) => [e.seq, e.type, e.hash])).toEqual(timeline.map((e: any) => [e.seq, e.type, e.hash]));
  expect(json('audit-verification.json')).toEqual({ caseId, events: timeline.length, valid: true });
  const history = json(manifest.files[9].path);
  expect(history.events[0].workflowExecutionStartedEventAttributes.workflowType.name).toBe('returnWithin7Days');
  const runId = manifest.files[9].path.slice('temporal/run-1-'.length, -'.json'.length);
  expect(json('replay.json')).toEqual({ performed: true, against: 'the workflow code this system runs now', runs: [{ runId, replayed: true }] });

  // Offline, with the command: the published key verifies it; one changed byte of the timeline does not.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dossier-'));
  const file = path.join(dir, 'dossier.tar');
  const pem = path.join(dir, 'platform.pem');
  fs.writeFileSync(file, bytes);
  fs.writeFileSync(pem, key.body.publicKeyPem);
  const run = (f: string) => promisify(execFile)(path.resolve('node_modules/.bin/tsx'), ['scripts/dossier.ts', 'verify', f, '--key', pem]).then(
    ({ stdout }) => ({ code: 0, out: JSON.parse(stdout) }),
    (err: { code: number; stdout: string }) => ({ code: err.code, out: JSON.parse(err.stdout) }),
  );
  expect(await run(file)).toMatchObject({ code: 0, out: { valid: true, keyTrusted: true } });
  const at = bytes.indexOf(Buffer.from('"type": "case.opened"'));
  expect(at).toBeGreaterThan(0);
  const changed = Buffer.from(bytes);
  changed[at + 10] = changed[at + 10] === 0x61 ? 0x62 : 0x61; // one byte of the timeline's first event
  fs.writeFileSync(file, changed);
  const bad = await run(file);
  expect(bad.code).toBe(1);
  expect(bad.out.valid).toBe(false);
  expect(bad.out.problems).toEqual([expect.stringMatching(/^timeline\.json: SHA-256 /)]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('only auditors and supervisors get a dossier; an unknown case is 404', async () => {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  const caseId: string = opened.body.caseId;
  expect((await download(caseId, sys.keys.supervisor.apiKey)).res.status).toBe(200);
  for (const role of ['merchant', 'agent', 'storefront', 'admin'] as const) {
    const { res, bytes } = await download(caseId, sys.keys[role].apiKey);
    expect(res.status).toBe(403);
    expect(JSON.parse(bytes.toString()).error.code).toBe('FORBIDDEN');
  }
  const missing = await download('RET-nope', sys.keys.auditor.apiKey);
  expect(missing.res.status).toBe(404);
  expect(missing.res.headers.get('content-disposition')).toBeNull();
  expect((await call(sys, 'GET', '/v1/audit/signing-key', { key: sys.keys.merchant.apiKey })).status).toBe(403);
});
