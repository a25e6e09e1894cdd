// The fault schedule: at seeded random moments, SIGKILL one part of the topology (a worker, an API replica, the
// Temporal server, PostgreSQL), leave it down a moment, restart it and wait until it is ready again. One fault at a
// time; each kind `perKind` times. The seed is printed: the same seed gives the same moments, kinds and victims.
import type { Restartable, Topology } from '../harness/topology';

export type FaultKind = 'worker' | 'api' | 'temporal' | 'postgres';
export const FAULT_KINDS: readonly FaultKind[] = ['worker', 'api', 'temporal', 'postgres'];

export interface PlannedFault {
  kind: FaultKind;
  /** Seconds after the start of the load. */
  atSeconds: number;
  /** Which of the kind's parts (index into workers / apiProcesses). */
  victim: number;
  /** Seconds it stays down before its restart. */
  downSeconds: number;
}

export interface InjectedFault extends PlannedFault {
  name: string;
  killedAt: number;
  /** Ready again (restart() resolved). */
  readyAt?: number;
  error?: string;
}

/** mulberry32: a small seeded generator (the schedule must be reproducible from the printed seed). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `perKind` faults of each kind at random moments in [startSeconds, windowSeconds], in time order. */
export function planFaults(seed: number, perKind: number, windowSeconds: number, startSeconds = 20): PlannedFault[] {
  const rnd = seeded(seed);
  const out: PlannedFault[] = [];
  for (const kind of FAULT_KINDS) {
    for (let i = 0; i < perKind; i++) {
      // Each kind's faults spread over the window: one per slice, at a random moment in it.
      const slice = (windowSeconds - startSeconds) / perKind;
      out.push({ kind, atSeconds: Math.round(startSeconds + slice * i + rnd() * slice), victim: Math.floor(rnd() * 16), downSeconds: 1 + Math.round(rnd() * 4) });
    }
  }
  return out.sort((a, b) => a.atSeconds - b.atSeconds);
}

function partOf(t: Topology, f: PlannedFault): Restartable {
  switch (f.kind) {
    case 'worker':
      return t.workers[f.victim % t.workers.length];
    case 'api':
      return t.apiProcesses[f.victim % t.apiProcesses.length];
    case 'temporal':
      return t.temporalServer;
    case 'postgres':
      return t.postgres;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the plan against the topology from `startedAt`, one fault after the other (a fault due while another is under
 * way waits for it). `loadDone()` true: the faults still planned are injected at once, so every planned fault happens.
 */
export async function runFaults(t: Topology, plan: PlannedFault[], startedAt: number, loadDone: () => boolean, log: (m: string) => void): Promise<InjectedFault[]> {
  const done: InjectedFault[] = [];
  for (const f of plan) {
    while (!loadDone() && Date.now() < startedAt + f.atSeconds * 1000) await sleep(250);
    const part = partOf(t, f);
    const injected: InjectedFault = { ...f, name: part.name, killedAt: Date.now() };
    done.push(injected);
    try {
      log(`fault: SIGKILL ${part.name} (${f.kind}) at ${Math.round((Date.now() - startedAt) / 1000)} s, down ${f.downSeconds} s`);
      await part.kill();
      await sleep(f.downSeconds * 1000);
      await part.restart();
      injected.readyAt = Date.now();
      log(`fault: ${part.name} ready again after ${((injected.readyAt - injected.killedAt) / 1000).toFixed(1)} s`);
    } catch (err) {
      injected.error = (err as Error).message;
      log(`fault: ${part.name} did not come back: ${injected.error}`);
    }
  }
  return done;
}
