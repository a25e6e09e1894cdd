// Every run of a workflow that continued as new, first to last: its fixtures (scripts/record-histories.ts) and the
// tests of cases longer than one run follow the chain of continue-as-new events.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type RunHistory = { runId: string; history: temporal.api.history.v1.IHistory };

/** The runs from `firstRunId` (default: the first run of the latest one's chain) to the latest. */
export async function everyRun(client: Client, workflowId: string, firstRunId?: string): Promise<RunHistory[]> {
  let runId: string | undefined = firstRunId;
  if (!runId) {
    const latest = await client.workflow.getHandle(workflowId).fetchHistory();
    runId = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
    if (!runId) throw new Error(`workflow ${workflowId}: its first run is not named in its history`);
  }
  const out: RunHistory[] = [];
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    out.push({ runId, history });
    runId = history.events?.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return out;
}
