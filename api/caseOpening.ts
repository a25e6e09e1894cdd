// POST /v1/cases over the case-opening service (processes/caseOpening.ts): the Idempotency-Key header, the answer (201
// with the case, or 200 with Idempotent-Replayed for a replay) and the request's logger. What opening does (validation,
// idempotency, the case row and the workflow's single run) is the service's, shared with the cases that open others.
import type { Request, Response } from 'express';
import { idempotencyKeySchema, openCase as openCaseWith } from '../processes/caseOpening';
import type { AnyProcess } from '../processes/types';
import type { ApiDeps } from './deps';

export const idempotencyKeyHeader = {
  'Idempotency-Key': { required: true, description: 'Retries with the same key and body return the original case (200, Idempotent-Replayed: true); another body gives 409', schema: idempotencyKeySchema },
};

export { requestHash } from '../processes/caseOpening';

/**
 * Opens a case of `process` with the request's `body` (without `type`; validated by the service) and answers 201 with
 * the case; a retry with the same key and body answers 200 with the same case, another body 409.
 */
export async function openCase(deps: ApiDeps, req: Request, res: Response, process: AnyProcess, body: unknown, present: (caseId: string) => Promise<unknown>): Promise<void> {
  const { caseId, replayed } = await openCaseWith(deps, { process, body, principal: req.principal!, idempotencyKey: req.header('idempotency-key'), log: req.log });
  if (replayed) res.status(200).setHeader('Idempotent-Replayed', 'true');
  else res.status(201);
  res.location(`/v1/cases/${caseId}`).json(await present(caseId));
}

// Starting a case's workflow lives with the catalogue (processes/caseStart.ts): the reconciler starts cases the same way.
export { startCaseWorkflow } from '../processes/caseStart';
