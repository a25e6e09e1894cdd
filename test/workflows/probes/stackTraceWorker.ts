// Run as a process of its own by test/workflows/stackTraces.test.ts: a workflow thread inherits the process's real
// environment, which jest's sandboxed process.env never reaches. Prints the answer to the stack-trace query.
//   node --import tsx stackTraceWorker.ts <temporal address> <namespace> <on|off>
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { stackTraceQuery } from '@temporalio/workflow';
import { defaultPolicy } from '../../../processes/policyDocument';
import type { SlaPolicy } from '../../../policy/schemas';
import { setWorkflowStackTraces } from '../../../worker/workflowSandbox';
import { doneSignal, slaProbe } from './slaProbe';

async function main() {
  const [address, namespace, mode] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  setWorkflowStackTraces(mode === 'on');
  const taskQueue = `stack-traces-${mode}-${process.pid}`;
  const worker = await Worker.create({ connection: await NativeConnection.connect({ address }), namespace, taskQueue, workflowsPath: require.resolve('./slaProbe') });
  const client = new Client({ connection: await Connection.connect({ address }), namespace });
  const answer = await worker.runUntil(async () => {
    const sla: SlaPolicy = { within: { amount: 10, unit: 'hours' }, remindAt: 0.25, onBreach: 'default-decision' };
    const handle = await client.workflow.start(slaProbe, { taskQueue, workflowId: taskQueue, args: [sla, defaultPolicy.calendar] });
    try {
      return await handle.query(stackTraceQuery).then(
        (trace) => `trace: ${trace}`,
        (err: Error) => `refused: ${err.message}: ${(err.cause as Error | undefined)?.message ?? ""}`,
      );
    } finally {
      await handle.signal(doneSignal);
    }
  });
  process.stdout.write(JSON.stringify({ answer }) + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
