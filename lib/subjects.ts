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
