// API principals and their bearer keys. Keys are random, shown once, and stored as SHA-256 hashes.
// A merchant principal may bring its merchant's contact: personal data, kept only in `parties`.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db, Prisma } from './db';
import { principalByKeyHash, type KeyedPrincipal } from './sqlReads';
import type { PartyScope } from './authz';
import type { Role } from '../policy/roles';
import { emailSchema } from '../policy/schemas';

export function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/** A merchant reference: 1-64 letters, digits, _ . : or -. */
export const merchantIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1-64 letters, digits, _ . : or -');

/** A party scope: its kind (declared by the platform or a process) and its value (a merchant id, a storefront id, …). */
export const partyScopeSchema = z
  .object({
    kind: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'a scope kind: a letter, then up to 39 letters, digits or _'),
    value: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1-64 letters, digits, _ . : or -'),
  })
  .strict();

/** The scopes a principal carries: those given, and a merchant's own merchant id (deduplicated, in order). */
export function scopesOf(p: { role: Role; merchantId?: string | null; scopes?: readonly PartyScope[] }): PartyScope[] {
  const all = [...(p.role === 'merchant' && p.merchantId ? [{ kind: 'merchant', value: p.merchantId }] : []), ...(p.scopes ?? [])];
  return all.filter((s, i) => all.findIndex((t) => t.kind === s.kind && t.value === s.value) === i).map((s) => ({ kind: s.kind, value: s.value }));
}

/** The scopes column as read (JSON): only well-formed scopes count. */
export function storedScopes(json: unknown): PartyScope[] {
  return Array.isArray(json) ? json.filter((s): s is PartyScope => partyScopeSchema.safeParse(s).success) : [];
}

/** Where a party's notifications go: the e-mail address, an optional name, the language of the messages. */
export const partyContactSchema = z
  .object({
    email: emailSchema,
    displayName: z.string().min(1).max(100).optional(),
    locale: z.enum(['zh-CN', 'en']).optional().describe('Language of the e-mails; zh-CN when absent'),
  })
  .strict();
export type PartyContact = z.infer<typeof partyContactSchema>;

export interface MerchantContact {
  merchantId: string;
  email: string | null;
  displayName: string | null;
  locale: string;
  updatedAt: Date;
}

/**
 * Sets the merchant party's contact (kind 'merchant', id = merchantId), creating the party if needed.
 * The contact is replaced as a whole: an omitted display name is cleared, an omitted locale is zh-CN.
 */
export async function putMerchantContact(db: Db | Prisma.TransactionClient, merchantId: string, c: PartyContact): Promise<MerchantContact> {
  const data = { email: c.email, displayName: c.displayName ?? null, locale: c.locale ?? 'zh-CN' };
  const p = await db.party.upsert({ where: { kind_id: { kind: 'merchant', id: merchantId } }, create: { kind: 'merchant', id: merchantId, ...data }, update: data });
  return { merchantId: p.id, email: p.email, displayName: p.displayName, locale: p.locale, updatedAt: p.updatedAt };
}

export async function getMerchantContact(db: Db, merchantId: string): Promise<MerchantContact | null> {
  const p = await db.party.findUnique({ where: { kind_id: { kind: 'merchant', id: merchantId } } });
  return p && { merchantId: p.id, email: p.email, displayName: p.displayName, locale: p.locale, updatedAt: p.updatedAt };
}

export interface CreatedPrincipal {
  id: string;
  name: string;
  role: Role;
  merchantId: string | null;
  scopes: PartyScope[];
  /** The bearer key. Returned only here, never again. */
  apiKey: string;
  /** The key's id (api_keys), what rotation and revocation name. */
  keyId: string;
  keyExpiresAt: Date | null;
}

/** Who acted on a principal or a key: an admin principal's id, or `system` (set-up scripts, tests). */
export type PrincipalActor = string;

const newKey = () => {
  const apiKey = `cwk_${crypto.randomBytes(24).toString('base64url')}`;
  return { apiKey, id: `key_${crypto.randomBytes(12).toString('hex')}`, keyHash: hashKey(apiKey), keyPrefix: apiKey.slice(0, 8) };
};

async function recordEvent(tx: Prisma.TransactionClient, e: { principalId: string; keyId?: string | null; type: string; actor: PrincipalActor; at: Date; detail?: Record<string, unknown> }): Promise<void> {
  await tx.principalEvent.create({ data: { principalId: e.principalId, keyId: e.keyId ?? null, type: e.type, actor: e.actor, at: e.at, detail: (e.detail ?? {}) as Prisma.InputJsonValue } });
}

/**
 * Creates a principal with its first key (optionally expiring), in one transaction with its audit events
 * (principal.created, key.created); a merchant's contact, when given, too. The role and the scope kinds are checked
 * against the catalogue by the callers (processes/index.ts principalIssues): this layer knows none.
 */
export async function createPrincipal(
  db: Db,
  p: { name: string; role: Role; merchantId?: string | null; scopes?: readonly PartyScope[]; contact?: PartyContact; expiresAt?: Date | null; actor?: PrincipalActor },
): Promise<CreatedPrincipal> {
  if (p.role === 'merchant' && !p.merchantId) throw new Error('a merchant principal needs a merchantId');
  if (p.contact && p.role !== 'merchant') throw new Error('only a merchant principal carries a contact');
  const key = newKey();
  const id = `prn_${crypto.randomUUID()}`;
  const merchantId = p.role === 'merchant' ? p.merchantId! : null;
  const scopes = scopesOf({ role: p.role, merchantId, scopes: p.scopes });
  const at = new Date();
  const actor = p.actor ?? 'system';
  const contact = p.contact;
  await db.$transaction(async (tx) => {
    await tx.principal.create({ data: { id, name: p.name, role: p.role, merchantId, scopes: scopes.map((s) => ({ ...s })), createdAt: at } });
    await tx.apiKey.create({ data: { id: key.id, principalId: id, keyHash: key.keyHash, keyPrefix: key.keyPrefix, createdAt: at, expiresAt: p.expiresAt ?? null } });
    await recordEvent(tx, { principalId: id, type: 'principal.created', actor, at, detail: { role: p.role } });
    await recordEvent(tx, { principalId: id, keyId: key.id, type: 'key.created', actor, at, detail: { keyPrefix: key.keyPrefix, expiresAt: p.expiresAt?.toISOString() ?? null } });
    if (contact && merchantId) await putMerchantContact(tx, merchantId, contact);
  });
  return { id, name: p.name, role: p.role, merchantId, scopes, apiKey: key.apiKey, keyId: key.id, keyExpiresAt: p.expiresAt ?? null };
}

export class PrincipalNotFound extends Error {}
export class PrincipalRevoked extends Error {}

/**
 * Rotation: a new key for the principal; every other key still in force ends `overlapSeconds` from now (or earlier, if
 * it expires before), so callers switch without an outage. Audited (key.created with rotation and the keys it ends).
 */
export async function rotatePrincipalKey(db: Db, principalId: string, o: { overlapSeconds: number; expiresAt?: Date | null; actor: PrincipalActor }): Promise<{ principalId: string; apiKey: string; keyId: string; keyExpiresAt: Date | null; previousKeysEndAt: Date; previousKeys: string[] }> {
  const key = newKey();
  const at = new Date();
  const end = new Date(at.getTime() + o.overlapSeconds * 1000);
  return db.$transaction(async (tx) => {
    const p = await tx.principal.findUnique({ where: { id: principalId } });
    if (!p) throw new PrincipalNotFound(principalId);
    if (p.revokedAt) throw new PrincipalRevoked(principalId);
    const live = await tx.apiKey.findMany({ where: { principalId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: at } }] } });
    for (const k of live) if (!k.expiresAt || k.expiresAt > end) await tx.apiKey.update({ where: { id: k.id }, data: { expiresAt: end } });
    await tx.apiKey.create({ data: { id: key.id, principalId, keyHash: key.keyHash, keyPrefix: key.keyPrefix, createdAt: at, expiresAt: o.expiresAt ?? null } });
    await recordEvent(tx, { principalId, keyId: key.id, type: 'key.created', actor: o.actor, at, detail: { keyPrefix: key.keyPrefix, rotation: true, expiresAt: o.expiresAt?.toISOString() ?? null, previousKeys: live.map((k) => k.id), previousKeysEndAt: end.toISOString() } });
    return { principalId, apiKey: key.apiKey, keyId: key.id, keyExpiresAt: o.expiresAt ?? null, previousKeysEndAt: end, previousKeys: live.map((k) => k.id) };
  });
}

/** Revokes one key (key.revoked), or, without a key id, the principal and so every key of it (principal.revoked). Idempotent. */
export async function revokePrincipal(db: Db, principalId: string, o: { keyId?: string; actor: PrincipalActor }): Promise<{ id: string; revokedAt: Date } | null> {
  const at = new Date();
  return db.$transaction(async (tx) => {
    const p = await tx.principal.findUnique({ where: { id: principalId } });
    if (!p) return null;
    if (o.keyId) {
      const k = await tx.apiKey.findFirst({ where: { id: o.keyId, principalId } });
      if (!k) return null;
      if (k.revokedAt) return { id: k.id, revokedAt: k.revokedAt };
      await tx.apiKey.update({ where: { id: k.id }, data: { revokedAt: at } });
      await recordEvent(tx, { principalId, keyId: k.id, type: 'key.revoked', actor: o.actor, at });
      return { id: k.id, revokedAt: at };
    }
    if (p.revokedAt) return { id: p.id, revokedAt: p.revokedAt };
    await tx.principal.update({ where: { id: p.id }, data: { revokedAt: at } });
    await recordEvent(tx, { principalId, type: 'principal.revoked', actor: o.actor, at });
    return { id: p.id, revokedAt: at };
  });
}

/** When each key was last used, written at most once a minute per key and process (the request path reads, it rarely writes). */
const lastUseWritten = new Map<string, number>();
const LAST_USE_EVERY_MS = 60_000;

/**
 * The principal of a bearer key: unknown, revoked (the key or its principal) or expired answers null. Every request
 * asks: plain SQL (lib/sqlReads.ts), one indexed join; the key's last use is noted in the background.
 */
export async function findPrincipalByKey(db: Db, key: string): Promise<KeyedPrincipal | null> {
  const p = await principalByKeyHash(db, hashKey(key));
  const now = Date.now();
  if (!p || p.revokedAt || p.keyRevokedAt || (p.keyExpiresAt && p.keyExpiresAt.getTime() <= now)) return null;
  if (now - (lastUseWritten.get(p.keyId) ?? 0) >= LAST_USE_EVERY_MS) {
    lastUseWritten.set(p.keyId, now);
    if (lastUseWritten.size > 100_000) lastUseWritten.clear();
    void db.apiKey.update({ where: { id: p.keyId }, data: { lastUsedAt: new Date(now) } }).catch(() => lastUseWritten.delete(p.keyId));
  }
  return p;
}
