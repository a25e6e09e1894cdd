// Structured JSON errors: every error a request ends in is answered as { error: { code, message, details, requestId } }.
// The errors themselves (ApiError and its constructors) live in lib/errors.ts, below the process modules that raise them.
import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { ApiError, badRequest, fromUpdateFailure, zodIssues } from '../lib/errors';
import { isDatabaseUnavailable } from '../lib/db';

/** Seconds a client is asked to wait before sending a request the database could not serve again. */
const DATABASE_RETRY_AFTER_S = 5;

export { ApiError, badRequest, conflict, forbidden, fromUpdateFailure, notFound, policyRefused, zodIssues } from '../lib/errors';

export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const requestId = (req as any).requestId as string | undefined;
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (err instanceof ZodError) e = badRequest('VALIDATION_FAILED', 'The request is not valid', zodIssues(err));
  else if ((err as any)?.type === 'entity.parse.failed') e = badRequest('MALFORMED_JSON', 'The request body is not valid JSON');
  else if (err instanceof URIError) e = badRequest('MALFORMED_PATH', 'A path segment is not valid percent-encoded UTF-8', [{ in: 'path', path: '', message: err.message, code: 'invalid_characters' }]);
  else if ((err as any)?.type === 'entity.too.large') e = new ApiError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
  else {
    const mapped = isDatabaseUnavailable(err) ? undefined : fromUpdateFailure(err);
    if (mapped) e = mapped;
    else if (isDatabaseUnavailable(err)) {
      // PostgreSQL down or restarting: each write is one transaction (an opening idempotent on its key), so the same
      // request again later is safe.
      (req as any).log?.warn({ err }, 'database unavailable');
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_S));
      e = new ApiError(503, 'DATABASE_UNAVAILABLE', 'The database is not available now; send the request again later');
    } else {
      (req as any).log?.error({ err }, 'unhandled error');
      e = new ApiError(500, 'INTERNAL', 'Internal error');
    }
  }
  res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details !== undefined && { details: e.details }), requestId } });
}
