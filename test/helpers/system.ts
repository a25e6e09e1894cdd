// The whole system in-process for integration tests: real PostgreSQL, the real Temporal dev server,
// a real worker with real activities, SMTP delivery to a catcher, and the HTTP API.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker, type WorkerDeploymentOptions } from '@temporalio/worker';
import { createSmtpMailer } from '../../activities/mailer';
import { startApi, type RunningApi } from '../../api/server';
import { loadConfig, secretsOf } from '../../lib/config';
import { createDb, type Db } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { startMailCatcher, type MailCatcher } from '../../lib/mailCatcher';
import { createPorts } from '../../lib/ports';
import { noticeReplyTo } from '../../lib/replyTokens';
import { createPrincipal, type CreatedPrincipal } from '../../lib/principals';
import { ClientPool, registerSearchAttributes } from '../../lib/temporal';
import { createCaseReconciler, type CaseReconciler } from '../../processes/caseReconciler';
import { loadPolicy } from '../../processes/policyDocument';
import { createHistoryReplayer } from '../../worker/historyReplayer';
import { caseBundleOptions, createCaseWorker } from '../../worker/worker';
import { workflowBundle as buildWorkflowBundle } from '../../worker/workflowBundle';
import { requireEnv } from './env';
import { checkerFor } from './responses';
import { workflowBundle } from '../../scripts/harness/timeSkipping';

export interface TestSystem {
  db: Db;
  api: RunningApi;
  mail: MailCatcher;
  connection: Connection;
  taskQueue: string;
  worker: Worker;
  /** Every structured log line of the API and the worker, parsed. */
  logs: Record<string, any>[];
  keys: Record<'storefront' | 'merchant' | 'otherMerchant' | 'agent' | 'supervisor' | 'auditor' | 'admin', CreatedPrincipal>;
  /** The worker's case reconciler (its own task queue's cases only: the test systems share one database). */
  reconciler: CaseReconciler;
  metrics: Registry;
  /** This system's blob store folder (attachments), removed at stop(). */
  blobDir: string;
  /**
   * A second worker process's parts on this system's task queue, as a production topology runs them (its own pool,
   * mailer to the same SMTP server, outbox dispatcher and case reconciler); stopped with the system or by its stop().
   */
  startAnotherWorker(): Promise<{ worker: Worker; reconciler: CaseReconciler; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  /** The reconciler's start bound and period (defaults: the system's, 30 s). */
  reconciler?: { boundMs?: number; everyMs?: number };
  /** Inbound e-mail on (the listener on a random port, `api.inboundMail`), with these settings. */
  inboundMail?: { maxBytes?: number };
  /** Settings of this system's own (lib/config.ts names), over the environment's. */
  env?: Record<string, string>;
  /** Worker Versioning (worker/worker.ts workerVersioningSetting); default: unversioned, whatever the environment says. */
  versioning?: WorkerDeploymentOptions;
  /** A folder the mail catcher also writes each mail to (.eml), as the dev system's does. */
  mailDir?: string;
  /** The outbox and the reconciler on a pool of their own of this size, as a production worker (DB_BACKGROUND_POOL_SIZE). */
  backgroundPool?: number;
}

let runtimeInstalled = false;

export async function startTestSystem(opts: TestSystemOptions = {}): Promise<TestSystem> {
  if (!runtimeInstalled) {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      /* already installed in this process */
    }
    runtimeInstalled = true;
  }
  const address = requireEnv('TEMPORAL_TEST_ADDRESS');
  const databaseUrl = requireEnv('DATABASE_URL');
  const taskQueue = `it-${crypto.randomUUID()}`;
  const blobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'casework-blobs-'));
  // Every test file calls its API from 127.0.0.1, and some walk every route without a key: the limit of requests without
  // a valid key per address is set out of reach unless a test sets its own (test/api/authRateLimit.api.test.ts).
  // Metrics read fresh at every scrape: the tests compare them with what they just did.
  const cfg = loadConfig({ ...process.env, AUTH_FAILURE_LIMIT_PER_MINUTE: '1000000', AUTH_FAILURE_LIMIT_BURST: '100000', METRICS_REFRESH_SECONDS: '0', TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue, API_PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', BLOB_DIR: blobDir, ...(opts.inboundMail && { INBOUND_MAIL_ENABLED: 'true', INBOUND_MAIL_PORT: '0', INBOUND_MAIL_DOMAIN: 'reply.casework.test', ...(opts.inboundMail.maxBytes && { INBOUND_MAIL_MAX_BYTES: String(opts.inboundMail.maxBytes) }) }), ...opts.env });
  const logs: Record<string, any>[] = [];
  // TEST_SYSTEM_LOG_DIR: each system's lines also go to a file there (to read after a failed run).
  const logFile = process.env.TEST_SYSTEM_LOG_DIR && path.join(process.env.TEST_SYSTEM_LOG_DIR, `${taskQueue}.jsonl`);
  const logger = createLogger('test', 'info', {
    write: (line: string) => {
      logs.push(JSON.parse(line));
      if (logFile) fs.appendFileSync(logFile, line.endsWith('\n') ? line : `${line}\n`);
    },
  });
  const db = createDb(databaseUrl, { maxConnections: 10 }); // as the system's default
  const backgroundDb = opts.backgroundPool ? createDb(databaseUrl, { maxConnections: opts.backgroundPool }) : db;
  const ports = createPorts(cfg, { db, logger }); // as scripts/system.ts: one set for the worker and the API
  const mail = await startMailCatcher(opts.mailDir ? { dir: opts.mailDir } : {});
  const mailer = createSmtpMailer({ host: '127.0.0.1', port: mail.port, secure: false, from: 'care@casework.test' });
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  await registerSearchAttributes(connection, cfg.TEMPORAL_NAMESPACE);
  const bundle = workflowBundle();
  const metrics = new Registry(); // shared by the worker and the API, as in scripts/system.ts
  const openingPolicy = loadPolicy(cfg); // the policy cases opened by other cases start with (the API's file, or the defaults)
  /** A worker's parts on this system's task queue: its case reconciler and the worker (with its outbox dispatcher). */
  async function workerOn(w: { db: Db; backgroundDb: Db; mailer: ReturnType<typeof createSmtpMailer>; ports: ReturnType<typeof createPorts>; native: NativeConnection; connection: Connection; metrics?: Registry; identity?: string }) {
    const reconciler = createCaseReconciler({
      db: w.backgroundDb,
      logger,
      ...(w.metrics && { metrics: w.metrics }),
      temporal: { clients: new ClientPool(w.connection, cfg.TEMPORAL_NAMESPACE), taskQueue },
      boundMs: opts.reconciler?.boundMs ?? cfg.CASE_START_BOUND_SECONDS * 1000,
      everyMs: opts.reconciler?.everyMs ?? cfg.CASE_RECONCILE_EVERY_SECONDS * 1000,
      blobs: w.ports.blobs,
      adoptUnqueued: false,
    });
    const worker = await createCaseWorker({
      connection: w.native,
      namespace: cfg.TEMPORAL_NAMESPACE,
      taskQueue,
      deps: { db: w.db, mailer: w.mailer, ports: w.ports, logger, secrets: secretsOf(cfg), registrationLinkBase: cfg.REGISTRATION_LINK_BASE, replyAddress: noticeReplyTo(cfg) },
      workflowBundle: bundle,
      ...(w.metrics && { metrics: w.metrics }),
      reconciler,
      backgroundDb: w.backgroundDb,
      dbConnections: 10,
      opening: { clients: new ClientPool(w.connection, cfg.TEMPORAL_NAMESPACE), currentPolicy: () => openingPolicy },
      versioning: opts.versioning ?? null,
      ...(w.identity && { identity: w.identity }),
    });
    return { reconciler, worker };
  }
  const { reconciler, worker } = await workerOn({ db, backgroundDb, mailer, ports, native: nativeConnection, connection, metrics });
  const running = worker.run();
  // The dossier's replay, over the bundle the worker runs (built here when the suite's shared one is absent).
  const replayHistories = createHistoryReplayer(async () => (bundle ? fs.readFileSync(bundle.codePath, 'utf8') : (await buildWorkflowBundle(caseBundleOptions())).code));
  const api = await startApi({ cfg, db, connection, logger, port: 0, host: '127.0.0.1', metrics, ports, replayHistories });
  const suffix = crypto.randomUUID().slice(0, 8);
  const merchantId = `m-${suffix}`;
  const keys = {
    storefront: await createPrincipal(db, { name: 'storefront', role: 'storefront' }),
    merchant: await createPrincipal(db, { name: 'merchant', role: 'merchant', merchantId }),
    otherMerchant: await createPrincipal(db, { name: 'other merchant', role: 'merchant', merchantId: `other-${suffix}` }),
    agent: await createPrincipal(db, { name: 'agent', role: 'agent' }),
    supervisor: await createPrincipal(db, { name: 'supervisor', role: 'supervisor' }),
    auditor: await createPrincipal(db, { name: 'auditor', role: 'auditor' }),
    admin: await createPrincipal(db, { name: 'admin', role: 'admin' }),
  };
  await db.party.upsert({ where: { kind_id: { kind: 'merchant', id: merchantId } }, create: { kind: 'merchant', id: merchantId, email: `${merchantId}@merchant.test`, locale: 'zh-CN' }, update: {} });
  const others: (() => Promise<void>)[] = [];
  async function startAnotherWorker() {
    const otherDb = createDb(databaseUrl, { maxConnections: 10 });
    const otherMailer = createSmtpMailer({ host: '127.0.0.1', port: mail.port, secure: false, from: 'care@casework.test' });
    const otherNative = await NativeConnection.connect({ address });
    const otherConnection = await Connection.connect({ address });
    const otherPorts = createPorts(cfg, { db: otherDb, logger });
    const { worker: other, reconciler: otherReconciler } = await workerOn({ db: otherDb, backgroundDb: otherDb, mailer: otherMailer, ports: otherPorts, native: otherNative, connection: otherConnection, identity: `second-worker@${taskQueue}` });
    const otherRunning = other.run();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      if (other.getState() === 'RUNNING') other.shutdown();
      await otherRunning;
      await otherNative.close();
      await otherConnection.close();
      otherMailer.close();
      await otherDb.$disconnect();
    };
    others.push(stop);
    return { worker: other, reconciler: otherReconciler, stop };
  }
  return {
    startAnotherWorker,
    db,
    api,
    mail,
    connection,
    taskQueue,
    worker,
    keys,
    logs,
    reconciler,
    metrics,
    blobDir,
    async stop() {
      await api.close();
      for (const stopOther of others) await stopOther();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      mailer.close();
      await mail.close();
      await db.$disconnect();
      if (backgroundDb !== db) await backgroundDb.$disconnect();
      fs.rmSync(blobDir, { recursive: true, force: true });
    },
  };
}

/**
 * A small fetch wrapper: JSON in, JSON out. Every answer is checked against the API description, except under
 * `injectedFault` (a fault the test injects on purpose, e.g. a crash after the opening's commit: its 500 is no answer
 * the API documents).
 */
export async function call(sys: TestSystem, method: string, path: string, opts: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string; injectedFault?: boolean } = {}) {
  const res = await fetch(`${sys.api.url}${path}`, {
    method,
    headers: {
      ...(opts.key && { authorization: `Bearer ${opts.key}` }),
      ...((opts.body !== undefined || opts.raw !== undefined) && { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
  });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  // Every answer must be what /openapi.json says it is (status, body schema, headers).
  const problems = opts.injectedFault ? [] : (await checkerFor(sys.api.url)).check(method, path, res.status, res.headers, json, res.headers.get('content-type'));
  if (problems.length > 0) throw new Error(`The answer is not what the API description documents:\n${problems.join('\n')}\nbody: ${text.slice(0, 1500)}`);
  return { status: res.status, body: json, headers: res.headers, text };
}

/** Evidence for a task or an action: a small PDF of its own bytes uploaded to the case; its attachment id. */
export async function attachEvidence(sys: TestSystem, caseId: string, key: string = sys.keys.agent.apiKey, label: string = crypto.randomUUID()): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Title (${label}) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`)], { type: 'application/pdf' }), 'evidence.pdf');
  const res = await fetch(`${sys.api.url}/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const body: any = await res.json();
  if (res.status !== 201) throw new Error(`evidence upload answered ${res.status}: ${JSON.stringify(body)}`);
  return body.attachmentId;
}

/**
 * A deadline shows on the case resource from the moment its clock starts (CaseKit patch case-deadlines-on-change):
 * once the case waits, GET /v1/cases/{id} carries exactly the deadlines its workflow runs (the live query), none
 * missing and none stale. Returns the deadlines; fails after `eventually`'s wait when the row never catches up.
 */
export async function runningDeadlinesOnCase(sys: TestSystem, caseId: string, label: string): Promise<Record<string, string>> {
  const entries = (o: Record<string, string | null> | undefined) => Object.entries(o ?? {}).filter(([, at]) => at !== null).sort(([a], [b]) => a.localeCompare(b));
  const c = await eventually(async () => {
    const b = (await call(sys, 'GET', `/v1/cases/${caseId}?live=true`, { key: sys.keys.auditor.apiKey })).body;
    return JSON.stringify(entries(b.deadlines)) === JSON.stringify(entries(b.live?.deadlines)) ? b : undefined;
  }, `${label}: the running deadlines on the case`);
  return Object.fromEntries(entries(c.deadlines)) as Record<string, string>;
}

/** Polls until `fn` answers; a generous wait (45 s) because a loaded machine delays the worker, never a timing assertion. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, label: string, timeoutMs = 45_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the outbox has nothing left to deliver for the case (each sent e-mail adds a notification.sent event). */
export async function mailsDelivered(sys: Pick<TestSystem, 'db'>, caseId: string): Promise<void> {
  await eventually(async () => (await sys.db.notification.count({ where: { caseId, status: { in: ['pending', 'sending', 'failed'] } } })) === 0, `e-mails of ${caseId} delivered`);
}
