// Hostile strings at the edge: a NUL character or a lone UTF-16 surrogate in any path parameter, query parameter,
// header or JSON body string (keys included) is refused with 400 before anything reads it. PostgreSQL cannot store
// NUL in text, and a lone surrogate is not Unicode: neither can be a valid value of any field of this API.
// Every declared route runs this guard (api/routeSpec.ts mount()), where its path parameters are known by name.
//
// Exempt (hook): a route declared with `rawBody: true` (binary upload parts, raw signed webhook bodies) skips the
// body check; its parameters and headers are still checked.
import type { NextFunction, Request, Response } from 'express';
import { badRequest } from './errors';

/** A lone high surrogate (no low one after it) or a lone low surrogate (no high one before it). */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a string, or null. */
export function hostileString(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (loneSurrogate.test(s)) return 'contains a lone UTF-16 surrogate (not Unicode text)';
  return null;
}

export interface HostileIssue {
  /** Where the value came from. */
  in: 'path' | 'query' | 'header' | 'body';
  /** The parameter or header name, or the dotted path inside the body ('' for the body itself). */
  path: string;
  message: string;
  code: 'invalid_characters';
}

const joinPath = (prefix: string, key: string | number) => (prefix === '' ? String(key) : `${prefix}.${key}`);

/** Every hostile string in a parsed value (objects, arrays, strings; keys too), depth-first. */
export function findHostile(value: unknown, where: HostileIssue['in'], prefix = '', out: HostileIssue[] = [], depth = 0): HostileIssue[] {
  if (out.length >= 20 || depth > 64) return out;
  if (typeof value === 'string') {
    const problem = hostileString(value);
    if (problem) out.push({ in: where, path: prefix, message: `${prefix || where} ${problem}`, code: 'invalid_characters' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findHostile(v, where, joinPath(prefix, i), out, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keyProblem = hostileString(k);
      if (keyProblem) out.push({ in: where, path: joinPath(prefix, JSON.stringify(k)), message: `a property name ${keyProblem}`, code: 'invalid_characters' });
      else findHostile(v, where, joinPath(prefix, k), out, depth + 1);
    }
  }
  return out;
}

/** The route-level guard: path parameters (by name), query parameters, headers and, unless exempt, the JSON body. */
export function refuseHostileStrings(opts: { rawBody?: boolean } = {}) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const issues: HostileIssue[] = [];
    for (const [name, v] of Object.entries(req.params ?? {})) findHostile(v, 'path', name, issues);
    findHostile(req.query, 'query', '', issues);
    for (const [name, v] of Object.entries(req.headers)) findHostile(v, 'header', name, issues);
    if (!opts.rawBody) findHostile(req.body, 'body', '', issues);
    if (issues.length > 0) return next(badRequest('INVALID_CHARACTERS', `The request has a NUL character or a lone surrogate in ${issues[0].in} ${issues[0].path || '(root)'}`, issues));
    next();
  };
}
