// Small helpers of the benchmark harness: progress lines, timing, a worker pool, percentiles, formatting.
import { performance } from 'node:perf_hooks';

const started = performance.now();

/** A progress line on stderr, with the seconds since the harness started. */
export function progress(msg: string): void {
  process.stderr.write(`[bench +${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const now = () => performance.now();

/** Runs `fn` over `items` with `concurrency` lanes; lane i handles one item at a time. Results keep the items' order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, lane: number, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async (_, lane) => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i], lane, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export const max = (samples: readonly number[]) => (samples.length ? Math.max(...samples) : NaN);

/** Milliseconds, readably: 12.3 ms, 4.56 s. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${v.toFixed(v < 10 ? 1 : 0)} ms`;
}

export function rate(n: number, elapsedMs: number): string {
  if (!(elapsedMs > 0)) return 'n/a';
  const r = (n * 1000) / elapsedMs;
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

export const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

/** Polls `probe` every `everyMs` until it returns something other than undefined, or throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms(timeoutMs)} waiting for ${what}`);
    await sleep(everyMs);
  }
}
