// Paths and settings shared by the test setup and the tests.
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TEST_DATA_DIR = path.join(ROOT, '.data', 'test');
/** Per test run (set by globalSetup), so concurrent runs never share a bundle. */
export const WORKFLOW_BUNDLE_PATH = process.env.TEST_WORKFLOW_BUNDLE ?? path.join(TEST_DATA_DIR, `workflow-bundle-${process.pid}.js`);

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through scripts/test (see README)`);
  return v;
}
