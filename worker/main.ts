// Standalone worker process: `tsx worker/main.ts`. Needs DATABASE_URL and TEMPORAL_ADDRESS.
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createSmtpMailer } from '../activities/mailer';
import { loadConfig, secretsOf } from '../lib/config';
import { createDb } from '../lib/db';
import { createLogger } from '../lib/logger';
import { noticeReplyTo } from '../lib/replyTokens';
import { createPorts } from '../lib/ports';
import { ensureRetentionSchedule } from '../lib/retentionSchedule';
import { startSealingBackfill } from '../lib/sealingBackfill';
import { ClientPool, registerSearchAttributes, temporalConnectionOptions } from '../lib/temporal';
import { createCaseReconciler } from '../processes/caseReconciler';
import { loadPolicy } from '../processes/policyDocument';
import { createHistoryReplayer } from './historyReplayer';
import { caseBundleOptions, createCaseWorker } from './worker';
import { workflowBundle } from './workflowBundle';

export async function runWorker(): Promise<void> {
  const cfg = loadConfig();
  const logger = createLogger('worker', cfg.LOG_LEVEL);
  if (!cfg.DATABASE_URL || !cfg.TEMPORAL_ADDRESS || !cfg.SMTP_HOST) {
    throw new Error('worker/main.ts needs DATABASE_URL, TEMPORAL_ADDRESS and SMTP_HOST; `npm run dev` starts everything with embedded defaults');
  }
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const db = createDb(cfg.DATABASE_URL, { maxConnections: cfg.DB_POOL_SIZE });
  // The outbox and the reconciler on their own small pool: they go on while the cases' activities hold the main one.
  const backgroundDb = createDb(cfg.DATABASE_URL, { maxConnections: cfg.DB_BACKGROUND_POOL_SIZE });
  const ports = createPorts(cfg, { db, logger });
  const mailer = createSmtpMailer({ host: cfg.SMTP_HOST, port: cfg.SMTP_PORT, secure: cfg.SMTP_SECURE, verifyTls: cfg.SMTP_TLS_VERIFY, user: cfg.SMTP_USER, pass: cfg.SMTP_PASS, from: cfg.MAIL_FROM });
  const connection = await NativeConnection.connect(temporalConnectionOptions(cfg.TEMPORAL_ADDRESS, cfg));
  const clientConnection = await Connection.connect(temporalConnectionOptions(cfg.TEMPORAL_ADDRESS, cfg)); // the reconciler and linked cases start workflows
  const clients = new ClientPool(clientConnection, cfg.TEMPORAL_NAMESPACE);
  // Production start-up: the search attributes and the daily retention purge's schedule, idempotently (every worker
  // replica does it; one schedule results).
  await registerSearchAttributes(clientConnection, cfg.TEMPORAL_NAMESPACE);
  logger.info({ scheduleId: 'retention-purge', result: await ensureRetentionSchedule({ connection: clientConnection, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE }) }, 'retention schedule');
  // Rows written before encryption at rest get sealed, in the background (lib/sealingBackfill.ts; idempotent).
  void startSealingBackfill({ db: backgroundDb, keys: ports.keys, logger, blobs: ports.blobs, mailSenderSecret: cfg.REPLY_TOKEN_SECRET });
  const policy = loadPolicy(cfg);
  const reconciler = createCaseReconciler({
    db: backgroundDb,
    logger,
    temporal: { clients, taskQueue: cfg.TEMPORAL_TASK_QUEUE },
    boundMs: cfg.CASE_START_BOUND_SECONDS * 1000,
    everyMs: cfg.CASE_RECONCILE_EVERY_SECONDS * 1000,
    blobs: ports.blobs,
  });
  const worker = await createCaseWorker({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    deps: { db, mailer, ports, logger, secrets: secretsOf(cfg), registrationLinkBase: cfg.REGISTRATION_LINK_BASE, replyAddress: noticeReplyTo(cfg) },
    // Cases that open others (a rejected return's complaint): the policy file's, or the defaults.
    opening: { clients, currentPolicy: () => policy },
    reconciler,
    backgroundDb,
    dbConnections: cfg.DB_POOL_SIZE,
    // The exported dossiers' replay: the workflow bundle this release runs, built (or read from its cache) on the first export.
    replayHistories: createHistoryReplayer(async () => (await workflowBundle({ ...caseBundleOptions(), cacheDir: path.resolve(cfg.DATA_DIR, 'workflow-bundle') })).code),
  });
  logger.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, namespace: cfg.TEMPORAL_NAMESPACE, deployment: cfg.WORKER_DEPLOYMENT_NAME ?? null, buildId: cfg.WORKER_BUILD_ID ?? null }, 'worker started');
  await worker.run(); // returns after SIGINT/SIGTERM once in-flight tasks finish (Runtime handles the signals)
  mailer.close();
  await clientConnection.close();
  await connection.close();
  await db.$disconnect();
  await backgroundDb.$disconnect();
  logger.info('worker stopped');
}

if (require.main === module) {
  runWorker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
