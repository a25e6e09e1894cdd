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

const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;
/** The gRPC status of a Temporal client error (a ServiceError wraps the gRPC error as its cause). */
function grpcCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.cause?.code === 'number') return e.cause.code;
  return undefined;
}

/** Maps a workflow update refusal (validator) to the HTTP error the caller should see. */
export function fromUpdateFailure(err: unknown): ApiError | undefined {
  if (err instanceof WorkflowNotFoundError) return conflict('CASE_NOT_RUNNING', 'The case is no longer running');
  if (!(err instanceof WorkflowUpdateFailedError)) {
    const msg = (err as Error)?.message ?? '';
    if (/workflow execution already completed|not found/i.test(msg)) return conflict('CASE_NOT_RUNNING', 'The case is no longer running');
    // The update never reached the workflow's code: its workflow task failed and was rewound (e.g. a signal came while
    // the case was closing: the server refuses that task, FAILED_PRECONDITION "workflow not ready"), or the server was
    // unavailable. Nothing changed; the same request again is safe.
    const code = grpcCode(err);
    if (code === GRPC_FAILED_PRECONDITION || code === GRPC_UNAVAILABLE) {
      return new ApiError(503, 'CASE_BUSY', 'The case could not take this request now (its workflow was busy or Temporal unavailable); nothing was changed: send it again');
    }
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
