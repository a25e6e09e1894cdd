// Deliberate, realistic workflow changes for the negative replay test, applied to every workflow type by a
// workflow outbound interceptor that is bundled only into the test's own bundles (never into the worker's).
// Each variant module beside this file exports `interceptors` for one change; replaying a committed history
// against a bundle with any of them must fail with a nondeterminism error.
import { proxyActivities, proxyLocalActivities, sleep, type ActivityInput, type LocalActivityInput, type Next, type WorkflowInterceptorsFactory, type WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

export type WorkflowChange =
  /** None: the harness itself (an extra interceptor module in the bundle) must not break replay. */
  | 'unchanged'
  /** A new timer in the middle of the process: a 1-second wait before the 3rd activity. */
  | 'timerBeforeThirdActivity'
  /** A step that now calls a different activity: the 2nd activity is replaced by another type. */
  | 'otherActivityAtSecond'
  /** A new step: an extra activity scheduled before the 2nd one. */
  | 'extraActivityBeforeSecond';

/** Another activity type than `type`, existing in the worker (replay never runs activities). */
export function otherActivityType(type: string): string {
  return type === 'recordCaseEvent' ? 'notify' : 'recordCaseEvent';
}

export function changeInterceptors(change: WorkflowChange): WorkflowInterceptorsFactory {
  return () => {
    let scheduled = 0;
    let inserting = false;
    // Activities and local activities count alike: cases write through local activities since the
    // case-writes-local-activities patch, and the changes must land inside either kind of history.
    const change_ = async <I extends ActivityInput | LocalActivityInput>(input: I, next: (i: I) => Promise<unknown>, local: boolean) => {
      if (inserting) return next(input);
      scheduled += 1;
      if (change === 'timerBeforeThirdActivity' && scheduled === 3) {
        await sleep('1 second');
      }
      if (change === 'otherActivityAtSecond' && scheduled === 2) {
        return next({ ...input, activityType: otherActivityType(input.activityType) });
      }
      if (change === 'extraActivityBeforeSecond' && scheduled === 2) {
        inserting = true;
        try {
          const options = { startToCloseTimeout: '1 minute' } as const;
          const extra = (local ? proxyLocalActivities(options) : proxyActivities(options)) as Record<string, (...args: unknown[]) => Promise<unknown>>;
          await extra[otherActivityType(input.activityType)](...input.args);
        } finally {
          inserting = false;
        }
      }
      return next(input);
    };
    const outbound: WorkflowOutboundCallsInterceptor = {
      scheduleActivity: (input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) => change_(input, next, false) as ReturnType<typeof next>,
      scheduleLocalActivity: (input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) => change_(input, next, true) as ReturnType<typeof next>,
    };
    return { outbound: [outbound] };
  };
}
