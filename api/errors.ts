// Structured JSON errors. 400 malformed, 401/403 auth, 404 unknown, 409 conflict, 422 policy refusal.
import type { NextFunction, Request, Response } from 'express';
import { WorkflowUpdateFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ZodError } from 'zod';

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

export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const requestId = (req as any).requestId as string | undefined;
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (err instanceof ZodError) e = badRequest('VALIDATION_FAILED', 'The request is not valid', zodIssues(err));
  else if ((err as any)?.type === 'entity.parse.failed') e = badRequest('MALFORMED_JSON', 'The request body is not valid JSON');
  else if (err instanceof URIError) e = badRequest('MALFORMED_PATH', 'A path segment is not valid percent-encoded UTF-8', [{ in: 'path', path: '', message: err.message, code: 'invalid_characters' }]);
  else if ((err as any)?.type === 'entity.too.large') e = new ApiError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
  else {
    const mapped = fromUpdateFailure(err);
    if (mapped) e = mapped;
    else {
      (req as any).log?.error({ err }, 'unhandled error');
      e = new ApiError(500, 'INTERNAL', 'Internal error');
    }
  }
  res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details !== undefined && { details: e.details }), requestId } });
}
