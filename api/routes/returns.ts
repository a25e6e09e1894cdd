// POST /v1/returns: the storefront opens a 7-day no-reason return (policy 7.1, 7.3).
import { Router } from 'express';
import { z } from 'zod';
import { checkReturnEligibility, returnReasonCodes, returnRequestTypes } from '../../policy/returns';
import { RETURN_CASE_TYPE, returnWithin7Days, type ReturnCaseInput } from '../../workflows/returnWithin7Days';
import { idempotencyKeyHeader, openCaseIdempotently, requireIdempotencyKey, startCaseWorkflow } from '../caseOpening';
import { badRequest, policyRefused, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import type { ApiDeps } from '../deps';
import { presentCase } from './present';

const id = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1-64 letters, digits, _ . : or -');

export const startReturnSchema = z
  .object({
    order: z
      .object({
        orderId: id,
        lineItemId: id,
        category: z.string().regex(/^[a-z0-9-]{1,40}$/, 'category code: lowercase letters, digits and -'),
        amount: z.string().regex(/^\d{1,8}(\.\d{1,2})?$/, 'decimal amount such as "199.00"'),
        currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as CNY'),
        customerId: id,
        merchantId: id,
        deliveredAt: z.iso.datetime({ offset: true }),
      })
      .strict(),
    requestType: z.enum(returnRequestTypes),
    reasonCode: z.enum(returnReasonCodes),
    /** Contact data: stored in PostgreSQL only, never in the workflow. */
    customerContact: z
      .object({ email: z.email().optional(), displayName: z.string().max(100).optional(), locale: z.enum(['zh-CN', 'en']).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type StartReturnRequest = z.infer<typeof startReturnSchema>;

export const startReturnRoute = defineRoute({
  id: 'startReturn',
  method: 'post',
  path: '/v1/returns',
  action: 'returns.create',
  summary: 'Open a 7-day no-reason return, exchange or refund (policy 7.1, 7.3)',
  tag: 'returns',
  body: startReturnSchema,
  headers: idempotencyKeyHeader,
  success: { status: 201, description: 'The case was opened (200 with Idempotent-Replayed: true on a replay)' },
  errors: [400, 409, 422],
});

function toMinor(amount: string): number {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

export function returnsRouter(deps: ApiDeps): Router {
  const r = Router();

  mount(r, startReturnRoute, async (req, res) => {
    const key = requireIdempotencyKey(req);
    const parsed = startReturnSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The return request is not valid', zodIssues(parsed.error));
    const body = parsed.data;
    await openCaseIdempotently(deps, req, res, {
      caseType: RETURN_CASE_TYPE,
      idPrefix: 'RET',
      key,
      body,
      start: startWorkflow,
      present: (caseId) => presentCase(deps, caseId),
      prepare: (caseId) => {
        // 7.1: the same pure rule the workflow applies; a refusal writes nothing.
        const policy = deps.currentPolicy();
        const requestedAt = new Date();
        const eligibility = checkReturnEligibility(
          { deliveredAt: new Date(body.order.deliveredAt), requestedAt, category: body.order.category },
          policy.returnWithin7Days,
          policy.calendar,
        );
        if (!eligibility.eligible) {
          throw policyRefused(eligibility.reason, eligibility.message, { windowEndsAt: eligibility.windowEndsAt?.toISOString() });
        }
        const input: ReturnCaseInput = {
          caseId,
          policy,
          openedBy: req.principal!.id,
          order: {
            orderId: body.order.orderId,
            lineItemId: body.order.lineItemId,
            category: body.order.category,
            amountMinor: toMinor(body.order.amount),
            currency: body.order.currency,
            customerId: body.order.customerId,
            merchantId: body.order.merchantId,
            deliveredAt: new Date(body.order.deliveredAt).toISOString(),
          },
          requestType: body.requestType,
          reasonCode: body.reasonCode,
          requestedAt: requestedAt.toISOString(),
        };
        return {
          input,
          row: {
            customerId: body.order.customerId,
            merchantId: body.order.merchantId,
            policyVersion: policy.version,
            summary: { ...input.order, requestType: input.requestType, reasonCode: input.reasonCode, requestedAt: input.requestedAt },
          },
          contact: body.customerContact && { customerId: body.order.customerId, ...body.customerContact },
        };
      },
    });
  });

  async function startWorkflow(input: ReturnCaseInput) {
    await startCaseWorkflow(deps, returnWithin7Days, input, { caseType: RETURN_CASE_TYPE, merchantId: input.order.merchantId, summary: `7-day return ${input.caseId}` });
  }

  return r;
}
