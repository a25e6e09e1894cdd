// The daily retention purge (README "Retention: the daily purge"): started by the Temporal Schedule `retention-purge`
// (lib/retentionSchedule.ts) every day at 03:00 China Standard Time, it runs each retention rule of the personal-data
// inventory with a finite period (lib/personalData.ts retentions, activities/retention.ts) and records the counts on
// the run's row (retention_runs). PIPL art. 19, 47; policy 2.2.1 (storage periods), 2.4.1 (erasure).
// Deterministic: the rules, the day and the counts come from activities; the history holds rule ids and counts only.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities, RetentionCounts } from '../activities/retention';

const { startRetentionRun, finishRetentionRun } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});
// A rule pages through its rows, heartbeating after each page: a lost worker is noticed within the heartbeat timeout and
// the retry resumes (what the earlier pages disposed of is gone; their counts come back with the heartbeat).
const { purgeRetentionRule } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumInterval: '5 minutes' },
});

export interface RetentionPurgeResult {
  runId: string;
  runDay: string;
  counts: Record<string, RetentionCounts>;
}

/**
 * The Schedule starts it without input. `asOf`: a run started by hand (or a test's clock) purges as of that instant's
 * local day instead of today's; refused in production when later than now (activities/retention.ts).
 */
export interface RetentionPurgeInput {
  asOf?: string;
}

export async function retentionPurge(input: RetentionPurgeInput = {}): Promise<RetentionPurgeResult> {
  const runId = workflowInfo().workflowId;
  const { runDay, rules } = await startRetentionRun({ runId, at: new Date().toISOString(), ...(input.asOf && { asOf: input.asOf }) });
  for (const rule of rules) await purgeRetentionRule({ runId, rule, runDay });
  const counts = await finishRetentionRun({ runId, at: new Date().toISOString() });
  return { runId, runDay, counts };
}
