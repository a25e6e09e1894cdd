/**
 * Business calendar: deadlines measured in working hours / working days.
 *
 * Policy 7.1: "售后服务响应时间不超过2个工作小时,维修处理时间不超过5个工作日"
 * (after-sales response within 2 working hours; repair handling within 5 working days).
 *
 * Pure and deterministic so it can run inside Temporal workflow code: no I/O, no
 * Node built-ins, no clock reads. The caller always passes the instant. Time-zone
 * conversion uses Intl.DateTimeFormat only.
 *
 * Model: on every working day the working period is the half-open local wall-clock
 * interval [workdayStart, workdayEnd) in cal.timeZone. A date is a working day if it
 * is a make-up workday (调休), else not if it is a holiday, else by ISO weekday.
 *
 * Plain code and data only, so that a workflow importing it evaluates no zod: the calendar's zod schema is in
 * businessCalendar.schema.ts (the policy document is validated with it where it enters, processes/policyDocument.ts).
 * The functions below take a calendar as valid, check its structure once per calendar object and keep its
 * compiled form (see compile()).
 */

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
/** Max consecutive non-working days before we give up (guards against endless searches). */
const MAX_IDLE_DAYS = 3660;

/** 'HH:MM' from 00:00 to 23:59, or 24:00. */
export const TIME_RE = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

// ---------------------------------------------------------------------------
// Pure civil-date arithmetic (days since 1970-01-01, proleptic Gregorian).
// ---------------------------------------------------------------------------

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z0 = days + 719468;
  const era = Math.floor(z0 / 146097);
  const doe = z0 - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

/** 'YYYY-MM-DD' -> day number, or undefined if malformed / not a real date. */
export function parseLocalDate(s: string): number | undefined {
  const match = DATE_RE.exec(s);
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (m < 1 || m > 12 || d < 1) return undefined;
  const day = daysFromCivil(y, m, d);
  const back = civilFromDays(day);
  return back.y === y && back.m === m && back.d === d ? day : undefined;
}

function formatLocalDate(day: number): string {
  const { y, m, d } = civilFromDays(day);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** ISO weekday 1=Mon..7=Sun (1970-01-01 was a Thursday). */
function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** 'HH:MM' (already checked against TIME_RE) -> minutes since local midnight. */
export function parseTimeMinutes(s: string): number {
  return Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
}

// ---------------------------------------------------------------------------
// Time-zone conversion via Intl.
// ---------------------------------------------------------------------------

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatterCache.get(timeZone);
  if (!f) {
    // Throws RangeError for unknown zones; failures are not cached.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatterCache.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the IANA time zone. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** wallMs's answers per zone and whole second: Intl's formatToParts is the calendar's dearest call. Bounded. */
const wallCache = new Map<string, Map<number, number>>();
const WALL_CACHE_MAX = 10_000;

/** Local wall clock of instant t, expressed as "ms since epoch as if the wall clock were UTC". */
function wallMs(timeZone: string, t: number): number {
  const sub = ((t % 1000) + 1000) % 1000;
  let known = wallCache.get(timeZone);
  if (!known) wallCache.set(timeZone, (known = new Map()));
  const cached = known.get(t - sub);
  if (cached !== undefined) return cached + sub;
  const wall = wallSecondMs(timeZone, t - sub);
  if (known.size >= WALL_CACHE_MAX) known.clear();
  known.set(t - sub, wall);
  return wall + sub;
}

/** wallMs of an instant on a whole second, from Intl. */
function wallSecondMs(timeZone: string, t: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value);
  const hour = get('hour') % 24; // defensive: some engines emit "24" at midnight
  return (
    daysFromCivil(get('year'), get('month'), get('day')) * MS_PER_DAY +
    ((hour * 60 + get('minute')) * 60 + get('second')) * 1000
  );
}

/** UTC offset (ms) of the zone at instant t. */
function offsetAt(timeZone: string, t: number): number {
  return wallMs(timeZone, t) - t;
}

/** Local calendar day (day number) of instant t. */
function localDayOf(timeZone: string, t: number): number {
  return Math.floor(wallMs(timeZone, t) / MS_PER_DAY);
}

/**
 * Local wall time -> UTC instant. Uses the offset in force at that specific
 * local time. Disambiguation matches Temporal's 'compatible': in a DST overlap
 * the earlier instant wins; a nonexistent time (DST gap) is pushed forward by
 * the gap length (e.g. 02:30 on a spring-forward day becomes 03:30).
 */
function wallToInstant(timeZone: string, wall: number): number {
  const before = offsetAt(timeZone, wall - MS_PER_DAY);
  const after = offsetAt(timeZone, wall + MS_PER_DAY);
  if (before === after) {
    // Usual case; still verify in case of a transition that is not ±1 day around.
    const t = wall - before;
    const o = offsetAt(timeZone, t);
    return o === before ? t : wall - o;
  }
  const early = wall - before; // candidate using the pre-transition offset
  const late = wall - after; // candidate using the post-transition offset
  const earlyOk = wallMs(timeZone, early) === wall;
  const lateOk = wallMs(timeZone, late) === wall;
  if (earlyOk && lateOk) return Math.min(early, late); // overlap
  if (earlyOk) return early;
  if (lateOk) return late;
  return early; // gap: pre-transition offset lands after the gap
}

// ---------------------------------------------------------------------------
// The calendar
// ---------------------------------------------------------------------------

export interface BusinessCalendar {
  /** IANA time zone, e.g. 'Asia/Shanghai'. */
  timeZone: string;
  /** Local start of the working period, 'HH:MM'. */
  workdayStart: string;
  /** Local end of the working period (exclusive), 'HH:MM'; '24:00' = midnight. */
  workdayEnd: string;
  /** ISO weekdays that are working days: 1=Mon .. 7=Sun. */
  workingWeekdays: number[];
  /** Local dates that are NOT working days even on a working weekday. */
  holidays: string[];
  /** Local dates that ARE working days even on a weekend (调休). */
  makeUpWorkdays: string[];
  /**
   * The version of the national holiday data in `holidays` and `makeUpWorkdays` (policy/nationalHolidays.ts
   * holidayDataVersion), when they come from it. Absent: a calendar written by hand.
   */
  version?: string;
  /** Years whose holidays and make-up workdays come from a State Council notice. */
  officialYears?: number[];
  /**
   * Years whose holidays are only the statutory days computed from 全国年节及纪念日放假办法 (no notice yet, no make-up
   * workdays known): deadlines over them are provisional. A year in neither list, when either list is given, has
   * no holiday data at all: a deadline over it is beyond the calendar's coverage.
   */
  provisionalYears?: number[];
}

/** What a calendar that leaves a field out gets (the schema's defaults). */
export const calendarDefaults = {
  timeZone: 'Asia/Shanghai',
  workdayStart: '09:00',
  workdayEnd: '18:00',
  workingWeekdays: (): number[] => [1, 2, 3, 4, 5],
} as const;

type BusinessCalendarSchema = (typeof import('./businessCalendar.schema'))['businessCalendarSchema'];
const loadSchema = (): BusinessCalendarSchema => require('./businessCalendar.schema').businessCalendarSchema;

/**
 * The calendar's zod schema (businessCalendar.schema.ts), loaded on first use: nothing here evaluates zod until
 * someone validates a calendar with it. Workflows never do; server code may import the schema module directly.
 */
export const businessCalendarSchema: BusinessCalendarSchema = new Proxy({} as BusinessCalendarSchema, {
  get(_target, key) {
    const schema = loadSchema();
    const value: unknown = Reflect.get(schema, key, schema);
    return typeof value === 'function' ? value.bind(schema) : value;
  },
  has: (_target, key) => Reflect.has(loadSchema(), key),
  ownKeys: () => Reflect.ownKeys(loadSchema()),
  getOwnPropertyDescriptor: (_target, key) => {
    const d = Reflect.getOwnPropertyDescriptor(loadSchema(), key);
    return d && { ...d, configurable: true };
  },
  getPrototypeOf: () => Reflect.getPrototypeOf(loadSchema()),
});

/**
 * Default: Asia/Shanghai, 09:00-18:00, Mon-Fri, with the PRC's national holidays and make-up workdays of every
 * State Council notice chinese-days carries (2004-2026, official) and, for each later year up to 2099, the statutory
 * holidays of 全国年节及纪念日放假办法 (provisional). Built from policy/nationalHolidays.ts on first use, so that
 * workflows importing this module never load the holiday package: they get the years they need as data.
 * Operators add a year with `scripts/calendar import FILE` (lib/calendarStore.ts); new cases then get it.
 * (A valid calendar: test/unit/businessCalendar.test.ts parses it with the schema.)
 */
export const defaultBusinessCalendar: BusinessCalendar = lazyFrozen(() => {
  const build = (globalThis as Record<symbol, (() => BusinessCalendar) | undefined>)[DEFAULT_CALENDAR_PROVIDER];
  if (!build) throw new Error('The default business calendar is built by policy/nationalHolidays.ts: import it (processes/policyDocument.ts does) before reading defaultBusinessCalendar');
  return build();
});

/**
 * Where policy/nationalHolidays.ts registers the builder of the default calendar when it loads. The dependency runs
 * that way so that workflows, which import this module, never bundle nor load the holiday package.
 */
export const DEFAULT_CALENDAR_PROVIDER = Symbol.for('casework.defaultBusinessCalendar');

/**
 * An object built on first access and frozen: a Proxy whose target receives the built object's properties first,
 * so every reflective operation (keys, freezing checks, JSON) sees the real, frozen data.
 */
function lazyFrozen<T extends object>(build: () => T): T {
  const target = {} as T;
  let ready = false;
  const ensure = (): T => {
    if (!ready) {
      Object.assign(target, build());
      deepFreeze(target);
      ready = true;
    }
    return target;
  };
  return new Proxy(target, {
    get: (_t, key) => Reflect.get(ensure(), key),
    has: (_t, key) => Reflect.has(ensure(), key),
    ownKeys: () => Reflect.ownKeys(ensure()),
    getOwnPropertyDescriptor: (_t, key) => Reflect.getOwnPropertyDescriptor(ensure(), key),
    isExtensible: () => Reflect.isExtensible(ensure()),
    preventExtensions: () => Reflect.preventExtensions(ensure()),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

// ---------------------------------------------------------------------------
// Compiled calendar (checked and built once per calendar object)
// ---------------------------------------------------------------------------

interface Compiled {
  timeZone: string;
  startMin: number;
  endMin: number;
  weekdays: Set<number>;
  holidays: Set<number>;
  makeUps: Set<number>;
  /** periodOf's answers, per local day. */
  periods: Map<number, readonly [number, number]>;
}

/**
 * Compiled calendars by calendar object. A calendar is read once, at its first use: callers treat calendars as
 * values (a policy document's calendar, a workflow input's) and do not change one after using it.
 */
const compiled = new WeakMap<BusinessCalendar, Compiled>();

function invalid(field: string, message: string): never {
  throw new RangeError(`Invalid business calendar: ${field} ${message}`);
}

/** Local dates -> day numbers; a malformed or unreal date is an error. */
function dayNumbers(field: string, list: unknown): Set<number> {
  if (!Array.isArray(list)) invalid(field, 'must be a list of YYYY-MM-DD dates');
  return new Set(
    list.map((s) => {
      const day = typeof s === 'string' ? parseLocalDate(s) : undefined;
      return day ?? invalid(field, `has ${JSON.stringify(s)}, not a real date in YYYY-MM-DD format`);
    }),
  );
}

/**
 * The calendar's working periods as numbers and sets. No zod: the calendar was validated where it entered (the
 * policy document, processes/policyDocument.ts); this checks its structure with the same rules, cheaply, and fills in
 * the schema's defaults for fields left out, so that a malformed calendar still fails here and not later.
 */
function compile(cal: BusinessCalendar): Compiled {
  const known = compiled.get(cal);
  if (known) return known;
  if (!cal || typeof cal !== 'object') invalid('', 'must be an object');
  const timeZone = cal.timeZone ?? calendarDefaults.timeZone;
  if (typeof timeZone !== 'string' || !isValidTimeZone(timeZone)) invalid('timeZone', `${JSON.stringify(timeZone)} is not a known IANA time zone`);
  const minutes = (field: 'workdayStart' | 'workdayEnd'): number => {
    const t = cal[field] ?? calendarDefaults[field];
    return typeof t === 'string' && TIME_RE.test(t) ? parseTimeMinutes(t) : invalid(field, `${JSON.stringify(t)} is not HH:MM (00:00-23:59, or 24:00)`);
  };
  const startMin = minutes('workdayStart');
  const endMin = minutes('workdayEnd');
  if (endMin <= startMin) invalid('workdayEnd', 'must be after workdayStart');
  const weekdays = cal.workingWeekdays ?? calendarDefaults.workingWeekdays();
  if (!Array.isArray(weekdays) || !weekdays.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
    invalid('workingWeekdays', 'must be a list of ISO weekdays 1-7');
  }
  const holidays = dayNumbers('holidays', cal.holidays ?? []);
  const makeUps = dayNumbers('makeUpWorkdays', cal.makeUpWorkdays ?? []);
  for (const d of makeUps) if (holidays.has(d)) invalid('makeUpWorkdays', `has ${formatLocalDate(d)}, which is also a holiday`);
  const c: Compiled = { timeZone, startMin, endMin, weekdays: new Set(weekdays), holidays, makeUps, periods: new Map() };
  compiled.set(cal, c);
  return c;
}

function isWorkingDayNum(c: Compiled, day: number): boolean {
  if (c.makeUps.has(day)) return true;
  if (c.holidays.has(day)) return false;
  return c.weekdays.has(isoWeekday(day));
}

/** Working period [start, end) of a local day as UTC instants. */
function periodOf(c: Compiled, day: number): readonly [number, number] {
  let period = c.periods.get(day);
  if (!period) {
    const base = day * MS_PER_DAY;
    period = [wallToInstant(c.timeZone, base + c.startMin * MS_PER_MINUTE), wallToInstant(c.timeZone, base + c.endMin * MS_PER_MINUTE)];
    c.periods.set(day, period);
  }
  return period;
}

function assertHasWorkingDays(c: Compiled): void {
  if (c.weekdays.size === 0 && c.makeUps.size === 0) {
    throw new Error('Business calendar has no working days configured');
  }
}

function instantOf(d: Date, name: string): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t)) throw new RangeError(`${name} must be a valid Date`);
  return t;
}

/**
 * Calls visit(start, end) for each working period that ends after `t`, in order,
 * starting with the local day of `t` (and the day before, for safety around
 * DST edges). Stops when visit returns a value. Non-working days cost only a
 * Set lookup; throws after MAX_IDLE_DAYS consecutive non-working days.
 */
function walkPeriods<R>(c: Compiled, t: number, visit: (start: number, end: number) => R | undefined): R {
  assertHasWorkingDays(c);
  let idle = 0;
  for (let day = localDayOf(c.timeZone, t) - 1; ; day++) {
    if (!isWorkingDayNum(c, day)) {
      if (++idle > MAX_IDLE_DAYS) {
        throw new Error(`No working day found within ${MAX_IDLE_DAYS} days after ${formatLocalDate(day - idle)}`);
      }
      continue;
    }
    idle = 0;
    const [start, end] = periodOf(c, day);
    if (end <= t || end <= start) continue;
    const r = visit(start, end);
    if (r !== undefined) return r;
  }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/** Whether a local date 'YYYY-MM-DD' is a working day. Make-up days win, then holidays, then weekday rule. */
export function isWorkingDay(cal: BusinessCalendar, localDate: string): boolean {
  const day = parseLocalDate(localDate);
  if (day === undefined) throw new RangeError(`Invalid local date: ${localDate}`);
  return isWorkingDayNum(compile(cal), day);
}

/**
 * Instant after consuming `workingMs` of working time starting at `from`.
 * Outside working hours counting starts at the next working period. If the amount
 * runs out exactly at a period end, that end is returned (e.g. Friday 18:00).
 * `workingMs` is rounded to whole milliseconds; 0 returns (a copy of) `from`.
 */
export function addWorkingTime(cal: BusinessCalendar, from: Date, workingMs: number): Date {
  const t = instantOf(from, 'from');
  if (!Number.isFinite(workingMs) || workingMs < 0) {
    throw new RangeError(`workingMs must be a finite non-negative number, got ${workingMs}`);
  }
  const c = compile(cal);
  let remaining = Math.round(workingMs);
  if (remaining === 0) return new Date(t);
  return new Date(
    walkPeriods(c, t, (start, end) => {
      const s = Math.max(start, t);
      if (remaining <= end - s) return s + remaining;
      remaining -= end - s;
      return undefined;
    }),
  );
}

/** addWorkingTime with an amount in working hours (fractions allowed). */
export function addWorkingHours(cal: BusinessCalendar, from: Date, hours: number): Date {
  return addWorkingTime(cal, from, hours * MS_PER_HOUR);
}

/** addWorkingTime with an amount in working days; one day = workdayEnd - workdayStart. */
export function addWorkingDays(cal: BusinessCalendar, from: Date, days: number): Date {
  const c = compile(cal);
  return addWorkingTime(cal, from, days * (c.endMin - c.startMin) * MS_PER_MINUTE);
}

/** Working milliseconds within [from, to); 0 if to <= from. */
export function workingTimeBetween(cal: BusinessCalendar, from: Date, to: Date): number {
  const a = instantOf(from, 'from');
  const b = instantOf(to, 'to');
  const c = compile(cal);
  if (b <= a) return 0;
  let total = 0;
  const lastDay = localDayOf(c.timeZone, b);
  for (let day = localDayOf(c.timeZone, a) - 1; day <= lastDay; day++) {
    if (!isWorkingDayNum(c, day)) continue;
    const [start, end] = periodOf(c, day);
    total += Math.max(0, Math.min(end, b) - Math.max(start, a));
  }
  return total;
}

/** `at` if it lies inside a working period, else the start of the next working period. */
export function nextWorkingInstant(cal: BusinessCalendar, at: Date): Date {
  const t = instantOf(at, 'at');
  const c = compile(cal);
  return new Date(walkPeriods(c, t, (start) => Math.max(start, t)));
}

// ---------------------------------------------------------------------------
// Periods counted in days (Civil Code of the PRC, arts. 201 and 203)
// ---------------------------------------------------------------------------

export interface DayPeriodOptions {
  /**
   * Art. 203: when the last day is a statutory rest day (法定休假日: a public holiday, or a
   * weekend day that is not a make-up workday), the period ends on the next working day instead.
   */
  extendOverHolidays: boolean;
}

/**
 * End of a period of `days` days that starts with the event at `from`, as the instant it ends.
 *
 * Art. 201: a period counted in days does not count the day of the event; it starts the next day
 * (网络购买商品七日无理由退货暂行办法: "自消费者签收商品的次日开始起算").
 * Art. 203: the last day ends at 24:00; with `extendOverHolidays`, a last day that is not a working
 * day of the calendar moves to the next working day.
 *
 * Days are local days of `cal.timeZone`. The result is 00:00 (local) of the day after the last day,
 * so an instant is inside the period while it is strictly before the result.
 */
export function dayPeriodEndsAt(cal: BusinessCalendar, from: Date, days: number, options: DayPeriodOptions): Date {
  const t = instantOf(from, 'from');
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, got ${days}`);
  const c = compile(cal);
  const lastDay = localDayOf(c.timeZone, t) + days;
  return periodEndsAfter(c, lastDay, options);
}

/**
 * End of a period of `months` months (a year is 12) that starts with the event at `from`, as the instant it ends.
 * Warranty periods (三包有效期), the periods for objecting to quality (民法典 arts. 621, 622) and retention periods
 * counted in months or years use it.
 *
 * Civil Code:
 * - art. 201(1): the day of the event is not counted; the period starts the next local day;
 * - art. 202: a period in months or years ends on the corresponding day of its last month (the day of the month of the
 *   event: delivered 1 March, 6 months: the last day is 1 September), or on that month's last day when it has no such
 *   day (delivered 31 January, 1 month: 28 or 29 February; 29 February, 12 months: 28 February);
 * - art. 203(2): the last day ends at 24:00, in the calendar's time zone;
 * - art. 203(1), with `extendOverHolidays`: a last day that is a statutory rest day (a holiday, or a weekend day that
 *   is not a make-up workday) moves to the next working day;
 * - art. 204: these rules apply unless a law or the parties' agreement provides otherwise.
 *
 * Days are local days of `cal.timeZone`. The result is 00:00 (local) of the day after the last day, so an instant is
 * inside the period while it is strictly before the result (as dayPeriodEndsAt).
 */
export function monthPeriodEndsAt(cal: BusinessCalendar, from: Date, months: number, options: DayPeriodOptions): Date {
  const t = instantOf(from, 'from');
  if (!Number.isInteger(months) || months < 1) throw new RangeError(`months must be a positive integer, got ${months}`);
  const c = compile(cal);
  const event = civilFromDays(localDayOf(c.timeZone, t));
  const monthIndex = event.m - 1 + months;
  const y = event.y + Math.floor(monthIndex / 12);
  const m = (monthIndex % 12) + 1;
  const daysInMonth = daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - daysFromCivil(y, m, 1);
  const lastDay = daysFromCivil(y, m, Math.min(event.d, daysInMonth));
  return periodEndsAfter(c, lastDay, options);
}

/**
 * The end of a period whose last day is `lastDay`: with `extendOverHolidays`, a statutory rest day moves it to the next
 * working day (民法典 art. 203(1)); it ends at 24:00 of that day (art. 203(2)), the first instant of the next local day
 * (a DST gap at midnight moves it forward).
 */
function periodEndsAfter(c: ReturnType<typeof compile>, lastDay: number, options: DayPeriodOptions): Date {
  if (options.extendOverHolidays) {
    assertHasWorkingDays(c);
    const counted = lastDay;
    while (!isWorkingDayNum(c, lastDay)) {
      if (++lastDay - counted > MAX_IDLE_DAYS) {
        throw new Error(`No working day found within ${MAX_IDLE_DAYS} days after ${formatLocalDate(counted)}`);
      }
    }
  }
  return new Date(wallToInstant(c.timeZone, (lastDay + 1) * MS_PER_DAY));
}

// ---------------------------------------------------------------------------
// Holiday data by year: what a case carries, and how far it can be trusted
// ---------------------------------------------------------------------------

/** One year of holiday data as a case receives it (policy/nationalHolidays.ts HolidayYear, without its source). */
export interface CalendarYearData {
  year: number;
  status: 'official' | 'provisional';
  holidays: string[];
  makeUpWorkdays: string[];
}

/** The local year (in the calendar's time zone) of an instant. */
export function localYearOf(cal: BusinessCalendar, at: Date): number {
  const c = compile(cal);
  return civilFromDays(localDayOf(c.timeZone, instantOf(at, 'at'))).y;
}

/** Whether the calendar says which years its holiday data covers (national data); a hand-written one does not. */
export function hasYearCoverage(cal: BusinessCalendar): boolean {
  return cal.officialYears !== undefined || cal.provisionalYears !== undefined;
}

export interface CalendarCoverage {
  /** Years of the span whose holidays are only the statutory days (no notice yet): deadlines over them are provisional. */
  provisionalYears: number[];
  /** Years of the span without any holiday data: deadlines over them are beyond the calendar's coverage. */
  uncoveredYears: number[];
}

/**
 * The coverage of the local years from `from` to `to` (both included): which of them are provisional or not covered.
 * Both lists are empty for a calendar written by hand (no year lists), which is taken as it is.
 */
export function calendarCoverage(cal: BusinessCalendar, from: Date, to: Date): CalendarCoverage {
  const coverage: CalendarCoverage = { provisionalYears: [], uncoveredYears: [] };
  if (!hasYearCoverage(cal)) return coverage;
  const official = new Set(cal.officialYears ?? []);
  const provisional = new Set(cal.provisionalYears ?? []);
  const last = localYearOf(cal, to.getTime() < from.getTime() ? from : to);
  for (let y = localYearOf(cal, from); y <= last; y++) {
    if (official.has(y)) continue;
    (provisional.has(y) ? coverage.provisionalYears : coverage.uncoveredYears).push(y);
  }
  return coverage;
}

/**
 * The calendar with the holiday data of the local years [fromYear, toYear] only: what a case's start input carries
 * (the years it can reach), not every year since 2004. A calendar written by hand is returned as it is.
 */
export function calendarForYears(cal: BusinessCalendar, fromYear: number, toYear: number): BusinessCalendar {
  if (!hasYearCoverage(cal)) return cal;
  const inRange = (y: number) => y >= fromYear && y <= toYear;
  const byDate = (d: string) => inRange(Number(d.slice(0, 4)));
  return {
    timeZone: cal.timeZone,
    workdayStart: cal.workdayStart,
    workdayEnd: cal.workdayEnd,
    workingWeekdays: [...cal.workingWeekdays],
    holidays: cal.holidays.filter(byDate),
    makeUpWorkdays: cal.makeUpWorkdays.filter(byDate),
    ...(cal.version !== undefined && { version: cal.version }),
    officialYears: (cal.officialYears ?? []).filter(inRange),
    provisionalYears: (cal.provisionalYears ?? []).filter(inRange),
  };
}

/**
 * The calendar with the holiday data of `years` put in place of what it had for them (a case reading a later
 * import: resolveCalendar). The version becomes the one the years were read at. A new object: the calendar it came
 * from, and every deadline computed with it, stay as they were.
 */
export function withCalendarYears(cal: BusinessCalendar, update: { version: string; years: CalendarYearData[] }): BusinessCalendar {
  const replaced = new Set(update.years.map((y) => y.year));
  const keep = (d: string) => !replaced.has(Number(d.slice(0, 4)));
  const years = (status: CalendarYearData['status'], before: number[] | undefined) =>
    [...(before ?? []).filter((y) => !replaced.has(y)), ...update.years.filter((y) => y.status === status).map((y) => y.year)].sort((a, b) => a - b);
  return {
    timeZone: cal.timeZone,
    workdayStart: cal.workdayStart,
    workdayEnd: cal.workdayEnd,
    workingWeekdays: [...cal.workingWeekdays],
    holidays: [...cal.holidays.filter(keep), ...update.years.flatMap((y) => y.holidays)].sort(),
    makeUpWorkdays: [...cal.makeUpWorkdays.filter(keep), ...update.years.flatMap((y) => y.makeUpWorkdays)].sort(),
    version: update.version,
    officialYears: years('official', cal.officialYears),
    provisionalYears: years('provisional', cal.provisionalYears),
  };
}

/** FNV-1a (32 bits, hex) of a list of dates, sorted: recognises a known holiday list without carrying it. */
export function datesFingerprint(dates: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const ch of [...dates].sort().join(',')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The fingerprint of the 2026 notice's holidays and make-up workdays (holidays, '|', make-up days): the calendar of
 * every case opened before calendars carried their years. test/unit/nationalHolidays.test.ts derives it from the
 * chinese-days data.
 */
export const NOTICE_2026_FINGERPRINT = '9baad556|ef7593f6';

/**
 * A calendar with the years it covers: as it is when it says so; the calendar of a case opened before calendars
 * carried their years (exactly the 2026 notice) as official for 2026, so that its deadlines in later years read the
 * data in force (CaseKit); any other calendar written by hand as it is (no years, nothing read).
 */
export function withKnownCoverage(cal: BusinessCalendar): BusinessCalendar {
  if (hasYearCoverage(cal)) return cal;
  const fingerprint = `${datesFingerprint(cal.holidays ?? [])}|${datesFingerprint(cal.makeUpWorkdays ?? [])}`;
  return fingerprint === NOTICE_2026_FINGERPRINT ? { ...cal, officialYears: [2026], provisionalYears: [] } : cal;
}
