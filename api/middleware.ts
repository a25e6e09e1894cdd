// Request id and structured logging per request; bearer-key authentication.
import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import { findPrincipalByKey, storedScopes } from '../lib/principals';
import { runWithRequestId } from '../lib/requestContext';
import { ApiError, forbidden } from './errors';
import { can, type Action, type Principal } from './authz';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      requestId: string;
      log: Logger;
      principal?: Principal;
    }
  }
}

export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    req.log = logger.child({ requestId: req.requestId });
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      req.log.info({ method: req.method, path: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10, principal: req.principal?.id }, 'request');
    });
    runWithRequestId(req.requestId, next);
  };
}

export function authenticate(db: Db) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const header = req.header('authorization') ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new ApiError(401, 'UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"');
      const p = await findPrincipalByKey(db, m[1]);
      if (!p) throw new ApiError(401, 'UNAUTHENTICATED', 'The API key is unknown or revoked');
      req.principal = { id: p.id, name: p.name, role: p.role, merchantId: p.merchantId, scopes: storedScopes(p.scopes) };
      req.log = req.log.child({ principal: p.id, role: p.role });
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Route guard: the principal's role must be allowed the action (see authz.ts). */
export function allow(action: Action) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.principal) return next(new ApiError(401, 'UNAUTHENTICATED', 'Authentication required'));
    if (!can(req.principal, action)) return next(forbidden(`Role '${req.principal.role}' may not ${action}`));
    next();
  };
}
