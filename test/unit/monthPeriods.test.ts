// Periods counted in months and years as the Civil Code counts them (arts. 201-204): monthPeriodEndsAt, and the
// warranty of a repair and of a quality claim counted with it.
import '../../policy/nationalHolidays'; // builds defaultBusinessCalendar
import { businessCalendarSchema, defaultBusinessCalendar, monthPeriodEndsAt, type BusinessCalendar } from '../../policy/businessCalendar';
import { checkWarranty, warrantyEndsAt } from '../../policy/warrantyRepair';

const at = (iso: string): Date => new Date(iso);
/** Plain Shanghai calendar: Mon-Fri, no holidays. */
const plain: BusinessCalendar = businessCalendarSchema.parse({});
const berlin: BusinessCalendar = businessCalendarSchema.parse({ timeZone: 'Europe/Berlin' });
const cal = defaultBusinessCalendar;
const off = { extendOverHolidays: false };
const on = { extendOverHolidays: true };

describe('monthPeriodEndsAt: from the day after the event to 24:00 of the corresponding day of the last month', () => {
  test.each([
    // event (instant), months, end without the rest-day shift, end with it (art. 203(1)), why
    ['2026-03-01T05:00:00+08:00', 6, '2026-09-02T00:00:00+08:00', '2026-09-02T00:00:00+08:00', 'the issue: through 2026-09-01 24:00'],
    ['2025-12-04T00:00:00+08:00', 12, '2026-12-05T00:00:00+08:00', '2026-12-05T00:00:00+08:00', 'the issue: 2026-12-04 in warranty all day'],
    ['2026-03-01T00:00:00+08:00', 6, '2026-09-02T00:00:00+08:00', '2026-09-02T00:00:00+08:00', 'delivered at 00:00: the day does not count'],
    ['2026-03-01T23:59:00+08:00', 6, '2026-09-02T00:00:00+08:00', '2026-09-02T00:00:00+08:00', 'delivered at 23:59: the same day'],
    ['2026-02-28T16:00:00.000Z', 6, '2026-09-02T00:00:00+08:00', '2026-09-02T00:00:00+08:00', '16:00 UTC on 28 February is 00:00 on 1 March in Shanghai'],
    ['2026-02-28T15:59:00.000Z', 6, '2026-08-29T00:00:00+08:00', '2026-08-29T00:00:00+08:00', '15:59 UTC is 23:59 on 28 February in Shanghai: the last day is 28 August (a Friday)'],
    ['2026-01-31T12:00:00+08:00', 1, '2026-03-01T00:00:00+08:00', '2026-03-01T00:00:00+08:00', '31 January + 1 month: 28 February (a Saturday, but a make-up workday of the 2026 notice: no shift)'],
    ['2027-01-31T12:00:00+08:00', 1, '2027-03-01T00:00:00+08:00', '2027-03-02T00:00:00+08:00', '31 January 2027 + 1 month: 28 February (a Sunday; shifted to Monday 1 March)'],
    ['2028-01-31T12:00:00+08:00', 1, '2028-03-01T00:00:00+08:00', '2028-03-01T00:00:00+08:00', 'a leap year: 29 February (a Tuesday)'],
    ['2028-02-29T12:00:00+08:00', 12, '2029-03-01T00:00:00+08:00', '2029-03-01T00:00:00+08:00', '29 February + 12 months: 28 February (a Wednesday)'],
    ['2028-02-29T12:00:00+08:00', 48, '2032-03-01T00:00:00+08:00', '2032-03-02T00:00:00+08:00', '29 February + 48 months: 29 February 2032 (a Sunday)'],
    ['2026-08-31T10:00:00+08:00', 6, '2027-03-01T00:00:00+08:00', '2027-03-02T00:00:00+08:00', '31 August + 6 months: 28 February 2027 (a Sunday)'],
    ['2026-11-30T10:00:00+08:00', 3, '2027-03-01T00:00:00+08:00', '2027-03-02T00:00:00+08:00', 'over the year end'],
    ['2026-12-31T10:00:00+08:00', 1, '2027-02-01T00:00:00+08:00', '2027-02-02T00:00:00+08:00', '31 December + 1 month: 31 January 2027 (a Sunday; shifted to Monday 1 February)'],
    ['2026-04-01T10:00:00+08:00', 6, '2026-10-02T00:00:00+08:00', '2026-10-09T00:00:00+08:00', 'the last day on National Day (1-7 October 2026): moved to Thursday 8 October'],
    ['2026-05-15T10:00:00+08:00', 24, '2028-05-16T00:00:00+08:00', '2028-05-16T00:00:00+08:00', 'two years'],
  ] as const)('%s + %i months: ends %s, or %s with the rest-day shift (%s)', (event, months, endOff, endOn, _why) => {
    expect(monthPeriodEndsAt(cal, at(event), months, off).toISOString()).toBe(at(endOff).toISOString());
    expect(monthPeriodEndsAt(cal, at(event), months, on).toISOString()).toBe(at(endOn).toISOString());
  });

  test('the local day of the event is the calendar time zone\'s: 23:30 UTC is the next day in Shanghai, not in Berlin', () => {
    expect(monthPeriodEndsAt(plain, at('2026-01-30T23:30:00Z'), 1, off).toISOString()).toBe(at('2026-03-01T00:00:00+08:00').toISOString());
    expect(monthPeriodEndsAt(berlin, at('2026-01-30T22:30:00Z'), 1, off).toISOString()).toBe(at('2026-03-01T00:00:00+01:00').toISOString());
    expect(monthPeriodEndsAt(berlin, at('2026-01-30T23:30:00Z'), 1, off).toISOString()).toBe(at('2026-03-01T00:00:00+01:00').toISOString());
    expect(monthPeriodEndsAt(berlin, at('2026-01-27T22:59:59Z'), 1, off).toISOString()).toBe(at('2026-02-28T00:00:00+01:00').toISOString()); // 23:59:59 on 27 January in Berlin
    expect(monthPeriodEndsAt(berlin, at('2026-01-27T23:00:00Z'), 1, off).toISOString()).toBe(at('2026-03-01T00:00:00+01:00').toISOString()); // 00:00 on 28 January in Berlin
  });

  test('24:00 of a last day before a daylight-saving change is the next local midnight (Berlin, 29 March 2026)', () => {
    expect(monthPeriodEndsAt(berlin, at('2026-02-28T12:00:00+01:00'), 1, off).toISOString()).toBe(at('2026-03-29T00:00:00+01:00').toISOString());
    expect(monthPeriodEndsAt(berlin, at('2026-03-01T12:00:00+01:00'), 1, off).toISOString()).toBe(at('2026-04-02T00:00:00+02:00').toISOString());
  });

  test('bad input is refused', () => {
    expect(() => monthPeriodEndsAt(cal, at('2026-01-01T00:00:00Z'), 0, off)).toThrow(RangeError);
    expect(() => monthPeriodEndsAt(cal, at('2026-01-01T00:00:00Z'), 1.5, off)).toThrow(RangeError);
    expect(() => monthPeriodEndsAt(cal, new Date(NaN), 1, off)).toThrow(RangeError);
  });
});

describe('checkWarranty with the calendar: the warranty as the Civil Code counts it', () => {
  const check = (deliveredAt: string, warrantyMonths: number, requestedAt: string) => checkWarranty({ deliveredAt: at(deliveredAt), warrantyMonths, requestedAt: at(requestedAt), calendar: cal });

  test.each([
    // delivered (Shanghai), months, requested, in warranty
    ['2026-03-01T05:00:00+08:00', 6, '2026-08-29T12:00:00+08:00', true], // the former count ended on 08-29 (UTC date 02-28)
    ['2026-03-01T05:00:00+08:00', 6, '2026-09-01T00:00:00+08:00', true],
    ['2026-03-01T05:00:00+08:00', 6, '2026-09-01T23:59:59.999+08:00', true],
    ['2026-03-01T05:00:00+08:00', 6, '2026-09-02T00:00:00+08:00', false],
    ['2025-12-04T00:00:00+08:00', 12, '2026-12-04T00:00:00+08:00', true], // the former count ended at this instant
    ['2025-12-04T00:00:00+08:00', 12, '2026-12-04T23:59:00+08:00', true],
    ['2025-12-04T00:00:00+08:00', 12, '2026-12-05T00:00:00+08:00', false],
    ['2025-12-04T00:00:00+08:00', 12, '2025-12-04T00:00:00+08:00', true], // at delivery
    ['2025-12-04T00:00:00+08:00', 0, '2025-12-04T00:00:00+08:00', false], // no warranty
  ] as const)('delivered %s, %i months, asked %s: in warranty %s', (delivered, months, requested, inWarranty) => {
    expect(check(delivered, months, requested)).toMatchObject({ ok: true, inWarranty });
  });

  test('the end is the first instant out of warranty, the same as warrantyEndsAt (a replacement restarts with it)', () => {
    const r = check('2026-03-01T05:00:00+08:00', 6, '2026-04-01T00:00:00+08:00');
    expect(r).toEqual({ ok: true, inWarranty: true, warrantyEndsAt: at('2026-09-01T16:00:00.000Z') });
    expect(warrantyEndsAt(cal, at('2026-03-01T05:00:00+08:00'), 6).toISOString()).toBe('2026-09-01T16:00:00.000Z');
  });

  test('without the calendar (cases opened before the civil count): months added to the instant on its UTC date, as recorded', () => {
    expect(checkWarranty({ deliveredAt: at('2026-03-01T05:00:00+08:00'), warrantyMonths: 6, requestedAt: at('2026-08-29T21:00:00.001Z') })).toMatchObject({ ok: true, inWarranty: false, warrantyEndsAt: at('2026-08-28T21:00:00.000Z') });
  });
});

describe('the warranty of a quality claim (checkClaimEligibility, cases opened before patch return-quality-time-limits) is counted the same way', () => {
  const { checkClaimEligibility } = require('../../policy/returns') as typeof import('../../policy/returns');
  const { defaultPolicy } = require('../../processes/policyDocument') as typeof import('../../processes/policyDocument');
  const claim = (requestedAt: string) =>
    checkClaimEligibility({ requestType: 'exchange', reasonCode: 'defective', category: 'apparel', deliveredAt: at('2025-12-04T00:00:00+08:00'), requestedAt: at(requestedAt) }, defaultPolicy.returnWithin7Days, cal, { qualityTimeLimits: false });
  test.each([
    ['2026-12-04T00:00:00+08:00', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'], // still in the 12-month warranty: a repair is due
    ['2026-12-04T23:59:59.999+08:00', 'QUALITY_EXCHANGE_WINDOW_EXPIRED'],
    ['2026-12-05T00:00:00+08:00', 'WARRANTY_EXPIRED'],
  ] as const)('delivered 2025-12-04 00:00, asked %s: %s', (requestedAt, reason) => {
    expect(claim(requestedAt)).toMatchObject({ eligible: false, reason });
  });
});
