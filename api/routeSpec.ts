// Every route is declared once, with its zod schemas and the action it needs. The same declaration
// mounts the Express handler, generates OpenAPI (api/openapi.ts) and drives the authorization-matrix test.
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { Action } from './authz';
import { allow } from './middleware';

export interface RouteSpec {
  id: string;
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express style: /v1/cases/:caseId */
  path: string;
  /** null: no authentication (health checks, the API description). */
  action: Action | null;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Request headers the route reads, with a description. */
  headers?: Record<string, { required: boolean; description: string }>;
  /** The success status and a description of the response. */
  success: { status: number; description: string };
  /** Error statuses the route can answer besides 401/403 (added for authenticated routes). */
  errors: number[];
}

export const routeSpecs: RouteSpec[] = [];

export function defineRoute<T extends RouteSpec>(spec: T): T {
  if (routeSpecs.some((r) => r.id === spec.id)) throw new Error(`route ${spec.id} declared twice`);
  routeSpecs.push(spec);
  return spec;
}

export function mount(router: Router, spec: RouteSpec, handler: (req: Request, res: Response) => Promise<void> | void): void {
  if (spec.action) router[spec.method](spec.path, allow(spec.action), handler);
  else router[spec.method](spec.path, handler);
}
