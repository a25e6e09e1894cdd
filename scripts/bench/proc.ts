// The system's process on this machine: found by BENCH_PID, by the socket listening on the API's port, or by
// its command line; its resident memory read from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const localPort = parseInt(cols[1].split(':').pop()!, 16);
      if (localPort === port && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  return inodes;
}

function pidOwningSocket(inodes: Set<string>): number | undefined {
  if (inodes.size === 0) return undefined;
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${d}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${d}/fd/${fd}`));
        if (m && inodes.has(m[1])) return Number(d);
      } catch {
        /* gone */
      }
    }
  }
  return undefined;
}

/** The PID of the system (worker + API) process, and how it was found; undefined when it is not on this machine. */
export function systemPid(apiUrl: string): { pid: number; how: string } | undefined {
  if (process.env.BENCH_PID) return { pid: Number(process.env.BENCH_PID), how: 'BENCH_PID' };
  const url = new URL(apiUrl);
  if (['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname)) {
    const pid = pidOwningSocket(listeningInodes(Number(url.port || 80)));
    if (pid) return { pid, how: `listening on :${url.port || 80}` };
  }
  try {
    const pids = execFileSync('pgrep', ['-f', 'scripts/system.ts'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
    if (pids.length === 1) return { pid: pids[0], how: 'pgrep -f scripts/system.ts' };
  } catch {
    /* none */
  }
  return undefined;
}

/** VmRSS of a process in bytes, or undefined. */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` whose command line matches `pattern` (e.g. the embedded Temporal dev server). */
export function childPids(pid: number, pattern: RegExp): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (pattern.test(cmd)) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * The name and CPU time (user + system, ms) of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line; `reapedMs` is
 * the CPU of its children that have ended and been waited for (a PostgreSQL backend's, once it exits, on its postmaster).
 */
function parseStat(stat: string): { name: string; cpuMs: number; reapedMs: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 (utime, stime, cutime, cstime), in clock ticks of 10 ms (USER_HZ is 100 on Linux).
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    cpuMs: (Number(fields[11]) + Number(fields[12])) * 10,
    reapedMs: (Number(fields[13]) + Number(fields[14])) * 10,
  };
}

/** A PostgreSQL process's own CPU and its ended children's (ms): a backend that ends between two readings stays counted. */
function postgresCpuMsOf(pid: number): number {
  try {
    const { cpuMs, reapedMs } = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return cpuMs + reapedMs;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, every thread) a process has used so far, in ms; undefined when it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuMs;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) of every process on this machine named `postgres` (a local PostgreSQL server and its backends, and
 * the backends that ended, counted on their postmaster). 0 when there is none (PGlite, a remote server).
 */
export function localPostgresCpuMs(): number {
  let total = 0;
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const { name, cpuMs, reapedMs } = parseStat(fs.readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (name === 'postgres') total += cpuMs + reapedMs;
    } catch {
      /* gone */
    }
  }
  return total;
}

/**
 * CPU time (ms) per thread group of a process: its main thread (API, activities); the SDK core's threads (named
 * tokio-runtime-*, temporal-*, workflow-processing*); the rest, all named "node": the JS thread running the workflows,
 * V8's garbage-collector and compiler threads, libuv's pool.
 */
export function threadCpuOf(pid: number): Record<ThreadGroup, number> | undefined {
  const out: Record<ThreadGroup, number> = { main: 0, core: 0, other: 0 };
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    try {
      const { name, cpuMs } = parseStat(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      const group: ThreadGroup = tid === String(pid) ? 'main' : /^(tokio|temporal|workflow)/.test(name) ? 'core' : 'other';
      out[group] += cpuMs;
    } catch {
      // the thread ended
    }
  }
  return out;
}
type ThreadGroup = 'main' | 'core' | 'other';

/**
 * Measures the CPU the system process (worker + API, and PGlite when embedded), the embedded Temporal dev server and a local PostgreSQL
 * spend over a stretch of the benchmark: a figure that a busy machine inflates far less than wall time. The system
 * process's share is split by thread (threadCpuOf).
 */
export function cpuMeter(apiUrl: string): { stop(per: number, what: string): string } | undefined {
  if (topologyComponents()) return componentMeter(topologyComponents()!);
  const found = systemPid(apiUrl);
  if (!found) return undefined;
  const temporal = childPids(found.pid, /temporal/)[0];
  const sys0 = cpuMsOf(found.pid);
  const threads0 = threadCpuOf(found.pid);
  const tmp0 = temporal ? cpuMsOf(temporal) : undefined;
  const pg0 = localPostgresCpuMs();
  return {
    stop(per, what) {
      const sys = (cpuMsOf(found.pid) ?? NaN) - (sys0 ?? NaN);
      const threads = threadCpuOf(found.pid);
      const split =
        threads && threads0
          ? ` (${(Object.keys(threads) as ThreadGroup[]).map((g) => `${g} ${((threads[g] - threads0[g]) / per).toFixed(1)}`).join(', ')})`
          : '';
      const tmp = temporal ? (cpuMsOf(temporal) ?? NaN) - (tmp0 ?? NaN) : undefined;
      const pg = localPostgresCpuMs() - pg0;
      return `CPU per ${what}: system process ${(sys / per).toFixed(1)} ms${split}${tmp !== undefined ? `, Temporal dev server ${(tmp / per).toFixed(1)} ms` : ''}${pg > 0 ? `, local PostgreSQL ${(pg / per).toFixed(1)} ms` : ''}`;
    },
  };
}

/**
 * The parts of a topology whose CPU the harness splits (BENCH_TOPOLOGY: a prod-like state.json with `pids` by name, e.g.
 * worker-1, api-2, temporal) and the PostgreSQL cluster serving DATABASE_URL (its postmaster and backends, found by
 * the cluster's port in pg_lsclusters and its process titles "postgres: <version>/<cluster>: ...").
 */
export function topologyComponents(): { pids: Record<string, number>; pgCluster?: string } | undefined {
  const file = process.env.BENCH_TOPOLOGY;
  if (!file) return undefined;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { pids: Record<string, number>; databaseUrl?: string };
  const port = Number(new URL(state.databaseUrl ?? process.env.DATABASE_URL ?? 'postgresql://x@127.0.0.1:5432/x').port || 5432);
  let pgCluster: string | undefined;
  try {
    const line = execFileSync('pg_lsclusters', ['-h'], { encoding: 'utf8' }).split('\n').find((l) => l.split(/\s+/)[2] === String(port));
    if (line) pgCluster = `${line.split(/\s+/)[0]}/${line.split(/\s+/)[1]}`;
  } catch {
    /* no Debian cluster tools: PostgreSQL not split */
  }
  return { pids: state.pids, pgCluster };
}

/** CPU (ms) of one PostgreSQL cluster's processes (postmaster by its data directory, backends by their title), ended backends included. */
function clusterCpuMs(cluster: string): number {
  const [version, name] = cluster.split('/');
  let total = 0;
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.startsWith(`postgres: ${version}/${name}:`) || cmd.includes(`/postgresql/${version}/${name} `) || cmd.includes(`/${version}/${name}/postgresql.conf`)) total += postgresCpuMsOf(Number(d));
    } catch {
      /* gone */
    }
  }
  return total;
}

/** componentMeter: CPU per part of the topology over a stretch, per unit of work, and the sum. */
export function componentMeter(t: { pids: Record<string, number>; pgCluster?: string }): { stop(per: number, what: string): string } {
  const read = () => ({ ...Object.fromEntries(Object.entries(t.pids).map(([n, pid]) => [n, cpuMsOf(pid) ?? NaN])), ...(t.pgCluster && { postgres: clusterCpuMs(t.pgCluster) }) }) as Record<string, number>;
  const before = read();
  return {
    stop(per, what) {
      const after = read();
      const parts = Object.keys(after).map((n) => [n, (after[n] - before[n]) / per] as const);
      const total = parts.reduce((s, [, v]) => s + (Number.isFinite(v) ? v : 0), 0);
      return `CPU per ${what}: ${parts.map(([n, v]) => `${n} ${v.toFixed(1)} ms`).join(', ')}; all ${total.toFixed(1)} ms`;
    },
  };
}
