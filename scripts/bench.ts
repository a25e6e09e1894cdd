// Benchmark harness: measures a RUNNING system (bash scripts/dev, or any API_URL / TEMPORAL_ADDRESS / DATABASE_URL)
// and prints one Markdown table with every figure side by side, plus the environment. Progress goes to stderr.
//   bash scripts/bench.sh [--only start,latency,firsttask,history,whole,replay,floors,timers,rss,uploads,webhooks] [--cases 100] [--concurrency 8]
//                         [--latency-seq 50] [--latency-conc 100] [--timers 1000] [--timer-minutes 1.5] [--timer-lead-minutes M]
//                         [--replay 50] [--open-cases 1000[,5000,10000]] [--cleanup]
//                         [--only webhooks --webhooks-per-minute 1000 --webhook-seconds 60 --webhook-cases 50]
// It creates its own principals (through the API with BENCH_ADMIN_KEY, otherwise directly in the database) and its
// own merchant ids; nothing is asserted. docs/benchmarks.md says what each figure means and has measured results.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { call, closeContext, createContext, ROOT, type BenchContext } from './bench/context';
import { environment, firstTaskThroughput, historySizes, wholeCases, humanStepLatency, replayThroughput, rssPerOpenCases, startRatio, timerLateness, uploadThroughput, warmUp, type Options, type Row } from './bench/stages';
import { startFloor, replayFloor } from './bench/floors';
import { webhookThroughput } from './bench/webhooks';
import { pool, progress } from './bench/util';

const STAGES = ['start', 'latency', 'firsttask', 'history', 'whole', 'replay', 'floors', 'timers', 'rss', 'uploads', 'webhooks'] as const;
type Stage = (typeof STAGES)[number];

class UsageError extends Error {}

type BenchOptions = Options & { webhookPerMinute: number; webhookSeconds: number; webhookCases: number };

function parseArgs(argv: string[]): { only: Stage[]; cleanup: boolean; o: BenchOptions } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`--${name} takes a positive number (got ${v})`);
    return n;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${execFileSync('sed', ['-n', '3,8p', __filename], { encoding: 'utf8' }).replace(/^\/\/ ?/gm, '')}`);
    process.exit(0);
  }
  const only = (get('only') ?? STAGES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(STAGES as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`--only: unknown part ${unknown.join(', ')}; the parts are ${STAGES.join(', ')}`);
  const openCases = (get('open-cases') ?? '1000').split(',').map(Number);
  if (openCases.some((n) => !(n > 0))) throw new UsageError('--open-cases takes positive counts, e.g. 1000,5000,10000');
  return {
    only: STAGES.filter((s) => only.includes(s)),
    cleanup: argv.includes('--cleanup'),
    o: {
      cases: num('cases', 100),
      concurrency: num('concurrency', 8),
      latencySeq: num('latency-seq', 50),
      latencyConc: num('latency-conc', 100),
      timers: num('timers', 1000),
      timerMinutes: num('timer-minutes', 1.5),
      timerLeadMinutes: get('timer-lead-minutes') === undefined ? undefined : num('timer-lead-minutes', 0),
      replay: num('replay', 50),
      openCases,
      webhookPerMinute: num('webhooks-per-minute', 1000),
      webhookSeconds: num('webhook-seconds', 60),
      webhookCases: num('webhook-cases', 50),
    },
  };
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return sha;
  } catch {
    return 'unknown';
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

async function cleanup(ctx: BenchContext): Promise<string> {
  const ids = [...ctx.opened];
  progress(`cleanup: cancelling ${ids.length} cases through POST /v1/cases/:id/cancel`);
  let cancelled = 0;
  await pool(ids, ctx.concurrency, async (id, lane) => {
    const r = await call(ctx, 'POST', `/v1/cases/${encodeURIComponent(id)}/cancel`, ctx.storefronts[lane % ctx.storefronts.length].apiKey, { reasonCode: 'resolved_elsewhere' });
    if (r.status === 200) cancelled++;
  });
  return `${cancelled} of ${ids.length} cases still open were cancelled (the rest had passed the point where cancellation is allowed)`;
}

async function main() {
  const { only, cleanup: doCleanup, o } = parseArgs(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const t0 = Date.now();
  const ctx = await createContext(o.concurrency, ['warmup', ...only]);
  const rows: Row[] = [...(await environment(ctx)), { figure: 'Harness', value: commit(), detail: `scripts/bench.ts at this commit; parts: ${only.join(', ')}; run ${ctx.runId} (merchants m-bench-${ctx.runId}-<part>)` }];
  await warmUp(ctx, o);
  const run: Record<Stage, () => Promise<Row[]>> = {
    start: () => startRatio(ctx, o),
    latency: () => humanStepLatency(ctx, o),
    firsttask: () => firstTaskThroughput(ctx, o),
    history: () => historySizes(ctx),
    whole: () => wholeCases(ctx, o),
    replay: () => replayThroughput(ctx, o),
    floors: async () => [...(await startFloor(ctx, o)), ...(await replayFloor(ctx))],
    timers: () => timerLateness(ctx, o),
    rss: () => rssPerOpenCases(ctx, o),
    uploads: () => uploadThroughput(ctx, o),
    webhooks: () => webhookThroughput(ctx, o),
  };
  for (const stage of only) {
    const ts = Date.now();
    try {
      rows.push(...(await run[stage]()));
    } catch (err) {
      progress(`${stage} failed: ${(err as Error).stack ?? err}`);
      rows.push({ figure: stage, value: 'failed', detail: (err as Error).message.slice(0, 300) });
    }
    progress(`${stage} done in ${((Date.now() - ts) / 1000).toFixed(1)} s`);
  }
  const left = doCleanup ? await cleanup(ctx) : `${ctx.opened.size} cases opened by this run were left open (run with --cleanup to cancel them)`;
  rows.push({ figure: 'Run', value: `${((Date.now() - t0) / 1000 / 60).toFixed(1)} min`, detail: `${new Date(t0).toISOString()}; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${ctx.rateLimited} answers of 429 waited out; ${left}` });
  await closeContext(ctx);

  const lines = ['| Figure | Result | How it was measured |', '|---|---|---|', ...rows.map((r) => `| ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.detail)} |`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof UsageError ? err.message : err);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
