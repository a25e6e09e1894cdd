// Append-only audit trail. Events of a case form a SHA-256 hash chain: each stores its predecessor's hash.
import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Db, Prisma } from '../lib/db';

export const GENESIS_HASH = '0'.repeat(64);

type Tx = Prisma.TransactionClient;

export interface AuditInput {
  caseId: string;
  eventKey: string;
  type: string;
  actor: string;
  at: Date;
  payload: Record<string, unknown>;
}

/** Canonical JSON: keys sorted, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function eventHash(prevHash: string, e: { caseId: string; seq: number; eventKey: string; type: string; actor: string; at: Date; payload: unknown }): string {
  const body = canonicalJson({ caseId: e.caseId, seq: e.seq, eventKey: e.eventKey, type: e.type, actor: e.actor, at: e.at.toISOString(), payload: e.payload });
  return crypto.createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/**
 * Two writers used one event key for different events. Refused loudly and never retried (the activity
 * fails, and so does the workflow that sent it), never silently dropped.
 */
export function auditKeyCollision(caseId: string, eventKey: string, existing: string, attempted: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'AuditKeyCollision',
    message: `Audit event key ${eventKey} of case ${caseId} is already used by a different event (${existing}); refused ${attempted}`,
    nonRetryable: true,
  });
}

/** True when a stored event is the same event as `e` (a retried activity), not merely the same key. */
export function sameAuditEvent(stored: { type: string; actor: string; at: Date; payload: unknown }, e: AuditInput): boolean {
  return stored.type === e.type && stored.actor === e.actor && stored.at.getTime() === e.at.getTime() && canonicalJson(stored.payload) === canonicalJson(e.payload);
}

/**
 * Appends one event inside the caller's transaction. Idempotent on (caseId, eventKey) for the same
 * event: a retry finds it and appends nothing. The same key carrying a different event is a
 * collision and throws (auditKeyCollision). The case row is locked so concurrent appends serialize.
 */
export async function appendAuditEvent(tx: Tx, e: AuditInput): Promise<{ appended: boolean; seq: number }> {
  // The case row is locked in a statement of its own: under READ COMMITTED a statement that waited for the lock
  // still reads with the snapshot it started with, so a read in the locking statement could miss the event that
  // the lock's holder just appended (and two appends would take the same seq).
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM cases WHERE id = ${e.caseId} FOR UPDATE`;
  if (locked.length === 0) throw new Error(`Case ${e.caseId} does not exist: its audit trail cannot be appended to`);
  // Then the event already under this key (a retry) and the chain's last link, as of now.
  const [state] = await tx.$queryRaw<{ existing: StoredEvent | null; last: { seq: number; hash: string } | null }[]>`
    SELECT
      (SELECT json_build_object('seq', x.seq, 'type', x.type, 'actor', x.actor, 'at', to_char(x.at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'payload', x.payload)
         FROM audit_events x WHERE x.case_id = c.id AND x.event_key = ${e.eventKey}) AS existing,
      (SELECT json_build_object('seq', y.seq, 'hash', y.hash)
         FROM audit_events y WHERE y.case_id = c.id ORDER BY y.seq DESC LIMIT 1) AS last
    FROM cases c WHERE c.id = ${e.caseId}`;
  if (!state) throw new Error(`Case ${e.caseId} does not exist: its audit trail cannot be appended to`);
  if (state.existing) {
    const stored = { ...state.existing, at: new Date(state.existing.at) };
    if (!sameAuditEvent(stored, e)) throw auditKeyCollision(e.caseId, e.eventKey, `${stored.type} at ${stored.at.toISOString()}`, `${e.type} at ${e.at.toISOString()}`);
    return { appended: false, seq: stored.seq };
  }
  const seq = (state.last?.seq ?? 0) + 1;
  const prevHash = state.last?.hash ?? GENESIS_HASH;
  const hash = eventHash(prevHash, { ...e, seq });
  await tx.auditEvent.create({
    data: { caseId: e.caseId, seq, eventKey: e.eventKey, type: e.type, actor: e.actor, at: e.at, payload: e.payload as Prisma.InputJsonValue, prevHash, hash },
  });
  return { appended: true, seq };
}

interface StoredEvent {
  seq: number;
  type: string;
  actor: string;
  at: string;
  payload: unknown;
}

export interface ChainVerification {
  caseId: string;
  events: number;
  valid: boolean;
  firstBrokenSeq?: number;
  problem?: string;
}

/** Recomputes a case's chain; reports the first broken link. */
export async function verifyAuditChain(db: Db, caseId: string): Promise<ChainVerification> {
  const events = await db.auditEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } });
  let prev = GENESIS_HASH;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.seq !== i + 1) return { caseId, events: events.length, valid: false, firstBrokenSeq: e.seq, problem: `expected seq ${i + 1}, found ${e.seq}` };
    if (e.prevHash !== prev) return { caseId, events: events.length, valid: false, firstBrokenSeq: e.seq, problem: 'prev_hash does not match the previous event' };
    const expected = eventHash(prev, { caseId: e.caseId, seq: e.seq, eventKey: e.eventKey, type: e.type, actor: e.actor, at: e.at, payload: e.payload });
    if (expected !== e.hash) return { caseId, events: events.length, valid: false, firstBrokenSeq: e.seq, problem: 'hash does not match the event content' };
    prev = e.hash;
  }
  return { caseId, events: events.length, valid: true };
}
