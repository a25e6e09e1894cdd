// Personal fields encrypted at rest with a per-subject data key (policy 1.3, 2.2.1, 6.3.1; PIPL art. 51(3)). Each data
// subject gets an AES-256 data key the first time a field of theirs is sealed; PostgreSQL keeps it only wrapped by the
// master key of the key-management port (subject_keys). A sealed value is text: `sealed:v1:` and the base64url of IV,
// tag and AES-256-GCM ciphertext, bound to the subject id (additional data), so a value moved to another subject's row
// does not open. Destroying the key (crypto-shredding, `shred`) makes every sealed copy unreadable: rows, backups,
// replicas, exports. A value without the prefix (written before sealing) opens as it is.
import crypto from 'node:crypto';
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
  /** Opens values of one subject: a sealed one to its text (null once the key is destroyed), another as it is. */
  open<T extends string | null | undefined>(subjectId: string | null | undefined, values: readonly T[]): Promise<(T | string | null)[]>;
  /** Destroys the subject's data key (crypto-shredding); true when a key was destroyed now. */
  shred(subjectId: string): Promise<boolean>;
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
      // Two first seals at once: one insert wins, both use its key.
      await store.subjectKey.createMany({ data: [{ subjectId, wrappedKey: new Uint8Array(wrapped), masterKeyId, createdAt: new Date() }], skipDuplicates: true });
      row = await store.subjectKey.findUnique({ where: { subjectId } });
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

  return {
    async seal(subjectId, plaintext, via) {
      const key = await keyOf(subjectId, true, via);
      if (!key) throw new Error(`the data key of subject ${subjectId} was destroyed: nothing more is stored for it`);
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(subjectId));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
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
