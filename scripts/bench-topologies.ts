// The benchmark harness against both topologies on this machine, one after the other, and their tables side by side:
// the dev system (`bash scripts/dev`: one process for worker + API + embedded PGlite, the Temporal dev server) and the
// production topology (`bash scripts/prod-like`: two workers, two APIs, Temporal server 1.32.0 on PostgreSQL). CPU is
// split per part of each (the prod-like state file's processes and its PostgreSQL cluster). Not a test.
//   bash scripts/bench.sh topologies [--only start,latency,firsttask,history,whole,replay] [--cases 100] [--skip-dev] [--skip-prod-like]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness/paths';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const only = opt('only', 'start,latency,firsttask,history,whole,replay');
const cases = opt('cases', '100');
const progress = (msg: string) => process.stderr.write(`\x1b[1m[bench topologies]\x1b[0m ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await Promise.resolve(probe()).catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

/** Starts a long-running command in its own process group, its output to a log file. */
function background(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stop(): Promise<void> } {
  const log = fs.openSync(path.join(ROOT, '.data', `bench-${name}.log`), 'w');
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', log, log], detached: true });
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      process.kill(-child.pid!, 'SIGINT');
      const gone = new Promise((r) => child.once('exit', r));
      if (!(await Promise.race([gone.then(() => true), sleep(30_000).then(() => false)]))) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

function harness(env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--only', only, '--cases', cases], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`the harness exited ${code}`))));
  });
}

const ready = async (url: string) => (await fetch(`${url}/readyz`)).status === 200;

async function devSystem(): Promise<string> {
  progress('dev system: bash scripts/dev');
  const dev = background('dev', 'bash', ['scripts/dev'], { ...process.env });
  try {
    await until('the dev system on :3000', () => ready('http://127.0.0.1:3000'), 300_000);
    return await harness({ ...process.env, API_URL: 'http://127.0.0.1:3000' });
  } finally {
    await dev.stop();
  }
}

async function prodLike(): Promise<string> {
  progress('production topology: bash scripts/prod-like');
  const stateFile = path.join(ROOT, '.data', 'prod-like', 'state.json');
  fs.rmSync(stateFile, { force: true });
  const topology = background('prod-like', 'bash', ['scripts/prod-like'], { ...process.env });
  try {
    await until('the production topology (its state file)', () => fs.existsSync(stateFile), 1_200_000);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { apis: string[]; temporal: string; databaseUrl: string };
    for (const api of state.apis) await until(`the API at ${api}`, () => ready(api), 180_000);
    return await harness({
      ...process.env,
      API_URLS: state.apis.join(','),
      TEMPORAL_ADDRESS: state.temporal,
      DATABASE_URL: state.databaseUrl,
      BENCH_TOPOLOGY: stateFile,
      BENCH_MAIL_DIR: path.join(ROOT, '.data', 'prod-like', 'mail'),
      // The harness signs the carrier's webhooks with the topology's own secret (scripts/prodLike.ts prodLikeSecrets).
      ...webhookSecrets(path.join(ROOT, '.data', 'prod-like', 'secrets.json')),
    });
  } finally {
    await topology.stop();
  }
}

/** The topology's webhook secrets (WEBHOOK_SECRET_*), read from the file it keeps them in. */
function webhookSecrets(file: string): Record<string, string> {
  const all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('WEBHOOK_SECRET_')));
}

/** The harness's Markdown table as figure → [result, how]. */
function rows(table: string): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  for (const line of table.split('\n').slice(2)) {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells.length === 3) out.set(cells[0], [cells[1], cells[2]]);
  }
  return out;
}

async function main() {
  fs.mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  const dev = argv.includes('--skip-dev') ? '' : await devSystem();
  const prod = argv.includes('--skip-prod-like') ? '' : await prodLike();
  const a = rows(dev);
  const b = rows(prod);
  const figures = [...new Set([...a.keys(), ...b.keys()])];
  const lines = ['| Figure | Dev system | Production topology |', '|---|---|---|'];
  for (const f of figures) lines.push(`| ${f} | ${a.get(f)?.[0] ?? '—'} | ${b.get(f)?.[0] ?? '—'} |`);
  lines.push('', '### How each was measured (and CPU per part)', '', '| Figure | Dev system | Production topology |', '|---|---|---|');
  for (const f of figures) lines.push(`| ${f} | ${a.get(f)?.[1] ?? '—'} | ${b.get(f)?.[1] ?? '—'} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
