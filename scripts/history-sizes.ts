// Records history-fixture scenarios on the time-skipping server into a scratch folder and prints each
// history's size: events and bytes (the JSON form `temporal workflow show -o json` gives). It never
// writes test/fixtures/histories: use it to see what a workflow change costs per case.
//   npx tsx scripts/history-sizes.ts returnWithin7Days.happyPath warrantyRepair.v2EveryStep
//   npx tsx scripts/history-sizes.ts --files test/fixtures/histories/*.json     (sizes of recorded files)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createTimeSkippingEnv, fakeWorker } from './harness/timeSkipping';
import type { ScenarioSet } from './scenarios/types';

const SCENARIOS = path.join(__dirname, 'scenarios');

function row(name: string, json: string): string {
  const events = (JSON.parse(json).events ?? []).length;
  return `| ${name} | ${events} | ${Buffer.byteLength(json)} |`;
}

async function main() {
  const argv = process.argv.slice(2);
  console.log('| history | events | bytes (JSON) |\n|---|---:|---:|');
  if (argv[0] === '--files') {
    for (const f of argv.slice(1)) console.log(row(path.basename(f, '.json'), fs.readFileSync(f, 'utf8')));
    return;
  }
  const all: ScenarioSet = {};
  for (const f of fs.readdirSync(SCENARIOS).filter((x) => x.endsWith('.ts') && x !== 'types.ts')) {
    for (const set of Object.values(require(path.join(SCENARIOS, f)) as Record<string, ScenarioSet>)) Object.assign(all, set);
  }
  const unknown = argv.filter((n) => !all[n]);
  if (unknown.length) throw new Error(`no such scenario: ${unknown.join(', ')}`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'history-sizes-'));
  const env = await createTimeSkippingEnv();
  const taskQueue = 'history-sizes';
  const { worker } = await fakeWorker(env, taskQueue);
  try {
    await worker.runUntil(async () => {
      for (const [i, name] of argv.entries()) {
        const workflowId = `size-${i}-${name}`;
        process.stderr.write(`[history-sizes] ${i + 1}/${argv.length} ${name}\n`);
        await all[name]({ env, taskQueue, workflowId });
        const json = historyToJSON(await env.client.workflow.getHandle(workflowId).fetchHistory());
        fs.writeFileSync(path.join(out, `${name}.json`), json);
        console.log(row(name, json));
      }
    });
  } finally {
    await env.teardown();
  }
  process.stderr.write(`[history-sizes] histories written to ${out}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
