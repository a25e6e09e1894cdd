// Determinism guard: every committed history must replay against the current workflow code.
// Regenerate fixtures only for an intentional, versioned change: `npx tsx scripts/record-histories.ts`.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/timeSkipping';

const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

function returnHistories() {
  return files.filter((f) => f.startsWith('returnWithin7Days.')).map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) }));
}

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    /* installed already */
  }
});

test('fixtures exist for the return workflow', () => {
  expect(files.filter((f) => f.startsWith('returnWithin7Days.')).length).toBeGreaterThanOrEqual(3);
});

test.each(files)('%s replays without nondeterminism', async (file) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  const bundle = workflowBundle();
  await expect(
    Worker.runReplayHistory(bundle ? { workflowBundle: bundle } : { workflowsPath: require.resolve('../../workflows') }, history, file),
  ).resolves.toBeUndefined();
});

test('a changed workflow fails replay (the guard is not vacuous)', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./nondeterministic/workflows'), logger: new DefaultLogger('ERROR') });
  const results = [];
  const histories = returnHistories();
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories)) results.push(r);
  expect(results).toHaveLength(histories.length);
  for (const r of results) {
    expect(r.error).toBeDefined();
    expect(r.error!.name).toMatch(/DeterminismViolationError/);
  }
});
