// The 7-day return window counted in civil days (Civil Code arts. 201, 203): it starts the day after
// delivery and ends at 24:00 local time of the 7th day, moved past statutory rest days when the policy says so.
import { dayPeriodEndsAt, defaultBusinessCalendar } from '../../policy/businessCalendar';
import { businessCalendarSchema } from '../../policy/businessCalendar.schema';
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { checkReturnEligibility, checkReturnEligibilityLegacy, returnWindowEndsAt, returnWindowEndsAtLegacy } from '../../policy/returns';

const cal = defaultBusinessCalendar; // Asia/Shanghai, Mon-Fri, 2026 holidays and make-up workdays
const rules = defaultPolicy.returnWithin7Days;
const at = (s: string) => new Date(s);
const on = { extendOverHolidays: true };
const off = { extendOverHolidays: false };

describe('dayPeriodEndsAt: the end of a period counted in days', () => {
  // [case, event (local time), days, end with the switch off, end with the switch on]
  test.each([
    ['delivery at 00:00', '2026-11-20T00:00:00+08:00', 7, '2026-11-27T16:00:00.000Z', '2026-11-27T16:00:00.000Z'],
    ['delivery at 10:00', '2026-11-20T10:00:00+08:00', 7, '2026-11-27T16:00:00.000Z', '2026-11-27T16:00:00.000Z'],
    ['delivery at 23:59', '2026-11-20T23:59:00+08:00', 7, '2026-11-27T16:00:00.000Z', '2026-11-27T16:00:00.000Z'],
    ['delivery at 23:59:59.999', '2026-11-20T23:59:59.999+08:00', 7, '2026-11-27T16:00:00.000Z', '2026-11-27T16:00:00.000Z'],
    ['across a month end, last day a weekday', '2026-11-26T10:00:00+08:00', 7, '2026-12-03T16:00:00.000Z', '2026-12-03T16:00:00.000Z'],
    ['across a month end, last day Saturday 2026-12-05', '2026-11-28T10:00:00+08:00', 7, '2026-12-05T16:00:00.000Z', '2026-12-07T16:00:00.000Z'],
    ['last day Sunday 2026-12-06 -> Monday 2026-12-07', '2026-11-29T10:00:00+08:00', 7, '2026-12-06T16:00:00.000Z', '2026-12-07T16:00:00.000Z'],
    ['last day National Day 2026-10-01 -> 2026-10-08', '2026-09-24T10:00:00+08:00', 7, '2026-10-01T16:00:00.000Z', '2026-10-08T16:00:00.000Z'],
    ['last day Spring Festival 2026-02-15 -> 2026-02-24', '2026-02-08T10:00:00+08:00', 7, '2026-02-15T16:00:00.000Z', '2026-02-24T16:00:00.000Z'],
    ['across the year end into New Year, to make-up workday Sunday 2026-01-04', '2025-12-25T10:00:00+08:00', 7, '2026-01-01T16:00:00.000Z', '2026-01-04T16:00:00.000Z'],
    ['last day make-up workday Saturday 2026-10-10: not moved', '2026-10-03T10:00:00+08:00', 7, '2026-10-10T16:00:00.000Z', '2026-10-10T16:00:00.000Z'],
    ['last day make-up workday Sunday 2026-09-20: not moved', '2026-09-13T10:00:00+08:00', 7, '2026-09-20T16:00:00.000Z', '2026-09-20T16:00:00.000Z'],
    ['one day: the day after the event', '2026-11-26T23:30:00+08:00', 1, '2026-11-27T16:00:00.000Z', '2026-11-27T16:00:00.000Z'],
    ['the local day decides, not the UTC day', '2026-11-19T16:00:00.000Z', 7, '2026-11-27T16:00:00.000Z', '2026-11-27T16:00:00.000Z'],
  ])('%s', (_name, event, days, endOff, endOn) => {
    expect(dayPeriodEndsAt(cal, at(event), days, off).toISOString()).toBe(endOff);
    expect(dayPeriodEndsAt(cal, at(event), days, on).toISOString()).toBe(endOn);
  });

  test('days are local days of the calendar time zone, also across a DST change', () => {
    const ny = businessCalendarSchema.parse({ timeZone: 'America/New_York' });
    // Saturday 2026-10-31 12:00 EDT + 7 days: last day Saturday 2026-11-07 (EST since 2026-11-01), ends at 24:00 EST.
    expect(dayPeriodEndsAt(ny, at('2026-10-31T12:00:00-04:00'), 7, off).toISOString()).toBe('2026-11-08T05:00:00.000Z');
    expect(dayPeriodEndsAt(ny, at('2026-10-31T12:00:00-04:00'), 7, on).toISOString()).toBe('2026-11-10T05:00:00.000Z');
  });

  test('invalid input is refused', () => {
    expect(() => dayPeriodEndsAt(cal, at('2026-11-20T10:00:00+08:00'), 0, on)).toThrow(RangeError);
    expect(() => dayPeriodEndsAt(cal, at('2026-11-20T10:00:00+08:00'), 1.5, on)).toThrow(RangeError);
    expect(() => dayPeriodEndsAt(cal, new Date(NaN), 7, on)).toThrow(RangeError);
  });
});

describe('checkReturnEligibility: in the window while requestedAt < windowEndsAt', () => {
  // [case, deliveredAt, requestedAt, policy switch, eligible, windowEndsAt]
  test.each([
    ['00:00 delivery, 23:59 of day 7', '2026-11-20T00:00:00+08:00', '2026-11-27T23:59:00+08:00', true, true, '2026-11-27T16:00:00.000Z'],
    ['00:00 delivery, 00:00 of day 8', '2026-11-20T00:00:00+08:00', '2026-11-28T00:00:00+08:00', true, false, '2026-11-27T16:00:00.000Z'],
    ['10:00 delivery, 20:00 of day 7', '2026-11-20T10:00:00+08:00', '2026-11-27T20:00:00+08:00', true, true, '2026-11-27T16:00:00.000Z'],
    ['10:00 delivery, 23:59 of day 7', '2026-11-20T10:00:00+08:00', '2026-11-27T23:59:00+08:00', true, true, '2026-11-27T16:00:00.000Z'],
    ['10:00 delivery, last millisecond of day 7', '2026-11-20T10:00:00+08:00', '2026-11-27T23:59:59.999+08:00', true, true, '2026-11-27T16:00:00.000Z'],
    ['10:00 delivery, 00:00 of day 8', '2026-11-20T10:00:00+08:00', '2026-11-28T00:00:00+08:00', true, false, '2026-11-27T16:00:00.000Z'],
    ['23:59 delivery, 23:59 of day 7', '2026-11-20T23:59:00+08:00', '2026-11-27T23:59:00+08:00', true, true, '2026-11-27T16:00:00.000Z'],
    ['23:59 delivery, 00:00 of day 8', '2026-11-20T23:59:00+08:00', '2026-11-28T00:00:00+08:00', true, false, '2026-11-27T16:00:00.000Z'],
    ['month end, switch off, 23:59 of Saturday 12-05', '2026-11-28T10:00:00+08:00', '2026-12-05T23:59:00+08:00', false, true, '2026-12-05T16:00:00.000Z'],
    ['month end, switch off, 00:00 of Sunday 12-06', '2026-11-28T10:00:00+08:00', '2026-12-06T00:00:00+08:00', false, false, '2026-12-05T16:00:00.000Z'],
    ['month end, switch on, 23:59 of Monday 12-07', '2026-11-28T10:00:00+08:00', '2026-12-07T23:59:00+08:00', true, true, '2026-12-07T16:00:00.000Z'],
    ['month end, switch on, 00:00 of Tuesday 12-08', '2026-11-28T10:00:00+08:00', '2026-12-08T00:00:00+08:00', true, false, '2026-12-07T16:00:00.000Z'],
    ['Sunday 12-06, switch off, 00:00 of Monday 12-07', '2026-11-29T10:00:00+08:00', '2026-12-07T00:00:00+08:00', false, false, '2026-12-06T16:00:00.000Z'],
    ['Sunday 12-06, switch on, 23:59 of Monday 12-07', '2026-11-29T10:00:00+08:00', '2026-12-07T23:59:00+08:00', true, true, '2026-12-07T16:00:00.000Z'],
    ['National Day, switch off, 00:00 of 10-02', '2026-09-24T10:00:00+08:00', '2026-10-02T00:00:00+08:00', false, false, '2026-10-01T16:00:00.000Z'],
    ['National Day, switch on, 23:59 of 10-08', '2026-09-24T10:00:00+08:00', '2026-10-08T23:59:00+08:00', true, true, '2026-10-08T16:00:00.000Z'],
    ['National Day, switch on, 00:00 of 10-09', '2026-09-24T10:00:00+08:00', '2026-10-09T00:00:00+08:00', true, false, '2026-10-08T16:00:00.000Z'],
  ])('%s', (_name, deliveredAt, requestedAt, extendWindowOverHolidays, eligible, windowEndsAt) => {
    const policy = { ...rules, extendWindowOverHolidays };
    const result = checkReturnEligibility({ deliveredAt: at(deliveredAt), requestedAt: at(requestedAt), category: 'apparel' }, policy, cal);
    expect(result.eligible).toBe(eligible);
    expect(result.windowEndsAt?.toISOString()).toBe(windowEndsAt);
    expect(result).toMatchObject(eligible ? { eligible: true } : { eligible: false, reason: 'RETURN_WINDOW_EXPIRED', message: `The 7-day return window ended at ${windowEndsAt}` });
    expect(returnWindowEndsAt(at(deliveredAt), policy, cal).toISOString()).toBe(windowEndsAt);
  });

  test('excluded categories and undelivered orders are refused with a reason', () => {
    const deliveredAt = at('2026-11-20T10:00:00+08:00');
    expect(checkReturnEligibility({ deliveredAt, requestedAt: deliveredAt, category: 'customized' }, rules, cal)).toMatchObject({ eligible: false, reason: 'CATEGORY_EXCLUDED' });
    expect(checkReturnEligibility({ deliveredAt, requestedAt: at('2026-11-20T09:59:59.999+08:00'), category: 'apparel' }, rules, cal)).toMatchObject({ eligible: false, reason: 'NOT_YET_DELIVERED' });
  });

  test('a policy document without the switch extends over holidays', () => {
    const { extendWindowOverHolidays: _dropped, ...older } = rules;
    expect(returnWindowEndsAt(at('2026-11-29T10:00:00+08:00'), older, cal).toISOString()).toBe('2026-12-07T16:00:00.000Z');
    const doc = structuredClone(defaultPolicy) as any;
    delete doc.returnWithin7Days.extendWindowOverHolidays;
    expect(parsePolicy(doc).returnWithin7Days.extendWindowOverHolidays).toBe(true);
    expect(defaultPolicy.returnWithin7Days.extendWindowOverHolidays).toBe(true);
  });
});

describe('the former 7 x 24 h rule, kept for replaying cases opened under it', () => {
  test('window = delivery + 168 h, a request at that instant still in', () => {
    const deliveredAt = at('2026-11-20T10:00:00+08:00');
    const end = returnWindowEndsAtLegacy(deliveredAt, rules);
    expect(end.toISOString()).toBe('2026-11-27T02:00:00.000Z');
    expect(checkReturnEligibilityLegacy({ deliveredAt, requestedAt: end, category: 'apparel' }, rules)).toEqual({ eligible: true, windowEndsAt: end });
    expect(checkReturnEligibilityLegacy({ deliveredAt, requestedAt: at('2026-11-27T02:00:00.001Z'), category: 'apparel' }, rules)).toMatchObject({
      eligible: false,
      reason: 'RETURN_WINDOW_EXPIRED',
      windowEndsAt: end,
    });
  });
});
