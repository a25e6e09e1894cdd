// The erasure scan (lib/erasureScan.ts) on the real stack: every table of the database, the mail files, the blob
// store and every Temporal history of the namespace. A value stored in clear is found where it lies; a complaint's
// words, sealed at rest, are found nowhere: not in a row, a mail, a file or a history.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanForErasedValues } from '../../lib/erasureScan';
import { idem, complaintBody } from '../../scripts/harness/bodies';
import { call, eventually, mailsDelivered, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'casework-mails-'));
beforeAll(async () => {
  sys = await startTestSystem({ mailDir });
});
afterAll(async () => {
  await sys?.stop();
  fs.rmSync(mailDir, { recursive: true, force: true });
});

test('a contact address is found in the mails sent to it, not in its table where it is sealed; the sealed words of the complaint nowhere', async () => {
  const tag = Math.random().toString(36).slice(2, 10);
  const email = `scan.${tag}@customer.test`;
  const words = `My order ${tag} came without the charger and the seller blocked me.`;
  const body = { ...complaintBody(sys.keys.merchant.merchantId!, { description: words }), customerContact: { email, displayName: 'Scan Test', locale: 'en' } };
  const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(opened.status).toBe(201);
  const caseId = opened.body.caseId as string;
  expect((await call(sys, 'POST', `/v1/cases/${caseId}/messages`, { key: sys.keys.merchant.apiKey, body: { body: `Reply about ${tag}: we found the charger.` } })).status).toBe(201);
  await eventually(async () => (fs.readdirSync(mailDir).length > 0 ? true : undefined), 'a mail written to the folder');
  await mailsDelivered(sys, caseId);

  const progress: string[] = [];
  const report = await scanForErasedValues(
    { db: sys.db, folders: [mailDir, sys.blobDir], temporal: sys.api.deps.temporal.clients.forIdentity('erasure-scan'), onProgress: (m) => progress.push(m) },
    { email, words, reply: `Reply about ${tag}: we found the charger.` },
  );
  // The address is sealed at rest in parties (policy 1.3): the scan finds it only in the mails written to it.
  expect(report.findings).toEqual(expect.arrayContaining([expect.objectContaining({ store: 'files', label: 'email' })]));
  expect(report.findings.filter((f) => f.store !== 'files')).toEqual([]);
  expect(report.findings.filter((f) => f.label !== 'email')).toEqual([]);
  console.log(`erasure scan: ${JSON.stringify(report.scanned)}`);
  expect(report.scanned).toMatchObject({ tables: expect.any(Number), rows: expect.any(Number), files: expect.any(Number), histories: expect.any(Number) });
  expect(report.scanned.tables).toBeGreaterThan(30);
  expect(report.scanned.histories).toBeGreaterThan(0);
  // Progress, store by store (a long history scan also reports every 200 histories).
  expect([...new Set(progress.map((p) => p.split(':')[0]))]).toEqual(['database', 'files', 'temporal']);
});
