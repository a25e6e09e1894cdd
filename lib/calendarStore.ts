// The national holiday data in force: the State Council notices chinese-days carries, the notices operators imported
// since (PostgreSQL calendar_years, scripts/calendar import), and provisional years after the last notice
// (全国年节及纪念日放假办法). A running system picks an import up at its next refresh (every 30 s by default), and
// each running case when it next computes a deadline over a year it does not have as official (resolveCalendar).
import type { Db } from './db';
import type { Logger } from './logger';
import { calendarForYears, localYearOf, type BusinessCalendar, type CalendarYearData } from '../policy/businessCalendar';
import {
  holidayDataVersion,
  holidayYears,
  holidayYearProblems,
  holidayYearVersion,
  nationalCalendar,
  officialThrough,
  packagedHolidayYears,
  type HolidayYear,
} from '../policy/nationalHolidays';

/** Coverage warnings start this many days before the official data ends (the 60 days). */
export const COVERAGE_WARNING_DAYS = 60;

/** The holiday data in force at one moment. */
export interface CalendarSnapshot {
  /** `cal-<hash>` over every year's data: the same data has the same version. */
  version: string;
  years: HolidayYear[];
  /** The imported rows the data holds (their versions), newest import per year. */
  imports: { year: number; version: string; source: string; importedAt: string }[];
}

/** When the official data ends, seen from `now`. */
export interface CalendarCoverageStatus {
  /** The last day covered by a State Council notice (YYYY-12-31), or null when the current year has none. */
  officialThrough: string | null;
  /** Whole days from today (local) to that day; 0 or less: today is not covered. */
  daysLeft: number;
  /** True when the official data ends within COVERAGE_WARNING_DAYS: /readyz answers 'degraded'. */
  degraded: boolean;
}

/** Reads the newest import of each year. */
export async function readImportedYears(db: Db): Promise<(HolidayYear & { version: string; importedAt: Date })[]> {
  const rows = await db.calendarYear.findMany({ orderBy: [{ year: 'asc' }, { importedAt: 'desc' }, { version: 'asc' }] });
  const newest = new Map<number, (typeof rows)[number]>();
  for (const r of rows) if (!newest.has(r.year)) newest.set(r.year, r);
  return [...newest.values()].map((r) => ({
    year: r.year,
    status: 'official' as const,
    holidays: [...r.holidays].sort(),
    makeUpWorkdays: [...r.makeUpWorkdays].sort(),
    source: r.source,
    version: r.version,
    importedAt: r.importedAt,
  }));
}

/** The data in force given the imported years (package notices, imports over them, provisional years after). */
export function snapshotOf(imported: (HolidayYear & { version: string; importedAt: Date })[]): CalendarSnapshot {
  const official = new Map(packagedHolidayYears());
  for (const y of imported) official.set(y.year, y);
  const years = holidayYears(official.values());
  return {
    version: holidayDataVersion(years),
    years,
    imports: imported.map((y) => ({ year: y.year, version: y.version, source: y.source, importedAt: y.importedAt.toISOString() })),
  };
}

/** What an import stores: a year checked by holidayYearProblems, with its version. */
export async function storeImportedYear(db: Db, y: Pick<HolidayYear, 'year' | 'holidays' | 'makeUpWorkdays'>, meta: { source: string; importedBy?: string }): Promise<{ version: string; created: boolean }> {
  const problems = holidayYearProblems(y);
  if (problems.length) throw new Error(`The ${y.year} data is not valid:\n- ${problems.join('\n- ')}`);
  const year: HolidayYear = { year: y.year, status: 'official', holidays: [...y.holidays].sort(), makeUpWorkdays: [...y.makeUpWorkdays].sort(), source: meta.source };
  const version = holidayYearVersion(year);
  const existing = await db.calendarYear.findUnique({ where: { version } });
  if (existing) {
    // The same data again: in force again if another version of the year was imported after it.
    const newer = await db.calendarYear.count({ where: { year: y.year, importedAt: { gt: existing.importedAt } } });
    if (newer) await db.calendarYear.update({ where: { version }, data: { importedAt: new Date() } });
    return { version, created: false };
  }
  await db.calendarYear.create({ data: { version, year: y.year, holidays: year.holidays, makeUpWorkdays: year.makeUpWorkdays, source: meta.source, importedBy: meta.importedBy } });
  return { version, created: true };
}

/** Days from local date a to local date b ('YYYY-MM-DD'). */
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

/** When the official data ends, seen from `now` in the calendar's time zone. */
export function coverageStatus(snapshot: Pick<CalendarSnapshot, 'years'>, now: Date, timeZone = 'Asia/Shanghai'): CalendarCoverageStatus {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const through = officialThrough(snapshot.years, Number(today.slice(0, 4)));
  if (through === undefined || through < Number(today.slice(0, 4))) return { officialThrough: through === undefined ? null : `${through}-12-31`, daysLeft: 0, degraded: true };
  const last = `${through}-12-31`;
  const daysLeft = daysBetween(today, last) + 1; // today counts: on 31 December one day is left
  return { officialThrough: last, daysLeft, degraded: daysLeft <= COVERAGE_WARNING_DAYS };
}

/**
 * The data in force, read from PostgreSQL at start and every `refreshMs`; the package's data alone until the first
 * read (or when the database cannot be read: logged). Logs a warning when the official data ends within 60 days.
 */
export class CalendarStore {
  private current: CalendarSnapshot = snapshotOf([]);
  private timer?: NodeJS.Timeout;
  private lastWarnedDay?: string;
  private readonly built = new WeakMap<BusinessCalendar, { version: string; calendar: BusinessCalendar }>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly opts: { refreshMs?: number; now?: () => Date } = {},
  ) {}

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** Reads the imports again; keeps the data it had if the database cannot be read. */
  async refresh(): Promise<CalendarSnapshot> {
    try {
      this.current = snapshotOf(await readImportedYears(this.db));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'calendar: imported holiday data unreadable; using the data read before (or the chinese-days notices)');
    }
    this.warnIfEnding();
    return this.current;
  }

  /** Refreshes now and then every refreshMs (default 30 s); the timer does not keep the process alive. */
  async start(): Promise<this> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs ?? 30_000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  snapshot(): CalendarSnapshot {
    return this.current;
  }

  coverage(): CalendarCoverageStatus {
    return coverageStatus(this.current, this.now());
  }

  /** `base`'s working hours with the data in force (every year); the same object while the data does not change. */
  calendar(base: BusinessCalendar): BusinessCalendar {
    const known = this.built.get(base);
    if (known?.version === this.current.version) return known.calendar;
    const calendar = Object.freeze(nationalCalendar(base, this.current.years));
    this.built.set(base, { version: this.current.version, calendar });
    return calendar;
  }

  /** The given years of the data in force, as a case reads them (resolveCalendar). */
  years(years: number[]): { version: string; years: CalendarYearData[] } {
    const wanted = new Set(years);
    return {
      version: this.current.version,
      years: this.current.years.filter((y) => wanted.has(y.year)).map(({ year, status, holidays, makeUpWorkdays }) => ({ year, status, holidays, makeUpWorkdays })),
    };
  }

  /** One structured warning a day while the official data ends within 60 days. */
  private warnIfEnding(): void {
    const c = this.coverage();
    const today = this.now().toISOString().slice(0, 10);
    if (!c.degraded || this.lastWarnedDay === today) return;
    this.lastWarnedDay = today;
    this.logger.warn(
      { calendarVersion: this.current.version, officialThrough: c.officialThrough, daysLeft: c.daysLeft, warningDays: COVERAGE_WARNING_DAYS },
      'calendar: the official holiday data ends soon; import the next State Council notice (scripts/calendar import FILE). Deadlines after it are provisional',
    );
  }
}

/**
 * The calendar a new case carries: the years it can reach (the year before the opening, for periods that started
 * earlier, to the year after), not every year since 2004. Later years come through resolveCalendar when needed.
 */
export function caseCalendar(calendar: BusinessCalendar, openedAt: Date): BusinessCalendar {
  const year = localYearOf(calendar, openedAt);
  // Cut once per calendar and year: every opening of the year carries the same slice (the calendar in force is replaced,
  // not changed, when a notice is imported).
  let byYear = caseCalendars.get(calendar);
  if (!byYear) caseCalendars.set(calendar, (byYear = new Map()));
  let cut = byYear.get(year);
  if (!cut) byYear.set(year, (cut = calendarForYears(calendar, year - 1, year + 1)));
  return cut;
}
const caseCalendars = new WeakMap<BusinessCalendar, Map<number, BusinessCalendar>>();
