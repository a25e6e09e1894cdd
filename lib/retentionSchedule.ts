// The Temporal Schedule of the daily retention purge (README "Retention: the daily purge"): created at start-up
// wherever the search attributes are registered (scripts/system.ts, worker/main.ts), idempotently: a second start, or
// two processes at once, leave one schedule; a schedule whose definition differs from this one (the task queue moved,
// the time changed) is updated in place, its paused state and note kept.
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Connection, type ScheduleDescription } from '@temporalio/client';

export const RETENTION_SCHEDULE_ID = 'retention-purge';
/** The workflow type it starts (workflows/retentionPurge.ts). */
export const RETENTION_WORKFLOW_TYPE = 'retentionPurge';
/** Every day at 03:00 China Standard Time: after the day's periods end at 24:00, at a quiet hour. */
export const RETENTION_AT = { hour: 3, minute: 0, timezone: 'Asia/Shanghai' } as const;
const CATCHUP_WINDOW_MS = 86_400_000;

export interface RetentionScheduleOptions {
  connection: Connection;
  namespace: string;
  taskQueue: string;
  /** Default `retention-purge`; tests give their own. */
  scheduleId?: string;
}

const definition = (o: RetentionScheduleOptions, scheduleId: string) => ({
  scheduleId,
  spec: { calendars: [{ hour: RETENTION_AT.hour, minute: RETENTION_AT.minute }], timezone: RETENTION_AT.timezone },
  action: { type: 'startWorkflow' as const, workflowType: RETENTION_WORKFLOW_TYPE, taskQueue: o.taskQueue, workflowId: scheduleId, args: [] as [] },
  // A run still going when the next is due: the next is skipped (the one running purges everything due anyway). A
  // server down at 03:00 runs it when back, within a day.
  policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW_MS },
});

/** Whether a described schedule is the one this release defines. */
export function sameRetentionSchedule(d: ScheduleDescription, taskQueue: string): boolean {
  const cal = d.spec.calendars ?? [];
  const first = (r: { start: number; end: number }[] | undefined) => (r && r.length === 1 && r[0].start === r[0].end ? r[0].start : undefined);
  return (
    d.action.type === 'startWorkflow' &&
    d.action.workflowType === RETENTION_WORKFLOW_TYPE &&
    d.action.taskQueue === taskQueue &&
    d.spec.timezone === RETENTION_AT.timezone &&
    cal.length === 1 &&
    first(cal[0].hour as { start: number; end: number }[]) === RETENTION_AT.hour &&
    first(cal[0].minute as { start: number; end: number }[]) === RETENTION_AT.minute &&
    (d.spec.intervals ?? []).length === 0 &&
    d.policies.overlap === ScheduleOverlapPolicy.SKIP &&
    d.policies.catchupWindow === CATCHUP_WINDOW_MS
  );
}

/** Creates the schedule, or leaves it, or updates it to this definition: `created`, `unchanged` or `updated`. */
export async function ensureRetentionSchedule(o: RetentionScheduleOptions): Promise<'created' | 'unchanged' | 'updated'> {
  const scheduleId = o.scheduleId ?? RETENTION_SCHEDULE_ID;
  const client = new Client({ connection: o.connection, namespace: o.namespace, identity: 'retention-schedule' });
  const want = definition(o, scheduleId);
  try {
    await client.schedule.create(want);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  if (sameRetentionSchedule(await handle.describe(), o.taskQueue)) return 'unchanged';
  await handle.update((prev) => ({ spec: want.spec, action: want.action, policies: want.policies, state: prev.state }));
  return 'updated';
}
