// The key-management port: the platform's signing key (Ed25519), used to sign case dossiers, and the master key that
// wraps each data subject's data key (envelope encryption of personal fields at rest, lib/sealedFields.ts). A real
// adapter keeps both keys in a KMS or HSM and signs and wraps there; the simulation derives them from a configured seed,
// for development and tests only (refused in production unless ALLOW_SIMULATED names "keys").
import crypto from 'node:crypto';

export interface SigningKey {
  /** A stable name of the key: `ed25519:<first 16 hex of the SHA-256 of its raw public key>`. */
  keyId: string;
  algorithm: 'Ed25519';
  /** SPKI PEM: what a verifier pins. */
  publicKeyPem: string;
  sign(data: Buffer): Promise<Buffer>;
}

export interface KeyManagement {
  /** The key dossiers are signed with now. */
  signingKey(): Promise<SigningKey>;
  /** Wraps a data key under the current master key (policy 1.3, 6.3.1: encryption at rest); the key never leaves in clear. */
  wrapDataKey(dataKey: Buffer): Promise<{ wrapped: Buffer; masterKeyId: string }>;
  /** Unwraps a data key wrapped by wrapDataKey under the named master key. */
  unwrapDataKey(wrapped: Buffer, masterKeyId: string): Promise<Buffer>;
  /**
   * The HMAC-SHA256 key of one blind index (lib/blindIndex.ts: equality look-ups over sealed fields, one key per
   * purpose). A real adapter derives it inside the KMS (or keeps one secret per purpose there); it is not a data key:
   * destroying a subject's key leaves it, and an index value alone reveals nothing without it.
   */
  blindIndexKey(purpose: string): Promise<Buffer>;
}

/** The PKCS#8 DER prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The id of an Ed25519 public key (SPKI PEM or KeyObject): the SHA-256 of its 32 raw bytes, first 16 hex digits. */
export function ed25519KeyId(publicKey: crypto.KeyObject | string): string {
  const key = typeof publicKey === 'string' ? crypto.createPublicKey(publicKey) : publicKey;
  const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
  return `ed25519:${crypto.createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
}

/** Verifies an Ed25519 signature with a public key in SPKI PEM. */
export function verifyEd25519(publicKeyPem: string, data: Buffer, signature: Buffer): boolean {
  try {
    return crypto.verify(null, data, crypto.createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}

/** The simulation: an Ed25519 key from a 32-byte seed (64 hex digits) given in the configuration. */
export class SimulatedKeyManagement implements KeyManagement {
  private readonly key: SigningKey;
  /** The master key: AES-256 derived from the seed (HKDF-SHA256), so a restart unwraps what an earlier run wrapped. */
  private readonly masterKey: Buffer;
  private readonly masterKeyId: string;

  constructor(seedHex: string) {
    if (!/^[0-9a-f]{64}$/i.test(seedHex)) throw new Error('the signing key seed must be 64 hex digits (32 bytes)');
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });
    const publicKey = crypto.createPublicKey(privateKey);
    this.key = {
      keyId: ed25519KeyId(publicKey),
      algorithm: 'Ed25519',
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      sign: async (data) => crypto.sign(null, data, privateKey),
    };
    this.masterKey = Buffer.from(crypto.hkdfSync('sha256', Buffer.from(seedHex, 'hex'), Buffer.alloc(0), 'casework data-key wrapping v1', 32));
    this.masterKeyId = `sim-aes256:${crypto.createHash('sha256').update(this.masterKey).digest('hex').slice(0, 16)}`;
  }

  async wrapDataKey(dataKey: Buffer): Promise<{ wrapped: Buffer; masterKeyId: string }> {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.masterKey, iv);
    const ct = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { wrapped: Buffer.concat([iv, cipher.getAuthTag(), ct]), masterKeyId: this.masterKeyId };
  }

  async unwrapDataKey(wrapped: Buffer, masterKeyId: string): Promise<Buffer> {
    if (masterKeyId !== this.masterKeyId) throw new Error(`data key wrapped under master key ${masterKeyId}, not this one (${this.masterKeyId})`);
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.masterKey, wrapped.subarray(0, 12));
    decipher.setAuthTag(wrapped.subarray(12, 28));
    return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
  }

  async blindIndexKey(purpose: string): Promise<Buffer> {
    return Buffer.from(crypto.hkdfSync('sha256', this.masterKey, Buffer.alloc(0), `casework blind index v1|${purpose}`, 32));
  }

  async signingKey(): Promise<SigningKey> {
    return this.key;
  }
}
