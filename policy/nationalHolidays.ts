// The PRC's national holidays and make-up workdays (调休), year by year, for the business calendar.
//
// Server side only: workflows never import this module (nor chinese-days); they receive the years they need as
// data in the calendar of their start input, or through the resolveCalendar activity (workflows/caseKit.ts).
//
// Sources, in order of precedence (see lib/calendarStore.ts for the imported ones):
// 1. a State Council notice imported by an operator (scripts/calendar import FILE), stored in PostgreSQL;
// 2. the notices 2004-2026 as published in the maintained `chinese-days` package (国务院办公厅关于部分节假日安排的通知);
// 3. for a year without a notice, the statutory holidays the law itself fixes (全国年节及纪念日放假办法, as amended
//    with effect from 2025-01-01), computed with chinese-days' lunar and solar-term calendar: "provisional",
//    without make-up workdays (only a notice sets those).
import crypto from 'node:crypto';
import { getSolarDateFromLunar, getSolarTermDate } from 'chinese-days';
import { DEFAULT_CALENDAR_PROVIDER, type BusinessCalendar } from './businessCalendar';

/** One year of holiday data. */
export interface HolidayYear {
  year: number;
  /** 'official': from a State Council notice; 'provisional': the statutory days only, computed. */
  status: 'official' | 'provisional';
  /** Local dates off work (the whole break as the notice gives it, weekends inside it included). */
  holidays: string[];
  /** Local weekend dates that are working days (调休); always empty for a provisional year. */
  makeUpWorkdays: string[];
  /** Where the data comes from: 'chinese-days@1.5.7', 'import:<file sha-256 prefix>', 'statutory-rule'. */
  source: string;
}

/** The year of a local date 'YYYY-MM-DD'. */
export const yearOf = (date: string): number => Number(date.slice(0, 4));

const PACKAGE_VERSION: string = require('chinese-days/package.json').version;
export const PACKAGE_SOURCE = `chinese-days@${PACKAGE_VERSION}`;

/** The years chinese-days carries a notice for (2004 to its last year). */
let packageYears: Map<number, HolidayYear> | undefined;

/** Every notice chinese-days carries, by year. */
export function packagedHolidayYears(): Map<number, HolidayYear> {
  if (packageYears) return packageYears;
  const data: { holidays: Record<string, string>; workdays: Record<string, string> } = require('chinese-days/dist/chinese-days.json');
  const years = new Map<number, HolidayYear>();
  const entry = (year: number) => {
    let y = years.get(year);
    if (!y) years.set(year, (y = { year, status: 'official', holidays: [], makeUpWorkdays: [], source: PACKAGE_SOURCE }));
    return y;
  };
  for (const d of Object.keys(data.holidays)) entry(yearOf(d)).holidays.push(d);
  for (const d of Object.keys(data.workdays)) entry(yearOf(d)).makeUpWorkdays.push(d);
  for (const y of years.values()) {
    y.holidays.sort();
    y.makeUpWorkdays.sort();
  }
  packageYears = years;
  return years;
}

// ---------------------------------------------------------------------------
// The statutory holidays (全国年节及纪念日放假办法)
// ---------------------------------------------------------------------------

/** A statutory holiday of a year: its name and local dates. */
export interface StatutoryHoliday {
  name: string;
  dates: string[];
}

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

/** The day before (or after, with +1) a local date. */
function shiftDate(date: string, days: number): string {
  const t = Date.UTC(yearOf(date), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) + days * 86_400_000;
  const d = new Date(t);
  return ymd(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** The Gregorian date of a lunar date of lunar year `y` (never a leap month). */
const lunar = (y: number, m: number, d: number): string => getSolarDateFromLunar(ymd(y, m, d)).date;

/**
 * The statutory holidays of `year` (放假办法 art. 2, full-population holidays), by the text in force that year:
 * - from 2025 (国务院令第795号, amended 2024-11-10, in force 2025-01-01): 元旦 1 Jan; 春节 lunar New Year's Eve and
 *   lunar 1/1-1/3; 清明 on its solar-term day; 劳动节 1-2 May; 端午 lunar 5/5; 中秋 lunar 8/15; 国庆 1-3 Oct (13 days);
 * - 2008-2024 (国务院令第513号): the same without New Year's Eve and 2 May (11 days).
 * Years before 2008 had other rules (no Qingming, Dragon Boat or Mid-Autumn; a 3-day Labour Day); they are covered by
 * the notices and never computed.
 */
export function statutoryHolidays(year: number): StatutoryHoliday[] {
  if (!Number.isInteger(year) || year < 2008 || year > 2099) throw new RangeError(`No statutory holiday rule for ${year} (2008-2099)`);
  const amended = year >= 2025;
  const newYear = lunar(year, 1, 1);
  const springFestival = [newYear, shiftDate(newYear, 1), shiftDate(newYear, 2)];
  // New Year's Eve is the last day of the previous lunar year: the day before lunar 1/1 (whether 12/29 or 12/30).
  if (amended) springFestival.unshift(shiftDate(newYear, -1));
  return [
    { name: '元旦', dates: [ymd(year, 1, 1)] },
    { name: '春节', dates: springFestival },
    { name: '清明节', dates: [getSolarTermDate(year, 4, 'pure_brightness')] },
    { name: '劳动节', dates: amended ? [ymd(year, 5, 1), ymd(year, 5, 2)] : [ymd(year, 5, 1)] },
    { name: '端午节', dates: [lunar(year, 5, 5)] },
    { name: '中秋节', dates: [lunar(year, 8, 15)] },
    { name: '国庆节', dates: [ymd(year, 10, 1), ymd(year, 10, 2), ymd(year, 10, 3)] },
  ];
}

/**
 * A year without a notice: its statutory days as holidays, no make-up workdays (放假办法 art. 2 fixes the days;
 * only the State Council's yearly notice moves weekends around them). Every deadline computed over it is provisional.
 */
export function provisionalHolidayYear(year: number): HolidayYear {
  const dates = new Set(statutoryHolidays(year).flatMap((h) => h.dates));
  return { year, status: 'provisional', holidays: [...dates].sort(), makeUpWorkdays: [], source: 'statutory-rule' };
}

// ---------------------------------------------------------------------------
// Validation of a notice (an import)
// ---------------------------------------------------------------------------

/**
 * What is wrong with one year of official data, or []: dates of the year, real and distinct; no date both a holiday
 * and a make-up workday; the year complete (every statutory holiday of the year is a holiday).
 */
export function holidayYearProblems(y: Pick<HolidayYear, 'year' | 'holidays' | 'makeUpWorkdays'>): string[] {
  const problems: string[] = [];
  const real = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && shiftDate(shiftDate(d, 1), -1) === d && !Number.isNaN(Date.parse(`${d}T00:00:00Z`));
  for (const [field, list] of [['holidays', y.holidays], ['makeUpWorkdays', y.makeUpWorkdays]] as const) {
    for (const d of list) {
      if (!real(d)) problems.push(`${field}: ${JSON.stringify(d)} is not a real date (YYYY-MM-DD)`);
      else if (yearOf(d) !== y.year) problems.push(`${field}: ${d} is not in ${y.year}`);
    }
    if (new Set(list).size !== list.length) problems.push(`${field}: a date is listed twice`);
  }
  const holidays = new Set(y.holidays);
  for (const d of y.makeUpWorkdays) if (holidays.has(d)) problems.push(`${d} is both a holiday and a make-up workday`);
  if (y.year >= 2008) {
    for (const h of statutoryHolidays(y.year)) {
      const missing = h.dates.filter((d) => !holidays.has(d));
      if (missing.length) problems.push(`incomplete: the statutory ${h.name} (${missing.join(', ')}) is not a holiday`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/** The canonical form of a year's data (what its version hashes). */
const canonical = (y: HolidayYear) => JSON.stringify([y.year, y.status, [...y.holidays].sort(), [...y.makeUpWorkdays].sort()]);

/** A year's version: `<year>.<12 hex of the SHA-256 of its data>`; the same data always has the same version. */
export function holidayYearVersion(y: HolidayYear): string {
  return `${y.year}.${crypto.createHash('sha256').update(canonical(y)).digest('hex').slice(0, 12)}`;
}

/** The version of a set of years: `cal-<12 hex>` over every year's data. */
export function holidayDataVersion(years: Iterable<HolidayYear>): string {
  const parts = [...years].sort((a, b) => a.year - b.year).map(canonical);
  return `cal-${crypto.createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 12)}`;
}

// ---------------------------------------------------------------------------
// Calendars
// ---------------------------------------------------------------------------

/** The last year a provisional year is computed for (the lunar tables reach 2100). */
export const LAST_COMPUTED_YEAR = 2099;

/**
 * Every year from the first notice to LAST_COMPUTED_YEAR: `official` (notices, e.g. imported ones, over the
 * package's), and a provisional year for each year after the last notice.
 */
export function holidayYears(official: Iterable<HolidayYear> = packagedHolidayYears().values()): HolidayYear[] {
  const byYear = new Map<number, HolidayYear>();
  for (const y of official) byYear.set(y.year, y);
  const last = Math.max(...byYear.keys());
  for (let year = last + 1; year <= LAST_COMPUTED_YEAR; year++) byYear.set(year, provisionalHolidayYear(year));
  return [...byYear.values()].sort((a, b) => a.year - b.year);
}

/** The last year of the unbroken run of official years that reaches `fromYear` (or the year before it), if any. */
export function officialThrough(years: Iterable<HolidayYear>, fromYear: number): number | undefined {
  const official = new Set([...years].filter((y) => y.status === 'official').map((y) => y.year));
  let y = official.has(fromYear) ? fromYear : official.has(fromYear - 1) ? fromYear - 1 : undefined;
  if (y === undefined) return undefined;
  while (official.has(y + 1)) y++;
  return y;
}

type WorkingHours = Pick<BusinessCalendar, 'timeZone' | 'workdayStart' | 'workdayEnd' | 'workingWeekdays'>;

/** A calendar with `base`'s working hours and the holiday data of `years`, versioned. */
export function nationalCalendar(base: WorkingHours, years: HolidayYear[]): BusinessCalendar {
  return {
    timeZone: base.timeZone,
    workdayStart: base.workdayStart,
    workdayEnd: base.workdayEnd,
    workingWeekdays: [...base.workingWeekdays],
    holidays: years.flatMap((y) => y.holidays),
    makeUpWorkdays: years.flatMap((y) => y.makeUpWorkdays),
    version: holidayDataVersion(years),
    officialYears: years.filter((y) => y.status === 'official').map((y) => y.year),
    provisionalYears: years.filter((y) => y.status === 'provisional').map((y) => y.year),
  };
}

/** Asia/Shanghai, 09:00-18:00, Mon-Fri, with the package's notices and provisional years after them. */
export function defaultNationalCalendar(): BusinessCalendar {
  return nationalCalendar({ timeZone: 'Asia/Shanghai', workdayStart: '09:00', workdayEnd: '18:00', workingWeekdays: [1, 2, 3, 4, 5] }, holidayYears());
}

(globalThis as Record<symbol, unknown>)[DEFAULT_CALENDAR_PROVIDER] = defaultNationalCalendar;
