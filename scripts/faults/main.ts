// The fault stage (bash scripts/chaos [--full] [--cases N] [--seed S]): the prod-like topology on a short policy, the
// load of every process (scripts/faults/load.ts), seeded faults (scripts/faults/schedule.ts), then the invariants
// (scripts/faults/invariants.ts) in one table. Exit 1 on any violation, 2 on a usage error.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness/paths';
import { startDevTopology, type ChaosTopology } from './devTopology';
import { startProdLike } from '../prodLike';
import { checkInvariants, outboxDrained, type Check } from './invariants';
import { runLoad } from './load';
import { writeShortPolicy } from './policy';
import { FAULT_KINDS, planFaults, runFaults, type InjectedFault } from './schedule';

const log = (m: string) => process.stderr.write(`\x1b[1m[chaos]\x1b[0m ${new Date().toISOString().slice(11, 19)} ${m}\n`);

/** The reconciler's bound and period on the stage's topology (CASE_START_BOUND_SECONDS, CASE_RECONCILE_EVERY_SECONDS). */
const RECONCILE_SECONDS = 10;

/**
 * The topology the stage runs on: the production topology (scripts/prodLike.ts), fresh, with the short policy, a short
 * reconciler period and rate limits that one storefront key driving many cases at once does not meet.
 * `--dev-topology` runs it on scripts/faults/devTopology.ts instead (the Temporal CLI's dev server: no Go build).
 */
async function startTopology(policyFile: string): Promise<ChaosTopology> {
  if (process.argv.includes('--dev-topology')) return startDevTopology({ policyFile, fresh: true });
  const t = await startProdLike({
    policyFile,
    fresh: true,
    env: { CASE_START_BOUND_SECONDS: String(RECONCILE_SECONDS), CASE_RECONCILE_EVERY_SECONDS: String(RECONCILE_SECONDS), RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '10000' },
  });
  return Object.assign(t, { reconcilerBoundMs: 2 * RECONCILE_SECONDS * 1000 });
}

interface Options {
  full: boolean;
  cases: number;
  seed: number;
  concurrency: number;
  minutes: number;
  faultsPerKind: number;
  windowSeconds: number;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} takes a value`);
    return v;
  };
  const int = (name: string, dflt: number, min = 1) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} takes a whole number of at least ${min} (got ${v})`);
    return n;
  };
  const known = new Set(['--full', '--cases', '--seed', '--concurrency', '--minutes', '--dev-topology']);
  const unknown = argv.filter((a, i) => a.startsWith('--') && !known.has(a) && !(i > 0 && known.has(argv[i - 1]) && argv[i - 1] !== '--full'));
  if (unknown.length) throw new UsageError(`unknown option ${unknown.join(' ')}; usage: bash scripts/chaos [--full] [--cases N] [--seed S] [--concurrency C] [--minutes M] [--dev-topology]`);
  const full = argv.includes('--full');
  return {
    full,
    cases: int('cases', full ? 300 : 60),
    seed: int('seed', crypto.randomInt(1, 2 ** 31 - 1), 0),
    concurrency: int('concurrency', full ? 20 : 12),
    // Every window of the short policy, in minutes: long enough for a journey's next step under faults, short enough to lapse.
    minutes: int('minutes', full ? 3 : 2),
    faultsPerKind: full ? 3 : 1,
    windowSeconds: full ? 1200 : 240,
  };
}

function table(checks: Check[], faults: InjectedFault[]): string {
  const rows: string[][] = [['', 'check', 'counts']];
  for (const k of FAULT_KINDS) {
    const f = faults.filter((x) => x.kind === k);
    const back = f.filter((x) => x.readyAt);
    const mean = back.length ? back.reduce((a, x) => a + (x.readyAt! - x.killedAt), 0) / back.length / 1000 : 0;
    rows.push([f.length > 0 && back.length === f.length ? 'ok' : 'FAIL', `faults: SIGKILL ${k}`, `${f.length} injected (${[...new Set(f.map((x) => x.name))].join(', ')}), ${back.length} back; ${mean.toFixed(1)} s down to ready on average`]);
  }
  for (const c of checks) rows.push([c.held ? 'ok' : 'FAIL', c.name, c.counts]);
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => `| ${r[0].padEnd(w[0])} | ${r[1].padEnd(w[1])} | ${r[2]} |`);
  lines.splice(1, 0, `|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|---|`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const started = Date.now();
  log(`${o.full ? 'full' : 'short'} run: ${o.cases} cases, ${o.concurrency} at a time, windows of ${o.minutes} min, ${o.faultsPerKind} fault(s) of each kind; seed ${o.seed} (again: --seed ${o.seed})`);
  const dir = path.join(ROOT, '.data', 'chaos');
  fs.mkdirSync(dir, { recursive: true });
  const policyFile = path.join(dir, 'policy.json');
  writeShortPolicy(policyFile, o.minutes);

  const t = await startTopology(policyFile);
  // Ctrl-C or SIGTERM: the topology's processes stop with this one.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping the topology`);
      void t.stop().finally(() => process.exit(130));
    });
  }
  const upAt = Date.now();
  log(`topology up in ${((upAt - started) / 1000).toFixed(0)} s`);
  try {
    const plan = planFaults(o.seed, o.faultsPerKind, o.windowSeconds);
    log(`fault plan: ${plan.map((f) => `${f.kind}@${f.atSeconds}s`).join(', ')}`);
    let loadDone = false;
    const loadStart = Date.now();
    const faultsRun = runFaults(t, plan, loadStart, () => loadDone, log);
    const load = await runLoad(t, { cases: o.cases, concurrency: o.concurrency, minutes: o.minutes, maxMs: (o.full ? 90 : 30) * 60_000, log }).finally(() => {
      loadDone = true;
    });
    const faults = await faultsRun;
    log(`load done in ${((load.finishedAt - load.startedAt) / 1000).toFixed(0)} s: ${load.stats.requests} requests, ${load.stats.retries} retries (${load.stats.networkErrors} network errors, ${load.stats.serverErrors} 5xx)`);
    // Every part up; the reconciler's bound passed; the outbox settled.
    for (const p of [t.postgres, t.temporalServer, ...t.workers, ...t.apiProcesses]) if (!p.isRunning()) await p.restart();
    await new Promise((r) => setTimeout(r, t.reconcilerBoundMs ?? 60_000));
    const left = await outboxDrained(t.databaseUrl, 180_000);
    if (left) log(`${left} e-mails still queued after 3 minutes`);
    const checks = await checkInvariants(t, { cases: load.cases, faults, api: load.api, auditorKey: load.auditorKey, log });
    const crashes = t.crashes?.() ?? {};
    process.stdout.write(`\n${table(checks, faults)}\n\n`);
    for (const c of checks.filter((x) => !x.held)) process.stdout.write(`${c.name}:\n${c.details.map((d) => `  - ${d}`).join('\n')}\n`);
    const crashed = Object.entries(crashes).filter(([, n]) => n > 0);
    if (crashed.length) process.stdout.write(`parts that died on their own and were started again: ${crashed.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    const violations = checks.filter((c) => !c.held).length + FAULT_KINDS.filter((k) => !faults.some((f) => f.kind === k && f.readyAt)).length;
    process.stdout.write(`seed ${o.seed}; ${load.cases.length} cases; load ${((load.finishedAt - load.startedAt) / 1000).toFixed(0)} s; whole run ${((Date.now() - started) / 1000).toFixed(0)} s; ${violations ? `${violations} VIOLATED` : 'every invariant held'}\n`);
    return violations ? 1 : 0;
  } finally {
    await t.stop().catch((err) => log(`stopping the topology: ${(err as Error).message}`));
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
