// Carries the request id from a workflow start or update into the activities it schedules.
// The id is the last one received: the start's, then each update's as it arrives.
import type { Payload } from '@temporalio/common';
import type { ActivityInput, LocalActivityInput, Next, UpdateInput, WorkflowExecuteInput, WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

const HEADER = 'casework-request-id';

export const interceptors: WorkflowInterceptorsFactory = () => {
  let requestId: Payload | undefined;
  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
      requestId = input.headers[HEADER] ?? requestId;
      return next(input);
    },
    handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) {
      requestId = input.headers[HEADER] ?? requestId;
      return next(input);
    },
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
      return next(requestId ? { ...input, headers: { ...input.headers, [HEADER]: requestId } } : input);
    },
    scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) {
      return next(requestId ? { ...input, headers: { ...input.headers, [HEADER]: requestId } } : input);
    },
  };
  return { inbound: [inbound], outbound: [outbound] };
};
