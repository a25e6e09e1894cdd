// Per-principal rate limits: an in-memory token bucket per authenticated principal. Over the limit: 429 RATE_LIMITED with
// Retry-After in whole seconds. Per process: with several API replicas each enforces its own share.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError } from './errors';

export interface RateLimits {
  /** Sustained rate: tokens added per minute. */
  perMinute: number;
  /** Bucket size: requests allowed back to back after an idle period. */
  burst: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { perMinute: 600, burst: 60 };
/** Requests without a valid key, per client address: before authentication, so bad keys cannot cost unlimited look-ups. */
export const DEFAULT_AUTH_FAILURE_LIMITS: RateLimits = { perMinute: 30, burst: 20 };

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

/** Token buckets keyed by principal id. A key without a bucket has a full one, so idle (refilled) buckets are dropped. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private lastSweep: number;

  constructor(
    readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
    private readonly sweepEveryMs = 60_000,
  ) {
    if (!(limits.perMinute >= 1) || !(limits.burst >= 1)) throw new Error(`rate limits must be at least 1 (got perMinute ${limits.perMinute}, burst ${limits.burst})`);
    this.perMs = limits.perMinute / 60_000;
    this.lastSweep = now();
  }

  /** Buckets currently held in memory. */
  get size(): number {
    return this.buckets.size;
  }

  /** Whether a request of `key` would pass now, without taking a token. */
  peek(key: string): TakeResult {
    const now = this.now();
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.limits.burst, b.tokens + Math.max(0, now - b.at) * this.perMs) : this.limits.burst;
    return tokens >= 1 ? { ok: true, remaining: Math.floor(tokens) } : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)) };
  }

  take(key: string): TakeResult {
    const now = this.now();
    if (now - this.lastSweep >= this.sweepEveryMs) this.sweep(now);
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.limits.burst, b.tokens + Math.max(0, now - b.at) * this.perMs) : this.limits.burst;
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return { ok: true, remaining: Math.floor(tokens - 1) };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)) };
  }

  /** Drops buckets that have refilled completely: they hold nothing a fresh bucket would not. */
  sweep(now = this.now()): void {
    this.lastSweep = now;
    for (const [key, b] of this.buckets) {
      if (b.tokens + Math.max(0, now - b.at) * this.perMs >= this.limits.burst) this.buckets.delete(key);
    }
  }
}

/** Mount after authenticate(): limits each principal; requests without a principal pass (authentication answers them). */
export function rateLimit(limits: RateLimits = DEFAULT_RATE_LIMITS, buckets = new TokenBuckets(limits)): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = req.principal?.id;
    if (!principal) return next();
    const r = buckets.take(principal);
    if (r.ok) return next();
    res.setHeader('Retry-After', String(r.retryAfterSeconds));
    req.log?.warn({ retryAfterSeconds: r.retryAfterSeconds }, 'rate limited');
    next(new ApiError(429, 'RATE_LIMITED', `Too many requests: at most ${limits.perMinute} per minute per API key (bursts of ${limits.burst}); retry in ${r.retryAfterSeconds} s`));
  };
}
