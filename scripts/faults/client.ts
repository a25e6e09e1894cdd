// The load's HTTP client, as a storefront or a member of staff would call the API while replicas die: the API replicas
// in turn; a network error, a 5xx or a 429 is retried (a POST with the SAME Idempotency-Key) until the request's time
// runs out. Loopback only.
import crypto from 'node:crypto';

export interface Answer {
  status: number;
  body: any;
  /** The attempt that was answered (1: no retry). */
  attempt: number;
}

export interface ClientStats {
  requests: number;
  retries: number;
  networkErrors: number;
  serverErrors: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Api {
  private turn = 0;
  readonly stats: ClientStats = { requests: 0, retries: 0, networkErrors: 0, serverErrors: 0 };
  constructor(
    readonly bases: readonly string[],
    /** How long one request may keep retrying (a restart of PostgreSQL or Temporal lasts seconds). */
    private readonly retryForMs = 240_000,
  ) {
    for (const b of bases) if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(b)) throw new Error(`the fault stage drives loopback APIs only, not ${b}`);
  }

  base(): string {
    return this.bases[this.turn++ % this.bases.length];
  }

  /** One call; POSTs carry an Idempotency-Key (the caller's, or one made here), the same on every retry. */
  async call(method: string, path: string, key: string | null, body?: unknown, o: { idempotencyKey?: string; headers?: Record<string, string>; raw?: string; form?: () => FormData } = {}): Promise<Answer> {
    const idem = method === 'POST' ? (o.idempotencyKey ?? `chaos-${crypto.randomUUID()}`) : undefined;
    const started = Date.now();
    this.stats.requests++;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) this.stats.retries++;
      const url = `${this.base()}${path}`;
      try {
        const res = await fetch(url, {
          method,
          headers: {
            ...(key && { authorization: `Bearer ${key}` }),
            ...(idem && { 'Idempotency-Key': idem }),
            ...((body !== undefined || o.raw !== undefined) && { 'content-type': 'application/json' }),
            ...o.headers,
          },
          body: o.form ? o.form() : (o.raw ?? (body !== undefined ? JSON.stringify(body) : undefined)),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await res.text();
        let parsed: any = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        if (res.status === 429 || res.status >= 500) {
          if (res.status >= 500) this.stats.serverErrors++;
          if (Date.now() - started > this.retryForMs) return { status: res.status, body: parsed, attempt };
          await sleep(res.status === 429 ? Number(res.headers.get('retry-after') ?? 1) * 1000 : Math.min(5000, 250 * attempt));
          continue;
        }
        return { status: res.status, body: parsed, attempt };
      } catch (err) {
        this.stats.networkErrors++;
        if (Date.now() - started > this.retryForMs) throw new Error(`${method} ${path}: no answer for ${Math.round(this.retryForMs / 1000)} s (${(err as Error).message})`);
        await sleep(Math.min(5000, 250 * attempt));
      }
    }
  }

  /**
   * A call that must answer `expected`. A retried state change answered 409 counts as done when `doneOn409` says so
   * (the first attempt was applied before its answer was lost).
   */
  async must(expected: number | number[], method: string, path: string, key: string | null, body?: unknown, o: Parameters<Api['call']>[4] & { doneOn409?: boolean } = {}): Promise<Answer> {
    const r = await this.call(method, path, key, body, o);
    const ok = Array.isArray(expected) ? expected : [expected];
    if (ok.includes(r.status)) return r;
    if (r.status === 409 && r.attempt > 1 && o.doneOn409) return r;
    throw new Error(`${method} ${path}: expected ${ok.join('/')}, got ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`);
  }
}

/** Polls `fn` until it answers; throws with `label` after `timeoutMs`. */
export async function until<T>(label: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 300_000, everyMs = 500): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${label}`);
    await sleep(everyMs);
  }
}
