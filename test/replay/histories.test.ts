// Determinism guard: every committed history must replay against the current workflow code.
// Committed histories are never modified or re-recorded (scripts/check-history-fixtures.ts enforces it): a change
// to a workflow's commands goes behind patched()/deprecatePatch(), and new behaviour gets a NEW fixture
// (`npx tsx scripts/record-histories.ts <new-scenario-name-prefix>`).
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { processes } from '../../processes';
import { caseBundleOptions } from '../../worker/worker';
import type { WorkflowChange } from './changes/changes';
import { workflowBundle } from '../../scripts/harness/timeSkipping';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';

const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** Fixture names are `<workflowType>.<scenario>.json`. */
const workflowTypeOf = (file: string) => file.split('.')[0];
const workflowTypes = [...new Set(files.map(workflowTypeOf))].sort();

function load(file: string) {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
}

/** Activities and local activities (a local activity is recorded as a marker) in the order the history has them. */
function scheduledActivities(file: string): string[] {
  return (load(file).events ?? []).flatMap((e) => {
    if (e.activityTaskScheduledEventAttributes) return [e.activityTaskScheduledEventAttributes.activityType?.name ?? ''];
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') return ['(local)'];
    return [];
  });
}

beforeAll(() => {
  try {
    // Core reports each expected nondeterminism below as a WARN; only errors are of interest here.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    /* installed already */
  }
});

test('every workflow type the worker runs has committed histories, named after the type they record', () => {
  const exported = processes.map((p) => p.workflow.name).sort();
  expect(exported.length).toBeGreaterThan(0);
  expect({ workflowsWithoutFixtures: exported.filter((t) => !workflowTypes.includes(t)) }).toEqual({ workflowsWithoutFixtures: [] });
  expect({ fixturesOfUnknownTypes: workflowTypes.filter((t) => !exported.includes(t)) }).toEqual({ fixturesOfUnknownTypes: [] });
  for (const f of files) {
    const started = load(f).events?.[0]?.workflowExecutionStartedEventAttributes;
    expect({ file: f, workflowType: started?.workflowType?.name }).toEqual({ file: f, workflowType: workflowTypeOf(f) });
  }
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  const bundle = workflowBundle();
  await expect(
    Worker.runReplayHistory(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }, history, file),
  ).resolves.toBeUndefined();
});

// The guard is not vacuous: the same histories against deliberately changed code (every workflow type, through a
// test-only interceptor in ./changes) must fail with the SDK's nondeterminism error, not pass and not fail otherwise.
async function changedBundle(change: WorkflowChange): Promise<string> {
  const { code } = await bundleWorkflowCode({
    ...caseBundleOptions(),
    workflowInterceptorModules: [...caseBundleOptions().workflowInterceptorModules, require.resolve(`./changes/${change}`)],
    logger: new DefaultLogger('ERROR'),
  });
  return code;
}

async function replayType(code: string, workflowType: string) {
  const histories = files.filter((f) => workflowTypeOf(f) === workflowType).map((f) => ({ workflowId: f, history: load(f) }));
  expect(histories.length).toBeGreaterThan(0);
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories)) results.push(r);
  expect(results.map((r) => r.workflowId)).toEqual(histories.map((h) => h.workflowId));
  return results;
}

test.each(files)('%s schedules enough activities for every deliberate change to land inside it', (file) => {
  // The changes touch the 2nd and 3rd activity; later commands in the history make the mismatch observable.
  expect(scheduledActivities(file).length).toBeGreaterThanOrEqual(4);
});

describe('the replay harness with a no-op interceptor', () => {
  let code: string;
  beforeAll(async () => {
    code = await changedBundle('unchanged');
  });
  test.each(workflowTypes)('%s histories replay', async (workflowType) => {
    const results = await replayType(code, workflowType);
    expect(results.map((r) => [r.workflowId, r.error?.message])).toEqual(results.map((r) => [r.workflowId, undefined]));
  });
});

const changes: WorkflowChange[] = ['timerBeforeThirdActivity', 'otherActivityAtSecond', 'extraActivityBeforeSecond'];

describe.each(changes)('a changed workflow fails replay: %s', (change) => {
  let code: string;
  beforeAll(async () => {
    code = await changedBundle(change);
  });
  test.each(workflowTypes)('%s histories fail with a nondeterminism error', async (workflowType) => {
    const results = await replayType(code, workflowType);
    expect(results.map((r) => [r.workflowId, r.error?.name])).toEqual(results.map((r) => [r.workflowId, 'DeterminismViolationError']));
    for (const r of results) {
      expect(r.error).toBeInstanceOf(DeterminismViolationError);
      expect(r.error!.message).toMatch(/nondeterminism/i);
    }
  });
});
