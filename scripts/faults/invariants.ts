// What must hold after the faults, each checked against what the system itself recorded (the read model, the
// ledgers, the outbox, the mail catcher's files, the audit chains, Temporal's histories), each with its counts.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { deliveryOf } from '../../activities/templates';
import { templatesOf } from '../../activities';
import { verifyAuditChain } from '../../activities/audit';
import { createDb, type Db } from '../../lib/db';
import { processes } from '../../processes';
import { caseBundleOptions } from '../../worker/worker';
import { workflowBundle } from '../../worker/workflowBundle';
import { ROOT } from '../harness/paths';
import { installQuietRuntime, replayAll, type ReplayTask } from '../replay-worker';
import type { Api } from './client';
import type { DrivenCase } from './load';
import type { InjectedFault } from './schedule';
import type { ChaosTopology } from './devTopology';

export interface Check {
  name: string;
  held: boolean;
  /** The figures, e.g. "60 cases: 58 closed as expected". */
  counts: string;
  /** Up to a few examples of each violation. */
  details: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sample = (xs: string[], n = 5) => (xs.length > n ? [...xs.slice(0, n), `… ${xs.length - n} more`] : xs);

/** 1. Every case at its expected terminal state (its outcome) or expected waiting step; no journey broke. */
async function casesAsExpected(db: Db, cases: DrivenCase[]): Promise<Check> {
  const bad: string[] = [];
  const byScenario = new Map<string, { n: number; ok: number }>();
  for (const c of cases) {
    const key = `${c.caseType}/${c.scenario}${c.companion ? ' (companion)' : ''}`;
    const s = byScenario.get(key) ?? { n: 0, ok: 0 };
    byScenario.set(key, s);
    s.n++;
    if (c.error) {
      bad.push(`${key} ${c.caseId || '(not opened)'}: journey broke: ${c.error.slice(0, 200)}`);
      continue;
    }
    const row = await db.case.findUnique({ where: { id: c.caseId }, select: { status: true, step: true, outcome: true } });
    if (!row) {
      bad.push(`${key} ${c.caseId}: no case row`);
      continue;
    }
    const e = c.expected;
    const ok = e.status === 'closed' ? row.status === 'closed' && (!e.outcomes || e.outcomes.includes(row.outcome ?? '')) : row.status === 'open' && row.step === e.step;
    if (ok) s.ok++;
    else bad.push(`${key} ${c.caseId}: ${row.status}/${row.step}/${row.outcome ?? '-'}, expected ${JSON.stringify(e)}`);
  }
  const ok = [...byScenario.values()].reduce((a, s) => a + s.ok, 0);
  return {
    name: 'cases at their expected end',
    held: bad.length === 0,
    counts: `${ok}/${cases.length} (${[...byScenario.entries()].map(([k, s]) => `${k} ${s.ok}/${s.n}`).join(', ')})`,
    details: sample(bad, 10),
  };
}

/** 2. The payment ledger (the simulated gateway's table, lib/payments.ts): no payment twice. */
async function payments(db: Db): Promise<Check> {
  const [{ ledger }] = await db.$queryRawUnsafe<{ ledger: number }[]>('SELECT count(*)::int AS ledger FROM simulated_gateway_ledger');
  const stray = await db.$queryRawUnsafe<{ key: string }[]>('SELECT l.idempotency_key AS key FROM simulated_gateway_ledger l LEFT JOIN payments p ON p.idempotency_key = l.idempotency_key WHERE p.id IS NULL');
  const twice = await db.$queryRawUnsafe<{ case_id: string; kind: string; n: number }[]>(
    'SELECT p.case_id, p.kind, count(*)::int AS n FROM payments p JOIN simulated_gateway_ledger l ON l.idempotency_key = p.idempotency_key GROUP BY p.case_id, p.kind HAVING count(*) > 1',
  );
  const [{ cases }] = await db.$queryRawUnsafe<{ cases: number }[]>('SELECT count(DISTINCT case_id)::int AS cases FROM payments');
  return {
    name: 'no duplicate payment',
    held: stray.length === 0 && twice.length === 0,
    counts: `${ledger} ledger entries for ${cases} cases; ${twice.length} duplicates; ${stray.length} entries of no payment`,
    details: sample([...twice.map((t) => `${t.case_id} paid ${t.kind} ${t.n} times`), ...stray.map((s) => `ledger entry ${s.key} of no payment`)]),
  };
}

interface Mail {
  file: string;
  messageId: string;
  notificationId: string;
  at: number;
}

function readMails(dir: string): Mail[] {
  if (!fs.existsSync(dir)) return [];
  const header = (head: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1].trim() ?? '';
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => {
      const file = path.join(dir, f);
      const head = fs.readFileSync(file, 'utf8').split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
      return { file: f, messageId: header(head, 'Message-ID'), notificationId: header(head, 'X-Notification-Id'), at: fs.statSync(file).mtimeMs };
    });
}

/**
 * 3. E-mail, outbox rows against the mails received: no at-least-once notice lost (sent and never received, or never
 * sent); a duplicate only with the same Message-ID and only after a kill; no at-most-once notice twice.
 */
async function mail(db: Db, mailDir: string, faults: InjectedFault[]): Promise<Check[]> {
  const templates = templatesOf(processes);
  const rows = await db.notification.findMany({ select: { id: true, template: true, status: true, messageId: true } });
  const mails = readMails(mailDir);
  const byNotification = new Map<string, Mail[]>();
  for (const m of mails) if (m.notificationId) byNotification.set(m.notificationId, [...(byNotification.get(m.notificationId) ?? []), m]);
  const lost: string[] = [];
  const unsent: string[] = [];
  const badDuplicates: string[] = [];
  const atMostTwice: string[] = [];
  let atLeast = 0;
  let atMost = 0;
  let explained = 0;
  let uncertainAtMost = 0;
  const firstKill = Math.min(...faults.map((f) => f.killedAt), Infinity);
  for (const r of rows) {
    const copies = (byNotification.get(r.id) ?? []).sort((a, b) => a.at - b.at);
    const delivery = deliveryOf(templates, r.template);
    if (delivery === 'at-least-once') {
      atLeast++;
      if (r.status === 'sent' && copies.length === 0) lost.push(`${r.id} (${r.template}) recorded sent, never received`);
      if (['pending', 'sending', 'failed', 'uncertain'].includes(r.status)) unsent.push(`${r.id} (${r.template}) still ${r.status}`);
      if (copies.length > 1) {
        if (new Set(copies.map((c) => c.messageId)).size > 1) badDuplicates.push(`${r.id}: ${copies.length} copies with different Message-IDs`);
        else if (copies[1].at < firstKill) badDuplicates.push(`${r.id}: ${copies.length} copies, the second before any kill`);
        else explained += copies.length - 1;
      }
    } else {
      atMost++;
      if (r.status === 'uncertain') uncertainAtMost++;
      if (copies.length > 1) atMostTwice.push(`${r.id} (${r.template}): ${copies.length} copies`);
    }
  }
  const known = new Set(rows.map((r) => r.id));
  const stray = mails.filter((m) => m.notificationId && !known.has(m.notificationId));
  const direct = mails.filter((m) => !m.notificationId);
  const directById = new Map<string, number>();
  for (const m of direct) directById.set(m.messageId, (directById.get(m.messageId) ?? 0) + 1);
  const directTwice = [...directById.entries()].filter(([, n]) => n > 1).map(([id, n]) => `${id} (no outbox row): ${n} copies`);
  return [
    {
      name: 'no at-least-once notice lost',
      held: lost.length === 0 && unsent.length === 0,
      counts: `${atLeast} at-least-once outbox rows, ${mails.length} mails received; ${lost.length} lost, ${unsent.length} not sent`,
      details: sample([...lost, ...unsent]),
    },
    {
      name: 'duplicates only after a kill, same Message-ID',
      held: badDuplicates.length === 0 && directTwice.length === 0,
      counts: `${explained} duplicates after a kill with the same Message-ID; ${badDuplicates.length + directTwice.length} others`,
      details: sample([...badDuplicates, ...directTwice]),
    },
    {
      name: 'no at-most-once notice twice',
      held: atMostTwice.length === 0,
      counts: `${atMost} at-most-once rows; ${atMostTwice.length} received twice; ${uncertainAtMost} left uncertain (not resent, by design)`,
      details: sample([...atMostTwice, ...stray.map((m) => `${m.file}: notification ${m.notificationId} not in the outbox`)]),
    },
  ];
}

/** 4. The SMS gateway's ledger (lib/sms.ts capture): the load never asks a code again, so one message per number and purpose. */
async function sms(db: Db): Promise<Check> {
  const [{ n }] = await db.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM sms_outbox');
  const twice = await db.$queryRawUnsafe<{ purpose: string; registration_id: string | null; c: number }[]>('SELECT purpose, min(registration_id) AS registration_id, count(*)::int AS c FROM sms_outbox GROUP BY to_number, purpose HAVING count(*) > 1');
  return {
    name: 'no duplicate SMS',
    held: twice.length === 0,
    counts: `${n} SMS; ${twice.length} numbers with one purpose twice`,
    details: sample(twice.map((t) => `${t.purpose} ${t.registration_id ?? ''}: ${t.c} messages`)),
  };
}

/** 5. Every case's audit chain verifies (scripts/verify-audit.ts). */
async function audit(db: Db): Promise<Check> {
  const ids = (await db.case.findMany({ select: { id: true } })).map((c) => c.id);
  const broken: string[] = [];
  for (const id of ids) {
    const r = await verifyAuditChain(db, id);
    if (!r.valid) broken.push(`${id}: ${JSON.stringify(r).slice(0, 200)}`);
  }
  return { name: 'audit chains verify', held: broken.length === 0, counts: `${ids.length - broken.length}/${ids.length} chains valid`, details: sample(broken) };
}

/** 6. Every history of the namespace (every run) replays against the workflow code (scripts/replay.ts). */
async function replay(client: Client): Promise<Check> {
  installQuietRuntime();
  const code = (await workflowBundle({ ...caseBundleOptions(), cacheDir: path.resolve(ROOT, '.data', 'workflow-bundle') })).code;
  const executions: { workflowId: string; runId: string }[] = [];
  for await (const w of client.workflow.list()) executions.push({ workflowId: w.workflowId, runId: w.runId });
  async function* tasks(): AsyncGenerator<ReplayTask> {
    let i = 0;
    for (const e of executions) {
      try {
        yield { i: i++, workflowId: `${e.workflowId}/${e.runId}`, history: await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory() };
      } catch (err) {
        yield { i: i++, workflowId: `${e.workflowId}/${e.runId}`, fetchError: (err as Error).message };
      }
    }
  }
  const bad: string[] = [];
  let n = 0;
  for await (const r of replayAll(code, tasks())) {
    n++;
    if (r.mismatch || r.error) bad.push(`${r.workflowId}: ${(r.mismatch ?? r.error)!.slice(0, 200)}`);
  }
  return { name: 'every history replays', held: bad.length === 0, counts: `${n - bad.length}/${n} histories (every run of ${new Set(executions.map((e) => e.workflowId)).size} workflows)`, details: sample(bad) };
}

/** 7. The read model (the case row) agrees with its workflow's own state query (GET /v1/cases/{id}?live=true). */
async function readModel(api: Api, auditorKey: string, ids: string[]): Promise<Check> {
  const bad: string[] = [];
  let unanswered = 0;
  for (const id of ids) {
    const r = await api.call('GET', `/v1/cases/${encodeURIComponent(id)}?live=true`, auditorKey);
    if (r.status !== 200) {
      bad.push(`${id}: GET answered ${r.status}`);
      continue;
    }
    const c = r.body;
    if (!c.live) {
      unanswered++;
      continue;
    }
    const diff = (['status', 'step', 'outcome'] as const).filter((k) => (c[k] ?? null) !== (c.live[k] ?? null));
    const deadlines = (o: Record<string, string | null> | undefined) => JSON.stringify(Object.entries(o ?? {}).filter(([, v]) => v !== null).sort(([a], [b]) => a.localeCompare(b)));
    if (c.status === 'open' && deadlines(c.deadlines) !== deadlines(c.live.deadlines)) diff.push('deadlines' as never);
    if (diff.length) bad.push(`${id}: ${diff.map((k) => `${k} ${JSON.stringify(c[k])} vs ${JSON.stringify(c.live[k])}`).join('; ')}`);
  }
  return { name: 'read model = workflow query', held: bad.length === 0, counts: `${ids.length - bad.length - unanswered}/${ids.length} agree; ${unanswered} not answered by the query (closed and evicted)`, details: sample(bad) };
}

/** 8. No case row without its workflow, once the reconciler's bound has passed (processes/caseReconciler.ts). */
async function orphans(db: Db, client: Client): Promise<Check> {
  const rows = await db.case.findMany({ select: { id: true, workflowId: true, createdAt: true } });
  const missing: string[] = [];
  for (const r of rows) {
    try {
      await client.workflow.getHandle(r.workflowId).describe();
    } catch (err) {
      missing.push(`${r.id}: ${(err as Error).name} ${(err as Error).message.slice(0, 100)}`);
    }
  }
  return { name: 'no case row without its workflow', held: missing.length === 0, counts: `${rows.length - missing.length}/${rows.length} rows have their workflow`, details: sample(missing) };
}

/** Waits until the outbox has nothing left to send (or `timeoutMs`), so that mail is compared once it settled. */
export async function outboxDrained(databaseUrl: string, timeoutMs: number): Promise<number> {
  const db = createDb(databaseUrl, { maxConnections: 1 });
  try {
    const started = Date.now();
    for (;;) {
      const left = await db.notification.count({ where: { status: { in: ['pending', 'sending', 'failed'] } } });
      if (left === 0 || Date.now() - started > timeoutMs) return left;
      await sleep(2000);
    }
  } finally {
    await db.$disconnect();
  }
}

export async function checkInvariants(t: ChaosTopology, o: { cases: DrivenCase[]; faults: InjectedFault[]; api: Api; auditorKey: string; log: (m: string) => void }): Promise<Check[]> {
  const db = createDb(t.databaseUrl, { maxConnections: 2 });
  const connection = await Connection.connect({ address: t.temporal.address });
  const client = new Client({ connection, namespace: t.temporal.namespace, identity: 'fault-stage' });
  try {
    const checks: Check[] = [];
    const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      const s = Date.now();
      const r = await fn();
      o.log(`checked: ${label} (${((Date.now() - s) / 1000).toFixed(1)} s)`);
      return r;
    };
    checks.push(await step('cases', () => casesAsExpected(db, o.cases)));
    checks.push(await step('payments', () => payments(db)));
    checks.push(...(await step('mail', () => mail(db, t.mailDir, o.faults))));
    checks.push(await step('SMS', () => sms(db)));
    checks.push(await step('audit chains', () => audit(db)));
    checks.push(await step('read model', () => readModel(o.api, o.auditorKey, o.cases.filter((c) => c.caseId).map((c) => c.caseId))));
    checks.push(await step('orphans', () => orphans(db, client)));
    checks.push(await step('replay', () => replay(client)));
    return checks;
  } finally {
    await connection.close();
    await db.$disconnect();
  }
}
