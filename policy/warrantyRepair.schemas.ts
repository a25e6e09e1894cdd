// The zod schemas of the warranty repair (policy 7.1, 7.2, 7.3): its policy section, its task payloads and its
// action bodies. Server code imports them; workflows reach them only through the lazy getters of
// policy/warrantyRepair.ts.
import { z } from 'zod';
import { notRepairableReasons, repairRemedies } from './warrantyRepair';
import { carrierSchema, currencySchema, slaSchema, trackingNumberSchema } from './schemas';

export const warrantyRepairPolicySchema = z.object({
  /** 7.1: an agent acknowledges and proposes a solution within 2 working hours; a lapse goes to a supervisor. */
  firstResponse: slaSchema,
  /** Out of warranty: the customer accepts or declines the quote; silence closes the case (quote_lapsed). */
  quoteDecision: slaSchema,
  /** The customer hands the item over (courier or drop-off); silence closes the case (abandoned). */
  handOver: slaSchema,
  /** The service team confirms receipt of the item; the repair clock starts then. */
  receipt: slaSchema,
  /** 7.1: repair within 5 working days of receipt; a breach escalates and offers the remedy below. */
  repair: slaSchema,
  /** What the customer is offered when the repair SLA is breached or the item cannot be repaired. */
  breachRemedy: z.enum(repairRemedies),
  voucherAmountMinor: z.number().int().positive(),
  voucherCurrency: currencySchema,
  /** The customer accepts or declines the remedy; silence declines it. */
  remedyDecision: slaSchema,
  /** The item (repaired, replaced or unrepaired) goes back to the customer with tracking. */
  returnShipment: slaSchema,
  /** 7.1 satisfaction feedback: the window for a 1-5 rating; silence is recorded as no_rating. */
  feedback: slaSchema,
});

export const customerDecisionSchema = z.enum(['accept', 'decline']);

/** How the customer hands the item over: a courier shipment, or a drop-off at a service point with its receipt reference. */
export const handOverSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('courier'), carrier: carrierSchema, trackingNumber: trackingNumberSchema }).strict(),
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
/** The item goes back to the customer: carrier and tracking number (repair.return_shipment). */
export const repairReturnShipmentSchema = z.object({ carrier: carrierSchema, trackingNumber: trackingNumberSchema }).strict();

// ---- action bodies ----

/** quote-decision: accept or decline the quote. */
export const quoteDecisionBodySchema = z.object({ decision: customerDecisionSchema }).strict();
/** remedy-decision: accept or decline the remedy. */
export const remedyDecisionBodySchema = z.object({ decision: customerDecisionSchema }).strict();
/** rating: 1-5. */
export const ratingBodySchema = z.object({ rating: ratingSchema }).strict();
