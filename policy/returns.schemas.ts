// The zod schemas of the return's task payloads and action bodies (policy 7.1, 7.3, 8.2). Server code imports them;
// workflows reach them only through the lazy getters of policy/returns.ts, and build them when a case first
// validates an update. The policy section's schema is in returns.policySchema.ts, which workflows never load.
import { z } from 'zod';
import { customerDamageReasons, incompletenessReasons, merchantRejectionReasons, qualityRemedyChoices, returnDamageDisputeReasons, terminationFailsGrounds, terminationHoldsGrounds } from './returns';
import { carrierSchema, refundRouteChoiceSchema, currencySchema, decimalAmountSchema, evidenceIdsSchema, shipmentSchema } from './schemas';

/** The merchant's or the platform's review decision (tasks return.merchant_review, return.platform_review). */
export const reviewDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve') }).strict(),
  z.object({ decision: z.literal('reject'), reasonCode: z.enum(merchantRejectionReasons) }).strict(),
]);

/** Evidence of an inspection (references only) and decimal amounts: the shared forms (policy/schemas.ts). */
export { decimalAmountSchema, evidenceIdsSchema };

/**
 * 7.2 / 暂行办法 art. 8: the merchant inspects the returned goods (task return.merchant_inspection) and decides
 * complete or incomplete. Incomplete needs a reason and evidence; opened or missing packaging alone is no reason.
 * `confirmed` is the former answer and means complete.
 */
export const merchantInspectionSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('confirmed'), condition: z.enum(['as_expected', 'minor_wear']).optional() }).strict(),
  z
    .object({
      outcome: z.literal('complete'),
      packagingMissing: z.boolean().optional(),
      giftNotReturned: z.boolean().optional(),
      evidenceIds: evidenceIdsSchema.optional(),
    })
    .strict(),
  z
    .object({
      outcome: z.literal('incomplete'),
      reasons: z.array(z.enum(incompletenessReasons)).min(1),
      evidenceIds: evidenceIdsSchema.min(1, 'evidence is required for an incomplete return'),
      /** The partial refund the merchant offers (the customer may accept it). */
      offeredRefund: decimalAmountSchema,
    })
    .strict(),
]);

/** The platform's decision on an incomplete return (task return.completeness_review). */
export const completenessDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('full_refund') }).strict(),
  z.object({ decision: z.literal('partial_refund'), amount: decimalAmountSchema }).strict(),
  z.object({ decision: z.literal('send_back') }).strict(),
]);

/**
 * 消法 art. 24: the merchant's inspection of a quality return (task return.quality_inspection). The goods are received;
 * only damage the customer caused beyond the defect may be deducted, with reasons, evidence and the amount.
 */
export const qualityInspectionSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('received'), evidenceIds: evidenceIdsSchema.optional() }).strict(),
  z
    .object({
      outcome: z.literal('customer_damage'),
      reasons: z.array(z.enum(customerDamageReasons)).min(1),
      evidenceIds: evidenceIdsSchema.min(1, 'evidence is required for a customer-damage finding'),
      /** The deduction for that damage (never more than the refund). */
      deduction: decimalAmountSchema,
    })
    .strict(),
]);

/** A supervisor's review of a disputed customer-damage finding (task return.damage_review). */
export const returnDamageReviewSchema = z.object({ decision: z.enum(['upheld', 'overturned']) }).strict();

/** damage-dispute: why the customer disputes the finding, with their own evidence if any. */
export const returnDamageDisputeSchema = z.object({ reasonCode: z.enum(returnDamageDisputeReasons), evidenceIds: evidenceIdsSchema.optional() }).strict();

/** 上门取件: the day and time slot (local time of the calendar) the carrier collects the parcel at the customer's address on file. */
export const pickupRequestSchema = z
  .object({
    carrier: carrierSchema,
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date such as 2026-12-01'),
    slot: z.enum(['09-12', '12-15', '15-18', '18-21']),
  })
  .strict();

/** The merchant or an agent confirms that the returned goods arrived. */
export const receiptConfirmationSchema = z.object({}).strict();

/** The customer's choice on an incomplete return. */
export const incompleteChoiceSchema = z.object({ choice: z.enum(['accept_partial_refund', 'send_back', 'platform_review']) }).strict();

/**
 * The customer's return shipment: carrier and tracking number, and optionally what the customer paid the
 * carrier (7.3: a no-reason return is reimbursed up to the policy's cap; a quality claim in full, 消法 art. 24) and the
 * carrier's receipt. Without `paid`, the carrier's quote is reimbursed.
 */
export const returnShipmentSchema = shipmentSchema
  .extend({
    paid: z.object({ amount: decimalAmountSchema, currency: currencySchema }).strict().optional(),
    /** References of the carrier's receipt (the evidence of the amount paid; a quality claim's shipping has no cap). */
    receiptIds: evidenceIdsSchema.optional(),
  })
  .strict();

/** 消法 art. 24: the amount an agent approves for a quality claim's return shipping (task return.shipping_review). */
export const returnShippingReviewSchema = z.object({ approvedAmount: decimalAmountSchema, evidenceIds: evidenceIdsSchema.optional() }).strict();

/** Task notes named by id (POST /v1/tasks/{taskId}/notes): the words stay in PostgreSQL, the history keeps the id. */
const noteIdsSchema = z.array(z.string().regex(/^note_[0-9a-f-]{36}$/, 'a task note id (note_…) from POST /v1/tasks/{taskId}/notes')).max(10);

/**
 * 消法 art. 24 / 民法典 art. 563: the agent's answer on a quality return asked after the 7 days (task
 * return.termination_review): whether the conditions for terminating the contract hold, on which grounds (codes), on
 * which evidence (ids, at least one), and optionally the agent's notes on the task by id.
 */
export const terminationReviewSchema = z.discriminatedUnion('holds', [
  z
    .object({
      holds: z.literal(true),
      grounds: z.array(z.enum(terminationHoldsGrounds)).min(1),
      evidenceIds: evidenceIdsSchema.min(1, 'the decision names its evidence'),
      noteIds: noteIdsSchema.optional(),
    })
    .strict(),
  z
    .object({
      holds: z.literal(false),
      grounds: z.array(z.enum(terminationFailsGrounds)).min(1),
      evidenceIds: evidenceIdsSchema.min(1, 'the decision names its evidence'),
      noteIds: noteIdsSchema.optional(),
    })
    .strict(),
]);

/** quality-remedy-choice: after a refused termination, an exchange (when offered), a repair, or withdraw. */
export const qualityRemedyChoiceSchema = z.object({ choice: z.enum(qualityRemedyChoices) }).strict();

/** 暂行办法 art. 17: the customer's choice of refund route (action refund-route), shared with the repair. */
export { refundRouteChoiceSchema };

/** Asking for platform review carries nothing. */
export const platformReviewRequestSchema = z.object({}).strict();

export { shipmentSchema };
