// Reads on every request's path in plain SQL, on Prisma's own pool (poolOf): Prisma 6 compiles each query anew in
// WebAssembly on the main thread, the largest single cost of a request on the benchmark's profile (docs/benchmarks.md).
// Each returns the row exactly as Prisma's model type has it (test/api/sqlReads.test.ts compares them).
import type { Case, IdempotencyRecord, Payment, Principal, Task } from '@prisma/client';
import { poolOf, type Db } from './db';

/** A `timestamp(3)` column, which holds UTC, read as the instant it is. */
const instant = (column: string, as: string) => `${column} AT TIME ZONE 'UTC' AS "${as}"`;

const PRINCIPAL = `SELECT p.id, p.name, p.role, p.merchant_id AS "merchantId", p.scopes,
  ${instant('p.created_at', 'createdAt')}, ${instant('p.revoked_at', 'revokedAt')}, k.id AS "keyId",
  ${instant('k.expires_at', 'keyExpiresAt')}, ${instant('k.revoked_at', 'keyRevokedAt')}
  FROM api_keys k JOIN principals p ON p.id = k.principal_id`;

/** The principal of a key (by the key's hash), with the key's id, expiry and revocation: one indexed join. */
export type KeyedPrincipal = Principal & { keyId: string; keyExpiresAt: Date | null; keyRevokedAt: Date | null };
export async function principalByKeyHash(db: Db, keyHash: string): Promise<KeyedPrincipal | null> {
  const { rows } = await poolOf(db).query<KeyedPrincipal>(`${PRINCIPAL} WHERE k.key_hash = $1`, [keyHash]);
  return rows[0] ?? null;
}

const TASK = `SELECT id, case_id AS "caseId", case_type AS "caseType", type, role, merchant_id AS "merchantId",
  assignee_id AS "assigneeId", status, ${instant('due_at', 'dueAt')}, sla_name AS "slaName", escalated, ${instant('escalated_at', 'escalatedAt')},
  ${instant('reminded_at', 'remindedAt')}, ${instant('created_at', 'createdAt')}, ${instant('completed_at', 'completedAt')},
  completed_by AS "completedBy", resolution, result FROM tasks`;

export async function taskById(db: Db, id: string): Promise<Task | null> {
  const { rows } = await poolOf(db).query<Task>(`${TASK} WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** A case's tasks, oldest first. */
export async function tasksOfCase(db: Db, caseId: string): Promise<Task[]> {
  return (await poolOf(db).query<Task>(`${TASK} WHERE case_id = $1 ORDER BY created_at, id`, [caseId])).rows;
}

const CASE = `SELECT id, type, status, step, customer_id AS "customerId", subject_id AS "subjectId", merchant_id AS "merchantId", policy_version AS "policyVersion",
  workflow_id AS "workflowId", ${instant('workflow_started_at', 'workflowStartedAt')}, summary, deadlines, deadlines_version AS "deadlinesVersion",
  outcome, opened_by AS "openedBy", task_queue AS "taskQueue", ${instant('created_at', 'createdAt')}, ${instant('updated_at', 'updatedAt')}, ${instant('closed_at', 'closedAt')}, closing, facets,
  (purge_on::timestamp AT TIME ZONE 'UTC') AS "purgeOn" FROM cases`; // a date: Prisma's Date at UTC midnight

export async function caseById(db: Db, id: string): Promise<Case | null> {
  const { rows } = await poolOf(db).query<Case>(`${CASE} WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** A case's party references (case_parties), in order. */
export async function partiesOfCase(db: Db, caseId: string): Promise<{ kind: string; value: string }[]> {
  return (await poolOf(db).query<{ kind: string; value: string }>(`SELECT kind, value FROM case_parties WHERE case_id = $1 ORDER BY kind, value`, [caseId])).rows;
}

/** What a principal's Idempotency-Key was first used for, if it was. */
export async function idempotencyRecordOf(db: Db, principalId: string, key: string): Promise<IdempotencyRecord | null> {
  const { rows } = await poolOf(db).query<IdempotencyRecord>(
    `SELECT principal_id AS "principalId", key, request_hash AS "requestHash", case_id AS "caseId", ${instant('created_at', 'createdAt')}
     FROM idempotency_records WHERE principal_id = $1 AND key = $2`,
    [principalId, key],
  );
  return rows[0] ?? null;
}

/** A link of a case (case_links) as the case sees it, with the other case's type and merchant. */
export interface CaseLinkRow {
  linkId: string;
  /** The type as stored, read from the from-case. */
  type: 'handed_over_to' | 'related' | 'escalated_from';
  /** outgoing: this case made the link (it is the from-case); incoming: the other case did. */
  direction: 'outgoing' | 'incoming';
  otherCaseId: string;
  otherCaseType: string;
  otherMerchantId: string | null;
  eventKey: string;
  createdBy: string;
  createdAt: Date;
}

/** Every link of a case, both ways, oldest first. */
export async function linksOfCase(db: Db, caseId: string): Promise<CaseLinkRow[]> {
  const { rows } = await poolOf(db).query<CaseLinkRow>(
    `SELECT l.id AS "linkId", l.type::text AS type, CASE WHEN l.from_case_id = $1 THEN 'outgoing' ELSE 'incoming' END AS direction,
       o.id AS "otherCaseId", o.type AS "otherCaseType", o.merchant_id AS "otherMerchantId", l.event_key AS "eventKey", l.created_by AS "createdBy",
       ${instant('l.created_at', 'createdAt')}
     FROM case_links l JOIN cases o ON o.id = CASE WHEN l.from_case_id = $1 THEN l.to_case_id ELSE l.from_case_id END
     WHERE l.from_case_id = $1 OR l.to_case_id = $1
     ORDER BY l.created_at, l.id`,
    [caseId],
  );
  return rows;
}

/** A case's payments, oldest first. */
export async function paymentsOfCase(db: Db, caseId: string): Promise<Payment[]> {
  const { rows } = await poolOf(db).query<Payment>(
    `SELECT id, case_id AS "caseId", kind, payer, amount_minor AS "amountMinor", currency, idempotency_key AS "idempotencyKey", status,
       gateway_ref AS "gatewayRef", route, payment_ref AS "paymentRef", ${instant('created_at', 'createdAt')}, ${instant('updated_at', 'updatedAt')}
     FROM payments WHERE case_id = $1 ORDER BY created_at, id`,
    [caseId],
  );
  return rows;
}

/** A case's audit events of the given types, in order (type, actor, instant, payload): a process's own facts on its case resource. */
export async function auditEventsOfCase(db: Db, caseId: string, types: readonly string[]): Promise<{ type: string; actor: string; at: Date; payload: Record<string, unknown> }[]> {
  const { rows } = await poolOf(db).query<{ type: string; actor: string; at: Date; payload: Record<string, unknown> }>(
    `SELECT type, actor, ${instant('at', 'at')}, payload FROM audit_events WHERE case_id = $1 AND type = ANY($2::text[]) ORDER BY seq`,
    [caseId, [...types]],
  );
  return rows;
}
