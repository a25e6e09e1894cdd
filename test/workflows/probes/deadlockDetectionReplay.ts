// Run as a process of its own by test/workflows/workflowSandbox.test.ts (jest's sandboxed process.env never reaches
// the SDK): replays one committed history as the replay tool does, and counts the calls into a workflow (the SDK puts
// their arguments on the context first) that carried a timeout, each one a watchdog thread started and joined by Node,
// and those that did not. The sandbox's own set-up is not counted.
//   node --import tsx deadlockDetectionReplay.ts <history file> <workflow bundle file>
// TEMPORAL_WORKFLOW_DEADLOCK_DETECTION comes from the environment the test gives; unset, the replay tool's default.
import fs from 'node:fs';
import vm from 'node:vm';
import { installQuietRuntime, replayAll } from '../../../scripts/replay-worker';

const counts = { withTimeout: 0, withoutTimeout: 0 };
const count = (context: vm.Context, options: unknown) => {
  if ((context as { __temporal_args?: unknown }).__temporal_args === undefined) return;
  if ((options as vm.RunningScriptOptions | undefined)?.timeout !== undefined) counts.withTimeout++;
  else counts.withoutTimeout++;
};
const scriptRun = vm.Script.prototype.runInContext;
vm.Script.prototype.runInContext = function (this: vm.Script, context: vm.Context, options?: vm.RunningScriptOptions) {
  count(context, options);
  return scriptRun.call(this, context, options);
};

async function main() {
  const [file, bundleFile] = process.argv.slice(2);
  installQuietRuntime();
  const results = [];
  for await (const r of replayAll(fs.readFileSync(bundleFile, 'utf8'), [{ i: 0, workflowId: 'probe', file }])) results.push(r);
  process.stdout.write(JSON.stringify({ mode: process.env.TEMPORAL_WORKFLOW_DEADLOCK_DETECTION, results, ...counts }) + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
