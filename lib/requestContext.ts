// The request id of the HTTP call being served, carried through async code and into Temporal headers,
// so API logs, workflow activities and their logs share one id.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

export const REQUEST_ID_HEADER = 'casework-request-id';

const storage = new AsyncLocalStorage<{ requestId: string }>();

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Client interceptor: puts the current request id into the headers of workflow starts and updates. */
export function requestIdClientInterceptor(): WorkflowClientInterceptor {
  const withHeader = <T extends { headers: Record<string, unknown> }>(input: T): T => {
    const id = currentRequestId();
    return id ? { ...input, headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(id) } } : input;
  };
  return {
    start: (input, next) => next(withHeader(input)),
    startWithDetails: (input, next) => next(withHeader(input)),
    startUpdate: (input, next) => next(withHeader(input)),
    signal: (input, next) => next(withHeader(input)),
  };
}
