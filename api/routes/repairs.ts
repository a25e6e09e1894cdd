// Warranty repair (policy 7.1, 7.3): the storefront or an agent opens a request; the customer's steps
// (quote decision, hand-over, remedy decision, rating) come through the storefront; supervisors and
// auditors read SLA compliance. Staff steps go through the task inbox (/v1/tasks/:id/complete).
import { Router, type Request } from 'express';
import type { WorkflowHandle } from '@temporalio/client';
import type { RepairRequest } from '@prisma/client';
import { z } from 'zod';
import {
  MAX_WARRANTY_MONTHS,
  checkWarranty,
  customerDecisionSchema,
  handOverSchema,
  ratingSchema,
  repairProblemCategories,
} from '../../policy/warrantyRepair';
import type { Actor } from '../../workflows/definitions';
import {
  REPAIR_CASE_TYPE,
  decideQuoteUpdate,
  decideRemedyUpdate,
  handOverItemUpdate,
  submitRatingUpdate,
  warrantyRepair,
  type RepairCaseInput,
} from '../../workflows/warrantyRepair';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, fromUpdateFailure, notFound, policyRefused, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { idempotencyKeyHeader, openCaseIdempotently, requireIdempotencyKey, startCaseWorkflow } from '../caseOpening';
import { loadCase, presentCase } from './present';

const id = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1-64 letters, digits, _ . : or -');

export const openRepairSchema = z
  .object({
    order: z
      .object({
        orderId: id,
        lineItemId: id,
        productRef: z.string().regex(/^[A-Za-z0-9_.:/-]{1,80}$/, 'product reference: 1-80 letters, digits, _ . : / or -'),
        customerId: id,
        merchantId: id,
        deliveredAt: z.iso.datetime({ offset: true }),
      })
      .strict(),
    /** The manufacturer's warranty in months from delivery (0: none). */
    warrantyMonths: z.number().int().min(0).max(MAX_WARRANTY_MONTHS),
    problemCategory: z.enum(repairProblemCategories),
    /** The customer's description: stored in PostgreSQL only, never in the workflow. */
    description: z.string().trim().min(1).max(4000),
    customerContact: z
      .object({ email: z.email().optional(), displayName: z.string().max(100).optional(), locale: z.enum(['zh-CN', 'en']).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type OpenRepairRequest = z.infer<typeof openRepairSchema>;

const decisionBody = z.object({ decision: customerDecisionSchema }).strict();
const ratingBody = z.object({ rating: ratingSchema }).strict();
export const repairSlaReportQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().describe('start of the range (inclusive) on the task creation time; default: 30 days before `to`'),
    to: z.iso.datetime({ offset: true }).optional().describe('end of the range (exclusive); default: now'),
  })
  .strict();

export const repairRoutes = {
  open: defineRoute({
    id: 'openRepair',
    method: 'post',
    path: '/v1/repairs',
    action: 'repairs.create',
    summary: 'Open a warranty repair request (policy 7.1, 7.3); the description stays in PostgreSQL',
    tag: 'repairs',
    body: openRepairSchema,
    headers: idempotencyKeyHeader,
    success: { status: 201, description: 'The case was opened (200 with Idempotent-Replayed: true on a replay)' },
    errors: [400, 409, 422],
  }),
  quoteDecision: defineRoute({ id: 'decideRepairQuote', method: 'post', path: '/v1/repairs/:caseId/quote-decision', action: 'repairs.customerStep', summary: "The customer accepts or declines the out-of-warranty repair quote", tag: 'repairs', body: decisionBody, success: { status: 200, description: 'The case' }, errors: [400, 404, 409] }),
  handOver: defineRoute({ id: 'handOverRepairItem', method: 'post', path: '/v1/repairs/:caseId/hand-over', action: 'repairs.customerStep', summary: 'The customer hands the item over: courier tracking number or drop-off reference', tag: 'repairs', body: handOverSchema, success: { status: 200, description: 'The case' }, errors: [400, 404, 409] }),
  remedyDecision: defineRoute({ id: 'decideRepairRemedy', method: 'post', path: '/v1/repairs/:caseId/remedy-decision', action: 'repairs.customerStep', summary: 'The customer accepts or declines the remedy (replacement or voucher) offered after a repair breach or an unrepairable item', tag: 'repairs', body: decisionBody, success: { status: 200, description: 'The case' }, errors: [400, 404, 409] }),
  rating: defineRoute({ id: 'rateRepair', method: 'post', path: '/v1/repairs/:caseId/rating', action: 'repairs.customerStep', summary: 'The customer rates the after-sales service 1-5 (policy 7.1 satisfaction feedback)', tag: 'repairs', body: ratingBody, success: { status: 200, description: 'The case' }, errors: [400, 404, 409] }),
  slaReport: defineRoute({
    id: 'repairSlaReport',
    method: 'get',
    path: '/v1/reports/repairs/sla',
    action: 'reports.read',
    summary: 'SLA compliance of warranty repairs (first response 2 working hours, repair 5 working days): count, met, breached, median and p95 durations in ms',
    tag: 'repairs',
    query: repairSlaReportQuery,
    success: { status: 200, description: 'Per SLA: count, met, breached, other (open in time or cancelled in time), medianMs, p95Ms' },
    errors: [400],
  }),
};

export function presentRepair(r: RepairRequest) {
  return {
    orderId: r.orderId,
    lineItemId: r.lineItemId,
    productRef: r.productRef,
    problemCategory: r.problemCategory,
    description: r.description,
    warrantyMonths: r.warrantyMonths,
    deliveredAt: r.deliveredAt.toISOString(),
    requestedAt: r.requestedAt.toISOString(),
    warrantyEndsAt: r.warrantyEndsAt.toISOString(),
    inWarranty: r.inWarranty,
    quote: r.quoteAmountMinor === null ? null : { amountMinor: r.quoteAmountMinor, currency: r.quoteCurrency, decision: r.quoteDecision },
    handOver: r.handOverMethod === null ? null : { method: r.handOverMethod, carrier: r.handOverCarrier, reference: r.handOverReference },
    receivedAt: r.receivedAt?.toISOString() ?? null,
    result: r.result,
    remedy: r.remedy === null ? null : { remedy: r.remedy, decision: r.remedyDecision },
    returnShipment: r.returnTracking === null ? null : { carrier: r.returnCarrier, trackingNumber: r.returnTracking },
    rating: r.rating,
    feedback: r.feedback,
  };
}

/** One row per SLA of the report (see the SQL below). */
interface SlaRow {
  sla: string;
  count: number;
  met: number;
  breached: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export const REPORTED_SLAS = ['firstResponse', 'repair'] as const;

/**
 * SLA compliance straight from the task inbox (tasks: sla_name, created_at, completed_at, due_at, status),
 * in one aggregate query. A task is met when completed by its deadline; breached when completed, cancelled
 * or still open after it (the workflow escalates at that very instant); the rest (open in time, or cancelled
 * before the deadline) count only in `count`. Durations: completed tasks only, completed_at - created_at,
 * wall-clock milliseconds (the SLA itself is in working time).
 */
export async function repairSlaReport(deps: Pick<ApiDeps, 'db'>, from: Date, to: Date): Promise<Record<(typeof REPORTED_SLAS)[number], Omit<SlaRow, 'sla'>>> {
  const rows = await deps.db.$queryRaw<SlaRow[]>`
    SELECT t.sla_name AS "sla",
      count(*)::int AS "count",
      (count(*) FILTER (WHERE t.status = 'completed' AND t.completed_at <= t.due_at))::int AS "met",
      (count(*) FILTER (WHERE COALESCE(t.completed_at, now() AT TIME ZONE 'UTC') > t.due_at))::int AS "breached",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM t.completed_at - t.created_at) * 1000)::float8)
        FILTER (WHERE t.status = 'completed') AS "medianMs",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY (extract(epoch FROM t.completed_at - t.created_at) * 1000)::float8)
        FILTER (WHERE t.status = 'completed') AS "p95Ms"
    FROM tasks t
    WHERE t.case_type = ${REPAIR_CASE_TYPE}
      AND t.sla_name IN ('firstResponse', 'repair')
      AND t.created_at >= (${from.toISOString()}::timestamptz AT TIME ZONE 'UTC')
      AND t.created_at < (${to.toISOString()}::timestamptz AT TIME ZONE 'UTC')
    GROUP BY t.sla_name`;
  const empty = { count: 0, met: 0, breached: 0, medianMs: null, p95Ms: null };
  const bySla = new Map(rows.map(({ sla, ...r }) => [sla, { ...r, medianMs: r.medianMs === null ? null : Number(r.medianMs), p95Ms: r.p95Ms === null ? null : Number(r.p95Ms) }]));
  return { firstResponse: bySla.get('firstResponse') ?? empty, repair: bySla.get('repair') ?? empty };
}

export function repairsRouter(deps: ApiDeps): Router {
  const r = Router();

  mount(r, repairRoutes.open, async (req, res) => {
    const key = requireIdempotencyKey(req);
    const parsed = openRepairSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The repair request is not valid', zodIssues(parsed.error));
    const body = parsed.data;
    await openCaseIdempotently(deps, req, res, {
      caseType: REPAIR_CASE_TYPE,
      idPrefix: 'REP',
      key,
      body,
      start: startWorkflow,
      present,
      prepare: (caseId) => {
        // 7.1: warranty per the manufacturer's terms; the same pure rule the workflow applies.
        const policy = deps.currentPolicy();
        const requestedAt = new Date();
        const deliveredAt = new Date(body.order.deliveredAt);
        const warranty = checkWarranty({ deliveredAt, warrantyMonths: body.warrantyMonths, requestedAt });
        if (!warranty.ok) throw policyRefused(warranty.reason, warranty.message);
        const input: RepairCaseInput = {
          caseId,
          policy,
          openedBy: req.principal!.id,
          order: {
            orderId: body.order.orderId,
            lineItemId: body.order.lineItemId,
            productRef: body.order.productRef,
            customerId: body.order.customerId,
            merchantId: body.order.merchantId,
            deliveredAt: deliveredAt.toISOString(),
          },
          warrantyMonths: body.warrantyMonths,
          problemCategory: body.problemCategory,
          requestedAt: requestedAt.toISOString(),
        };
        return {
          input,
          row: {
            customerId: body.order.customerId,
            merchantId: body.order.merchantId,
            policyVersion: policy.version,
            summary: {
              orderId: input.order.orderId,
              problemCategory: input.problemCategory,
              inWarranty: warranty.inWarranty,
              warrantyEndsAt: warranty.warrantyEndsAt.toISOString(),
              requestedAt: input.requestedAt,
            },
          },
          contact: body.customerContact && { customerId: body.order.customerId, ...body.customerContact },
          // The description stays here, in PostgreSQL; the workflow never sees it.
          writes: async (tx) => {
            await tx.repairRequest.create({
              data: {
                caseId,
                orderId: input.order.orderId,
                lineItemId: input.order.lineItemId,
                productRef: input.order.productRef,
                problemCategory: input.problemCategory,
                description: body.description,
                warrantyMonths: input.warrantyMonths,
                deliveredAt,
                requestedAt,
                warrantyEndsAt: warranty.warrantyEndsAt,
                inWarranty: warranty.inWarranty,
              },
            });
          },
        };
      },
    });
  });

  async function present(caseId: string) {
    const repair = await deps.db.repairRequest.findUnique({ where: { caseId } });
    return { ...(await presentCase(deps, caseId)), repair: repair ? presentRepair(repair) : null };
  }

  async function startWorkflow(input: RepairCaseInput) {
    await startCaseWorkflow(deps, warrantyRepair, input, { caseType: REPAIR_CASE_TYPE, merchantId: input.order.merchantId, summary: `Warranty repair ${input.caseId}` });
  }

  // The customer's steps: the body is validated first (400), then the case must be a repair (404), then the
  // workflow's validator decides whether the case is at that step (409) and the payload is acceptable (400).
  const actor = (req: Request): Actor => ({ id: req.principal!.id, role: req.principal!.role });
  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const p = schema.safeParse(value ?? {});
    if (!p.success) throw badRequest('VALIDATION_FAILED', `The ${what} is not valid`, zodIssues(p.error));
    return p.data;
  }
  async function repairCase(req: Request) {
    const c = await loadCase(deps, req.params.caseId as string);
    if (c.type !== REPAIR_CASE_TYPE) throw notFound('Repair case', c.id);
    if (c.status === 'closed') throw conflict('CASE_NOT_RUNNING', 'The case is closed');
    return c;
  }
  async function update(req: Request, run: (h: WorkflowHandle) => Promise<unknown>) {
    const c = await repairCase(req);
    try {
      await run(deps.temporal.clients.forIdentity(req.principal!.id).workflow.getHandle(c.workflowId));
    } catch (err) {
      throw fromUpdateFailure(err) ?? err;
    }
    return present(c.id);
  }

  mount(r, repairRoutes.quoteDecision, async (req, res) => {
    const { decision } = parse(decisionBody, req.body, 'quote decision');
    res.json(await update(req, (h) => h.executeUpdate(decideQuoteUpdate, { args: [{ actor: actor(req), decision }] })));
  });
  mount(r, repairRoutes.handOver, async (req, res) => {
    const handOver = parse(handOverSchema, req.body, 'hand-over');
    res.json(await update(req, (h) => h.executeUpdate(handOverItemUpdate, { args: [{ actor: actor(req), handOver }] })));
  });
  mount(r, repairRoutes.remedyDecision, async (req, res) => {
    const { decision } = parse(decisionBody, req.body, 'remedy decision');
    res.json(await update(req, (h) => h.executeUpdate(decideRemedyUpdate, { args: [{ actor: actor(req), decision }] })));
  });
  mount(r, repairRoutes.rating, async (req, res) => {
    const { rating } = parse(ratingBody, req.body, 'rating');
    res.json(await update(req, (h) => h.executeUpdate(submitRatingUpdate, { args: [{ actor: actor(req), rating }] })));
  });

  mount(r, repairRoutes.slaReport, async (req, res) => {
    const q = parse(repairSlaReportQuery, req.query, 'query');
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
    if (from.getTime() >= to.getTime()) throw badRequest('VALIDATION_FAILED', '`from` must be before `to`', [{ path: 'from', message: 'must be before to', code: 'custom' }]);
    res.json({ from: from.toISOString(), to: to.toISOString(), unit: 'ms', ...(await repairSlaReport(deps, from, to)) });
  });

  return r;
}
