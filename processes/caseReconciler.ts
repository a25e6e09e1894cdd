// The case reconciler: starts the cases a crash left without their workflow. An opening commits its case row, then
// starts the workflow (api/caseOpening.ts, the real-name route); a process that dies between the two leaves a case
// `open` that no workflow moves, and only a client that retries with the same key would repair it. The reconciler
// finds case rows whose workflow has not written within a bound (cases.workflow_started_at, set by the workflow's
// first write) and starts them from their stored input (cases.summary.workflowInput: ids and enums only), with the
// API's start and its workflow-id policies (processes/caseStart.ts):
// - no workflow yet: started;
// - a workflow running that has not written yet (a slow start): found, not started again (USE_EXISTING);
// - a workflow that ran and closed: never started again (REJECT_DUPLICATE);
// and marks the case started in the last two cases and after a start. It runs at worker start-up and then
// periodically, under one PostgreSQL advisory lock, so that two workers never work through the same rows at once.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { PoolClient } from 'pg';
import { poolOf, type Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import { metric, type Registry } from '../lib/metrics';
import { startCaseOnce, type CaseStartDeps, type StoredWorkflowInput } from './caseStart';
import { processOf } from './index';
import { resignalThreadMessages } from './threadMessages';
import { purgeExpiredMailIntakes } from './mailIntake';
import type { BlobStore } from '../lib/blobs';

/** The advisory lock the reconcilers of one database share (pg_try_advisory_lock: session-level, released at the end of a pass). */
export const RECONCILER_LOCK_KEY = 7_261_003_001;

export interface CaseReconcilerOptions extends CaseStartDeps {
  db: Db;
  logger: Logger;
  metrics?: Registry;
  /** A case whose workflow has not written this long after its opening is started (default 30 s). */
  boundMs?: number;
  /** Time between passes (default 30 s); the first runs at start(). */
  everyMs?: number;
  /** Cases per pass (default 100); a pass that found as many goes on at once. */
  batch?: number;
  /**
   * Also take cases of no recorded task queue (opened before queues were recorded) besides this queue's own. Default
   * true; a deployment that shares its database with others of other queues (the tests) turns it off.
   */
  adoptUnqueued?: boolean;
  /** The blob store: an expired e-mail intake's files go with it (absent: only its rows). */
  blobs?: BlobStore | null;
}

export type ReconcileOutcome = 'started' | 'found_running' | 'found_closed' | 'failed';

export interface ReconcileResult {
  /** False when another reconciler held the lock: this pass did nothing. */
  locked: boolean;
  cases: { caseId: string; caseType: string; outcome: ReconcileOutcome }[];
}

export interface CaseReconciler {
  /** One pass (several while each finds a full batch): what it did to which case. */
  runOnce(): Promise<ReconcileResult>;
  /** Runs a pass now, then every `everyMs`. */
  start(): void;
  /** Stops the timer and waits for the pass in flight. */
  stop(): Promise<void>;
}

interface Candidate {
  id: string;
  type: string;
  input: StoredWorkflowInput | null;
}

export function createCaseReconciler(o: CaseReconcilerOptions): CaseReconciler {
  const boundMs = o.boundMs ?? 30_000;
  const batch = o.batch ?? 100;
  const adoptUnqueued = o.adoptUnqueued ?? true;
  const log = o.logger.child({ component: 'case-reconciler' });
  const counter = o.metrics
    ? metric(o.metrics, 'counter', {
        name: 'casework_case_reconciler_total',
        help: 'Cases found without a workflow write past the start bound, by what the reconciler did: started, found_running (a slow start), found_closed (ran and closed; not restarted), failed (retried next pass)',
        labelNames: ['case_type', 'outcome'],
      })
    : undefined;
  const passes = o.metrics ? metric(o.metrics, 'counter', { name: 'casework_case_reconciler_passes_total', help: 'Reconciler passes, by whether this process held the lock', labelNames: ['locked'] }) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ReconcileResult> | undefined;

  async function candidates(client: PoolClient, after: string[]): Promise<Candidate[]> {
    const { rows } = await client.query<Candidate>(
      `SELECT id, type, summary->'workflowInput' AS input FROM cases
       WHERE workflow_started_at IS NULL AND status = 'open'
         AND created_at < timezone('UTC', now()) - make_interval(secs => $1)
         AND (task_queue = $2 OR ($3::boolean AND task_queue IS NULL))
         AND NOT (id = ANY($4::text[]))
       ORDER BY created_at LIMIT $5`,
      [boundMs / 1000, o.temporal.taskQueue, adoptUnqueued, after, batch],
    );
    return rows;
  }

  /** Whether a workflow of this id exists, and whether it still runs. */
  async function existing(c: Candidate): Promise<'running' | 'closed' | 'none'> {
    try {
      const d = await o.temporal.clients.forIdentity('system').workflow.getHandle(c.id).describe();
      return d.status.name === 'RUNNING' ? 'running' : 'closed';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'none';
      throw err;
    }
  }

  async function repair(client: PoolClient, c: Candidate): Promise<ReconcileOutcome> {
    const l = log.child({ caseId: c.id, caseType: c.type });
    const process = processOf(c.type);
    if (!process || !c.input || c.input.caseId !== c.id || typeof c.input.openedBy !== 'string') {
      l.error({ reason: process ? 'no stored workflow input' : 'no process of this case type' }, 'case without workflow cannot be started');
      return 'failed';
    }
    let outcome: ReconcileOutcome;
    try {
      const found = await existing(c);
      if (found === 'none') outcome = (await startCaseOnce(o, process, c.input)) === 'started' ? 'started' : 'found_closed';
      else outcome = found === 'running' ? 'found_running' : 'found_closed';
    } catch (err) {
      l.warn({ err: (err as Error).message }, 'case without workflow: start failed; the next pass tries again');
      return 'failed';
    }
    // Its workflow exists now (or ran): the case leaves the reconciler's list. The workflow's own first write sets the
    // same column; whichever comes first stays.
    await client.query(`UPDATE cases SET workflow_started_at = coalesce(workflow_started_at, timezone('UTC', now())) WHERE id = $1`, [c.id]);
    if (outcome === 'started') l.warn({ outcome }, 'case had no workflow past the start bound: started it from its stored input');
    else l.info({ outcome }, outcome === 'found_running' ? 'case workflow was running without having written yet: marked started, not started again' : 'case workflow had run and closed: marked started, not started again');
    return outcome;
  }

  async function pass(): Promise<ReconcileResult> {
    const result = await casesPass();
    if (!result.locked) return result;
    // After the lock's connection is back in the pool: these take connections of their own (the embedded database of
    // `bash scripts/dev` has one), and each is safe to run twice (a message's signal is heard once, a purge deletes once).
    // Thread messages whose signal to their case never went through (the case would wait on a reply it has).
    await resignalThreadMessages({ db: o.db, clients: o.temporal.clients, logger: log }, { afterMs: boundMs, batch, taskQueue: o.temporal.taskQueue, adoptUnqueued }).catch((err: Error) => log.warn({ err: err.message }, 'thread messages: signalling again failed; the next pass tries again'));
    // E-mail intakes past their confirmation link's expiry (processes/mailIntake.ts).
    await purgeExpiredMailIntakes(o.db, { batch, blobs: o.blobs })
      .then((n) => n > 0 && log.info({ intakes: n }, 'expired e-mail intakes purged'))
      .catch((err: Error) => log.warn({ err: err.message }, 'e-mail intakes: purge failed; the next pass tries again'));
    return result;
  }

  /** The cases without their workflow, under the reconcilers' advisory lock (one pass at a time across workers). */
  async function casesPass(): Promise<ReconcileResult> {
    const client = await poolOf(o.db).connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RECONCILER_LOCK_KEY]);
      passes?.inc({ locked: String(rows[0].locked) });
      if (!rows[0].locked) return { locked: false, cases: [] };
      try {
        const done: ReconcileResult['cases'] = [];
        const seen: string[] = [];
        for (;;) {
          const found = await candidates(client, seen);
          for (const c of found) {
            seen.push(c.id);
            const outcome = await repair(client, c);
            counter?.inc({ case_type: c.type, outcome });
            done.push({ caseId: c.id, caseType: c.type, outcome });
          }
          if (found.length < batch) break;
        }
        if (done.length) log.info({ cases: done.length, started: done.filter((d) => d.outcome === 'started').length, failed: done.filter((d) => d.outcome === 'failed').length }, 'reconciler pass');
        return { locked: true, cases: done };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RECONCILER_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  function runOnce(): Promise<ReconcileResult> {
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(pass);
    running = next;
    next.finally(() => {
      if (running === next) running = undefined;
    }).catch(() => undefined);
    return next;
  }

  const tick = () => {
    runOnce().catch((err: unknown) => log.error({ err: (err as Error).message }, 'reconciler pass failed; the next pass tries again'));
  };

  return {
    runOnce,
    start() {
      if (timer) return;
      timer = setInterval(tick, o.everyMs ?? 30_000);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      while (running) await running.catch(() => undefined);
    },
  };
}
