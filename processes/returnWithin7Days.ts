// The 7-day no-reason return, exchange or refund (policy 7.1, 7.3, 8.2): the storefront opens it, the
// merchant reviews and inspects (tasks), the customer ships and may ask for platform review (party actions).
import { z } from 'zod';
import { createReturnActivities } from '../activities/returns';
import { policyRefused } from '../api/errors';
import {
  checkReturnEligibility,
  defaultReturnPolicy,
  returnActions,
  returnReasonCodes,
  returnRequestTypes,
  returnTasks,
} from '../policy/returns';
import { returnPolicySchema } from '../policy/returns.schemas';
import { RETURN_CASE_TYPE, returnWithin7Days } from '../workflows/returnWithin7Days';
import { amountSchema, contactSchema, refId, toMinor } from './common';
import { returnTemplates } from './returnWithin7Days.templates';
import { defineProcess } from './types';

export const openReturnBody = z
  .object({
    order: z
      .object({
        orderId: refId,
        lineItemId: refId,
        category: z.string().regex(/^[a-z0-9-]{1,40}$/, 'category code: lowercase letters, digits and -'),
        amount: amountSchema,
        currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as CNY'),
        customerId: refId,
        merchantId: refId,
        deliveredAt: z.iso.datetime({ offset: true }),
      })
      .strict(),
    requestType: z.enum(returnRequestTypes),
    reasonCode: z.enum(returnReasonCodes),
    /** Contact data: stored in PostgreSQL only, never in the workflow. */
    customerContact: contactSchema.optional(),
  })
  .strict();

export const returnWithin7DaysProcess = defineProcess({
  caseType: RETURN_CASE_TYPE,
  idPrefix: 'RET',
  title: '7-day no-reason return, exchange or refund',
  policyRefs: '7.1, 7.3, 8.2',
  workflow: returnWithin7Days,
  policy: { key: 'returnWithin7Days', schema: returnPolicySchema, defaults: defaultReturnPolicy, version: '2026-11-29.1' },
  tasks: returnTasks,
  actions: returnActions,
  templates: returnTemplates,
  describe: (caseId) => `7-day return ${caseId}`,

  // The money of the case: the refund and the return shipping reimbursed to the customer (7.3). Amounts, kinds
  // and states only; gateway references and idempotency keys stay inside.
  present: async (deps, c) => {
    const rows = await deps.db.payment.findMany({ where: { caseId: c.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return {
      payments: rows.map((p) => ({
        paymentId: p.id,
        kind: p.kind,
        payer: p.payer,
        amountMinor: p.amountMinor,
        currency: p.currency,
        status: p.status,
        createdAt: p.createdAt.toISOString(),
      })),
    };
  },

  activities: (deps) => ({ ...createReturnActivities(deps) }),

  open: {
    roles: ['storefront'],
    summary: 'Open a 7-day no-reason return, exchange or refund (policy 7.1, 7.3)',
    body: openReturnBody,
    prepare: ({ caseId, principal, policy, section, requestedAt }, body: z.infer<typeof openReturnBody>) => {
      // 7.1: the same pure rule the workflow applies; a refusal writes nothing.
      const eligibility = checkReturnEligibility({ deliveredAt: new Date(body.order.deliveredAt), requestedAt, category: body.order.category }, section, policy.calendar);
      if (!eligibility.eligible) throw policyRefused(eligibility.reason, eligibility.message, { windowEndsAt: eligibility.windowEndsAt?.toISOString() });
      const input = {
        caseId,
        policy: { version: policy.version, calendar: policy.calendar, returnWithin7Days: section },
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
      return {
        input,
        row: {
          customerId: body.order.customerId,
          merchantId: body.order.merchantId,
          summary: { ...input.order, requestType: input.requestType, reasonCode: input.reasonCode, requestedAt: input.requestedAt, windowEndsAt: eligibility.windowEndsAt.toISOString() },
        },
        contact: body.customerContact && { customerId: body.order.customerId, ...body.customerContact },
      };
    },
  },
});
