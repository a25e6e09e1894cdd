// Memory per cached case: a worker holds K return cases that wait on merchant review (idle, in its workflow cache),
// and the worker process's heap and RSS are read before and after. A script, not a test:
//   npx tsx scripts/bench/cache-memory.ts [--cases 1000,3000] [--threads]
// Starts its own Temporal dev server (the Temporal CLI, as scripts/tools.ts resolves it) on a free port with a
// scratch SQLite file, bundles the workflows, and runs a worker on in-memory activities (scripts/harness/fakeActivities.ts).
// By default the worker runs workflows on the main thread (debugMode, the same reusable V8 context as the worker
// thread uses), so that a forced GC and process.memoryUsage().heapUsed cover every cached case; with --threads
// it runs them on the worker thread as in production and only RSS covers them (that thread's heap is not
// collected on demand).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { defaultPolicy } from '../../processes/policyDocument';
import { createFakeActivities } from '../harness/fakeActivities';
import { caseBundleOptions } from '../../worker/worker';
import { resolveTemporalCli, startDevServer } from '../tools';

v8.setFlagsFromString('--expose-gc');
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? vm.runInNewContext('gc');

const MiB = 1024 * 1024;
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const targets = (arg('--cases') ?? '1000,3000').split(',').map(Number).sort((a, b) => a - b);
const threads = process.argv.includes('--threads');
const WARM_UP = 20;
const taskQueue = 'bench-cache-memory';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function startServer(): Promise<{ address: string; child: ChildProcess; dir: string }> {
  const cli = resolveTemporalCli({ build: false });
  if (cli.kind !== 'existing-path') throw new Error('no Temporal CLI: run bash scripts/test or scripts/dev once to build .tools/bin/temporal');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cache-'));
  const { address, child } = await startDevServer({
    cliPath: cli.path,
    logFile: path.join(dir, 'temporal.log'),
    extraArgs: ['--db-filename', path.join(dir, 'temporal.db'), '--sqlite-pragma', 'journal_mode=WAL'],
  });
  return { address, child, dir };
}

function memory() {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { rss: m.rss / MiB, heapUsed: m.heapUsed / MiB, external: m.external / MiB };
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const server = await startServer();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.child.kill('SIGTERM');
      process.exit(130);
    });
  }
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const { code } = await bundleWorkflowCode({ ...caseBundleOptions(), logger: new DefaultLogger('ERROR') });
    const fake = createFakeActivities();
    const native = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({
      connection: native,
      taskQueue,
      activities: fake.activities,
      workflowBundle: { code },
      reuseV8Context: true,
      debugMode: !threads,
      // Room for every case: none is evicted while measuring.
      maxCachedWorkflows: targets[targets.length - 1] + WARM_UP + 100,
      maxConcurrentActivityTaskExecutions: 200,
    });
    running = worker.run();

    let started = 0;
    let reviewsCleared = 0; // merchant reviews opened before the fakes' record was last cleared
    const reviewsOpened = () => reviewsCleared + fake.of('openTask').filter((t) => t.type === 'return.merchant_review').length;
    const startUpTo = async (n: number) => {
      const t0 = Date.now();
      const next = async () => {
        while (started < n) {
          const i = ++started;
          const caseId = `RET-BENCH-${i}`;
          const now = Date.now();
          await client.workflow.start('returnWithin7Days', {
            taskQueue,
            workflowId: caseId,
            args: [
              {
                caseId,
                policy: defaultPolicy,
                openedBy: 'principal-storefront',
                order: { orderId: `ORD-${i}`, lineItemId: 'LI-1', category: 'apparel', amountMinor: 19900, currency: 'CNY', customerId: `cust-${i}`, merchantId: 'merchant-1', deliveredAt: new Date(now - 2 * 86_400_000).toISOString() },
                requestType: 'return_and_refund',
                reasonCode: 'no_reason',
                requestedAt: new Date(now).toISOString(),
              },
            ],
          });
        }
      };
      await Promise.all(Array.from({ length: 32 }, next));
      // Every case waits on merchant review, and the worker is idle.
      for (let quiet = 0; quiet < 3; ) {
        const s = worker!.getStatus();
        const idle = reviewsOpened() >= n && s.numInFlightWorkflowActivations === 0 && s.numInFlightActivities === 0;
        quiet = idle ? quiet + 1 : 0;
        await sleep(idle ? 500 : 250);
      }
      reviewsCleared = reviewsOpened();
      fake.calls.length = 0; // the fakes' record of calls is not the cases' memory
      return (Date.now() - t0) / 1000;
    };

    await startUpTo(WARM_UP);
    await sleep(1000);
    const base = memory();
    console.log(JSON.stringify({ mode: threads ? 'worker thread (RSS only)' : 'main thread (debugMode)', cached: worker.getStatus().numCachedWorkflows, ...round(base) }));
    for (const k of targets) {
      const seconds = await startUpTo(WARM_UP + k);
      await sleep(1000);
      const m = memory();
      const row = {
        cases: k,
        cached: worker.getStatus().numCachedWorkflows,
        startSeconds: seconds,
        ...round(m),
        rssGrowthMiB: m.rss - base.rss,
        heapGrowthMiB: m.heapUsed - base.heapUsed,
        rssMiBPer1000: ((m.rss - base.rss) / k) * 1000,
        heapMiBPer1000: ((m.heapUsed - base.heapUsed) / k) * 1000,
      };
      console.log(JSON.stringify(round(row)));
    }
  } finally {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await connection.close();
    server.child.kill('SIGTERM');
    await sleep(500);
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
}

function round<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 10) / 10 : v])) as T;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
