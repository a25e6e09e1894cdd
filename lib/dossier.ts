// The signed case dossier: a tar archive of a case's files (timeline, audit verification, Temporal histories, replay
// result, ...) with a manifest of their SHA-256 hashes, signed with the platform's Ed25519 key (lib/keys.ts). What goes
// in is the caller's (processes/dossier.ts); this module writes the archive as a stream and verifies one offline.
import crypto from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { verifyEd25519, ed25519KeyId, type SigningKey } from './keys';

export const DOSSIER_FORMAT = 'casework-dossier/1';
export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.json.sig';

/** One file of the dossier: its bytes, or a stream of a known size (an attachment). */
export type DossierEntry = { path: string; bytes: Buffer } | { path: string; size: number; stream: () => Readable };

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface DossierManifest {
  format: typeof DOSSIER_FORMAT;
  caseId: string;
  caseType: string;
  generatedAt: string;
  /** The principal who asked for it. */
  generatedBy: string;
  files: ManifestFile[];
  signingKey: { keyId: string; algorithm: 'Ed25519'; publicKeyPem: string };
}

/** A relative path of plain segments: no absolute path, no `..`, no empty segment, printable ASCII. */
export function safeDossierPath(p: string): boolean {
  return /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(p) && !p.split('/').some((s) => s === '.' || s === '..') && p !== MANIFEST && p !== SIGNATURE;
}

/** JSON as the dossier stores it: two-space indented, a final newline. */
export const jsonBytes = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/** The signing key as a manifest names it (what a verifier checks the signature with, and pins). */
export type ManifestSigningKey = DossierManifest['signingKey'];

/**
 * Writes a signed archive to `out` as a tar stream (gzip-compressed with `gzip`): the entries in order (hashed as they
 * pass), then the manifest `manifestOf` makes of their list, then its signature (base64 of the Ed25519 signature of the
 * manifest's exact bytes). Returns the manifest. The dossier and the subject's data export (lib/subjectExport.ts) are
 * written so.
 */
export async function writeSignedArchive<M extends { files: ManifestFile[] }>(
  out: Writable,
  o: { mtime: Date; gzip?: boolean },
  entries: AsyncIterable<DossierEntry> | Iterable<DossierEntry>,
  key: SigningKey,
  manifestOf: (files: ManifestFile[], signingKey: ManifestSigningKey) => M,
  onProgress?: (file: ManifestFile) => void,
): Promise<M> {
  const pack = tar.pack();
  const piping = o.gzip ? pipeline(pack, zlib.createGzip(), out) : pipeline(pack, out);
  const files: ManifestFile[] = [];
  const seen = new Set<string>();
  const mtime = o.mtime;
  const add = (name: string, bytes: Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, size: bytes.length, mtime, mode: 0o644 }, bytes, (err) => (err ? reject(err) : resolve())));
  try {
    for await (const e of entries) {
      if (!safeDossierPath(e.path)) throw new Error(`dossier: unsafe path ${JSON.stringify(e.path)}`);
      if (seen.has(e.path)) throw new Error(`dossier: ${e.path} twice`);
      seen.add(e.path);
      let file: ManifestFile;
      if ('bytes' in e) {
        await add(e.path, e.bytes);
        file = { path: e.path, sha256: crypto.createHash('sha256').update(e.bytes).digest('hex'), bytes: e.bytes.length };
      } else {
        const hash = crypto.createHash('sha256');
        let bytes = 0;
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ name: e.path, size: e.size, mtime, mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
          sink.on('error', reject);
          const src = e.stream();
          src.on('data', (chunk: Buffer) => {
            hash.update(chunk);
            bytes += chunk.length;
          });
          src.on('error', reject);
          src.pipe(sink);
        });
        if (bytes !== e.size) throw new Error(`dossier: ${e.path} has ${bytes} bytes, ${e.size} were announced`);
        file = { path: e.path, sha256: hash.digest('hex'), bytes };
      }
      files.push(file);
      onProgress?.(file);
    }
    const manifest = manifestOf(files, { keyId: key.keyId, algorithm: key.algorithm, publicKeyPem: key.publicKeyPem });
    const manifestBytes = jsonBytes(manifest);
    await add(MANIFEST, manifestBytes);
    await add(SIGNATURE, Buffer.from(`${(await key.sign(manifestBytes)).toString('base64')}\n`));
    pack.finalize();
    await piping;
    return manifest;
  } catch (err) {
    pack.destroy(err as Error);
    await piping.catch(() => undefined);
    throw err;
  }
}

/**
 * Writes the dossier to `out` as a tar stream: the entries in order (hashed as they pass), then the manifest, then its
 * signature (base64 of the Ed25519 signature of the manifest's exact bytes). Returns the manifest.
 */
export async function writeDossier(
  out: Writable,
  meta: Pick<DossierManifest, 'caseId' | 'caseType' | 'generatedAt' | 'generatedBy'>,
  entries: AsyncIterable<DossierEntry> | Iterable<DossierEntry>,
  key: SigningKey,
  onProgress?: (file: ManifestFile) => void,
): Promise<DossierManifest> {
  return writeSignedArchive(out, { mtime: new Date(meta.generatedAt) }, entries, key, (files, signingKey): DossierManifest => ({ format: DOSSIER_FORMAT, ...meta, files, signingKey }), onProgress);
}

export interface DossierVerification {
  valid: boolean;
  caseId: string | null;
  /** The key the manifest names and its signature verifies with. */
  keyId: string | null;
  /** True when the signing key was checked against the one the verifier trusts (`trustedPublicKeyPem`). */
  keyTrusted: boolean;
  files: number;
  problems: string[];
}

/** What verifying a signed archive found: its manifest (when readable), the key, the problems. */
export interface SignedArchiveVerification<M> {
  valid: boolean;
  manifest: M | null;
  keyId: string | null;
  keyTrusted: boolean;
  files: number;
  problems: string[];
}

/**
 * Verifies a signed archive offline (`gzip`: gzip-compressed): the manifest's format, its signature with the key it
 * names (and that key against the trusted one, when given), every listed file present with its size and SHA-256, and
 * nothing else in the archive.
 */
export async function verifySignedArchive<M extends { format: string; files: ManifestFile[]; signingKey: ManifestSigningKey }>(
  input: Readable | Buffer,
  o: { format: string; gzip?: boolean; trustedPublicKeyPem?: string },
): Promise<SignedArchiveVerification<M>> {
  const problems: string[] = [];
  const found = new Map<string, { sha256: string; bytes: number }>();
  let manifestBytes: Buffer | undefined;
  let signatureText: string | undefined;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const hash = crypto.createHash('sha256');
    const keep: Buffer[] = [];
    const small = header.name === MANIFEST || header.name === SIGNATURE;
    let bytes = 0;
    stream.on('data', (data: unknown) => {
      const c = data as Buffer;
      hash.update(c);
      bytes += c.length;
      if (small) keep.push(c);
    });
    stream.on('end', () => {
      if (header.type !== 'file') problems.push(`${header.name}: not a plain file (${header.type})`);
      else if (found.has(header.name) || (header.name === MANIFEST && manifestBytes) || (header.name === SIGNATURE && signatureText !== undefined)) problems.push(`${header.name}: in the archive twice`);
      else if (header.name === MANIFEST) manifestBytes = Buffer.concat(keep);
      else if (header.name === SIGNATURE) signatureText = Buffer.concat(keep).toString('utf8').trim();
      else found.set(header.name, { sha256: hash.digest('hex'), bytes });
      next();
    });
    stream.resume();
  });
  const fail = (p: string[]): SignedArchiveVerification<M> => ({ valid: false, manifest: null, keyId: null, keyTrusted: false, files: found.size, problems: p });
  try {
    const source = Buffer.isBuffer(input) ? Readable.from([input]) : input;
    await (o.gzip ? pipeline(source, zlib.createGunzip(), extract) : pipeline(source, extract));
  } catch (err) {
    return { ...fail([`not a readable ${o.format} archive: ${(err as Error).message}`]), files: 0 };
  }
  if (!manifestBytes) return fail([...problems, `${MANIFEST} is missing`]);
  let manifest: M;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    return fail([...problems, `${MANIFEST} is not JSON`]);
  }
  if (manifest.format !== o.format) problems.push(`${MANIFEST}: format ${JSON.stringify(manifest.format)}, expected ${o.format}`);
  const pem = manifest.signingKey?.publicKeyPem ?? '';
  let keyId: string | null = null;
  try {
    keyId = ed25519KeyId(pem);
    if (keyId !== manifest.signingKey.keyId) problems.push(`${MANIFEST}: the key id ${manifest.signingKey.keyId} is not the id of its public key (${keyId})`);
  } catch {
    problems.push(`${MANIFEST}: no readable Ed25519 public key`);
  }
  if (signatureText === undefined) problems.push(`${SIGNATURE} is missing`);
  else if (!verifyEd25519(pem, manifestBytes, Buffer.from(signatureText, 'base64'))) problems.push(`${SIGNATURE}: the signature does not verify the manifest with key ${manifest.signingKey?.keyId}`);
  let keyTrusted = false;
  if (o.trustedPublicKeyPem) {
    keyTrusted = keyId !== null && ed25519KeyId(o.trustedPublicKeyPem) === keyId;
    if (!keyTrusted) problems.push(`the manifest is signed with ${manifest.signingKey?.keyId}, not with the trusted key ${ed25519KeyId(o.trustedPublicKeyPem)}`);
  }
  const listed = new Set<string>();
  for (const f of manifest.files ?? []) {
    listed.add(f.path);
    const got = found.get(f.path);
    if (!got) problems.push(`${f.path}: listed in the manifest, missing from the archive`);
    else if (got.sha256 !== f.sha256 || got.bytes !== f.bytes) problems.push(`${f.path}: SHA-256 ${got.sha256} (${got.bytes} bytes), the manifest says ${f.sha256} (${f.bytes} bytes)`);
  }
  for (const name of found.keys()) if (!listed.has(name)) problems.push(`${name}: in the archive, not in the manifest`);
  return { valid: problems.length === 0, manifest, keyId, keyTrusted, files: found.size, problems };
}

/**
 * Verifies a dossier offline: the manifest's signature with the key it names (and that key against the trusted one,
 * when given), every listed file present with its size and SHA-256, and nothing else in the archive.
 */
export async function verifyDossier(input: Readable | Buffer, o: { trustedPublicKeyPem?: string } = {}): Promise<DossierVerification> {
  const v = await verifySignedArchive<DossierManifest>(input, { format: DOSSIER_FORMAT, trustedPublicKeyPem: o.trustedPublicKeyPem });
  return { valid: v.valid, caseId: v.manifest?.caseId ?? null, keyId: v.keyId, keyTrusted: v.keyTrusted, files: v.files, problems: v.problems };
}
