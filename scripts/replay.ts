// Auditor tool: replays workflow histories against the current workflow code and reports, per case,
// whether the recorded history is exactly what the code produces (proof of what happened).
//   npx tsx scripts/replay.ts --file test/fixtures/histories/x.json [--file ...]
//   npx tsx scripts/replay.ts --workflow-id RET-...            (fetched from TEMPORAL_ADDRESS)
//   npx tsx scripts/replay.ts --query "CaseType = 'return'"     (every matching case, with progress)
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';

type Item = { workflowId: string; history: temporal.api.history.v1.IHistory };

function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => a === name && process.argv[i + 1] && out.push(process.argv[i + 1]));
  return out;
}

async function* sources(): AsyncGenerator<Item> {
  for (const f of args('--file')) yield { workflowId: f, history: historyFromJSON(JSON.parse(fs.readFileSync(f, 'utf8'))) };
  const ids = args('--workflow-id');
  const queries = args('--query');
  if (ids.length === 0 && queries.length === 0) return;
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default', identity: 'replay-audit' });
  for (const id of ids) yield { workflowId: id, history: await client.workflow.getHandle(id).fetchHistory() };
  for (const q of queries) {
    for await (const w of client.workflow.list({ query: q })) {
      yield { workflowId: w.workflowId, history: await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory() };
    }
  }
  await connection.close();
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  let ok = 0;
  let failed = 0;
  const started = Date.now();
  for await (const r of Worker.runReplayHistories({ workflowsPath: require.resolve('../workflows') }, sources())) {
    const n = ok + failed + 1;
    if (r.error) {
      failed++;
      console.log(JSON.stringify({ n, workflowId: r.workflowId, result: 'MISMATCH', error: r.error.message }));
    } else {
      ok++;
      console.log(JSON.stringify({ n, workflowId: r.workflowId, result: 'replayed' }));
    }
  }
  console.log(JSON.stringify({ summary: { replayed: ok, mismatched: failed, seconds: (Date.now() - started) / 1000 } }));
  if (ok + failed === 0) {
    console.error('nothing to replay: pass --file, --workflow-id or --query');
    process.exit(2);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
