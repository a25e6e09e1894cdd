// The national holiday data: State Council notices from chinese-days, provisional years from the statutory rule
// (全国年节及纪念日放假办法, as amended with effect from 2025), and what a case carries.
import {
  addWorkingDays,
  addWorkingHours,
  calendarCoverage,
  calendarForYears,
  dayPeriodEndsAt,
  defaultBusinessCalendar,
  isWorkingDay,
  datesFingerprint,
  NOTICE_2026_FINGERPRINT,
  withCalendarYears,
  withKnownCoverage,
} from '../../policy/businessCalendar';
import { businessCalendarSchema } from '../../policy/businessCalendar.schema';
import {
  holidayDataVersion,
  holidayYearProblems,
  holidayYearVersion,
  holidayYears,
  officialThrough,
  packagedHolidayYears,
  provisionalHolidayYear,
  statutoryHolidays,
} from '../../policy/nationalHolidays';
import { coverageStatus, snapshotOf } from '../../lib/calendarStore';
import { SAMPLE_NOTICE_2027 } from '../../scripts/scenarios/warrantyRepair.calendar';

const at = (s: string) => new Date(s);

describe('official data (chinese-days: the State Council notices)', () => {
  const years = packagedHolidayYears();

  test('covers 2004 to 2026, each year official, and 2026 as the last notice', () => {
    expect([...years.keys()].sort()).toEqual(Array.from({ length: 23 }, (_, i) => 2004 + i));
    expect([...years.values()].every((y) => y.status === 'official' && y.source.startsWith('chinese-days@'))).toBe(true);
    expect(officialThrough(holidayYears(), 2026)).toBe(2026);
  });

  test('2026 is the notice of 2025-11-04 (国办发明电〔2025〕7号): holidays and make-up workdays', () => {
    const y = years.get(2026)!;
    expect(y.makeUpWorkdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(y.holidays).toHaveLength(33);
    expect(y.holidays.slice(0, 3)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
  });

  test('every notice from 2008 holds the statutory days of its year; chinese-days lacks one weekend day of 2012', () => {
    const problems = [...years.values()].filter((y) => y.year >= 2008).map((y) => [y.year, holidayYearProblems(y)] as const).filter(([, p]) => p.length);
    // The 2012 notice gave 端午 as 22-24 June; the package lists the 22nd and 24th only (the 23rd was a Saturday).
    expect(problems).toEqual([[2012, ['incomplete: the statutory 端午节 (2012-06-23) is not a holiday']]]);
  });
});

describe('statutory holidays (放假办法 art. 2, in force from 2025-01-01)', () => {
  test('2025 and 2026 computed from the lunar and solar-term calendar are the days of the notices', () => {
    expect(statutoryHolidays(2025)).toEqual([
      { name: '元旦', dates: ['2025-01-01'] },
      { name: '春节', dates: ['2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31'] }, // 除夕 + 正月初一至初三
      { name: '清明节', dates: ['2025-04-04'] },
      { name: '劳动节', dates: ['2025-05-01', '2025-05-02'] },
      { name: '端午节', dates: ['2025-05-31'] },
      { name: '中秋节', dates: ['2025-10-06'] },
      { name: '国庆节', dates: ['2025-10-01', '2025-10-02', '2025-10-03'] },
    ]);
    expect(statutoryHolidays(2026).map((h) => h.dates)).toEqual([
      ['2026-01-01'],
      ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19'],
      ['2026-04-05'],
      ['2026-05-01', '2026-05-02'],
      ['2026-06-19'],
      ['2026-09-25'],
      ['2026-10-01', '2026-10-02', '2026-10-03'],
    ]);
    for (const year of [2025, 2026]) {
      const official = new Set(packagedHolidayYears().get(year)!.holidays);
      expect(statutoryHolidays(year).flatMap((h) => h.dates).filter((d) => !official.has(d))).toEqual([]);
    }
  });

  test('before 2025 the rule had no New Year’s Eve and one Labour Day', () => {
    expect(statutoryHolidays(2024).find((h) => h.name === '春节')!.dates).toEqual(['2024-02-10', '2024-02-11', '2024-02-12']);
    expect(statutoryHolidays(2024).find((h) => h.name === '劳动节')!.dates).toEqual(['2024-05-01']);
  });

  test('2027, a year without a notice: 13 statutory days, provisional, no make-up workdays', () => {
    const y = provisionalHolidayYear(2027);
    expect(y).toEqual({
      year: 2027,
      status: 'provisional',
      holidays: ['2027-01-01', '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-04-05', '2027-05-01', '2027-05-02', '2027-06-09', '2027-09-15', '2027-10-01', '2027-10-02', '2027-10-03'],
      makeUpWorkdays: [],
      source: 'statutory-rule',
    });
  });
});

describe('the default calendar does not expire', () => {
  test('is versioned, valid, official to 2026 and provisional after', () => {
    expect(defaultBusinessCalendar.version).toMatch(/^cal-[0-9a-f]{12}$/);
    expect(defaultBusinessCalendar.version).toBe(holidayDataVersion(holidayYears()));
    expect(defaultBusinessCalendar.officialYears).toEqual(Array.from({ length: 23 }, (_, i) => 2004 + i));
    expect(defaultBusinessCalendar.provisionalYears![0]).toBe(2027);
    expect(businessCalendarSchema.safeParse(defaultBusinessCalendar).success).toBe(true);
  });

  // The three cases of the issue, tried as a new user would.
  test('2027-01-01 (元旦) is not a working day', () => {
    expect(isWorkingDay(defaultBusinessCalendar, '2027-01-01')).toBe(false);
  });

  test('2 working hours from 2026-12-31 17:00 end on Monday 2027-01-04 at 10:00, not on New Year’s Day', () => {
    expect(addWorkingHours(defaultBusinessCalendar, at('2026-12-31T17:00:00+08:00'), 2).toISOString()).toBe('2027-01-04T02:00:00.000Z');
  });

  test('5 working days from 2027-02-05 skip the Spring Festival (除夕 5 Feb to 初三 8 Feb)', () => {
    // Fri 5 Feb 10:00 is New Year's Eve (a holiday): counting starts on Tue 9 Feb 09:00, five days end Mon 15 Feb 18:00.
    expect(addWorkingDays(defaultBusinessCalendar, at('2027-02-05T10:00:00+08:00'), 5).toISOString()).toBe('2027-02-15T10:00:00.000Z');
    expect(isWorkingDay(defaultBusinessCalendar, '2027-02-08')).toBe(false);
    expect(isWorkingDay(defaultBusinessCalendar, '2027-02-09')).toBe(true);
  });

  test('a day period ending on a provisional holiday moves to the next working day (Civil Code art. 203)', () => {
    // Delivered 2026-12-25: the 7th day is 2027-01-01, a statutory holiday, so the period runs to the end of Mon 4 Jan.
    expect(dayPeriodEndsAt(defaultBusinessCalendar, at('2026-12-25T10:00:00+08:00'), 7, { extendOverHolidays: true }).toISOString()).toBe('2027-01-04T16:00:00.000Z');
  });
});

describe('what a case carries', () => {
  test('only the years it can reach, with their status', () => {
    const cal = calendarForYears(defaultBusinessCalendar, 2025, 2027);
    expect(cal.officialYears).toEqual([2025, 2026]);
    expect(cal.provisionalYears).toEqual([2027]);
    expect(cal.holidays.every((d) => d >= '2025-01-01' && d <= '2027-12-31')).toBe(true);
    expect(cal.holidays).toHaveLength(packagedHolidayYears().get(2025)!.holidays.length + 33 + 13);
    expect(JSON.stringify(cal).length).toBeLessThan(2000);
  });

  test('coverage of a span: official, provisional, or beyond the data', () => {
    const cal = calendarForYears(defaultBusinessCalendar, 2025, 2027);
    expect(calendarCoverage(cal, at('2026-03-01T00:00:00Z'), at('2026-06-01T00:00:00Z'))).toEqual({ provisionalYears: [], uncoveredYears: [] });
    expect(calendarCoverage(cal, at('2026-12-30T00:00:00Z'), at('2027-01-05T00:00:00Z'))).toEqual({ provisionalYears: [2027], uncoveredYears: [] });
    expect(calendarCoverage(cal, at('2027-12-30T00:00:00Z'), at('2028-01-05T00:00:00Z'))).toEqual({ provisionalYears: [2027], uncoveredYears: [2028] });
    // The local year: 2026-12-31T16:00Z is already 2027-01-01 in Shanghai.
    expect(calendarCoverage(cal, at('2026-12-31T16:00:00Z'), at('2026-12-31T16:00:00Z')).provisionalYears).toEqual([2027]);
    // A calendar written by hand has no year lists and is taken as it is.
    expect(calendarCoverage({ ...cal, officialYears: undefined, provisionalYears: undefined }, at('2030-01-01T00:00:00Z'), at('2031-01-01T00:00:00Z'))).toEqual({ provisionalYears: [], uncoveredYears: [] });
  });

  test('a later notice replaces a provisional year; the calendar it came from is unchanged', () => {
    const before = calendarForYears(defaultBusinessCalendar, 2026, 2027);
    const notice = { year: 2027, status: 'official' as const, holidays: ['2027-01-01', '2027-01-02', '2027-01-03'], makeUpWorkdays: ['2027-01-04'] };
    const after = withCalendarYears(before, { version: 'cal-000000000001', years: [notice] });
    expect(after.officialYears).toEqual([2026, 2027]);
    expect(after.provisionalYears).toEqual([]);
    expect(after.version).toBe('cal-000000000001');
    expect(after.holidays.filter((d) => d.startsWith('2027'))).toEqual(notice.holidays);
    expect(isWorkingDay(after, '2027-02-05')).toBe(true);
    expect(isWorkingDay(before, '2027-02-05')).toBe(false);
    expect(before.provisionalYears).toEqual([2027]);
  });

  test('versions follow the data', () => {
    const y = provisionalHolidayYear(2027);
    expect(holidayYearVersion(y)).toMatch(/^2027\.[0-9a-f]{12}$/);
    expect(holidayYearVersion({ ...y, holidays: [...y.holidays].reverse() })).toBe(holidayYearVersion(y));
    expect(holidayYearVersion({ ...y, status: 'official' })).not.toBe(holidayYearVersion(y));
  });
});

describe('validation of a notice', () => {
  test('a date both holiday and workday, a date of another year, and an incomplete year are refused', () => {
    const y = { year: 2027, holidays: ['2027-01-01', '2028-01-01'], makeUpWorkdays: ['2027-01-01', '2027-02-30'] };
    expect(holidayYearProblems(y)).toEqual([
      'holidays: 2028-01-01 is not in 2027',
      'makeUpWorkdays: "2027-02-30" is not a real date (YYYY-MM-DD)',
      '2027-01-01 is both a holiday and a make-up workday',
      'incomplete: the statutory 春节 (2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08) is not a holiday',
      'incomplete: the statutory 清明节 (2027-04-05) is not a holiday',
      'incomplete: the statutory 劳动节 (2027-05-01, 2027-05-02) is not a holiday',
      'incomplete: the statutory 端午节 (2027-06-09) is not a holiday',
      'incomplete: the statutory 中秋节 (2027-09-15) is not a holiday',
      'incomplete: the statutory 国庆节 (2027-10-01, 2027-10-02, 2027-10-03) is not a holiday',
    ]);
    expect(holidayYearProblems(provisionalHolidayYear(2027))).toEqual([]);
  });
});

describe('cases opened before calendars carried their years', () => {
  test('their calendar, exactly the 2026 notice, is recognised by its fingerprint and read as official for 2026', () => {
    const { holidays, makeUpWorkdays } = packagedHolidayYears().get(2026)!;
    expect(`${datesFingerprint(holidays)}|${datesFingerprint(makeUpWorkdays)}`).toBe(NOTICE_2026_FINGERPRINT);
    const legacy = { timeZone: 'Asia/Shanghai', workdayStart: '09:00', workdayEnd: '18:00', workingWeekdays: [1, 2, 3, 4, 5], holidays: [...holidays].reverse(), makeUpWorkdays };
    expect(withKnownCoverage(legacy)).toEqual({ ...legacy, officialYears: [2026], provisionalYears: [] });
    expect(calendarCoverage(withKnownCoverage(legacy), at('2026-12-31T09:00:00Z'), at('2027-01-04T02:00:00Z')).uncoveredYears).toEqual([2027]);
  });

  test('any other hand-written calendar stays as it is', () => {
    const own = { timeZone: 'UTC', workdayStart: '00:00', workdayEnd: '24:00', workingWeekdays: [1, 2, 3, 4, 5, 6, 7], holidays: [], makeUpWorkdays: [] };
    expect(withKnownCoverage(own)).toBe(own);
    const withoutOneDay = { ...own, holidays: packagedHolidayYears().get(2026)!.holidays.slice(1), makeUpWorkdays: packagedHolidayYears().get(2026)!.makeUpWorkdays };
    expect(withKnownCoverage(withoutOneDay)).toBe(withoutOneDay);
  });
});

describe('coverage warning (lib/calendarStore.ts): degraded from 60 days before the official data ends', () => {
  const packaged = snapshotOf([]);
  test.each([
    ['2026-11-01T12:00:00+08:00', { officialThrough: '2026-12-31', daysLeft: 61, degraded: false }],
    ['2026-11-02T12:00:00+08:00', { officialThrough: '2026-12-31', daysLeft: 60, degraded: true }],
    ['2026-11-28T12:00:00+08:00', { officialThrough: '2026-12-31', daysLeft: 34, degraded: true }],
    ['2026-12-31T23:30:00+08:00', { officialThrough: '2026-12-31', daysLeft: 1, degraded: true }],
    ['2027-01-05T12:00:00+08:00', { officialThrough: '2026-12-31', daysLeft: 0, degraded: true }],
  ])('on %s', (now, expected) => {
    expect(coverageStatus(packaged, new Date(now))).toEqual(expected);
  });
  test('a notice for the next year clears it', () => {
    const withNotice = snapshotOf([{ ...SAMPLE_NOTICE_2027, version: 'x', importedAt: new Date() }]);
    expect(coverageStatus(withNotice, new Date('2026-11-28T12:00:00+08:00'))).toEqual({ officialThrough: '2027-12-31', daysLeft: 399, degraded: false });
    expect(withNotice.version).not.toBe(packaged.version);
  });
});
