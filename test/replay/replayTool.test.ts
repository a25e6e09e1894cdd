// The auditor's replay tool (scripts/replay.ts) end to end: one JSON line per history in the order given, a mismatch
// and an unreadable file reported on their lines and in the exit code, the same answers in one process and in two.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const fixtures = path.join(ROOT, 'test', 'fixtures', 'histories');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-tool-')); // its own bundle cache
const files = fs.readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort().slice(0, 3).map((f) => path.join(fixtures, f));

// A committed history with one activity renamed: the code schedules another one, so it must not replay.
const broken = path.join(dataDir, 'renamed-activity.json');
beforeAll(() => {
  const source = fs.readdirSync(fixtures).find((f) => f.endsWith('.json') && fs.readFileSync(path.join(fixtures, f), 'utf8').includes('activityTaskScheduledEventAttributes'))!;
  const h = JSON.parse(fs.readFileSync(path.join(fixtures, source), 'utf8'));
  h.events.find((e: any) => e.activityTaskScheduledEventAttributes).activityTaskScheduledEventAttributes.activityType.name = 'notTheActivityTheCodeSchedules';
  fs.writeFileSync(broken, JSON.stringify(h));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function replay(jobs: number) {
  const inputs = [files[0], broken, path.join(dataDir, 'missing.json'), ...files.slice(1)];
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', '--jobs', String(jobs), ...inputs.flatMap((f) => ['--file', f])], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  return { status: r.status, lines, inputs, stderr: r.stderr };
}

test.each([1, 2])('--jobs %i: every history on its line, in order; exit code 1 for the mismatch and the missing file', (jobs) => {
  const { status, lines, inputs, stderr } = replay(jobs);
  expect(lines.slice(0, -1).map((l) => [l.n, l.workflowId, l.result])).toEqual([
    [1, inputs[0], 'replayed'],
    [2, inputs[1], 'MISMATCH'],
    [3, inputs[2], 'ERROR'],
    [4, inputs[3], 'replayed'],
    [5, inputs[4], 'replayed'],
  ]);
  expect(lines[1].error).toMatch(/notTheActivityTheCodeSchedules/);
  expect(lines.at(-1).summary).toMatchObject({ replayed: 3, mismatched: 1, errors: 1, jobs });
  expect(status).toBe(1);
  expect(stderr).toMatch(/workflow bundle (built|reused)/);
});
