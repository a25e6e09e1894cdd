// The key-management port: the platform's signing key (Ed25519), used to sign case dossiers. A real adapter keeps the
// private key in a KMS or HSM and signs there; the simulation derives it from a configured seed, for development and
// tests only (refused in production unless ALLOW_SIMULATED names "keys").
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
  }

  async signingKey(): Promise<SigningKey> {
    return this.key;
  }
}
