// 405 for a method a known path does not declare (TRACE, PATCH, PUT, DELETE, ...), with the Allow header; an
// unknown path stays 404. OPTIONS on a known path answers 204 with Allow. Mounted before authentication: which
// methods a path has is public (the API description lists them).
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './errors';
import type { RouteSpec } from './routeSpec';

/** Declared paths use plain segments and `:name` parameters only (api/openapi.ts toOpenApiPath refuses the rest). */
function pathPattern(expressPath: string): RegExp {
  const body = expressPath
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`, 'i');
}

export function methodNotAllowed(specs: readonly RouteSpec[]) {
  let compiled: Array<{ re: RegExp; method: string }> | undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    compiled ??= specs.map((s) => ({ re: pathPattern(s.path), method: s.method.toUpperCase() }));
    const methods = new Set(compiled.filter((c) => c.re.test(req.path)).map((c) => c.method));
    if (methods.size === 0) return next(); // unknown path: 404 later
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.has(req.method)) return next();
    methods.add('OPTIONS');
    const allow = [...methods].sort().join(', ');
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next(new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; allowed: ${allow}`, { allow: [...methods].sort() }));
  };
}
