// The test harness's "warranty ending today" delivery (scripts/harness/bodies.ts), checked on the days where the month
// `months` before has no corresponding day: the API and workflow tests that use it must hold on any date they run.
import '../../policy/nationalHolidays';
import { defaultBusinessCalendar, monthPeriodEndsAt } from '../../policy/businessCalendar';
import { warrantyEndingToday } from '../../scripts/harness/bodies';

const endOfLocalDay = (isoDate: string) => new Date(`${isoDate}T00:00:00+08:00`).getTime() + 86_400_000;

afterEach(() => jest.useRealTimers());

test.each([
  ['2026-12-03', 12],
  ['2028-02-29', 11], // no 29 February in 2027: 11 months from 29 March 2027
  ['2027-03-31', 12],
  ['2027-12-31', 12],
  ['2027-05-31', 12],
  ['2027-01-01', 12],
])('on %s the period of %i months from the delivery ends at 24:00 that day', (today, months) => {
  jest.useFakeTimers({ now: new Date(`${today}T12:00:00+08:00`), doNotFake: ['setTimeout', 'setImmediate', 'nextTick'] });
  const w = warrantyEndingToday(12);
  expect(w.warrantyMonths).toBe(months);
  const ends = monthPeriodEndsAt(defaultBusinessCalendar, new Date(w.deliveredAt), w.warrantyMonths, { extendOverHolidays: false });
  expect(ends.getTime()).toBe(endOfLocalDay(today));
  expect(new Date(w.deliveredAt).getTime() % 86_400_000).toBe(16 * 3_600_000); // 00:00 in Shanghai
});
