// Where the test run keeps its data and its workflow bundle: shared by the test setup (test/) and the workflow harness.
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TEST_DATA_DIR = path.join(ROOT, '.data', 'test');
/** Per test run (set by globalSetup), so concurrent runs never share a bundle. */
export const WORKFLOW_BUNDLE_PATH = process.env.TEST_WORKFLOW_BUNDLE ?? path.join(TEST_DATA_DIR, `workflow-bundle-${process.pid}.js`);
