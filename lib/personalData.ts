// The personal-data inventory (policy 1.3, 2.2-2.4; PIPL arts. 19, 28, 47): every table and column of the Prisma schema,
// and every store outside PostgreSQL, declared once with what it holds. A personal column has a category, a purpose
// and a retention (the period, its clause, erasable or kept by law); a column without personal data says why. Each
// table says how to find a subject's rows (an SQL predicate over the row `t`, $1 the subject id: lib/subjects.ts).
// Exports, erasure, the retention purge and breach scoping run from here; test/unit/personalData.test.ts fails when
// the schema has a model or column this file does not classify, or this file names one the schema lacks.
import type { BlindIndexPurpose } from './blindIndex';
import type { Db, Prisma } from './db';
import { IDLE_MAIL_SENDER } from './subjects';

export const personalCategories = [
  /** Who the person is: a name, a username, a customer reference, a family relation. */
  'identity',
  /** How to reach the person: e-mail, mobile, locale. */
  'contact',
  /** An identity document: ID number (keyed hash), its last four, the birth date read from it, a document photo. */
  'id_document',
  /** Biometric: the face image and the face match (PIPL art. 28: sensitive). */
  'biometric',
  /** The person's own words or files: messages, descriptions, file names, mail bodies. */
  'free_text',
  /** What the person bought, paid, sent or got back: orders, amounts, payment and parcel references. */
  'transaction',
  /** A device the person owns, by serial number or IMEI. */
  'device',
  /** Secrets that authenticate the person (stored hashed only): password, one-time codes. */
  'credential',
  /** Technical data about the person: keyed hashes used for limits, delivery errors, message ids. */
  'technical',
] as const;
export type PersonalCategory = (typeof personalCategories)[number];

/** What happens to data at the end of its period or on an erasure request (PIPL art. 47, policy 2.4.1). */
export type Disposal = 'erase' | 'keep_by_law';

export interface Retention {
  /** The period, in words. */
  period: string;
  /** Its length in days where it is a fixed number (the purge counts from `from`); null: it ends with an event. */
  days: number | null;
  /**
   * The same period counted in months (a year is 12) where the law counts it in years or months: a kept record's end
   * is then counted like the law, to the corresponding day (民法典 arts. 201-203, monthPeriodEndsAt; lib/keptRecords.ts).
   */
  months?: number;
  /** What the period counts from, or the event that ends it. */
  from: string;
  /** The policy sections and law articles it comes from. */
  clause: string;
  /** erase: erased on request and at the end of the period; keep_by_law: kept for the period even on request (stripped to the minimum), then purged. */
  disposal: Disposal;
  /** For keep_by_law: the law that requires keeping it. */
  law?: string;
  /**
   * What the daily retention purge (activities/retention.ts, the Schedule `retention-purge`) does with the rows past a
   * finite period (`days`), table by table. A finite period without it says why in `notPurged`.
   */
  purge?: readonly PurgeStep[];
  notPurged?: string;
}

/**
 * One table's part of a retention rule's purge. `due` is an SQL predicate over the row `t`: past its period and not yet
 * disposed of, so a step run again (a retry, the next day) finds only what is left. $1 is the cutoff, a UTC timestamp:
 * the start of the local day `days` days before the run's day (the period counted like the law, from the next day to
 * 24:00 of its last, 民法典 art. 201), $2 the same day as YYYY-MM-DD; $4 the run's own local day (YYYY-MM-DD), for rows
 * that carry the day their period ends (cases.purge_on).
 */
export interface PurgeStep {
  /** An inventory table whose rows carry the rule. */
  table: string;
  due: string;
  /**
   * delete: the rows go. eraseRegistration: the registration's erasure (activities/registration.ts erasePersonalData:
   * the personal columns stripped, its codes, identity, texts, party and guardian deleted, audited on its case).
   * eraseRealNameIdentity: a later real-name verification's identity (eraseIdentity, audited on its case).
   * purgeExports: expired personal-data exports with their archives' blobs (lib/subjectExport.ts purgeExpiredExports).
   * purgeKeptCaseRecord: a case record an erasure kept by law, past the day it carries (cases.purge_on): its rows in
   * every inventory table (lib/keptRecords.ts purgeKeptCaseRecord), audit trail included.
   * purgeHeldMails: held mails deleted, then their blobs (raw message, HTML, files) that no other row needs.
   * retireMailSenders: a mail sender's own subject that nothing names any more (lib/subjects.ts retireMailSender):
   * its references deleted, its key destroyed, the row marked erased.
   */
  action: 'delete' | 'eraseRegistration' | 'eraseRealNameIdentity' | 'purgeExports' | 'purgeKeptCaseRecord' | 'purgeHeldMails' | 'retireMailSenders';
}

const THREE_YEARS = 3 * 365 + 1;

/** A registration case's retention has ended: the erasureAt it recorded has passed, or, without one, it closed before the cutoff. */
const retentionEnded = (caseId: string, closedAt: string) => {
  const scheduled = `SELECT 1 FROM audit_events e WHERE e.case_id = ${caseId} AND e.type = 'registration.retention_scheduled'`;
  return `(EXISTS (${scheduled} AND (e.payload->>'erasureAt')::timestamptz <= now()) OR (${closedAt} < $1::timestamp AND NOT EXISTS (${scheduled})))`;
};

/** The retention periods, with their clauses (README "Personal data: subjects and the inventory"). */
export const retentions = {
  transactionRecord: {
    period: '3 years after the transaction (the case) is completed',
    days: THREE_YEARS,
    months: 36,
    from: 'cases.closed_at',
    clause: '电子商务法 art. 31 (商品和服务信息、交易信息 kept at least 3 years from the completion of the transaction); policy 2.2.1 (storage periods set by law)',
    disposal: 'keep_by_law',
    law: '电子商务法 art. 31',
    // Every closed case record carries the first day after its period (cases.purge_on, lib/keptRecords.ts: an erased
    // subject's, stripped, dated at the erasure; the others dated by this step); past it the case record goes whole,
    // with the files only it held. An account's own record (a registration case) waits for its subject's erasure.
    purge: [{ table: 'cases', due: 't.purge_on IS NOT NULL AND t.purge_on <= $4::date', action: 'purgeKeptCaseRecord' }],
  },
  repairRecord: {
    period: '3 years after the repair',
    days: THREE_YEARS,
    months: 36,
    from: 'repair_item_history.completed_at',
    clause: '部分商品修理更换退货责任规定 (三包) arts. 10-11 (the repair record decides a later replacement or return); 电子商务法 art. 31; policy 2.2.1',
    disposal: 'keep_by_law',
    law: '电子商务法 art. 31; 三包规定 art. 11',
    notPurged: 'with its case record (transactionRecord: purgeKeptCaseRecord) once the case record is past its day, counted from the case’s close (never before the repair’s)',
  },
  consentProof: {
    period: 'while the processing it allowed goes on, and 3 years after its withdrawal or the account’s end',
    days: THREE_YEARS,
    from: 'registration_consents.withdrawn_at, or the registration’s erasure',
    clause: 'PIPL arts. 14, 29-31 (a separate consent the processor must be able to show); 民法典 art. 188 (3-year limitation); policy 2.1 (同意原则)',
    disposal: 'keep_by_law',
    law: 'PIPL arts. 29-31 (proof of the separate consent)',
    purge: [{ table: 'registration_consents', due: 't.withdrawn_at < $1::timestamp OR t.registration_id IN (SELECT id FROM registrations WHERE personal_data_erased_at < $1::timestamp)', action: 'delete' }],
  },
  caseEvidence: {
    period: 'with the case: 3 years after it closes, unless the subject asks for erasure earlier',
    days: THREE_YEARS,
    from: 'cases.closed_at',
    clause: 'PIPL art. 19 (the shortest period the purpose needs: the case and the claims it may lead to, 民法典 art. 188); PIPL art. 47 and policy 2.4.1 (erased on request)',
    disposal: 'erase',
    notPurged: 'erased on request by the personal-data requests (lib/subjectErasure.ts); otherwise it goes with its case record (transactionRecord: purgeKeptCaseRecord) on the first day after the period, files included',
  },
  contact: {
    period: 'while the subject has an open case or an active account',
    days: null,
    from: 'the last case closed and no active account',
    clause: 'PIPL art. 19 (the shortest period necessary), art. 47(1) (the purpose is met); policy 2.2.1, 2.4.1',
    disposal: 'erase',
  },
  account: {
    period: 'while the account is active; erased when it is cancelled',
    days: null,
    from: 'the account’s cancellation',
    clause: 'PIPL art. 47(1)-(2) (purpose met, service ended); policy 2.4.1; 网络安全法 art. 43',
    disposal: 'erase',
  },
  registration: {
    period: 'a rejected registration 30 days after the decision (registration.rejectedRetentionDays), an abandoned or withdrawn one at once; an approved one becomes the account’s',
    days: 30,
    from: 'registrations.closed_at (rejected)',
    clause: 'policy 2.4.1; PIPL art. 19, 47 (erase once the purpose is met); PIPL art. 24, 50 (time to contest a refusal)',
    disposal: 'erase',
    purge: [
      // A rejected registration's data at the end the case recorded at the decision (registration.retention_scheduled
      // { erasureAt }, the policy's rejectedRetentionDays, which the applicant was told); a case without it (its own
      // timer erases it too, under the same key) 30 days after it closed.
      { table: 'registrations', due: `t.status = 'rejected' AND t.personal_data_erased_at IS NULL AND ${retentionEnded('t.id', 't.closed_at')}`, action: 'eraseRegistration' },
      // A later real-name verification refused: the identity it collected, never a verified account's.
      {
        table: 'registration_identities',
        due: `t.registration_id IN (SELECT r.id FROM registrations r JOIN cases c ON c.id = r.real_name_case_id WHERE r.status = 'approved' AND c.outcome = 'rejected' AND ${retentionEnded('c.id', 'c.closed_at')}) AND NOT EXISTS (SELECT 1 FROM user_accounts a WHERE a.registration_id = t.registration_id AND a.real_name_verified_at IS NOT NULL)`,
        action: 'eraseRealNameIdentity',
      },
    ],
  },
  sensitiveIdentity: {
    period: 'with the registration or account it verified; erased at once when the separate consent is withdrawn',
    days: null,
    from: 'the consent’s withdrawal, or the registration’s or account’s end',
    clause: 'PIPL arts. 28-29 (sensitive personal information, separate consent), art. 15 (withdrawal), arts. 19, 47; policy 1.2, 1.3, 2.4.1',
    disposal: 'erase',
  },
  verificationSms: {
    period: '30 days after sending',
    days: 30,
    from: 'sms_outbox.created_at',
    clause: 'PIPL art. 19 (a code is worthless once it expires; the log shows abuse for a short while); policy 1.2 (mobile verification)',
    disposal: 'erase',
    purge: [{ table: 'sms_outbox', due: 't.created_at < $1::timestamp', action: 'delete' }],
  },
  rateCounter: {
    period: 'the calendar day it counts, and the next',
    days: 2,
    from: 'sms_daily_counters.day',
    clause: 'PIPL art. 19; policy registration.smsDailyCap (SMS abuse)',
    disposal: 'erase',
    purge: [
      { table: 'sms_daily_counters', due: 't.day < $2', action: 'delete' },
      { table: 'webhook_nonces', due: 't.expires_at < $1::timestamp', action: 'delete' },
    ],
  },
  heldMail: {
    period: 'until an agent releases or discards it, then 30 days',
    days: 30,
    from: 'inbound_mail_quarantine.decided_at',
    clause: 'PIPL art. 19 (kept only to decide where it belongs); policy 2.2.1',
    disposal: 'erase',
    // mail_intakes (the same rule) are deleted at their expiry by processes/mailIntake.ts, their files' blobs with them.
    // A held mail goes with its raw message, its HTML and its files, once no other row needs those blobs. Then the
    // subjects of senders nobody knew (lib/subjects.ts mailSenderRef) that no row names any more are retired.
    purge: [
      { table: 'inbound_mail_quarantine', due: 't.decided_at IS NOT NULL AND t.decided_at < $1::timestamp', action: 'purgeHeldMails' },
      { table: 'subjects', due: IDLE_MAIL_SENDER, action: 'retireMailSenders' },
    ],
  },
  subjectRecord: {
    period: 'while any row points to the subject; at erasure its references go, the subject row stays as erased (no personal data)',
    days: null,
    from: 'the subject’s erasure',
    clause: 'PIPL art. 47; policy 2.4.1 (徹底刪除: nothing links the opaque id back to the person)',
    disposal: 'erase',
  },
  staffAccess: {
    period: 'while the API key exists, and 3 years after its revocation (the audit trail names its actors)',
    days: THREE_YEARS,
    from: 'principals.revoked_at',
    clause: 'policy 2.2.2 (授權訪問: who accessed what is controlled and recorded); 电子商务法 art. 31 (the records of the transactions they acted on)',
    disposal: 'keep_by_law',
    law: '电子商务法 art. 31 (the actors of the kept transaction records)',
    notPurged: 'a revoked key’s holder name stays while the audit trail names its actors: purged with the case records it acted on',
  },
  accessRecord: {
    period: '3 years after the read',
    days: THREE_YEARS,
    from: 'personal_data_reads.at',
    clause: 'policy 2.2.2 (授權訪問: who read which personal data is recorded); 网络安全法 art. 21 (logs kept at least 6 months); PIPL art. 54 (compliance audits read it)',
    disposal: 'keep_by_law',
    law: '网络安全法 art. 21 (network logs); PIPL art. 54',
    purge: [{ table: 'personal_data_reads', due: 't.at < $1::timestamp', action: 'delete' }],
  },
  requestRecord: {
    period: '3 years after the request was answered: the proof that a request was handled, how and when',
    days: THREE_YEARS,
    from: 'personal_data_requests.answered_at',
    clause: 'PIPL art. 50 (requests handled and refusals reasoned, which the processor must be able to show), art. 54 (compliance audits); 民法典 art. 188 (3-year limitation)',
    disposal: 'keep_by_law',
    law: 'PIPL arts. 50, 54 (proof of the handling)',
    // The request's row and its corrections' fingerprints (the request's case record is the transaction record's).
    purge: [
      { table: 'personal_data_corrections', due: 't.case_id IN (SELECT case_id FROM personal_data_requests WHERE answered_at < $1::timestamp)', action: 'delete' },
      { table: 'personal_data_requests', due: 't.answered_at < $1::timestamp', action: 'delete' },
    ],
  },
  dataExport: {
    period: 'until the download link expires (7 days by default), then purged with its archive',
    days: 0,
    from: 'data_exports.expires_at',
    clause: 'PIPL art. 45 (a copy for the person, on request), art. 19 (kept no longer than the delivery needs); policy 2.2.1, 2.4',
    disposal: 'erase',
    // The row and its archive's blob together (lib/subjectExport.ts purgeExpiredExports).
    purge: [{ table: 'data_exports', due: 't.expires_at < $1::timestamp', action: 'purgeExports' }],
  },
} as const satisfies Record<string, Retention>;
export type RetentionId = keyof typeof retentions;

export type ColumnClass =
  | {
      category: PersonalCategory;
      purpose: string;
      retention?: RetentionId;
      /** Sealed at rest (lib/sealedFields.ts) with this subject's data key: whose key, in words. */
      sealedWith?: string;
      /** Kept in clear at rest, and why (a column of a category in SEALED_CATEGORIES must say one or the other). */
      inClear?: string;
    }
  | { category: 'none'; why: string };

/**
 * The categories stored encrypted with the subject's key (policy 1.3, 2.2.1, 6.3.1): names, contact data and the
 * person's own words. Every column of these categories is `sealed(…)` or kept `inClear(…)` with the reason
 * (atRestProblems; test/unit/personalData.test.ts).
 */
export const SEALED_CATEGORIES: readonly PersonalCategory[] = ['identity', 'contact', 'free_text'];

export interface TableInventory {
  /** The Prisma model and its table. */
  model: string;
  table: string;
  /** What a row is. */
  holds: string;
  /** The retention of the row's personal columns (a column may name its own). */
  retention: RetentionId;
  /**
   * How to find a subject's rows: an SQL predicate over the row `t`, $1 the subject id. null: the table is not
   * searched by subject (no personal data, or not a subject's: `notBySubject` says why).
   */
  subject: string | null;
  notBySubject?: string;
  /**
   * How to find a case record's rows in this table, for the purge of a kept case record (lib/keptRecords.ts): an SQL
   * predicate over `t`, $1 the case id. Absent: `t.case_id = $1` when the table has that column (`t.id = $1` for cases
   * itself); null: never part of a case record.
   */
  ofCase?: string | null;
  /** Every column, by its database name. */
  columns: Record<string, ColumnClass>;
}

/** A store outside PostgreSQL's rows that can hold a subject's data. */
export interface StoreInventory {
  store: string;
  where: string;
  holds: string;
  categories: PersonalCategory[];
  retention: RetentionId;
  /** SQL answering the keys under which the subject's data sits there (column `key`), $1 the subject id; null: nothing to find. */
  locate: string | null;
  /** What the keys are, and what erasure or export must do with them. */
  keys: string;
}

const pd = (category: PersonalCategory, purpose: string, retention?: RetentionId): ColumnClass => ({ category, purpose, ...(retention && { retention }) });
const none = (why: string): ColumnClass => ({ category: 'none', why });
/** A personal column sealed at rest with a subject's data key (lib/sealedFields.ts). */
const sealed = (c: ColumnClass, key: string): ColumnClass => (c.category === 'none' ? c : { ...c, sealedWith: key });
/** A personal column of a SEALED_CATEGORIES category kept in clear at rest, with the reason. */
const inClear = (c: ColumnClass, why: string): ColumnClass => (c.category === 'none' ? c : { ...c, inClear: why });
const CUSTOMER_KEY = 'the customer’s (the row’s or its case’s subject)';
/** Why an opaque reference stays clear. */
const OPAQUE_REF = 'an opaque reference (random, never derived from personal data): the key rows are found and joined by; it names the person only through subject_refs, which erasure deletes';
/** A clear column the backfill empties (lib/sealingBackfill.ts), dropped by a later migration. */
const LEGACY_CLEAR = 'written only before sealing: the backfill (lib/sealingBackfill.ts) moves its value to the sealed column and nulls it; no code writes it; dropped by a later migration';
/** Whose key seals a held mail: the subject it is filed under (processes/inboundMail.ts). */
const HELD_MAIL_KEY = 'the subject it is filed under (the case’s customer its token named, the known customer whose address sent it, or else the sender’s own subject, lib/subjects.ts mailSenderRef); only a mail with no sender address at all (a bounce) has no subject and stays clear (30 days after the decision, heldMail)';
/** A held mail's or an intake's files (JSON): the sealed names and where the sealed bytes are. */
const MAIL_FILES = 'each file’s name is sealed with the row’s subject’s key inside the JSON; its bytes are a sealed blob of their own (blobKey); type, size and hash stay readable for the checks and the agent’s list';
/** Whose key seals an e-mail intake: its sender's subject (processes/mailIntake.ts). */
const MAIL_INTAKE_KEY = 'the sender’s subject: the customer whose contact the address is, else the sender’s own (lib/subjects.ts mailSenderRef), under which a complaint they confirm is theirs';
/** Several columns without personal data, for one reason. */
const nones = (why: string, ...columns: string[]): Record<string, ColumnClass> => Object.fromEntries(columns.map((c) => [c, none(why)]));

const ids = 'an opaque id or reference to another row';
const enums = 'an enum, code or flag of the process';
const times = 'a time of the row’s life; personal only through the row, which its subject predicate finds';
const money = 'an amount or currency of the transaction';

/** A subject's own rows. */
const OWN = 't.subject_id = $1';
/** The rows of the subject's cases (the customer's). */
const OF_CASES = 't.case_id IN (SELECT id FROM cases WHERE subject_id = $1)';
/** The rows of the subject's registrations. */
const OF_REGISTRATIONS = 't.registration_id IN (SELECT id FROM registrations WHERE subject_id = $1)';
/**
 * The subject's e-mail addresses, lower case: what a mail they sent carries before any case names them (an e-mail
 * intake's confirmation, a mail held without a valid token).
 */
const SUBJECT_ADDRESSES = `(SELECT lower(email) FROM parties WHERE subject_id = $1 AND email IS NOT NULL UNION SELECT lower(email) FROM registrations WHERE subject_id = $1 AND email IS NOT NULL)`;
/** The subject's held mails (inbound_mail_quarantine) and e-mail intakes (mail_intakes): their rows and their blobs. */
const HELD_MAIL_OF_SUBJECT = `t.subject_id = $1 OR lower(t.from_address) IN ${SUBJECT_ADDRESSES} OR lower(t.mail_from) IN ${SUBJECT_ADDRESSES}`;
// An intake's sender: its subject, its case's, or the blind index of the address (the contact in parties is sealed), or in clear for rows written before.
const INTAKE_OF_SUBJECT = `t.subject_id = $1 OR t.case_id IN (SELECT id FROM cases WHERE subject_id = $1) OR t.from_index IN (SELECT email_index FROM parties WHERE subject_id = $1 AND email_index IS NOT NULL) OR lower(t.from_address) IN ${SUBJECT_ADDRESSES}`;
/** The blobs a held mail's or an intake's files (`t.attachments`) are kept in: each file's sealed blob, or its clear one. */
export const HELD_FILE_BLOBS = `ARRAY(SELECT coalesce(f->>'blobKey', f->>'sha256') FROM jsonb_array_elements(t.attachments) f WHERE f ? 'sha256')`;
/** The blobs a held mail (`t`, inbound_mail_quarantine) is kept in: the raw message, the HTML part (sealed or clear), its files. */
export const HELD_MAIL_BLOBS = `array_remove(ARRAY[t.raw_sha256, coalesce(t.html_blob_key, t.html_sha256)] || ${HELD_FILE_BLOBS}, NULL)`;
/** The references that name the subject as a customer (cases.customer_id, parties.id, notifications.recipient_id). */
const CUSTOMER_REFS = `(SELECT value FROM subject_refs WHERE subject_id = $1 AND kind IN ('storefront_customer', 'account'))`;

export const personalDataInventory: readonly TableInventory[] = [
  {
    model: 'Principal',
    table: 'principals',
    holds: 'An API caller (a storefront, a merchant system, a staff member’s key)',
    retention: 'staffAccess',
    subject: null,
    notBySubject: 'staff and systems, not customers: their names are kept for the access record (policy 2.2.2), outside subject requests',
    columns: {
      name: inClear(pd('identity', 'the key’s holder as the access record shows it (policy 2.2.2)'), 'staff and systems, not a data subject with a key: the access record must name them after any erasure'),
      ...nones(ids, 'id', 'merchant_id'),
      ...nones(enums, 'role', 'scopes'),
      ...nones(times, 'created_at', 'revoked_at'),
    },
  },
  {
    model: 'ApiKey',
    table: 'api_keys',
    holds: 'The bearer keys of a principal, as hashes: expiry, revocation and last use',
    retention: 'staffAccess',
    subject: null,
    notBySubject: 'keys of staff and systems, not of customers',
    columns: {
      ...nones(ids, 'id', 'principal_id'),
      ...nones('a hash or prefix of the API key, a system credential', 'key_hash', 'key_prefix'),
      ...nones(times, 'created_at', 'expires_at', 'revoked_at', 'last_used_at'),
    },
  },
  {
    model: 'PrincipalEvent',
    table: 'principal_events',
    holds: 'The audit trail of principals and their keys (created, rotated, revoked; by whom)',
    retention: 'staffAccess',
    subject: null,
    notBySubject: 'about staff and systems’ access, not customers',
    columns: {
      ...nones(ids, 'id', 'principal_id', 'key_id', 'actor'),
      ...nones(enums, 'type'),
      ...nones(times, 'at'),
      detail: none('key prefixes, expiry and rotation times: no personal data'),
    },
  },
  {
    model: 'Subject',
    table: 'subjects',
    holds: 'A data subject: an opaque random id, never derived from personal data',
    retention: 'subjectRecord',
    subject: 't.id = $1',
    columns: {
      ...nones('opaque random id, kind and status: nothing about the person', 'id', 'kind', 'status'),
      ...nones(ids, 'processing_stopped_by'),
      ...nones(times, 'created_at', 'erased_at'),
    },
  },
  {
    model: 'SubjectRef',
    table: 'subject_refs',
    holds: 'How the outside world names a subject: a storefront’s customer reference, an account, a guardian record',
    retention: 'subjectRecord',
    subject: OWN,
    columns: {
      value: inClear(pd('identity', 'the reference a storefront or the platform names the person by (pseudonymous: linked to the person in the storefront’s own records)'), `${OPAQUE_REF}; looked up by equality on every opening`),
      ...nones(enums, 'kind'),
      ...nones(ids, 'subject_id'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'Party',
    table: 'parties',
    holds: 'Contact data of a customer (by subject), a merchant (a business), or the sender of an e-mail intake (its confirmation’s recipient)',
    retention: 'contact',
    // An e-mail intake's sender (kind mail_intake, id the intake) carries the subject once known: a known customer's
    // address at receipt, the opened case's customer at the confirmation (processes/mailIntake.ts). One indexed
    // predicate: breach scoping runs it once per subject.
    subject: OWN,
    columns: {
      id: inClear(pd('identity', 'the customer’s reference (a merchant’s id for merchant rows)'), OPAQUE_REF),
      // A row without a subject (a merchant, a business; an unconfirmed mail sender, kind mail_intake) keeps them clear.
      display_name: sealed(pd('identity', 'the name notices address'), CUSTOMER_KEY),
      email: sealed(pd('contact', 'notices about the customer’s cases (policy 6.1), matching a reply’s sender'), CUSTOMER_KEY),
      email_index: pd('technical', 'the e-mail’s keyed blind index (lib/blindIndex.ts): the customer an e-mail comes from'),
      locale: inClear(pd('contact', 'the language of notices'), 'zh-CN or en: an enum the outbox renders with, which says nothing about who the person is'),
      ...nones(enums, 'kind'),
      ...nones(ids, 'subject_id'),
      ...nones(times, 'updated_at'),
    },
  },
  {
    model: 'Case',
    table: 'cases',
    holds: 'A case of any process: the read model',
    retention: 'transactionRecord',
    subject: OWN,
    columns: {
      customer_id: inClear(pd('identity', 'the storefront’s customer reference or the account’s user ref: who the case is for'), `${OPAQUE_REF}; the workflow input carries it too`),
      summary: pd('transaction', 'the order, amounts and choices the case is about (ids, enums and amounts: the workflow input)'),
      ...nones(ids, 'id', 'subject_id', 'merchant_id', 'workflow_id', 'opened_by', 'task_queue'),
      ...nones(enums, 'type', 'status', 'step', 'policy_version', 'outcome', 'deadlines', 'deadlines_version'),
      ...nones(times, 'workflow_started_at', 'created_at', 'updated_at', 'closed_at', 'purge_on'),
      closing: none('the payload of the event that closed the case: outcome and rating codes'),
      facets: none('the enums its process’s reports group by (a complaint’s category and channel)'),
    },
  },
  {
    model: 'CaseParty',
    table: 'case_parties',
    holds: 'A party reference of a case: the storefront that opened it, a rights holder a notice names (organisations)',
    retention: 'transactionRecord',
    subject: null,
    notBySubject: 'references of organisations (storefronts, rights holders), never a customer: the customer is cases.subject_id',
    columns: nones('a reference of an organisation the case is scoped to', 'case_id', 'kind', 'value'),
  },
  {
    model: 'Task',
    table: 'tasks',
    holds: 'A human step of a case',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      result: pd('transaction', 'what the person who completed the step decided (reason codes, amounts, choices)'),
      ...nones(ids, 'id', 'case_id', 'merchant_id', 'assignee_id', 'completed_by'),
      ...nones(enums, 'case_type', 'type', 'role', 'status', 'sla_name', 'escalated', 'resolution'),
      ...nones(times, 'due_at', 'escalated_at', 'reminded_at', 'created_at', 'completed_at'),
    },
  },
  {
    model: 'TaskNote',
    table: 'task_notes',
    holds: 'A staff note on a task',
    retention: 'caseEvidence',
    ofCase: 't.task_id IN (SELECT id FROM tasks WHERE case_id = $1)',
    subject: 't.task_id IN (SELECT id FROM tasks WHERE case_id IN (SELECT id FROM cases WHERE subject_id = $1))',
    columns: { body: sealed(pd('free_text', 'staff’s notes on the case (may name or describe the customer)'), CUSTOMER_KEY), ...nones(ids, 'id', 'task_id', 'author_id'), ...nones(times, 'created_at') },
  },
  {
    model: 'AuditEvent',
    table: 'audit_events',
    holds: 'The hash-chained timeline of a case: payloads carry ids and enums only',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      actor: inClear(pd('identity', 'who acted: a principal id, `system`, or the customer’s reference for a reply by e-mail (opaque: linked to the person only through subject_refs)'), `${OPAQUE_REF}; part of the hash chain, which cannot change`),
      ...nones(ids, 'id', 'case_id', 'event_key'),
      ...nones('ids and enums only (README: PII by reference); the chain’s hashes', 'payload', 'prev_hash', 'hash'),
      ...nones(enums, 'seq', 'type'),
      ...nones(times, 'at'),
    },
  },
  {
    model: 'Notification',
    table: 'notifications',
    holds: 'The e-mail outbox: one row per case, milestone and recipient (the address is read from parties when sent)',
    retention: 'transactionRecord',
    subject: `t.recipient_kind = 'customer' AND t.recipient_id IN ${CUSTOMER_REFS}`,
    columns: {
      recipient_id: inClear(pd('identity', 'the customer (or merchant) the notice went to: proof the notice was given (policy 6.1)'), `${OPAQUE_REF}; the address itself is read from parties (sealed) when sent, never held here`),
      last_error: pd('technical', 'why a delivery failed (an SMTP answer may quote the address)', 'contact'),
      message_id: pd('technical', 'the Message-ID of the e-mail sent: proof of delivery'),
      ...nones(ids, 'id', 'case_id', 'event_key', 'queue', 'queued_seq'),
      ...nones(enums, 'template', 'recipient_kind', 'locale', 'status', 'attempts', 'receipt'),
      ...nones('template parameters: ids and enums only (as in the workflow history)', 'params'),
      ...nones(times, 'created_at', 'sent_at', 'event_at', 'next_attempt_at', 'claimed_at', 'receipt_signalled_at'),
    },
  },
  {
    model: 'Payment',
    table: 'payments',
    holds: 'A money movement of a case (refund, shipping paid, voucher)',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      payment_ref: pd('transaction', 'the order’s payment reference: the refund goes back the way it was paid'),
      gateway_ref: pd('transaction', 'the gateway’s reference of the movement'),
      amount_minor: pd('transaction', 'what was paid back'),
      ...nones(ids, 'id', 'case_id', 'idempotency_key'),
      ...nones(enums, 'kind', 'payer', 'currency', 'status', 'route'),
      ...nones(times, 'created_at', 'updated_at'),
    },
  },
  {
    model: 'SimulatedGatewayCharge',
    table: 'simulated_gateway_ledger',
    holds: 'The simulated payment gateway’s own ledger (development and tests)',
    retention: 'transactionRecord',
    subject: null,
    notBySubject: 'a simulation of the gateway’s side: keys and amounts, linked to no person',
    columns: nones('the simulated gateway’s idempotency key, reference, operation and amount', 'idempotency_key', 'ref', 'operation', 'amount_minor', 'currency', 'created_at'),
  },
  {
    model: 'IdempotencyRecord',
    table: 'idempotency_records',
    holds: 'A storefront’s idempotency key and the case it opened',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      request_hash: pd('technical', 'a keyed HMAC of the opening body (which held contact data): compares a replayed request, reveals nothing'),
      ...nones(ids, 'principal_id', 'key', 'case_id'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'RepairRequest',
    table: 'repair_requests',
    holds: 'A warranty repair’s details',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      description: sealed(pd('free_text', 'the customer’s description of the fault (policy 7.1)', 'caseEvidence'), CUSTOMER_KEY),
      dispute_text: sealed(pd('free_text', 'the customer’s own words on a damage dispute', 'caseEvidence'), CUSTOMER_KEY),
      hand_over_reference: pd('transaction', 'the tracking number or drop-off receipt of the item sent in'),
      return_tracking: pd('transaction', 'the tracking number of the item sent back'),
      order_id: pd('transaction', 'the order the item was bought in'),
      line_item_id: pd('transaction', 'the order line'),
      product_ref: pd('transaction', 'what was bought'),
      delivered_at: pd('transaction', 'when the customer got the item (the warranty counts from it)'),
      quote_amount_minor: pd('transaction', 'the repair’s quote'),
      paid_amount_minor: pd('transaction', 'what the customer paid'),
      rating: pd('transaction', 'the customer’s rating of the repair'),
      ...nones(ids, 'case_id', 'item_id'),
      ...nones(enums, 'problem_category', 'warranty_months', 'in_warranty', 'quote_currency', 'quote_decision', 'hand_over_method', 'hand_over_carrier', 'result', 'remedy', 'remedy_decision', 'return_carrier', 'feedback', 'paid_currency', 'entitlement', 'remedy_choice', 'arrival_source', 'fault_code', 'damage_dispute'),
      ...nones(times, 'requested_at', 'warranty_ends_at', 'received_at', 'created_at', 'updated_at'),
    },
  },
  {
    model: 'RepairItem',
    table: 'repair_items',
    holds: 'An item sent for repair, by serial number or IMEI',
    retention: 'repairRecord',
    // The item's record goes with the last case that repaired it.
    ofCase: 't.id IN (SELECT item_id FROM repair_requests WHERE case_id = $1) AND NOT EXISTS (SELECT 1 FROM repair_requests o WHERE o.item_id = t.id AND o.case_id <> $1)',
    subject: 't.id IN (SELECT item_id FROM repair_requests WHERE case_id IN (SELECT id FROM cases WHERE subject_id = $1))',
    columns: {
      identifier: pd('device', 'the serial number or IMEI: repairs are recorded per item (三包 art. 11)'),
      ...nones(ids, 'id', 'product_ref'),
      ...nones(enums, 'identifier_kind'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'RepairItemHistory',
    table: 'repair_item_history',
    holds: 'The repair record of an item',
    retention: 'repairRecord',
    subject: OF_CASES,
    columns: {
      notes: inClear(pd('free_text', 'the technician’s notes (may describe the customer’s item and use)'), 'the technician’s words on the item’s repair record, kept by law (三包 art. 11) with the item after the customer’s erasure: not sealed with a key that erasure destroys'),
      evidence_refs: pd('transaction', 'the evidence the record rests on (attachment ids)'),
      ...nones(ids, 'id', 'item_id', 'case_id', 'event_key', 'technician_id'),
      ...nones(enums, 'problem_category', 'fault_code', 'result', 'parts_used', 'in_warranty'),
      ...nones(times, 'arrived_at', 'completed_at', 'created_at'),
    },
  },
  {
    model: 'RepairExternalRecord',
    table: 'repair_external_records',
    holds: 'Another repairer’s record the customer attached',
    retention: 'repairRecord',
    subject: OF_CASES,
    columns: {
      repairer_ref: pd('transaction', 'the repairer and its record’s reference, as the customer gave them'),
      repaired_on: pd('transaction', 'when the item was repaired elsewhere'),
      evidence_ids: pd('transaction', 'the customer’s evidence (attachment ids)'),
      ...nones(ids, 'id', 'item_id', 'case_id', 'reviewed_by'),
      ...nones(enums, 'seq', 'repairer_kind', 'status', 'reason_code'),
      ...nones(times, 'reviewed_at', 'created_at'),
    },
  },
  {
    model: 'Registration',
    table: 'registrations',
    holds: 'A registration: the applicant’s personal data (erased when it does not complete, policy 2.4)',
    retention: 'registration',
    subject: OWN,
    columns: {
      username: inClear(pd('identity', 'the account’s login name, as stored before sealing', 'account'), LEGACY_CLEAR),
      username_sealed: sealed(pd('identity', 'the account’s login name (policy 1.1)', 'account'), 'the applicant’s'),
      username_index: pd('technical', 'the username’s keyed blind index (lib/blindIndex.ts): one registration per username', 'account'),
      full_name: sealed(pd('identity', 'the applicant’s name (policy 1.1)', 'account'), 'the applicant’s'),
      mobile: inClear(pd('contact', 'the mobile number, as stored before sealing', 'account'), LEGACY_CLEAR),
      mobile_sealed: sealed(pd('contact', 'verification codes (policy 1.2)', 'account'), 'the applicant’s'),
      mobile_index: pd('technical', 'the mobile number’s keyed blind index (E.164): one active account per number, a registration by its mobile (policy 1.2)', 'account'),
      email: sealed(pd('contact', 'notices and e-mail verification (policy 1.2)', 'account'), 'the applicant’s'),
      locale: inClear(pd('contact', 'the language of notices', 'account'), 'zh-CN or en: an enum, which says nothing about who the person is'),
      password_hash: pd('credential', 'signing in (scrypt with a per-user salt, never the password)', 'account'),
      declared_birth_date: sealed(pd('identity', 'the minors rules before any ID is given (PIPL art. 28, 31)'), 'the applicant’s'),
      payment_method_token: pd('transaction', 'the bound payment method, tokenised (policy 1.2, 3.2)', 'account'),
      payment_method_token_pending: pd('transaction', 'a token submitted for binding'),
      user_ref: inClear(pd('identity', 'the account’s user ref (names the subject: subject_refs kind account)', 'account'), OPAQUE_REF),
      ...nones(ids, 'id', 'subject_id', 'real_name_case_id'),
      ...nones(enums, 'status', 'agreement_version', 'reason_code', 'minor_safeguards', 'real_name_reason'),
      ...nones(times, 'mobile_verified_at', 'email_verified_at', 'identity_submitted_at', 'payment_bound_at', 'personal_data_erased_at', 'created_at', 'updated_at', 'closed_at'),
    },
  },
  {
    model: 'RegistrationChallenge',
    table: 'registration_challenges',
    holds: 'A one-time SMS code (its HMAC only), with attempts and expiry',
    retention: 'registration',
    subject: OF_REGISTRATIONS,
    columns: {
      code_hash: pd('credential', 'checking the code the applicant types (HMAC only)'),
      ...nones(ids, 'id', 'registration_id'),
      ...nones(enums, 'channel', 'seq', 'attempts', 'max_attempts'),
      ...nones(times, 'expires_at', 'locked_until', 'sent_at', 'verified_at'),
    },
  },
  {
    model: 'RegistrationIdentity',
    table: 'registration_identities',
    holds: 'Real-name verification facts (sensitive: PIPL art. 28)',
    retention: 'sensitiveIdentity',
    subject: OF_REGISTRATIONS,
    columns: {
      id_number_hash: pd('id_document', 'one account per ID number, without keeping the number (keyed hash)'),
      birth_date: pd('id_document', 'the age rules (minors, PIPL art. 31)'),
      id_last4: pd('id_document', 'showing the applicant which document was used'),
      document_type: pd('id_document', 'which document was given'),
      document_image_ref: pd('id_document', 'the document photo a person reviews instead of the face match'),
      face_image_ref: pd('biometric', 'the face image matched against the document (separate consent, PIPL art. 29)'),
      face_result: pd('biometric', 'the face match’s result'),
      risk_flag: pd('id_document', 'whether the ID number is in use by another account'),
      ...nones(ids, 'registration_id'),
      ...nones(enums, 'method'),
      ...nones(times, 'submitted_at', 'checked_at'),
    },
  },
  {
    model: 'SmsOutbox',
    table: 'sms_outbox',
    holds: 'The capture SMS gateway’s messages (the embedded default): every text once per idempotency key',
    retention: 'verificationSms',
    // A personal-data request's identity codes are keyed <case id>:code:<n> (activities/personalDataRequest.ts).
    subject: `${OF_REGISTRATIONS} OR t.registration_id IN (SELECT registration_id FROM registration_guardians WHERE subject_id = $1) OR split_part(t.idempotency_key, ':code:', 1) IN (SELECT case_id FROM personal_data_requests WHERE subject_id = $1)`,
    columns: {
      to_number: inClear(pd('contact', 'where the code went (the applicant’s or the guardian’s mobile)'), 'the capture gateway’s own log (development and tests; a real gateway keeps its log outside): what was handed to the gateway, deleted after 30 days and on erasure'),
      body: pd('credential', 'the text with its one-time code'),
      ...nones(ids, 'idempotency_key', 'registration_id'),
      ...nones(enums, 'purpose'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'UserAccount',
    table: 'user_accounts',
    holds: 'A user account, created when a registration is approved',
    retention: 'account',
    subject: OWN,
    columns: {
      username: inClear(pd('identity', 'the login name, as stored before sealing'), LEGACY_CLEAR),
      username_sealed: sealed(pd('identity', 'the login name'), 'the holder’s'),
      username_index: pd('technical', 'the login name’s keyed blind index: one account per username'),
      minor_safeguards: inClear(pd('identity', 'under 18 when activated: payment limits and other safeguards (未成年人保护法)'), 'a flag, not a name or contact: the payment limits read it on every check'),
      real_name_verified_at: pd('id_document', 'when the real name was verified by ID'),
      ...nones(ids, 'id', 'registration_id', 'subject_id'),
      ...nones(enums, 'status'),
      ...nones(times, 'activated_at', 'created_at'),
    },
  },
  {
    model: 'CalendarYear',
    table: 'calendar_years',
    holds: 'Holiday data imported from State Council notices',
    retention: 'transactionRecord',
    subject: null,
    notBySubject: 'public holiday data',
    columns: nones('public holiday data, the file it came from and the importing principal’s id', 'version', 'year', 'holidays', 'make_up_workdays', 'source', 'imported_by', 'imported_at'),
  },
  {
    model: 'ReturnOrderSnapshot',
    table: 'return_order_snapshots',
    holds: 'The order snapshot of a returned line',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      order_id: pd('transaction', 'the order returned from'),
      line_item_id: pd('transaction', 'the order line'),
      amount_minor: pd('transaction', 'what was paid (the refund is computed from it)'),
      discount_minor: pd('transaction', 'the discount on the line'),
      points_count: pd('transaction', 'loyalty points used'),
      points_value_minor: pd('transaction', 'their value'),
      gift_value_minor: pd('transaction', 'the value of a gift to return'),
      payment_ref: pd('transaction', 'the order’s payment reference: the refund goes back the way it was paid (暂行办法 art. 16)'),
      payment_method: pd('transaction', 'how the customer paid'),
      ...nones(ids, 'case_id'),
      ...nones(enums, 'original_route_open', 'exclusion_confirmed_at_purchase', 'digital_unsealed', 'warranty_months'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'RegistrationConsent',
    table: 'registration_consents',
    holds: 'A separate consent: the purpose, who gave it, the policy and notice hashes, when (proof, no personal data but the relation)',
    retention: 'consentProof',
    subject: `${OF_REGISTRATIONS} OR t.guardian_id IN (SELECT id FROM registration_guardians WHERE subject_id = $1)`,
    columns: {
      guardian_relation: inClear(pd('identity', 'the relation the guardian declared (parent | other_guardian)'), 'an enum (parent | other_guardian), kept as the consent’s proof after the guardian’s key is destroyed'),
      ...nones(ids, 'id', 'registration_id', 'guardian_id'),
      ...nones(enums, 'purpose', 'given_by', 'privacy_policy_version', 'privacy_policy_sha256', 'notice_sha256'),
      ...nones(times, 'given_at', 'withdrawn_at'),
    },
  },
  {
    model: 'RegistrationGuardian',
    table: 'registration_guardians',
    holds: 'The guardian of a child under 14 who registers: a subject of their own',
    retention: 'registration',
    subject: OWN,
    columns: {
      mobile: sealed(pd('contact', 'the guardian’s code (PIPL art. 31)'), 'the guardian’s (clear on a row written before guardians had subjects)'),
      mobile_pending: sealed(pd('contact', 'the number asked for, until the code goes out'), 'the guardian’s'),
      relation: inClear(pd('identity', 'the declared relation to the child'), 'an enum (parent | other_guardian)'),
      account_id: inClear(pd('identity', 'the guardian’s own account, when it proved the guardian an adult'), OPAQUE_REF),
      full_name: sealed(pd('identity', 'the guardian’s name (real-name check)', 'sensitiveIdentity'), 'the guardian’s'),
      id_number_hash: pd('id_document', 'the guardian’s real-name check (keyed hash)', 'sensitiveIdentity'),
      id_last4: pd('id_document', 'the guardian’s real-name check', 'sensitiveIdentity'),
      birth_date: pd('id_document', 'the guardian is an adult (民法典 art. 17)', 'sensitiveIdentity'),
      real_name_result: pd('id_document', 'the real-name check’s result', 'sensitiveIdentity'),
      ...nones(ids, 'id', 'registration_id', 'subject_id'),
      ...nones(enums, 'adult_proof', 'privacy_policy_version', 'privacy_policy_sha256', 'notice_sha256', 'decision'),
      ...nones(times, 'mobile_verified_at', 'decided_at', 'created_at', 'updated_at'),
    },
  },
  {
    model: 'SmsDailyCounter',
    table: 'sms_daily_counters',
    holds: 'SMS codes sent per day per mobile number or client address, by keyed hash',
    retention: 'rateCounter',
    subject: null,
    notBySubject: 'a keyed hash of a mobile number or address, found only by hashing the number again; gone the day after',
    columns: {
      key_hash: pd('technical', 'the daily SMS caps (keyed hash of the mobile number or client address)'),
      ...nones(enums, 'day', 'kind', 'count'),
    },
  },
  {
    model: 'Attachment',
    table: 'attachments',
    holds: 'Evidence attached to a case; the bytes are in the blob store (stores: blobs)',
    retention: 'caseEvidence',
    subject: OWN,
    columns: {
      filename: sealed(pd('free_text', 'the file name the uploader gave'), 'the case customer’s, like the bytes (a name the platform gave, a dossier’s, stays clear)'),
      sha256: inClear(pd('free_text', 'the blob’s key: the bytes (photos, documents) are the customer’s evidence'), 'a hash of the clear bytes, kept to find the blob; the bytes themselves are sealed in the blob store with the case customer’s key (lib/blobs.ts)'),
      // The blob-store key of the sealed bytes (a hash of ciphertext): nothing about the person without the subject's key.
      blob_key: none(ids),
      uploaded_by: inClear(pd('identity', 'who uploaded it: a principal id, or the customer’s reference for a file sent by e-mail'), OPAQUE_REF),
      ...nones(ids, 'id', 'case_id', 'subject_id'),
      ...nones(enums, 'size_bytes', 'content_type', 'uploader_role'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'ThreadMessage',
    table: 'thread_messages',
    holds: 'A message in a case’s thread (the customer’s point to the subject)',
    retention: 'caseEvidence',
    subject: OWN,
    columns: {
      body: sealed(pd('free_text', 'what the customer wrote'), 'the case customer’s, whoever wrote it'),
      author_id: inClear(pd('identity', 'who wrote it (the customer’s reference for a reply by e-mail)'), OPAQUE_REF),
      attachment_ids: inClear(pd('free_text', 'the files sent with it'), 'attachment ids (opaque): the files are sealed in the blob store'),
      ...nones(ids, 'id', 'case_id', 'subject_id'),
      ...nones(enums, 'party', 'author_role'),
      ...nones(times, 'created_at', 'signalled_at'),
    },
  },
  {
    model: 'CaseLink',
    table: 'case_links',
    holds: 'How one case stands to another',
    retention: 'transactionRecord',
    ofCase: 't.from_case_id = $1 OR t.to_case_id = $1',
    subject: null,
    notBySubject: 'ids and a link type: found through the cases themselves',
    columns: { ...nones(ids, 'id', 'from_case_id', 'to_case_id', 'event_key', 'created_by'), ...nones(enums, 'type'), ...nones(times, 'created_at') },
  },
  {
    model: 'CaseParcel',
    table: 'case_parcels',
    holds: 'A parcel a case waits for',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      tracking_number: pd('transaction', 'finding the case from the carrier’s delivery event (the carrier links it to the address)'),
      ...nones(ids, 'case_id'),
      ...nones(enums, 'leg', 'carrier'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'WebhookEvent',
    table: 'webhook_events',
    holds: 'An outside system’s event, once per source and event id',
    retention: 'transactionRecord',
    subject: null,
    notBySubject: 'ids and event types only (the payload is not kept)',
    columns: { ...nones(ids, 'source', 'event_id', 'case_id'), ...nones(enums, 'type'), ...nones(times, 'received_at', 'signalled_at') },
  },
  {
    model: 'WebhookNonce',
    table: 'webhook_nonces',
    holds: 'Nonces of signed webhook requests (replay protection)',
    retention: 'rateCounter',
    subject: null,
    notBySubject: 'random nonces of outside systems',
    columns: nones('a random nonce of a signed request and its expiry', 'source', 'nonce', 'expires_at'),
  },
  {
    model: 'InboundMailQuarantine',
    table: 'inbound_mail_quarantine',
    holds: 'Inbound e-mail held for an agent; the raw message, its HTML and its files are blobs (stores: blobs)',
    retention: 'heldMail',
    // Filed under the subject when its token named their case, else found by the sender's address.
    subject: HELD_MAIL_OF_SUBJECT,
    columns: {
      mail_from: sealed(pd('contact', 'the envelope’s sender'), HELD_MAIL_KEY),
      from_address: sealed(pd('contact', 'the From header’s address (compared with the party’s contact)'), HELD_MAIL_KEY),
      rcpt_to: inClear(pd('contact', 'the addresses it was sent to (reply addresses carry a case token)'), 'only the platform’s own addresses (the listener refuses any other recipient with 550): a reply address names a case and a party by a signed token, never a person’s address'),
      subject: sealed(pd('free_text', 'the mail’s subject line'), HELD_MAIL_KEY),
      text_body: sealed(pd('free_text', 'what the sender wrote'), HELD_MAIL_KEY),
      attachments: inClear(pd('free_text', 'the files’ names, types, sizes and blob keys'), MAIL_FILES),
      html_sha256: none('the hash of the HTML part’s bytes (its blob key when clear)'),
      html_blob_key: none('the key of the sealed blob of the HTML part'),
      raw_sha256: inClear(pd('free_text', 'the blob key of the whole message as received'), 'a key: the message’s bytes are sealed in the blob store with the subject’s key when the mail is filed under one (all but a bounce’s)'),
      message_id: pd('technical', 'the mail’s Message-ID'),
      ...nones(ids, 'id', 'case_id', 'subject_id', 'decided_by', 'thread_message_id'),
      ...nones(enums, 'reason', 'party', 'status'),
      ...nones(times, 'received_at', 'decided_at'),
    },
  },
  {
    model: 'CaseStep',
    table: 'case_steps',
    holds: 'The steps a case went through and when (the read model of the reports, policy 7.4)',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      ...nones(ids, 'id', 'case_id', 'merchant_id'),
      ...nones(enums, 'step', 'next_step', 'case_type', 'facets'),
      ...nones(times, 'entered_at', 'left_at', 'opened_at'),
      duration_ms: none('how long the case stayed in the step'),
    },
  },
  {
    model: 'SubjectKey',
    table: 'subject_keys',
    holds: 'A subject’s data key, wrapped by the master key (lib/sealedFields.ts): it opens the subject’s sealed fields; destroyed at erasure (crypto-shredding)',
    retention: 'subjectRecord',
    subject: 't.subject_id = $1',
    columns: {
      wrapped_key: none('key material wrapped by the key-management port’s master key: reveals nothing itself; set to null when destroyed'),
      ...nones(ids, 'subject_id', 'master_key_id'),
      ...nones(times, 'created_at', 'destroyed_at'),
    },
  },
  {
    model: 'PersonalDataRead',
    table: 'personal_data_reads',
    holds: 'Who read which personal fields in clear, of which subject and case, and why (policy 2.2.2): ids and codes, no personal value',
    retention: 'accessRecord',
    subject: 't.subject_id = $1',
    columns: {
      ...nones(ids, 'id', 'principal_id', 'subject_id', 'case_id'),
      ...nones(enums, 'role', 'table_name', 'columns', 'purpose', 'route'),
      ...nones(times, 'at'),
      rows: none('how many rows the read showed'),
    },
  },
  {
    model: 'MailIntake',
    table: 'mail_intakes',
    holds: 'A complaint by e-mail waiting for its sender to confirm it (policy 8.1); purged at its expiry (72 h by default)',
    retention: 'heldMail',
    subject: INTAKE_OF_SUBJECT,
    columns: {
      from_address: sealed(pd('contact', 'the sender, to whom the confirmation link goes'), MAIL_INTAKE_KEY),
      from_index: pd('technical', 'the sender address’s keyed blind index: a mail received again, and the subject whose sealed contact it is'),
      subject: sealed(pd('free_text', 'the mail’s subject line'), MAIL_INTAKE_KEY),
      description: sealed(pd('free_text', 'what the sender wrote: the complaint’s description once confirmed'), MAIL_INTAKE_KEY),
      attachments: inClear(pd('free_text', 'the files’ names, types, sizes and blob keys'), MAIL_FILES),
      opening_body: inClear(pd('free_text', 'the opening body fixed at the first confirmation (the description among it)'), 'sealed whole with the sender’s subject’s key: a JSON string of the sealed body (rows from before their sender had a subject: the body in clear until the row expires, 72 h)'),
      message_id: pd('technical', 'the mail’s Message-ID'),
      ...nones(ids, 'id', 'case_id', 'subject_id'),
      ...nones(enums, 'case_type', 'status'),
      ...nones(times, 'created_at', 'expires_at', 'confirmed_at'),
    },
  },
  {
    model: 'DataExport',
    table: 'data_exports',
    holds: 'A subject’s personal-data export: the signed archive is a blob (stores: blobs), delivered through a signed, expiring link',
    retention: 'dataExport',
    subject: OWN,
    columns: {
      sha256: inClear(pd('free_text', 'the blob key of the archive: its bytes are a copy of the subject’s data (PIPL art. 45)'), 'a hash, the blob’s key'),
      ...nones(ids, 'id', 'subject_id'),
      ...nones(enums, 'size_bytes'),
      ...nones(times, 'created_at', 'expires_at', 'downloaded_at'),
    },
  },
  {
    model: 'ComplaintRecord',
    table: 'complaints',
    holds: 'A complaint’s own row (policy 8.2)',
    retention: 'transactionRecord',
    subject: OF_CASES,
    columns: {
      description: sealed(pd('free_text', 'the complainant’s own words', 'caseEvidence'), CUSTOMER_KEY),
      order_id: pd('transaction', 'the order complained about'),
      ...nones(ids, 'case_id'),
      ...nones(enums, 'channel', 'category'),
      ...nones(times, 'created_at'),
    },
  },
  {
    model: 'PersonalDataRequest',
    table: 'personal_data_requests',
    holds: 'A personal-data request (policy 2.3-2.4): its type, the identity check (the code as its HMAC only), its answer (ids, enums, counts, dates)',
    retention: 'requestRecord',
    subject: OWN,
    columns: {
      code_hash: pd('credential', 'the identity check’s one-time code, HMAC only (PIPL art. 50: the request is the person’s own)', 'verificationSms'),
      ...nones(ids, 'case_id', 'subject_id'),
      ...nones(enums, 'type', 'channel', 'code_seq', 'code_attempts', 'code_max_attempts'),
      ...nones('what was done and kept: tables, retention rules, counts and dates, nothing about the person', 'answer'),
      ...nones(times, 'code_expires_at', 'verified_at', 'created_at', 'answered_at'),
    },
  },
  {
    model: 'PersonalDataCorrection',
    table: 'personal_data_corrections',
    holds: 'A field of a correction request: the new value until applied, the old value only as a keyed fingerprint',
    retention: 'requestRecord',
    subject: 't.case_id IN (SELECT case_id FROM personal_data_requests WHERE subject_id = $1)',
    columns: {
      new_value: inClear(pd('contact', 'the value the person asked for, until it is written where it belongs (then null)', 'contact'), 'held only from the verified request to its application (then null), where it is written sealed'),
      old_fingerprint: pd('technical', 'a keyed fingerprint of the corrected value: proof of the change, never the value (PIPL art. 46)'),
      ...nones(ids, 'case_id'),
      ...nones(enums, 'field'),
      ...nones(times, 'applied_at', 'created_at'),
    },
  },
  {
    model: 'BreachRecord',
    table: 'breach_records',
    holds: 'A personal-information breach (policy 6.4; PIPL art. 57): how it was found, its cause and scope, by code',
    retention: 'transactionRecord',
    subject: null,
    notBySubject: 'about an incident, not a person: the people it touched are its breach_affected_subjects rows; the reporter is staff or a system',
    columns: {
      description: inClear(pd('free_text', 'the reporter’s account of the breach (staff or a monitoring system; may quote personal data)', 'caseEvidence'), 'about an incident and many people, not one subject: no subject’s key fits it'),
      ...nones(ids, 'case_id', 'monitoring_event_id', 'complaint_case_id'),
      ...nones(enums, 'source', 'systems', 'cause', 'categories', 'affected_systems'),
      ...nones(times, 'detected_at', 'window_from', 'window_to', 'investigated_at', 'created_at'),
    },
  },
  {
    model: 'BreachAffectedSubject',
    table: 'breach_affected_subjects',
    holds: 'A subject a breach affected and how its notice reaches them (policy 6.4.1 通知用户; PIPL art. 57)',
    retention: 'transactionRecord',
    subject: OWN,
    columns: {
      recipient_id: inClear(pd('identity', 'the customer reference the notice is addressed to (parties.id)'), OPAQUE_REF),
      ...nones(ids, 'case_id', 'subject_id'),
      ...nones(enums, 'channel', 'status'),
      ...nones(times, 'queued_at', 'created_at'),
    },
  },
  {
    model: 'RegulatorReport',
    table: 'regulator_reports',
    holds: 'A breach report filed with the authority by the simulated regulator notifier (PIPL art. 57): codes and counts',
    retention: 'transactionRecord',
    subject: null,
    notBySubject: 'codes and counts about an incident, about no one',
    columns: { ...nones(ids, 'idempotency_key', 'report_id', 'case_id'), ...nones('PIPL art. 57 contents as codes and counts: nothing about a person', 'contents'), ...nones(times, 'accepted_at') },
  },
  {
    model: 'RetentionRun',
    table: 'retention_runs',
    holds: 'A run of the daily retention purge: rows disposed of per rule and table',
    retention: 'transactionRecord',
    subject: null,
    notBySubject: 'counts per retention rule, about no one',
    columns: { ...nones(ids, 'id'), ...nones(times, 'started_at', 'finished_at'), ...nones('the run’s day and its counts per rule: nothing about a person', 'cutoff_day', 'counts') },
  },
];

/**
 * The columns a person may have corrected (PIPL art. 46; policy 2.4), by field code (policy/personalDataRequest.ts
 * correctableFields): the inventory's table and column, and the rows of the subject it writes (an SQL predicate over `t`,
 * $1 the subject id). test/unit/personalDataRequest.test.ts checks each names a personal column of the inventory.
 */
export const correctableColumns = {
  contact_name: { table: 'parties', column: 'display_name', rows: `t.subject_id = $1 AND t.kind = 'customer'` },
  contact_email: { table: 'parties', column: 'email', rows: `t.subject_id = $1 AND t.kind = 'customer'`, index: { column: 'email_index', purpose: 'email' } },
  account_name: { table: 'registrations', column: 'full_name', rows: OWN },
  account_email: { table: 'registrations', column: 'email', rows: OWN },
} as const satisfies Record<string, { table: string; column: string; rows: string; index?: { column: string; purpose: BlindIndexPurpose } }>;

/** The stores outside PostgreSQL's rows (and the copies that leave the platform) that can hold a subject's data. */
export const personalDataStores: readonly StoreInventory[] = [
  {
    store: 'blobs',
    where: 'the blob store (lib/blobs.ts: BLOB_STORE, by default DATA_DIR/blobs/<2 hex>/<sha256>)',
    holds: 'attachment bytes (photos, documents) and held mails (the raw message, its HTML, its files)',
    categories: ['free_text', 'id_document'],
    retention: 'caseEvidence',
    locate: `SELECT coalesce(blob_key, sha256) AS key FROM attachments WHERE subject_id = $1
      UNION SELECT unnest(${HELD_MAIL_BLOBS}) FROM inbound_mail_quarantine t WHERE ${HELD_MAIL_OF_SUBJECT}
      UNION SELECT unnest(${HELD_FILE_BLOBS}) FROM mail_intakes t WHERE ${INTAKE_OF_SUBJECT}
      UNION SELECT sha256 FROM data_exports WHERE subject_id = $1`,
    keys: 'SHA-256 keys of blobs: the same bytes are one blob, so a key goes only when no other subject’s row names it; the subject’s data exports are blobs too (data_exports)',
  },
  {
    store: 'mailCatcher',
    where: 'the development mail catcher’s files (DATA_DIR/mail/*.eml; lib/mailCatcher.ts): never in production',
    holds: 'every e-mail the system sent, rendered (addresses, names, case details)',
    categories: ['contact', 'identity', 'transaction'],
    retention: 'contact',
    locate: `SELECT email AS key FROM parties WHERE subject_id = $1 AND email IS NOT NULL
      UNION SELECT email FROM registrations WHERE subject_id = $1 AND email IS NOT NULL`,
    keys: 'the subject’s e-mail addresses (sealed: opened with the subject’s key): the files whose To header names one',
  },
  {
    store: 'smtpRelay',
    where: 'the SMTP relay and the recipients’ mailboxes (SMTP_HOST): outside the platform once accepted',
    holds: 'the e-mails as sent; the outbox row (notifications) keeps ids and the Message-ID only',
    categories: ['contact', 'identity', 'transaction'],
    retention: 'contact',
    locate: `SELECT message_id AS key FROM notifications WHERE recipient_kind = 'customer' AND recipient_id IN ${CUSTOMER_REFS} AND message_id IS NOT NULL`,
    keys: 'the Message-IDs of the e-mails sent to the subject: what the relay’s operator is asked to delete',
  },
  {
    store: 'smsGateway',
    where: 'the SMS gateway (SMS_GATEWAY: the capture adapter writes sms_outbox; a real gateway keeps its own log)',
    holds: 'the texts sent and the numbers they went to',
    categories: ['contact', 'credential'],
    retention: 'verificationSms',
    locate: `SELECT coalesce(mobile_sealed, mobile) AS key FROM registrations WHERE subject_id = $1 AND coalesce(mobile_sealed, mobile) IS NOT NULL
      UNION SELECT mobile FROM registration_guardians WHERE subject_id = $1 AND mobile IS NOT NULL`,
    keys: 'the subject’s mobile numbers (sealed: opened with the subject’s key): what the gateway’s operator is asked to delete',
  },
  {
    store: 'temporalHistories',
    where: 'the Temporal histories of the subject’s cases (workflow id = case id)',
    holds: 'ids, enums and amounts only (README: PII by reference); return, repair and complaint inputs carry the storefront’s customer reference, registration inputs the user ref',
    categories: ['identity'],
    retention: 'transactionRecord',
    locate: 'SELECT workflow_id AS key FROM cases WHERE subject_id = $1',
    keys: 'workflow ids: histories cannot be edited; the references they carry are opaque and link to the person only through subject_refs',
  },
  {
    store: 'logs',
    where: 'the application’s logs (pino, stdout)',
    holds: 'ids, enums and counts only: no names, addresses, numbers or words are logged',
    categories: ['identity'],
    retention: 'caseEvidence',
    locate: null,
    keys: 'nothing to find: logs carry the same opaque ids as the histories',
  },
];

/**
 * A column without personal data that says what a row is: an id or reference, an enum or code, a time, an amount.
 * A subject's export (lib/subjectExport.ts) carries these beside the personal columns; the other `none` columns
 * (hashes of the audit chain, API key hashes, payloads of ids and enums) are internal and left out.
 */
export const describesRow = (c: ColumnClass): boolean => c.category === 'none' && [ids, enums, times, money].includes(c.why);

export const isPersonal = (c: ColumnClass): c is Extract<ColumnClass, { category: PersonalCategory }> => c.category !== 'none';

/**
 * The tables of a case record and how to find its rows ($1 the case id), for the purge of a kept case record: every
 * table that belongs to a case (TableInventory.ofCase), except those whose rule purges them on a period of its own (an
 * access record is kept 3 years after the read, a request record 3 years after its answer).
 */
export function caseRecordTables(): { table: string; ofCase: string }[] {
  const ownPurge = (t: TableInventory) => t.retention !== 'transactionRecord' && ((retentions[t.retention] as Retention).purge?.length ?? 0) > 0;
  return personalDataInventory.flatMap((t) => {
    if (ownPurge(t)) return [];
    const ofCase = t.ofCase !== undefined ? t.ofCase : t.table === 'cases' ? 't.id = $1' : 'case_id' in t.columns ? 't.case_id = $1' : null;
    return ofCase ? [{ table: t.table, ofCase }] : [];
  });
}

/** The retention of a personal column: its own, else its table's. */
export const retentionOf = (t: TableInventory, column: string): Retention => {
  const c = t.columns[column];
  return retentions[(c && isPersonal(c) && c.retention) || t.retention];
};

/**
 * Encryption at rest, as the inventory declares it: a column of a SEALED_CATEGORIES category neither sealed nor kept
 * in clear with a reason, or one that says both, one line each naming table.column (empty: every column says).
 */
export function atRestProblems(inventory: readonly TableInventory[] = personalDataInventory): string[] {
  const problems: string[] = [];
  for (const t of inventory) {
    for (const [column, c] of Object.entries(t.columns)) {
      if (!isPersonal(c)) continue;
      if (c.sealedWith && c.inClear) problems.push(`${t.table}.${column} says both sealed and in clear`);
      else if (SEALED_CATEGORIES.includes(c.category) && !c.sealedWith && !c.inClear?.trim()) {
        problems.push(`${t.table}.${column} (${c.category}) is neither sealed with a subject’s key nor kept in clear with a reason: declare sealed(…) or inClear(…) in lib/personalData.ts`);
      }
    }
  }
  return problems;
}

/** The sealed columns of a table (database names). */
export const sealedColumnsOf = (table: string): string[] =>
  Object.entries(personalDataInventory.find((t) => t.table === table)?.columns ?? {}).flatMap(([c, k]) => (isPersonal(k) && k.sealedWith ? [c] : []));

/** A model as the schema declares it: its table and its columns (database names). */
export interface SchemaModel {
  model: string;
  table: string;
  columns: { field: string; column: string }[];
}

/** What the inventory and the schema disagree on, one line each, naming model.column (empty: they agree). */
export function inventoryProblems(schema: readonly SchemaModel[], inventory: readonly TableInventory[] = personalDataInventory): string[] {
  const problems: string[] = [];
  for (const m of schema) {
    const t = inventory.find((e) => e.model === m.model);
    if (!t) {
      problems.push(`${m.model} (table ${m.table}) is not classified by lib/personalData.ts: add an entry with every column`);
      continue;
    }
    if (t.table !== m.table) problems.push(`${m.model}: the inventory names table ${t.table}, the schema ${m.table}`);
    for (const c of m.columns) if (!(c.column in t.columns)) problems.push(`${m.model}.${c.field} (${m.table}.${c.column}) is not classified by lib/personalData.ts`);
    for (const column of Object.keys(t.columns)) if (!m.columns.some((c) => c.column === column)) problems.push(`${m.model}: the inventory classifies ${m.table}.${column}, which the schema does not have`);
    if (t.subject === null && !t.notBySubject) problems.push(`${m.model}: not found by subject, and the inventory does not say why (notBySubject)`);
  }
  for (const t of inventory) if (!schema.some((m) => m.model === t.model)) problems.push(`${t.model}: the inventory classifies table ${t.table}, which the schema does not have`);
  return problems;
}

export interface SubjectDataCount {
  table: string;
  rows: number;
}
export interface SubjectStoreCount {
  store: string;
  /** Keys found (blob keys, addresses, workflow ids); null: the store is not searched by subject. */
  keys: number | null;
}

/**
 * How much of a subject's data each inventory entry finds: rows per table (one statement over every table), keys per
 * store. The ground that exports, erasure and breach scoping start from.
 */
export async function subjectDataCounts(db: Db | Prisma.TransactionClient, subjectId: string): Promise<{ tables: SubjectDataCount[]; stores: SubjectStoreCount[] }> {
  const searched = personalDataInventory.filter((t) => t.subject !== null);
  const union = searched.map((t) => `SELECT '${t.table}' AS entry, count(*)::int AS n FROM ${t.table} t WHERE ${t.subject}`).join('\nUNION ALL ');
  const rows = await db.$queryRawUnsafe<{ entry: string; n: number }[]>(union, subjectId);
  const tables = searched.map((t) => ({ table: t.table, rows: rows.find((r) => r.entry === t.table)?.n ?? 0 }));
  const stores: SubjectStoreCount[] = [];
  for (const s of personalDataStores) {
    if (!s.locate) {
      stores.push({ store: s.store, keys: null });
      continue;
    }
    const found = await db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(DISTINCT key)::int AS n FROM (${s.locate}) k`, subjectId);
    stores.push({ store: s.store, keys: found[0].n });
  }
  return { tables, stores };
}

/** The column that dates a row for a breach's window: when it last changed, else when it was made or received. */
const WINDOW_COLUMNS = ['updated_at', 'created_at', 'received_at'] as const;
const windowColumnOf = (t: TableInventory): string | null => WINDOW_COLUMNS.find((c) => c in t.columns) ?? null;

/**
 * Breach scoping (PIPL art. 57; policy 6.4.1 调查核实): an SQL predicate over a subject row `subj` that holds when the
 * subject has a row, in some table with a personal column of one of `categories`, created or changed inside the window
 * (its `updated_at`, else its `created_at` or `received_at`; tables with none are counted as touched whatever the window). Built from
 * each table's subject predicate (with `subj.id` for $1); `fromParam`/`toParam` are the window's placeholders (UTC
 * timestamps). `tables` narrows it to those tables, `exceptTables` leaves some out (e.g. a breach's own rows). Answers
 * null when no table matches.
 */
export function touchedSubjectsPredicate(o: { categories: readonly PersonalCategory[]; tables?: readonly string[]; exceptTables?: readonly string[]; fromParam: string; toParam: string }): string | null {
  const parts = personalDataInventory
    .filter((t) => t.subject !== null && (!o.tables || o.tables.includes(t.table)) && !o.exceptTables?.includes(t.table))
    .filter((t) => Object.values(t.columns).some((c) => isPersonal(c) && o.categories.includes(c.category)))
    .map((t) => {
      const at = windowColumnOf(t);
      const window = at ? ` AND t.${at} >= ${o.fromParam} AND t.${at} < ${o.toParam}` : '';
      return `EXISTS (SELECT 1 FROM ${t.table} t WHERE (${t.subject!.replaceAll('$1', 'subj.id')})${window})`;
    });
  return parts.length ? `(${parts.join('\n  OR ')})` : null;
}

/**
 * The tables `touchedSubjectsPredicate` would search that hold a row created or changed inside the window (or that have
 * no time column to tell): one cheap statement, so that the per-subject search runs only over tables the window touched
 * (at 100,000 subjects a search over every table probes each of them 100,000 times). `fromParam`/`toParam` are $1, $2.
 */
export async function tablesTouchedInWindow(db: Db, o: { categories: readonly PersonalCategory[]; exceptTables?: readonly string[]; from: string; to: string }): Promise<string[]> {
  const candidates = personalDataInventory
    .filter((t) => t.subject !== null && !o.exceptTables?.includes(t.table))
    .filter((t) => Object.values(t.columns).some((c) => isPersonal(c) && o.categories.includes(c.category)));
  if (candidates.length === 0) return [];
  const at = windowColumnOf;
  const probe = candidates
    .map((t) => `SELECT '${t.table}' AS entry WHERE EXISTS (SELECT 1 FROM ${t.table} t${at(t) ? ` WHERE t.${at(t)} >= ($1::timestamptz AT TIME ZONE 'UTC') AND t.${at(t)} < ($2::timestamptz AT TIME ZONE 'UTC')` : ''})`)
    .join('\nUNION ALL ');
  const rows = await db.$queryRawUnsafe<{ entry: string }[]>(probe, o.from, o.to);
  return rows.map((r) => r.entry);
}
