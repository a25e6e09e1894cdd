// A time-skipping Temporal test environment with a worker on fake activities.
import fs from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { executableOption, resolveTestServer } from '../tools';
import { registerSearchAttributes } from '../../lib/temporal';
import { defaultPolicy, type PolicyConfig } from '../../processes/policyDocument';
import { caseCalendar } from '../../lib/calendarStore';
import { carrierDeliveredSignal, caseStateQuery, type CaseView } from '../../workflows/definitions';
import { createFakeActivities } from './fakeActivities';
import { WORKFLOW_BUNDLE_PATH } from './paths';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';

let runtimeInstalled = false;

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const server = resolveTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: executableOption(server) } });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** The bundle built by the test run's global setup; outside jest, workflows are bundled fresh. */
export function workflowBundle() {
  return process.env.JEST_WORKER_ID && fs.existsSync(WORKFLOW_BUNDLE_PATH) ? { codePath: WORKFLOW_BUNDLE_PATH } : undefined;
}

/** A worker of the case workflows (the test run's bundle, or bundled fresh) with these activities, on the test server. */
export function caseWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: object): Promise<Worker> {
  const bundle = workflowBundle();
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    activities,
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }),
  });
}

export async function fakeWorker(env: TestWorkflowEnvironment, taskQueue: string) {
  const fake = createFakeActivities();
  return { worker: await caseWorker(env, taskQueue, fake.activities), fake };
}

export function testPolicy(patch: (p: PolicyConfig) => void = () => {}): PolicyConfig {
  const p = structuredClone(defaultPolicy) as PolicyConfig;
  // As the API opens a case: the holiday years it can reach, not every year since 2004 (lib/calendarStore.ts).
  p.calendar = caseCalendar(p.calendar, new Date());
  patch(p);
  return p;
}

/** Polls the case query until `predicate` holds (no time passes on the test server while querying). */
export async function waitForState(handle: WorkflowHandle, predicate: (v: CaseView) => boolean, label = 'state'): Promise<CaseView> {
  for (let i = 0; i < 200; i++) {
    try {
      const v = await handle.query(caseStateQuery);
      if (predicate(v)) return v;
    } catch {
      /* the first workflow task may not have run yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${label}`);
}

export const openTaskOf = (v: CaseView, type: string) => v.tasks.find((t) => t.type === type && t.status === 'open');

/**
 * executeUpdate, retried when the Java test server loses an in-flight update ("update … not found"),
 * which it occasionally does when the update races a workflow task. Validator refusals are not retried.
 */
export async function executeUpdate<Ret, Args extends [any, ...any[]]>(
  handle: WorkflowHandle,
  def: UpdateDefinition<Ret, Args>,
  options: { args: Args },
): Promise<Ret> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.executeUpdate(def, options as any);
    } catch (err) {
      if (attempt >= 6 || !(err instanceof WorkflowNotFoundError) || !/update .* not found/i.test(err.message)) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt)); // let the in-flight workflow task settle
    }
  }
}

let deliveries = 0;
/**
 * The carrier's delivery event for a parcel, as POST /v1/webhooks/carrier signals it: delivered `agoMs` before the
 * server's now. Returns the event sent (send it again to check that a repeat changes nothing).
 */
export async function deliverParcel(env: TestWorkflowEnvironment, handle: WorkflowHandle, trackingNumber: string, agoMs = 0) {
  const event = { source: 'carrier' as const, eventId: `evt-test-${++deliveries}`, trackingNumber, deliveredAt: new Date((await env.currentTimeMs()) - agoMs).toISOString() };
  await handle.signal(carrierDeliveredSignal, event);
  return event;
}
