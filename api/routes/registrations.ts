// Routes of the registrations process. Declare each with defineRoute (api/routeSpec.ts) and mount it.
import { Router } from 'express';
import type { ApiDeps } from '../deps';

export function registrationsRouter(_deps: ApiDeps): Router {
  const r = Router();
  return r;
}
