// Every route is declared once, with its zod schemas and the action it needs. The same declaration
// mounts the Express handler, generates OpenAPI (api/openapi.ts) and drives the authorization-matrix test.
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { Action } from './authz';
import { refuseHostileStrings } from './inputGuard';
import { allow } from './middleware';
// A success answer (status, description, body schema, headers): declared beside ProcessRoute, which uses it too.
import type { ResponseSpec } from '../processes/types';

export type { ResponseSpec };

export interface RouteSpec {
  id: string;
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express style: /v1/cases/:caseId */
  path: string;
  /** null: no API key (health checks, the API description; signed webhooks, see `access`). */
  action: Action | null;
  /** A route without an API key that is authenticated otherwise (a signed webhook): how, for the API description. */
  access?: string;
  summary: string;
  tag: string;
  /** A description of the tag, for tags the shared list does not describe (a process's own routes). */
  tagDescription?: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Request headers the route reads, with a description. */
  headers?: Record<string, { required: boolean; description: string; schema?: z.ZodType }>;
  /** The success status and a description of the response, with its body schema. */
  success: ResponseSpec;
  /** Other answers the route documents beside the errors (a second success status; a 503 with its own body). */
  otherResponses?: ResponseSpec[];
  /** Error statuses the route can answer besides 401/403 (added for authenticated routes). */
  errors: number[];
  /** The body is raw bytes (a binary upload part, a signed webhook body): exempt from the NUL/surrogate check of JSON strings. */
  rawBody?: boolean;
  /** A multipart/form-data upload of one file in the part `field` (documented as such; read by the handler as a stream). */
  upload?: { field: string; description: string };
}

export const routeSpecs: RouteSpec[] = [];

export function defineRoute<T extends RouteSpec>(spec: T): T {
  if (routeSpecs.some((r) => r.id === spec.id)) throw new Error(`route ${spec.id} declared twice`);
  routeSpecs.push(spec);
  return spec;
}

/**
 * Mounts a declared route: first the refusal of NUL and lone surrogates in its parameters, headers and body
 * (api/inputGuard.ts; every route, so no string with them reaches a handler), then its authorization, then the handler.
 */
export function mount(router: Router, spec: RouteSpec, handler: (req: Request, res: Response) => Promise<void> | void): void {
  const guard = refuseHostileStrings({ rawBody: spec.rawBody });
  if (spec.action) router[spec.method](spec.path, guard, allow(spec.action), handler);
  else router[spec.method](spec.path, guard, handler);
}
