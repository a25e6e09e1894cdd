// The fault stage's plan (scripts/chaos): its short policy is a valid document whose every window is minutes, its load
// covers every process of the catalogue (a process without a journey stops it), and its faults are reproducible from
// the seed, each kind as often as asked, inside the window.
import { processes } from '../../processes';
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { plan, SCENARIOS } from '../../scripts/faults/load';
import { shortPolicy } from '../../scripts/faults/policy';
import { FAULT_KINDS, planFaults } from '../../scripts/faults/schedule';

const durations = (v: unknown, at = ''): [string, unknown][] => {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (Object.keys(v).sort().join() === 'amount,unit') return [[at, v]];
    return Object.entries(v).flatMap(([k, x]) => durations(x, `${at}.${k}`));
  }
  return [];
};

test('the short policy validates, keeps the calendar, and every window of every process is the given minutes', () => {
  const p = shortPolicy(2);
  expect(() => parsePolicy(p)).not.toThrow();
  expect(p.calendar).toEqual(defaultPolicy.calendar);
  const { calendar: _c, ...sections } = p;
  const all = durations(sections);
  expect(all.length).toBe(durations((({ calendar: _x, ...rest }) => rest)(defaultPolicy)).length);
  expect(all.length).toBeGreaterThan(50);
  expect(all.filter(([, d]) => JSON.stringify(d) !== JSON.stringify({ amount: 2, unit: 'minutes' }))).toEqual([]);
});

test('the load covers every process of the catalogue in turn, each one’s journeys in turn; a process without one stops it', () => {
  const cases = plan(processes.length * 4);
  for (const p of processes) {
    const mine = cases.filter((c) => c.caseType === p.caseType);
    expect({ type: p.caseType, n: mine.length }).toEqual({ type: p.caseType, n: 4 });
    expect(new Set(mine.map((c) => c.scenario.name))).toEqual(new Set(SCENARIOS[p.caseType].map((s) => s.name)));
  }
  expect(() => plan(10, [...processes, { caseType: 'gift_card_dispute' }])).toThrow('no load scenario for gift_card_dispute');
});

test('faults: the same seed gives the same schedule; each kind as often as asked, inside the window, in time order', () => {
  const a = planFaults(42, 3, 600);
  expect(planFaults(42, 3, 600)).toEqual(a);
  expect(planFaults(43, 3, 600)).not.toEqual(a);
  for (const k of FAULT_KINDS) expect(a.filter((f) => f.kind === k)).toHaveLength(3);
  expect(a.every((f) => f.atSeconds >= 20 && f.atSeconds <= 600 && f.downSeconds >= 1 && f.downSeconds <= 5)).toBe(true);
  expect(a.map((f) => f.atSeconds)).toEqual([...a.map((f) => f.atSeconds)].sort((x, y) => x - y));
});
