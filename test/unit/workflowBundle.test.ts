// An idle case costs its state and nothing more: no zod is evaluated when a workflow starts or replays. Each
// workflow execution evaluates its own instance of every bundled module, so workflows import plain code and
// data, and reach the zod schemas (policy/*.schemas.ts) only lazily, to validate a live update
// (policy/lazySchema.ts). Proof: a bundle in which zod itself throws when evaluated replays every committed
// history; the same bundle with one module that evaluates a schema module at start does not.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowInterceptorModules } from '../../worker/worker';
import { WORKFLOW_BUNDLE_PATH } from '../helpers/env';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';

/** The message of the stand-in (test/helpers/zodUnavailable.ts). */
const ZOD_UNAVAILABLE = 'zod was evaluated in a workflow';

const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));

/** The worker's bundle, with 'zod' resolved to a module that throws when evaluated. */
async function bundleWithoutZod(extraModules: string[] = []): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: caseWorkflowsPath(),
    workflowInterceptorModules: [...workflowInterceptorModules, ...extraModules],
    logger: new DefaultLogger('ERROR'),
    webpackConfigHook: (config) => ({
      ...config,
      resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as Record<string, string | false>), zod$: require.resolve('../helpers/zodUnavailable') } },
    }),
  });
  return code;
}

let code: string;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    /* installed already */
  }
  code = await bundleWithoutZod();
});

test('zod is in the bundle only as the stand-in, reached lazily', () => {
  expect(code).toContain(ZOD_UNAVAILABLE);
  expect(code).not.toMatch(/node_modules\/zod\//);
});

test('every committed history replays with zod unavailable: no workflow evaluates zod when it starts, waits or replays', async () => {
  expect(files.length).toBeGreaterThan(0);
  const results: { file: string; error?: string }[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, files.map((f) => ({ workflowId: f, history: load(f) })))) {
    results.push({ file: r.workflowId, ...(r.error && { error: r.error.message }) });
  }
  expect(results).toEqual(files.map((file) => ({ file })));
});

test('the stand-in bites: a module that evaluates a schema module at start fails replay', async () => {
  const eager = await bundleWithoutZod([require.resolve('../helpers/eagerSchemas')]);
  const file = files.find((f) => f.startsWith('returnWithin7Days.'))!;
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code: eager } }, [{ workflowId: file, history: load(file) }])) results.push(r);
  expect(results).toHaveLength(1);
  expect(results[0].error?.message).toContain(ZOD_UNAVAILABLE);
});

// zod itself is evaluated once per sandbox, before any workflow (worker/worker.ts workflowPreloadModules), and shared
// by every case that validates an update. A bare `require('zod')` there would be dropped by webpack (zod declares
// itself free of side effects), so the preload is a module of ours that uses it.
test("the worker's bundle preloads zod through workflows/sharedZod.ts, kept by webpack", () => {
  const bundle = fs.readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8');
  const preload = /exports\.preloadModules = function preloadModules\(\) \{([\s\S]*?)\n\}/.exec(bundle)?.[1] ?? '';
  expect(preload).toContain('./workflows/sharedZod.ts');
  expect(bundle).toMatch(/node_modules\/zod\//);
});
