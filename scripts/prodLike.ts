// The production topology, run on this machine: `startProdLike(options)` starts it and answers a Topology
// (scripts/harness/topology.ts) that the stages drive and break (the prod-like journey scripts/prodLikeStage.ts,
// scripts/chaos); `bash scripts/prod-like` runs it until Ctrl-C. It is:
// - PostgreSQL: a cluster of its own (scripts/harness/ownPostgres.ts, casework-prodlike on 5443), so that killing or
//   restarting it never touches the machine's main cluster that the test suite uses;
// - Temporal server 1.32.0 built from Go (the version the dev server embeds) on it, PostgreSQL visibility, optionally
//   with frontend mTLS (a CA made at start);
// - two worker processes and two API processes (worker/main.ts, api/server.ts) with the production configuration
//   (NODE_ENV=production, secrets of their own, simulations allowed by name only), each under a supervisor that starts
//   it again when it exits on its own;
// - a mail catcher (one .eml file per mail), and the Temporal UI when its binary is there.
// Needs TEMPORAL_SERVER_BIN (the directory holding `server` and `sql`) and TEMPORAL_SERVER_MODULE (the server's Go
// module: its config and schema files), as scripts/prod-like and scripts/test set them (setup-common.sh
// ensure_temporal_server).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client as Pg } from 'pg';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startMailCatcher, type MailCatcher } from '../lib/mailCatcher';
import { registerSearchAttributes, temporalConnectionOptions } from '../lib/temporal';
import { createDb } from '../lib/db';
import { createPrincipal, revokePrincipal } from '../lib/principals';
import { ROOT } from './harness/paths';
import { ownPostgres, type OwnPostgres } from './harness/ownPostgres';
import { Supervised } from './harness/supervised';
import type { Restartable, Topology } from './harness/topology';
import { DEV_SECRETS, PORT_NAMES, PORT_SETTINGS } from '../lib/config';
import { processes } from '../processes';

/** Ports of this topology: apart from the dev system's (7233, 3000, 1025, 55432) so both can run. */
export const PROD_LIKE = {
  temporalPort: 7433,
  apiPorts: [3101, 3102],
  smtpPort: 1125,
  uiPort: 8433,
  postgres: { cluster: 'casework-prodlike', port: 5443 },
  workers: 2,
  dataDir: path.join(ROOT, '.data', 'prod-like'),
  temporalVersion: '1.32.0',
  uiVersion: '2.54.1',
  appDatabase: 'casework_prodlike',
} as const;

export interface ProdLikeOptions {
  /** Where logs, mail, blobs, secrets and the Temporal config live (default .data/prod-like). */
  dataDir?: string;
  /** Starts from nothing: the data directory emptied, the Temporal and application databases dropped and made again. */
  fresh?: boolean;
  /** A policy document (e.g. short durations) for every worker and API (POLICY_FILE). */
  policyFile?: string;
  temporalPort?: number;
  apiPorts?: readonly number[];
  smtpPort?: number;
  workers?: number;
  /** The Temporal UI server's binary and port (README "The production topology"); none when absent. */
  ui?: { bin: string; port: number };
  /**
   * Temporal's frontend requires mTLS: a CA, the server's certificate (SAN localhost, 127.0.0.1) and a client's are
   * made under dataDir/tls with openssl, and the workers and APIs connect with TEMPORAL_TLS_*.
   */
  temporalTls?: boolean;
  /** Progress lines (default: stderr). */
  log?: (msg: string) => void;
  /** More settings for every worker and API (e.g. the fault stage's reconciler period and rate limits). */
  env?: Readonly<Record<string, string>>;
}

export interface ProdLikeTopology extends Topology {
  /** The first admin key, when this start created the first admin principal (bash scripts/prod-like shows it once). */
  readonly firstAdminKey?: string;
  readonly dataDir: string;
  /** The topology's own PostgreSQL superuser URL (database postgres). */
  readonly adminUrl: string;
  /** The supervised processes, for their pids and logs. */
  readonly processes: readonly Supervised[];
  /** The secrets the workers and APIs run with (a stage signs webhooks with its sources'). */
  readonly secrets: Readonly<Record<string, string>>;
}

const defaultLog = (msg: string) => process.stderr.write(`\x1b[1m[prod-like]\x1b[0m ${msg}\n`);
const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (bash scripts/prod-like and bash scripts/test set it)`);
  return v;
}

interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  cert: string;
  key: string;
  serverName: string;
}

/** A CA made now, the frontend's certificate (localhost, 127.0.0.1) and a client's (clientAuth), all signed by it. */
function makeTlsFiles(dir: string): TlsFiles {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=casework prod-like CA');
  const issue = (cn: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${cn}.key`), '-out', f(`${cn}.csr`), '-subj', `/CN=${cn}`);
    fs.writeFileSync(f(`${cn}.ext`), ext);
    openssl('x509', '-req', '-in', f(`${cn}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${cn}.crt`), '-days', '2', '-extfile', f(`${cn}.ext`));
  };
  // The frontend's certificate is also its internal clients' (Temporal uses it toward the frontend): both usages.
  issue('temporal.prodlike', 'subjectAltName=DNS:temporal.prodlike,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  issue('casework-worker', 'extendedKeyUsage=clientAuth\n');
  return { ca: f('ca.crt'), serverCert: f('temporal.prodlike.crt'), serverKey: f('temporal.prodlike.key'), cert: f('casework-worker.crt'), key: f('casework-worker.key'), serverName: 'temporal.prodlike' };
}

/** The Temporal server's config: the module's development-postgres12.yaml with our ports and database, and mTLS if asked. */
function temporalConfig(moduleDir: string, dir: string, pg: { host: string; port: number }, temporalPort: number, tls?: TlsFiles): void {
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(path.join(configDir, 'dynamicconfig'), { recursive: true });
  // The development config's ports moved clear of the dev server's (7233 -> 7433 ...), then by the frontend port's offset.
  const shift: Record<string, number> = { 7233: 7433, 7243: 7443, 7234: 7434, 7235: 7435, 7239: 7439, 6933: 7933, 6934: 7934, 6935: 7935, 6939: 7939, 7936: 8936, 8000: 8200 };
  let yaml = fs.readFileSync(path.join(moduleDir, 'config', 'development-postgres12.yaml'), 'utf8');
  yaml = yaml.replace(/\b(7233|7243|7234|7235|7239|6933|6934|6935|6939|7936|8000)\b/g, (p) => String(shift[p] + temporalPort - 7433)).replace(/127\.0\.0\.1:5432/g, `${pg.host}:${pg.port}`);
  const config = parseYaml(yaml);
  if (tls) {
    const client = { serverName: tls.serverName, rootCaFiles: [tls.ca] };
    config.global.tls = {
      frontend: { server: { certFile: tls.serverCert, keyFile: tls.serverKey, requireClientAuth: true, clientCaFiles: [tls.ca] }, client },
      systemWorker: { certFile: tls.serverCert, keyFile: tls.serverKey, client },
    };
  }
  fs.writeFileSync(path.join(configDir, 'development.yaml'), stringifyYaml(config));
  for (const f of fs.readdirSync(path.join(moduleDir, 'config', 'dynamicconfig'))) {
    const target = path.join(configDir, 'dynamicconfig', f);
    fs.copyFileSync(path.join(moduleDir, 'config', 'dynamicconfig', f), target);
    fs.chmodSync(target, 0o644); // the module cache's files are read-only
  }
}

/**
 * A fresh database made quickly: a copy of a template made once (`fill` sets up a new database, then the template is
 * copied from it), keyed by what fills it (the server version, the migrations). CREATE DATABASE … TEMPLATE copies
 * files: well under a second, where the schema tools take 15 s each here.
 */
async function freshDatabase(admin: Pg, db: string, owner: string, template: string, fill: () => Promise<void>): Promise<'copied' | 'filled'> {
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])).rowCount === 1) {
    await admin.query(`CREATE DATABASE ${db} OWNER ${owner} TEMPLATE ${template}`);
    return 'copied';
  }
  await admin.query(`CREATE DATABASE ${db} OWNER ${owner}`);
  await fill();
  await admin.query(`CREATE DATABASE ${template} OWNER ${owner} TEMPLATE ${db}`);
  return 'filled';
}

/** The Temporal role and databases, then the schemas (setup once, updates every run: idempotent). */
async function temporalSchemas(adminUrl: string, bin: string, moduleDir: string, fresh: boolean, log: (m: string) => void): Promise<{ host: string; port: number }> {
  const url = new URL(adminUrl);
  const pg = { host: url.hostname, port: Number(url.port || 5432) };
  const sql = (db: string, ...args: string[]) => execFileP(path.join(bin, 'sql'), ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', 'temporal', '--pw', 'temporal', '--db', db, ...args]);
  const schemas = async (db: string, schema: string) => {
    const c = new Pg({ host: pg.host, port: pg.port, user: 'temporal', password: 'temporal', database: db });
    await c.connect();
    const isFresh = (await c.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'")).rowCount === 0;
    await c.end();
    if (isFresh) await sql(db, 'setup-schema', '-v', '0.0');
    await sql(db, 'update-schema', '-d', path.join(moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned'));
    return isFresh ? 'set up' : 'up to date';
  };
  const admin = new Pg({ connectionString: adminUrl });
  await admin.connect();
  try {
    if ((await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'temporal'")).rowCount === 0) await admin.query("CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal'");
    for (const [db, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
      if (fresh) {
        const how = await freshDatabase(admin, db, 'temporal', `${db}_template_${PROD_LIKE.temporalVersion.replace(/\./g, '_')}`, async () => void (await schemas(db, schema)));
        log(`Temporal schema ${schema}: fresh (${how === 'copied' ? 'from its template' : 'set up, and kept as a template'})`);
        continue;
      }
      if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 0) await admin.query(`CREATE DATABASE ${db} OWNER temporal`);
      log(`Temporal schema ${schema}: ${await schemas(db, schema)}`);
    }
  } finally {
    await admin.end();
  }
  return pg;
}

/** The application's database, migrated (fresh: a copy of a template migrated once with the same migrations). */
async function appDatabase(adminUrl: string, fresh: boolean): Promise<{ databaseUrl: string; how: string }> {
  const url = new URL(adminUrl);
  const appUrl = new URL(adminUrl);
  appUrl.pathname = `/${PROD_LIKE.appDatabase}`;
  const databaseUrl = appUrl.toString();
  const migrate = () => execFileP('bash', ['scripts/prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } });
  const admin = new Pg({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (fresh) {
      const migrations = fs.readdirSync(path.join(ROOT, 'prisma', 'migrations')).sort().map((m) => {
        const file = path.join(ROOT, 'prisma', 'migrations', m, 'migration.sql');
        return `${m}:${fs.existsSync(file) ? crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') : ''}`;
      });
      const key = crypto.createHash('sha256').update(migrations.join('\n')).digest('hex').slice(0, 12);
      const how = await freshDatabase(admin, PROD_LIKE.appDatabase, url.username, `${PROD_LIKE.appDatabase}_template_${key}`, async () => void (await migrate()));
      return { databaseUrl, how: how === 'copied' ? 'fresh, from its template' : 'fresh, migrated and kept as a template' };
    }
    if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PROD_LIKE.appDatabase])).rowCount === 0) await admin.query(`CREATE DATABASE ${PROD_LIKE.appDatabase} OWNER ${url.username}`);
  } finally {
    await admin.end();
  }
  await migrate();
  return { databaseUrl, how: 'migrated' };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(500);
  }
}

/**
 * The secrets production asks for: the platform's (lib/config.ts DEV_SECRETS), each webhook source's a process declares,
 * and the simulated key's seed. Made once per variable, kept in the data directory (0600).
 */
export const prodLikeSecretVariables = (): string[] => [
  // The reply-token key only signs replies to inbound mail, which this topology does not enable (nor does compose).
  ...Object.keys(DEV_SECRETS).filter((v) => v !== 'REPLY_TOKEN_SECRET'),
  ...processes.flatMap((p) => (p.webhooks ?? []).map((w) => w.secretVariable)),
  'SIMULATED_SIGNING_KEY_SEED',
];
export function prodLikeSecrets(dir: string): Record<string, string> {
  const file = path.join(dir, 'secrets.json');
  const kept: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const s = Object.fromEntries(prodLikeSecretVariables().map((v) => [v, kept[v] ?? (v === 'SIMULATED_SIGNING_KEY_SEED' ? crypto.randomBytes(32).toString('hex') : crypto.randomBytes(32).toString('base64url'))]));
  fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

/** The environment of every worker and API process (their own port and host added to an API's). */
export function prodLikeEnvironment(o: { databaseUrl: string; temporalAddress: string; smtpPort: number; dataDir: string; uiUrl?: string }): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: o.databaseUrl,
    TEMPORAL_ADDRESS: o.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_UI_URL: o.uiUrl ?? `http://127.0.0.1:${PROD_LIKE.uiPort}`,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(o.smtpPort),
    LOG_LEVEL: 'info',
    DATA_DIR: o.dataDir,
    BLOB_DIR: path.join(o.dataDir, 'blobs'),
    // No real provider here: every port runs its simulation, each named (lib/config.ts refuses the others in production).
    ALLOW_SIMULATED: PORT_NAMES.filter((n) => (PORT_SETTINGS[n].simulations as readonly string[]).length > 0).join(','),
  };
}

/** Starts the topology and waits until both APIs answer /readyz; see the file's header. */
export async function startProdLike(options: ProdLikeOptions = {}): Promise<ProdLikeTopology> {
  const log = options.log ?? defaultLog;
  const bin = requireEnv('TEMPORAL_SERVER_BIN');
  const moduleDir = requireEnv('TEMPORAL_SERVER_MODULE');
  const dir = path.resolve(options.dataDir ?? PROD_LIKE.dataDir);
  const temporalPort = options.temporalPort ?? PROD_LIKE.temporalPort;
  const apiPorts = options.apiPorts ?? PROD_LIKE.apiPorts;
  const smtpPort = options.smtpPort ?? PROD_LIKE.smtpPort;
  const workerCount = options.workers ?? PROD_LIKE.workers;
  if (options.fresh) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const logFile = (name: string) => path.join(dir, 'logs', `${name}.log`);
  const started: Supervised[] = [];
  let mail: MailCatcher | undefined;
  let stopped = false;

  // 1. PostgreSQL: the topology's own cluster (never the machine's main one).
  let t0 = Date.now();
  const own: OwnPostgres = ownPostgres(PROD_LIKE.postgres.cluster, PROD_LIKE.postgres.port);
  const pgProbe = async () => {
    const c = new Pg({ connectionString: own.adminUrl, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.query('SELECT 1');
    await c.end();
    return true;
  };
  await waitFor('PostgreSQL', pgProbe, 60_000);
  log(`PostgreSQL cluster ${PROD_LIKE.postgres.cluster} on ${own.port} (${Date.now() - t0} ms)`);

  const tls = options.temporalTls ? makeTlsFiles(path.join(dir, 'tls')) : undefined;
  const tlsSettings = tls
    ? { TEMPORAL_TLS: true, TEMPORAL_TLS_CA: tls.ca, TEMPORAL_TLS_CERT: tls.cert, TEMPORAL_TLS_KEY: tls.key, TEMPORAL_TLS_SERVER_NAME: tls.serverName }
    : { TEMPORAL_TLS: false };
  const address = `127.0.0.1:${temporalPort}`;
  const connectTemporal = () => Connection.connect({ ...temporalConnectionOptions(address, tlsSettings), connectTimeout: 2000 });

  const stopAll = async () => {
    const apps = started.filter((p) => p.name.startsWith('api-') || p.name.startsWith('worker-'));
    await Promise.all(apps.map((p) => p.stop(20_000)));
    await Promise.all(started.filter((p) => !apps.includes(p)).map((p) => p.stop(10_000)));
    await mail?.close();
  };

  try {
    // 2. Temporal on PostgreSQL; beside it, the application's database.
    t0 = Date.now();
    const appDb = appDatabase(own.adminUrl, !!options.fresh);
    appDb.catch(() => undefined); // awaited below
    const pg = await temporalSchemas(own.adminUrl, bin, moduleDir, !!options.fresh, log);
    const temporalDir = path.join(dir, 'temporal');
    temporalConfig(moduleDir, temporalDir, pg, temporalPort, tls);
    const postgres: Restartable = {
      name: 'postgres',
      isRunning: () => own.isRunning(),
      kill: async () => own.kill(),
      restart: async () => {
        // A killed postmaster's shared memory frees a moment after its backends leave: the start is tried again.
        await waitFor('PostgreSQL to start again', async () => (own.start(), true), 60_000);
        await waitFor('PostgreSQL', pgProbe, 60_000);
      },
      whenReady: async (o) => void (await waitFor('PostgreSQL', pgProbe, o?.timeoutMs ?? 60_000)),
    };
    const temporalServer = new Supervised({
      name: 'temporal',
      command: path.join(bin, 'server'),
      args: ['--root', temporalDir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
      cwd: temporalDir,
      env: { ...process.env },
      logFile: logFile('temporal'),
      log,
      ready: async () => {
        const c = await connectTemporal();
        try {
          await c.workflowService.getSystemInfo({});
          return true;
        } finally {
          await c.close();
        }
      },
      dependenciesDown: () => (own.isRunning() ? [] : ['PostgreSQL']),
    });
    started.push(temporalServer);
    await temporalServer.start();
    const connection = await connectTemporal();
    try {
      const ns = await connection.workflowService.listNamespaces({}).then((r) => r.namespaces?.some((n) => n.namespaceInfo?.name === 'default'));
      if (!ns) await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('7 days') });
      await waitFor('the default namespace', async () => (await connection.workflowService.describeNamespace({ namespace: 'default' })) && true);
      await waitFor('the search attributes', async () => (await registerSearchAttributes(connection, 'default'), true), 60_000);
    } finally {
      await connection.close();
    }
    log(`Temporal server ${PROD_LIKE.temporalVersion} on ${address}${tls ? ' (mTLS)' : ''}, PostgreSQL persistence and visibility (${Date.now() - t0} ms)`);

    // 3. The application's database; the first admin key (once), and this start's own admin key.
    t0 = Date.now();
    const { databaseUrl, how } = await appDb;
    const db = createDb(databaseUrl, { maxConnections: 2 });
    let firstAdminKey: string | undefined;
    let session: { id: string; apiKey: string };
    try {
      if ((await db.principal.count({ where: { role: 'admin', revokedAt: null } })) === 0) firstAdminKey = (await createPrincipal(db, { name: 'first admin', role: 'admin' })).apiKey;
      // A key for whoever drives this start (a stage): expires in a day, revoked by stop().
      session = await createPrincipal(db, { name: `prod-like session ${new Date().toISOString()}`, role: 'admin', expiresAt: new Date(Date.now() + 24 * 3_600_000), actor: 'prod-like' });
    } finally {
      await db.$disconnect();
    }
    log(`application database ${how} (waited ${Date.now() - t0} ms after Temporal)`);

    // 4. Mail.
    const mailDir = path.join(dir, 'mail');
    mail = await startMailCatcher({ port: smtpPort, dir: mailDir, keepInMemory: false });

    // 5. The Temporal UI (its own process), when built.
    let uiUrl: string | undefined;
    if (options.ui && !tls) {
      const uiDir = path.join(dir, 'ui');
      fs.mkdirSync(path.join(uiDir, 'config'), { recursive: true });
      fs.writeFileSync(path.join(uiDir, 'config', 'development.yaml'), stringifyYaml({ temporalGrpcAddress: address, host: '127.0.0.1', port: options.ui.port, publicPath: '', enableUi: true, defaultNamespace: 'default', cors: { allowOrigins: [] }, auth: { enabled: false } }));
      uiUrl = `http://127.0.0.1:${options.ui.port}`;
      const ui = new Supervised({
        name: 'temporal-ui',
        command: options.ui.bin,
        args: ['--root', uiDir, '--config', 'config', '--env', 'development', 'start'],
        cwd: uiDir,
        env: { ...process.env },
        logFile: logFile('temporal-ui'),
        log,
        ready: async () => (await fetch(uiUrl!)).status < 500,
        dependenciesDown: () => [],
        readyTimeoutMs: 30_000,
      });
      started.push(ui);
      await ui.start().catch((err) => log(`the Temporal UI did not start: ${(err as Error).message.split('\n')[0]}`));
    }

    // 6. Workers and APIs: the production configuration, each under its supervisor.
    t0 = Date.now();
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...prodLikeEnvironment({ databaseUrl, temporalAddress: address, smtpPort, dataDir: dir, uiUrl }),
      ...prodLikeSecrets(dir),
      ...Object.fromEntries(Object.entries(tlsSettings).map(([k, v]) => [k, String(v)])),
      POLICY_FILE: options.policyFile ? path.resolve(options.policyFile) : undefined,
      ...options.env,
    };
    const appDown = () => [...(temporalServer.isRunning() ? [] : ['Temporal']), ...(own.isRunning() ? [] : ['PostgreSQL'])];
    const node = process.execPath;
    const workers = Array.from({ length: workerCount }, (_, i) =>
      new Supervised({
        name: `worker-${i + 1}`,
        command: node,
        args: ['--import', 'tsx', 'worker/main.ts'],
        cwd: ROOT,
        env,
        logFile: logFile(`worker-${i + 1}`),
        log,
        // It polls once it has logged its start (worker/main.ts: after the connections, search attributes, schedules).
        ready: async (output) => /"msg":"worker started"/.test(output),
        dependenciesDown: appDown,
      }),
    );
    const apis = apiPorts.map((port, i) =>
      new Supervised({
        name: `api-${i + 1}`,
        command: node,
        args: ['--import', 'tsx', 'api/server.ts'],
        cwd: ROOT,
        env: { ...env, API_PORT: String(port), API_HOST: '127.0.0.1' },
        logFile: logFile(`api-${i + 1}`),
        log,
        ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        dependenciesDown: appDown,
      }),
    );
    started.push(...workers, ...apis);
    await Promise.all([...workers, ...apis].map((p) => p.start()));
    log(`${workerCount} workers and ${apis.length} APIs ready (${Date.now() - t0} ms)`);

    const topology: ProdLikeTopology = {
      apis: apiPorts.map((p) => `http://127.0.0.1:${p}`),
      adminKey: session.apiKey,
      firstAdminKey,
      secrets: prodLikeSecrets(dir),
      databaseUrl,
      adminUrl: own.adminUrl,
      temporal: { address, namespace: 'default', ...(tls && { tls: { ca: tls.ca, cert: tls.cert, key: tls.key, serverName: tls.serverName } }) },
      uiUrl,
      mailDir,
      dataDir: dir,
      workers,
      apiProcesses: apis,
      temporalServer,
      postgres,
      processes: started,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        // This start's key revoked while the database is still there (if it is up).
        if (own.isRunning()) {
          const d = createDb(databaseUrl, { maxConnections: 1 });
          await revokePrincipal(d, session.id, { actor: 'prod-like' }).catch(() => undefined);
          await d.$disconnect();
        }
        await stopAll();
        fs.rmSync(path.join(dir, 'state.json'), { force: true });
      },
    };
    const state = { temporal: address, apis: topology.apis, smtp: `127.0.0.1:${smtpPort}`, ui: uiUrl ?? null, databaseUrl, pids: Object.fromEntries(started.map((p) => [p.name, p.pid])) };
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
    return topology;
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** `bash scripts/prod-like`: the topology until Ctrl-C, with the Temporal UI when scripts/prod-like could build it. */
async function main() {
  const uiBin = process.env.TEMPORAL_UI_BIN;
  const topology = await startProdLike({ ui: uiBin && fs.existsSync(uiBin) ? { bin: uiBin, port: PROD_LIKE.uiPort } : undefined, policyFile: process.env.POLICY_FILE });
  const rel = (p: string) => path.relative(ROOT, p);
  defaultLog(`ready: APIs ${topology.apis.join(', ')}; workers ${topology.workers.length}; Temporal ${topology.temporal.address}; UI ${topology.uiUrl ?? '(not built: see README)'}; mail in ${rel(topology.mailDir)}; logs in ${rel(path.join(topology.dataDir, 'logs'))}`);
  if (topology.firstAdminKey) defaultLog(`created the first admin API key (shown once, keep it): ${topology.firstAdminKey}`);
  defaultLog('Ctrl-C stops everything');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    defaultLog('stopping');
    await topology.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
