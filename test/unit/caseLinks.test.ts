// The test hook for processes the catalogue does not have yet, and how a link reads from the other case.
import { LINK_SEEN_FROM_THE_OTHER_CASE } from '../../activities/caseLinks';
import { CASE_LINK_TYPES } from '../../activities/types';
import { processes, processOf, registerTestProcess } from '../../processes';
import { complaintStubProcess } from '../helpers/complaintStub';

test('a registered test process is found by its case type, never listed in the catalogue, and goes again', () => {
  expect(processOf('complaint_stub')).toBeUndefined();
  const unregister = registerTestProcess(complaintStubProcess);
  try {
    expect(processOf('complaint_stub')).toBe(complaintStubProcess);
    expect(processes.map((p) => p.caseType)).not.toContain('complaint_stub');
  } finally {
    unregister();
  }
  expect(processOf('complaint_stub')).toBeUndefined();
});

test('the hook is refused in production, and cannot replace a process of the catalogue', () => {
  expect(() => registerTestProcess(complaintStubProcess, { NODE_ENV: 'production' })).toThrow(/refused in production/);
  expect(() => registerTestProcess({ ...complaintStubProcess, caseType: 'return' })).toThrow(/already has the process return/);
  expect(processOf('complaint_stub')).toBeUndefined();
});

test('a link read from the other case: handed over to ↔ escalated from, related both ways', () => {
  expect(LINK_SEEN_FROM_THE_OTHER_CASE).toEqual({ handed_over_to: 'escalated_from', escalated_from: 'handed_over_to', related: 'related' });
  for (const t of CASE_LINK_TYPES) expect(LINK_SEEN_FROM_THE_OTHER_CASE[LINK_SEEN_FROM_THE_OTHER_CASE[t]]).toBe(t);
});
