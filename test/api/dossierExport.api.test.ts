// The dossier export (processes/dossierExport.ts exportCaseDossier, policy 8.4) against the real Temporal dev server and
// PostgreSQL: the activity, as the worker registers it, writes a case's signed dossier as an attachment of the case
// once per event key; the attachments routes list and serve it as a tar download that verifies offline with the key
// the platform publishes, and one changed byte fails. The per-case limits neither refuse nor count it.
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { verifyDossier } from '../../lib/dossier';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createPorts } from '../../lib/ports';
import { createDossierActivities, dossierAttachmentId } from '../../processes/dossierExport';
import { idem, returnBody } from '../../scripts/harness/bodies';
import { workflowBundle } from '../../scripts/harness/timeSkipping';
import { createHistoryReplayer } from '../../worker/historyReplayer';
import { caseBundleOptions } from '../../worker/worker';
import { workflowBundle as buildWorkflowBundle } from '../../worker/workflowBundle';
import { requireEnv } from '../helpers/env';
import { attachEvidence, call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
let native: NativeConnection;
let activities: ReturnType<typeof createDossierActivities>;
beforeAll(async () => {
  // Two files a case: the parties' allowance (the export is not one of them).
  sys = await startTestSystem({ env: { ATTACHMENT_MAX_CASE_FILES: '2' } });
  // The deps the worker gives it (worker/worker.ts): the same blob folder and signing key, a client over a worker's
  // (native) connection to the same server.
  native = await NativeConnection.connect({ address: requireEnv('TEMPORAL_TEST_ADDRESS') });
  const ports = createPorts(loadConfig({ ...process.env, BLOB_DIR: sys.blobDir }), { db: sys.db, logger: createLogger('test', 'silent') });
  const bundle = workflowBundle();
  activities = createDossierActivities({
    db: sys.db,
    client: new Client({ connection: native, identity: 'dossier-export' }),
    keys: ports.keys,
    blobs: ports.blobs,
    logger: createLogger('test', 'silent'),
    replay: createHistoryReplayer(async () => (bundle ? fs.readFileSync(bundle.codePath, 'utf8') : (await buildWorkflowBundle(caseBundleOptions())).code)),
  });
});
afterAll(async () => {
  await native?.close();
  await sys?.stop();
});

test("a return's dossier exported twice for one event is one attachment, listed and downloaded as a tar that verifies with the platform's key; a changed byte fails", async () => {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const caseId: string = opened.body.caseId;
  await eventually(async () => (await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.merchant.apiKey })).body?.tasks?.find((t: any) => t.type === 'return.merchant_review'), 'merchant review');
  const evidence = await attachEvidence(sys, caseId);

  const input = { caseId, purpose: 'arbitration', at: new Date().toISOString(), eventKey: `${caseId}:complaint.arbitration:dossier` };
  const first = await activities.exportCaseDossier(input);
  expect(first).toEqual({ attachmentId: dossierAttachmentId(caseId, input.eventKey), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), sizeBytes: expect.any(Number) });
  expect(first.attachmentId).toMatch(/^att_[0-9a-f]{32}$/);
  // A retry (its answer lost): the same attachment, nothing written again, though a new dossier's bytes would differ.
  const again = await activities.exportCaseDossier({ ...input, at: new Date().toISOString() });
  expect(again).toEqual(first);
  const rows = await sys.db.attachment.findMany({ where: { caseId, uploadedBy: 'system' } });
  expect(rows.map((r) => r.id)).toEqual([first.attachmentId]);

  const listed = await call(sys, 'GET', `/v1/cases/${caseId}/attachments`, { key: sys.keys.auditor.apiKey });
  expect(listed.status).toBe(200);
  expect(listed.body.attachments).toEqual([
    expect.objectContaining({ attachmentId: evidence }),
    { attachmentId: first.attachmentId, caseId, sha256: first.sha256, sizeBytes: first.sizeBytes, contentType: 'application/x-tar', filename: `dossier-${caseId}-arbitration.tar`, uploadedBy: 'system', uploaderRole: 'system', createdAt: expect.any(String) },
  ]);

  const res = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments/${first.attachmentId}`, { headers: { authorization: `Bearer ${sys.keys.auditor.apiKey}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-tar');
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="dossier-${caseId}-arbitration.tar"`);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.length).toBe(first.sizeBytes);

  const key = await call(sys, 'GET', '/v1/audit/signing-key', { key: sys.keys.auditor.apiKey });
  const verified = await verifyDossier(bytes, { trustedPublicKeyPem: key.body.publicKeyPem });
  expect(verified).toMatchObject({ valid: true, caseId, keyId: key.body.keyId, keyTrusted: true, problems: [] });
  // What it holds: the case's evidence, its run's history replayed against the current code, signed by the platform.
  const text = bytes.toString('latin1');
  expect(text).toContain(`attachments/${evidence}`);
  expect(text).toMatch(/temporal\/run-1-[0-9a-f-]{36}\.json/);
  expect(text).toContain('"generatedBy": "system"');
  expect(text).toMatch(/"replayed": true/);

  const at = bytes.indexOf(Buffer.from('"type": "case.opened"'));
  expect(at).toBeGreaterThan(0);
  const changed = Buffer.from(bytes);
  changed[at + 10] = changed[at + 10] === 0x61 ? 0x62 : 0x61;
  const broken = await verifyDossier(changed, { trustedPublicKeyPem: key.body.publicKeyPem });
  expect(broken.valid).toBe(false);
  expect(broken.problems).toEqual([expect.stringMatching(/^timeline\.json: SHA-256 /)]);

  // Another event (the case goes on to court): a dossier of its own, which carries the first as evidence.
  const litigation = await activities.exportCaseDossier({ ...input, purpose: 'litigation', eventKey: `${caseId}:complaint.litigation:dossier` });
  expect(litigation.attachmentId).not.toBe(first.attachmentId);
  expect(litigation.sha256).not.toBe(first.sha256);

  // The limits (two files) count the parties' files only: a second upload is taken beside the two exports, a third refused.
  await attachEvidence(sys, caseId);
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('%PDF-1.7\n1 0 obj\n<< /Title (third) >>\nendobj\n%%EOF\n')]), 'third.pdf');
  const third = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${sys.keys.agent.apiKey}` }, body: form });
  expect(third.status).toBe(422);
  expect(((await third.json()) as any).error.code).toBe('CASE_ATTACHMENT_LIMIT');
});

test('a case at its attachment limit still exports its dossier; an unknown case fails without retrying', async () => {
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(sys.keys.merchant.merchantId), headers: { 'Idempotency-Key': idem() } });
  const caseId: string = opened.body.caseId;
  await attachEvidence(sys, caseId);
  await attachEvidence(sys, caseId);
  const exported = await activities.exportCaseDossier({ caseId, purpose: 'litigation', at: new Date().toISOString(), eventKey: `${caseId}:dossier` });
  expect((await sys.db.attachment.findUniqueOrThrow({ where: { id: exported.attachmentId } })).caseId).toBe(caseId);
  await expect(activities.exportCaseDossier({ caseId: 'RET-nope', purpose: 'arbitration', at: new Date().toISOString(), eventKey: 'RET-nope:dossier' })).rejects.toMatchObject({ type: 'CaseNotFound', nonRetryable: true });
});
