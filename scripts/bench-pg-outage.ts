// A PostgreSQL outage under load (README "A PostgreSQL outage"): a cluster of its own (scripts/harness/ownPostgres.ts,
// never the machine's main one), a Temporal dev server of its own (127.0.0.1:7533, UI 8533), one worker process and one
// API process (worker/main.ts, api/server.ts) against that database, returns opened and their merchant reviews completed
// through the API continuously; PostgreSQL stopped at once (no checkpoint) for --outage seconds, then started again.
// Reports the history events each open case gained, the time to recover, and what the clients were answered.
//   bash scripts/bench.sh pg-outage [--outage 60] [--rate 8] [--clock-cases 30] [--baseline <commit>] [--json <file>]
// --baseline runs the worker and the API of that commit (a `git archive` of it, this checkout's node_modules): the
// behaviour before a change, measured the same way. Needs root (or the postgres user) for the cluster.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { ownPostgres } from './harness/ownPostgres';
import { returnBody } from './harness/bodies';
import { ROOT } from './harness/paths';
import { DEV_SERVER_ONE_PARTITION, freePort, resolveTemporalCli } from './tools';
import { startMailCatcher } from '../lib/mailCatcher';
import { createDb } from '../lib/db';
import { createPrincipal } from '../lib/principals';
import { registerSearchAttributes } from '../lib/temporal';
import { defaultPolicy } from '../processes/policyDocument';

const TEMPORAL_PORT = 7533;
const TEMPORAL_UI_PORT = 8533;
const PG_PORT = 5444;

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const OUTAGE_S = Number(arg('outage', '60'));
const RATE = Number(arg('rate', '8'));
const CLOCK_CASES = Number(arg('clock-cases', '30'));
const WARMUP_S = 30;
const BASELINE = arg('baseline');
const JSON_OUT = arg('json');
const REQUEST_TIMEOUT_MS = 30_000;

const log = (m: string) => process.stderr.write(`[pg-outage] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Req {
  kind: 'open' | 'list' | 'complete';
  at: number;
  ms: number;
  status: number; // 0: no answer (connection refused, client timeout)
  code: string | null;
  stack: boolean;
}

/** The tree the worker and the API run from: this checkout, or `git archive` of the baseline commit beside it. */
function codeDir(): string {
  if (!BASELINE) return ROOT;
  const commit = execFileSync('git', ['rev-parse', '--short', BASELINE], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = path.join(os.tmpdir(), `casework-baseline-${commit}`);
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${commit} | tar -x -C ${dir}`], { cwd: ROOT });
    // This checkout's packages, one link each: the generated workflow entry (node_modules/.cache) stays the baseline's.
    fs.mkdirSync(path.join(dir, 'node_modules'));
    for (const name of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
      if (name !== '.cache') fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(dir, 'node_modules', name));
    }
  }
  log(`baseline: worker and API of ${commit} (${dir})`);
  return dir;
}

async function main() {
  const run = crypto.randomBytes(3).toString('hex');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-outage-'));
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    for (const c of children.reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

  // 1. PostgreSQL of its own, a fresh database, migrated.
  const pg = ownPostgres('casework-outage', PG_PORT);
  const database = `casework_outage_${run}`;
  const admin = new PgClient({ connectionString: pg.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(pg.adminUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  execFileSync('bash', ['scripts/prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'pipe' });
  log(`PostgreSQL ${pg.port}, database ${database}`);

  // 2. Temporal dev server of its own.
  const cli = resolveTemporalCli({ build: false });
  if (cli.kind !== 'existing-path') throw new Error('no Temporal CLI in .tools (bash scripts/test installs it)');
  const temporalLog = fs.openSync(path.join(work, 'temporal.log'), 'w');
  children.push(
    spawn(cli.path, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(TEMPORAL_PORT), '--ui-port', String(TEMPORAL_UI_PORT), '--db-filename', path.join(work, 'temporal.db'), '--log-level', 'error', '--sqlite-pragma', 'journal_mode=wal', ...DEV_SERVER_ONE_PARTITION], { stdio: ['ignore', temporalLog, temporalLog] }),
  );
  const temporalAddress = `127.0.0.1:${TEMPORAL_PORT}`;
  let connection: Connection | undefined;
  for (let i = 0; !connection; i++) {
    try {
      connection = await Connection.connect({ address: temporalAddress, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
    } catch (err) {
      connection = undefined;
      if (i > 60) throw err;
      await sleep(500);
    }
  }
  await registerSearchAttributes(connection, 'default');
  const client = new Client({ connection, namespace: 'default' });

  // 3. Mail, principals, a policy whose merchant review lapses in a minute (reminded at 30 s): the cases left waiting
  // at it have steps due during the outage, as SLA clocks do in a real one.
  const mail = await startMailCatcher({ port: await freePort(), dir: path.join(work, 'mail'), keepInMemory: false });
  const policy = structuredClone(defaultPolicy) as any;
  policy.returnWithin7Days.merchantReview = { within: { amount: 1, unit: 'minutes' }, remindAt: 0.5, onBreach: 'default-decision' };
  const policyFile = path.join(work, 'policy.json');
  fs.writeFileSync(policyFile, JSON.stringify(policy));
  const db = createDb(databaseUrl, { maxConnections: 2 });
  const loadMerchant = `m-load-${run}`;
  const clockMerchant = `m-clock-${run}`;
  const storefront = (await createPrincipal(db, { name: 'outage storefront', role: 'storefront' })).apiKey;
  const merchant = (await createPrincipal(db, { name: 'outage merchant', role: 'merchant', merchantId: loadMerchant })).apiKey;

  // 4. One worker and one API process.
  const dir = codeDir();
  const apiPort = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(mail.port),
    DATA_DIR: path.join(work, 'data'),
    BLOB_DIR: path.join(work, 'data', 'blobs'),
    POLICY_FILE: policyFile,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_BURST: '10000',
    API_PORT: String(apiPort),
    API_HOST: '127.0.0.1',
  };
  const start = (name: string, entry: string) => {
    const out = fs.openSync(path.join(work, `${name}.log`), 'w');
    const c = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: dir, env, stdio: ['ignore', out, out] });
    c.on('exit', (code, sig) => log(`${name} exited (${sig ?? code})`));
    children.push(c);
  };
  start('worker', 'worker/main.ts');
  start('api', 'api/server.ts');
  const api = `http://127.0.0.1:${apiPort}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${api}/readyz`)).status === 200) break;
    } catch {
      /* not yet */
    }
    if (i > 360) throw new Error(`the API did not start; see ${work}/api.log`);
    await sleep(500);
  }
  for (let i = 0; ; i++) {
    const d = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'casework' }, taskQueueType: 1 });
    if ((d.pollers ?? []).length > 0) break;
    if (i > 360) throw new Error(`the worker did not poll; see ${work}/worker.log`);
    await sleep(500);
  }
  log(`worker and API up (${api}); logs in ${work}`);

  // 5. The load: returns opened, their merchant reviews completed, `RATE` requests a second in all.
  const reqs: Req[] = [];
  const call = async (kind: Req['kind'], method: string, p: string, key: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const t = Date.now();
    let status = 0;
    let parsed: any = null;
    try {
      const r = await fetch(`${api}${p}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(kind === 'open' && { 'idempotency-key': crypto.randomUUID() }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = r.status;
      const text = await r.text();
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { raw: text.slice(0, 200) };
      }
    } catch (err) {
      parsed = { error: { code: (err as Error).name === 'TimeoutError' ? 'CLIENT_TIMEOUT' : 'NO_ANSWER' } };
    }
    const raw = JSON.stringify(parsed ?? '');
    reqs.push({ kind, at: t, ms: Date.now() - t, status, code: parsed?.error?.code ?? null, stack: /\bat .+:\d+:\d+/.test(raw) });
    return { status, body: parsed };
  };
  const opened: { caseId: string; at: number }[] = [];
  const toReview: string[] = [];
  let loading = true;
  const opener = (async () => {
    while (loading) {
      const t = Date.now();
      void call('open', 'POST', '/v1/cases', storefront, returnBody(loadMerchant)).then((r) => {
        if (r.status === 201) {
          opened.push({ caseId: r.body.caseId, at: Date.now() });
          toReview.push(r.body.caseId);
        }
      });
      await sleep(Math.max(0, 3000 / RATE - (Date.now() - t)));
    }
  })();
  const stepper = (async () => {
    while (loading) {
      const t = Date.now();
      const caseId = toReview.shift();
      if (caseId) {
        void (async () => {
          const r = await call('list', 'GET', `/v1/tasks?caseId=${encodeURIComponent(caseId)}&status=open`, merchant);
          const task = r.status === 200 ? (r.body.tasks as { taskId: string; type: string }[]).find((x) => x.type === 'return.merchant_review') : undefined;
          if (!task) return void toReview.push(caseId);
          const c = await call('complete', 'POST', `/v1/tasks/${encodeURIComponent(task.taskId)}/complete`, merchant, { payload: { decision: 'approve' } });
          if (c.status !== 200 && c.status !== 409) toReview.push(caseId);
        })();
      }
      await sleep(Math.max(0, (3000 / RATE) * 0.5 - (Date.now() - t)));
    }
  })();

  // Warm-up; the clock cases (another merchant's, left at its review) opened over its last 25 s.
  const clock: string[] = [];
  const warmStart = Date.now();
  await sleep((WARMUP_S - 25) * 1000);
  for (let i = 0; i < CLOCK_CASES; i++) {
    const r = await call('open', 'POST', '/v1/cases', storefront, returnBody(clockMerchant));
    if (r.status === 201) clock.push(r.body.caseId);
    await sleep((20_000 / CLOCK_CASES));
  }
  await sleep(Math.max(0, WARMUP_S * 1000 - (Date.now() - warmStart)));

  // 6. The outage.
  const openAtOutage = [...new Set([...opened.map((o) => o.caseId), ...clock])];
  const lengthOf = async (id: string) => Number((await client.workflow.getHandle(id).describe()).historyLength);
  const before = new Map<string, number>();
  for (const id of openAtOutage) before.set(id, await lengthOf(id));
  const outageAt = Date.now();
  pg.stopImmediate();
  log(`PostgreSQL stopped (${openAtOutage.length} cases open, ${clock.length} of them at a review that lapses during the outage)`);
  await sleep(OUTAGE_S * 1000);
  pg.start();
  const backAt = Date.now();
  log(`PostgreSQL started again after ${((backAt - outageAt) / 1000).toFixed(1)} s`);

  // 7. Recovery: the first successful opening and human step; the backlog drained (every clock case past its lapsed
  // review in the read model, no case with a failing workflow task).
  let drainedAt: number | undefined;
  const pgDb = createDb(databaseUrl, { maxConnections: 2 });
  for (let i = 0; i < 600 && drainedAt === undefined; i++) {
    await sleep(1000);
    try {
      const rows = await pgDb.case.findMany({ where: { id: { in: clock } }, select: { id: true, step: true } });
      const waiting = rows.filter((r) => r.step === 'merchant_review' || r.step === 'opened').length + (clock.length - rows.length);
      let failing = 0;
      for (const id of openAtOutage) {
        const d = await client.workflow.getHandle(id).describe();
        if ((d.raw.pendingWorkflowTask?.attempt ?? 1) > 1) failing++;
      }
      if (i % 10 === 0) log(`recovery: ${waiting} clock cases still at their review, ${failing} cases with a failing workflow task`);
      if (waiting === 0 && failing === 0) drainedAt = Date.now();
    } catch {
      /* the database not answering yet */
    }
  }
  await sleep(3000);
  loading = false;
  await Promise.all([opener, stepper]);
  await sleep(2000);

  // 8. Histories: what each case open at the outage gained, and of which kind.
  const kinds = { total: 0, timers: 0, laMarkers: 0, laFailedMarkers: 0, wftFailed: 0, wftTimedOut: 0, wftCompleted: 0 };
  const added: number[] = [];
  const clockAdded: number[] = [];
  const perKind: Record<string, number[]> = { timers: [], laFailedMarkers: [], wftFailed: [], wftTimedOut: [], wftCompleted: [] };
  for (const id of openAtOutage) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const since = events.slice(before.get(id)!);
    const n = since.length;
    added.push(n);
    if (clock.includes(id)) clockAdded.push(n);
    const count = (pred: (e: any) => boolean) => since.filter(pred).length;
    const k = {
      timers: count((e) => !!e.timerStartedEventAttributes),
      laFailedMarkers: count((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && !!e.markerRecordedEventAttributes?.failure),
      wftFailed: count((e) => !!e.workflowTaskFailedEventAttributes),
      wftTimedOut: count((e) => !!e.workflowTaskTimedOutEventAttributes),
      wftCompleted: count((e) => !!e.workflowTaskCompletedEventAttributes),
    };
    for (const [key, v] of Object.entries(k)) perKind[key].push(v);
    kinds.total += n;
  }
  const stats = (xs: number[]) => (xs.length === 0 ? { mean: 0, max: 0, sum: 0 } : { mean: +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1), max: Math.max(...xs), sum: xs.reduce((a, b) => a + b, 0) });

  // 9. What the clients saw.
  const window = (r: Req) => (r.at < outageAt ? 'before' : r.at < backAt ? 'outage' : drainedAt && r.at >= drainedAt ? 'after' : 'recovery');
  const answers = new Map<string, number>();
  for (const r of reqs) {
    const key = `${window(r)} | ${r.kind} | ${r.status || '-'} | ${r.code ?? (r.status < 300 ? 'ok' : '?')}${r.stack ? ' (stack trace in body)' : ''}`;
    answers.set(key, (answers.get(key) ?? 0) + 1);
  }
  const firstOk = (kind: Req['kind'], ok: number) => reqs.filter((r) => r.kind === kind && r.status === ok && r.at >= backAt).sort((a, b) => a.at + a.ms - (b.at + b.ms))[0];
  const firstOpen = firstOk('open', 201);
  const firstStep = firstOk('complete', 200);
  const outageErrors = reqs.filter((r) => window(r) !== 'before' && r.status !== 200 && r.status !== 201);
  const result = {
    code: BASELINE ? `baseline ${BASELINE}` : `this checkout (${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()})`,
    outageSeconds: +((backAt - outageAt) / 1000).toFixed(1),
    casesOpenAtOutage: openAtOutage.length,
    clockCases: clock.length,
    eventsAddedPerOpenCase: stats(added),
    eventsAddedPerClockCase: stats(clockAdded),
    byKindPerOpenCase: Object.fromEntries(Object.entries(perKind).map(([k, v]) => [k, stats(v)])),
    firstOpenAfterBackS: firstOpen ? +((firstOpen.at + firstOpen.ms - backAt) / 1000).toFixed(1) : null,
    firstHumanStepAfterBackS: firstStep ? +((firstStep.at + firstStep.ms - backAt) / 1000).toFixed(1) : null,
    drainedAfterBackS: drainedAt ? +((drainedAt - backAt) / 1000).toFixed(1) : null,
    requests: reqs.length,
    slowestErrorMs: outageErrors.length ? Math.max(...outageErrors.map((r) => r.ms)) : 0,
    answers: Object.fromEntries([...answers.entries()].sort()),
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`\n| ${result.code} | value |\n| --- | --- |`);
  console.log(`| outage | ${result.outageSeconds} s, ${result.casesOpenAtOutage} cases open (${result.clockCases} with a review lapsing in it) |`);
  console.log(`| history events added per open case (mean / max) | ${result.eventsAddedPerOpenCase.mean} / ${result.eventsAddedPerOpenCase.max} |`);
  console.log(`| … per case with a step due in the outage (mean / max) | ${result.eventsAddedPerClockCase.mean} / ${result.eventsAddedPerClockCase.max} |`);
  for (const [k, v] of Object.entries(result.byKindPerOpenCase)) console.log(`| … of which ${k} (sum / max per case) | ${v.sum} / ${v.max} |`);
  console.log(`| first case opened / human step after PostgreSQL is back | ${result.firstOpenAfterBackS} s / ${result.firstHumanStepAfterBackS} s |`);
  console.log(`| backlog drained after PostgreSQL is back | ${result.drainedAfterBackS} s |`);
  console.log(`| slowest error answer | ${result.slowestErrorMs} ms |`);
  for (const [k, v] of Object.entries(result.answers)) console.log(`| ${k} | ${v} |`);
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(result, null, 2));

  await pgDb.$disconnect();
  await db.$disconnect();
  await stopAll();
  await mail.close();
  await connection.close();
  pg.stopImmediate();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
