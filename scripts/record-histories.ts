// Records real workflow histories as replay fixtures (test/fixtures/histories/*.json).
// Run after an intentional, versioned workflow change: `npx tsx scripts/record-histories.ts [name-prefix]`.
// Scenarios (test/fixtures/scenarios/*.ts) run on the time-skipping server with in-memory activities.
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createTimeSkippingEnv, fakeWorker } from '../test/helpers/timeSkipping';
import type { ScenarioSet } from '../test/fixtures/scenarios/types';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
const SCENARIOS = path.join(__dirname, '..', 'test', 'fixtures', 'scenarios');

async function main() {
  const prefix = process.argv[2] ?? '';
  const all: ScenarioSet = {};
  for (const f of fs.readdirSync(SCENARIOS).filter((x) => x.endsWith('.ts') && x !== 'types.ts')) {
    const mod = require(path.join(SCENARIOS, f)) as Record<string, ScenarioSet>;
    for (const set of Object.values(mod)) Object.assign(all, set);
  }
  const names = Object.keys(all).filter((n) => n.startsWith(prefix));
  const env = await createTimeSkippingEnv();
  const taskQueue = 'record-histories';
  const { worker } = await fakeWorker(env, taskQueue);
  try {
    await worker.runUntil(async () => {
      for (const [i, name] of names.entries()) {
        const workflowId = `fixture-${name}`;
        process.stderr.write(`[record] ${i + 1}/${names.length} ${name} ... `);
        await all[name]({ env, taskQueue, workflowId });
        const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
        const file = path.join(OUT, `${name}.json`);
        fs.writeFileSync(file, historyToJSON(history));
        process.stderr.write(`${history.events?.length} events -> ${path.relative(process.cwd(), file)}\n`);
      }
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
