// The national holiday data a running case reads when it computes a deadline over a year it has only provisionally
// (or not at all): the data in force now, imports included (lib/calendarStore.ts). Called as a local activity, so the
// answer is recorded in the case's history and a replay computes the same deadline.
import type { CalendarYearData } from '../policy/businessCalendar';
import { readImportedYears, snapshotOf } from '../lib/calendarStore';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';

export interface ResolveCalendarInput {
  caseId: string;
  /** The years wanted (local years of the calendar's time zone). */
  years: number[];
}

export interface ResolvedCalendar {
  /** The version of the whole data set the years were read from. */
  version: string;
  years: CalendarYearData[];
}

export function calendarActivities(deps: { db: Db; logger: Logger }) {
  return {
    async resolveCalendar(input: ResolveCalendarInput): Promise<ResolvedCalendar> {
      const snapshot = snapshotOf(await readImportedYears(deps.db));
      const wanted = new Set(input.years);
      const years = snapshot.years.filter((y) => wanted.has(y.year)).map(({ year, status, holidays, makeUpWorkdays }) => ({ year, status, holidays, makeUpWorkdays }));
      deps.logger.info({ caseId: input.caseId, calendarVersion: snapshot.version, years: years.map((y) => `${y.year}:${y.status}`) }, 'calendar years read by a case');
      return { version: snapshot.version, years };
    },
  };
}
