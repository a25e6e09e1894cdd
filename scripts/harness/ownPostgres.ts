// A PostgreSQL cluster of its own (the machine's PostgreSQL binaries, Debian's pg_createcluster), for the topologies
// whose faults restart or kill PostgreSQL: restarting the machine's main cluster would break every other user of it
// (the test suite's databases among them). Needs root (or the postgres user) and Debian's postgresql-common.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface OwnPostgres {
  /** A superuser URL (role casework_test), database postgres. */
  adminUrl: string;
  port: number;
  /** Stops at once (SIGQUIT to every backend: no checkpoint, crash recovery at the next start). */
  stopImmediate(): void;
  /** SIGKILL to the postmaster: the harshest fault (its backends exit once they notice). */
  kill(): void;
  start(): void;
  isRunning(): boolean;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });
const asPostgres = (cmd: string, args: string[]) => (process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));

function majorVersion(): string {
  const clusters = run('pg_lsclusters', ['-h']).trim().split('\n').filter(Boolean);
  if (clusters.length > 0) return clusters[0].split(/\s+/)[0];
  const dirs = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort() : [];
  if (dirs.length === 0) throw new Error('no PostgreSQL installed (Debian package postgresql)');
  return dirs[dirs.length - 1];
}

/** The cluster `name` on `port`: created once (kept across runs), started, with the casework_test superuser. */
export function ownPostgres(name: string, port: number): OwnPostgres {
  const version = majorVersion();
  const status = () => run('pg_lsclusters', ['-h']).split('\n').find((l) => l.split(/\s+/)[1] === name);
  if (!status()) {
    run('pg_createcluster', ['--port', String(port), '--start-conf', 'manual', version, name, '--', '--auth-local=trust', '--auth-host=scram-sha-256']);
    // Fault tests restart it often: small and quick to recover.
    fs.appendFileSync(`/etc/postgresql/${version}/${name}/postgresql.conf`, '\nmax_connections = 200\nshared_buffers = 128MB\nfsync = on\nlisten_addresses = \'127.0.0.1\'\n');
  }
  const isRunning = () => (status() ?? '').split(/\s+/)[3] === 'online';
  // A zombie (killed, not yet reaped) counts as gone.
  const alive = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  const start = () => {
    if (isRunning()) return;
    // A killed postmaster leaves its socket's lock file behind: removed once its process is gone.
    const lock = `/var/run/postgresql/.s.PGSQL.${port}.lock`;
    if (fs.existsSync(lock) && !alive(Number(fs.readFileSync(lock, 'utf8').split('\n')[0]))) {
      fs.rmSync(lock, { force: true });
      fs.rmSync(`/var/run/postgresql/.s.PGSQL.${port}`, { force: true });
    }
    run('pg_ctlcluster', [version, name, 'start']);
  };
  start();
  const exists = asPostgres('psql', ['-p', String(port), '-qtAc', "SELECT 1 FROM pg_roles WHERE rolname = 'casework_test'"]).trim() === '1';
  if (!exists) asPostgres('psql', ['-p', String(port), '-qc', "CREATE ROLE casework_test LOGIN SUPERUSER PASSWORD 'casework_test'"]);
  const pidFile = `/var/lib/postgresql/${version}/${name}/postmaster.pid`;
  return {
    adminUrl: `postgresql://casework_test:casework_test@127.0.0.1:${port}/postgres`,
    port,
    isRunning,
    start,
    stopImmediate: () => {
      if (isRunning()) run('pg_ctlcluster', [version, name, 'stop', '-m', 'immediate']);
    },
    kill: () => {
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
      if (Number.isInteger(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      // The orphaned backends leave on their own within moments; the next start waits for the shared memory to free.
      const left = () => {
        try {
          return run('pgrep', ['-u', 'postgres', '-f', `${name}/postgresql.conf|postgres: ${version}/${name}`]).trim() !== '';
        } catch {
          return false; // pgrep exits 1 when nothing matches
        }
      };
      for (let i = 0; i < 100 && left(); i++) execFileSync('sleep', ['0.1']);
    },
  };
}
