// The case-opening service: opening a case of any process, the one way every opener does it (POST /v1/cases through
// api/caseOpening.ts, and a case that opens another through the openLinkedCase activity, wired by the worker). Not tied
// to Express: it takes the process, the body, the principal and the idempotency key, and answers the case it opened
// (or the case an earlier request with the same key opened), or throws an ApiError (lib/errors.ts).
// - The same idempotency key (per principal) never opens a second case: the same key and body answer the case it opened
//   (`replayed`), another body or another kind of case is refused (409).
// - The body is validated as POST /v1/cases validates it (the process's zod body and its checks: 400), then the
//   process's policy checks run before any write (prepare: 422).
// - The case row and its details are written at once (one statement, or one transaction when the process has rows of
//   its own), then the workflow's single run is started (processes/caseStart.ts). A replay starts only a case whose
//   start never went through.
// - The customer is resolved to a data subject in the same statement (lib/subjects.ts: a storefront's customer
//   reference, or an account's user ref for a registration): the case row and the contact point to it (subject_id).
import crypto from 'node:crypto';
import { z } from 'zod';
import type { CaseOpeningPort, LinkedOpening } from '../activities/caseLinks';
import { canonicalJson, pgSql, prismaSql, utc, type Sql } from '../activities/audit';
import type { Principal } from '../lib/authz';
import { caseCalendar } from '../lib/calendarStore';
import type { Secrets } from '../lib/config';
import { isUniqueViolation, poolOf } from '../lib/db';
import { ApiError, badRequest, conflict, zodIssues } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { caseById, idempotencyRecordOf } from '../lib/sqlReads';
import { blindIndexerFor } from '../lib/blindIndex';
import { sealerFor } from '../lib/sealedFields';
import { newSubjectId, resolveSubject, subjectCtes, subjectKindOf, type SubjectRefKind } from '../lib/subjects';
import { afterOpeningCommit, startCaseOnce, type StoredWorkflowInput } from './caseStart';
import type { CaseOpeningDeps } from './deps';
import { catalogueScopeKinds, processOf } from './index';
import { policySection } from './policyDocument';
import type { AnyProcess } from './types';

export type { CaseOpeningDeps };

export const idempotencyKeySchema = z.string().regex(/^[\w.:-]{8,128}$/, '8-128 letters, digits, _ . : or -');

export interface OpenCaseRequest {
  process: AnyProcess;
  /** The request body without `type`; validated here with the process's body schema and checks. */
  body: unknown;
  principal: Principal;
  /** The Idempotency-Key as received (validated here: 400 IDEMPOTENCY_KEY_REQUIRED when missing or malformed). */
  idempotencyKey: string | undefined;
  /** Where the service logs (the request's logger in the API); default deps.logger. */
  log?: Logger;
}

export interface OpenedCase {
  caseId: string;
  /** True when an earlier request with the same key and body opened it: nothing new was opened. */
  replayed: boolean;
}

/**
 * The stored hash of a request body, keyed with the request-hash secret: bodies hold e-mail addresses
 * and passwords, so the stored hash must not be a fast, unkeyed one.
 */
export function requestHash(deps: { secrets?: Pick<Secrets, 'requestHash'> }, body: unknown): string {
  const secret = deps.secrets?.requestHash;
  if (!secret) throw new Error('No request-hash secret: pass secrets.requestHash (from loadConfig()) in the deps');
  return crypto.createHmac('sha256', secret).update(canonicalJson(body)).digest('hex');
}

/** The zod validation of a process's opening body, as POST /v1/cases does it: 400 with readable issues. */
export function validateOpeningBody(process: AnyProcess, body: unknown): Record<string, unknown> {
  const parsed = process.open.body.safeParse(body ?? {});
  if (!parsed.success) throw badRequest('VALIDATION_FAILED', `The ${process.caseType} case is not valid`, zodIssues(parsed.error));
  const value = parsed.data as Record<string, unknown>;
  const problems = process.open.check?.(value) ?? [];
  if (problems.length > 0) throw badRequest('VALIDATION_FAILED', `The ${process.caseType} case is not valid`, problems.map((p) => ({ ...p, code: 'custom' })));
  return value;
}

/** Opens a case (see the head of this file); throws an ApiError when the request is refused (400, 409, 422). */
export async function openCase(deps: CaseOpeningDeps, r: OpenCaseRequest): Promise<OpenedCase> {
  const { process, principal } = r;
  const log = r.log ?? deps.logger;
  const valid = validateOpeningBody(process, r.body);
  const keyParsed = idempotencyKeySchema.safeParse(r.idempotencyKey);
  if (!keyParsed.success) throw badRequest('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header (8-128 characters)');
  const key = keyParsed.data;
  const body = { type: process.caseType, ...valid };
  const hash = requestHash(deps, body);

  /**
   * Starts the case's single run. The case row is marked started by the workflow's first write of the case
   * (activities/caseWrites.ts); until then a replay of the request starts again and finds the run (running: the same
   * run; closed: refused and counted as started). A case whose start a crash prevented and that nobody replays is
   * started by the reconciler (processes/caseReconciler.ts).
   */
  const startOnce = async (caseId: string, input: StoredWorkflowInput) => {
    if ((await startCaseOnce(deps, process, input)) === 'closed') log.warn({ caseId }, 'case workflow had already started; not starting it again');
  };

  const replayed = async (rec: { requestHash: string; caseId: string }): Promise<OpenedCase> => {
    if (rec.requestHash !== hash) {
      throw conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body', { caseId: rec.caseId });
    }
    const row = await caseById(deps.db, rec.caseId);
    if (!row) throw new Error(`Case ${rec.caseId} of an idempotency record is missing`);
    if (row.type !== process.caseType) throw conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for another kind of case', { caseId: rec.caseId });
    // The answer comes from the read model. Only a case whose first start never went through is started
    // now; a case that started (running or long closed) is never started again.
    if (row.workflowStartedAt === null) await startOnce(row.id, (row.summary as { workflowInput: any }).workflowInput);
    return { caseId: rec.caseId, replayed: true };
  };

  const earlier = await idempotencyRecordOf(deps.db, principal.id, key);
  if (earlier) return replayed(earlier);

  const caseId = `${process.idPrefix}-${crypto.randomUUID()}`;
  const policy = deps.currentPolicy();
  const requestedAt = new Date();
  // The case carries the holiday data of the years it can reach (lib/calendarStore.ts caseCalendar), with its version.
  const prepared = await process.open.prepare(
    { deps, principal, caseId, requestedAt, policy: { version: policy.version, calendar: caseCalendar(policy.calendar, requestedAt) }, section: policySection(policy, process.policy.key) },
    body,
  );
  const c = prepared.contact;
  const opening: Opening = {
    principalId: principal.id,
    key,
    requestHash: hash,
    caseId,
    type: process.caseType,
    customerId: prepared.row.customerId,
    customerRef: prepared.customerRef ?? 'storefront_customer',
    merchantId: prepared.row.merchantId,
    facets: prepared.row.facets ?? [],
    policyVersion: policy.version,
    summary: { ...prepared.row.summary, workflowInput: prepared.input },
    contact: c && (c.email || c.displayName || c.locale) ? c : undefined,
    parties: partyRefsOf(principal.scopes ?? [], prepared.parties ?? []),
    taskQueue: deps.temporal.taskQueue,
    at: new Date(),
  };
  // The contact's name and address are sealed with the customer subject's key (policy 1.3; lib/sealedFields.ts): the
  // subject is resolved first (the opening statement then only reads it), the e-mail found again by its blind index.
  if (opening.contact && (opening.contact.email || opening.contact.displayName)) opening.contact = await sealedContact(deps, opening, opening.contact);
  try {
    const writes = prepared.writes;
    if (writes) {
      await deps.db.$transaction(async (tx) => {
        const subjectId = await insertOpening(prismaSql(tx), opening);
        await writes(tx, { subjectId });
      });
    } else {
      await insertOpening(pgSql(poolOf(deps.db)), opening); // one statement: atomic without a transaction around it
    }
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await idempotencyRecordOf(deps.db, principal.id, key);
    if (winner) return replayed(winner);
    throw process.open.onUniqueViolation?.(body) ?? err;
  }
  afterOpeningCommit(caseId);
  await startOnce(caseId, prepared.input);
  log.info({ caseId, caseType: process.caseType }, 'case opened');
  return { caseId, replayed: false };
}

/**
 * The service as the worker hands it to the activities (the CaseOpeningPort of activities/caseLinks.ts): the process by
 * its case type from the catalogue (a case type the catalogue lacks answers `unknown_process`, nothing is written), and
 * a refusal of the process (400, 409, 422) answered as `refused`, so that the case that asked goes on and records it.
 */
export function createCaseOpening(deps: CaseOpeningDeps): CaseOpeningPort {
  return {
    async openCase(r: { caseType: string; body: Record<string, unknown>; idempotencyKey: string; principal: Principal }): Promise<LinkedOpening> {
      const process = processOf(r.caseType);
      if (!process) return { status: 'unknown_process', caseType: r.caseType };
      try {
        const opened = await openCase(deps, { process, body: r.body, principal: r.principal, idempotencyKey: r.idempotencyKey });
        return { status: opened.replayed ? 'replayed' : 'opened', caseId: opened.caseId, caseType: process.caseType };
      } catch (err) {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) return { status: 'refused', caseType: process.caseType, code: err.code, message: err.message };
        throw err;
      }
    },
  };
}

interface Opening {
  principalId: string;
  key: string;
  requestHash: string;
  caseId: string;
  type: string;
  customerId: string;
  /** How customerId names the customer (subject_refs.kind). */
  customerRef: SubjectRefKind;
  merchantId: string | null;
  /** The case's report facets (cases.facets). */
  facets: string[];
  policyVersion: string;
  summary: Record<string, unknown>;
  /** email and displayName sealed (sealedContact), emailIndex the e-mail's blind index. */
  contact?: { customerId: string; email?: string; emailIndex?: string; displayName?: string; locale?: string };
  /** The case's party references (case_parties). */
  parties: { kind: string; value: string }[];
  /** The task queue its workflow starts on: that queue's reconciler starts it if the start never happened. */
  taskQueue: string;
  at: Date;
}

/**
 * The case's party references: those the process names, and the opener's own scopes of a kind read from a reference
 * (a scoped storefront's case is its storefront's): so the opener keeps seeing the case it opened.
 */
function partyRefsOf(scopes: readonly { kind: string; value: string }[], named: readonly { kind: string; value: string }[]): { kind: string; value: string }[] {
  const kinds = catalogueScopeKinds();
  const own = scopes.flatMap((s) => {
    const k = kinds.find((d) => d.kind === s.kind);
    return k && 'partyRef' in k.from ? [{ kind: k.from.partyRef, value: s.value }] : [];
  });
  const all = [...named, ...own];
  return all.filter((r, i) => all.findIndex((x) => x.kind === r.kind && x.value === r.value) === i);
}

/**
 * The contact with its name and e-mail sealed with the customer subject's key, and the e-mail's blind index. The
 * subject is resolved (get-or-create) before the opening statement, which then finds it; an opening that fails after it
 * leaves a subject without rows, which nothing names but its opaque reference.
 */
async function sealedContact(deps: CaseOpeningDeps, o: Opening, c: NonNullable<Opening['contact']>): Promise<NonNullable<Opening['contact']>> {
  const subjectId = await resolveSubject(deps.db, { kind: o.customerRef, value: o.customerId });
  const sealer = sealerFor(deps.db, deps.ports.keys);
  const [[email, displayName], emailIndex] = await Promise.all([sealer.sealAll(subjectId, [c.email || null, c.displayName || null]), c.email ? blindIndexerFor(deps.ports.keys)('email', c.email) : undefined]);
  return { ...c, email: email ?? undefined, displayName: displayName ?? undefined, emailIndex };
}

/**
 * The opening's own rows in one statement: the customer's subject (get-or-create by its reference: the one extra
 * upsert of an opening), the idempotency record, the case row, its party references and, when the request names any,
 * the customer's contact data (a field the request leaves out keeps what is stored). A key or case id already taken
 * fails it whole (unique violation), the subject's rows with it. Answers the customer's subject id.
 */
async function insertOpening(sql: Sql, o: Opening): Promise<string> {
  const at = utc(4);
  const params: unknown[] = [o.principalId, o.key, o.requestHash, o.at.toISOString(), o.caseId, o.type, o.customerId, o.merchantId, o.policyVersion, JSON.stringify(o.summary), o.taskQueue, o.customerRef, newSubjectId(), subjectKindOf(o.customerRef), o.facets];
  const subject = subjectCtes('subject', { kind: 12, value: 7, fresh: 13, subjectKind: 14 });
  let party = '';
  if (o.contact) {
    const c = o.contact;
    params.push(c.customerId, c.email || null, c.displayName || null, c.locale || null, c.emailIndex || null);
    party = `, party AS (
      INSERT INTO parties (kind, id, email, display_name, locale, updated_at, subject_id, email_index)
      SELECT 'customer', $16, $17, $18, coalesce($19, 'zh-CN'), ${at}, subject.subject_id, $20 FROM subject
      ON CONFLICT (kind, id) DO UPDATE SET email = coalesce($17, parties.email), display_name = coalesce($18, parties.display_name),
        locale = coalesce($19, parties.locale), updated_at = ${at}, subject_id = EXCLUDED.subject_id,
        email_index = CASE WHEN $17::text IS NULL THEN parties.email_index ELSE $20 END)`;
  }
  let refs = '';
  if (o.parties.length > 0) {
    const rows = o.parties.map((r) => {
      params.push(r.kind, r.value);
      return `($5, $${params.length - 1}, $${params.length})`;
    });
    refs = `, refs AS (INSERT INTO case_parties (case_id, kind, value) VALUES ${rows.join(', ')})`;
  }
  const rows = await sql.query<{ subject_id: string }>(
    `WITH ${subject}, idempotency AS (
       INSERT INTO idempotency_records (principal_id, key, request_hash, case_id, created_at) VALUES ($1, $2, $3, $5, ${at})
     ), opened AS (
       INSERT INTO cases (id, type, status, step, customer_id, subject_id, merchant_id, policy_version, workflow_id, opened_by, summary, task_queue, created_at, updated_at, facets)
       SELECT $5, $6, 'open', 'opened', $7, subject.subject_id, $8, $9, $5, $1, $10::jsonb, $11, ${at}, ${at}, $15::text[] FROM subject
     )${party}${refs}
     SELECT subject_id FROM subject`,
    params,
  );
  return rows[0].subject_id;
}
