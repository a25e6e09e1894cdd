// Reading a State Council notice for `scripts/calendar import` (lib/calendarImport.ts): iCalendar through ical.js, or
// JSON; checked before anything is stored.
import fs from 'node:fs';
import path from 'node:path';
import { noticeProblems, noticeSource, readNotice } from '../../lib/calendarImport';
import { packagedHolidayYears } from '../../policy/nationalHolidays';
import { SAMPLE_NOTICE_2027 } from '../../scripts/scenarios/warrantyRepair.calendar';
import { WORKFLOW_BUNDLE_PATH } from '../helpers/env';

const pkg = (f: string) => fs.readFileSync(require.resolve(`chinese-days/dist/years/${f}`));
const fixture = (f: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'calendar', f));
const official2026 = () => {
  const { year, holidays, makeUpWorkdays } = packagedHolidayYears().get(2026)!;
  return { year, holidays, makeUpWorkdays };
};

test.each(['2026.ics', '2026.en.ics', '2026.json'])('chinese-days %s reads as the 2026 notice', (file) => {
  const notice = readNotice(pkg(file));
  expect(notice.format).toBe(file.endsWith('.json') ? 'json' : 'icalendar');
  expect(notice.years).toEqual([official2026()]);
  expect(noticeProblems(notice)).toEqual([]);
});

test('the sample 2027 notice (iCalendar): holidays and make-up workdays by day, valid, with its file hash', () => {
  const notice = readNotice(fixture('sample-2027.ics'));
  const { year, holidays, makeUpWorkdays } = SAMPLE_NOTICE_2027;
  expect(notice.years).toEqual([{ year, holidays, makeUpWorkdays }]);
  expect(noticeProblems(notice)).toEqual([]);
  expect(notice.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(noticeSource('sample-2027.ics', notice)).toBe(`import:sample-2027.ics#sha256:${notice.sha256.slice(0, 16)}`);
});

test('our JSON form (what `scripts/calendar show` prints) reads back', () => {
  const json = Buffer.from(JSON.stringify({ year: 2027, holidays: SAMPLE_NOTICE_2027.holidays, makeUpWorkdays: SAMPLE_NOTICE_2027.makeUpWorkdays }));
  expect(readNotice(json).years[0].makeUpWorkdays).toEqual(SAMPLE_NOTICE_2027.makeUpWorkdays);
});

test('a notice with a date both holiday and workday, and without the statutory days, is refused', () => {
  const problems = noticeProblems(readNotice(fixture('invalid-2027.json')));
  expect(problems).toHaveLength(1);
  expect(problems[0].year).toBe(2027);
  expect(problems[0].problems).toContain('2027-01-01 is both a holiday and a make-up workday');
  expect(problems[0].problems.filter((p) => p.startsWith('incomplete:'))).toHaveLength(6);
});

test('files that are not notices are refused with the reason', () => {
  expect(() => readNotice(Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n'))).toThrow('no events');
  expect(() => readNotice(Buffer.from('{"holidays": ["1 Jan"]}'))).toThrow('YYYY-MM-DD');
  expect(() => readNotice(Buffer.from('not json'))).toThrow('Not a JSON file');
  const timed = 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270101T090000\r\nSUMMARY:元旦(休)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  expect(() => readNotice(Buffer.from(timed))).toThrow('not an all-day event');
  const unclear = 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:元旦\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  expect(() => readNotice(Buffer.from(unclear))).toThrow('cannot tell a holiday');
});

test('workflows never bundle the holiday package or the module that reads it', () => {
  const bundle = fs.readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8');
  expect(bundle).toContain('"./policy/businessCalendar.ts"'); // the calendar functions are there, named so
  expect(bundle).not.toContain('./node_modules/chinese-days/');
  expect(bundle).not.toContain('"./policy/nationalHolidays.ts"');
});
