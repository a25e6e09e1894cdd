// Turns a policy duration into a deadline, on the business calendar for working units (7.1).
import { addWorkingTime, workingTimeBetween, type BusinessCalendar } from './businessCalendar';
import type { PolicyDuration } from './schemas';

const HOUR = 3_600_000;
const UNIT_MS = { minutes: 60_000, hours: HOUR, days: 24 * HOUR } as const;

export function isWorkingUnit(d: PolicyDuration): boolean {
  return d.unit === 'working-hours' || d.unit === 'working-days';
}

function workdayMs(cal: BusinessCalendar): number {
  const [sh, sm] = cal.workdayStart.split(':').map(Number);
  const [eh, em] = cal.workdayEnd.split(':').map(Number);
  return (eh * 60 + em - (sh * 60 + sm)) * 60_000;
}

/** The duration in its own clock: calendar ms, or working ms for working units. */
export function durationMs(d: PolicyDuration, cal: BusinessCalendar): number {
  if (d.unit === 'working-hours') return Math.round(d.amount * HOUR);
  if (d.unit === 'working-days') return Math.round(d.amount * workdayMs(cal));
  return Math.round(d.amount * UNIT_MS[d.unit]);
}

/** Adds `ms` of the duration's clock (working or calendar time) to `from`. */
export function addClockTime(working: boolean, cal: BusinessCalendar, from: Date, ms: number): Date {
  return working ? addWorkingTime(cal, from, ms) : new Date(from.getTime() + ms);
}

/** Time of the duration's clock between two instants. */
export function clockTimeBetween(working: boolean, cal: BusinessCalendar, from: Date, to: Date): number {
  if (working) return workingTimeBetween(cal, from, to);
  return Math.max(0, to.getTime() - from.getTime());
}

export function deadlineFrom(from: Date, d: PolicyDuration, cal: BusinessCalendar): Date {
  return addClockTime(isWorkingUnit(d), cal, from, durationMs(d, cal));
}

export function describeDuration(d: PolicyDuration): string {
  return `${d.amount} ${d.unit}`;
}
