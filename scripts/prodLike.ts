// The production topology, run on this machine (`bash scripts/prod-like`): Temporal server 1.32.0 built from Go (the
// version the dev server embeds) on the machine's PostgreSQL with PostgreSQL visibility, two worker processes and two
// API processes (worker/main.ts, api/server.ts) with the production configuration (NODE_ENV=production, secrets of their
// own, simulations allowed by name only), and a mail catcher. Ctrl-C (or SIGTERM) stops everything; a second run reuses
// .data/prod-like. Needs TEST_DATABASE_ADMIN_URL (a superuser URL: scripts/prod-like sets it) and TEMPORAL_SERVER_BIN
// (the directory holding `server` and `sql`).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client as Pg } from 'pg';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { startMailCatcher } from '../lib/mailCatcher';
import { registerSearchAttributes } from '../lib/temporal';
import { createDb } from '../lib/db';
import { createPrincipal } from '../lib/principals';
import { ROOT } from './harness/paths';
import { DEV_SECRETS, PORT_NAMES, PORT_SETTINGS } from '../lib/config';
import { processes } from '../processes';

/** Ports of this topology: apart from the dev system's (7233, 3000, 1025) so both can run. */
export const PROD_LIKE = {
  temporalPort: 7433,
  apiPorts: [3101, 3102],
  smtpPort: 1125,
  workers: 2,
  dataDir: path.join(ROOT, '.data', 'prod-like'),
  temporalVersion: '1.32.0',
  appDatabase: 'casework_prodlike',
} as const;

const log = (msg: string) => process.stderr.write(`\x1b[1m[prod-like]\x1b[0m ${msg}\n`);

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (bash scripts/prod-like sets it)`);
  return v;
}

/** The Temporal server's config for this machine: the module's development-postgres12.yaml with our ports and database. */
function temporalConfig(moduleDir: string, dir: string, pg: { host: string; port: number }): void {
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(path.join(configDir, 'dynamicconfig'), { recursive: true });
  const shift: Record<string, string> = { '7233': '7433', '7243': '7443', '7234': '7434', '7235': '7435', '7239': '7439', '6933': '7933', '6934': '7934', '6935': '7935', '6939': '7939', '7936': '8936', '8000': '8200' };
  let yaml = fs.readFileSync(path.join(moduleDir, 'config', 'development-postgres12.yaml'), 'utf8');
  yaml = yaml.replace(/\b(7233|7243|7234|7235|7239|6933|6934|6935|6939|7936|8000)\b/g, (p) => shift[p]).replace(/127\.0\.0\.1:5432/g, `${pg.host}:${pg.port}`);
  fs.writeFileSync(path.join(configDir, 'development.yaml'), yaml);
  for (const f of fs.readdirSync(path.join(moduleDir, 'config', 'dynamicconfig'))) {
    const target = path.join(configDir, 'dynamicconfig', f);
    fs.copyFileSync(path.join(moduleDir, 'config', 'dynamicconfig', f), target);
    fs.chmodSync(target, 0o644); // the module cache's files are read-only
  }
}

/** The Temporal role and databases, then the schemas (setup once, updates every run: idempotent). */
async function temporalSchemas(adminUrl: string, bin: string, moduleDir: string): Promise<{ host: string; port: number }> {
  const url = new URL(adminUrl);
  const pg = { host: url.hostname, port: Number(url.port || 5432) };
  const admin = new Pg({ connectionString: adminUrl });
  await admin.connect();
  try {
    if ((await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'temporal'")).rowCount === 0) await admin.query("CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal'");
    for (const db of ['temporal', 'temporal_visibility', PROD_LIKE.appDatabase]) {
      if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 0) await admin.query(`CREATE DATABASE ${db} OWNER ${db === PROD_LIKE.appDatabase ? url.username : 'temporal'}`);
    }
  } finally {
    await admin.end();
  }
  for (const [db, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
    const c = new Pg({ host: pg.host, port: pg.port, user: 'temporal', password: 'temporal', database: db });
    await c.connect();
    const fresh = (await c.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'")).rowCount === 0;
    await c.end();
    const sql = (...args: string[]) => execFileSync(path.join(bin, 'sql'), ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', 'temporal', '--pw', 'temporal', '--db', db, ...args], { stdio: 'pipe' });
    if (fresh) sql('setup-schema', '-v', '0.0');
    sql('update-schema', '-d', path.join(moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned'));
    log(`Temporal schema ${schema}: ${fresh ? 'set up' : 'up to date'}`);
  }
  return pg;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The secrets production asks for: the platform's (lib/config.ts DEV_SECRETS), each webhook source's a process declares,
 * and the simulated key's seed. Made once per variable, kept under .data/prod-like (0600).
 */
export const prodLikeSecretVariables = (): string[] => [
  // The reply-token key only signs replies to inbound mail, which this topology does not enable (nor does compose).
  ...Object.keys(DEV_SECRETS).filter((v) => v !== 'REPLY_TOKEN_SECRET'),
  ...processes.flatMap((p) => (p.webhooks ?? []).map((w) => w.secretVariable)),
  'SIMULATED_SIGNING_KEY_SEED',
];
function secrets(dir: string): Record<string, string> {
  const file = path.join(dir, 'secrets.json');
  const kept: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const s = Object.fromEntries(prodLikeSecretVariables().map((v) => [v, kept[v] ?? (v === 'SIMULATED_SIGNING_KEY_SEED' ? crypto.randomBytes(32).toString('hex') : crypto.randomBytes(32).toString('base64url'))]));
  fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

/** The environment of every worker and API process (their own port and host added to an API's). */
export function prodLikeEnvironment(o: { databaseUrl: string; temporalAddress: string; smtpPort: number; dataDir: string }): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: o.databaseUrl,
    TEMPORAL_ADDRESS: o.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_UI_URL: `http://127.0.0.1:${PROD_LIKE.temporalPort}`,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(o.smtpPort),
    LOG_LEVEL: 'info',
    DATA_DIR: o.dataDir,
    BLOB_DIR: path.join(o.dataDir, 'blobs'),
    // No real provider here: every port runs its simulation, each named (lib/config.ts refuses the others in production).
    ALLOW_SIMULATED: PORT_NAMES.filter((n) => (PORT_SETTINGS[n].simulations as readonly string[]).length > 0).join(','),
  };
}

async function main() {
  const adminUrl = requireEnv('TEST_DATABASE_ADMIN_URL');
  const bin = requireEnv('TEMPORAL_SERVER_BIN');
  const moduleDir = requireEnv('TEMPORAL_SERVER_MODULE');
  const dir = PROD_LIKE.dataDir;
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const children: { name: string; child: ChildProcess }[] = [];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    for (const { child } of [...children].reverse()) child.kill('SIGTERM');
    await Promise.all(children.map(({ child }) => new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)))));
    fs.rmSync(path.join(dir, 'state.json'), { force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());
  const start = (name: string, command: string, args: string[], o: { cwd?: string; env?: Record<string, string> } = {}) => {
    const out = fs.openSync(path.join(dir, 'logs', `${name}.log`), 'a');
    const child = spawn(command, args, { cwd: o.cwd ?? ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', out, out] });
    child.on('exit', (code, signal) => {
      if (!stopping) log(`${name} exited (${signal ?? code}); see ${path.relative(ROOT, path.join(dir, 'logs', `${name}.log`))}`);
    });
    children.push({ name, child });
    return child;
  };

  // 1. Temporal on PostgreSQL.
  const pg = await temporalSchemas(adminUrl, bin, moduleDir);
  const temporalDir = path.join(dir, 'temporal');
  temporalConfig(moduleDir, temporalDir, pg);
  start('temporal', path.join(bin, 'server'), ['--root', temporalDir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], { cwd: temporalDir });
  const address = `127.0.0.1:${PROD_LIKE.temporalPort}`;
  const connection = await waitFor('Temporal server 1.32.0', async () => {
    const c = await Connection.connect({ address, connectTimeout: 2000 });
    await c.workflowService.getSystemInfo({});
    return c;
  });
  const ns = await connection.workflowService.listNamespaces({}).then((r) => r.namespaces?.some((n) => n.namespaceInfo?.name === 'default'));
  if (!ns) await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('7 days') });
  await waitFor('the default namespace', async () => (await connection.workflowService.describeNamespace({ namespace: 'default' })) && true);
  await registerSearchAttributes(connection, 'default');
  log(`Temporal server ${PROD_LIKE.temporalVersion} on ${address} (PostgreSQL ${pg.host}:${pg.port}, PostgreSQL visibility)`);

  // 2. The application's database, migrated; the first admin key.
  const appUrl = new URL(adminUrl);
  appUrl.pathname = `/${PROD_LIKE.appDatabase}`;
  const databaseUrl = appUrl.toString();
  execFileSync('bash', ['scripts/prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'pipe' });
  const db = createDb(databaseUrl, { maxConnections: 2 });
  let adminKey: string | undefined;
  if ((await db.principal.count({ where: { role: 'admin', revokedAt: null } })) === 0) adminKey = (await createPrincipal(db, { name: 'first admin', role: 'admin' })).apiKey;
  await db.$disconnect();

  // 3. Mail.
  const mail = await startMailCatcher({ port: PROD_LIKE.smtpPort, dir: path.join(dir, 'mail'), keepInMemory: false });

  // 4. Two workers, two APIs: the production configuration.
  const env = { ...prodLikeEnvironment({ databaseUrl, temporalAddress: address, smtpPort: PROD_LIKE.smtpPort, dataDir: dir }), ...secrets(dir) };
  const node = process.execPath;
  for (let i = 1; i <= PROD_LIKE.workers; i++) start(`worker-${i}`, node, ['--import', 'tsx', 'worker/main.ts'], { env });
  PROD_LIKE.apiPorts.forEach((port, i) => start(`api-${i + 1}`, node, ['--import', 'tsx', 'api/server.ts'], { env: { ...env, API_PORT: String(port), API_HOST: '127.0.0.1' } }));
  for (const port of PROD_LIKE.apiPorts) await waitFor(`the API on ${port}`, async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), 180_000);
  const state = { temporal: address, apis: PROD_LIKE.apiPorts.map((p) => `http://127.0.0.1:${p}`), smtp: `127.0.0.1:${mail.port}`, databaseUrl, pids: Object.fromEntries(children.map(({ name, child }) => [name, child.pid])) };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  log(`ready: APIs ${state.apis.join(', ')}; workers ${PROD_LIKE.workers}; Temporal ${address}; mail in ${path.relative(ROOT, path.join(dir, 'mail'))}; logs in ${path.relative(ROOT, path.join(dir, 'logs'))}`);
  if (adminKey) log(`created the first admin API key (shown once, keep it): ${adminKey}`);
  log('Ctrl-C stops everything');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
