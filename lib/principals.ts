// API principals and their bearer keys. Keys are random, shown once, and stored as SHA-256 hashes.
// A merchant principal may bring its merchant's contact: personal data, kept only in `parties`.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db, Prisma } from './db';
import { principalByKeyHash } from './sqlReads';
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
}

/**
 * Creates a principal; a merchant's contact, when given, is upserted in the same transaction. The role and the scope
 * kinds are checked against the catalogue by the callers (processes/index.ts principalIssues): this layer knows none.
 */
export async function createPrincipal(db: Db, p: { name: string; role: Role; merchantId?: string | null; scopes?: readonly PartyScope[]; contact?: PartyContact }): Promise<CreatedPrincipal> {
  if (p.role === 'merchant' && !p.merchantId) throw new Error('a merchant principal needs a merchantId');
  if (p.contact && p.role !== 'merchant') throw new Error('only a merchant principal carries a contact');
  const apiKey = `cwk_${crypto.randomBytes(24).toString('base64url')}`;
  const id = `prn_${crypto.randomUUID()}`;
  const merchantId = p.role === 'merchant' ? p.merchantId! : null;
  const scopes = scopesOf({ role: p.role, merchantId, scopes: p.scopes });
  const data = { id, name: p.name, role: p.role, merchantId, scopes: scopes.map((s) => ({ ...s })), keyHash: hashKey(apiKey), keyPrefix: apiKey.slice(0, 8) };
  const contact = p.contact;
  if (contact && merchantId) {
    await db.$transaction(async (tx) => {
      await tx.principal.create({ data });
      await putMerchantContact(tx, merchantId, contact);
    });
  } else {
    await db.principal.create({ data });
  }
  return { id, name: p.name, role: p.role, merchantId, scopes, apiKey };
}

/** The principal of a bearer key, unless revoked. Every request asks: plain SQL (lib/sqlReads.ts). */
export async function findPrincipalByKey(db: Db, key: string) {
  const p = await principalByKeyHash(db, hashKey(key));
  return p && !p.revokedAt ? p : null;
}
