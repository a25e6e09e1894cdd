// The figures the harness measures, one function each. Each returns rows of the one table bench.ts prints.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { defaultPolicy, type PolicyConfig } from '../../processes/policyDocument';
import { caseBundleOptions } from '../../worker/worker';
import { driveRegistration, driveRepair, driveReturn, InboxWatch, openReturn, prepareReturns, startPrepared, waitForFirstTasks } from './cases';
import { call, type BenchContext, type Merchant } from './context';
import { childPids, cpuMeter, rssOf, systemPid } from './proc';
import { max, mb, ms, now, percentile, pool, progress, range, rate, sleep, until } from './util';
import { replaySandboxUnlessSet } from '../../worker/workflowSandbox';

export interface Row {
  figure: string;
  value: string;
  detail: string;
}

export interface Options {
  cases: number;
  concurrency: number;
  latencySeq: number;
  latencyConc: number;
  timers: number;
  timerMinutes: number;
  /** Minutes between the timers' start and their working window; by default from the measured first-task rate. */
  timerLeadMinutes?: number;
  replay: number;
  openCases: number[];
}

const lat = (xs: number[]) => `p50 ${ms(percentile(xs, 50))}, p95 ${ms(percentile(xs, 95))}, max ${ms(max(xs))}`;

/** When the last of `seen` was first listed (Date.now()). */
const lastSeen = (seen: Map<string, { seenAt: number }>) => Math.max(...[...seen.values()].map((a) => a.seenAt));

/** 1. Case starts through the API against direct workflow starts of the same workflow, same run. */
export async function startRatio(ctx: BenchContext, o: Options): Promise<Row[]> {
  const n = o.cases;
  const c = o.concurrency;
  const m = ctx.merchants.start;
  progress(`start: opening ${n} returns through POST /v1/cases (concurrency ${c})`);
  const apiCpu = cpuMeter(ctx.apiUrl);
  const apiCaseCpu = cpuMeter(ctx.apiUrl);
  const t0 = now();
  const wall0 = Date.now();
  const api = await pool(range(n), c, (_, lane) => openReturn(ctx, lane, m));
  const apiMs = now() - t0;
  const apiCpuText = apiCpu ? `; ${apiCpu.stop(n, 'case while the requests ran')}` : '';
  progress(`start: ${rate(n, apiMs)}/s; waiting until those cases reach merchant review, so both halves start on an idle worker`);
  const apiReviewMs = lastSeen(await waitForFirstTasks(ctx, m, api.map((a) => a.caseId), 600_000, 100)) - wall0;
  const apiCaseCpuText = apiCaseCpu ? `; ${apiCaseCpu.stop(n, 'case until all were at merchant review')}` : '';

  progress(`start: writing ${n} case rows as the API does (untimed), then starting their workflows directly (concurrency ${c})`);
  const prepared = await prepareReturns(ctx, n, m);
  const rawCpu = cpuMeter(ctx.apiUrl);
  const rawCaseCpu = cpuMeter(ctx.apiUrl);
  const t1 = now();
  const wall1 = Date.now();
  const raw = await pool(prepared, c, (p) => startPrepared(ctx, p));
  const rawMs = now() - t1;
  const rawCpuText = rawCpu ? `; ${rawCpu.stop(n, 'case while the starts ran')}` : '';
  progress(`start: direct ${rate(n, rawMs)}/s; waiting until those cases reach merchant review`);
  const rawReviewMs = lastSeen(await waitForFirstTasks(ctx, m, prepared.map((p) => p.caseId), 600_000, 100)) - wall1;
  const rawCaseCpuText = rawCaseCpu ? `; ${rawCaseCpu.stop(n, 'case until all were at merchant review')}` : '';

  const apiRate = (n * 1000) / apiMs;
  const rawRate = (n * 1000) / rawMs;
  return [
    { figure: 'Case starts through the API', value: `${rate(n, apiMs)} cases/s`, detail: `POST /v1/cases type return, ${n} cases, concurrency ${c}, ${(apiMs / 1000).toFixed(1)} s; per request ${lat(api.map((a) => a.ms))}${apiCpuText}${apiCaseCpuText}` },
    { figure: 'Direct workflow starts', value: `${rate(n, rawMs)} starts/s`, detail: `client.workflow.start(returnWithin7Days) on the system's task queue with the API's start options, ${n} starts, concurrency ${c}, ${(rawMs / 1000).toFixed(1)} s; case rows written beforehand, untimed; per start ${lat(raw.map((r) => r.ms))}${rawCpuText}${rawCaseCpuText}` },
    { figure: 'Start ratio (API ÷ direct)', value: (apiRate / rawRate).toFixed(2), detail: 'cases/s through the API divided by direct starts/s, measured back to back on an idle worker' },
    {
      figure: 'Start ratio to merchant review (API ÷ direct)',
      value: (rawReviewMs / apiReviewMs).toFixed(2),
      detail: `the same ${n} cases of each half, counted until the last one's merchant-review task was listed (inbox polled every 100 ms): through the API ${rate(n, apiReviewMs)} cases/s (${(apiReviewMs / 1000).toFixed(1)} s), started directly ${rate(n, rawReviewMs)} cases/s (${(rawReviewMs / 1000).toFixed(1)} s); both halves include the worker's first step of every case`,
    },
  ];
}

/** 2. POST /v1/tasks/:id/complete on merchant-review tasks, sequentially and at concurrency 8. */
export async function humanStepLatency(ctx: BenchContext, o: Options): Promise<Row[]> {
  const seqN = o.latencySeq;
  const concN = o.latencyConc;
  const c = o.concurrency;
  const m = ctx.merchants.latency;
  progress(`latency: opening ${seqN + concN} returns (concurrency ${c}) and waiting for their merchant-review tasks`);
  const opened = await pool(range(seqN + concN), c, (_, lane) => openReturn(ctx, lane, m));
  const tasks = await waitForFirstTasks(ctx, m, opened.map((x) => x.caseId), 600_000, 500);
  await sleep(3000); // let the openings' e-mails and records finish
  const ids = opened.map((x) => tasks.get(x.caseId)!.taskId);
  const completeTask = async (taskId: string, lane: number) => {
    const r = await call(ctx, 'POST', `/v1/tasks/${encodeURIComponent(taskId)}/complete`, m.keys[lane % m.keys.length].apiKey, { payload: { decision: 'approve' } });
    if (r.status !== 200) throw new Error(`completing ${taskId}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.ms;
  };
  progress(`latency: ${seqN} completions one after another`);
  const seq: number[] = [];
  const seqCpu = cpuMeter(ctx.apiUrl);
  for (const id of ids.slice(0, seqN)) seq.push(await completeTask(id, 0));
  const seqCpuText = seqCpu ? `; ${seqCpu.stop(seqN, 'completion')}` : '';
  await sleep(3000);
  progress(`latency: ${concN} completions at concurrency ${c}`);
  const t0 = now();
  const concCpu = cpuMeter(ctx.apiUrl);
  const conc = await pool(ids.slice(seqN), c, (id, lane) => completeTask(id, lane));
  const concMs = now() - t0;
  const concCpuText = concCpu ? `; ${concCpu.stop(concN, 'completion')}` : '';
  return [
    { figure: 'Human step, sequential', value: `p50 ${ms(percentile(seq, 50))} / p95 ${ms(percentile(seq, 95))} / max ${ms(max(seq))}`, detail: `POST /v1/tasks/:id/complete (return.merchant_review, approve), ${seqN} one after another; the workflow update returns once the task row is closed${seqCpuText}` },
    { figure: `Human step, concurrency ${c}`, value: `p50 ${ms(percentile(conc, 50))} / p95 ${ms(percentile(conc, 95))}; ${rate(concN, concMs)} completions/s`, detail: `${concN} completions, ${c} at a time, ${(concMs / 1000).toFixed(1)} s; max ${ms(max(conc))}${concCpuText}` },
  ];
}

/** 3. Cases opened as fast as the API allows, until each has its first human task row. */
export async function firstTaskThroughput(ctx: BenchContext, o: Options): Promise<Row[]> {
  const n = o.cases;
  const c = o.concurrency;
  progress(`first task: opening ${n} returns (concurrency ${c}) and watching for their merchant-review task rows`);
  const m = ctx.merchants.firsttask;
  const watch = new InboxWatch(ctx, m, 100);
  const cpu = cpuMeter(ctx.apiUrl);
  const t0 = Date.now();
  const watching = watch.until(n, 900_000, (seen) => progress(`first task: ${seen}/${n} at merchant review`));
  const opened = await pool(range(n), c, async (_, lane) => {
    const x = await openReturn(ctx, lane, m);
    watch.add(x.caseId);
    return x;
  });
  const answeredAll = Date.now();
  const seen = await watching;
  const cpuText = cpu ? `; ${cpu.stop(n, 'case, the inbox polling included')}` : '';
  const last = lastSeen(seen);
  const lags = opened.map((x) => seen.get(x.caseId)!.seenAt - x.at);
  ctx.firstTaskRate = (n * 1000) / (last - t0);
  return [
    {
      figure: 'Cases reaching their first human task',
      value: `${rate(n, last - t0)} cases/s`,
      detail: `${n} returns opened at concurrency ${c} (all answered after ${((answeredAll - t0) / 1000).toFixed(1)} s), every merchant-review task in the inbox after ${((last - t0) / 1000).toFixed(1)} s; from its 201 to its task listed: p50 ${ms(percentile(lags, 50))}, max ${ms(max(lags))}; the last came ${ms(last - answeredAll)} after the last 201 (the merchant's inbox listed every 100 ms)${cpuText}`,
    },
  ];
}

/**
 * 4. Lateness of `o.timers` merchant-review lapses that all fall due within one minute. Each case carries a policy
 * whose calendar has a one-hour working window (UTC, every day) opening after every task exists, and a
 * working-hours merchant-review SLA of `timerMinutes` plus i/n of a minute: whenever its task opened, the i-th case
 * is due at window start + timerMinutes + 60·i/n s. So the 1,000 deadlines share one minute whatever the opening rate.
 */
export async function timerLateness(ctx: BenchContext, o: Options): Promise<Row[]> {
  const casesPerSecond = ctx.firstTaskRate;
  const n = o.timers;
  const leadMs = o.timerLeadMinutes ? o.timerLeadMinutes * 60_000 : Math.max(120_000, ((1.25 * n) / (casesPerSecond ?? 4)) * 1000 + 30_000);
  let windowStart = Math.ceil((Date.now() + leadMs) / 60_000) * 60_000;
  let startMin = Math.floor((windowStart % 86_400_000) / 60_000);
  if (startMin > 1430) {
    windowStart += (1440 - startMin) * 60_000; // never straddle midnight: open the window at 00:00
    startMin = 0;
  }
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const calendar = { timeZone: 'UTC', workdayStart: hhmm(startMin), workdayEnd: startMin + 60 >= 1440 ? '24:00' : hhmm(startMin + 60), workingWeekdays: [1, 2, 3, 4, 5, 6, 7], holidays: [], makeUpWorkdays: [] };
  const slaMs = (i: number) => o.timerMinutes * 60_000 + Math.floor((60_000 * i) / n);
  const policyFor = (i: number): PolicyConfig => ({
    ...defaultPolicy,
    version: 'bench-timers',
    calendar,
    returnWithin7Days: { ...defaultPolicy.returnWithin7Days, merchantReview: { within: { amount: slaMs(i) / 3_600_000, unit: 'working-hours' }, onBreach: 'default-decision' } },
  });
  progress(`timers: writing ${n} case rows; their working window opens at ${new Date(windowStart).toISOString()} (in ${((windowStart - Date.now()) / 1000).toFixed(0)} s), deadlines ${o.timerMinutes} min later over one minute`);
  const m = ctx.merchants.timers;
  const prepared = await prepareReturns(ctx, n, m, policyFor);
  const ids = prepared.map((p) => p.caseId);
  progress(`timers: starting ${n} workflows directly (concurrency ${o.concurrency})`);
  const t0 = Date.now();
  await pool(prepared, o.concurrency, (p) => startPrepared(ctx, p));
  const startedAll = Date.now();
  progress(`timers: started in ${((startedAll - t0) / 1000).toFixed(1)} s; waiting for their task rows`);
  const tasks = await waitForFirstTasks(ctx, m, ids, windowStart + 15 * 60_000 - Date.now(), 1000, (seen) => progress(`timers: ${seen}/${n} tasks open`));
  const allOpen = Date.now();
  const dues = [...tasks.values()].map((t) => t.dueAt.getTime());
  const moved = prepared.filter((p, i) => tasks.get(p.caseId)!.dueAt.getTime() > windowStart + slaMs(i) + 1000).length;
  const firstDue = Math.min(...dues);
  const lastDue = Math.max(...dues);
  progress(`timers: all ${n} tasks open ${((allOpen - t0) / 1000).toFixed(1)} s after the first start (${((windowStart - allOpen) / 1000).toFixed(0)} s before the window); due between ${new Date(firstDue).toISOString()} and ${new Date(lastDue).toISOString()}`);
  /** Every expired task of the timers' merchant, from its inbox (GET /v1/tasks?status=expired, every page). */
  const expiredTasks = async () => {
    const out: { dueAt: string; completedAt: string }[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const r = await call(ctx, 'GET', `/v1/tasks?status=expired&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, m.keys[page++ % m.keys.length].apiKey);
      if (r.status !== 200) throw new Error(`GET /v1/tasks?status=expired: ${r.status} ${JSON.stringify(r.body)}`);
      out.push(...r.body.tasks);
      cursor = r.body.nextCursor;
    } while (cursor);
    return out;
  };
  let rows: { dueAt: string; completedAt: string }[] = [];
  await until('every merchant review to lapse', async () => {
    if (Date.now() < lastDue) return undefined;
    rows = await expiredTasks();
    if (rows.length >= n) return true;
    if (Date.now() > lastDue + 10 * 60_000) return false;
    return undefined;
  }, lastDue + 11 * 60_000 - Date.now(), 3000);
  const late = rows.map((r) => new Date(r.completedAt).getTime() - new Date(r.dueAt).getTime());
  return [
    {
      figure: 'Timer lateness',
      value: `p50 ${ms(percentile(late, 50))} / p99 ${ms(percentile(late, 99))} / max ${ms(max(late))}`,
      detail: `${rows.length}/${n} merchant reviews lapsed (default decision), all due within ${((lastDue - firstDue) / 1000).toFixed(0)} s of each other${moved ? ` (${moved} opened after their window began, so later)` : ''}; started directly in ${((startedAll - t0) / 1000).toFixed(1)} s, all task rows present after ${((allOpen - t0) / 1000).toFixed(0)} s, then idle until due; lateness = the lapse's recorded time (task completed_at, = sla.breached at) − the task's due_at`,
    },
  ];
}

/** 5. Replay throughput over closed case histories fetched from the server. */
export async function replayThroughput(ctx: BenchContext, o: Options): Promise<Row[]> {
  const m = o.replay;
  progress(`replay: driving ${m} returns to refunded (concurrency ${o.concurrency})`);
  const t0 = now();
  const ids = await pool(range(m), o.concurrency, (_, lane) => driveReturn(ctx, lane, ctx.merchants.replay));
  const driveMs = now() - t0;
  progress(`replay: ${m} returns closed in ${(driveMs / 1000).toFixed(1)} s; fetching their histories`);
  const histories = await pool(ids, 4, async (workflowId) => ({ workflowId, history: await ctx.client.workflow.getHandle(workflowId).fetchHistory() }));
  const events = histories.reduce((s, h) => s + (h.history.events?.length ?? 0), 0);
  progress('replay: bundling the workflow code');
  const tb = now();
  const bundle = await bundleWorkflowCode({ ...caseBundleOptions(), logger: new DefaultLogger('WARN') });
  const bundleMs = now() - tb;
  progress(`replay: replaying ${m} histories`);
  replaySandboxUnlessSet(); // as the replay tool replays (scripts/replay-worker.ts)
  let mismatched = 0;
  const t1 = now();
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code: bundle.code } }, histories)) {
    if (r.error) {
      mismatched++;
      progress(`replay: ${r.workflowId} did not replay: ${r.error.message}`);
    }
  }
  const replayMs = now() - t1;
  return [
    {
      figure: 'Replay throughput',
      value: `${rate(m, replayMs)} histories/s`,
      detail: `${m} closed return histories (happy path, ${(events / m).toFixed(0)} events each on average), replayed one after another by Worker.runReplayHistories with one prebuilt bundle in ${ms(replayMs)} (bundling ${ms(bundleMs)} not counted); ${mismatched} mismatched; driving the ${m} cases through the API took ${(driveMs / 1000).toFixed(1)} s`,
    },
  ];
}

/** Warm-up: a few cases through the API and started directly, until they are at merchant review (untimed). */
export async function warmUp(ctx: BenchContext, o: Options): Promise<void> {
  const k = 2 * o.concurrency;
  progress(`warm-up: ${k} returns through the API and ${k} started directly`);
  const m = ctx.merchants.warmup;
  const api = await pool(range(k), o.concurrency, (_, lane) => openReturn(ctx, lane, m));
  const prepared = await prepareReturns(ctx, k, m);
  await pool(prepared, o.concurrency, (p) => startPrepared(ctx, p));
  await waitForFirstTasks(ctx, m, [...api.map((a) => a.caseId), ...prepared.map((p) => p.caseId)], 600_000, 500);
  await sleep(2000);
}

/** 6. Resident memory of the system process per 1,000 returns left waiting on merchant review. */
export async function rssPerOpenCases(ctx: BenchContext, o: Options): Promise<Row[]> {
  const found = systemPid(ctx.apiUrl);
  if (!found || rssOf(found.pid) === undefined) {
    return [{ figure: 'RSS per 1,000 open cases', value: 'not measured', detail: `the system process is not on this machine (set BENCH_PID)` }];
  }
  const { pid, how } = found;
  const m = ctx.merchants.rss;
  const temporalPids = childPids(pid, /temporal/);
  const temporalRss = () => temporalPids.reduce((s, p) => s + (rssOf(p) ?? 0), 0);
  await sleep(5000);
  const base = rssOf(pid)!;
  const before = ctx.opened.size;
  const baseTemporal = temporalRss();
  progress(`rss: system process ${pid} (${how}) at ${mb(base)} with ${before} of this run's cases open`);
  const rows: Row[] = [];
  let open = 0;
  for (const target of [...o.openCases].sort((a, b) => a - b)) {
    const n = target - open;
    progress(`rss: opening ${n} more returns (to ${target}), concurrency ${o.concurrency}`);
    const t0 = now();
    const opened = await pool(range(n), o.concurrency, async (_, lane) => {
      const x = await openReturn(ctx, lane, m);
      return x.caseId;
    });
    const openMs = now() - t0;
    progress(`rss: opened in ${(openMs / 1000).toFixed(1)} s; waiting for their merchant-review rows`);
    await waitForFirstTasks(ctx, m, opened, 3_600_000, 1000, (seen) => progress(`rss: ${seen}/${n} at merchant review`));
    const readyMs = now() - t0;
    open = target;
    await sleep(5000);
    const rss = rssOf(pid)!;
    const perK = ((rss - base) / open) * 1000;
    rows.push({
      figure: `RSS with ${open.toLocaleString('en')} open returns`,
      value: `${mb(rss)} (${perK >= 0 ? '+' : ''}${mb(perK)} per 1,000)`,
      detail: `system process (worker + API${ctx.embedded ? ' + embedded PGlite' : ''}) VmRSS ${mb(base)} before opening (this run had ${before} cases open then); opening ${n} took ${(openMs / 1000).toFixed(1)} s (${rate(n, openMs)}/s), all at merchant review after ${(readyMs / 1000).toFixed(1)} s${temporalPids.length ? `; Temporal dev server RSS ${mb(baseTemporal)} → ${mb(temporalRss())}` : ''}`,
    });
  }
  return rows;
}

/** 7. Events and bytes of each process's happy-path history. */
export async function historySizes(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const m = ctx.merchants.history;
  const paths: [string, string, (c: BenchContext, lane: number, m: Merchant) => Promise<string>][] = [
    ['return', 'approved, shipped back, inspection confirmed, refunded', driveReturn],
    ['warranty_repair', 'free repair, hand-over, receipt, repaired, shipped back, rated', driveRepair],
    ['registration', 'SMS code, e-mail link, ID number + face pass, approved', driveRegistration],
  ];
  for (const [type, steps, drive] of paths) {
    progress(`history: driving one ${type} case through its happy path`);
    try {
      const id = await drive(ctx, 0, m);
      const h = await ctx.client.workflow.getHandle(id).fetchHistory();
      const json = historyToJSON(h);
      const proto = temporal.api.history.v1.History.encode(h).finish().length;
      rows.push({ figure: `History: ${type}`, value: `${h.events?.length ?? 0} events, ${Buffer.byteLength(json).toLocaleString('en')} B`, detail: `${steps}; bytes of historyToJSON (protobuf: ${proto.toLocaleString('en')} B)` });
    } catch (err) {
      rows.push({ figure: `History: ${type}`, value: 'not measured', detail: (err as Error).message.slice(0, 200) });
    }
  }
  return rows;
}

/**
 * 4b. Whole cases: N returns and N warranty repairs driven through their happy paths (as historySizes drives one),
 * `concurrency` at a time; CPU per complete case, per part of the system, with the parts' idle CPU over 10 s beforehand
 * (the reconciler, the outbox poll and Temporal's own housekeeping) reported beside it. The journeys' step polls
 * (GET /v1/cases/:id until the step is reached, a 409 action retried every 250 ms) are in the figure, as a storefront's
 * would be.
 */
export async function wholeCases(ctx: BenchContext, o: Options): Promise<Row[]> {
  const rows: Row[] = [];
  const n = Math.min(o.cases, 40);
  const idle = cpuMeter(ctx.apiUrl);
  progress('whole cases: 10 s of idle CPU first');
  await sleep(10_000);
  const idleCpu = idle?.stop(10, 'idle second') ?? 'CPU not measured';
  const m = ctx.merchants.whole;
  const paths: [string, string, (c: BenchContext, lane: number, m: Merchant) => Promise<string>][] = [
    ['return', 'approved, shipped back, carrier webhook, inspection confirmed, refunded', driveReturn],
    ['warranty_repair', 'free repair, hand-over, carrier webhook, receipt, repaired, shipped back, rated', driveRepair],
  ];
  for (const [type, steps, drive] of paths) {
    progress(`whole cases: ${n} ${type} cases through their happy path, ${o.concurrency} at a time`);
    const cpu = cpuMeter(ctx.apiUrl);
    const t0 = now();
    try {
      await pool(range(n), o.concurrency, (_i, lane) => drive(ctx, lane, m));
      const elapsed = now() - t0;
      rows.push({
        figure: `Whole case: ${type}`,
        value: `${n} cases in ${(elapsed / 1000).toFixed(1)} s (${rate(n, elapsed)} cases/s)`,
        detail: `${steps}; ${o.concurrency} at a time; ${cpu?.stop(n, 'complete case') ?? 'CPU not measured'}; idle beforehand, ${idleCpu}`,
      });
    } catch (err) {
      rows.push({ figure: `Whole case: ${type}`, value: 'not measured', detail: (err as Error).message.slice(0, 200) });
    }
  }
  return rows;
}

/** The machine and the database the figures come from. */
export async function environment(ctx: BenchContext): Promise<Row[]> {
  const version = ctx.dbVersion;
  const embedded = ctx.embedded;
  const cpus = os.cpus();
  return [
    { figure: 'Database', value: embedded ? 'embedded PGlite' : 'PostgreSQL', detail: `${version.split(',')[0]} at ${ctx.databaseUrl.replace(/\/\/[^@]*@/, '//…@').replace(/\?.*$/, '')}` },
    { figure: 'Machine', value: `${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB`, detail: `${cpus[0]?.model ?? 'unknown CPU'}; Node ${process.version}; load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}` },
    { figure: 'System', value: ctx.apiUrl, detail: `Temporal ${ctx.temporalAddress} (namespace ${ctx.namespace}, task queue ${ctx.taskQueue}); harness concurrency ${ctx.concurrency}, one API key per lane` },
  ];
}

/**
 * 8. Evidence uploads: F files of S MiB (distinct bytes, a PDF header then random bytes) to C cases, 8 at a time
 * (--concurrency), streamed in multipart bodies. Throughput and the system process's RSS sampled every 50 ms: an
 * upload that buffered whole files would grow it by about concurrency × file size.
 */
export async function uploadThroughput(ctx: BenchContext, o: Options): Promise<Row[]> {
  const sizeMiB = 5;
  const files = Math.max(o.concurrency * 4, 32);
  const perCase = 4;
  const m = ctx.merchants.uploads;
  const found = systemPid(ctx.apiUrl);
  progress(`uploads: opening ${Math.ceil(files / perCase)} returns for ${files} files of ${sizeMiB} MiB`);
  const cases = await pool(range(Math.ceil(files / perCase)), o.concurrency, async (_, lane) => (await openReturn(ctx, lane, m)).caseId);
  const bodyOf = () => {
    const b = randomBytes(sizeMiB * 1048576);
    b.write('%PDF-1.7\n', 0, 'latin1');
    return b;
  };
  await sleep(3000);
  const base = found ? rssOf(found.pid) : undefined;
  let peak = base ?? 0;
  const sampler = found ? setInterval(() => (peak = Math.max(peak, rssOf(found.pid) ?? 0)), 50) : undefined;
  const lat: number[] = [];
  let failed = 0;
  const t0 = now();
  await pool(range(files), o.concurrency, async (i, lane) => {
    const form = new FormData();
    form.append('file', new Blob([bodyOf()], { type: 'application/pdf' }), `evidence-${i}.pdf`);
    const t = now();
    const res = await fetch(`${ctx.apiUrl}/v1/cases/${cases[i % cases.length]}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${ctx.storefronts[lane % ctx.storefronts.length].apiKey}` }, body: form });
    await res.arrayBuffer();
    if (res.status !== 201) failed++;
    lat.push(now() - t);
    if ((i + 1) % 8 === 0) progress(`uploads: ${i + 1}/${files}`);
  });
  const elapsed = now() - t0;
  if (sampler) clearInterval(sampler);
  const mib = files * sizeMiB;
  return [
    {
      figure: `Upload ${sizeMiB} MiB files, concurrency ${o.concurrency}`,
      value: `${(mib / (elapsed / 1000)).toFixed(1)} MiB/s (${rate(files, elapsed)} files/s)`,
      detail: `${files} files of distinct bytes to ${cases.length} cases, multipart through POST /v1/cases/:id/attachments; per upload ${lat.length ? `p50 ${ms(percentile(lat, 50))}, p95 ${ms(percentile(lat, 95))}` : '-'}; ${failed} not 201`,
    },
    {
      figure: 'API RSS during the uploads',
      value: base !== undefined ? `${mb(base)} → peak ${mb(peak)} (+${mb(peak - base)})` : 'not measured',
      detail: base !== undefined ? `system process VmRSS sampled every 50 ms; ${o.concurrency} × ${sizeMiB} MiB in flight would be +${o.concurrency * sizeMiB} MiB if files were buffered whole` : 'the system process is not on this machine (set BENCH_PID)',
    },
  ];
}
