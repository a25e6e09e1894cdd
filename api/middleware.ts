// Request id and structured logging per request; bearer-key authentication.
import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import { findPrincipalByKey, storedScopes } from '../lib/principals';
import { runWithRequestId } from '../lib/requestContext';
import { ApiError, forbidden } from './errors';
import type { TokenBuckets } from './rateLimit';
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

/**
 * Bearer-key authentication. A client address whose requests failed authentication too often (no key, an unknown or
 * revoked one: `failures`, a token bucket per address) is answered 429 AUTH_RATE_LIMITED before any look-up, so bad keys
 * cannot cost unlimited database reads; a successful authentication takes nothing from the bucket. The address is
 * the connection's (Express `req.ip`; behind a proxy, set Express's trust proxy to read X-Forwarded-For).
 */
export function authenticate(db: Db, failures?: TokenBuckets, lookup: (db: Db, key: string) => ReturnType<typeof findPrincipalByKey> = findPrincipalByKey) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const failed = (err: ApiError) => {
      failures?.take(address);
      return err;
    };
    try {
      const limited = failures?.peek(address);
      if (limited && !limited.ok) {
        res.setHeader('Retry-After', String(limited.retryAfterSeconds));
        req.log?.warn({ address, retryAfterSeconds: limited.retryAfterSeconds }, 'authentication failures rate limited');
        throw new ApiError(429, 'AUTH_RATE_LIMITED', `Too many requests without a valid API key from this address: at most ${failures!.limits.perMinute} per minute (bursts of ${failures!.limits.burst}); retry in ${limited.retryAfterSeconds} s`);
      }
      const header = req.header('authorization') ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw failed(new ApiError(401, 'UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"'));
      const p = await lookup(db, m[1]);
      if (!p) throw failed(new ApiError(401, 'UNAUTHENTICATED', 'The API key is unknown or revoked'));
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
