// POST /v1/returns: the storefront opens a 7-day no-reason return (policy 7.1, 7.3).
import crypto from 'node:crypto';
import { Router } from 'express';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { z } from 'zod';
import { canonicalJson } from '../../activities/audit';
import { isUniqueViolation, type Prisma } from '../../lib/db';
import { checkReturnEligibility, returnReasonCodes, returnRequestTypes } from '../../policy/returns';
import { RETURN_CASE_TYPE, returnWithin7Days, type ReturnCaseInput } from '../../workflows/returnWithin7Days';
import { CaseStatus, CaseType, MerchantId } from '../../workflows/searchAttributes';
import { badRequest, conflict, policyRefused, zodIssues } from '../errors';
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

const idempotencyKeySchema = z.string().regex(/^[\w.:-]{8,128}$/, '8-128 letters, digits, _ . : or -');

export const startReturnRoute = defineRoute({
  id: 'startReturn',
  method: 'post',
  path: '/v1/returns',
  action: 'returns.create',
  summary: 'Open a 7-day no-reason return, exchange or refund (policy 7.1, 7.3)',
  tag: 'returns',
  body: startReturnSchema,
  headers: { 'Idempotency-Key': { required: true, description: 'Retries with the same key and body return the original case (200); another body gives 409' } },
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
    const key = idempotencyKeySchema.safeParse(req.header('idempotency-key'));
    if (!key.success) throw badRequest('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header (8-128 characters)');
    const parsed = startReturnSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The return request is not valid', zodIssues(parsed.error));
    const body = parsed.data;
    const principal = req.principal!;
    const requestHash = crypto.createHash('sha256').update(canonicalJson(body)).digest('hex');

    const replay = await deps.db.idempotencyRecord.findUnique({ where: { principalId_key: { principalId: principal.id, key: key.data } } });
    if (replay) return replayed(replay);

    const policy = deps.currentPolicy();
    const requestedAt = new Date();
    const eligibility = checkReturnEligibility(
      { deliveredAt: new Date(body.order.deliveredAt), requestedAt, category: body.order.category },
      policy.returnWithin7Days,
    );
    if (!eligibility.eligible) {
      throw policyRefused(eligibility.reason, eligibility.message, { windowEndsAt: eligibility.windowEndsAt?.toISOString() });
    }

    const caseId = `RET-${crypto.randomUUID()}`;
    const input: ReturnCaseInput = {
      caseId,
      policy,
      openedBy: principal.id,
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
    try {
      await deps.db.$transaction(async (tx) => {
        await tx.idempotencyRecord.create({ data: { principalId: principal.id, key: key.data, requestHash, caseId } });
        await tx.case.create({
          data: {
            id: caseId,
            type: RETURN_CASE_TYPE,
            status: 'open',
            step: 'opened',
            customerId: body.order.customerId,
            merchantId: body.order.merchantId,
            policyVersion: policy.version,
            workflowId: caseId,
            openedBy: principal.id,
            summary: { ...input.order, requestType: input.requestType, reasonCode: input.reasonCode, requestedAt: input.requestedAt, workflowInput: input } as unknown as Prisma.InputJsonValue,
          },
        });
        const c = body.customerContact;
        if (c) {
          await tx.party.upsert({
            where: { kind_id: { kind: 'customer', id: body.order.customerId } },
            create: { kind: 'customer', id: body.order.customerId, email: c.email, displayName: c.displayName, locale: c.locale ?? 'zh-CN' },
            update: { ...(c.email && { email: c.email }), ...(c.displayName && { displayName: c.displayName }), ...(c.locale && { locale: c.locale }) },
          });
        }
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const winner = await deps.db.idempotencyRecord.findUnique({ where: { principalId_key: { principalId: principal.id, key: key.data } } });
      if (winner) return replayed(winner);
      throw err;
    }
    await startWorkflow(input);
    req.log.info({ caseId, caseType: RETURN_CASE_TYPE, requestType: input.requestType }, 'case opened');
    res.status(201).location(`/v1/cases/${caseId}`).json(await presentCase(deps, caseId));

    async function replayed(rec: { requestHash: string; caseId: string }) {
      if (rec.requestHash !== requestHash) {
        throw conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body', { caseId: rec.caseId });
      }
      const row = await deps.db.case.findUniqueOrThrow({ where: { id: rec.caseId } });
      await startWorkflow((row.summary as any).workflowInput as ReturnCaseInput); // finishes a start that failed earlier
      res.status(200).setHeader('Idempotent-Replayed', 'true');
      res.location(`/v1/cases/${rec.caseId}`).json(await presentCase(deps, rec.caseId));
    }
  });

  async function startWorkflow(input: ReturnCaseInput) {
    const client = deps.temporal.clients.forIdentity(input.openedBy);
    await client.workflow.start(returnWithin7Days, {
      taskQueue: deps.temporal.taskQueue,
      workflowId: input.caseId,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: CaseType, value: RETURN_CASE_TYPE },
        { key: CaseStatus, value: 'opened' },
        { key: MerchantId, value: input.order.merchantId },
      ],
      staticSummary: `7-day return ${input.caseId}`,
    });
  }

  return r;
}
