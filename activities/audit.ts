// Append-only audit trail. Events of a case form a SHA-256 hash chain: each stores its predecessor's hash.
import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { ClientBase } from 'pg';
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

/**
 * True when a stored event is the same event as `e`, not merely the same key: the same type, actor and payload. Its
 * time may differ: a workflow task the server refused (a signal came while it closed the case: UnhandledCommand) runs
 * again at a later workflow time and sends the same events again; the first write stands, nothing is written twice.
 */
export function sameAuditEvent(stored: { type: string; actor: string; at: Date; payload: unknown }, e: AuditInput): boolean {
  return stored.type === e.type && stored.actor === e.actor && canonicalJson(stored.payload) === canonicalJson(e.payload);
}

/** Runs a statement inside the caller's transaction: a Prisma transaction, or a pg client (activities/caseWrites.ts). */
export interface Sql {
  query<R>(text: string, params: unknown[]): Promise<R[]>;
}
export const prismaSql = (tx: Tx): Sql => ({ query: <R>(text: string, params: unknown[]) => tx.$queryRawUnsafe<R[]>(text, ...params) });
export const pgSql = (client: Pick<ClientBase, 'query'>): Sql => ({ query: async <R>(text: string, params: unknown[]) => (await client.query(text, params)).rows as R[] });

/** to_char format of a `timestamp(3)` column (UTC) as Date.toISOString() writes it. */
export const ISO_INSTANT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Parameter `$n`, an ISO instant, as a `timestamp(3)` column holds it (UTC), whatever the server's or the process's zone. */
export const utc = (n: number) => `($${n}::timestamptz AT TIME ZONE 'UTC')`;

interface StoredEvent {
  key: string;
  seq: number;
  type: string;
  actor: string;
  at: string;
  payload: unknown;
}

/**
 * A case's audit chain inside one transaction: the case row locked, the chain's last link and the events already under
 * the keys to be appended read once; appends are computed here and inserted together by insert().
 */
export class AuditChain {
  private readonly rows: { seq: number; key: string; type: string; actor: string; at: string; payload: string; prevHash: string; hash: string }[] = [];
  private constructor(
    private readonly caseId: string,
    private readonly existing: Map<string, StoredEvent>,
    private last: { seq: number; hash: string },
  ) {}

  /** Locks the case's row and reads the chain's last link and the events under `keys`. */
  static async open(sql: Sql, caseId: string, keys: string[]): Promise<AuditChain> {
    // The case row is locked in a statement of its own: under READ COMMITTED a statement that waited for the lock
    // still reads with the snapshot it started with, so a read in the locking statement could miss the event that
    // the lock's holder just appended (and two appends would take the same seq).
    const locked = await sql.query<{ id: string }>('SELECT id FROM cases WHERE id = $1 FOR UPDATE', [caseId]);
    if (locked.length === 0) throw new Error(`Case ${caseId} does not exist: its audit trail cannot be appended to`);
    const [state] = await sql.query<{ existing: StoredEvent[]; last: { seq: number; hash: string } | null }>(
      `SELECT
         (SELECT coalesce(json_agg(json_build_object('key', x.event_key, 'seq', x.seq, 'type', x.type, 'actor', x.actor, 'at', to_char(x.at, ${ISO_INSTANT}), 'payload', x.payload)), '[]'::json)
            FROM audit_events x WHERE x.case_id = $1 AND x.event_key = ANY($2::text[])) AS existing,
         (SELECT json_build_object('seq', y.seq, 'hash', y.hash) FROM audit_events y WHERE y.case_id = $1 ORDER BY y.seq DESC LIMIT 1) AS last`,
      [caseId, keys],
    );
    return new AuditChain(caseId, new Map(state.existing.map((e) => [e.key, e])), state.last ?? { seq: 0, hash: GENESIS_HASH });
  }

  /**
   * True when `e` is already recorded under its key (a retry): nothing to append. A different event under the key is
   * a collision and throws (auditKeyCollision).
   */
  recorded(e: AuditInput): boolean {
    const stored = this.existing.get(e.eventKey);
    if (!stored) return false;
    if (!sameAuditEvent({ ...stored, at: new Date(stored.at) }, e)) throw auditKeyCollision(this.caseId, e.eventKey, `${stored.type} at ${stored.at}`, `${e.type} at ${e.at.toISOString()}`);
    return true;
  }

  /** Appends `e` unless it is already recorded; its seq either way. Only keys given to open() are checked. */
  append(e: AuditInput): { appended: boolean; seq: number } {
    if (this.recorded(e)) return { appended: false, seq: this.existing.get(e.eventKey)!.seq };
    const seq = this.last.seq + 1;
    const hash = eventHash(this.last.hash, { ...e, seq });
    const at = e.at.toISOString();
    this.rows.push({ seq, key: e.eventKey, type: e.type, actor: e.actor, at, payload: JSON.stringify(e.payload), prevHash: this.last.hash, hash });
    this.existing.set(e.eventKey, { key: e.eventKey, seq, type: e.type, actor: e.actor, at, payload: JSON.parse(JSON.stringify(e.payload)) });
    this.last = { seq, hash };
    return { appended: true, seq };
  }

  /** Inserts the appended events in one statement. */
  async insert(sql: Sql): Promise<void> {
    if (this.rows.length === 0) return;
    const r = this.rows;
    await sql.query(
      `INSERT INTO audit_events (case_id, seq, event_key, type, actor, at, payload, prev_hash, hash)
       SELECT $1, u.seq, u.key, u.type, u.actor, (u.at::timestamptz AT TIME ZONE 'UTC'), u.payload::jsonb, u.prev, u.hash
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) AS u(seq, key, type, actor, at, payload, prev, hash)`,
      [this.caseId, r.map((x) => x.seq), r.map((x) => x.key), r.map((x) => x.type), r.map((x) => x.actor), r.map((x) => x.at), r.map((x) => x.payload), r.map((x) => x.prevHash), r.map((x) => x.hash)],
    );
    this.rows.length = 0;
  }
}

/**
 * Appends one event inside the caller's transaction. Idempotent on (caseId, eventKey) for the same
 * event: a retry finds it and appends nothing. The same key carrying a different event is a
 * collision and throws (auditKeyCollision). The case row is locked so concurrent appends serialize.
 */
export async function appendAuditEvent(tx: Tx, e: AuditInput): Promise<{ appended: boolean; seq: number }> {
  return appendAuditEventIn(prismaSql(tx), e);
}

/** appendAuditEvent inside a plain-SQL transaction (withPgTransaction, pgSql). */
export async function appendAuditEventIn(sql: Sql, e: AuditInput): Promise<{ appended: boolean; seq: number }> {
  const chain = await AuditChain.open(sql, e.caseId, [e.eventKey]);
  const result = chain.append(e);
  await chain.insert(sql);
  return result;
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
