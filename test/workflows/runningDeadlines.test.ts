// A deadline shows on the case resource from the moment its clock starts (CaseKit DEADLINES_ON_CHANGE_PATCH), for
// every process in the catalogue. Each process's newest history scenarios run on the time-skipping server; whenever
// the story acts on the case (an update, a signal) or lets time pass (a sleep, waiting for the result), the case row's
// running deadlines, as the case's writes leave them (the same rule as activities/caseWrites.ts: the list of the
// newest sequence number wins), must equal the deadlines the case is running (its live query) before anything
// happens: a clock that started is on GET /v1/cases/{id}, GET /v1/registrations/{id} and the case list at once.
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { createFakeActivities } from '../../scripts/harness/fakeActivities';
import { createTimeSkippingEnv, fakeWorker } from '../../scripts/harness/timeSkipping';
import { processes, type AnyProcess } from '../../processes';
import { caseStateQuery } from '../../workflows/definitions';
import type { Scenario, ScenarioSet } from '../../scripts/scenarios/types';

jest.setTimeout(300_000);

/** Every fake activity set the scenarios' workers make (the shared one and the processes' own build on it). */
jest.mock('../../scripts/harness/fakeActivities', () => {
  const actual = jest.requireActual('../../scripts/harness/fakeActivities');
  return {
    ...actual,
    createFakeActivities: () => {
      const f = actual.createFakeActivities();
      ((globalThis as Record<string, unknown>).caseFakes as unknown[] | undefined)?.push(f) ?? ((globalThis as Record<string, unknown>).caseFakes = [f]);
      return f;
    },
  };
});
const fakes = (): ReturnType<typeof createFakeActivities>[] => ((globalThis as Record<string, unknown>).caseFakes as ReturnType<typeof createFakeActivities>[] | undefined) ?? [];

/** The case row's running deadlines once the case's writes so far have landed: a list replaces the stored one only if newer. */
function caseRowDeadlines(caseId: string): Record<string, string | null> {
  let stored: { list: Record<string, string | null>; version: number } = { list: {}, version: 0 };
  for (const f of fakes()) {
    for (const c of f.calls) {
      const input = c.input as { caseId?: string; deadlines?: Record<string, string | null>; casePatch?: { deadlines?: Record<string, string | null> }; deadlinesVersion?: number };
      if (input?.caseId !== caseId) continue;
      const list = input.casePatch?.deadlines ?? input.deadlines;
      if (!list) continue;
      const version = input.deadlinesVersion;
      if (version === undefined || version > stored.version) stored = { list, version: version ?? stored.version };
    }
  }
  return Object.fromEntries(Object.entries(stored.list).filter(([, at]) => at !== null));
}

/** The newest scenario set of each process: the last one its scenario module exports (test/fixtures/scenarios/<workflow>.ts). */
function newestScenarios(p: AnyProcess): [string, Scenario][] {
  const file = path.join(__dirname, '..', 'fixtures', 'scenarios', `${p.workflow.name}.ts`);
  if (!fs.existsSync(file)) throw new Error(`${p.caseType}: no history scenarios at ${file}`);
  const sets = Object.values(require(file) as Record<string, unknown>).filter((v): v is ScenarioSet => typeof v === 'object' && v !== null && Object.values(v).every((s) => typeof s === 'function'));
  return Object.entries(sets.at(-1)!);
}

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/**
 * The story's environment, with a check before each thing that moves the case on: an update or a signal (a party
 * acts), a sleep or waiting for the result (time passes). Checked points, for the report on failure.
 */
function checkedEnv(caseId: string, checked: string[]): TestWorkflowEnvironment {
  const check = async (what: string) => {
    const handle = env.client.workflow.getHandle(caseId);
    let live: Record<string, string | null> = {};
    let row: Record<string, string | null> = {};
    for (let i = 0; i < 200; i++) {
      try {
        live = Object.fromEntries(Object.entries((await handle.query(caseStateQuery)).deadlines).filter(([, at]) => at !== null));
      } catch {
        return; // not started yet
      }
      row = caseRowDeadlines(caseId);
      if (JSON.stringify(sorted(row)) === JSON.stringify(sorted(live))) {
        checked.push(`${what}: ${Object.keys(live).sort().join(', ') || '(none)'}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50)); // the case's batch may still be landing; no time passes meanwhile
    }
    throw new Error(`${caseId}, before ${what}: the case runs ${JSON.stringify(sorted(live))} but its row has ${JSON.stringify(sorted(row))}\nchecked before: ${checked.join('\n  ')}`);
  };
  const wrapHandle = <H extends object>(h: H): H =>
    new Proxy(h, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== 'function') return v;
        if (['result', 'executeUpdate', 'startUpdate', 'signal'].includes(String(prop))) {
          return async (...args: unknown[]) => {
            await check(String(prop) === 'result' ? 'waiting for the result' : `${String(prop)} ${typeof args[0] === 'string' ? args[0] : ((args[0] as { name?: string })?.name ?? '')}`);
            return v.apply(target, args);
          };
        }
        return v.bind(target);
      },
    });
  const workflow = new Proxy(env.client.workflow, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      if (prop === 'getHandle') return (...args: unknown[]) => wrapHandle(v.apply(target, args));
      if (prop === 'start') return async (...args: unknown[]) => wrapHandle(await v.apply(target, args));
      return v.bind(target);
    },
  });
  const client = new Proxy(env.client, { get: (target, prop) => (prop === 'workflow' ? workflow : Reflect.get(target, prop, target)) });
  return new Proxy(env, {
    get(target, prop) {
      if (prop === 'client') return client;
      const v = Reflect.get(target, prop, target);
      if (prop === 'sleep') return async (...args: unknown[]) => {
        await check(`a sleep of ${String(args[0])}`);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

describe.each((processes as readonly AnyProcess[]).map((p) => [p.caseType, p] as const))('%s: every running clock is on the case row before the case moves on', (_type, p) => {
  const scenarios = newestScenarios(p);
  test.each(scenarios)('%s', async (name, scenario) => {
    const workflowId = `deadlines-${name}-${Date.now()}`;
    const checked: string[] = [];
    const taskQueue = `deadlines-${p.caseType}-${Date.now()}`;
    const { worker } = await fakeWorker(env, taskQueue);
    await worker.runUntil(scenario({ env: checkedEnv(workflowId, checked), taskQueue, workflowId }));
    // The story moved on at least once with a clock running, and every such point was checked.
    expect(checked.some((c) => !c.endsWith('(none)'))).toBe(true);
    // After the end: what the closed case shows is what it ended with.
    expect(sorted(caseRowDeadlines(workflowId))).toEqual(sorted((await env.client.workflow.getHandle(workflowId).query(caseStateQuery)).deadlines));
  });
});
