// The errors a request can end in, as the API answers them: status, code, message, details. Process modules
// (processes/) raise them; api/errors.ts turns them into structured JSON. 400 malformed, 401/403 auth, 404 unknown,
// 409 conflict, 422 policy refusal.
import { WorkflowUpdateFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { ZodError } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new ApiError(400, code, message, details);
export const notFound = (what: string, id: string) => new ApiError(404, 'NOT_FOUND', `${what} '${id}' was not found`);
export const forbidden = (message: string) => new ApiError(403, 'FORBIDDEN', message);
export const conflict = (code: string, message: string, details?: unknown) => new ApiError(409, code, message, details);
export const policyRefused = (code: string, message: string, details?: unknown) => new ApiError(422, code, message, details);

export function zodIssues(err: ZodError) {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
}

/** Maps a workflow update refusal (validator) to the HTTP error the caller should see. */
export function fromUpdateFailure(err: unknown): ApiError | undefined {
  if (err instanceof WorkflowNotFoundError) return conflict('CASE_NOT_RUNNING', 'The case is no longer running');
  if (!(err instanceof WorkflowUpdateFailedError)) {
    const msg = (err as Error)?.message ?? '';
    if (/workflow execution already completed|not found/i.test(msg)) return conflict('CASE_NOT_RUNNING', 'The case is no longer running');
    return undefined;
  }
  const cause = err.cause as { type?: string; message?: string } | undefined;
  const message = cause?.message ?? err.message;
  switch (cause?.type) {
    case 'InvalidPayload':
      return badRequest('INVALID_PAYLOAD', message);
    case 'TaskNotOpen':
      return conflict('TASK_NOT_OPEN', message);
    case 'NotAllowedNow':
      return conflict('NOT_ALLOWED_AT_THIS_STEP', message);
    case 'PolicyRefused':
      return policyRefused('POLICY_REFUSED', message);
    case 'Forbidden':
      return forbidden(message);
    default:
      return undefined;
  }
}
