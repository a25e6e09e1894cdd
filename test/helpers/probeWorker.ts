// A time-skipping server with a worker for a test-only probe workflow whose only activity is the case's own writes
// (applyCaseWrites on the test database): the setup of the probe tests (thread replies, notice clocks).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { applyWritesIn } from '../../activities/caseWrites';
import type { CaseActivities } from '../../activities/types';
import { createDb, withPgTransaction, type Db } from '../../lib/db';
import { createTimeSkippingEnv } from '../../scripts/harness/timeSkipping';
import { requireEnv } from './env';

export interface ProbeWorker {
  env: TestWorkflowEnvironment;
  db: Db;
  taskQueue: string;
}

/** Registers beforeAll/afterAll that start and stop the probe's server, worker and database; read its fields in tests. */
export function probeWorker(taskQueue: string, workflowsPath: string): ProbeWorker {
  const probe = { taskQueue } as ProbeWorker;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const caseWrites: Pick<CaseActivities, 'applyCaseWrites'> = {
    applyCaseWrites: async (input) => {
      await withPgTransaction(probe.db, (client) => applyWritesIn(client, input.caseId, input.writes, null));
    },
  };
  beforeAll(async () => {
    probe.db = createDb(requireEnv('DATABASE_URL'), { maxConnections: 4 });
    probe.env = await createTimeSkippingEnv();
    worker = await Worker.create({ connection: probe.env.nativeConnection, taskQueue, workflowsPath, activities: caseWrites });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await probe.env?.teardown();
    await probe.db?.$disconnect();
  });
  return probe;
}
