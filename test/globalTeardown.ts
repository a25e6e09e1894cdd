import fs from 'node:fs';
import { STATE_FILE } from './helpers/env';

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as { devServerPid?: number; dbName?: string };
  if (state.devServerPid) {
    try {
      process.kill(-state.devServerPid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  if (state.dbName && process.env.TEST_DATABASE_ADMIN_URL && process.env.TEST_KEEP_DATABASE !== '1') {
    const { Client } = require('pg');
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${state.dbName} WITH (FORCE)`);
    await admin.end();
  }
}
