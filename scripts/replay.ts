// Auditor tool: replays workflow histories against the current workflow code and reports, per case,
// whether the recorded history is exactly what the code produces (proof of what happened).
//   npx tsx scripts/replay.ts --file test/fixtures/histories/x.json [--file ...]
//   npx tsx scripts/replay.ts --workflow-id RET-...            (fetched from TEMPORAL_ADDRESS)
//   npx tsx scripts/replay.ts --query "CaseType = 'return'"     (every matching case)
//   --jobs N   replay in N processes: this one and N - 1 forked (default: one per core; one for fewer than 20 histories)
// One JSON line per history on stdout, in the order given (files, then ids, then the query's cases), then a summary
// line; progress on stderr every 50 histories; exit code 1 when any history does not replay or cannot be read.
// The workflows are bundled once, as the worker bundles them (its interceptors included), and the bundle is kept
// under DATA_DIR/workflow-bundle until a workflow source changes (worker/workflowBundle.ts). Files are read and
// histories fetched ahead (8 at a time) while earlier ones replay.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { caseBundleOptions } from '../worker/worker';
import { installQuietRuntime, prefetch, replayAll, type FromChild, type ReplayResult, type ReplayTask } from './replay-worker';
import { ROOT } from './tools';
import { workflowBundle } from '../worker/workflowBundle';

const FETCH_WIDTH = 8;
/** Fewer histories than this per process: one process replays them sooner than several would start. */
const MIN_PER_EXTRA_JOB = 10;

function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => a === name && process.argv[i + 1] && out.push(process.argv[i + 1]));
  return out;
}

/** Every history to replay, in order; fetched ones come with their history (FETCH_WIDTH fetches in flight). */
async function* sources(files: string[], ids: string[], queries: string[], client: Client | undefined): AsyncGenerator<ReplayTask> {
  let i = 0;
  for (const file of files) yield { i: i++, workflowId: file, file };
  if (!client) return;
  const c = client;
  async function* executions(): AsyncGenerator<{ workflowId: string; runId?: string }> {
    for (const id of ids) yield { workflowId: id };
    for (const query of queries) for await (const w of c.workflow.list({ query })) yield { workflowId: w.workflowId, runId: w.runId };
  }
  for await (const { task, value, error } of prefetch(executions(), (w) => c.workflow.getHandle(w.workflowId, w.runId).fetchHistory(), FETCH_WIDTH)) {
    if (error !== undefined) yield { i: i++, workflowId: task.workflowId, fetchError: error };
    else yield { i: i++, workflowId: task.workflowId, history: value! };
  }
}

/** A replayer the tasks are dealt to: this process's own, or a forked one (scripts/replay-worker.ts). */
interface Engine {
  /** Tasks sent and not answered yet. */
  inflight: Map<number, ReplayTask>;
  /** Its replay worker is up: it may be dealt tasks. */
  ready: boolean;
  gone: boolean;
  send(task: ReplayTask): void;
  end(): void;
}

/**
 * Replays with `jobs` engines: this process from the start, and jobs - 1 forked processes that join as soon as they are
 * up (starting one costs about a second, during which this process is already replaying). Each engine is kept `depth`
 * tasks ahead, so it never waits for the next history; the results come as they are answered.
 */
async function* replayPool(jobs: number, code: Promise<string>, tasks: AsyncIterable<ReplayTask>): AsyncGenerator<ReplayResult> {
  const depth = 3;
  const results: ReplayResult[] = [];
  let notify: (() => void) | undefined;
  const poke = () => notify?.();
  const answer = (e: Engine, r: ReplayResult) => {
    e.inflight.delete(r.i);
    results.push(r);
    poke();
  };
  const fail = (e: Engine, why: string) => {
    e.gone = true;
    for (const t of e.inflight.values()) results.push({ i: t.i, workflowId: t.workflowId, error: why });
    e.inflight.clear();
    poke();
  };

  const procs: ChildProcess[] = [];
  const children: Engine[] = Array.from({ length: jobs - 1 }, () => {
    // Same loader as this process (tsx), so the child runs the TypeScript source; tasks go over IPC as structured clones.
    const proc: ChildProcess = fork(path.join(__dirname, 'replay-worker.ts'), [], { execArgv: process.execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const e: Engine = {
      inflight: new Map(),
      ready: false,
      gone: false,
      // A fetched history crosses as its protobuf encoding (the decoded message's Longs would not survive the copy).
      send: (task) => proc.send({ type: 'task', task: 'history' in task ? { i: task.i, workflowId: task.workflowId, bytes: temporal.api.history.v1.History.encode(task.history).finish() } : task }),
      end: () => proc.connected && proc.send({ type: 'end' }),
    };
    proc.on('message', (m: FromChild) => {
      if (m.type === 'ready') {
        e.ready = true;
        poke();
      } else answer(e, m.result);
    });
    proc.on('exit', (exitCode, signal) => fail(e, `the replay process stopped (${exitCode ?? signal}) before answering`));
    proc.on('error', () => undefined); // an IPC write after it stopped; 'exit' reports it
    procs.push(proc);
    return e;
  });

  const bundle = await code;
  for (const proc of procs) if (proc.connected) proc.send({ type: 'bundle', code: bundle });

  // This process's own replayer.
  const queue: ReplayTask[] = [];
  let ended = false;
  let wakeLocal: (() => void) | undefined;
  const local: Engine = {
    inflight: new Map(),
    ready: true,
    gone: false,
    send: (task) => {
      queue.push(task);
      wakeLocal?.();
    },
    end: () => {
      ended = true;
      wakeLocal?.();
    },
  };
  async function* localTasks(): AsyncGenerator<ReplayTask> {
    for (;;) {
      if (queue.length) yield queue.shift()!;
      else if (ended) return;
      else await new Promise<void>((r) => (wakeLocal = r));
    }
  }
  installQuietRuntime();
  void (async () => {
    for await (const r of replayAll(bundle, localTasks(), FETCH_WIDTH)) answer(local, r);
  })().then(
    () => fail(local, 'replay ended before answering'),
    (err: unknown) => fail(local, `replay failed: ${err instanceof Error ? err.message : String(err)}`),
  );
  const engines = [local, ...children];

  const wait = () => new Promise<void>((r) => (notify = r));
  let sent = 0;
  let answered = 0;
  const iterator = tasks[Symbol.asyncIterator]();
  let next = iterator.next();
  let exhausted = false;
  while (!exhausted || answered < sent) {
    while (results.length) {
      answered++;
      yield results.shift()!;
    }
    const alive = engines.filter((e) => !e.gone);
    const free = alive.filter((e) => e.ready && e.inflight.size < depth).sort((a, b) => a.inflight.size - b.inflight.size)[0];
    if (!exhausted && (free || alive.length === 0)) {
      const r = await next;
      if (r.done) {
        exhausted = true;
        for (const e of alive) e.end();
        continue;
      }
      next = iterator.next();
      sent++;
      if (free) {
        free.inflight.set(r.value.i, r.value);
        free.send(r.value);
      } else results.push({ i: r.value.i, workflowId: r.value.workflowId, error: 'no replayer left' });
      continue;
    }
    if (results.length === 0) await wait();
  }
  for (const e of engines) if (!e.gone) e.end();
}

async function main() {
  const started = Date.now();
  const files = args('--file').map((f) => path.resolve(f));
  const ids = args('--workflow-id');
  const queries = args('--query');
  if (files.length + ids.length + queries.length === 0) {
    console.error('nothing to replay: pass --file, --workflow-id or --query');
    process.exit(2);
  }
  let connection: Connection | undefined;
  let client: Client | undefined;
  if (ids.length || queries.length) {
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', identity: 'replay-audit' });
  }
  // How many, when it can be known up front (the visibility store counts a query's cases): for the progress lines, and
  // so that a handful of histories is not worth starting replay processes for (each costs about a second to start).
  let known: number | undefined = files.length + ids.length;
  for (const query of queries) {
    if (known !== undefined) known = await client!.workflow.count(query).then((c) => known! + c.count, () => undefined);
  }
  const requested = args('--jobs')[0];
  const jobs = requested ? Math.max(1, Number(requested) || 1) : known !== undefined && known < MIN_PER_EXTRA_JOB * 2 ? 1 : os.availableParallelism();

  let bundleSeconds = 0;
  const code = workflowBundle({ ...caseBundleOptions(), cacheDir: path.resolve(ROOT, process.env.DATA_DIR ?? '.data', 'workflow-bundle') }).then((b) => {
    bundleSeconds = (Date.now() - started) / 1000;
    process.stderr.write(`[replay] workflow bundle ${b.cached ? 'reused (no workflow source changed)' : `built in ${bundleSeconds.toFixed(1)} s`}; ${jobs} replay process${jobs > 1 ? 'es' : ''}\n`);
    return b.code;
  });
  code.catch(() => undefined); // awaited by whichever replay path runs

  // A history that could not be fetched travels as a task of its own and is reported in its place.
  const results = replayPool(jobs, code, sources(files, ids, queries, client));

  // Output in input order: results that arrive early wait for the ones before them.
  let ok = 0;
  let mismatched = 0;
  let errors = 0;
  let printed = 0;
  const early = new Map<number, ReplayResult>();
  const print = (r: ReplayResult) => {
    const n = r.i + 1;
    if (r.error !== undefined) {
      errors++;
      console.log(JSON.stringify({ n, workflowId: r.workflowId, result: 'ERROR', error: r.error }));
    } else if (r.mismatch !== undefined) {
      mismatched++;
      console.log(JSON.stringify({ n, workflowId: r.workflowId, result: 'MISMATCH', error: r.mismatch }));
    } else {
      ok++;
      console.log(JSON.stringify({ n, workflowId: r.workflowId, result: 'replayed' }));
    }
    printed++;
    if (printed % 50 === 0) {
      const s = (Date.now() - started) / 1000;
      process.stderr.write(`[replay] ${printed}${known !== undefined && !queries.length ? `/${known}` : ''} histories, ${(printed / s).toFixed(1)}/s, ${mismatched + errors} failed\n`);
    }
  };
  for await (const r of results) {
    early.set(r.i, r);
    while (early.has(printed)) {
      const next = early.get(printed)!;
      early.delete(printed);
      print(next);
    }
  }
  for (const i of [...early.keys()].sort((a, b) => a - b)) print(early.get(i)!); // only if numbering had a gap

  await connection?.close();
  const seconds = (Date.now() - started) / 1000;
  const total = ok + mismatched + errors;
  console.log(JSON.stringify({ summary: { replayed: ok, mismatched, errors, seconds, perSecond: Number((total / seconds).toFixed(1)), jobs, bundleSeconds } }));
  if (total === 0) {
    console.error('nothing to replay: the query matched no case');
    process.exit(2);
  }
  process.exit(mismatched + errors ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
