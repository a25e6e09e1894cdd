// Pure policy rules: 7-day eligibility (7.1), the policy configuration, and start-up settings.
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { deadlineFrom, durationMs } from '../../policy/durations';
import { checkReturnEligibility } from '../../policy/returns';
import { parseTaskPayload } from '../../processes';
import { ConfigError, loadConfig } from '../../lib/config';

const rules = defaultPolicy.returnWithin7Days;
const calendar = defaultPolicy.calendar;
const delivered = new Date('2026-11-20T10:00:00Z');
const DAY = 86_400_000;

describe('checkReturnEligibility (7.1)', () => {
  test('eligible until 24:00 Shanghai of the 7th day after delivery, not a millisecond later', () => {
    // Delivered Friday 2026-11-20 18:00 Shanghai: days 11-21..11-27, the window ends 2026-11-28 00:00 Shanghai.
    const end = new Date('2026-11-27T16:00:00.000Z');
    const last = new Date(end.getTime() - 1);
    expect(checkReturnEligibility({ deliveredAt: delivered, requestedAt: last, category: 'apparel' }, rules, calendar)).toEqual({ eligible: true, windowEndsAt: end });
    const late = checkReturnEligibility({ deliveredAt: delivered, requestedAt: end, category: 'apparel' }, rules, calendar);
    expect(late).toMatchObject({ eligible: false, reason: 'RETURN_WINDOW_EXPIRED', windowEndsAt: end });
  });

  test('excluded categories and undelivered orders are refused with a reason', () => {
    expect(checkReturnEligibility({ deliveredAt: delivered, requestedAt: delivered, category: 'customized' }, rules, calendar)).toMatchObject({ eligible: false, reason: 'CATEGORY_EXCLUDED' });
    expect(checkReturnEligibility({ deliveredAt: delivered, requestedAt: new Date(delivered.getTime() - 1), category: 'apparel' }, rules, calendar)).toMatchObject({
      eligible: false,
      reason: 'NOT_YET_DELIVERED',
    });
  });

  test('the window follows the configured number of days', () => {
    const tenDays = { ...rules, windowDays: 10 };
    expect(checkReturnEligibility({ deliveredAt: delivered, requestedAt: new Date(delivered.getTime() + 9 * DAY), category: 'apparel' }, tenDays, calendar).eligible).toBe(true);
    // Day 10 is Monday 2026-11-30: the window ends 2026-12-01 00:00 Shanghai.
    expect(checkReturnEligibility({ deliveredAt: delivered, requestedAt: delivered, category: 'apparel' }, tenDays, calendar)).toEqual({
      eligible: true,
      windowEndsAt: new Date('2026-11-30T16:00:00.000Z'),
    });
  });
});

describe('policy configuration', () => {
  test('the default policy validates and is versioned', () => {
    expect(parsePolicy(defaultPolicy).version).toBe(defaultPolicy.version);
  });

  test('invalid policies are rejected with the path of each problem', () => {
    const bad = structuredClone(defaultPolicy) as any;
    bad.returnWithin7Days.merchantReview.within.unit = 'fortnights';
    bad.returnWithin7Days.windowDays = 0;
    try {
      parsePolicy(bad);
      throw new Error('expected a failure');
    } catch (err: any) {
      const paths = err.issues.map((i: any) => i.path.join('.')).sort();
      expect(paths).toEqual(['returnWithin7Days.merchantReview.within.unit', 'returnWithin7Days.windowDays']);
    }
  });

  test('durations: calendar units are exact, working units go through the business calendar', () => {
    expect(durationMs({ amount: 48, unit: 'hours' }, defaultPolicy.calendar)).toBe(48 * 3_600_000);
    expect(durationMs({ amount: 1, unit: 'working-days' }, defaultPolicy.calendar)).toBe(9 * 3_600_000);
    // Friday 2026-11-27 17:30 Shanghai + 2 working hours = Monday 10:30 Shanghai.
    expect(deadlineFrom(new Date('2026-11-27T09:30:00Z'), { amount: 2, unit: 'working-hours' }, defaultPolicy.calendar).toISOString()).toBe('2026-11-30T02:30:00.000Z');
  });
});

describe('task payloads', () => {
  test('a merchant rejection needs a known reason code', () => {
    expect(parseTaskPayload('return.merchant_review', { decision: 'reject', reasonCode: 'other' }).ok).toBe(true);
    const missing = parseTaskPayload('return.merchant_review', { decision: 'reject' });
    expect(missing).toMatchObject({ ok: false, issues: [{ path: 'reasonCode' }] });
    expect(parseTaskPayload('return.merchant_review', { decision: 'approve', extra: 1 }).ok).toBe(false);
  });
});

describe('loadConfig', () => {
  test('embedded defaults with no configuration', () => {
    const cfg = loadConfig({});
    expect(cfg).toMatchObject({ API_PORT: 3000, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'casework', DATA_DIR: '.data' });
    expect(cfg.DATABASE_URL).toBeUndefined();
  });

  test('production refuses the development registration secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/REGISTRATION_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', REGISTRATION_SECRET: 'x'.repeat(40), REQUEST_HASH_SECRET: 'y'.repeat(40), WEBHOOK_SECRET_CARRIER: 'w'.repeat(40), ALLOW_SIMULATED: 'payments,sms,faces,carriers,listings,keys,regulator', SIMULATED_SIGNING_KEY_SEED: '6b'.repeat(32) }).NODE_ENV).toBe('production');
  });

  test('a bad value fails with the variable named', () => {
    expect(() => loadConfig({ API_PORT: 'eighty', TEMPORAL_ADDRESS: 'nowhere' })).toThrow(ConfigError);
    try {
      loadConfig({ API_PORT: 'eighty', TEMPORAL_ADDRESS: 'nowhere' });
    } catch (err) {
      expect((err as Error).message).toMatch(/API_PORT/);
      expect((err as Error).message).toMatch(/TEMPORAL_ADDRESS: expected host:port/);
    }
  });
});
