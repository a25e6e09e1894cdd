// One replay process of the auditor's replay tool (scripts/replay.ts --jobs N forks N of these): replays the histories
// it is sent against the workflow bundle it is sent, one replay worker for all of them, and answers each result.
// Also the replay loop of scripts/replay.ts itself when it runs in one process.
import fs from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { replaySandboxUnlessSet } from '../worker/workflowSandbox';

export type History = temporal.api.history.v1.IHistory;

/** One history to replay: its place in the run, the id it is reported under, and where it is (or why it could not be fetched). */
export type ReplayTask = { i: number; workflowId: string } & ({ file: string } | { bytes: Uint8Array } | { history: History } | { fetchError: string });

export interface ReplayResult {
  i: number;
  workflowId: string;
  /** Replay failed: the history is not what the code produces (or could not be replayed). */
  mismatch?: string;
  /** The history could not be read, parsed or fetched. */
  error?: string;
}

/** A history from a file (the Temporal CLI's / UI's JSON export), proto bytes, or as it is. */
export async function loadHistory(task: ReplayTask): Promise<History> {
  if ('fetchError' in task) throw new Error(`history could not be fetched: ${task.fetchError}`);
  if ('history' in task) return task.history;
  if ('bytes' in task) return temporal.api.history.v1.History.decode(task.bytes);
  return historyFromJSON(JSON.parse(await fs.promises.readFile(task.file, 'utf8')));
}

/**
 * Loads up to `width` of the tasks ahead (file reads, fetches) while the replay runs, and yields them in their order,
 * loaded or with the loading error. A loaded head is yielded at once: it never waits for the source to offer more.
 */
export async function* prefetch<T, R>(tasks: AsyncIterable<T> | Iterable<T>, load: (t: T) => Promise<R>, width: number): AsyncGenerator<{ task: T; value?: R; error?: string }> {
  type Loaded = { task: T; value?: R; error?: string };
  const it = (Symbol.asyncIterator in tasks ? (tasks as AsyncIterable<T>)[Symbol.asyncIterator]() : (tasks as Iterable<T>)[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>;
  const window: Promise<Loaded>[] = [];
  const settled = new WeakSet<Promise<Loaded>>();
  const start = (task: T) => {
    const p: Promise<Loaded> = load(task).then(
      (value) => ({ task, value }),
      (err: unknown) => ({ task, error: err instanceof Error ? err.message : String(err) }),
    );
    void p.then(() => settled.add(p));
    return p;
  };
  let pulling: Promise<IteratorResult<T>> | undefined;
  let done = false;
  for (;;) {
    while (!done && window.length < width) {
      pulling ??= Promise.resolve(it.next());
      if (window.length > 0) {
        // Something is loading already: take more from the source only while the head is not ready.
        const head = window[0];
        if (settled.has(head)) break;
        const first = await Promise.race([head.then(() => 'head' as const), pulling.then(() => 'source' as const)]);
        if (first === 'head') break;
      }
      const r = await pulling;
      pulling = undefined;
      if (r.done) done = true;
      else window.push(start(r.value));
    }
    if (window.length === 0) return;
    yield await window.shift()!;
  }
}

/** Replays the tasks in order with one replay worker over `code`; yields each result as it comes. */
export async function* replayAll(code: string, tasks: AsyncIterable<ReplayTask> | Iterable<ReplayTask>, loadWidth = 8): AsyncGenerator<ReplayResult> {
  const pushed: ReplayTask[] = [];
  const unreadable: ReplayResult[] = [];
  // Loading failures are answered in place; only loaded histories go to the replay worker.
  async function* histories() {
    for await (const { task, value, error } of prefetch(tasks, loadHistory, loadWidth)) {
      if (error !== undefined) {
        unreadable.push({ i: task.i, workflowId: task.workflowId, error });
        continue;
      }
      pushed.push(task);
      yield { workflowId: task.workflowId, history: value! };
    }
  }
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code }, replayName: 'replay-audit' }, histories())) {
    while (unreadable.length) yield unreadable.shift()!;
    const task = pushed.shift()!; // one history at a time: results come back in the order they went in
    yield { i: task.i, workflowId: task.workflowId, ...(r.error && { mismatch: r.error.message }) };
  }
  while (unreadable.length) yield unreadable.shift()!;
}

// --- as a forked replay process ---------------------------------------------------------------------------------------
type FromParent = { type: 'bundle'; code: string } | { type: 'task'; task: ReplayTask } | { type: 'end' };
export type FromChild = { type: 'ready' } | { type: 'result'; result: ReplayResult };

/** Quiet: each mismatch is reported on its JSON line; the SDK's own warnings about it would only repeat it. */
export function installQuietRuntime(): void {
  // A replay answers no queries and is watched by whoever runs it: no stack-trace hook (about half the CPU) and no
  // watchdog thread per call into the workflow (about a third of what is left); worker/workflowSandbox.ts.
  replaySandboxUnlessSet();
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
}

async function child(): Promise<void> {
  installQuietRuntime();
  // The parent may be gone (it exits once it has every answer it needs): nothing left to tell it then.
  const tell = (m: FromChild) => process.connected && process.send!(m);
  const queue: ReplayTask[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  let code: string | undefined;
  let gotCode: (() => void) | undefined;
  const bundle = new Promise<void>((r) => (gotCode = r));
  process.on('message', (m: FromParent) => {
    if (m.type === 'bundle') {
      code = m.code;
      gotCode!();
    } else if (m.type === 'task') queue.push(m.task);
    else ended = true;
    wake?.();
  });
  process.on('disconnect', () => {
    if (code === undefined) process.exit(0); // the parent is gone before it sent anything to replay
    ended = true;
    wake?.();
  });
  async function* tasks(): AsyncGenerator<ReplayTask> {
    // First asked for once the replay worker is up: from now on this process answers quickly.
    tell({ type: 'ready' });
    for (;;) {
      if (queue.length) yield queue.shift()!;
      else if (ended) return;
      else await new Promise<void>((r) => (wake = r));
    }
  }
  await bundle;
  for await (const result of replayAll(code!, tasks(), 4)) tell({ type: 'result', result });
  if (process.connected) process.disconnect();
}

if (require.main === module && process.send) {
  child().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
