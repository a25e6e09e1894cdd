// The blob-store port: where attachment bytes live, content-addressed by SHA-256 (PostgreSQL keeps each attachment's
// row: case, hash, size, type, uploader). The filesystem adapter keeps them under BLOB_DIR; an object store (S3, OSS)
// is another adapter of the same port. Bytes stream in and out: a whole file is never held in memory.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, pipeline as streamPipeline, Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SEALED_BLOB_MAGIC, sealedBlobOverhead, type FieldSealer } from './sealedFields';

/** What an upload became once its bytes are all in: its hash, its size and its first bytes (to sniff its type). */
export interface StagedBlob {
  sha256: string;
  size: number;
  /** The first HEAD_BYTES bytes. */
  head: Buffer;
  /** Keeps the bytes under their hash (a blob with the same hash already kept is left as it is). */
  commit(): Promise<void>;
  /** Drops the staged bytes; nothing is left behind. */
  discard(): Promise<void>;
}

export class BlobTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

export const HEAD_BYTES = 4100;

export interface BlobStore {
  /**
   * Streams `source` into a staging area, hashing and counting it. Rejects with BlobTooLarge past `maxBytes` (the
   * staged bytes dropped), or with the source's error (a client gone mid-upload); the caller commits or discards.
   */
  stage(source: Readable, o: { maxBytes: number }): Promise<StagedBlob>;
  /** The bytes of a committed blob. */
  read(sha256: string): Readable;
  exists(sha256: string): Promise<boolean>;
  /** Deletes a blob; nothing to delete is no error. The caller checks that no other row names the key (content-addressed). */
  remove(sha256: string): Promise<void>;
}

/** Blobs as files: `<dir>/<first two hex digits>/<sha256>`, staged in `<dir>/staging`, moved in by rename (atomic). */
export class FileBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  async stage(source: Readable, o: { maxBytes: number }): Promise<StagedBlob> {
    const staging = path.join(this.dir, 'staging');
    await fs.promises.mkdir(staging, { recursive: true });
    const file = path.join(staging, `${process.pid}-${crypto.randomUUID()}`);
    const hash = crypto.createHash('sha256');
    const headParts: Buffer[] = [];
    let headLength = 0;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > o.maxBytes) return done(new BlobTooLarge(o.maxBytes));
        hash.update(chunk);
        if (headLength < HEAD_BYTES) {
          headParts.push(chunk.subarray(0, HEAD_BYTES - headLength));
          headLength += Math.min(chunk.length, HEAD_BYTES - headLength);
        }
        done(null, chunk);
      },
    });
    const discard = () => fs.promises.rm(file, { force: true });
    try {
      await pipeline(source, meter, fs.createWriteStream(file, { flags: 'wx' }) as Writable);
    } catch (err) {
      await discard();
      throw err;
    }
    const sha256 = hash.digest('hex');
    return {
      sha256,
      size,
      head: Buffer.concat(headParts),
      discard,
      commit: async () => {
        const target = this.pathOf(sha256);
        await fs.promises.mkdir(path.dirname(target), { recursive: true });
        if (fs.existsSync(target)) return discard(); // the same bytes are kept already (content-addressed)
        await fs.promises.rename(file, target);
      },
    };
  }

  read(sha256: string): Readable {
    return fs.createReadStream(this.pathOf(sha256));
  }

  async exists(sha256: string): Promise<boolean> {
    return fs.promises.access(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  async remove(sha256: string): Promise<void> {
    await fs.promises.rm(this.pathOf(sha256), { force: true });
  }
}

/** A staged upload sealed at rest: hash, size and head are the clear bytes'; `storedKey` the sealed bytes' key. */
export interface SealedStagedBlob extends StagedBlob {
  storedKey: string;
}

/**
 * Stages `source` sealed with the subject's data key (policy 1.3, 6.3.1; lib/sealedFields.ts sealStream): the clear
 * bytes are hashed, counted and their head kept (what the attachment row and the type check need) on their way to the
 * cipher, and only the sealed bytes reach the store, under their own hash. BlobTooLarge past `maxBytes` clear bytes.
 * Destroying the subject's key leaves them unreadable wherever they were copied.
 */
export async function stageSealed(blobs: BlobStore, sealer: Pick<FieldSealer, 'sealStream'>, subjectId: string, source: Readable, o: { maxBytes: number }): Promise<SealedStagedBlob> {
  const hash = crypto.createHash('sha256');
  const headParts: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > o.maxBytes) return done(new BlobTooLarge(o.maxBytes));
      hash.update(chunk);
      if (headLength < HEAD_BYTES) {
        headParts.push(chunk.subarray(0, HEAD_BYTES - headLength));
        headLength += Math.min(chunk.length, HEAD_BYTES - headLength);
      }
      done(null, chunk);
    },
  });
  const seal = await sealer.sealStream(subjectId);
  const sealed = streamPipeline(source, meter, seal, () => undefined);
  const staged = await blobs.stage(sealed, { maxBytes: o.maxBytes + sealedBlobOverhead(o.maxBytes) });
  return { ...staged, storedKey: staged.sha256, sha256: hash.digest('hex'), size, head: Buffer.concat(headParts) };
}

/**
 * The clear bytes of a stored file, as a stream factory: a sealed one (`blobKey` set) opened with the subject's key,
 * else the clear blob under its hash. null when the bytes were sealed and the subject's key is destroyed.
 */
export async function storedReader(blobs: BlobStore, sealer: Pick<FieldSealer, 'openStream'>, f: { sha256: string; blobKey: string | null }, subjectId: string | null | undefined): Promise<(() => Readable) | null> {
  if (!f.blobKey) return () => blobs.read(f.sha256);
  const blobKey = f.blobKey;
  // The key is checked now (null: destroyed); each stream gets its own opening transform.
  if (!subjectId || !(await sealer.openStream(subjectId))) return null;
  return () => {
    const out = new PassThrough();
    void sealer.openStream(subjectId).then(
      (open) => (open ? streamPipeline(blobs.read(blobKey), open, out, () => undefined) : out.destroy(new Error('the subject’s key was destroyed'))),
      (err: Error) => out.destroy(err),
    );
    return out;
  };
}

/** All the bytes of a stream (a mail's parts, a file being sealed again: small enough to hold). */
export async function readBytes(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Bytes kept sealed with the subject's key in a blob of their own (stageSealed, committed). */
export async function keepSealedBytes(blobs: BlobStore, sealer: Pick<FieldSealer, 'sealStream'>, subjectId: string, bytes: Buffer): Promise<SealedStagedBlob> {
  const staged = await stageSealed(blobs, sealer, subjectId, Readable.from([bytes]), { maxBytes: Math.max(1, bytes.length) });
  await staged.commit();
  return staged;
}

/** A stored file's clear bytes (readStored); throws when they were sealed with a key since destroyed. */
export async function storedBytes(blobs: BlobStore, sealer: Pick<FieldSealer, 'openStream'>, f: { sha256: string; blobKey: string | null }, subjectId: string | null | undefined): Promise<Buffer> {
  const stream = await readStored(blobs, sealer, f, subjectId);
  if (!stream) throw new Error(`file ${f.sha256}: the subject's key was destroyed`);
  return readBytes(stream);
}

/** Whether a stored blob is sealed (its first bytes are the sealed format's magic, lib/sealedFields.ts). */
export async function isSealedBlob(blobs: BlobStore, key: string): Promise<boolean> {
  const stream = blobs.read(key);
  try {
    for await (const chunk of stream) return (chunk as Buffer).subarray(0, SEALED_BLOB_MAGIC.length).equals(SEALED_BLOB_MAGIC);
    return false;
  } finally {
    stream.destroy();
  }
}

/** The clear bytes of a stored file, or null when they were sealed and the subject's key is destroyed. */
export async function readStored(blobs: BlobStore, sealer: Pick<FieldSealer, 'openStream'>, f: { sha256: string; blobKey: string | null }, subjectId: string | null | undefined): Promise<Readable | null> {
  const reader = await storedReader(blobs, sealer, f, subjectId);
  return reader ? reader() : null;
}
