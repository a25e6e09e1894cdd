// The Temporal worker: runs every case workflow and the activities behind them.
import { NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Registry } from '../lib/metrics';
import { activityMetricsInterceptor } from './metrics';
import { RequestIdActivityInterceptor } from '../activities/interceptors';

/** Workflow interceptor modules; prebuilt bundles must include them (bundleWorkflowCode's workflowInterceptorModules). */
export const workflowInterceptorModules = [require.resolve('../workflows/interceptors')];

export interface CaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests, production images); otherwise workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
  /** Registry for activity execution/failure counters (share it with the API to expose them on /metrics). */
  metrics?: Registry;
}

export async function createCaseWorker(o: CaseWorkerOptions): Promise<Worker> {
  const options: WorkerOptions = {
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: createActivities(o.deps),
    ...(o.identity && { identity: o.identity }),
    shutdownGraceTime: '10 seconds',
    interceptors: {
      ...(!o.workflowBundle && { workflowModules: workflowInterceptorModules }),
      activity: [() => ({ inbound: new RequestIdActivityInterceptor() }), ...(o.metrics ? [activityMetricsInterceptor(o.metrics)] : [])],
    },
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  };
  return Worker.create(options);
}
