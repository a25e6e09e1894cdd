// A case's own writes (audit events, read model, task rows, queued e-mails) in plain SQL on one pg connection, in
// one transaction: a step's batch (applyCaseWrites) or a single write of a case started before batching. The hot
// path of every step, so it takes few round trips: the case row locked once, the batch's event keys and the
// chain's last link read at once (AuditChain, activities/audit.ts), the events inserted together at the end. Each
// write stays idempotent on its key.
import type { ClientBase } from 'pg';
import { AuditChain, canonicalJson, ISO_INSTANT, pgSql, utc, type AuditInput } from './audit';
import type { CaseEventInput, CaseWrite, CloseTaskInput, EscalateTaskInput, NotifyInput, OpenTaskInput, SetDeadlinesInput, WatchParcelInput } from './types';

/** Anything that runs a query: a client in a transaction, or the pool for a statement of its own. */
export type PgQueryable = Pick<ClientBase, 'query'>;

/** What a write did, for its log line once the transaction has committed. */
export type WriteOutcome =
  | { kind: 'recordCaseEvent'; input: CaseEventInput }
  | { kind: 'openTask'; input: OpenTaskInput; opened: boolean }
  | { kind: 'closeTask'; input: CloseTaskInput; changed: boolean }
  | { kind: 'escalateTask'; input: EscalateTaskInput; applied: boolean }
  | { kind: 'notify'; input: NotifyInput }
  | { kind: 'setDeadlines'; input: SetDeadlinesInput }
  | { kind: 'watchParcel'; input: WatchParcelInput };


/** The keys a write may append under. */
function keysOf(w: CaseWrite): string[] {
  if (w.kind === 'closeTask') return [w.input.eventKey, `${w.input.eventKey}:breach`];
  if (w.kind === 'setDeadlines' || w.kind === 'watchParcel') return [];
  return [w.input.eventKey];
}

/**
 * Applies `writes` of case `caseId`, in order, inside the caller's transaction on `client` (BEGIN/COMMIT are the
 * caller's). Returns what each did. Throws AuditKeyCollision (non-retryable) when a key carries another event.
 */
export async function applyWritesIn(client: ClientBase, caseId: string, writes: CaseWrite[], queue: string | null): Promise<WriteOutcome[]> {
  for (const w of writes) if (w.input.caseId !== caseId) throw new Error(`A write of case ${w.input.caseId} in the batch of case ${caseId}`);
  const sql = pgSql(client);
  const chain = await AuditChain.open(sql, caseId, writes.flatMap(keysOf));
  const deadlines = new Deadlines();
  const out: WriteOutcome[] = [];
  for (const w of writes) {
    switch (w.kind) {
      case 'recordCaseEvent':
        await recordCaseEvent(client, chain, deadlines, w.input);
        out.push(w);
        break;
      case 'openTask':
        out.push({ ...w, opened: await openTask(client, chain, deadlines, w.input) });
        break;
      case 'closeTask':
        out.push({ ...w, changed: await closeTask(client, chain, deadlines, w.input) });
        break;
      case 'escalateTask':
        out.push({ ...w, applied: await escalateTask(client, chain, w.input) });
        break;
      case 'notify':
        await queueNotification(client, w.input, queue);
        out.push(w);
        break;
      case 'setDeadlines':
        deadlines.note(w.input.deadlines, w.input.deadlinesVersion);
        out.push(w);
        break;
      case 'watchParcel':
        await watchParcel(client, w.input);
        out.push(w);
        break;
    }
  }
  await chain.insert(sql);
  await deadlines.write(client, caseId);
  return out;
}

/**
 * The case's running deadlines, as the batch leaves them: a list replaces the stored one only when its version is
 * newer (the writes of one case finish in any order: a task closed by an update, the next step of the main flow), so
 * of a batch's lists only the newest is written, once. Without a version (cases that started before versions existed,
 * one write per batch) it applies as before.
 */
class Deadlines {
  private newest?: { list: Record<string, string | null>; version?: number };

  note(list: Record<string, string | null>, version?: number): void {
    if (!this.newest || version === undefined || this.newest.version === undefined || version > this.newest.version) this.newest = { list, version };
  }

  async write(client: ClientBase, caseId: string): Promise<void> {
    if (!this.newest) return;
    const { list, version } = this.newest;
    const json = JSON.stringify(list);
    if (version === undefined) await client.query('UPDATE cases SET deadlines = $2::jsonb WHERE id = $1', [caseId, json]);
    else await client.query('UPDATE cases SET deadlines = $2::jsonb, deadlines_version = $3 WHERE id = $1 AND deadlines_version < $3', [caseId, json, version]);
  }
}

/** The parcel the case waits for, by case and leg: the carrier's webhook finds the case by its tracking number. */
async function watchParcel(client: ClientBase, p: WatchParcelInput): Promise<void> {
  await client.query(
    `INSERT INTO case_parcels (case_id, leg, carrier, tracking_number, created_at) VALUES ($1, $2, $3, $4, ${utc(5)})
     ON CONFLICT (case_id, leg) DO UPDATE SET carrier = EXCLUDED.carrier, tracking_number = EXCLUDED.tracking_number, created_at = EXCLUDED.created_at`,
    [p.caseId, p.leg, p.carrier, p.trackingNumber, p.at],
  );
}

async function recordCaseEvent(client: ClientBase, chain: AuditChain, deadlines: Deadlines, e: CaseEventInput): Promise<void> {
  const { appended } = chain.append({ ...e, at: new Date(e.at) });
  if (!appended || !e.casePatch) return;
  const p = e.casePatch;
  // One statement: the case row, and its step spans (case_steps). A step other than the open span's closes that span
  // (noting the step it went on to and its duration) and opens the next, both at the event's own time; the same step
  // again (a write carrying the case's step unchanged) changes no span. A new span copies the case's type, opening
  // time, merchant and facets (read without a join by reports, processes/reports.ts); a merchant named later is
  // written on the case's spans too. The CTEs and the insert see the rows as they were before the statement. This runs
  // only for an event the chain appended in this transaction: a retried write, its event on record, adds no span.
  const closesSpan = `$3::text IS NOT NULL AND left_at IS NULL AND step <> $3`;
  await client.query(
    `WITH case_row AS (
       UPDATE cases SET
         status = coalesce($2, status), step = coalesce($3, step),
         outcome = CASE WHEN $4::boolean THEN $5 ELSE outcome END,
         closed_at = CASE WHEN $6::boolean THEN ${utc(7)} ELSE closed_at END,
         closing = CASE WHEN $6::boolean THEN $8::jsonb ELSE closing END,
         merchant_id = coalesce($9, merchant_id),
         workflow_started_at = coalesce(workflow_started_at, timezone('UTC', now())),
         updated_at = timezone('UTC', now())
       WHERE id = $1
     ), spans AS (
       UPDATE case_steps SET
         left_at = CASE WHEN ${closesSpan} THEN ${utc(7)} ELSE left_at END,
         next_step = CASE WHEN ${closesSpan} THEN $3 ELSE next_step END,
         duration_ms = CASE WHEN ${closesSpan} THEN round(extract(epoch FROM ${utc(7)} - entered_at) * 1000)::bigint ELSE duration_ms END,
         merchant_id = coalesce($9, merchant_id)
       WHERE case_id = $1 AND ((${closesSpan}) OR ($9::text IS NOT NULL AND merchant_id IS DISTINCT FROM $9))
     )
     INSERT INTO case_steps (case_id, step, entered_at, case_type, opened_at, merchant_id, facets)
     SELECT $1, $3, ${utc(7)}, c.type, c.created_at, coalesce($9, c.merchant_id), c.facets FROM cases c
     WHERE c.id = $1 AND $3::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_steps WHERE case_id = $1 AND left_at IS NULL AND step = $3)`,
    [e.caseId, p.status ?? null, p.step ?? null, p.outcome !== undefined, p.outcome ?? null, p.closed === true, e.at, p.closed === true ? canonicalJson(e.payload) : null, p.merchantId ?? null],
  );
  if (p.deadlines !== undefined) deadlines.note(p.deadlines, e.deadlinesVersion);
}

async function openTask(client: ClientBase, chain: AuditChain, deadlines: Deadlines, t: OpenTaskInput): Promise<boolean> {
  const { appended } = chain.append({
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
     VALUES ($1, $2, $3, $4, $5, $6, 'open', ${utc(7)}, $8, ${utc(9)})`,
    [t.taskId, t.caseId, t.caseType, t.type, t.role, t.merchantId ?? null, t.dueAt, t.slaName, t.at],
  );
  if (t.deadlines) deadlines.note(t.deadlines, t.deadlinesVersion);
  return true;
}

async function closeTask(client: ClientBase, chain: AuditChain, deadlines: Deadlines, t: CloseTaskInput): Promise<boolean> {
  const at = new Date(t.at);
  const closing: AuditInput = { caseId: t.caseId, eventKey: t.eventKey, type: `task.${t.status}`, actor: t.actor, at, payload: { taskId: t.taskId, resolution: t.resolution, result: t.result ?? null } };
  if (chain.recorded(closing)) return false; // a retry of this very close
  // Only an open task closes; the audit trail records only transitions that happened.
  const result = t.result === undefined || t.result === null ? null : JSON.stringify(t.result);
  const updated = await client.query<{ sla_name: string; due_at: string }>(
    `UPDATE tasks SET status = $2, resolution = $3, completed_at = ${utc(4)}, completed_by = $5, result = coalesce($6::jsonb, result)
     WHERE id = $1 AND status = 'open'
     RETURNING sla_name, to_char(due_at, ${ISO_INSTANT}) AS due_at`,
    [t.taskId, t.status, t.resolution, t.at, t.actor, result],
  );
  if (updated.rowCount === 0) return false;
  if (t.status === 'expired') {
    // The SLA lapsed and the policy's default decision was taken: a breach, on the record.
    const row = updated.rows[0];
    chain.append({ caseId: t.caseId, eventKey: `${t.eventKey}:breach`, type: 'sla.breached', actor: 'system', at, payload: { taskId: t.taskId, sla: row.sla_name, dueAt: row.due_at, action: 'default-decision' } });
  }
  chain.append(closing);
  if (t.deadlines) deadlines.note(t.deadlines, t.deadlinesVersion);
  return true;
}

async function escalateTask(client: ClientBase, chain: AuditChain, t: EscalateTaskInput): Promise<boolean> {
  const { appended } = chain.append({
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
export async function queueNotification(client: PgQueryable, n: NotifyInput, queue: string | null): Promise<void> {
  await client.query(
    `INSERT INTO notifications (id, case_id, template, recipient_kind, recipient_id, status, params, event_key, event_at, queue, receipt)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6::jsonb, $7, ${utc(8)}, $9, $10)
     ON CONFLICT (id) DO UPDATE SET params = EXCLUDED.params, event_key = EXCLUDED.event_key, event_at = EXCLUDED.event_at, queue = EXCLUDED.queue, receipt = EXCLUDED.receipt`,
    [n.key, n.caseId, n.template, n.recipient.kind, n.recipient.id, canonicalJson(n.params), n.eventKey, n.at, queue, n.receipt === true],
  );
}
