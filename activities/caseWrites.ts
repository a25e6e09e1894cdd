// A case's own writes (audit events, read model, task rows, queued e-mails) in plain SQL on one pg connection, in
// one transaction: a step's batch (applyCaseWrites) or a single write of a case started before batching. The hot
// path of every step, so it takes few round trips: the case row locked once, the batch's event keys and the
// chain's last link read at once, the events inserted together at the end. Each write stays idempotent on its key.
import type { ClientBase } from 'pg';

/** Anything that runs a query: a client in a transaction, or the pool for a statement of its own. */
export type Sql = Pick<ClientBase, 'query'>;
import { auditKeyCollision, canonicalJson, eventHash, GENESIS_HASH, sameAuditEvent, type AuditInput } from './audit';
import type { CaseEventInput, CaseWrite, CloseTaskInput, EscalateTaskInput, NotifyInput, OpenTaskInput } from './types';

/** What a write did, for its log line once the transaction has committed. */
export type WriteOutcome =
  | { kind: 'recordCaseEvent'; input: CaseEventInput }
  | { kind: 'openTask'; input: OpenTaskInput; opened: boolean }
  | { kind: 'closeTask'; input: CloseTaskInput; changed: boolean }
  | { kind: 'escalateTask'; input: EscalateTaskInput; applied: boolean }
  | { kind: 'notify'; input: NotifyInput };

/** `timestamp(3)` columns hold UTC: an ISO instant goes in as such, whatever the server's or the process's zone. */
const utc = (n: number) => `($${n}::timestamptz AT TIME ZONE 'UTC')`;
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

interface Stored {
  key: string;
  seq: number;
  type: string;
  actor: string;
  at: string;
  payload: unknown;
}

/** The case's audit chain for one transaction: its last link and the batch's keys already used, read once. */
class Chain {
  private readonly rows: { seq: number; key: string; type: string; actor: string; at: string; payload: string; prevHash: string; hash: string }[] = [];
  constructor(
    private readonly caseId: string,
    private readonly existing: Map<string, Stored>,
    private last: { seq: number; hash: string },
  ) {}

  /** Appends `e` unless the same event is already under its key (a retry); a different event under it throws. */
  append(e: AuditInput): boolean {
    const stored = this.existing.get(e.eventKey);
    if (stored) {
      if (!sameAuditEvent({ ...stored, at: new Date(stored.at) }, e)) throw auditKeyCollision(this.caseId, e.eventKey, `${stored.type} at ${stored.at}`, `${e.type} at ${e.at.toISOString()}`);
      return false;
    }
    const seq = this.last.seq + 1;
    const hash = eventHash(this.last.hash, { ...e, seq });
    const at = e.at.toISOString();
    this.rows.push({ seq, key: e.eventKey, type: e.type, actor: e.actor, at, payload: JSON.stringify(e.payload), prevHash: this.last.hash, hash });
    this.existing.set(e.eventKey, { key: e.eventKey, seq, type: e.type, actor: e.actor, at, payload: JSON.parse(JSON.stringify(e.payload)) });
    this.last = { seq, hash };
    return true;
  }

  /** The stored event under `key`, if any (read or appended in this transaction). */
  find(key: string): Stored | undefined {
    return this.existing.get(key);
  }

  async insert(client: ClientBase): Promise<void> {
    if (this.rows.length === 0) return;
    const r = this.rows;
    await client.query(
      `INSERT INTO audit_events (case_id, seq, event_key, type, actor, at, payload, prev_hash, hash)
       SELECT $1, u.seq, u.key, u.type, u.actor, (u.at::timestamptz AT TIME ZONE 'UTC'), u.payload::jsonb, u.prev, u.hash
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) AS u(seq, key, type, actor, at, payload, prev, hash)`,
      [this.caseId, r.map((x) => x.seq), r.map((x) => x.key), r.map((x) => x.type), r.map((x) => x.actor), r.map((x) => x.at), r.map((x) => x.payload), r.map((x) => x.prevHash), r.map((x) => x.hash)],
    );
  }
}

/** The keys a write may append under. */
function keysOf(w: CaseWrite): string[] {
  if (w.kind === 'closeTask') return [w.input.eventKey, `${w.input.eventKey}:breach`];
  return [w.input.eventKey];
}

/**
 * Applies `writes` of case `caseId`, in order, inside the caller's transaction on `client` (BEGIN/COMMIT are the
 * caller's). Returns what each did. Throws AuditKeyCollision (non-retryable) when a key carries another event.
 */
export async function applyWritesIn(client: ClientBase, caseId: string, writes: CaseWrite[], queue: string | null): Promise<WriteOutcome[]> {
  for (const w of writes) if (w.input.caseId !== caseId) throw new Error(`A write of case ${w.input.caseId} in the batch of case ${caseId}`);
  // The case row is locked in a statement of its own (see appendAuditEvent): the reads below then see every event
  // appended by whoever held the lock before.
  const locked = await client.query('SELECT id FROM cases WHERE id = $1 FOR UPDATE', [caseId]);
  if (locked.rowCount === 0) throw new Error(`Case ${caseId} does not exist: its audit trail cannot be appended to`);
  const { rows } = await client.query<{ existing: Stored[]; last: { seq: number; hash: string } | null }>(
    `SELECT
       (SELECT coalesce(json_agg(json_build_object('key', x.event_key, 'seq', x.seq, 'type', x.type, 'actor', x.actor, 'at', to_char(x.at, ${ISO}), 'payload', x.payload)), '[]'::json)
          FROM audit_events x WHERE x.case_id = $1 AND x.event_key = ANY($2::text[])) AS existing,
       (SELECT json_build_object('seq', y.seq, 'hash', y.hash) FROM audit_events y WHERE y.case_id = $1 ORDER BY y.seq DESC LIMIT 1) AS last`,
    [caseId, writes.flatMap(keysOf)],
  );
  const chain = new Chain(caseId, new Map(rows[0].existing.map((s) => [s.key, s])), rows[0].last ?? { seq: 0, hash: GENESIS_HASH });
  const out: WriteOutcome[] = [];
  for (const w of writes) {
    switch (w.kind) {
      case 'recordCaseEvent':
        await recordCaseEvent(client, chain, w.input);
        out.push(w);
        break;
      case 'openTask':
        out.push({ ...w, opened: await openTask(client, chain, w.input) });
        break;
      case 'closeTask':
        out.push({ ...w, changed: await closeTask(client, chain, w.input) });
        break;
      case 'escalateTask':
        out.push({ ...w, applied: await escalateTask(client, chain, w.input) });
        break;
      case 'notify':
        await queueNotification(client, w.input, queue);
        out.push(w);
        break;
    }
  }
  await chain.insert(client);
  return out;
}

/**
 * The case's running deadlines: a list replaces the stored one only when its version is newer (the writes of one
 * case finish in any order: a task closed by an update, the next step of the main flow). Without a version (cases
 * that started before versions existed) it applies as before.
 */
async function writeDeadlines(client: ClientBase, caseId: string, deadlines: Record<string, string | null>, version?: number): Promise<void> {
  const json = JSON.stringify(deadlines);
  if (version === undefined) await client.query('UPDATE cases SET deadlines = $2::jsonb WHERE id = $1', [caseId, json]);
  else await client.query('UPDATE cases SET deadlines = $2::jsonb, deadlines_version = $3 WHERE id = $1 AND deadlines_version < $3', [caseId, json, version]);
}

async function recordCaseEvent(client: ClientBase, chain: Chain, e: CaseEventInput): Promise<void> {
  const appended = chain.append({ ...e, at: new Date(e.at) });
  if (!appended || !e.casePatch) return;
  const p = e.casePatch;
  await client.query(
    `UPDATE cases SET
       status = coalesce($2, status), step = coalesce($3, step),
       outcome = CASE WHEN $4::boolean THEN $5 ELSE outcome END,
       closed_at = CASE WHEN $6::boolean THEN ${utc(7)} ELSE closed_at END,
       updated_at = timezone('UTC', now())
     WHERE id = $1`,
    [e.caseId, p.status ?? null, p.step ?? null, p.outcome !== undefined, p.outcome ?? null, p.closed === true, e.at],
  );
  if (p.deadlines !== undefined) await writeDeadlines(client, e.caseId, p.deadlines, e.deadlinesVersion);
}

async function openTask(client: ClientBase, chain: Chain, t: OpenTaskInput): Promise<boolean> {
  const appended = chain.append({
    caseId: t.caseId,
    eventKey: t.eventKey,
    type: 'task.created',
    actor: 'system',
    at: new Date(t.at),
    payload: { taskId: t.taskId, type: t.type, role: t.role, dueAt: t.dueAt, sla: t.slaName },
  });
  if (!appended) return false;
  await client.query(
    `INSERT INTO tasks (id, case_id, case_type, type, role, merchant_id, status, due_at, sla_name, created_at)
     VALUES ($1, $2, $3, $4, $5::"Role", $6, 'open', ${utc(7)}, $8, ${utc(9)})`,
    [t.taskId, t.caseId, t.caseType, t.type, t.role, t.merchantId ?? null, t.dueAt, t.slaName, t.at],
  );
  if (t.deadlines) await writeDeadlines(client, t.caseId, t.deadlines, t.deadlinesVersion);
  return true;
}

async function closeTask(client: ClientBase, chain: Chain, t: CloseTaskInput): Promise<boolean> {
  const at = new Date(t.at);
  const closing: AuditInput = { caseId: t.caseId, eventKey: t.eventKey, type: `task.${t.status}`, actor: t.actor, at, payload: { taskId: t.taskId, resolution: t.resolution, result: t.result ?? null } };
  const seen = chain.find(t.eventKey);
  if (seen) {
    if (!sameAuditEvent({ ...seen, at: new Date(seen.at) }, closing)) throw auditKeyCollision(t.caseId, t.eventKey, `${seen.type} at ${seen.at}`, `${closing.type} at ${t.at}`);
    return false; // a retry of this very close
  }
  // Only an open task closes; the audit trail records only transitions that happened.
  const result = t.result === undefined || t.result === null ? null : JSON.stringify(t.result);
  const updated = await client.query<{ sla_name: string; due_at: string }>(
    `UPDATE tasks SET status = $2, resolution = $3, completed_at = ${utc(4)}, completed_by = $5, result = coalesce($6::jsonb, result)
     WHERE id = $1 AND status = 'open'
     RETURNING sla_name, to_char(due_at, ${ISO}) AS due_at`,
    [t.taskId, t.status, t.resolution, t.at, t.actor, result],
  );
  if (updated.rowCount === 0) return false;
  if (t.status === 'expired') {
    // The SLA lapsed and the policy's default decision was taken: a breach, on the record.
    const row = updated.rows[0];
    chain.append({ caseId: t.caseId, eventKey: `${t.eventKey}:breach`, type: 'sla.breached', actor: 'system', at, payload: { taskId: t.taskId, sla: row.sla_name, dueAt: row.due_at, action: 'default-decision' } });
  }
  chain.append(closing);
  if (t.deadlines) await writeDeadlines(client, t.caseId, t.deadlines, t.deadlinesVersion);
  return true;
}

async function escalateTask(client: ClientBase, chain: Chain, t: EscalateTaskInput): Promise<boolean> {
  const appended = chain.append({
    caseId: t.caseId,
    eventKey: t.eventKey,
    type: t.kind === 'reminder' ? 'sla.reminded' : 'sla.breached',
    actor: 'system',
    at: new Date(t.at),
    payload: { taskId: t.taskId, sla: t.slaName, dueAt: t.dueAt, action: t.action ?? null },
  });
  if (!appended) return false;
  if (t.kind === 'reminder') await client.query(`UPDATE tasks SET reminded_at = ${utc(2)} WHERE id = $1`, [t.taskId, t.at]);
  else if (t.action === 'reassign-to-supervisor') await client.query(`UPDATE tasks SET escalated = true, escalated_at = ${utc(2)}, role = 'supervisor', assignee_id = NULL WHERE id = $1`, [t.taskId, t.at]);
  else await client.query(`UPDATE tasks SET escalated = true, escalated_at = ${utc(2)} WHERE id = $1`, [t.taskId, t.at]);
  return true;
}

/**
 * Queues the e-mail in the outbox (one row per key): the dispatcher (notificationOutbox.ts) delivers it at most once
 * and records notification.sent when SMTP accepts it. A row queued by an earlier version (no params) gets them; the
 * same key always carries the same content.
 */
export async function queueNotification(client: Sql, n: NotifyInput, queue: string | null): Promise<void> {
  await client.query(
    `INSERT INTO notifications (id, case_id, template, recipient_kind, recipient_id, status, params, event_key, event_at, queue)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6::jsonb, $7, ${utc(8)}, $9)
     ON CONFLICT (id) DO UPDATE SET params = EXCLUDED.params, event_key = EXCLUDED.event_key, event_at = EXCLUDED.event_at, queue = EXCLUDED.queue`,
    [n.key, n.caseId, n.template, n.recipient.kind, n.recipient.id, canonicalJson(n.params), n.eventKey, n.at, queue],
  );
}
