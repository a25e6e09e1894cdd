// The Temporal worker: runs every case workflow and the activities behind them.
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerDeploymentOptions, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, templatesOf, type ActivityDeps } from '../activities';
import { createNotificationOutbox } from '../activities/notificationOutbox';
import type { CaseReconciler } from '../processes/caseReconciler';
import { createCaseOpening } from '../processes/caseOpening';
import type { HistoryReplay } from '../processes/dossier';
import { createDossierActivities } from '../processes/dossierExport';
import type { PolicyConfig } from '../processes/policyDocument';
import type { ClientPool } from '../lib/temporal';
import { ConfigError, envFields } from '../lib/config';
import type { Registry } from '../lib/metrics';
import { activityMetricsInterceptor } from './metrics';
import { RequestIdActivityInterceptor } from '../activities/interceptors';
import { createRegistrationActivities } from '../activities/registration';
import { createRetentionActivities } from '../activities/retention';
import { setWorkflowDeadlockDetection, setWorkflowStackTraces } from './workflowSandbox';
import { processes } from '../processes';
import { caseWorkflowsPath } from './caseWorkflows';
import { createHistoryReplayer } from './historyReplayer';
import { noticeDeliveredSignal } from '../workflows/definitions';
import type { Db } from '../lib/db';

/** Workflow interceptor modules; prebuilt bundles must include them (bundleWorkflowCode's workflowInterceptorModules). */
export const workflowInterceptorModules = [require.resolve('../workflows/interceptors')];

/**
 * Modules the workflow sandbox evaluates once, before any workflow, and shares with every workflow in it: zod
 * (workflows/sharedZod.ts), which a case otherwise evaluates again when it first validates an update. Prebuilt
 * bundles must include them (bundleWorkflowCode's preloadModules).
 */
export const workflowPreloadModules = [require.resolve('../workflows/sharedZod')];

/**
 * What every prebuilt bundle of the case workflows is built from (bundleWorkflowCode's options), as the worker bundles
 * them itself: the dev system, the replay tool, the tests and the bench. The workflows are the catalogue's
 * (worker/caseWorkflows.ts).
 */
export const caseBundleOptions = () => ({ workflowsPath: caseWorkflowsPath(), workflowInterceptorModules, preloadModules: workflowPreloadModules });

export interface CaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /**
   * What the activities need; the worker adds the catalogue (`processes`: each process's activities and templates) and
   * the case-opening service (`caseOpening`, from `opening`).
   */
  deps: Omit<ActivityDeps, 'processes' | 'caseOpening'>;
  /**
   * What the case-opening service needs besides the activities' deps (processes/caseOpening.ts): the Temporal clients
   * the linked case's workflow starts with (on this task queue) and the policy new cases open with. Absent: a case
   * that opens another (openLinkedCase) opens nothing and records that it could not ('opening_unavailable').
   */
  opening?: { clients: ClientPool; currentPolicy: () => PolicyConfig };
  /** A prebuilt bundle (tests, production images); otherwise workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
  /** Registry for activity execution/failure counters (share it with the API to expose them on /metrics). */
  metrics?: Registry;
  /** Cases kept in the workflow cache; default: the WORKER_MAX_CACHED_WORKFLOWS setting (lib/config.ts). */
  maxCachedWorkflows?: number;
  /** The workflow stack-trace queries; default: the WORKER_WORKFLOW_STACK_TRACES setting (off). */
  workflowStackTraces?: boolean;
  /** Deadlock detection in the workflow threads; default: the WORKER_WORKFLOW_DEADLOCK_DETECTION setting (on). */
  workflowDeadlockDetection?: boolean;
  /** Starts the cases a crash left without their workflow (processes/caseReconciler.ts): run at start-up, then periodically, while the worker runs. */
  reconciler?: CaseReconciler;
  /**
   * The e-mail outbox's own small pool (DB_BACKGROUND_POOL_SIZE), so that delivery goes on while the cases' activities
   * hold every connection of the main one; default: the main pool (a database of one connection, the dev one).
   */
  backgroundDb?: Db;
  /**
   * The main pool's size (DB_POOL_SIZE): at most this many activities and local activities run at once, so that none
   * waits on the pool while holding a slot, and a PostgreSQL outage stalls no more tasks than there are connections.
   */
  dbConnections?: number;
  /** Worker Versioning: this build's deployment version (cases pinned to it), or null; default: workerVersioningSetting(). */
  versioning?: WorkerDeploymentOptions | null;
  /**
   * The replay of a case's histories in the dossiers this worker exports (exportCaseDossier, processes/dossierExport.ts);
   * default: against the prebuilt `workflowBundle` when there is one, else none (the dossier says no replay was made).
   */
  replayHistories?: HistoryReplay;
}

/** A replayer over a prebuilt bundle (its code, or the file it is in), read on the first replay. */
function replayerOf(bundle: WorkflowBundleOption | undefined): HistoryReplay | undefined {
  if (!bundle) return undefined;
  if ('code' in bundle) return createHistoryReplayer(async () => bundle.code);
  return createHistoryReplayer(() => fs.promises.readFile(bundle.codePath, 'utf8'));
}

/** WORKER_MAX_CACHED_WORKFLOWS from the environment, validated as lib/config.ts validates it. */
export function maxCachedWorkflowsSetting(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WORKER_MAX_CACHED_WORKFLOWS;
  const parsed = envFields.shape.WORKER_MAX_CACHED_WORKFLOWS.safeParse(raw === '' ? undefined : raw);
  if (!parsed.success) throw new ConfigError(`Invalid configuration:\n  WORKER_MAX_CACHED_WORKFLOWS: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** A boolean worker setting from the environment, validated as lib/config.ts validates it. */
function booleanSetting(name: 'WORKER_WORKFLOW_STACK_TRACES' | 'WORKER_WORKFLOW_DEADLOCK_DETECTION', env: NodeJS.ProcessEnv): boolean {
  const raw = env[name];
  const parsed = envFields.shape[name].safeParse(raw === '' ? undefined : raw);
  if (!parsed.success) throw new ConfigError(`Invalid configuration:\n  ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** WORKER_WORKFLOW_STACK_TRACES from the environment (default off). */
export const workflowStackTracesSetting = (env: NodeJS.ProcessEnv = process.env) => booleanSetting('WORKER_WORKFLOW_STACK_TRACES', env);

/** WORKER_WORKFLOW_DEADLOCK_DETECTION from the environment (default on). */
export const workflowDeadlockDetectionSetting = (env: NodeJS.ProcessEnv = process.env) => booleanSetting('WORKER_WORKFLOW_DEADLOCK_DETECTION', env);

/**
 * Worker Versioning from WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID (both or neither; unset: null, an unversioned
 * worker). Every case workflow is long-running (days to months: a return about a month, a repair longer), so every
 * case is PINNED to the build it started on: it finishes on that build's code while new cases go to the deployment's
 * current version, and a workflow change needs no patched() for cases that never meet the new code. The old build's
 * workers run until its cases are done (README "Deploying with Worker Versioning").
 */
export function workerVersioningSetting(env: NodeJS.ProcessEnv = process.env): WorkerDeploymentOptions | null {
  const read = (name: 'WORKER_DEPLOYMENT_NAME' | 'WORKER_BUILD_ID') => {
    const raw = env[name];
    const parsed = envFields.shape[name].safeParse(raw === '' ? undefined : raw);
    if (!parsed.success) throw new ConfigError(`Invalid configuration:\n  ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return parsed.data;
  };
  const deploymentName = read('WORKER_DEPLOYMENT_NAME');
  const buildId = read('WORKER_BUILD_ID');
  if (deploymentName === undefined && buildId === undefined) return null;
  if (deploymentName === undefined || buildId === undefined) {
    throw new ConfigError(`Invalid configuration:\n  ${deploymentName === undefined ? 'WORKER_DEPLOYMENT_NAME' : 'WORKER_BUILD_ID'} is not set; Worker Versioning needs WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID together`);
  }
  return { version: { deploymentName, buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' };
}

export async function createCaseWorker(o: CaseWorkerOptions): Promise<Worker> {
  setWorkflowStackTraces(o.workflowStackTraces ?? workflowStackTracesSetting());
  setWorkflowDeadlockDetection(o.workflowDeadlockDetection ?? workflowDeadlockDetectionSetting());
  // The catalogue's activities and templates are handed to the activities here (they never import the catalogue).
  const deps: ActivityDeps = {
    ...o.deps,
    processes,
    // The case-opening service, for the cases that open others (activities/caseLinks.ts): built here, from the catalogue.
    ...(o.opening && {
      caseOpening: createCaseOpening({ db: o.deps.db, logger: o.deps.logger, ports: o.deps.ports, secrets: o.deps.secrets, currentPolicy: o.opening.currentPolicy, temporal: { clients: o.opening.clients, taskQueue: o.taskQueue } }),
    }),
  };
  const templates = templatesOf(processes);
  // The e-mail outbox's dispatcher runs beside the worker: activities queue, it delivers (and polls for retries).
  // Delivery receipts: a notice accepted by the mail server (and recorded) is signalled to its case's workflow
  // (noticeDelivered; CaseKit awaitNoticeDelivered). A closed or absent workflow needs none.
  const receipts = new Client({ connection: o.connection, namespace: o.namespace, identity: 'notification-outbox' });
  const outbox =
    deps.outbox ??
    createNotificationOutbox({
      db: o.backgroundDb ?? deps.db,
      mailer: deps.mailer,
      logger: deps.logger.child({ component: 'outbox' }),
      templates: () => templates,
      keys: deps.ports.keys,
      mailDomain: deps.mailDomain,
      queue: o.taskQueue,
      metrics: o.metrics,
      replyTo: deps.replyAddress,
      onAccepted: async (r) => {
        if (!r.workflowId || r.caseClosed) return;
        await receipts.workflow
          .getHandle(r.workflowId)
          .signal(noticeDeliveredSignal, { noticeKey: r.noticeKey, acceptedAt: r.acceptedAt.toISOString() })
          .catch((err: Error) => {
            if (!/completed|not found/i.test(err.message)) throw err;
          });
      },
    });
  const versioning = o.versioning === undefined ? workerVersioningSetting() : o.versioning;
  const replay = o.replayHistories ?? replayerOf(o.workflowBundle);
  const options: WorkerOptions = {
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: {
      ...createActivities({ ...deps, outbox }),
      // Every process's: the signed dossier of a case exported as its attachment (policy 8.4), its histories read with
      // a client of this worker's connection.
      ...createDossierActivities({
        db: deps.db,
        client: new Client({ connection: o.connection, namespace: o.namespace, identity: 'dossier-export' }),
        keys: deps.ports.keys,
        blobs: deps.ports.blobs,
        logger: deps.logger.child({ component: 'dossier-export' }),
        ...(replay && { replay }),
      }),
      // The daily retention purge (workflows/retentionPurge.ts): the inventory's rules, the registration's erasures.
      ...createRetentionActivities({ db: deps.db, logger: deps.logger, metrics: o.metrics, blobs: deps.ports.blobs, registration: createRegistrationActivities(deps) }),
    },
    ...(o.identity && { identity: o.identity }),
    ...(versioning && { workerDeploymentOptions: versioning }),
    shutdownGraceTime: '10 seconds',
    ...(o.dbConnections && { maxConcurrentActivityTaskExecutions: o.dbConnections, maxConcurrentLocalActivityExecutions: o.dbConnections }),
    // One V8 context for every cached case (the SDK's default, kept explicit): a case then costs its own module
    // instances and state only. Workflows import plain code and data (policy/lazySchema.ts); zod is shared
    // (workflowPreloadModules).
    reuseV8Context: true,
    maxCachedWorkflows: o.maxCachedWorkflows ?? maxCachedWorkflowsSetting(),
    interceptors: {
      ...(!o.workflowBundle && { workflowModules: workflowInterceptorModules }),
      activity: [() => ({ inbound: new RequestIdActivityInterceptor() }), ...(o.metrics ? [activityMetricsInterceptor(o.metrics)] : [])],
    },
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: caseWorkflowsPath(), bundlerOptions: { preloadModules: workflowPreloadModules } }),
  };
  const worker = await Worker.create(options);
  // The dispatcher lives as long as the worker runs: started with run(), drained when run() returns.
  const run = worker.run.bind(worker);
  worker.run = async () => {
    outbox.start();
    o.reconciler?.start();
    try {
      return await run();
    } finally {
      await o.reconciler?.stop();
      await outbox.stop();
    }
  };
  return worker;
}
