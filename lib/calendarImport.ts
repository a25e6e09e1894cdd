// Reading a State Council holiday notice from a file, for `scripts/calendar import FILE`: iCalendar (parsed with
// ical.js; the form chinese-days and calendar services publish) or JSON. Every year found is checked
// (policy/nationalHolidays.ts holidayYearProblems) before anything is stored.
import crypto from 'node:crypto';
import { holidayYearProblems, type HolidayYear } from '../policy/nationalHolidays';

type Ical = typeof import('ical.js').default;
const ICAL: Ical = require('ical.js');

/** One year as read from a file, before it is stored. */
export interface NoticeYear {
  year: number;
  holidays: string[];
  makeUpWorkdays: string[];
}

export interface ReadNotice {
  format: 'icalendar' | 'json';
  /** SHA-256 of the file's bytes. */
  sha256: string;
  years: NoticeYear[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function byYear(holidays: Iterable<string>, workdays: Iterable<string>): NoticeYear[] {
  const years = new Map<number, NoticeYear>();
  const entry = (d: string) => {
    const year = Number(d.slice(0, 4));
    let y = years.get(year);
    if (!y) years.set(year, (y = { year, holidays: [], makeUpWorkdays: [] }));
    return y;
  };
  for (const d of new Set(holidays)) entry(d).holidays.push(d);
  for (const d of new Set(workdays)) entry(d).makeUpWorkdays.push(d);
  return [...years.values()].sort((a, b) => a.year - b.year).map((y) => ({ ...y, holidays: y.holidays.sort(), makeUpWorkdays: y.makeUpWorkdays.sort() }));
}

/**
 * Whether an all-day event is time off (休) or a make-up workday (班): the Apple special-day property the notices'
 * calendars carry, else the summary or description ("元旦(休)", "(班)", "(Holiday)", "(Workday)").
 */
function kindOf(event: InstanceType<Ical['Component']>): 'off' | 'work' | undefined {
  const special = String(event.getFirstPropertyValue('x-apple-special-day') ?? '').toUpperCase();
  if (special === 'WORK-HOLIDAY') return 'off';
  if (special === 'ALTERNATE-WORKDAY') return 'work';
  const text = `${event.getFirstPropertyValue('summary') ?? ''} ${event.getFirstPropertyValue('description') ?? ''}`;
  const off = /休|holiday/i.test(text);
  const work = /班|workday/i.test(text);
  return off && !work ? 'off' : work && !off ? 'work' : undefined;
}

/** The days of an iCalendar notice: each all-day VEVENT from DTSTART to DTEND (exclusive), off or work. */
export function parseICalendarNotice(text: string): { holidays: string[]; workdays: string[] } {
  let root: InstanceType<Ical['Component']>;
  try {
    root = new ICAL.Component(ICAL.parse(text));
  } catch (err) {
    throw new Error(`Not an iCalendar file: ${(err as Error).message}`);
  }
  const holidays: string[] = [];
  const workdays: string[] = [];
  const events = root.getAllSubcomponents('vevent');
  if (!events.length) throw new Error('The iCalendar file has no events (VEVENT)');
  for (const component of events) {
    const event = new ICAL.Event(component);
    const what = `event "${event.summary ?? event.uid}"`;
    if (!event.startDate?.isDate) throw new Error(`${what} is not an all-day event (DTSTART;VALUE=DATE)`);
    const kind = kindOf(component);
    if (!kind) throw new Error(`${what}: cannot tell a holiday (休) from a make-up workday (班)`);
    const day = event.startDate.clone();
    const end = event.endDate && event.endDate.compare(day) > 0 ? event.endDate : day.clone().adjust(1, 0, 0, 0);
    for (let n = 0; day.compare(end) < 0; n++) {
      if (n > 366) throw new Error(`${what} spans more than a year`);
      (kind === 'off' ? holidays : workdays).push(day.toString().slice(0, 10));
      day.adjust(1, 0, 0, 0);
    }
  }
  return { holidays, workdays };
}

/**
 * The days of a JSON notice: `{ "holidays": [dates], "makeUpWorkdays": [dates] }` (what `scripts/calendar show` prints),
 * or chinese-days' year file, `{ "holidays": { date: name }, "workdays": { date: name } }`.
 */
export function parseJsonNotice(text: string): { holidays: string[]; workdays: string[] } {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`Not a JSON file: ${(err as Error).message}`);
  }
  const dates = (v: unknown, field: string): string[] => {
    const list = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v) : undefined;
    if (!list || !list.every((d) => typeof d === 'string' && DATE.test(d))) throw new Error(`JSON field "${field}" must be a list of YYYY-MM-DD dates (or an object keyed by them)`);
    return list as string[];
  };
  if (!doc || typeof doc !== 'object' || !('holidays' in doc)) throw new Error('The JSON notice needs "holidays" and "makeUpWorkdays" (or chinese-days\' "workdays")');
  return { holidays: dates(doc.holidays, 'holidays'), workdays: dates(doc.makeUpWorkdays ?? doc.workdays ?? [], doc.makeUpWorkdays ? 'makeUpWorkdays' : 'workdays') };
}

/** Reads a notice file's bytes: iCalendar when it starts with BEGIN:VCALENDAR, else JSON. */
export function readNotice(bytes: Buffer): ReadNotice {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const format = /^\s*BEGIN:VCALENDAR/i.test(text) ? 'icalendar' : 'json';
  const { holidays, workdays } = format === 'icalendar' ? parseICalendarNotice(text) : parseJsonNotice(text);
  const years = byYear(holidays, workdays);
  if (!years.length) throw new Error('The notice lists no dates');
  return { format, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), years };
}

/** The problems of each year (date both holiday and workday, incomplete year...), or an empty list. */
export function noticeProblems(notice: ReadNotice): { year: number; problems: string[] }[] {
  return notice.years.map((y) => ({ year: y.year, problems: holidayYearProblems(y) })).filter((y) => y.problems.length);
}

/** A stored year's `source`: the file's name and the start of its SHA-256. */
export function noticeSource(fileName: string, notice: ReadNotice): HolidayYear['source'] {
  return `import:${fileName}#sha256:${notice.sha256.slice(0, 16)}`;
}
