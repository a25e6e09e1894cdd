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
import { defineRoute, mount } from '../routeSpec';
import { loadCase, presentCase } from './present';

const cancelSchema = z.object({ reasonCode: z.enum(['customer_request', 'duplicate', 'resolved_elsewhere']) }).strict();
const emptySchema = z.object({}).strict();
const caseQuery = z.object({ live: z.enum(['true', 'false']).optional() }).strict();

export const caseRoutes = {
  get: defineRoute({ id: 'getCase', method: 'get', path: '/v1/cases/:caseId', action: 'cases.read', summary: 'A case: state, step, deadlines, tasks and the Temporal UI link', tag: 'cases', query: caseQuery, success: { status: 200, description: 'The case' }, errors: [404] }),
  timeline: defineRoute({ id: 'getCaseTimeline', method: 'get', path: '/v1/cases/:caseId/timeline', action: 'cases.timeline', summary: 'The hash-chained audit timeline of a case', tag: 'audit', success: { status: 200, description: 'Events in order' }, errors: [404] }),
  verify: defineRoute({ id: 'verifyCaseAudit', method: 'get', path: '/v1/cases/:caseId/audit/verify', action: 'cases.verify', summary: "Recompute a case's audit hash chain and report the first broken link", tag: 'audit', success: { status: 200, description: 'Verification result' }, errors: [404] }),
  shipment: defineRoute({ id: 'submitReturnShipment', method: 'post', path: '/v1/cases/:caseId/shipment', action: 'cases.shipment', summary: "The customer's return shipment (carrier and tracking number)", tag: 'returns', body: shipmentSchema, success: { status: 200, description: 'The case' }, errors: [400, 404, 409] }),
  platformReview: defineRoute({ id: 'requestPlatformReview', method: 'post', path: '/v1/cases/:caseId/platform-review', action: 'cases.platformReview', summary: 'Ask the platform to review a merchant rejection (its decision is final)', tag: 'returns', body: emptySchema, success: { status: 200, description: 'The case' }, errors: [400, 404, 409] }),
  cancel: defineRoute({ id: 'cancelCase', method: 'post', path: '/v1/cases/:caseId/cancel', action: 'cases.cancel', summary: 'Cancel a case before money moves', tag: 'cases', body: cancelSchema, success: { status: 200, description: 'The closed case' }, errors: [400, 404, 409, 422] }),
};

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

  mount(r, caseRoutes.get, async (req, res) => {
    const q = caseQuery.safeParse(req.query);
    if (!q.success) throw badRequest('VALIDATION_FAILED', 'The query is not valid', zodIssues(q.error));
    const c = await visibleCase(req);
    const body: Record<string, unknown> = await presentCase(deps, c.id);
    if (q.data.live === 'true') {
      try {
        body.live = await handleFor(req, c.workflowId).query(caseStateQuery);
      } catch {
        body.live = null; // closed long ago, or Temporal unreachable; the read model still answers
      }
    }
    res.json(body);
  });

  mount(r, caseRoutes.timeline, async (req, res) => {
    const c = await visibleCase(req);
    const events = await deps.db.auditEvent.findMany({ where: { caseId: c.id }, orderBy: { seq: 'asc' } });
    res.json({
      caseId: c.id,
      events: events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), type: e.type, actor: e.actor, payload: e.payload, hash: e.hash, prevHash: e.prevHash })),
    });
  });

  mount(r, caseRoutes.verify, async (req, res) => {
    const c = await visibleCase(req);
    res.json(await verifyAuditChain(deps.db, c.id));
  });

  mount(r, caseRoutes.shipment, async (req, res) => {
    const parsed = shipmentSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The shipment is not valid', zodIssues(parsed.error));
    const c = await visibleCase(req);
    await update(req, () => handleFor(req, c.workflowId).executeUpdate(submitReturnShipmentUpdate, { args: [{ actor: actor(req), shipment: parsed.data }] }));
    res.json(await presentCase(deps, c.id));
  });

  mount(r, caseRoutes.platformReview, async (req, res) => {
    const parsed = emptySchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'No fields are accepted', zodIssues(parsed.error));
    const c = await visibleCase(req);
    await update(req, () => handleFor(req, c.workflowId).executeUpdate(requestPlatformReviewUpdate, { args: [{ actor: actor(req) }] }));
    res.json(await presentCase(deps, c.id));
  });

  mount(r, caseRoutes.cancel, async (req, res) => {
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
