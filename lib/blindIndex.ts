// Keyed blind indexes (policy 1.3, 6.3.1): equality look-ups over fields sealed at rest (lib/sealedFields.ts) without
// keeping them in clear. An index value is HMAC-SHA256 of the normalised value under a key of its own purpose (from the
// key-management port: `KeyManagement.blindIndexKey`), truncated to 128 bits (32 hex digits): the same value always
// gives the same index, so a unique index or an equality look-up works; without the key it says nothing (a mobile
// number has too few possible values for an unkeyed hash). One key per purpose: an index of one column cannot be
// matched against another's. Normalised first, so that "+86 138-1234-5678" and "13812345678" meet.
import crypto from 'node:crypto';
import type { KeyManagement } from './keys';

export const blindIndexPurposes = {
  /** registrations.mobile_index: one active account per mobile number (policy 1.2), a registration by its mobile. */
  mobile: (v: string) => normaliseMobile(v),
  /** registrations.username_index, user_accounts.username_index: one account per username (policy 1.1). */
  username: (v: string) => v.normalize('NFKC').trim().toLowerCase(),
  /** parties.email_index: the customer an e-mail comes from (mail intake, processes/mailIntake.ts). */
  email: (v: string) => v.normalize('NFKC').trim().toLowerCase(),
} as const;
export type BlindIndexPurpose = keyof typeof blindIndexPurposes;

/** A mobile number in E.164: a mainland number (11 digits, 1[3-9]…, with or without 86) as +86…; others as given, digits only after the +. */
export function normaliseMobile(v: string): string {
  const d = v.replace(/[\s().-]/g, '');
  const mainland = d.replace(/^(?:\+?86|0086)(?=1[3-9]\d{9}$)/, '');
  if (/^1[3-9]\d{9}$/.test(mainland)) return `+86${mainland}`;
  return d.startsWith('00') ? `+${d.slice(2)}` : d;
}

/** Truncation: 16 bytes of the HMAC (a collision among 10^9 values has odds about 10^-21). */
const INDEX_BYTES = 16;

export type BlindIndexer = (purpose: BlindIndexPurpose, value: string) => Promise<string>;

const keyCache = new WeakMap<KeyManagement, Map<string, Promise<Buffer>>>();

/** The blind index of a value for a purpose, under the port's key for that purpose (cached per port). */
export function blindIndexerFor(keys: KeyManagement): BlindIndexer {
  let byPurpose = keyCache.get(keys);
  if (!byPurpose) keyCache.set(keys, (byPurpose = new Map()));
  const cache = byPurpose;
  return async (purpose, value) => {
    let key = cache.get(purpose);
    if (!key) {
      key = keys.blindIndexKey(`blind-index:${purpose}`);
      cache.set(purpose, key);
      key.catch(() => cache.delete(purpose));
    }
    return crypto.createHmac('sha256', await key).update(blindIndexPurposes[purpose](value), 'utf8').digest().subarray(0, INDEX_BYTES).toString('hex');
  };
}
