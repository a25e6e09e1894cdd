// Routes of the repairs process. Declare each with defineRoute (api/routeSpec.ts) and mount it.
import { Router } from 'express';
import type { ApiDeps } from '../deps';

export function repairsRouter(_deps: ApiDeps): Router {
  const r = Router();
  return r;
}
