// Floors: what the start ratio and the replay rate would be if the system's own code cost nothing, measured on the
// same machine and server in the same run. They say how far a target is reachable at all, not how the system does.
import { fork } from 'node:child_process';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { prepareReturns, startPrepared, type Prepared } from './cases';
import { waitIdle, type BenchContext } from './context';
import type { Options, Row } from './stages';
import { ms, now, percentile, pool, progress, range, sleep } from './util';
import { replaySandboxUnlessSet } from '../../worker/workflowSandbox';

/** Rounds of each half: the median round is reported (a 100-start half lasts under a second; rounds range 0.6-1.0). */
const ROUNDS = 5;
/** Copies of each floor history replayed. */
const REPLAYS = 300;

/** Starts through a bare Express process (scripts/bench/bareStart.ts) against direct starts, alternating, same run. */
export async function startFloor(ctx: BenchContext, o: Options): Promise<Row[]> {
  const n = o.cases;
  const c = o.concurrency;
  const m = ctx.merchants.floors;
  const child = fork(path.join(__dirname, 'bareStart.ts'), [], {
    execArgv: process.execArgv,
    env: { ...process.env, TEMPORAL_ADDRESS: ctx.temporalAddress, TEMPORAL_NAMESPACE: ctx.namespace, TEMPORAL_TASK_QUEUE: ctx.taskQueue },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (msg: { port: number }) => resolve(msg.port));
      child.once('exit', (code) => reject(new Error(`the bare start process stopped (${code}) before listening`)));
    });
    const bare = async (p: Prepared) => {
      const r = await fetch(`http://127.0.0.1:${port}/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p.input) });
      await r.text();
      if (r.status !== 201) throw new Error(`bare start of ${p.caseId}: ${r.status}`);
      ctx.opened.add(p.caseId);
    };
    const timed = async (items: Prepared[], fn: (p: Prepared) => Promise<unknown>) => {
      await waitIdle(ctx.apiUrl); // each half starts on an idle worker, as the start ratio's do
      const t = now();
      await pool(items, c, fn);
      return (n * 1000) / (now() - t);
    };
    await pool(await prepareReturns(ctx, 2 * c, m), c, bare); // warm-up, untimed
    const rounds: { bare: number; direct: number }[] = [];
    for (const r of range(ROUNDS)) {
      progress(`floors: start round ${r + 1}/${ROUNDS}: ${n} bare HTTP starts, then ${n} direct starts (concurrency ${c})`);
      const b = await timed(await prepareReturns(ctx, n, m), bare);
      const d = await timed(await prepareReturns(ctx, n, m), (p) => startPrepared(ctx, p));
      rounds.push({ bare: b, direct: d });
    }
    const ratios = rounds.map((r) => r.bare / r.direct);
    return [
      {
        figure: 'Start floor (bare HTTP ÷ direct)',
        value: percentile(ratios, 50).toFixed(2),
        detail: `the highest start ratio any HTTP API could reach here: a process doing only Express, a JSON body and the same client.workflow.start (scripts/bench/bareStart.ts; no authentication, idempotency record, case row or validation), against direct starts, ${n} each at concurrency ${c}, ${ROUNDS} rounds, each half on an idle worker; per round bare / direct: ${rounds.map((r) => `${r.bare.toFixed(1)} / ${r.direct.toFixed(1)}`).join(', ')} starts/s (ratios ${ratios.map((x) => x.toFixed(2)).join(', ')}; the median is shown)`,
      },
    ];
  } finally {
    child.disconnect?.();
    child.kill();
  }
}

/** Replays histories of workflows that only issue commands (scripts/bench/floorWorkflows.ts): the SDK's own cost. */
export async function replayFloor(ctx: BenchContext): Promise<Row[]> {
  const taskQueue = `bench-floor-${ctx.runId}`;
  progress('floors: bundling the floor workflows and recording their histories');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./floorWorkflows'), logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: ctx.temporalAddress });
  const shapes = [8, 24];
  const histories: { steps: number; history: temporal.api.history.v1.IHistory }[] = [];
  try {
    const worker = await Worker.create({ connection, namespace: ctx.namespace, taskQueue, workflowBundle: { code }, activities: { floorStep: async () => undefined } });
    // Both at once: each step waits about a second for its timer on the dev server.
    await worker.runUntil(
      Promise.all(
        shapes.map(async (steps) => {
          const handle = await ctx.client.workflow.start('floorSteps', { taskQueue, workflowId: `${taskQueue}-${steps}`, args: [steps] });
          await handle.result();
          histories.push({ steps, history: await handle.fetchHistory() });
          progress(`floors: recorded the ${steps}-step floor history`);
        }),
      ),
    );
    histories.sort((a, b) => a.steps - b.steps);
    progress('floors: floor worker stopped');
  } finally {
    await connection.close();
  }
  replaySandboxUnlessSet(); // as the replay tool replays (scripts/replay-worker.ts)
  const rows: Row[] = [];
  for (const { steps, history } of histories) {
    progress(`floors: replaying a ${history.events?.length}-event floor history ${REPLAYS} times`);
    await sleep(500);
    const cpu0 = process.cpuUsage();
    const t = now();
    let failed = 0;
    const copies = (async function* () {
      for (const i of range(REPLAYS)) yield { workflowId: `${taskQueue}-${steps}-${i}`, history };
    })();
    for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, copies)) if (r.error) failed++;
    const took = now() - t;
    const cpu = process.cpuUsage(cpu0);
    rows.push({
      figure: `Replay floor, ${history.events?.length} events`,
      value: `${((REPLAYS * 1000) / took).toFixed(1)} histories/s`,
      detail: `a workflow of ${steps} steps that only issue commands (a local activity and a 1 ms timer each; scripts/bench/floorWorkflows.ts), its history replayed ${REPLAYS} times one after another by Worker.runReplayHistories as the replay throughput row replays, in ${ms(took)}; ${((cpu.user + cpu.system) / 1000 / REPLAYS).toFixed(1)} ms of CPU per history in this process, all its threads; ${failed} failed`,
    });
  }
  return rows;
}
