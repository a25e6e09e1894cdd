// API principals and their bearer keys. Keys are random, shown once, and stored as SHA-256 hashes.
import crypto from 'node:crypto';
import type { Db } from './db';
import type { Role } from '../policy/roles';

export function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export interface CreatedPrincipal {
  id: string;
  name: string;
  role: Role;
  merchantId: string | null;
  /** The bearer key. Returned only here, never again. */
  apiKey: string;
}

export async function createPrincipal(db: Db, p: { name: string; role: Role; merchantId?: string | null }): Promise<CreatedPrincipal> {
  if (p.role === 'merchant' && !p.merchantId) throw new Error('a merchant principal needs a merchantId');
  const apiKey = `cwk_${crypto.randomBytes(24).toString('base64url')}`;
  const id = `prn_${crypto.randomUUID()}`;
  await db.principal.create({
    data: { id, name: p.name, role: p.role, merchantId: p.role === 'merchant' ? p.merchantId! : null, keyHash: hashKey(apiKey), keyPrefix: apiKey.slice(0, 8) },
  });
  return { id, name: p.name, role: p.role, merchantId: p.role === 'merchant' ? p.merchantId! : null, apiKey };
}

export async function findPrincipalByKey(db: Db, key: string) {
  const p = await db.principal.findUnique({ where: { keyHash: hashKey(key) } });
  return p && !p.revokedAt ? p : null;
}
