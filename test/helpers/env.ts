// Paths and settings shared by the test setup and the tests.
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TEST_DATA_DIR = path.join(ROOT, '.data', 'test');
export const WORKFLOW_BUNDLE_PATH = path.join(TEST_DATA_DIR, 'workflow-bundle.js');
export const STATE_FILE = path.join(TEST_DATA_DIR, 'global-state.json');

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through scripts/test (see README)`);
  return v;
}
