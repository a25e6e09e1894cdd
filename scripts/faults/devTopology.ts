// A stand-in for scripts/prodLike.ts's startProdLike while that library is not merged: the same Topology
// (scripts/harness/topology.ts) with real processes, each really killed (SIGKILL) and restarted. The differences from
// the prod-like topology: Temporal is the CLI's dev server (SQLite file, kept across its restarts) instead of server
// 1.32.0 on PostgreSQL; the application's PostgreSQL is a cluster of its own (scripts/harness/ownPostgres.ts, never the
// machine's main cluster on 5432). Workers and APIs are worker/main.ts and api/server.ts with the production settings
// (NODE_ENV=production, secrets of their own, simulations named), as the prod-like topology runs them.
// A process that dies on its own (not by a fault) is started again after a second, as a process manager would.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Client as Pg } from 'pg';
import { DEV_SECRETS, PORT_NAMES, PORT_SETTINGS } from '../../lib/config';
import { createDb } from '../../lib/db';
import { startMailCatcher } from '../../lib/mailCatcher';
import { createPrincipal } from '../../lib/principals';
import { registerSearchAttributes } from '../../lib/temporal';
import { processes } from '../../processes';
import { ownPostgres } from '../harness/ownPostgres';
import { ROOT } from '../harness/paths';
import type { Restartable, Topology } from '../harness/topology';

export const DEV_TOPOLOGY = {
  postgresCluster: 'chaosdev',
  postgresPort: 5497,
  appDatabase: 'casework_chaos',
  temporalPort: 7633,
  apiPorts: [3201, 3202],
  workers: 2,
  dataDir: path.join(ROOT, '.data', 'chaos-dev'),
  /** The reconciler's bound and period here (CASE_START_BOUND_SECONDS, CASE_RECONCILE_EVERY_SECONDS). */
  reconcileSeconds: 10,
} as const;

/** What this topology offers beyond the interface: the webhook secrets and the reconciler's bound (see README). */
export interface ChaosTopology extends Topology {
  readonly secrets?: Readonly<Record<string, string>>;
  /** Bound + period of the case reconciler, in ms: a case row without its workflow must be gone after it. */
  readonly reconcilerBoundMs?: number;
  /** Restarts of a part that died on its own (not by a fault of the schedule). */
  readonly crashes?: () => Record<string, number>;
}

const log = (msg: string) => process.stderr.write(`[dev-topology] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

/** A child process that a fault kills and restarts; restarted after a second when it dies on its own. */
class Supervised implements Restartable {
  private child?: ChildProcess;
  private stopping = false;
  private killed = false;
  crashes = 0;
  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly o: { cwd?: string; env: Record<string, string | undefined>; logDir: string; ready: (logFrom: number) => Promise<boolean> },
  ) {}

  private logFile = () => path.join(this.o.logDir, `${this.name}.log`);

  private spawnIt(): number {
    const from = fs.existsSync(this.logFile()) ? fs.statSync(this.logFile()).size : 0;
    const out = fs.openSync(this.logFile(), 'a');
    const child = spawn(this.command, this.args, { cwd: this.o.cwd ?? ROOT, env: this.o.env as NodeJS.ProcessEnv, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.child = child;
    child.on('exit', (code, signal) => {
      if (this.child !== child || this.stopping || this.killed) return;
      this.crashes++;
      log(`${this.name} exited on its own (${signal ?? code}); starting it again`);
      setTimeout(() => {
        if (!this.stopping && !this.killed && this.child === child) this.spawnIt();
      }, 1000);
    });
    return from;
  }

  async start(): Promise<void> {
    this.killed = false;
    const from = this.spawnIt();
    await waitFor(`${this.name} ready`, () => this.o.ready(from));
  }

  isRunning(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(): Promise<void> {
    this.killed = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  async restart(): Promise<void> {
    if (this.isRunning()) await this.kill();
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(t);
  }
}

/** The secrets production asks for (lib/config.ts), each process's webhook secret, the simulated key's seed. */
function productionSecrets(): Record<string, string> {
  const vars = [...Object.keys(DEV_SECRETS).filter((v) => v !== 'REPLY_TOKEN_SECRET'), ...processes.flatMap((p) => (p.webhooks ?? []).map((w) => w.secretVariable))];
  return { ...Object.fromEntries(vars.map((v) => [v, crypto.randomBytes(32).toString('base64url')])), SIMULATED_SIGNING_KEY_SEED: crypto.randomBytes(32).toString('hex') };
}

export async function startDevTopology(o: { policyFile?: string; fresh?: boolean } = {}): Promise<ChaosTopology> {
  const T = DEV_TOPOLOGY;
  const dir = T.dataDir;
  if (o.fresh) fs.rmSync(dir, { recursive: true, force: true });
  const logDir = path.join(dir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });

  // 1. PostgreSQL of its own; the application's database, migrated; the first admin key.
  const pg = ownPostgres(T.postgresCluster, T.postgresPort);
  const appUrl = new URL(pg.adminUrl);
  appUrl.pathname = `/${T.appDatabase}`;
  const databaseUrl = appUrl.toString();
  const admin = new Pg({ connectionString: pg.adminUrl });
  await admin.connect();
  if (o.fresh) await admin.query(`DROP DATABASE IF EXISTS ${T.appDatabase} WITH (FORCE)`);
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [T.appDatabase])).rowCount === 0) await admin.query(`CREATE DATABASE ${T.appDatabase}`);
  await admin.end();
  execFileSync('bash', ['scripts/prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'pipe' });
  const db = createDb(databaseUrl, { maxConnections: 1 });
  const adminKey = (await createPrincipal(db, { name: 'chaos admin', role: 'admin' })).apiKey;
  await db.$disconnect();
  const pgReady = async () => {
    const c = new Pg({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.query('SELECT 1');
    await c.end();
    return true;
  };
  const postgres: Restartable = {
    name: 'postgres',
    isRunning: () => pg.isRunning(),
    kill: async () => pg.kill(),
    restart: async () => {
      if (pg.isRunning()) pg.kill();
      await waitFor('PostgreSQL restarted', async () => {
        pg.start();
        return pgReady();
      }, 120_000);
    },
  };

  // 2. Mail, in this process (not a fault target).
  const mailDir = path.join(dir, 'mail');
  const mail = await startMailCatcher({ dir: mailDir, keepInMemory: false });

  // 3. Temporal: the dev server on a file of its own.
  const address = `127.0.0.1:${T.temporalPort}`;
  const temporalCli = process.env.TEMPORAL_CLI ?? path.join(ROOT, '.tools', 'bin', 'temporal');
  const temporalServer = new Supervised('temporal', temporalCli, ['server', 'start-dev', '--db-filename', path.join(dir, 'temporal.db'), '--ip', '127.0.0.1', '--port', String(T.temporalPort), '--http-port', String(T.temporalPort + 11), '--headless', '--namespace', 'default', '--log-level', 'warn'], {
    env: { ...process.env },
    logDir,
    ready: async () => {
      const c = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await c.workflowService.getSystemInfo({});
        await c.workflowService.describeNamespace({ namespace: 'default' });
        return true;
      } finally {
        await c.close();
      }
    },
  });
  await temporalServer.start();
  const connection = await Connection.connect({ address });
  await registerSearchAttributes(connection, 'default');
  await connection.close();

  // 4. Workers and APIs with the production configuration.
  const secrets = productionSecrets();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(mail.port),
    LOG_LEVEL: 'info',
    DATA_DIR: dir,
    BLOB_DIR: path.join(dir, 'blobs'),
    ALLOW_SIMULATED: PORT_NAMES.filter((n) => (PORT_SETTINGS[n].simulations as readonly string[]).length > 0).join(','),
    CASE_START_BOUND_SECONDS: String(T.reconcileSeconds),
    CASE_RECONCILE_EVERY_SECONDS: String(T.reconcileSeconds),
    // One storefront key drives many cases at once here.
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_BURST: '10000',
    ...(o.policyFile && { POLICY_FILE: o.policyFile }),
    ...secrets,
  };
  const node = process.execPath;
  const logHas = (name: string, text: string) => async (from: number) => {
    const f = path.join(logDir, `${name}.log`);
    const fd = fs.openSync(f, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buf, 0, buf.length, from);
      return buf.toString('utf8').includes(text);
    } finally {
      fs.closeSync(fd);
    }
  };
  const workers = Array.from({ length: T.workers }, (_, i) => new Supervised(`worker-${i + 1}`, node, ['--import', 'tsx', 'worker/main.ts'], { env, logDir, ready: logHas(`worker-${i + 1}`, '"worker started"') }));
  const apiProcesses = T.apiPorts.map(
    (port, i) =>
      new Supervised(`api-${i + 1}`, node, ['--import', 'tsx', 'api/server.ts'], {
        env: { ...env, API_PORT: String(port), API_HOST: '127.0.0.1' },
        logDir,
        ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
      }),
  );
  // One at a time: two cold workflow bundles at once on two cores take longer than one after the other.
  for (const p of [...workers, ...apiProcesses]) await p.start();
  log(`ready: APIs ${T.apiPorts.join(', ')}, ${T.workers} workers, Temporal ${address}, PostgreSQL ${T.postgresPort}, logs in ${path.relative(ROOT, logDir)}`);

  return {
    apis: T.apiPorts.map((p) => `http://127.0.0.1:${p}`),
    adminKey,
    databaseUrl,
    temporal: { address, namespace: 'default' },
    mailDir,
    workers,
    apiProcesses,
    temporalServer,
    postgres,
    secrets,
    reconcilerBoundMs: 2 * T.reconcileSeconds * 1000,
    crashes: () => Object.fromEntries([...workers, ...apiProcesses, temporalServer].map((p) => [p.name, p.crashes])),
    async stop() {
      for (const p of [...apiProcesses, ...workers]) await p.stop();
      await temporalServer.stop();
      await mail.close();
      pg.stopImmediate();
    },
  };
}
