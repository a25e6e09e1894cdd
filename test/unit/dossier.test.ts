// The dossier format (lib/dossier.ts) and its signing key (lib/keys.ts): what is written verifies, and a changed byte,
// file, manifest or key does not.
import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { filesOfTar } from '../helpers/tar';
import { DEV_SIGNING_KEY_SEED, loadConfig } from '../../lib/config';
import { jsonBytes, verifyDossier, writeDossier, type DossierEntry } from '../../lib/dossier';
import { ed25519KeyId, SimulatedKeyManagement } from '../../lib/keys';
import { Readable } from 'node:stream';

const keys = new SimulatedKeyManagement(DEV_SIGNING_KEY_SEED);
const meta = { caseId: 'RET-1', caseType: 'return', generatedAt: '2026-12-03T12:00:00.000Z', generatedBy: 'principal-auditor' };
const attachment = crypto.randomBytes(200_000);

async function written(entries: DossierEntry[] = [
  { path: 'case.json', bytes: jsonBytes({ id: 'RET-1' }) },
  { path: 'timeline.json', bytes: jsonBytes([{ seq: 1, type: 'case.opened' }]) },
  { path: 'attachments/a1.pdf', size: attachment.length, stream: () => Readable.from([attachment.subarray(0, 70_000), attachment.subarray(70_000)]) },
]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c) => chunks.push(c));
  await writeDossier(out, meta, entries, await keys.signingKey());
  return Buffer.concat(chunks);
}

/** The archive's entries, rewritten by `edit` (name → bytes, or undefined to drop one), packed again. */
async function repacked(archive: Buffer, edit: (name: string, bytes: Buffer) => Buffer | undefined, extra: { name: string; bytes: Buffer }[] = []): Promise<Buffer> {
  const files: { name: string; bytes: Buffer }[] = [];
  for (const [name, bytes] of await filesOfTar(archive)) {
    const b = edit(name, bytes);
    if (b) files.push({ name, bytes: b });
  }
  const pack = tar.pack();
  for (const f of [...files, ...extra]) pack.entry({ name: f.name }, f.bytes);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('the simulated key is the Ed25519 key of its seed, with a stable id', async () => {
  const k = await keys.signingKey();
  expect(k.algorithm).toBe('Ed25519');
  expect(k.keyId).toMatch(/^ed25519:[0-9a-f]{16}$/);
  expect(ed25519KeyId(k.publicKeyPem)).toBe(k.keyId);
  expect((await new SimulatedKeyManagement(DEV_SIGNING_KEY_SEED).signingKey()).keyId).toBe(k.keyId);
  expect((await new SimulatedKeyManagement('11'.repeat(32)).signingKey()).keyId).not.toBe(k.keyId);
  expect(() => new SimulatedKeyManagement('abc')).toThrow('64 hex digits');
});

test('a written dossier verifies: every file listed with its hash, the signature good, the pinned key trusted', async () => {
  const archive = await written();
  const pem = (await keys.signingKey()).publicKeyPem;
  expect(await verifyDossier(archive, { trustedPublicKeyPem: pem })).toEqual({ valid: true, caseId: 'RET-1', keyId: (await keys.signingKey()).keyId, keyTrusted: true, files: 3, problems: [] });
  // Without a pinned key the signature is still checked, with the key the manifest names: valid, not trusted.
  expect(await verifyDossier(archive)).toMatchObject({ valid: true, keyTrusted: false });
});

test('one changed byte of a file fails, naming the file', async () => {
  const archive = await repacked(await written(), (name, b) => {
    if (name !== 'attachments/a1.pdf') return b;
    const c = Buffer.from(b);
    c[12345] ^= 0x01;
    return c;
  });
  const r = await verifyDossier(archive);
  expect(r.valid).toBe(false);
  expect(r.problems).toEqual([expect.stringMatching(/^attachments\/a1\.pdf: SHA-256 [0-9a-f]{64} \(200000 bytes\), the manifest says/)]);
});

test('a changed manifest fails its signature; a file dropped or added fails; a manifest signed by another key fails the pinned key', async () => {
  const archive = await written();
  const manifestEdited = await repacked(archive, (name, b) => (name === 'manifest.json' ? Buffer.from(b.toString().replace('"RET-1"', '"RET-2"')) : b));
  expect((await verifyDossier(manifestEdited)).problems).toEqual([expect.stringContaining('manifest.json.sig: the signature does not verify the manifest')]);

  const dropped = await repacked(archive, (name, b) => (name === 'timeline.json' ? undefined : b));
  expect((await verifyDossier(dropped)).problems).toEqual(['timeline.json: listed in the manifest, missing from the archive']);

  const added = await repacked(archive, (_n, b) => b, [{ name: 'extra.json', bytes: Buffer.from('{}') }]);
  expect((await verifyDossier(added)).problems).toEqual(['extra.json: in the archive, not in the manifest']);

  const unsigned = await repacked(archive, (name, b) => (name === 'manifest.json.sig' ? undefined : b));
  expect((await verifyDossier(unsigned)).problems).toEqual(['manifest.json.sig is missing']);

  const other = (await new SimulatedKeyManagement('22'.repeat(32)).signingKey()).publicKeyPem;
  const r = await verifyDossier(archive, { trustedPublicKeyPem: other });
  expect(r).toMatchObject({ valid: false, keyTrusted: false });
  expect(r.problems[0]).toMatch(/^the manifest is signed with ed25519:[0-9a-f]{16}, not with the trusted key ed25519:[0-9a-f]{16}$/);
});

test('bytes that are not a dossier are refused, and unsafe or repeated paths are never written', async () => {
  expect(await verifyDossier(Buffer.from('not a tar archive at all'.repeat(40)))).toMatchObject({ valid: false });
  await expect(written([{ path: '../etc/passwd', bytes: Buffer.from('x') }])).rejects.toThrow('unsafe path');
  await expect(written([{ path: 'manifest.json', bytes: Buffer.from('x') }])).rejects.toThrow('unsafe path');
  await expect(written([{ path: 'a.json', bytes: Buffer.from('1') }, { path: 'a.json', bytes: Buffer.from('2') }])).rejects.toThrow('a.json twice');
  await expect(written([{ path: 'a.bin', size: 10, stream: () => Readable.from([Buffer.alloc(9)]) }])).rejects.toThrow();
});

test('production refuses the simulated key unless named, and then refuses the public development seed', () => {
  const prod = { NODE_ENV: 'production', REGISTRATION_SECRET: 'r'.repeat(40), REQUEST_HASH_SECRET: 'h'.repeat(40), WEBHOOK_SECRET_CARRIER: 'w'.repeat(40), ALLOW_SIMULATED: 'payments,sms,faces,carriers,listings,regulator' };
  expect(() => loadConfig(prod)).toThrow('KEY_MANAGEMENT=simulated is a simulation');
  expect(() => loadConfig({ ...prod, ALLOW_SIMULATED: `${prod.ALLOW_SIMULATED},keys` })).toThrow('SIMULATED_SIGNING_KEY_SEED is not set or is the development seed');
  expect(() => loadConfig({ ...prod, ALLOW_SIMULATED: `${prod.ALLOW_SIMULATED},keys`, SIMULATED_SIGNING_KEY_SEED: DEV_SIGNING_KEY_SEED })).toThrow('development seed');
  expect(loadConfig({ ...prod, ALLOW_SIMULATED: `${prod.ALLOW_SIMULATED},keys`, SIMULATED_SIGNING_KEY_SEED: '33'.repeat(32) }).SIMULATED_SIGNING_KEY_SEED).toBe('33'.repeat(32));
  expect(loadConfig({}).SIMULATED_SIGNING_KEY_SEED).toBe(DEV_SIGNING_KEY_SEED);
});
