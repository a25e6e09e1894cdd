// The day a kept case record is purged from (lib/keptRecords.ts): 3 years after the transaction (电子商务法 art. 31),
// counted as the Civil Code counts years (arts. 201-203: from the next local day, to 24:00 of the corresponding day of
// the last month, or that month's last day), in China Standard Time, not moved over holidays.
import { caseRecordRules, purgeDayOfCaseRecord } from '../../lib/keptRecords';
import { caseRecordTables } from '../../lib/personalData';

test('a case record is purged from the day after the corresponding day 36 months on, local days of Asia/Shanghai', () => {
  // Closed on 15 March 2026 (local): kept through 15 March 2029, purged from the 16th.
  expect(purgeDayOfCaseRecord(new Date('2026-03-15T04:00:00Z'))).toBe('2029-03-16');
  // 23:30 UTC is already the next local day (UTC+8): the period counts from that day.
  expect(purgeDayOfCaseRecord(new Date('2026-03-15T23:30:00Z'))).toBe('2029-03-17');
  // 29 February has no corresponding day in 2027: the month's last day ends it (art. 202).
  expect(purgeDayOfCaseRecord(new Date('2024-02-29T02:00:00Z'))).toBe('2027-03-01');
  // A last day on a holiday is not moved (a retention is a minimum, not an act due): 1 October 2029 stays the last.
  expect(purgeDayOfCaseRecord(new Date('2026-10-01T02:00:00Z'))).toBe('2029-10-02');
});

test('the rules that keep a case record, and the tables it is deleted from', () => {
  expect(caseRecordRules().sort()).toEqual(['repairRecord', 'transactionRecord']);
  const tables = caseRecordTables().map((t) => t.table);
  expect(tables).toEqual(expect.arrayContaining(['cases', 'tasks', 'audit_events', 'notifications', 'payments', 'repair_items', 'case_links', 'task_notes', 'thread_messages', 'attachments']));
  // A record with a period of its own is left to its own rule (an access record, a request record, a held mail).
  for (const own of ['personal_data_reads', 'personal_data_requests', 'inbound_mail_quarantine', 'mail_intakes']) expect(tables).not.toContain(own);
});
