// Runs the whole system (see README): embedded defaults for anything not configured. Every piece can point at a real service
// instead: DATABASE_URL, TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, SMTP_HOST / SMTP_PORT, API_PORT.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import { ConfigError, loadConfig, secretsOf } from '../lib/config';
import { noticeReplyTo } from '../lib/replyTokens';
import { intakeAddress, intakeProcesses, settingsOf as mailIntakeSettings } from '../processes/mailIntake';
import { createLogger } from '../lib/logger';
import { applyMigrationsToEmptyDatabase, checkMigrations } from '../lib/migrations';
import { DEV_SERVER_ONE_PARTITION, ROOT, resolveTemporalCli } from './tools';
import { createHistoryReplayer } from '../worker/historyReplayer';
import { workflowBundle } from '../worker/workflowBundle';
import { temporalConnectionOptions } from '../lib/temporal';
// The heavier modules (Temporal SDK, worker, API) are imported once the Temporal dev server is starting, so that
// loading them overlaps its start-up.

/** When `scripts/dev` started (bash's $EPOCHREALTIME), so "ready in" counts the whole start; else this process's start. */
const startedAt = (() => {
  const s = Number((process.env.CASEWORK_DEV_STARTED_AT ?? '').replace(',', '.'));
  return Number.isFinite(s) && s > 0 ? s * 1000 : performance.timeOrigin;
})();
let lastStepAt = startedAt;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** A step line; the dimmed "+N s" is how long since the previous step line (phases that overlap report their own time when done). */
const step = (msg: string) => {
  const now = Date.now();
  process.stderr.write(`\x1b[1m[dev]\x1b[0m \x1b[2m+${secs(now - lastStepAt).padStart(6)}\x1b[0m ${msg}\n`);
  lastStepAt = now;
};

async function waitFor(label: string, probe: () => Promise<unknown>, opts: { timeoutMs?: number; gone?: () => string | undefined } = {}): Promise<void> {
  const started = Date.now();
  for (;;) {
    const gone = opts.gone?.();
    if (gone) throw new Error(`${label} ${gone}`);
    try {
      await probe();
      return;
    } catch (err) {
      if (Date.now() - started > (opts.timeoutMs ?? 60_000)) throw new Error(`${label} did not become ready: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

/** Runs a command to its end; or, with `doneWhen`, until its output says it has succeeded, then stops it. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, doneWhen?: RegExp): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let done = false;
    const collect = (d: Buffer) => {
      output += d;
      if (!done && doneWhen?.test(output)) {
        done = true;
        resolve({ code: 0, output });
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => done || resolve({ code: code ?? 1, output }));
  });
}

/** Undone in reverse order at Ctrl-C, and when start-up fails half-way (no dev server left behind). */
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
/** Runs them once; every caller waits for the same run. */
function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) await c();
  })();
  return cleaning;
}

async function main(): Promise<void> {
  // Inbound e-mail (replies to notices) is on in the dev system unless INBOUND_MAIL_ENABLED says otherwise.
  const loaded = loadConfig();
  const cfg = process.env.INBOUND_MAIL_ENABLED ? loaded : { ...loaded, INBOUND_MAIL_ENABLED: true };
  const logger = createLogger('casework', cfg.LOG_LEVEL);
  const dataDir = path.resolve(ROOT, cfg.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });

  // Started first, waited for last: the dev server starts in its own process while this one starts PostgreSQL,
  // checks migrations and bundles the workflows.
  // 1. Temporal: the configured server, or a dev server persisted in .data/temporal.db with its Web UI.
  let temporalAddress = cfg.TEMPORAL_ADDRESS;
  let uiUrl = cfg.TEMPORAL_UI_URL;
  let temporalChild: ChildProcess | undefined;
  if (!temporalAddress) {
    const cli = resolveTemporalCli();
    const port = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
    const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--db-filename', path.join(dataDir, 'temporal.db'), '--namespace', cfg.TEMPORAL_NAMESPACE, '--log-level', 'warn',
      // Write-ahead log: each workflow task's persistence is an append instead of a rewrite (human steps wait on it).
      '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal', ...DEV_SERVER_ONE_PARTITION];
    if (cli.kind !== 'existing-path') throw new Error('No Temporal CLI: install `temporal`, set TEMPORAL_CLI, install Go so it can be built, or set TEMPORAL_ADDRESS');
    step(`starting Temporal dev server (${cli.source}: ${cli.path})`);
    temporalChild = spawn(cli.path, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    temporalAddress = `127.0.0.1:${port}`;
    uiUrl = `http://127.0.0.1:${uiPort}`;
    const child = temporalChild;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
  }
  const temporalStartedAt = Date.now();
  const { Connection: TemporalConnection } = await import('@temporalio/client');
  const temporalReady = waitFor(
    temporalChild ? 'Temporal dev server' : `Temporal at ${temporalAddress}`,
    async () => {
      const c = await TemporalConnection.connect({ ...temporalConnectionOptions(temporalAddress!, cfg), connectTimeout: 1000 });
      try {
        await c.workflowService.getSystemInfo({});
      } finally {
        await c.close();
      }
    },
    { gone: () => (temporalChild && (temporalChild.exitCode !== null || temporalChild.signalCode !== null) ? `exited (${temporalChild.exitCode ?? temporalChild.signalCode}) before it was ready` : undefined) },
  );
  temporalReady.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"

  // 2. PostgreSQL: the configured server, or PGlite (PostgreSQL in WASM) persisted under .data/pglite.
  let databaseUrl = cfg.DATABASE_URL;
  let maxConnections = cfg.DB_POOL_SIZE;
  if (!databaseUrl) {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const port = Number(process.env.PGLITE_PORT ?? 55432);
    step(`starting embedded PostgreSQL (PGlite) with data in ${path.relative(ROOT, dataDir)}/pglite`);
    const pg = await PGlite.create(path.join(dataDir, 'pglite'));
    const server = new PGLiteSocketServer({ db: pg, port, host: '127.0.0.1', maxConnections: 4 });
    await server.start();
    databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
    maxConnections = 1; // PGlite is single-session: one connection keeps transactions isolated
    cleanups.push(async () => {
      await server.stop();
      await pg.close();
    });
  }

  // The workflow bundle, meanwhile: the one built on a previous start when no workflow source changed since, else built in
  // a worker thread (worker/workflowBundle.ts); the worker would otherwise bundle at start, after Temporal is up.
  // Started once PostgreSQL is up: a first start creates the database (initdb) in this thread, on the critical path.
  const { createCaseWorker, caseBundleOptions } = await import('../worker/worker');
  const bundleStartedAt = Date.now();
  const bundled = workflowBundle({ ...caseBundleOptions(), cacheDir: path.join(dataDir, 'workflow-bundle') });
  bundled.catch(() => undefined); // awaited below

  // 3. Migrations: skipped when _prisma_migrations already lists every migration with its checksum; on an empty database
  // all of them in one transaction, recorded as Prisma records them (lib/migrations.ts); else `prisma migrate deploy`.
  const migrations = await checkMigrations(databaseUrl);
  const fresh = migrations.upToDate ? undefined : await applyMigrationsToEmptyDatabase(databaseUrl).catch((err: Error) => ({ notFresh: `one pass failed (${err.message})` }));
  if (migrations.upToDate) {
    step(`migrations up to date (${migrations.applied} applied)`);
  } else if (fresh && 'applied' in fresh) {
    step(`applied ${fresh.applied} database migrations to the empty database in one pass`);
  } else {
    step(`applying database migrations with prisma migrate deploy (${migrations.reason}; ${fresh?.notFresh})`);
    // Asynchronously: the embedded database answers from this very process.
    // The CLI has done its work about ten seconds before it exits (a 10 s timer inside Prisma's WASM schema engine and the
    // pg pool's idle timeout keep it alive): its success line is the end of the work.
    const migrate = await run('bash', [path.join(ROOT, 'scripts', 'prisma'), 'migrate', 'deploy'], { ...process.env, DATABASE_URL: databaseUrl }, /All migrations have been successfully applied\.|No pending migrations to apply\./);
    if (migrate.code !== 0) throw new Error(`migrations failed:\n${migrate.output}`);
    process.stderr.write(migrate.output.split('\n').filter((l) => /migration|applied|pending/i.test(l)).map((l) => `       ${l}\n`).join(''));
  }

  // Everything else this process needs, loaded while the dev server starts and the bundle builds.
  const [{ DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString }, { createSmtpMailer }, { startApi }, { createDb }, { Registry }, { startMailCatcher }, { createPorts }, { createPrincipal }, { registerSearchAttributes, ClientPool }, { createCaseReconciler }] = await Promise.all([
    import('@temporalio/worker'),
    import('../activities/mailer'),
    import('../api/server'),
    import('../lib/db'),
    import('../lib/metrics'),
    import('../lib/mailCatcher'),
    import('../lib/ports'),
    import('../lib/principals'),
    import('../lib/temporal'),
    import('../processes/caseReconciler'),
  ]);

  const bundle = await bundled;
  step(bundle.cached ? 'workflow bundle unchanged since the last start: reused' : `workflows bundled in ${secs(Date.now() - bundleStartedAt)} (${bundle.reason})`);
  await temporalReady;
  step(`${temporalChild ? 'Temporal dev server' : `Temporal at ${temporalAddress}`} answering (${secs(Date.now() - temporalStartedAt)} after start)`);
  const connection: Connection = await TemporalConnection.connect(temporalConnectionOptions(temporalAddress, cfg));
  await registerSearchAttributes(connection, cfg.TEMPORAL_NAMESPACE);
  // The daily retention purge's schedule (README "Retention: the daily purge"), beside the search attributes.
  step(`retention schedule ${await (await import('../lib/retentionSchedule')).ensureRetentionSchedule({ connection, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE })}`);

  // 4. Mail: the configured SMTP server, or a local catcher writing .eml files to .data/mail.
  let smtpHost = cfg.SMTP_HOST;
  let smtpPort = cfg.SMTP_PORT;
  const mailDir = path.join(dataDir, 'mail');
  if (!smtpHost) {
    const catcher = await startMailCatcher({ port: cfg.SMTP_PORT, dir: mailDir, keepInMemory: false, onMail: (m) => logger.info({ to: m.to, subject: m.subject, caseId: m.headers['x-case-id'] }, 'mail caught') });
    smtpHost = '127.0.0.1';
    smtpPort = catcher.port;
    cleanups.push(() => catcher.close());
  }

  // 5. The worker and the API, in this process.
  const db = createDb(databaseUrl, { maxConnections });
  cleanups.push(() => db.$disconnect());
  // The outbox and the reconciler on a small pool of their own; PGlite's single session keeps them on the one.
  const backgroundDb = maxConnections > 1 ? createDb(databaseUrl, { maxConnections: cfg.DB_BACKGROUND_POOL_SIZE }) : db;
  if (backgroundDb !== db) cleanups.push(() => backgroundDb.$disconnect());
  const ports = createPorts(cfg, { db, logger }); // one set, shared by the worker and the API
  // Rows written before encryption at rest get sealed, in the background (README "Encryption at rest"; idempotent).
  void import('../lib/sealingBackfill').then(({ startSealingBackfill }) => startSealingBackfill({ db: backgroundDb, keys: ports.keys, logger: logger.child({ component: 'worker' }), blobs: ports.blobs, mailSenderSecret: cfg.REPLY_TOKEN_SECRET }));
  if ((await db.principal.count({ where: { role: 'admin', revokedAt: null } })) === 0) {
    const admin = await createPrincipal(db, { name: 'first admin', role: 'admin' });
    step(`created the first admin API key (shown once, keep it): ${admin.apiKey}`);
  }
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } }, shutdownSignals: [] });
  const mailer = createSmtpMailer({ host: smtpHost, port: smtpPort, secure: cfg.SMTP_SECURE, verifyTls: cfg.SMTP_TLS_VERIFY, user: cfg.SMTP_USER, pass: cfg.SMTP_PASS, from: cfg.MAIL_FROM });
  const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(temporalAddress, cfg));
  step('starting the worker and the API');
  const metrics = new Registry(); // shared: GET /metrics shows the worker's activity counters too
  const { loadPolicy } = await import('../processes/policyDocument');
  const openingPolicy = loadPolicy(cfg);
  const worker = await createCaseWorker({
    connection: nativeConnection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    deps: { db, mailer, ports, logger: logger.child({ component: 'worker' }), secrets: secretsOf(cfg), registrationLinkBase: cfg.REGISTRATION_LINK_BASE, replyAddress: noticeReplyTo(cfg) },
    workflowBundle: { code: bundle.code },
    metrics,
    // Cases that open others (a rejected return's complaint), with the policy the API opens cases with.
    opening: { clients: new ClientPool(connection, cfg.TEMPORAL_NAMESPACE), currentPolicy: () => openingPolicy },
    // Cases a crash left without their workflow: started at start-up and every CASE_RECONCILE_EVERY_SECONDS.
    backgroundDb,
    dbConnections: maxConnections,
    reconciler: createCaseReconciler({
      db: backgroundDb,
      logger: logger.child({ component: 'worker' }),
      metrics,
      temporal: { clients: new ClientPool(connection, cfg.TEMPORAL_NAMESPACE), taskQueue: cfg.TEMPORAL_TASK_QUEUE },
      boundMs: cfg.CASE_START_BOUND_SECONDS * 1000,
      everyMs: cfg.CASE_RECONCILE_EVERY_SECONDS * 1000,
      blobs: ports.blobs,
    }),
  });
  const workerRun = worker.run();
  // The dossier's replay runs over the bundle this worker runs.
  const replayHistories = createHistoryReplayer(async () => (await bundled).code);
  const api = await startApi({ cfg: { ...cfg, TEMPORAL_UI_URL: uiUrl }, db, connection, logger: logger.child({ component: 'api' }), metrics, ports, replayHistories });

  step(`ready in ${secs(Date.now() - startedAt)}`);
  process.stderr.write(
    [
      `       API           ${api.url}   (GET /healthz, /readyz, /metrics; /v1/... with "Authorization: Bearer <key>")`,
      `       Temporal UI   ${uiUrl}`,
      `       Temporal      ${temporalAddress} (namespace ${cfg.TEMPORAL_NAMESPACE}, task queue ${cfg.TEMPORAL_TASK_QUEUE})`,
      `       PostgreSQL    ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`,
      `       Mail          ${cfg.SMTP_HOST ? `${smtpHost}:${smtpPort}` : `caught on 127.0.0.1:${smtpPort}, saved in ${path.relative(ROOT, mailDir)}/*.eml`}`,
      ...(api.inboundMail ? [`       Inbound mail  SMTP on ${cfg.INBOUND_MAIL_HOST}:${api.inboundMail.port} for replies to case+<token>@${cfg.INBOUND_MAIL_DOMAIN}${intakeProcesses().map((p) => `, ${intakeAddress(mailIntakeSettings(cfg), p)}`).join('')}`] : []),
      `       Stop with Ctrl-C.`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    step(`${signal}: stopping (API drains, worker finishes in-flight tasks)`);
    await api.close();
    worker.shutdown();
    await workerRun.catch(() => undefined);
    await nativeConnection.close();
    await connection.close();
    mailer.close();
    await runCleanups();
    step('stopped');
    process.exit(0);
  };
  process.off('SIGINT', stopDuringStartup).off('SIGTERM', stopDuringStartup);
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Ctrl-C before "ready": stop what has started (dev server, PGlite) instead of leaving it behind. */
let interrupted = false;
function stopDuringStartup(signal: NodeJS.Signals): void {
  interrupted = true;
  step(`${signal} during start-up: stopping`);
  void runCleanups().finally(() => process.exit(130));
}
process.once('SIGINT', stopDuringStartup).once('SIGTERM', stopDuringStartup);

main().catch(async (err) => {
  // Interrupted: a step that failed because of it (e.g. the migration CLI, stopped by the same Ctrl-C) is no news.
  if (!interrupted) console.error(err instanceof ConfigError ? err.message : err);
  await runCleanups().catch(() => undefined);
  process.exit(interrupted ? 130 : 1);
});
