// Records NEW workflow histories as replay fixtures (test/fixtures/histories/<name>.json).
// `npx tsx scripts/record-histories.ts [name-prefix]`
//
// Committed fixtures are immutable (README "Changing a workflow", scripts/check-history-fixtures.ts): this
// script never overwrites one. It records only the scenarios whose fixture file does not exist yet, and
// stops with exit code 1, before running anything, when the prefix leaves nothing new to record.
//
// The scenarios come from the process catalogue (processes/index.ts): for each process,
// scripts/scenarios/<workflow function name>.ts, whose scenario sets are named
// `<workflow function name>.<scenario>`. They run on the time-skipping server with in-memory activities.
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { processes, type AnyProcess } from '../processes';
import type { Scenario, ScenarioSet } from './scenarios/types';
import { everyRun } from './harness/runs';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
const SCENARIOS = path.join(__dirname, 'scenarios');
const rel = (f: string) => path.relative(process.cwd(), f);

class UsageError extends Error {}

/** Every scenario of every process in the catalogue, by fixture name. */
function loadScenarios(): Map<string, Scenario> {
  const all = new Map<string, Scenario>();
  const missing: string[] = [];
  for (const p of processes as readonly AnyProcess[]) {
    const type = p.workflow.name;
    const file = path.join(SCENARIOS, `${type}.ts`);
    if (!fs.existsSync(file)) {
      missing.push(`  ${p.caseType}: ${rel(file)} (scenarios of workflow ${type})`);
      continue;
    }
    const mod = require(file) as Record<string, unknown>;
    // A scenario set is an exported object of scenario functions; other exports (helpers) are not.
    const sets = Object.values(mod).filter((v): v is ScenarioSet => typeof v === 'object' && v !== null && Object.values(v).every((s) => typeof s === 'function'));
    let count = 0;
    for (const set of sets) {
      for (const [name, scenario] of Object.entries(set)) {
        // Fixture names are `<workflowType>.<scenario>`: the replay test reads the type from the name.
        if (!name.startsWith(`${type}.`)) throw new UsageError(`Scenario '${name}' in ${rel(file)} must be named '${type}.<scenario>'`);
        if (all.has(name)) throw new UsageError(`Scenario '${name}' is declared twice`);
        all.set(name, scenario);
        count++;
      }
    }
    if (count === 0) missing.push(`  ${p.caseType}: ${rel(file)} exports no scenario set`);
  }
  if (missing.length) throw new UsageError(`Every process needs its history scenarios:\n${missing.join('\n')}`);
  return all;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length > 1 || args.some((a) => a.startsWith('-'))) throw new UsageError('Usage: npx tsx scripts/record-histories.ts [name-prefix]');
  const prefix = args[0] ?? '';

  const all = loadScenarios();
  const matching = [...all.keys()].filter((n) => n.startsWith(prefix)).sort();
  const fixtureOf = (name: string) => path.join(OUT, `${name}.json`);
  const existing = matching.filter((n) => fs.existsSync(fixtureOf(n)));
  const names = matching.filter((n) => !existing.includes(n));

  if (matching.length === 0) throw new UsageError(`No scenario matches '${prefix}'. Scenarios:\n${[...all.keys()].sort().map((n) => `  ${n}`).join('\n')}`);
  if (existing.length) {
    process.stderr.write(`[record] not re-recording ${existing.length} committed fixture(s) (fixtures are immutable; add a new scenario instead):\n`);
    for (const n of existing) process.stderr.write(`  ${rel(fixtureOf(n))}\n`);
  }
  if (names.length === 0) {
    throw new UsageError(
      `Nothing to record: every scenario matching '${prefix}' already has its fixture. A changed workflow keeps its old fixtures; ` +
        'add a new scenario in scripts/scenarios/<workflow>.ts and record it by its new name.',
    );
  }

  // Loaded only when there is something to record: the time-skipping server takes a while to start.
  const { createTimeSkippingEnv, fakeWorker } = await import('./harness/timeSkipping');
  const env = await createTimeSkippingEnv();
  const taskQueue = 'record-histories';
  const { worker } = await fakeWorker(env, taskQueue);
  try {
    await worker.runUntil(async () => {
      for (const [i, name] of names.entries()) {
        const workflowId = `fixture-${name}`;
        process.stderr.write(`[record] ${i + 1}/${names.length} ${name} ... `);
        await all.get(name)!({ env, taskQueue, workflowId });
        const file = fixtureOf(name);
        // A case that continued as new: its earlier runs too, each a fixture `<name>.run<k>` (the last run is `<name>`).
        // A run too short for the replay guard (test/replay/histories.test.ts: at least 4 activities) is deleted by hand.
        const runs = (await everyRun(env.client, workflowId)).map((r) => r.history);
        const history = runs.pop()!;
        const earlier = runs;
        for (const [k, h] of earlier.entries()) {
          const runFile = fixtureOf(`${name}.run${k + 1}`);
          fs.writeFileSync(runFile, historyToJSON(h), { flag: 'wx' });
          process.stderr.write(`\n  run ${k + 1}: ${h.events?.length} events -> ${rel(runFile)}`);
        }
        // 'wx': fails rather than replace a file that appeared meanwhile.
        fs.writeFileSync(file, historyToJSON(history), { flag: 'wx' });
        process.stderr.write(`${earlier.length ? `\n  run ${earlier.length + 1}: ` : ''}${history.events?.length} events -> ${rel(file)}\n`);
      }
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  if (err instanceof UsageError) console.error(`[record] ${err.message}`);
  else console.error(err);
  process.exit(1);
});
