// WORKER_MAX_CACHED_WORKFLOWS: the worker's cache bound (worker/worker.ts), validated like every setting; Worker Versioning
// (WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID).
import { ConfigError, loadConfig } from '../../lib/config';
import { maxCachedWorkflowsSetting, workerVersioningSetting } from '../../worker/worker';

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

test('Worker Versioning: off unless both settings are given; on, every case the worker starts is PINNED to its build', () => {
  expect(workerVersioningSetting({})).toBeNull();
  expect(workerVersioningSetting({ WORKER_DEPLOYMENT_NAME: '', WORKER_BUILD_ID: '' })).toBeNull();
  expect(workerVersioningSetting({ WORKER_DEPLOYMENT_NAME: 'casework', WORKER_BUILD_ID: 'b42' })).toEqual({
    version: { deploymentName: 'casework', buildId: 'b42' },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'PINNED',
  });
  expect(loadConfig({ WORKER_DEPLOYMENT_NAME: 'casework', WORKER_BUILD_ID: 'b42' })).toMatchObject({ WORKER_DEPLOYMENT_NAME: 'casework', WORKER_BUILD_ID: 'b42' });
});

test.each([
  [{ WORKER_BUILD_ID: 'b42' }, /WORKER_DEPLOYMENT_NAME is not set/],
  [{ WORKER_DEPLOYMENT_NAME: 'casework' }, /WORKER_BUILD_ID is not set/],
  [{ WORKER_DEPLOYMENT_NAME: 'case.work', WORKER_BUILD_ID: 'b42' }, /WORKER_DEPLOYMENT_NAME: no dots or spaces/],
])('a half or bad Worker Versioning setting %p stops start-up naming the variable', (env, message) => {
  expect(() => workerVersioningSetting(env)).toThrow(ConfigError);
  expect(() => workerVersioningSetting(env)).toThrow(message);
  expect(() => loadConfig(env)).toThrow(message);
});
