// Data subjects (policy 2.2-2.4; PIPL art. 4): one opaque record per person whose personal data the platform holds, and
// the references the outside world names it by (subject_refs). Every row that holds a person's data points to its
// subject (subject_id); lib/personalData.ts declares those rows, and requests, erasure and breach scoping start here.
// - A subject id is random (sub_ and 32 hex digits), never derived from personal data: once the subject's record and
//   key are gone, nothing links an id back to the person.
// - A reference resolves get-or-create in one statement, race-safe: a known reference is read; a new one is inserted,
//   and INSERT … ON CONFLICT (kind, value) DO UPDATE RETURNING answers the row that won a race; the subject row is
//   written only by the statement whose reference was new.
import crypto from 'node:crypto';
import type { Db, Prisma } from './db';

/** How a subject is named: a storefront's customer reference (cases.customer_id of a return, repair, complaint), a
 * registered account (its user ref, usr_…), a guardian record of a child's registration (registration_guardians.id). */
export const subjectRefKinds = ['storefront_customer', 'account', 'guardian'] as const;
export type SubjectRefKind = (typeof subjectRefKinds)[number];

/** customer: a storefront's customer or an account's holder; guardian: the guardian of a child who registers. */
export const subjectKinds = ['customer', 'guardian'] as const;
export type SubjectKind = (typeof subjectKinds)[number];

/** active | erasure_requested (processing stops, policy 2.4.1) | erased. */
export const subjectStatuses = ['active', 'erasure_requested', 'erased'] as const;
export type SubjectStatus = (typeof subjectStatuses)[number];

export interface SubjectRef {
  kind: SubjectRefKind;
  value: string;
}

/** A new subject id: random, opaque. */
export const newSubjectId = (): string => `sub_${crypto.randomBytes(16).toString('hex')}`;

/** The subject kind a reference of this kind names. */
export const subjectKindOf = (ref: SubjectRefKind): SubjectKind => (ref === 'guardian' ? 'guardian' : 'customer');

/**
 * The CTEs that resolve a reference inside a larger statement: `<name>` answers one row (subject_id). `p` are the
 * positions of the parameters: the reference's kind, its value, a fresh subject id (newSubjectId) and the subject kind.
 * - A known reference is only read (the hot path of an opening writes nothing here). A storefront's customer reference
 *   that is a registered account's user ref names the account's subject (a storefront names a registered customer by
 *   the platform's user ref): the account's reference is read with it and wins.
 * - A new reference is inserted with the fresh id; when a concurrent statement inserted it first, ON CONFLICT … DO
 *   UPDATE waits for it and answers its subject. The subject row is inserted only when the reference answered the fresh
 *   id (foreign keys are checked at the end of the statement, when both rows exist).
 */
export function subjectCtes(name: string, p: { kind: number; value: number; fresh: number; subjectKind: number }): string {
  const now = `timezone('UTC'::text, now())`;
  const [kind, value, fresh] = [`$${p.kind}::text`, `$${p.value}::text`, `$${p.fresh}::text`];
  return `${name}_found AS (
       SELECT subject_id FROM subject_refs
       WHERE value = ${value} AND kind = ANY (ARRAY[${kind}, CASE WHEN ${kind} = 'storefront_customer' THEN 'account' ELSE ${kind} END])
       ORDER BY kind = 'account' DESC LIMIT 1
     ), ${name}_ref AS (
       INSERT INTO subject_refs (kind, value, subject_id, created_at) SELECT ${kind}, ${value}, ${fresh}, ${now} WHERE NOT EXISTS (SELECT 1 FROM ${name}_found)
       ON CONFLICT (kind, value) DO UPDATE SET kind = EXCLUDED.kind RETURNING subject_id
     ), ${name}_new AS (
       INSERT INTO subjects (id, kind, status, created_at) SELECT subject_id, $${p.subjectKind}::text, 'active', ${now} FROM ${name}_ref WHERE subject_id = ${fresh}
     ), ${name} AS (
       SELECT subject_id FROM ${name}_found UNION ALL SELECT subject_id FROM ${name}_ref
     )`;
}

/** Resolves a reference to its subject, creating both when the reference is new (one statement). */
export async function resolveSubject(db: Db | Prisma.TransactionClient, ref: SubjectRef): Promise<string> {
  const rows = await db.$queryRawUnsafe<{ subject_id: string }[]>(
    `WITH ${subjectCtes('s', { kind: 1, value: 2, fresh: 3, subjectKind: 4 })} SELECT subject_id FROM s`,
    ref.kind,
    ref.value,
    newSubjectId(),
    subjectKindOf(ref.kind),
  );
  return rows[0].subject_id;
}

/** The subject a reference names, if it was ever resolved (no write). */
export async function subjectOf(db: Db | Prisma.TransactionClient, ref: SubjectRef): Promise<string | null> {
  const row = await db.subjectRef.findUnique({ where: { kind_value: { kind: ref.kind, value: ref.value } } });
  return row?.subjectId ?? null;
}

/**
 * The customer reference of an e-mail sender whom no customer's contact names (`mail-` and 24 hex digits): a keyed hash
 * of the address (REPLY_TOKEN_SECRET; an address is personal data, the reference is not). Its subject is the sender's:
 * the mails they send are sealed with its key while held, and a complaint they confirm by e-mail is theirs under it.
 */
export const mailSenderRef = (secret: string, address: string): SubjectRef => ({
  kind: 'storefront_customer',
  value: `mail-${crypto.createHmac('sha256', secret).update(`mail-complainant\u0000${address.toLowerCase()}`).digest('hex').slice(0, 24)}`,
});

/** A mail sender's own subject (its reference is mailSenderRef's) was retired while a row was being filed under it. */
export class SubjectRetired extends Error {
  constructor(readonly subjectId: string) {
    super(`subject ${subjectId} was retired: nothing more is filed under it`);
  }
}

/** The transaction-scoped lock a row is filed under a subject with, and a mail sender's subject retired with. */
const lockSubject = (tx: Prisma.TransactionClient, subjectId: string) => tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${subjectId}, 7))`;

/**
 * Writes a row filed under `subjectId` unless the subject was retired meanwhile: one transaction under the subject's
 * lock, so that a retirement (retireMailSender) and a new row never cross. Throws SubjectRetired, nothing written.
 */
export async function writeUnderSubject<T>(db: Db, subjectId: string, write: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    await lockSubject(tx, subjectId);
    const s = await tx.subject.findUnique({ where: { id: subjectId }, select: { status: true } });
    if (s?.status === 'erased') throw new SubjectRetired(subjectId);
    return write(tx);
  });
}

/**
 * A mail sender's own subject that nothing names any more (SQL over `t`, subjects; $1 a cutoff timestamp): only
 * `mail-` references, created before the cutoff, and no case, contact, held mail, intake or request of its own.
 */
export const IDLE_MAIL_SENDER = `t.status = 'active' AND t.created_at < $1::timestamp
  AND EXISTS (SELECT 1 FROM subject_refs r WHERE r.subject_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM subject_refs r WHERE r.subject_id = t.id AND NOT (r.kind = 'storefront_customer' AND r.value LIKE 'mail-%'))
  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.subject_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM parties p WHERE p.subject_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM inbound_mail_quarantine q WHERE q.subject_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM mail_intakes m WHERE m.subject_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM personal_data_requests x WHERE x.subject_id = t.id)`;

/**
 * Retires a mail sender's own subject once nothing names it (the daily purge, rule heldMail): under its lock, checked
 * again, its references deleted (the keyed hash of the address goes), its data key destroyed, the row marked erased.
 * A mail from the same address later gets a new subject. True when retired now.
 */
export async function retireMailSender(db: Db, subjectId: string, cutoff: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    await lockSubject(tx, subjectId);
    const idle = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT t.id FROM subjects t WHERE t.id = $2 AND ${IDLE_MAIL_SENDER}`, cutoff, subjectId);
    if (idle.length === 0) return false;
    await tx.$executeRaw`DELETE FROM subject_refs WHERE subject_id = ${subjectId}`;
    await tx.$executeRaw`
      INSERT INTO subject_keys (subject_id, wrapped_key, master_key_id, created_at, destroyed_at)
      VALUES (${subjectId}, NULL, 'none', timezone('UTC', now()), timezone('UTC', now()))
      ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, destroyed_at = timezone('UTC', now()) WHERE subject_keys.wrapped_key IS NOT NULL`;
    await tx.$executeRaw`UPDATE subjects SET status = 'erased', erased_at = timezone('UTC', now()) WHERE id = ${subjectId}`;
    return true;
  });
}
