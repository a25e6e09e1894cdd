// Case resources: read, timeline, audit verification, and the customer's actions (via the storefront).
import { Router, type Request } from 'express';
import { z } from 'zod';
import { verifyAuditChain } from '../../activities/audit';
import { shipmentSchema } from '../../policy/tasks';
import { cancelCaseUpdate, caseStateQuery, type Actor } from '../../workflows/definitions';
import { requestPlatformReviewUpdate, submitReturnShipmentUpdate } from '../../workflows/returnWithin7Days';
import { canSeeMerchantScoped } from '../authz';
import type { ApiDeps } from '../deps';
import { badRequest, fromUpdateFailure, notFound, zodIssues } from '../errors';
import { allow } from '../middleware';
import { loadCase, presentCase } from './present';

const cancelSchema = z.object({ reasonCode: z.enum(['customer_request', 'duplicate', 'resolved_elsewhere']) }).strict();

export function casesRouter(deps: ApiDeps): Router {
  const r = Router();

  async function visibleCase(req: Request) {
    const c = await loadCase(deps, req.params.caseId as string);
    // A merchant learns nothing about other merchants' cases, not even that they exist.
    if (!canSeeMerchantScoped(req.principal!, c.merchantId)) throw notFound('Case', c.id);
    return c;
  }

  const actor = (req: Request): Actor => ({ id: req.principal!.id, role: req.principal!.role });

  async function update<T>(req: Request, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw fromUpdateFailure(err) ?? err;
    }
  }

  const handleFor = (req: Request, workflowId: string) => deps.temporal.clients.forIdentity(req.principal!.id).workflow.getHandle(workflowId);

  r.get('/v1/cases/:caseId', allow('cases.read'), async (req, res) => {
    const c = await visibleCase(req);
    const body: Record<string, unknown> = await presentCase(deps, c.id);
    if (req.query.live === 'true') {
      try {
        body.live = await handleFor(req, c.workflowId).query(caseStateQuery);
      } catch {
        body.live = null; // closed long ago, or Temporal unreachable; the read model still answers
      }
    }
    res.json(body);
  });

  r.get('/v1/cases/:caseId/timeline', allow('cases.timeline'), async (req, res) => {
    const c = await visibleCase(req);
    const events = await deps.db.auditEvent.findMany({ where: { caseId: c.id }, orderBy: { seq: 'asc' } });
    res.json({
      caseId: c.id,
      events: events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), type: e.type, actor: e.actor, payload: e.payload, hash: e.hash, prevHash: e.prevHash })),
    });
  });

  r.get('/v1/cases/:caseId/audit/verify', allow('cases.verify'), async (req, res) => {
    const c = await visibleCase(req);
    res.json(await verifyAuditChain(deps.db, c.id));
  });

  r.post('/v1/cases/:caseId/shipment', allow('cases.shipment'), async (req, res) => {
    const parsed = shipmentSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The shipment is not valid', zodIssues(parsed.error));
    const c = await visibleCase(req);
    await update(req, () => handleFor(req, c.workflowId).executeUpdate(submitReturnShipmentUpdate, { args: [{ actor: actor(req), shipment: parsed.data }] }));
    res.json(await presentCase(deps, c.id));
  });

  r.post('/v1/cases/:caseId/platform-review', allow('cases.platformReview'), async (req, res) => {
    const parsed = z.object({}).strict().safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'No fields are accepted', zodIssues(parsed.error));
    const c = await visibleCase(req);
    await update(req, () => handleFor(req, c.workflowId).executeUpdate(requestPlatformReviewUpdate, { args: [{ actor: actor(req) }] }));
    res.json(await presentCase(deps, c.id));
  });

  r.post('/v1/cases/:caseId/cancel', allow('cases.cancel'), async (req, res) => {
    const parsed = cancelSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The cancellation is not valid', zodIssues(parsed.error));
    const c = await visibleCase(req);
    if (c.status === 'closed') throw fromUpdateFailure(new Error('workflow execution already completed'))!;
    await update(req, () => handleFor(req, c.workflowId).executeUpdate(cancelCaseUpdate, { args: [{ actor: actor(req), reasonCode: parsed.data.reasonCode }] }));
    const h = handleFor(req, c.workflowId);
    // The case closes right after the cancellation is accepted; wait briefly so the answer shows it.
    await Promise.race([h.result().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    res.json(await presentCase(deps, c.id));
  });

  return r;
}
