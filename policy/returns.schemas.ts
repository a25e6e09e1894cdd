// The zod schemas of the return's task payloads and action bodies (policy 7.1, 7.3, 8.2). Server code imports them;
// workflows reach them only through the lazy getters of policy/returns.ts, and build them when a case first
// validates an update. The policy section's schema is in returns.policySchema.ts, which workflows never load.
import { z } from 'zod';
import { incompletenessReasons, merchantRejectionReasons } from './returns';
import { carrierSchema, currencySchema, shipmentSchema } from './schemas';

/** The merchant's or the platform's review decision (tasks return.merchant_review, return.platform_review). */
export const reviewDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve') }).strict(),
  z.object({ decision: z.literal('reject'), reasonCode: z.enum(merchantRejectionReasons) }).strict(),
]);

/** Evidence of an inspection: references to stored photos or documents (ids only, never free text in the history). */
export const evidenceIdsSchema = z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'evidence reference: 1-64 letters, digits, _ . : or -')).max(20);

/** A decimal amount such as "12.00" (the same form as the order amount). */
/** At most 9,999,999.99: its minor units fit the 32-bit integer columns of amounts. */
export const decimalAmountSchema = z.string().regex(/^\d{1,7}(\.\d{1,2})?$/, 'decimal amount such as "12.00" (at most 9999999.99)');

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
 * carrier (7.3: reimbursed up to the policy's cap). Without `paid`, the carrier's quote is reimbursed.
 */
export const returnShipmentSchema = shipmentSchema
  .extend({
    paid: z.object({ amount: decimalAmountSchema, currency: currencySchema }).strict().optional(),
  })
  .strict();

/** Asking for platform review carries nothing. */
export const platformReviewRequestSchema = z.object({}).strict();

export { shipmentSchema };
