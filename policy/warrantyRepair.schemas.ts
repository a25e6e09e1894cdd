// The zod schemas of the warranty repair (policy 7.1, 7.2, 7.3): its policy section, its task payloads and its
// action bodies. Server code imports them; workflows reach them only through the lazy getters of
// policy/warrantyRepair.ts.
import { z } from 'zod';
import { damageDisputeReasons, faultCodes, notRepairableReasons, remedyChoices, repairRemedies } from './warrantyRepair';
import { carrierSchema, currencySchema, durationSchema, slaSchema, trackingNumberSchema } from './schemas';

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
  // ---- the three-guarantee rules (部分商品修理更换退货责任规定) and 消法 art. 24; absent in older documents: the defaults
  // (the same values as defaultWarrantyRepairPolicy; test/unit/warrantyRepair.test.ts checks it) ----
  /** Art. 9/10: a performance fault within 7 days of delivery: return, exchange or repair; within 15 days: exchange or repair. */
  earlyFault: z
    .object({ returnDays: z.number().int().min(7), exchangeDays: z.number().int().min(15), extendOverHolidays: z.boolean() })
    .strict()
    .default({ returnDays: 7, exchangeDays: 15, extendOverHolidays: true }),
  /** Art. 11: repaired this many times for the same fault and failing again: replacement or return (the law: 2). */
  repairsBeforeReplacement: z.number().int().min(1).max(2).default(2),
  /** What a customer's silence chooses when offered a remedy: the replacement or the refund, never "declined". */
  silenceRemedy: z.enum(['replacement', 'refund']).default('replacement'),
  /** Art. 12: a repair longer than 30 days (from the arrival) gives a replacement; the deadline after a 7.1 breach. */
  repairLongStop: slaSchema.default({ within: { amount: 30, unit: 'days' }, remindAt: 0.8, onBreach: 'reassign-to-supervisor' }),
  /** How often the carrier is asked whether the item arrived at the repair centre, and for how long. */
  arrivalCheckEvery: durationSchema.default({ amount: 2, unit: 'hours' }),
  arrivalWait: durationSchema.default({ amount: 14, unit: 'days' }),
  /** 消法 art. 24: the customer's shipping to the repair centre, reimbursed in warranty up to this cap. */
  shippingCapMinor: z.number().int().min(0).default(3000),
  shippingCurrency: currencySchema.default('CNY'),
  /** Art. 8: the warranty does not count the time the item spent in repair. */
  extendWarrantyByRepairTime: z.boolean().default(true),
  /** The platform review of a disputed user-damage finding (supervisor). */
  damageReview: slaSchema.default({ within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' }),
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
const partCode = z.string().regex(/^[A-Za-z0-9_.-]{2,40}$/, 'part code: 2-40 letters, digits, _ . or -');
const evidenceRef = z.string().regex(/^[A-Za-z0-9_.:/-]{4,120}$/, 'evidence reference: 4-120 letters, digits, _ . : / or -');
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
      evidenceRefs: z.array(evidenceRef).min(1).max(20),
      quoteAmountMinor: z.number().int().positive().max(100_000_000),
      currency: currencySchema,
    })
    .strict(),
]);
/** The platform's review of a disputed user-damage finding (repair.damage_review). */
export const damageReviewSchema = z.object({ decision: z.enum(['upheld', 'overturned']) }).strict();
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
