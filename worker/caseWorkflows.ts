// The case workflows the worker runs: the catalogue's (processes/index.ts), each exported from the module its process
// names (`workflowModule`). The SDK's bundler starts from a file, so that file is generated here from the catalogue:
// a new process needs its line in the catalogue and nothing else. Every bundle of the case workflows starts from it:
// the worker's own, the dev system's and the replay tool's (worker/workflowBundle.ts), the tests' and the bench's.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { processes } from '../processes';

/** Where the generated entry is kept: a cache beside the dependencies, outside the sources and the type check. */
const ENTRY = path.resolve(__dirname, '..', 'node_modules', '.cache', 'rights-casework', 'case-workflows.js');

/** The system's own workflows, beside the cases' (name and module): the daily retention purge (lib/retentionSchedule.ts starts it). */
export const SYSTEM_WORKFLOWS: readonly { name: string; module: string }[] = [{ name: 'retentionPurge', module: require.resolve('../workflows/retentionPurge') }];

/** The entry's source: one re-export per process, by the workflow's name (the workflow type), from its module; then the system's. */
export function caseWorkflowsSource(): string {
  const lines = processes.map((p) => `export { ${p.workflow.name} } from ${JSON.stringify(p.workflowModule)};`);
  for (const w of SYSTEM_WORKFLOWS) lines.push(`export { ${w.name} } from ${JSON.stringify(w.module)};`);
  return `// Generated from the process catalogue (processes/index.ts) by worker/caseWorkflows.ts; do not edit.\n${lines.join('\n')}\n`;
}

/**
 * The path of the bundle's entry (a `workflowsPath`), written when its content changed. Written whole or not at all
 * (a rename), and left alone when it is already right, so that a kept bundle's inputs look unchanged.
 */
export function caseWorkflowsPath(): string {
  const source = caseWorkflowsSource();
  let current: string | undefined;
  try {
    current = fs.readFileSync(ENTRY, 'utf8');
  } catch {
    /* not generated yet */
  }
  if (current !== source) {
    fs.mkdirSync(path.dirname(ENTRY), { recursive: true });
    const tmp = `${ENTRY}.${process.pid}.${crypto.randomUUID()}.tmp`;
    fs.writeFileSync(tmp, source);
    fs.renameSync(tmp, ENTRY);
  }
  return ENTRY;
}
