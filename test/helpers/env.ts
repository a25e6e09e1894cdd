// Paths and settings shared by the test setup and the tests.
export { ROOT, TEST_DATA_DIR, WORKFLOW_BUNDLE_PATH } from '../../scripts/harness/paths';

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through scripts/test (see README)`);
  return v;
}
