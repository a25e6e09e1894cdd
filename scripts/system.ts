// Runs the whole system (see README): embedded defaults for anything not configured. Every piece can point at a real service
// instead: DATABASE_URL, TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, SMTP_HOST / SMTP_PORT, API_PORT.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createSmtpMailer } from '../activities/mailer';
import { startApi } from '../api/server';
import { ConfigError, loadConfig, secretsOf } from '../lib/config';
import { createDb } from '../lib/db';
import { createLogger } from '../lib/logger';
import { Registry } from '../lib/metrics';
import { startMailCatcher } from '../lib/mailCatcher';
import { createPorts } from '../lib/ports';
import { createPrincipal } from '../lib/principals';
import { registerSearchAttributes } from '../lib/temporal';
import { createCaseWorker } from '../worker/worker';
import { ROOT, resolveTemporalCli } from './tools';

const step = (msg: string) => process.stderr.write(`\x1b[1m[dev]\x1b[0m ${msg}\n`);

async function waitFor(label: string, probe: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await probe();
      return;
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw new Error(`${label} did not become ready: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  const logger = createLogger('casework', cfg.LOG_LEVEL);
  const dataDir = path.resolve(ROOT, cfg.DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void> | void)[] = [];

  // 1. PostgreSQL: the configured server, or PGlite (PostgreSQL in WASM) persisted under .data/pglite.
  let databaseUrl = cfg.DATABASE_URL;
  let maxConnections = 10;
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

  step('applying database migrations');
  // Asynchronously: the embedded database answers from this very process.
  const migrate = await run('bash', [path.join(ROOT, 'scripts', 'prisma'), 'migrate', 'deploy'], { ...process.env, DATABASE_URL: databaseUrl });
  if (migrate.code !== 0) throw new Error(`migrations failed:\n${migrate.output}`);
  process.stderr.write(migrate.output.split('\n').filter((l) => /migration|applied|pending/i.test(l)).map((l) => `       ${l}\n`).join(''));

  // 2. Temporal: the configured server, or a dev server persisted in .data/temporal.db with its Web UI.
  let temporalAddress = cfg.TEMPORAL_ADDRESS;
  let uiUrl = cfg.TEMPORAL_UI_URL;
  let temporalChild: ChildProcess | undefined;
  if (!temporalAddress) {
    const cli = resolveTemporalCli();
    const port = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
    const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--db-filename', path.join(dataDir, 'temporal.db'), '--namespace', cfg.TEMPORAL_NAMESPACE, '--log-level', 'warn'];
    if (cli.kind !== 'existing-path') throw new Error('No Temporal CLI: install `temporal`, set TEMPORAL_CLI, install Go so it can be built, or set TEMPORAL_ADDRESS');
    step(`starting Temporal dev server (${cli.source}: ${cli.path})`);
    temporalChild = spawn(cli.path, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    temporalAddress = `127.0.0.1:${port}`;
    uiUrl = `http://127.0.0.1:${uiPort}`;
    const child = temporalChild;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    await waitFor('Temporal dev server', async () => {
      const c = await Connection.connect({ address: temporalAddress!, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
    });
  }
  await waitFor(`Temporal at ${temporalAddress}`, async () => {
    const c = await Connection.connect({ address: temporalAddress!, connectTimeout: 1000 });
    await c.workflowService.getSystemInfo({});
    await c.close();
  });
  const connection = await Connection.connect({ address: temporalAddress });
  await registerSearchAttributes(connection, cfg.TEMPORAL_NAMESPACE);

  // 3. Mail: the configured SMTP server, or a local catcher writing .eml files to .data/mail.
  let smtpHost = cfg.SMTP_HOST;
  let smtpPort = cfg.SMTP_PORT;
  const mailDir = path.join(dataDir, 'mail');
  if (!smtpHost) {
    const catcher = await startMailCatcher({ port: cfg.SMTP_PORT, dir: mailDir, onMail: (m) => logger.info({ to: m.to, subject: m.subject, caseId: m.headers['x-case-id'] }, 'mail caught') });
    smtpHost = '127.0.0.1';
    smtpPort = catcher.port;
    cleanups.push(() => catcher.close());
  }

  // 4. The worker and the API, in this process.
  const db = createDb(databaseUrl, { maxConnections });
  cleanups.push(() => db.$disconnect());
  const ports = createPorts(cfg, { db, logger }); // one set, shared by the worker and the API
  if ((await db.principal.count({ where: { role: 'admin', revokedAt: null } })) === 0) {
    const admin = await createPrincipal(db, { name: 'first admin', role: 'admin' });
    step(`created the first admin API key (shown once, keep it): ${admin.apiKey}`);
  }
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } }, shutdownSignals: [] });
  const mailer = createSmtpMailer({ host: smtpHost, port: smtpPort, secure: cfg.SMTP_SECURE, user: cfg.SMTP_USER, pass: cfg.SMTP_PASS, from: cfg.MAIL_FROM });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  step('bundling workflows and starting the worker');
  const metrics = new Registry(); // shared: GET /metrics shows the worker's activity counters too
  const worker = await createCaseWorker({
    connection: nativeConnection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    deps: { db, mailer, gateway: ports.payments, carriers: ports.carriers, sms: ports.sms, faces: ports.faces, logger: logger.child({ component: 'worker' }), secrets: secretsOf(cfg), registrationLinkBase: cfg.REGISTRATION_LINK_BASE },
    metrics,
  });
  const workerRun = worker.run();
  const api = await startApi({ cfg: { ...cfg, TEMPORAL_UI_URL: uiUrl }, db, connection, logger: logger.child({ component: 'api' }), metrics, ports });

  step('ready');
  process.stderr.write(
    [
      `       API           ${api.url}   (GET /healthz, /readyz, /metrics; /v1/... with "Authorization: Bearer <key>")`,
      `       Temporal UI   ${uiUrl}`,
      `       Temporal      ${temporalAddress} (namespace ${cfg.TEMPORAL_NAMESPACE}, task queue ${cfg.TEMPORAL_TASK_QUEUE})`,
      `       PostgreSQL    ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`,
      `       Mail          ${cfg.SMTP_HOST ? `${smtpHost}:${smtpPort}` : `caught on 127.0.0.1:${smtpPort}, saved in ${path.relative(ROOT, mailDir)}/*.eml`}`,
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
    for (const c of cleanups.reverse()) await c();
    step('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
