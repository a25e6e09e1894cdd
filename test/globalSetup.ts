// Once per test run: bundle the workflows, migrate a fresh PostgreSQL database, start a real
// Temporal dev server (for API/integration tests). Time-skipping servers start per test file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { applyMigrationsToEmptyDatabase } from '../lib/migrations';
import { resolveTemporalCli, startDevServer } from '../scripts/tools';
import { caseBundleOptions } from '../worker/worker';
import { ROOT, TEST_DATA_DIR, WORKFLOW_BUNDLE_PATH } from './helpers/env';
import { workflowStackTracesOffUnlessSet } from '../worker/workflowSandbox';


/**
 * `prisma migrate deploy`, done as soon as it reports success: the CLI idles about 10 s on an engine timer
 * before it exits, which every test run would otherwise wait for.
 */
function migrate(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/prisma', 'migrate', 'deploy'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let done = false;
    const collect = (d: Buffer) => {
      output += d;
      if (!done && /All migrations have been successfully applied\.|No pending migrations to apply\./.test(output)) {
        done = true;
        child.kill('SIGTERM');
        resolve();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => {
      if (done) return;
      if (code === 0) resolve();
      else reject(new Error(`prisma migrate deploy failed (exit ${code}):\n${output}`));
    });
  });
}

function step(msg: string): void {
  process.stderr.write(`\n[test-setup] ${msg}`);
}

/** Shared with globalTeardown, which jest runs in the same process. */
export interface TestRunState {
  bundlePath: string;
  devServerPid?: number;
  dbName?: string;
}

export default async function globalSetup(): Promise<void> {
  fs.mkdirSync(TEST_DATA_DIR, { recursive: true });
  const t0 = Date.now();
  // Every worker in the test run's processes as production runs them: no workflow stack-trace hook (lib/config.ts
  // WORKER_WORKFLOW_STACK_TRACES). Set here because jest's sandboxed process.env never reaches a workflow thread.
  workflowStackTracesOffUnlessSet();

  step('bundling workflows');
  const { code } = await bundleWorkflowCode({ ...caseBundleOptions(), logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as any });
  fs.writeFileSync(WORKFLOW_BUNDLE_PATH, code);
  process.env.TEST_WORKFLOW_BUNDLE = WORKFLOW_BUNDLE_PATH;
  const state: TestRunState = { bundlePath: WORKFLOW_BUNDLE_PATH };
  (globalThis as any).__CASEWORK_TEST_RUN__ = state;

  let migrating: Promise<void> = Promise.resolve();
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
  if (adminUrl) {
    const dbName = `casework_test_${process.pid}`;
    step(`creating database ${dbName}`);
    const { Client } = require('pg');
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${dbName}`;
    process.env.DATABASE_URL = url.toString();
    process.env.TEST_DATABASE_NAME = dbName;
    step('applying migrations (alongside the dev server start)');
    // A database created a moment ago: every migration in one pass, as the dev system migrates an empty database
    // (lib/migrations.ts); `prisma migrate deploy` when that pass declines.
    const databaseUrl = process.env.DATABASE_URL;
    migrating = applyMigrationsToEmptyDatabase(databaseUrl).then((r) => ('applied' in r ? undefined : migrate(process.env)));
    migrating.catch(() => undefined); // reported where it is awaited, after the dev server start
  }

  const cli = resolveTemporalCli();
  if (cli.kind === 'existing-path' && process.env.TEST_SKIP_DEV_SERVER !== '1') {
    const logFile = `${TEST_DATA_DIR}/temporal-dev-${process.pid}.log`;
    step(`starting Temporal dev server (${cli.source}; log ${logFile})`);
    const { address, child } = await startDevServer({
      cliPath: cli.path,
      logFile,
      extraArgs: ['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'],
      detached: true,
    });
    state.devServerPid = child.pid;
    child.unref();
    process.env.TEMPORAL_TEST_ADDRESS = address;
  }
  await migrating;
  state.dbName = process.env.TEST_DATABASE_NAME;
  step(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
}
