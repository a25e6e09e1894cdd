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
 * businessCalendar.schema.ts (the policy document is validated with it where it enters, policy/config.ts).
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

/** Local wall clock of instant t, expressed as "ms since epoch as if the wall clock were UTC". */
function wallMs(timeZone: string, t: number): number {
  const sub = ((t % 1000) + 1000) % 1000;
  const parts = formatterFor(timeZone).formatToParts(new Date(t - sub));
  const get = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value);
  const hour = get('hour') % 24; // defensive: some engines emit "24" at midnight
  return (
    daysFromCivil(get('year'), get('month'), get('day')) * MS_PER_DAY +
    ((hour * 60 + get('minute')) * 60 + get('second')) * 1000 +
    sub
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
 * Default: Asia/Shanghai, 09:00-18:00, Mon-Fri, with the 2026 PRC public holidays
 * and make-up workdays (国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04).
 * OPS MUST MAINTAIN THIS LIST YEARLY: dates after 2026 have no holidays configured.
 * (A valid calendar: test/unit/businessCalendar.test.ts parses it with the schema.)
 */
export const defaultBusinessCalendar: BusinessCalendar = deepFreeze({
  timeZone: 'Asia/Shanghai',
  workdayStart: '09:00',
  workdayEnd: '18:00',
  workingWeekdays: [1, 2, 3, 4, 5],
  holidays: [
    // 元旦 New Year
    '2026-01-01', '2026-01-02', '2026-01-03',
    // 春节 Spring Festival
    '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19',
    '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23',
    // 清明节 Qingming
    '2026-04-04', '2026-04-05', '2026-04-06',
    // 劳动节 Labour Day
    '2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05',
    // 端午节 Dragon Boat
    '2026-06-19', '2026-06-20', '2026-06-21',
    // 中秋节 Mid-Autumn
    '2026-09-25', '2026-09-26', '2026-09-27',
    // 国庆节 National Day
    '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04',
    '2026-10-05', '2026-10-06', '2026-10-07',
  ],
  makeUpWorkdays: [
    '2026-01-04', // Sun, 元旦
    '2026-02-14', // Sat, 春节
    '2026-02-28', // Sat, 春节
    '2026-05-09', // Sat, 劳动节
    '2026-09-20', // Sun, 国庆节
    '2026-10-10', // Sat, 国庆节
  ],
});

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
 * policy document, policy/config.ts); this checks its structure with the same rules, cheaply, and fills in
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
  const c: Compiled = { timeZone, startMin, endMin, weekdays: new Set(weekdays), holidays, makeUps };
  compiled.set(cal, c);
  return c;
}

function isWorkingDayNum(c: Compiled, day: number): boolean {
  if (c.makeUps.has(day)) return true;
  if (c.holidays.has(day)) return false;
  return c.weekdays.has(isoWeekday(day));
}

/** Working period [start, end) of a local day as UTC instants. */
function periodOf(c: Compiled, day: number): [number, number] {
  const base = day * MS_PER_DAY;
  return [
    wallToInstant(c.timeZone, base + c.startMin * MS_PER_MINUTE),
    wallToInstant(c.timeZone, base + c.endMin * MS_PER_MINUTE),
  ];
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
  let lastDay = localDayOf(c.timeZone, t) + days;
  if (options.extendOverHolidays) {
    assertHasWorkingDays(c);
    const counted = lastDay;
    while (!isWorkingDayNum(c, lastDay)) {
      if (++lastDay - counted > MAX_IDLE_DAYS) {
        throw new Error(`No working day found within ${MAX_IDLE_DAYS} days after ${formatLocalDate(counted)}`);
      }
    }
  }
  // 24:00 of the last day = the first instant of the next local day (a DST gap at midnight moves it forward).
  return new Date(wallToInstant(c.timeZone, (lastDay + 1) * MS_PER_DAY));
}
