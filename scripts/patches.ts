// The patch registry against the running cases (README "Changing a workflow"): for each patch of workflows/patches.ts,
// the open cases of its workflow types that started before it, whether it may move to deprecatePatch(), and the old
// flows and history fixtures no running case needs any more.
//   scripts/patches [--json]
// Reads TEMPORAL_ADDRESS (default 127.0.0.1:7233) and TEMPORAL_NAMESPACE (default "default").
import { Client, Connection } from '@temporalio/client';
import { formatReport, patchReport } from './patchReport';

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length) {
    console.error(`unknown argument: ${unknown.join(' ')}\nusage: scripts/patches [--json]`);
    process.exit(2);
  }
  const address = process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const connection = await Connection.connect({ address });
  try {
    const statuses = await patchReport(new Client({ connection, namespace, identity: 'patches-report' }));
    if (args.includes('--json')) console.log(JSON.stringify({ address, namespace, at: new Date().toISOString(), patches: statuses }, null, 2));
    else console.log(formatReport(statuses));
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
