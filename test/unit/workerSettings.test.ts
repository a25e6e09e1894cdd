// WORKER_MAX_CACHED_WORKFLOWS: the worker's cache bound (worker/worker.ts), validated like every setting.
import { ConfigError, loadConfig } from '../../lib/config';
import { maxCachedWorkflowsSetting } from '../../worker/worker';

test('the cache bound defaults to 500 and takes a whole number', () => {
  expect(maxCachedWorkflowsSetting({})).toBe(500);
  expect(maxCachedWorkflowsSetting({ WORKER_MAX_CACHED_WORKFLOWS: '' })).toBe(500);
  expect(maxCachedWorkflowsSetting({ WORKER_MAX_CACHED_WORKFLOWS: '500' })).toBe(500);
  expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '750' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(750);
});

test.each(['many', '-1', '1.5'])('a bad cache bound %p stops start-up naming the variable', (value) => {
  expect(() => maxCachedWorkflowsSetting({ WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(ConfigError);
  expect(() => maxCachedWorkflowsSetting({ WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
});
