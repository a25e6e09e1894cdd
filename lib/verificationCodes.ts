// One-time codes sent to a person to check who they are, and the daily SMS caps (issue 9: SMS abuse): shared by the
// registration (its mobile code, the guardian's code) and the personal-data request's identity re-verification
// (policy 2.3-2.4, PIPL art. 50). Only a code's HMAC bound to its challenge is stored; caps count keyed hashes only.
import crypto from 'node:crypto';
import type { Db } from './db';

export function hmac(secret: string, purpose: string, value: string): Buffer {
  return crypto.createHmac('sha256', secret).update(`${purpose}|${value}`).digest();
}

/** A fresh 6-digit one-time code. */
export const newOneTimeCode = (): string => String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');

/** The stored form of a one-time code: HMAC-SHA256 bound to its challenge. */
export function hashMobileCode(secret: string, challengeId: string, code: string): string {
  return hmac(secret, 'mobile-code', `${challengeId}|${code}`).toString('hex');
}

/** Constant-time comparison of two hex MACs. */
export function macMatches(givenHex: string, storedHex: string): boolean {
  const a = Buffer.from(givenHex, 'hex');
  const b = Buffer.from(storedHex, 'hex');
  return a.length === b.length && a.length > 0 && crypto.timingSafeEqual(a, b);
}

/** Constant-time comparison of a submitted code with the stored HMAC. */
export function mobileCodeMatches(secret: string, challengeId: string, code: string, storedHex: string): boolean {
  const a = hmac(secret, 'mobile-code', `${challengeId}|${code}`);
  const b = Buffer.from(storedHex, 'hex');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

// ---- Daily SMS caps ----
// One atomic statement per key: the counter row of (local day, kind, keyed hash) goes up only while under the
// cap. Hand-written rather than rate-limiter-flexible's RateLimiterPostgres: that store needs its own `pg`
// pool beside Prisma's (the embedded PGlite serves one session), creates its table at run time outside the
// committed migrations, and counts windows from each key's first hit, not calendar days.

export type SmsQuotaKey = { kind: 'mobile' | 'client_address'; value: string; cap: number };
export type SmsQuotaResult = { ok: true } | { ok: false; kind: SmsQuotaKey['kind']; cap: number };

const quotaHash = (secret: string, k: SmsQuotaKey) => hmac(secret, `sms-quota:${k.kind}`, k.value).toString('hex');

/** Counts one SMS for each key on `day`; refuses (counting nothing) when any key is at its cap. */
export async function takeSmsQuota(db: Db, secret: string, day: string, keys: SmsQuotaKey[]): Promise<SmsQuotaResult> {
  try {
    await db.$transaction(async (tx) => {
      for (const k of keys) {
        const rows = await tx.$queryRaw<{ count: number }[]>`
          INSERT INTO sms_daily_counters (day, kind, key_hash, count) VALUES (${day}, ${k.kind}, ${quotaHash(secret, k)}, 1)
          ON CONFLICT (day, kind, key_hash) DO UPDATE SET count = sms_daily_counters.count + 1
          WHERE sms_daily_counters.count < ${k.cap}
          RETURNING count`;
        if (rows.length === 0 || k.cap < 1) throw new QuotaExceeded(k);
      }
    });
    return { ok: true };
  } catch (err) {
    if (err instanceof QuotaExceeded) return { ok: false, kind: err.key.kind, cap: err.key.cap };
    throw err;
  }
}

/** Gives back what takeSmsQuota counted when no SMS went out after all (e.g. the case refused the resend). */
export async function releaseSmsQuota(db: Db, secret: string, day: string, keys: SmsQuotaKey[]): Promise<void> {
  for (const k of keys) {
    await db.$executeRaw`UPDATE sms_daily_counters SET count = count - 1 WHERE day = ${day} AND kind = ${k.kind} AND key_hash = ${quotaHash(secret, k)} AND count > 0`;
  }
}

class QuotaExceeded extends Error {
  constructor(readonly key: SmsQuotaKey) {
    super(`SMS cap reached: ${key.kind}`);
  }
}

/** The local date (YYYY-MM-DD) of an instant in a time zone: the day an SMS cap counts. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
