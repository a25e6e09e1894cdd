// Activity side of request-id propagation: the id from the Temporal header is made current for the
// activity's duration, so its log lines carry it (see lib/requestContext.ts).
import type { ActivityInboundCallsInterceptor, ActivityExecuteInput, Next } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { REQUEST_ID_HEADER, runWithRequestId } from '../lib/requestContext';

export class RequestIdActivityInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const header = input.headers[REQUEST_ID_HEADER];
    if (!header) return next(input);
    const requestId = defaultPayloadConverter.fromPayload<string>(header);
    return runWithRequestId(requestId, () => next(input));
  }
}
