// The business calendar's zod schema: the policy document's calendar is validated with it where it enters
// (processes/policyDocument.ts parsePolicy). Workflows never evaluate it: the calendar functions (businessCalendar.ts)
// take a calendar as valid and check its structure without zod.
import { z } from 'zod';
import { calendarDefaults, isValidTimeZone, parseLocalDate, parseTimeMinutes, TIME_RE, type BusinessCalendar } from './businessCalendar';

const localDateSchema = z
  .string()
  .refine((s) => parseLocalDate(s) !== undefined, { message: 'Expected a real date in YYYY-MM-DD format' });

const timeSchema = z.string().regex(TIME_RE, { message: 'Expected HH:MM (00:00-23:59, or 24:00)' });

export const businessCalendarSchema = z
  .object({
    /** IANA time zone, e.g. 'Asia/Shanghai'. */
    timeZone: z
      .string()
      .refine(isValidTimeZone, { message: 'Unknown IANA time zone' })
      .default(calendarDefaults.timeZone),
    /** Local start of the working period, 'HH:MM'. */
    workdayStart: timeSchema.default(calendarDefaults.workdayStart),
    /** Local end of the working period (exclusive), 'HH:MM'; '24:00' = midnight. */
    workdayEnd: timeSchema.default(calendarDefaults.workdayEnd),
    /** ISO weekdays that are working days: 1=Mon .. 7=Sun. */
    workingWeekdays: z.array(z.number().int().min(1).max(7)).default(calendarDefaults.workingWeekdays),
    /** Local dates that are NOT working days even on a working weekday. */
    holidays: z.array(localDateSchema).default(() => []),
    /** Local dates that ARE working days even on a weekend (调休). */
    makeUpWorkdays: z.array(localDateSchema).default(() => []),
    /** The version of the national holiday data (policy/nationalHolidays.ts), when the dates come from it. */
    version: z.string().min(1).optional(),
    /** Years covered by a State Council notice. */
    officialYears: z.array(z.number().int()).optional(),
    /** Years with only the statutory holidays (全国年节及纪念日放假办法), computed: deadlines over them are provisional. */
    provisionalYears: z.array(z.number().int()).optional(),
  })
  .refine((c) => parseTimeMinutes(c.workdayEnd) > parseTimeMinutes(c.workdayStart), {
    message: 'workdayEnd must be after workdayStart',
    path: ['workdayEnd'],
  })
  .refine((c) => !(c.officialYears ?? []).some((y) => (c.provisionalYears ?? []).includes(y)), {
    message: 'A year cannot be both official and provisional',
    path: ['provisionalYears'],
  })
  .refine((c) => !c.makeUpWorkdays.some((d) => c.holidays.includes(d)), {
    message: 'A date cannot be both a holiday and a make-up workday',
    path: ['makeUpWorkdays'],
  });

/** The schema's output is the BusinessCalendar interface, field for field (checked by the compiler). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const parsesToBusinessCalendar: Same<z.output<typeof businessCalendarSchema>, BusinessCalendar> = true;
