// The zod schemas of the warranty repair's task payloads and action bodies (policy 7.1, 7.2, 7.3). Server code
// imports them; workflows reach them only through the lazy getters of policy/warrantyRepair.ts. The policy section's
// schema is in warrantyRepair.policySchema.ts, which workflows never load.
import { z } from 'zod';
import { damageDisputeReasons, externalRecordRejectionReasons, faultCodes, notRepairableReasons, remedyChoices } from './warrantyRepair';
import { carrierSchema, currencySchema, refundRouteChoiceSchema, decimalAmountSchema, evidenceIdsSchema, trackingNumberSchema } from './schemas';

export const customerDecisionSchema = z.enum(['accept', 'decline']);

/** How the customer hands the item over: a courier shipment, or a drop-off at a service point with its receipt reference. */
export const handOverSchema = z.discriminatedUnion('method', [
  z
    .object({
      method: z.literal('courier'),
      carrier: carrierSchema,
      trackingNumber: trackingNumberSchema,
      /** What the customer paid the carrier (消法 art. 24: paid back in warranty, no cap), and the receipt's references. */
      paid: z.object({ amount: decimalAmountSchema, currency: currencySchema }).strict().optional(),
      receiptIds: evidenceIdsSchema.optional(),
    })
    .strict(),
  z.object({ method: z.literal('drop_off'), reference: z.string().regex(/^[A-Za-z0-9-]{4,40}$/, 'drop-off reference: 4-40 letters, digits or -') }).strict(),
]);

export const ratingSchema = z.number().int().min(1).max(5);

// ---- task payloads ----

/** 7.1 first response, in warranty: the free repair confirmed (repair.first_response). */
export const freeRepairResponseSchema = z.object({ solution: z.literal('free_repair') }).strict();
/** 7.1 first response, out of warranty: the quote, amount in minor units (repair.first_response_quote). */
export const quoteResponseSchema = z
  .object({ solution: z.literal('paid_repair'), quoteAmountMinor: z.number().int().positive().max(100_000_000), currency: currencySchema })
  .strict();
/** 7.2: the item received (repair.confirm_receipt). */
export const receiptConfirmationSchema = z.object({ outcome: z.literal('received') }).strict();
/** The technician's result (repair.technician_result). */
export const technicianResultSchema = z.discriminatedUnion('result', [
  z.object({ result: z.literal('repaired') }).strict(),
  z.object({ result: z.literal('replaced') }).strict(),
  z.object({ result: z.literal('not_repairable'), reasonCode: z.enum(notRepairableReasons) }).strict(),
]);
const partCode = z.string().regex(/^[A-Za-z0-9_.-]{2,40}$/, 'part code: 2-40 letters, digits, _ . or -');
/** The technician's report (repair.technician_report): the result, the fault found and the parts used, by code. */
export const technicianReportSchema = z.discriminatedUnion('result', [
  z.object({ result: z.literal('repaired'), faultCode: z.enum(faultCodes), partsUsed: z.array(partCode).max(50) }).strict(),
  z.object({ result: z.literal('replaced'), faultCode: z.enum(faultCodes) }).strict(),
  z.object({ result: z.literal('not_repairable'), faultCode: z.enum(faultCodes), reasonCode: z.enum(notRepairableReasons) }).strict(),
  /** Damage the customer caused (the three-guarantee exclusion for improper use): evidence and a quote for a paid repair. */
  z
    .object({
      result: z.literal('user_damage'),
      faultCode: z.enum(faultCodes),
      /** The case's attachments (photos, the technician's report) by id; before patch evidence-attachment-ids, free references named evidenceRefs. */
      evidenceIds: evidenceIdsSchema.min(1, 'evidence is required for a user-damage finding'),
      quoteAmountMinor: z.number().int().positive().max(100_000_000),
      currency: currencySchema,
    })
    .strict(),
]);
/** 消法 art. 24: the amount an agent approves for the customer's shipping to the repair centre (repair.shipping_review). */
export const repairShippingReviewSchema = z.object({ approvedAmount: decimalAmountSchema, evidenceIds: evidenceIdsSchema.optional() }).strict();
/** The platform's review of a disputed user-damage finding (repair.damage_review). */
export const damageReviewSchema = z.object({ decision: z.enum(['upheld', 'overturned']) }).strict();
/** Art. 11: another repairer's record confirmed, or rejected with a reason (repair.external_record_review). */
export const externalRecordReviewSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('confirmed'), evidenceIds: evidenceIdsSchema.optional() }).strict(),
  z.object({ decision: z.literal('rejected'), reasonCode: z.enum(externalRecordRejectionReasons), evidenceIds: evidenceIdsSchema.optional() }).strict(),
]);
/** The item goes back to the customer: carrier and tracking number (repair.return_shipment). */
export const repairReturnShipmentSchema = z.object({ carrier: carrierSchema, trackingNumber: trackingNumberSchema }).strict();

// ---- action bodies ----

/** quote-decision: accept or decline the quote. */
export const quoteDecisionBodySchema = z.object({ decision: customerDecisionSchema }).strict();
/** remedy-decision: accept or decline the remedy. */
export const remedyDecisionBodySchema = z.object({ decision: customerDecisionSchema }).strict();
/** remedy-choice: one of the options the case offers. */
export const remedyChoiceBodySchema = z.object({ choice: z.enum(remedyChoices) }).strict();
/** damage-dispute: why the customer disputes the finding (the complaint's text, if any, is kept outside the workflow). */
export const damageDisputeBodySchema = z.object({ reasonCode: z.enum(damageDisputeReasons) }).strict();
/** rating: 1-5. */
export const ratingBodySchema = z.object({ rating: ratingSchema }).strict();

/** 暂行办法 art. 17 / 消法 art. 24: the customer's choice of refund route when the original payment cannot take a repair's refund. */
export { refundRouteChoiceSchema };
