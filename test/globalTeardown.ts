import fs from 'node:fs';
import type { TestRunState } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as any).__CASEWORK_TEST_RUN__ as TestRunState | undefined;
  if (!state) return;
  if (state.devServerPid) {
    try {
      process.kill(-state.devServerPid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  fs.rmSync(state.bundlePath, { force: true });
  if (state.dbName && process.env.TEST_DATABASE_ADMIN_URL && process.env.TEST_KEEP_DATABASE !== '1') {
    const { Client } = require('pg');
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${state.dbName} WITH (FORCE)`);
    await admin.end();
  }
}
