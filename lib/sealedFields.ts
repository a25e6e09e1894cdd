// Personal fields encrypted at rest with a per-subject data key (policy 1.3, 2.2.1, 6.3.1; PIPL art. 51(3)). Each data
// subject gets an AES-256 data key the first time a field of theirs is sealed; PostgreSQL keeps it only wrapped by the
// master key of the key-management port (subject_keys). A sealed value is text: `sealed:v1:` and the base64url of IV,
// tag and AES-256-GCM ciphertext, bound to the subject id (additional data), so a value moved to another subject's row
// does not open. Destroying the key (crypto-shredding, `shred`) makes every sealed copy unreadable: rows, backups,
// replicas, exports. A value without the prefix (written before sealing) opens as it is.
import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import type { Db } from './db';
import type { KeyManagement } from './keys';

export const SEALED_PREFIX = 'sealed:v1:';
export const isSealed = (v: unknown): v is string => typeof v === 'string' && v.startsWith(SEALED_PREFIX);

/** What a sealed value opens to when its subject's key was destroyed. */
export const SHREDDED = null;

export interface FieldSealer {
  /**
   * Seals `plaintext` with the subject's data key (created on first use). Inside a transaction, pass its client: the
   * key is then read and created in it (on a pool of one connection, a second connection would wait for ever).
   */
  seal(subjectId: string, plaintext: string, via?: KeyStore): Promise<string>;
  /** Seals several values of one subject with one look-up of its key (undefined and null stay null). */
  sealAll(subjectId: string, plaintexts: readonly (string | null | undefined)[], via?: KeyStore): Promise<(string | null)[]>;
  /** Opens values of one subject: a sealed one to its text (null once the key is destroyed), another as it is. */
  open<T extends string | null | undefined>(subjectId: string | null | undefined, values: readonly T[]): Promise<(T | string | null)[]>;
  /** Destroys the subject's data key (crypto-shredding); true when a key was destroyed now. */
  shred(subjectId: string): Promise<boolean>;
  /** A stream that seals bytes (a file) with the subject's data key, created on first use (SEALED_BLOB format). */
  sealStream(subjectId: string): Promise<Transform>;
  /** A stream that opens bytes sealed by sealStream; null once the subject's key is destroyed. */
  openStream(subjectId: string): Promise<Transform | null>;
}

/**
 * Sealed bytes (a file in the blob store): the magic `CWB1`, an 8-byte random prefix, then segments of at most 64 KiB
 * of plaintext, each AES-256-GCM with its own 16-byte tag, nonce = prefix and the segment's number, additional data =
 * the subject, the number and whether it is the last (so segments cannot be reordered, dropped or cut off at the end).
 * A segment is checked before any of its bytes are let out.
 */
export const SEALED_BLOB_MAGIC = Buffer.from('CWB1');
const SEGMENT = 64 * 1024;
const TAG = 16;
const blobAad = (subjectId: string, i: number, last: boolean) => Buffer.from(`blob|subject:${subjectId}|${i}|${last ? 1 : 0}`);
const blobNonce = (prefix: Buffer, i: number) => {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(i, 8);
  return n;
};
/** How many bytes sealing adds to a file of `size` bytes. */
export const sealedBlobOverhead = (size: number) => SEALED_BLOB_MAGIC.length + 8 + TAG * (Math.floor(size / SEGMENT) + 1);

function sealingTransform(key: Buffer, subjectId: string): Transform {
  const prefix = crypto.randomBytes(8);
  let pending = Buffer.alloc(0);
  let i = 0;
  const segment = (plain: Buffer, last: boolean) => {
    const c = crypto.createCipheriv('aes-256-gcm', key, blobNonce(prefix, i));
    c.setAAD(blobAad(subjectId, i++, last));
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  };
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!started) {
        this.push(Buffer.concat([SEALED_BLOB_MAGIC, prefix]));
        started = true;
      }
      pending = Buffer.concat([pending, chunk]);
      // Hold back at least one byte: only the end of the input says which segment is the last.
      while (pending.length > SEGMENT) {
        this.push(segment(pending.subarray(0, SEGMENT), false));
        pending = pending.subarray(SEGMENT);
      }
      done();
    },
    flush(done) {
      if (!started) this.push(Buffer.concat([SEALED_BLOB_MAGIC, prefix]));
      this.push(segment(pending, true));
      done();
    },
  });
}

function openingTransform(key: Buffer, subjectId: string): Transform {
  let pending = Buffer.alloc(0);
  let prefix: Buffer | null = null;
  let i = 0;
  const segment = (sealed: Buffer, last: boolean) => {
    const d = crypto.createDecipheriv('aes-256-gcm', key, blobNonce(prefix!, i));
    d.setAAD(blobAad(subjectId, i++, last));
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      pending = Buffer.concat([pending, chunk]);
      try {
        if (!prefix) {
          if (pending.length < 12) return done();
          if (!pending.subarray(0, 4).equals(SEALED_BLOB_MAGIC)) throw new Error('not a sealed blob');
          prefix = Buffer.from(pending.subarray(4, 12));
          pending = pending.subarray(12);
        }
        while (pending.length > SEGMENT + TAG) {
          this.push(segment(pending.subarray(0, SEGMENT + TAG), false));
          pending = pending.subarray(SEGMENT + TAG);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        if (!prefix || pending.length < TAG) throw new Error('a sealed blob cut short');
        this.push(segment(pending, true));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** Unwrapped data keys, by subject and wrapped key: a key is looked up on every open, so a shredded one never opens. */
const unwrapped = new Map<string, Buffer>();
const MAX_CACHED_KEYS = 10_000;

const aad = (subjectId: string) => Buffer.from(`subject:${subjectId}`);

/** Where the subject keys are read and written: the database, or a transaction's client. */
export type KeyStore = Pick<Db, 'subjectKey'>;

export function createFieldSealer(db: Db, keys: KeyManagement): FieldSealer {
  async function keyOf(subjectId: string, create: boolean, store: KeyStore = db): Promise<Buffer | null> {
    let row = await store.subjectKey.findUnique({ where: { subjectId } });
    if (!row && create) {
      const fresh = crypto.randomBytes(32);
      const { wrapped, masterKeyId } = await keys.wrapDataKey(fresh);
      // Two first seals at once: one insert wins (its row returned), the other reads the winner's key.
      const [made] = await store.subjectKey.createManyAndReturn({ data: [{ subjectId, wrappedKey: new Uint8Array(wrapped), masterKeyId, createdAt: new Date() }], skipDuplicates: true });
      row = made ?? (await store.subjectKey.findUnique({ where: { subjectId } }));
    }
    if (!row?.wrappedKey) return null;
    const wrapped = Buffer.from(row.wrappedKey);
    const cacheKey = `${subjectId}:${wrapped.toString('base64')}`;
    const cached = unwrapped.get(cacheKey);
    if (cached) return cached;
    const key = await keys.unwrapDataKey(wrapped, row.masterKeyId);
    if (unwrapped.size >= MAX_CACHED_KEYS) unwrapped.delete(unwrapped.keys().next().value!);
    unwrapped.set(cacheKey, key);
    return key;
  }

  const sealWith = (key: Buffer, subjectId: string, plaintext: string) => {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(subjectId));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
  };
  const destroyed = (subjectId: string) => new Error(`the data key of subject ${subjectId} was destroyed: nothing more is stored for it`);

  return {
    async seal(subjectId, plaintext, via) {
      const key = await keyOf(subjectId, true, via);
      if (!key) throw destroyed(subjectId);
      return sealWith(key, subjectId, plaintext);
    },

    async sealAll(subjectId, plaintexts, via) {
      if (plaintexts.every((p) => p === null || p === undefined)) return plaintexts.map(() => null);
      const key = await keyOf(subjectId, true, via);
      if (!key) throw destroyed(subjectId);
      return plaintexts.map((p) => (p === null || p === undefined ? null : sealWith(key, subjectId, p)));
    },

    async open(subjectId, values) {
      if (!values.some(isSealed)) return [...values];
      const key = subjectId ? await keyOf(subjectId, false) : null;
      return values.map((v) => {
        if (!isSealed(v)) return v;
        if (!key || !subjectId) return SHREDDED;
        const raw = Buffer.from(v.slice(SEALED_PREFIX.length), 'base64url');
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAAD(aad(subjectId));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      });
    },

    async sealStream(subjectId) {
      const key = await keyOf(subjectId, true);
      if (!key) throw new Error(`the data key of subject ${subjectId} was destroyed: nothing more is stored for it`);
      return sealingTransform(key, subjectId);
    },

    async openStream(subjectId) {
      const key = await keyOf(subjectId, false);
      return key ? openingTransform(key, subjectId) : null;
    },

    async shred(subjectId) {
      // A subject never sealed for gets a destroyed key too: nothing is sealed for it afterwards.
      const destroyed = await db.$executeRaw`
        INSERT INTO subject_keys (subject_id, wrapped_key, master_key_id, created_at, destroyed_at)
        VALUES (${subjectId}, NULL, 'none', timezone('UTC', now()), timezone('UTC', now()))
        ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, destroyed_at = timezone('UTC', now()) WHERE subject_keys.wrapped_key IS NOT NULL`;
      for (const k of [...unwrapped.keys()]) if (k.startsWith(`${subjectId}:`)) unwrapped.delete(k);
      return destroyed === 1;
    },
  };
}

/** The sealer of a database and key-management port (one per pair: every caller shares its key cache). */
const sealers = new WeakMap<KeyManagement, WeakMap<object, FieldSealer>>();
export function sealerFor(db: Db, keys: KeyManagement): FieldSealer {
  let byDb = sealers.get(keys);
  if (!byDb) sealers.set(keys, (byDb = new WeakMap()));
  let s = byDb.get(db);
  if (!s) byDb.set(db, (s = createFieldSealer(db, keys)));
  return s;
}
