// Opening a case, the same way for every process (POST /v1/cases): an Idempotency-Key that never opens a
// second case, the process's policy checks before any write, the case row and its details at once (one
// statement, or one transaction when the process has rows of its own), then the workflow's single run. A replay
// answers from the read model.
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { canonicalJson, pgSql, prismaSql, utc, type Sql } from '../activities/audit';
import { isUniqueViolation, poolOf } from '../lib/db';
import { caseById, idempotencyRecordOf } from '../lib/sqlReads';
import { policySection } from '../processes/policyDocument';
import { catalogueScopeKinds } from '../processes';
import { caseCalendar } from '../lib/calendarStore';
import { afterOpeningCommit, startCaseOnce, type StoredWorkflowInput } from '../processes/caseStart';
import type { AnyProcess } from '../processes/types';
import { CaseStatus, CaseType, MerchantId } from '../lib/searchAttributes';
import type { ApiDeps } from './deps';
import { badRequest, conflict } from './errors';

const idempotencyKeySchema = z.string().regex(/^[\w.:-]{8,128}$/, '8-128 letters, digits, _ . : or -');

export const idempotencyKeyHeader = {
  'Idempotency-Key': { required: true, description: 'Retries with the same key and body return the original case (200, Idempotent-Replayed: true); another body gives 409', schema: idempotencyKeySchema },
};

/** Reads the Idempotency-Key header; 400 when it is missing or malformed. */
export function requireIdempotencyKey(req: Request): string {
  const key = idempotencyKeySchema.safeParse(req.header('idempotency-key'));
  if (!key.success) throw badRequest('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header (8-128 characters)');
  return key.data;
}

/**
 * The stored hash of a request body, keyed with the request-hash secret: bodies hold e-mail addresses
 * and passwords, so the stored hash must not be a fast, unkeyed one.
 */
export function requestHash(deps: Pick<ApiDeps, 'secrets'>, body: unknown): string {
  const secret = deps.secrets?.requestHash;
  if (!secret) throw new Error('No request-hash secret: pass secrets.requestHash (from loadConfig()) in the API deps');
  return crypto.createHmac('sha256', secret).update(canonicalJson(body)).digest('hex');
}

/**
 * Opens a case of `process` with the validated `body` (its `type` included) and answers 201 with the case;
 * a retry with the same key and body answers 200 with the same case, another body 409.
 */
export async function openCase(deps: ApiDeps, req: Request, res: Response, process: AnyProcess, body: Record<string, unknown>, present: (caseId: string) => Promise<unknown>): Promise<void> {
  const principal = req.principal!;
  const key = requireIdempotencyKey(req);
  const hash = requestHash(deps, body);

  /**
   * Starts the case's single run. The case row is marked started by the workflow's first write of the case
   * (activities/caseWrites.ts); until then a replay of the request starts again and finds the run (running: the same
   * run; closed: refused and counted as started). A case whose start a crash prevented and that nobody replays is
   * started by the reconciler (processes/caseReconciler.ts).
   */
  const startOnce = async (caseId: string, input: StoredWorkflowInput) => {
    if ((await startCaseOnce(deps, process, input)) === 'closed') req.log.warn({ caseId }, 'case workflow had already started; not starting it again');
  };

  const replayed = async (rec: { requestHash: string; caseId: string }) => {
    if (rec.requestHash !== hash) {
      throw conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body', { caseId: rec.caseId });
    }
    const row = await caseById(deps.db, rec.caseId);
    if (!row) throw new Error(`Case ${rec.caseId} of an idempotency record is missing`);
    if (row.type !== process.caseType) throw conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for another kind of case', { caseId: rec.caseId });
    // The answer comes from the read model. Only a case whose first start never went through is started
    // now; a case that started (running or long closed) is never started again.
    if (row.workflowStartedAt === null) await startOnce(row.id, (row.summary as { workflowInput: any }).workflowInput);
    res.status(200).setHeader('Idempotent-Replayed', 'true');
    res.location(`/v1/cases/${rec.caseId}`).json(await present(rec.caseId));
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
    merchantId: prepared.row.merchantId,
    policyVersion: policy.version,
    summary: { ...prepared.row.summary, workflowInput: prepared.input },
    contact: c && (c.email || c.displayName || c.locale) ? c : undefined,
    parties: partyRefsOf(principal.scopes, prepared.parties ?? []),
    taskQueue: deps.temporal.taskQueue,
    at: new Date(),
  };
  try {
    const writes = prepared.writes;
    if (writes) {
      await deps.db.$transaction(async (tx) => {
        await insertOpening(prismaSql(tx), opening);
        await writes(tx);
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
  req.log.info({ caseId, caseType: process.caseType }, 'case opened');
  res.status(201).location(`/v1/cases/${caseId}`).json(await present(caseId));
}

interface Opening {
  principalId: string;
  key: string;
  requestHash: string;
  caseId: string;
  type: string;
  customerId: string;
  merchantId: string | null;
  policyVersion: string;
  summary: Record<string, unknown>;
  contact?: { customerId: string; email?: string; displayName?: string; locale?: string };
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
 * The opening's own rows in one statement: the idempotency record, the case row, its party references and, when the
 * request names any, the customer's contact data (a field the request leaves out keeps what is stored). A key or case id already taken fails
 * it whole (unique violation).
 */
async function insertOpening(sql: Sql, o: Opening): Promise<void> {
  const at = utc(4);
  const params: unknown[] = [o.principalId, o.key, o.requestHash, o.at.toISOString(), o.caseId, o.type, o.customerId, o.merchantId, o.policyVersion, JSON.stringify(o.summary), o.taskQueue];
  let party = '';
  if (o.contact) {
    const c = o.contact;
    params.push(c.customerId, c.email || null, c.displayName || null, c.locale || null);
    party = `, party AS (
      INSERT INTO parties (kind, id, email, display_name, locale, updated_at) VALUES ('customer', $12, $13, $14, coalesce($15, 'zh-CN'), ${at})
      ON CONFLICT (kind, id) DO UPDATE SET email = coalesce($13, parties.email), display_name = coalesce($14, parties.display_name),
        locale = coalesce($15, parties.locale), updated_at = ${at})`;
  }
  let refs = '';
  if (o.parties.length > 0) {
    const rows = o.parties.map((r) => {
      params.push(r.kind, r.value);
      return `($5, $${params.length - 1}, $${params.length})`;
    });
    refs = `, refs AS (INSERT INTO case_parties (case_id, kind, value) VALUES ${rows.join(', ')})`;
  }
  await sql.query(
    `WITH idempotency AS (
       INSERT INTO idempotency_records (principal_id, key, request_hash, case_id, created_at) VALUES ($1, $2, $3, $5, ${at})
     ), opened AS (
       INSERT INTO cases (id, type, status, step, customer_id, merchant_id, policy_version, workflow_id, opened_by, summary, task_queue, created_at, updated_at)
       VALUES ($5, $6, 'open', 'opened', $7, $8, $9, $5, $1, $10::jsonb, $11, ${at}, ${at})
     )${party}${refs}
     SELECT 1`,
    params,
  );
}

// Starting a case's workflow lives with the catalogue (processes/caseStart.ts): the reconciler starts cases the same way.
export { startCaseWorkflow } from '../processes/caseStart';
