// A process of the prod-like topology under a supervisor, as systemd or Kubernetes would run it: started, probed until
// ready, started again (after a short back-off) whenever it exits on its own, and left down only once killed or
// stopped. A worker or an API started while Temporal or PostgreSQL is down exits at once (it cannot connect): the
// supervisor keeps starting it until its dependencies are back, so a restart during an outage is not lost.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Restartable } from './topology';

export interface SupervisedSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  logFile: string;
  /** One readiness probe (true: ready); `output` is what this run of the process printed so far (its tail). */
  ready(output: string): Promise<boolean>;
  /** The parts it needs that are down now (their names): while one is, a restart does not wait for readiness. */
  dependenciesDown(): string[];
  log(msg: string): void;
  /** How long a restart waits for readiness while its dependencies are up (default 180 s). */
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Supervised implements Restartable {
  readonly name: string;
  private child?: ChildProcess;
  private wanted = false;
  private respawnTimer?: NodeJS.Timeout;
  private output = '';
  private exits = 0;

  constructor(private readonly spec: SupervisedSpec) {
    this.name = spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  isRunning(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  private spawnOnce(): void {
    this.respawnTimer = undefined;
    if (!this.wanted || this.isRunning()) return;
    const out = fs.createWriteStream(this.spec.logFile, { flags: 'a' });
    this.output = '';
    const child = spawn(this.spec.command, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      out.write(d);
      this.output = (this.output + d.toString('utf8')).slice(-64_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (err) => this.spec.log(`${this.name}: ${err.message}`));
    child.on('exit', (code, signal) => {
      out.end();
      if (this.child === child) this.child = undefined;
      if (!this.wanted) return;
      // Exited on its own (a crash, or a dependency down at its start): started again, as a supervisor would.
      const backoff = Math.min(1000 * 2 ** Math.min(this.exits++, 3), 5000);
      this.spec.log(`${this.name} exited (${signal ?? code}); starting it again in ${backoff / 1000} s (log: ${this.spec.logFile})`);
      this.respawnTimer = setTimeout(() => this.spawnOnce(), backoff);
    });
    this.child = child;
  }

  /** Starts it (if not running) and waits until it is ready: see restart(). */
  async start(): Promise<void> {
    this.wanted = true;
    this.exits = 0;
    this.spawnOnce();
    await this.whenReady();
  }

  /**
   * Waits until ready. While a dependency is down (Temporal, PostgreSQL) it does not wait: it returns once the process
   * is wanted up, and the supervisor keeps starting it until it is ready (see whenReady for a wait without that limit).
   */
  async restart(): Promise<void> {
    this.wanted = true;
    this.exits = 0;
    if (!this.respawnTimer) this.spawnOnce();
    const down = this.spec.dependenciesDown();
    if (down.length > 0) {
      this.spec.log(`${this.name} restarted while ${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} down: it is started again until ready (not waited for)`);
      return;
    }
    await this.whenReady();
  }

  /** Waits until a probe succeeds; gives up early (without throwing) if a dependency goes down meanwhile, unless `strict`. */
  async whenReady(o: { timeoutMs?: number; strict?: boolean } = {}): Promise<void> {
    const timeoutMs = o.timeoutMs ?? this.spec.readyTimeoutMs ?? 180_000;
    const started = Date.now();
    for (;;) {
      if (!this.wanted) throw new Error(`${this.name} was killed or stopped while waited for`);
      if (this.isRunning()) {
        let ok = false;
        try {
          ok = await this.spec.ready(this.output);
        } catch {
          ok = false;
        }
        if (ok && this.isRunning()) return;
      }
      if (!o.strict && this.spec.dependenciesDown().length > 0) return;
      if (Date.now() - started > timeoutMs) {
        throw new Error(`${this.name} not ready after ${Math.round(timeoutMs / 1000)} s; its last output:\n${this.output.slice(-3000)}`);
      }
      await sleep(300);
    }
  }

  /** SIGKILL, then waits until the process is gone; it stays down until restart(). */
  async kill(): Promise<void> {
    this.wanted = false;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.respawnTimer = undefined;
    const child = this.child;
    if (!child || !this.isRunning()) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM, then waits (SIGKILL after `graceMs`). */
  async stop(graceMs = 20_000): Promise<void> {
    this.wanted = false;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.respawnTimer = undefined;
    const child = this.child;
    if (!child || !this.isRunning()) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}
