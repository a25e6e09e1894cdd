import '../../policy/nationalHolidays'; // builds defaultBusinessCalendar
import {
  addWorkingDays,
  addWorkingHours,
  addWorkingTime,
  BusinessCalendar,
  businessCalendarSchema,
  defaultBusinessCalendar,
  isWorkingDay,
  nextWorkingInstant,
  workingTimeBetween,
} from '../../policy/businessCalendar';

const HOUR = 3_600_000;
const at = (iso: string): Date => new Date(iso);
const iso = (d: Date): string => d.toISOString();

/** Plain Shanghai calendar (09:00-18:00 Mon-Fri, no holidays). */
const plain: BusinessCalendar = businessCalendarSchema.parse({});

/** Shanghai calendar with the example National Day holiday and make-up days. */
const nationalDay: BusinessCalendar = businessCalendarSchema.parse({
  holidays: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
  makeUpWorkdays: ['2026-09-27', '2026-10-10'],
});

const berlin: BusinessCalendar = businessCalendarSchema.parse({
  timeZone: 'Europe/Berlin',
  workdayStart: '09:00',
  workdayEnd: '17:00',
});

const newYork: BusinessCalendar = businessCalendarSchema.parse({ timeZone: 'America/New_York' });

/** Every day, all day: exposes real (23h/25h) day lengths on DST days. */
const newYork24x7: BusinessCalendar = businessCalendarSchema.parse({
  timeZone: 'America/New_York',
  workdayStart: '00:00',
  workdayEnd: '24:00',
  workingWeekdays: [1, 2, 3, 4, 5, 6, 7],
});

/** Deterministic pseudo-random generator (Numerical Recipes LCG), yields [0, 1). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('businessCalendarSchema', () => {
  it('fills in defaults', () => {
    expect(businessCalendarSchema.parse({})).toEqual({
      timeZone: 'Asia/Shanghai',
      workdayStart: '09:00',
      workdayEnd: '18:00',
      workingWeekdays: [1, 2, 3, 4, 5],
      holidays: [],
      makeUpWorkdays: [],
    });
  });

  it('does not share default arrays between parses', () => {
    const a = businessCalendarSchema.parse({});
    a.workingWeekdays.push(6);
    a.holidays.push('2026-01-01');
    const b = businessCalendarSchema.parse({});
    expect(b.workingWeekdays).toEqual([1, 2, 3, 4, 5]);
    expect(b.holidays).toEqual([]);
  });

  it('accepts a fully specified calendar and 24:00 as end of day', () => {
    const cal = {
      timeZone: 'Europe/Berlin',
      workdayStart: '00:00',
      workdayEnd: '24:00',
      workingWeekdays: [6, 7],
      holidays: ['2026-12-26'],
      makeUpWorkdays: ['2026-12-28'],
    };
    expect(businessCalendarSchema.parse(cal)).toEqual(cal);
  });

  it('rejects an unknown time zone', () => {
    const r = businessCalendarSchema.safeParse({ timeZone: 'Mars/Olympus_Mons' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['timeZone']);
  });

  it('rejects workdayEnd before or equal to workdayStart', () => {
    const before = businessCalendarSchema.safeParse({ workdayStart: '18:00', workdayEnd: '09:00' });
    expect(before.success).toBe(false);
    expect(before.error?.issues.map((i) => i.path)).toContainEqual(['workdayEnd']);
    expect(businessCalendarSchema.safeParse({ workdayStart: '09:00', workdayEnd: '09:00' }).success).toBe(false);
    // default end 18:00 is before a 19:00 start
    expect(businessCalendarSchema.safeParse({ workdayStart: '19:00' }).success).toBe(false);
  });

  it.each(['9:00', '09:0', '25:00', '12:60', '24:01', 'noon', ''])('rejects bad time %p', (t) => {
    expect(businessCalendarSchema.safeParse({ workdayStart: t }).success).toBe(false);
  });

  it.each(['2026-02-30', '2026-13-01', '2026-00-10', '2026-1-5', '26-01-05', '2026/01/05', '2026-01-05T00:00', ''])(
    'rejects bad date string %p in holidays and makeUpWorkdays',
    (d) => {
      expect(businessCalendarSchema.safeParse({ holidays: [d] }).success).toBe(false);
      expect(businessCalendarSchema.safeParse({ makeUpWorkdays: [d] }).success).toBe(false);
    },
  );

  it('accepts leap day only in leap years', () => {
    expect(businessCalendarSchema.safeParse({ holidays: ['2028-02-29'] }).success).toBe(true);
    expect(businessCalendarSchema.safeParse({ holidays: ['2026-02-29'] }).success).toBe(false);
  });

  it.each([[[0]], [[8]], [[1.5]], [['1']]])('rejects bad weekday list %p', (wd) => {
    expect(businessCalendarSchema.safeParse({ workingWeekdays: wd }).success).toBe(false);
  });

  it('rejects a date that is both holiday and make-up workday', () => {
    expect(
      businessCalendarSchema.safeParse({ holidays: ['2026-10-10'], makeUpWorkdays: ['2026-10-10'] }).success,
    ).toBe(false);
  });
});

describe('defaultBusinessCalendar', () => {
  it('is Asia/Shanghai 09:00-18:00 Mon-Fri and a valid calendar', () => {
    expect(defaultBusinessCalendar.timeZone).toBe('Asia/Shanghai');
    expect(defaultBusinessCalendar.workdayStart).toBe('09:00');
    expect(defaultBusinessCalendar.workdayEnd).toBe('18:00');
    expect(defaultBusinessCalendar.workingWeekdays).toEqual([1, 2, 3, 4, 5]);
    expect(businessCalendarSchema.parse(defaultBusinessCalendar)).toEqual(defaultBusinessCalendar);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(defaultBusinessCalendar)).toBe(true);
    expect(Object.isFrozen(defaultBusinessCalendar.holidays)).toBe(true);
  });

  it('contains the 2026 PRC holidays and make-up workdays', () => {
    for (const d of ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07']) {
      expect(isWorkingDay(defaultBusinessCalendar, d)).toBe(false);
    }
    expect(isWorkingDay(defaultBusinessCalendar, '2026-10-08')).toBe(true);
    expect(isWorkingDay(defaultBusinessCalendar, '2026-01-01')).toBe(false); // 元旦
    expect(isWorkingDay(defaultBusinessCalendar, '2026-02-16')).toBe(false); // 春节
    expect(isWorkingDay(defaultBusinessCalendar, '2026-02-23')).toBe(false); // 春节 (Mon)
    expect(isWorkingDay(defaultBusinessCalendar, '2026-04-06')).toBe(false); // 清明 (Mon)
    expect(isWorkingDay(defaultBusinessCalendar, '2026-05-05')).toBe(false); // 劳动节 (Tue)
    expect(isWorkingDay(defaultBusinessCalendar, '2026-06-19')).toBe(false); // 端午 (Fri)
    expect(isWorkingDay(defaultBusinessCalendar, '2026-09-25')).toBe(false); // 中秋 (Fri)
    for (const d of ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']) {
      expect(isWorkingDay(defaultBusinessCalendar, d)).toBe(true);
    }
  });

  it('has 248 working days in 2026', () => {
    const ms = workingTimeBetween(
      defaultBusinessCalendar,
      at('2026-01-01T00:00:00+08:00'),
      at('2027-01-01T00:00:00+08:00'),
    );
    expect(ms).toBe(248 * 9 * HOUR);
  });
});

describe('isWorkingDay', () => {
  it('uses the weekday rule', () => {
    expect(isWorkingDay(plain, '2026-11-27')).toBe(true); // Friday
    expect(isWorkingDay(plain, '2026-11-28')).toBe(false); // Saturday
    expect(isWorkingDay(plain, '2026-11-29')).toBe(false); // Sunday
    expect(isWorkingDay(plain, '2026-11-30')).toBe(true); // Monday
  });

  it('holiday wins over the weekday rule', () => {
    expect(isWorkingDay(nationalDay, '2026-10-01')).toBe(false); // Thursday
    expect(isWorkingDay(plain, '2026-10-01')).toBe(true);
  });

  it('make-up workday wins over the weekend rule', () => {
    expect(isWorkingDay(nationalDay, '2026-09-27')).toBe(true); // Sunday
    expect(isWorkingDay(nationalDay, '2026-10-10')).toBe(true); // Saturday
    expect(isWorkingDay(nationalDay, '2026-10-11')).toBe(false); // Sunday
  });

  it('honours custom working weekdays', () => {
    const weekend = businessCalendarSchema.parse({ workingWeekdays: [6, 7] });
    expect(isWorkingDay(weekend, '2026-11-28')).toBe(true);
    expect(isWorkingDay(weekend, '2026-11-29')).toBe(true);
    expect(isWorkingDay(weekend, '2026-11-30')).toBe(false);
  });

  it('throws on an invalid date string', () => {
    expect(() => isWorkingDay(plain, '2026-02-30')).toThrow(RangeError);
    expect(() => isWorkingDay(plain, 'tomorrow')).toThrow(RangeError);
  });

  it('throws on an invalid calendar object', () => {
    const bad = { ...plain, timeZone: 'Not/AZone' };
    expect(() => isWorkingDay(bad, '2026-11-27')).toThrow();
  });
});

describe('addWorkingHours / addWorkingTime', () => {
  it('Friday 17:30 + 2h => Monday 10:30 (Shanghai)', () => {
    const r = addWorkingHours(plain, at('2026-11-27T17:30:00+08:00'), 2);
    expect(iso(r)).toBe('2026-11-30T02:30:00.000Z');
  });

  it('Saturday 10:00 + 1h => Monday 10:00', () => {
    expect(iso(addWorkingHours(plain, at('2026-11-28T10:00:00+08:00'), 1))).toBe('2026-11-30T02:00:00.000Z');
  });

  it('08:00 on a working day + 1h => 10:00 same day', () => {
    expect(iso(addWorkingHours(plain, at('2026-11-25T08:00:00+08:00'), 1))).toBe('2026-11-25T02:00:00.000Z');
  });

  it('returns the period end when the amount runs out exactly at it', () => {
    // Friday 17:00 + 1h => Friday 18:00, not Monday 09:00
    expect(iso(addWorkingHours(plain, at('2026-11-27T17:00:00+08:00'), 1))).toBe('2026-11-27T10:00:00.000Z');
  });

  it('starting at period end continues at the next period', () => {
    expect(iso(addWorkingHours(plain, at('2026-11-27T18:00:00+08:00'), 1))).toBe('2026-11-30T02:00:00.000Z');
  });

  it('supports fractional hours and raw milliseconds', () => {
    expect(iso(addWorkingHours(plain, at('2026-11-25T17:45:00+08:00'), 0.5))).toBe('2026-11-26T01:15:00.000Z');
    expect(iso(addWorkingTime(plain, at('2026-11-25T17:59:59.999+08:00'), 2))).toBe('2026-11-26T01:00:00.001Z');
  });

  it('spans a public holiday: 2026-09-30 17:00 + 2h => 2026-10-08 10:00', () => {
    expect(iso(addWorkingHours(nationalDay, at('2026-09-30T17:00:00+08:00'), 2))).toBe('2026-10-08T02:00:00.000Z');
  });

  it('uses a make-up Saturday: 2026-10-09 17:00 + 3h => 2026-10-10 11:00', () => {
    expect(iso(addWorkingHours(nationalDay, at('2026-10-09T17:00:00+08:00'), 3))).toBe('2026-10-10T03:00:00.000Z');
  });

  it('uses a make-up Sunday: Saturday 2026-09-26 12:00 + 1h => Sunday 2026-09-27 10:00', () => {
    expect(iso(addWorkingHours(nationalDay, at('2026-09-26T12:00:00+08:00'), 1))).toBe('2026-09-27T02:00:00.000Z');
  });

  it('policy 7.1 response deadline over the real 2026 National Day break', () => {
    // 2026-09-30 17:30 + 2 working hours => 30 min on 09-30, then 2026-10-08 (Thu) 10:30
    expect(iso(addWorkingHours(defaultBusinessCalendar, at('2026-09-30T17:30:00+08:00'), 2))).toBe(
      '2026-10-08T02:30:00.000Z',
    );
  });

  it('DST Europe/Berlin: Friday 2026-03-27 16:00 CET + 2h => Monday 10:00 CEST (08:00Z)', () => {
    const from = at('2026-03-27T15:00:00Z');
    const r = addWorkingHours(berlin, from, 2);
    expect(iso(r)).toBe('2026-03-30T08:00:00.000Z');
    expect(workingTimeBetween(berlin, from, r)).toBe(2 * HOUR);
  });

  it('DST America/New_York fall-back: Friday 2026-10-30 17:00 EDT + 2h => Monday 10:00 EST (15:00Z)', () => {
    const from = at('2026-10-30T21:00:00Z'); // 17:00 EDT
    const r = addWorkingHours(newYork, from, 2);
    expect(iso(r)).toBe('2026-11-02T15:00:00.000Z');
    expect(workingTimeBetween(newYork, from, r)).toBe(2 * HOUR);
  });

  it('DST America/New_York spring-forward: Friday 2026-03-06 17:00 EST + 2h => Monday 10:00 EDT (14:00Z)', () => {
    expect(iso(addWorkingHours(newYork, at('2026-03-06T22:00:00Z'), 2))).toBe('2026-03-09T14:00:00.000Z');
  });

  it('counts real elapsed time on a 25-hour day (24x7 calendar)', () => {
    // 2026-11-01 00:00 EDT (04:00Z) + 24 working hours => 23:00 EST (2026-11-02T04:00Z)
    expect(iso(addWorkingHours(newYork24x7, at('2026-11-01T04:00:00Z'), 24))).toBe('2026-11-02T04:00:00.000Z');
  });

  it('zero amount returns from unchanged', () => {
    const inside = at('2026-11-25T10:00:00+08:00');
    const outside = at('2026-11-28T03:00:00+08:00');
    expect(addWorkingTime(plain, inside, 0).getTime()).toBe(inside.getTime());
    expect(addWorkingTime(plain, outside, 0).getTime()).toBe(outside.getTime());
    expect(addWorkingHours(plain, outside, 0).getTime()).toBe(outside.getTime());
    expect(addWorkingDays(plain, outside, 0).getTime()).toBe(outside.getTime());
  });

  it('does not mutate its input', () => {
    const from = at('2026-11-25T10:00:00+08:00');
    addWorkingHours(plain, from, 30);
    expect(iso(from)).toBe('2026-11-25T02:00:00.000Z');
  });

  it('throws on negative or non-finite amounts', () => {
    const from = at('2026-11-25T10:00:00+08:00');
    expect(() => addWorkingTime(plain, from, -1)).toThrow(RangeError);
    expect(() => addWorkingHours(plain, from, -0.5)).toThrow(RangeError);
    expect(() => addWorkingDays(plain, from, -1)).toThrow(RangeError);
    expect(() => addWorkingTime(plain, from, NaN)).toThrow(RangeError);
    expect(() => addWorkingTime(plain, from, Infinity)).toThrow(RangeError);
  });

  it('throws on an invalid Date', () => {
    expect(() => addWorkingHours(plain, new Date(NaN), 1)).toThrow(RangeError);
  });

  it('throws when no working days are configured', () => {
    const none = businessCalendarSchema.parse({ workingWeekdays: [] });
    const from = at('2026-11-25T10:00:00+08:00');
    expect(() => addWorkingHours(none, from, 1)).toThrow(/no working days/i);
    expect(() => nextWorkingInstant(none, from)).toThrow(/no working days/i);
    expect(workingTimeBetween(none, from, at('2026-12-25T10:00:00+08:00'))).toBe(0);
  });

  it('throws instead of looping forever when working days run out', () => {
    // Only two make-up days exist; the third working hour cannot be placed.
    const onlyMakeUps = businessCalendarSchema.parse({
      workingWeekdays: [],
      makeUpWorkdays: ['2026-09-27', '2026-10-10'],
    });
    const from = at('2026-09-01T00:00:00+08:00');
    expect(iso(addWorkingHours(onlyMakeUps, from, 10))).toBe('2026-10-10T02:00:00.000Z');
    expect(() => addWorkingHours(onlyMakeUps, from, 19)).toThrow(/No working day found/);
  });

  it('handles amounts spanning many years', () => {
    // 520 full weeks from Monday 2026-01-05 09:00 end on the Friday 18:00 of week 520.
    const from = at('2026-01-05T09:00:00+08:00');
    const ms = 2600 * 9 * HOUR;
    const r = addWorkingTime(plain, from, ms);
    expect(iso(r)).toBe('2035-12-21T10:00:00.000Z');
    expect(workingTimeBetween(plain, from, r)).toBe(ms);
  });
});

describe('addWorkingDays', () => {
  it('Friday 09:00 + 1 working day => Friday 18:00', () => {
    expect(iso(addWorkingDays(plain, at('2026-11-27T09:00:00+08:00'), 1))).toBe('2026-11-27T10:00:00.000Z');
  });

  it('Monday 10:00 + 5 working days => next Monday 10:00', () => {
    expect(iso(addWorkingDays(plain, at('2026-11-23T10:00:00+08:00'), 5))).toBe('2026-11-30T02:00:00.000Z');
  });

  it('uses the configured day length (8h in the Berlin calendar)', () => {
    // Monday 2026-03-23 13:00 CET + 1 working day => Tuesday 13:00 CET
    expect(iso(addWorkingDays(berlin, at('2026-03-23T12:00:00Z'), 1))).toBe('2026-03-24T12:00:00.000Z');
  });

  it('policy 7.1 repair deadline over the real 2026 National Day break', () => {
    // 5 x 9h from 2026-09-30 10:00: 8h (09-30) + 9h (10-08) + 9h (10-09) + 9h (10-10 make-up)
    // + 9h (10-12) = 44h, last hour on 10-13 => 10:00.
    expect(iso(addWorkingDays(defaultBusinessCalendar, at('2026-09-30T10:00:00+08:00'), 5))).toBe(
      '2026-10-13T02:00:00.000Z',
    );
  });
});

describe('workingTimeBetween', () => {
  it('counts only working hours', () => {
    expect(workingTimeBetween(plain, at('2026-11-27T17:30:00+08:00'), at('2026-11-30T10:30:00+08:00'))).toBe(
      2 * HOUR,
    );
    expect(workingTimeBetween(plain, at('2026-11-23T00:00:00+08:00'), at('2026-11-30T00:00:00+08:00'))).toBe(
      45 * HOUR,
    );
  });

  it('returns 0 when to <= from', () => {
    const a = at('2026-11-25T10:00:00+08:00');
    const b = at('2026-11-25T12:00:00+08:00');
    expect(workingTimeBetween(plain, b, a)).toBe(0);
    expect(workingTimeBetween(plain, a, a)).toBe(0);
  });

  it('is half-open: [from, to)', () => {
    expect(workingTimeBetween(plain, at('2026-11-25T17:59:59.999+08:00'), at('2026-11-26T09:00:00+08:00'))).toBe(1);
    expect(workingTimeBetween(plain, at('2026-11-25T18:00:00+08:00'), at('2026-11-26T09:00:00+08:00'))).toBe(0);
  });

  it('skips holidays and counts make-up days', () => {
    expect(
      workingTimeBetween(nationalDay, at('2026-09-30T00:00:00+08:00'), at('2026-10-12T00:00:00+08:00')),
    ).toBe(4 * 9 * HOUR); // 09-30, 10-08, 10-09, 10-10
  });

  it('measures the real length of DST transition days', () => {
    expect(workingTimeBetween(newYork24x7, at('2026-11-01T04:00:00Z'), at('2026-11-02T05:00:00Z'))).toBe(
      25 * HOUR,
    );
    const berlin24 = businessCalendarSchema.parse({
      timeZone: 'Europe/Berlin',
      workdayStart: '00:00',
      workdayEnd: '24:00',
      workingWeekdays: [7],
    });
    // Sunday 2026-03-29 is a 23-hour day in Berlin.
    expect(workingTimeBetween(berlin24, at('2026-03-27T00:00:00Z'), at('2026-04-01T00:00:00Z'))).toBe(23 * HOUR);
  });
});

describe('nextWorkingInstant', () => {
  it('returns `at` when inside working hours (including the period start)', () => {
    const inside = at('2026-11-25T12:34:56.789+08:00');
    expect(nextWorkingInstant(plain, inside).getTime()).toBe(inside.getTime());
    const start = at('2026-11-25T09:00:00+08:00');
    expect(nextWorkingInstant(plain, start).getTime()).toBe(start.getTime());
  });

  it('moves to the next period start otherwise', () => {
    expect(iso(nextWorkingInstant(plain, at('2026-11-25T07:00:00+08:00')))).toBe('2026-11-25T01:00:00.000Z');
    expect(iso(nextWorkingInstant(plain, at('2026-11-25T18:00:00+08:00')))).toBe('2026-11-26T01:00:00.000Z');
    expect(iso(nextWorkingInstant(plain, at('2026-11-28T12:00:00+08:00')))).toBe('2026-11-30T01:00:00.000Z');
    expect(iso(nextWorkingInstant(nationalDay, at('2026-10-01T09:30:00+08:00')))).toBe('2026-10-08T01:00:00.000Z');
  });

  it('handles DST-shifted period starts in the right offset', () => {
    // Monday after Berlin spring-forward: 09:00 CEST = 07:00Z
    expect(iso(nextWorkingInstant(berlin, at('2026-03-28T12:00:00Z')))).toBe('2026-03-30T07:00:00.000Z');
    // Monday after New York fall-back: 09:00 EST = 14:00Z
    expect(iso(nextWorkingInstant(newYork, at('2026-10-31T12:00:00Z')))).toBe('2026-11-02T14:00:00.000Z');
  });

  it('resolves a nonexistent local start (DST gap) forward and an ambiguous one to the earlier instant', () => {
    const gap = businessCalendarSchema.parse({
      timeZone: 'Europe/Berlin',
      workdayStart: '02:30',
      workdayEnd: '10:00',
      workingWeekdays: [7],
    });
    // 02:30 does not exist on 2026-03-29 in Berlin; it becomes 03:30 CEST = 01:30Z
    expect(iso(nextWorkingInstant(gap, at('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:30:00.000Z');
    const overlap = businessCalendarSchema.parse({
      timeZone: 'America/New_York',
      workdayStart: '01:30',
      workdayEnd: '10:00',
      workingWeekdays: [7],
    });
    // 01:30 occurs twice on 2026-11-01 in New York; the earlier (EDT, 05:30Z) is used
    expect(iso(nextWorkingInstant(overlap, at('2026-10-31T12:00:00Z')))).toBe('2026-11-01T05:30:00.000Z');
    // 01:30-10:00 on that day lasts 9.5 real hours
    expect(workingTimeBetween(overlap, at('2026-11-01T00:00:00Z'), at('2026-11-02T00:00:00Z'))).toBe(9.5 * HOUR);
  });
});

describe('round-trip properties (deterministic LCG)', () => {
  const calendars: Array<[string, BusinessCalendar]> = [
    ['default (2026 PRC holidays)', defaultBusinessCalendar],
    ['national-day example', nationalDay],
    ['Europe/Berlin 09-17', berlin],
    ['America/New_York 09-18', newYork],
    ['America/New_York 24x7', newYork24x7],
  ];
  const rangeStart = Date.UTC(2025, 11, 1); // covers all 2026 DST transitions and holidays
  const rangeLen = 400 * 86_400_000;

  it.each(calendars)('%s: workingTimeBetween(from, addWorkingTime(from, ms)) === ms', (_name, cal) => {
    const rnd = lcg(0xc0ffee);
    for (let i = 0; i < 150; i++) {
      // Mix arbitrary instants with instants snapped to whole hours (hit boundaries exactly).
      let fromMs = rangeStart + Math.floor(rnd() * rangeLen);
      if (i % 3 === 0) fromMs -= fromMs % HOUR;
      const from = new Date(fromMs);
      let ms = 1 + Math.floor(rnd() * 60 * HOUR);
      if (i % 4 === 0) ms = Math.ceil(ms / HOUR) * HOUR; // whole working hours
      if (i % 10 === 0) ms = 1;

      const result = addWorkingTime(cal, from, ms);
      expect(result.getTime()).toBeGreaterThan(fromMs);
      expect(workingTimeBetween(cal, from, result)).toBe(ms);
      // Minimality: the result is the earliest such instant.
      expect(workingTimeBetween(cal, from, new Date(result.getTime() - 1))).toBe(ms - 1);
      // The last consumed millisecond lies inside working hours.
      const lastMs = new Date(result.getTime() - 1);
      expect(nextWorkingInstant(cal, lastMs).getTime()).toBe(lastMs.getTime());
    }
  });

  it.each(calendars)('%s: addWorkingTime is additive', (_name, cal) => {
    const rnd = lcg(12345);
    for (let i = 0; i < 60; i++) {
      const from = new Date(rangeStart + Math.floor(rnd() * rangeLen));
      const a = Math.floor(rnd() * 30 * HOUR);
      const b = Math.floor(rnd() * 30 * HOUR);
      const viaSteps = addWorkingTime(cal, addWorkingTime(cal, from, a), b);
      const direct = addWorkingTime(cal, from, a + b);
      expect(viaSteps.getTime()).toBe(direct.getTime());
    }
  });

  it('nextWorkingInstant equals addWorkingTime(at, 1ms) - 1ms', () => {
    const rnd = lcg(777);
    for (let i = 0; i < 100; i++) {
      const atDate = new Date(rangeStart + Math.floor(rnd() * rangeLen));
      const next = nextWorkingInstant(defaultBusinessCalendar, atDate);
      expect(next.getTime()).toBe(addWorkingTime(defaultBusinessCalendar, atDate, 1).getTime() - 1);
      expect(next.getTime()).toBeGreaterThanOrEqual(atDate.getTime());
    }
  });
});
