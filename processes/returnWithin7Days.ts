// The 7-day no-reason return, exchange or refund (policy 7.1, 7.3, 8.2): the storefront opens it, the
// merchant reviews and inspects (tasks), the customer ships and may ask for platform review (party actions).
import { z } from 'zod';
import { createReturnActivities } from '../activities/returns';
import { policyRefused } from '../lib/errors';
import {
  categoryKindOf,
  checkClaimEligibility,
  defaultReturnPolicy,
  withLawDefaults,
  paymentMethods,
  refundableMinor,
  type OrderSnapshot,
  returnActions,
  returnReasonCodes,
  returnRequestTypes,
  returnTasks,
} from '../policy/returns';
import { returnPolicySchema } from '../policy/returns.policySchema';
import { auditEventsOfCase, paymentsOfCase } from '../lib/sqlReads';
import { RETURN_CASE_TYPE, returnWithin7Days } from '../workflows/returnWithin7Days';
import { amountSchema, contactSchema, customerRefId, refId, toMinor } from './common';
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
        customerId: customerRefId,
        merchantId: refId,
        /** Absent only for goods not delivered (refund-only, 电子商务法 art. 20). */
        deliveredAt: z.iso.datetime({ offset: true }).optional(),
        /** The order snapshot of the line, as recorded at purchase: amounts, references and enums only. */
        snapshot: z
          .object({
            /** Coupons and 满减 the order allocated to this line. */
            discount: amountSchema.optional(),
            /** Points spent on the line (returned as points) and their value. */
            points: z.object({ count: z.number().int().nonnegative(), value: amountSchema }).strict().optional(),
            /** The marked value of a gift given with the line (charged only if the gift is kept). */
            giftValue: amountSchema.optional(),
            payment: z.object({ ref: refId, method: z.enum(paymentMethods), originalRouteOpen: z.boolean() }).strict().optional(),
            /** 暂行办法 art. 7: the consumer confirmed at purchase that the category is not returnable without reason. */
            exclusionConfirmedAtPurchase: z.boolean().optional(),
            /** 消法 art. 25 (3): a digital carrier unsealed by the consumer. */
            digitalUnsealed: z.boolean().optional(),
            warrantyMonths: z.number().int().positive().max(120).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    requestType: z.enum(returnRequestTypes),
    reasonCode: z.enum(returnReasonCodes),
    /** Refund-only for a minor defect: the partial refund the customer asks (agreed by the merchant, or decided by the platform). */
    partialRefund: z.object({ amount: amountSchema }).strict().optional(),
    /** Contact data: stored in PostgreSQL only, never in the workflow. */
    customerContact: contactSchema.optional(),
  })
  .strict();

export const returnWithin7DaysProcess = defineProcess({
  caseType: RETURN_CASE_TYPE,
  idPrefix: 'RET',
  title: 'Return, exchange or refund: 7-day no-reason returns, quality claims and non-delivery',
  policyRefs: '7.1, 7.3, 8.2; 消法 arts. 24, 25, 39; 电子商务法 art. 20',
  workflow: returnWithin7Days,
  workflowModule: require.resolve('../workflows/returnWithin7Days'),
  policy: { key: 'returnWithin7Days', schema: returnPolicySchema, defaults: defaultReturnPolicy, version: '2026-12-03.1' },
  tasks: returnTasks,
  actions: returnActions,
  templates: returnTemplates,
  describe: (caseId) => `7-day return ${caseId}`,

  // The money of the case: the refund and the return shipping reimbursed to the customer (7.3). Amounts, kinds
  // and states only; gateway references and idempotency keys stay inside.
  presentSchema: z.object({
    payments: z.array(
      z
        .object({
          paymentId: z.string(),
          kind: z.string().describe('refund, return_shipping, ...'),
          payer: z.string(),
          amountMinor: z.number().int(),
          currency: z.string(),
          status: z.string().describe('pending, succeeded, failed, ...'),
          route: z.string().optional(),
          createdAt: z.string().describe('ISO 8601 instant'),
        })
        .strict(),
    ),
    /**
     * 暂行办法 art. 17: present when the original payment could not take the refund and the case asked the customer:
     * `asked` (no choice yet), `chosen` (by the customer, action refund-route) or `defaulted` (no choice when the refund
     * fell due: the platform balance, free to withdraw). The payee reference stays in the audit trail.
     */
    refundRoute: z
      .object({
        status: z.enum(['asked', 'chosen', 'defaulted']),
        reason: z.string().describe('cash_on_delivery or original_route_closed'),
        askedAt: z.string().describe('ISO 8601 instant'),
        route: z.enum(['bank_account', 'platform_balance']).optional(),
        decidedAt: z.string().describe('ISO 8601 instant').optional(),
        decidedBy: z.string().optional(),
      })
      .strict()
      .optional(),
  }),
  present: async (deps, c) => {
    const [rows, routeEvents] = await Promise.all([
      paymentsOfCase(deps.db, c.id),
      auditEventsOfCase(deps.db, c.id, ['return.refund_route_requested', 'return.refund_route_chosen', 'return.refund_route_defaulted']),
    ]);
    const asked = routeEvents.find((e) => e.type === 'return.refund_route_requested');
    const decided = routeEvents.filter((e) => e.type !== 'return.refund_route_requested').at(-1);
    return {
      ...(asked && {
        refundRoute: {
          status: !decided ? ('asked' as const) : decided.type === 'return.refund_route_chosen' ? ('chosen' as const) : ('defaulted' as const),
          reason: String(asked.payload.reason),
          askedAt: asked.at.toISOString(),
          ...(decided && { route: decided.payload.route as 'bank_account' | 'platform_balance', decidedAt: decided.at.toISOString(), decidedBy: decided.actor }),
        },
      }),
      payments: rows.map((p) => ({
        paymentId: p.id,
        kind: p.kind,
        payer: p.payer,
        amountMinor: p.amountMinor,
        currency: p.currency,
        status: p.status,
        ...(p.route && { route: p.route }),
        createdAt: p.createdAt.toISOString(),
      })),
    };
  },

  activities: (deps) => ({ ...createReturnActivities(deps) }),

  open: {
    roles: ['storefront'],
    check: (body: z.infer<typeof openReturnBody>) => {
      const issues: { path: string; message: string }[] = [];
      const snapshot = snapshotOf(body);
      const amountMinor = toMinor(body.order.amount);
      if (snapshot && snapshot.discountMinor + (snapshot.points?.valueMinor ?? 0) > amountMinor) {
        issues.push({ path: 'order.snapshot', message: 'discount and points together exceed the line amount' });
      }
      if (body.partialRefund && body.requestType !== 'refund_only') issues.push({ path: 'partialRefund', message: 'a partial refund is asked with requestType refund_only' });
      if (body.partialRefund && toMinor(body.partialRefund.amount) > refundableMinor(amountMinor, snapshot)) {
        issues.push({ path: 'partialRefund.amount', message: 'more than the amount paid for the line' });
      }
      if (body.partialRefund && toMinor(body.partialRefund.amount) === 0) issues.push({ path: 'partialRefund.amount', message: 'must be more than 0' });
      return issues;
    },
    summary: 'Open a 7-day no-reason return, exchange or refund (policy 7.1, 7.3)',
    body: openReturnBody,
    prepare: ({ deps, caseId, principal, policy, section, requestedAt }, body: z.infer<typeof openReturnBody>) => {
      // 7.1, 消法 arts. 24, 25, 暂行办法 arts. 6, 7, 电子商务法 art. 20: the same pure rule the workflow applies; a refusal writes nothing.
      const snapshot = snapshotOf(body);
      // A category code in no table is returnable as ordinary goods; said in the log, so that a new storefront code
      // gets its row in the policy's `categoryKinds` (消法 art. 25, 暂行办法 art. 7).
      if (!categoryKindOf(body.order.category, withLawDefaults(section)).known) {
        deps.logger.warn({ event: 'return.category_unknown', category: body.order.category, caseId, orderId: body.order.orderId, policyVersion: policy.version }, 'return: unknown category code, treated as ordinary goods (returnable); map it in the policy (returnWithin7Days.categoryKinds)');
      }
      const eligibility = checkClaimEligibility(
        {
          requestType: body.requestType,
          reasonCode: body.reasonCode,
          category: body.order.category,
          ...(body.order.deliveredAt && { deliveredAt: new Date(body.order.deliveredAt) }),
          requestedAt,
          ...(snapshot && { snapshot }),
          partialRefund: body.partialRefund !== undefined,
        },
        section,
        policy.calendar,
      );
      if (!eligibility.eligible) {
        throw policyRefused(eligibility.reason, eligibility.message, { claimKind: eligibility.kind, windowEndsAt: eligibility.windowEndsAt?.toISOString(), remedies: eligibility.remedies });
      }
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
          ...(body.order.deliveredAt && { deliveredAt: new Date(body.order.deliveredAt).toISOString() }),
          ...(snapshot && { snapshot }),
        },
        requestType: body.requestType,
        reasonCode: body.reasonCode,
        requestedAt: requestedAt.toISOString(),
        ...(body.partialRefund && { partialRefundMinor: toMinor(body.partialRefund.amount) }),
      };
      return {
        input,
        row: {
          customerId: body.order.customerId,
          merchantId: body.order.merchantId,
          summary: {
            ...input.order,
            requestType: input.requestType,
            reasonCode: input.reasonCode,
            claimKind: eligibility.kind,
            requestedAt: input.requestedAt,
            ...(eligibility.windowEndsAt && { windowEndsAt: eligibility.windowEndsAt.toISOString() }),
            // 消法 art. 24: a quality return after the 7 days, due if the termination conditions hold (民法典 art. 563).
            ...(eligibility.terminationReview && { terminationReview: true }),
            ...(input.partialRefundMinor !== undefined && { partialRefundMinor: input.partialRefundMinor }),
          },
        },
        contact: body.customerContact && { customerId: body.order.customerId, ...body.customerContact },
        // The order snapshot in PostgreSQL beside the case (the refund's amount and payment reference come from it).
        writes: snapshot
          ? async (tx) => {
              await tx.returnOrderSnapshot.create({
                data: {
                  caseId,
                  orderId: body.order.orderId,
                  lineItemId: body.order.lineItemId,
                  amountMinor: input.order.amountMinor,
                  discountMinor: snapshot.discountMinor,
                  pointsCount: snapshot.points?.count ?? null,
                  pointsValueMinor: snapshot.points?.valueMinor ?? null,
                  giftValueMinor: snapshot.giftValueMinor ?? null,
                  paymentRef: snapshot.payment?.ref ?? null,
                  paymentMethod: snapshot.payment?.method ?? null,
                  originalRouteOpen: snapshot.payment?.originalRouteOpen ?? null,
                  exclusionConfirmedAtPurchase: snapshot.exclusionConfirmedAtPurchase,
                  digitalUnsealed: snapshot.digitalUnsealed ?? false,
                  warrantyMonths: snapshot.warrantyMonths ?? null,
                },
              });
            }
          : undefined,
      };
    },
  },
});

/** The order snapshot of the opening body in minor units, as the workflow carries it. */
function snapshotOf(body: z.infer<typeof openReturnBody>): OrderSnapshot | undefined {
  const s = body.order.snapshot;
  if (!s) return undefined;
  return {
    discountMinor: s.discount ? toMinor(s.discount) : 0,
    ...(s.points && { points: { count: s.points.count, valueMinor: toMinor(s.points.value) } }),
    ...(s.giftValue && { giftValueMinor: toMinor(s.giftValue) }),
    ...(s.payment && { payment: s.payment }),
    exclusionConfirmedAtPurchase: s.exclusionConfirmedAtPurchase ?? false,
    ...(s.digitalUnsealed !== undefined && { digitalUnsealed: s.digitalUnsealed }),
    ...(s.warrantyMonths !== undefined && { warrantyMonths: s.warrantyMonths }),
  };
}
