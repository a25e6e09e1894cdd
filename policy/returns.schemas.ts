// The zod schemas of the return (policy 7.1, 7.3, 8.2): its policy section, its task payloads and its action
// bodies. Server code imports them; workflows reach them only through the lazy getters of policy/returns.ts.
import { z } from 'zod';
import {
  DEFAULT_QUALITY_REMEDIES,
  DEFAULT_RETURN_SHIPPING_CAP_MINOR,
  DEFAULT_RETURN_SHIPPING_CURRENCY,
  incompletenessReasons,
  merchantRejectionReasons,
  STATUTORY_EXCLUDED_CATEGORIES,
} from './returns';
import { carrierSchema, currencySchema, durationSchema, shipmentSchema, slaSchema } from './schemas';

export const returnPolicySchema = z.object({
  /** 7.1: no-reason return or exchange within 7 days of delivery. */
  windowDays: z.number().int().positive(),
  /**
   * Civil Code art. 203: when the window's last day is a public holiday or a weekend day (not a
   * make-up workday) of the calendar, the window runs to 24:00 of the next working day. Absent in
   * policy documents written before this switch existed; they get the default, true.
   */
  extendWindowOverHolidays: z.boolean().default(true),
  /**
   * 消法 art. 25: the categories the law excludes from no-reason returns. They are fixed in code; the list may name
   * them, but never add to them (a by-nature category belongs in byNatureCategories).
   */
  excludedCategories: z.array(
    z.string().refine((c) => (STATUTORY_EXCLUDED_CATEGORIES as readonly string[]).includes(c), {
      message: `only the statutory exclusions of 消法 art. 25 (${STATUTORY_EXCLUDED_CATEGORIES.join(', ')}) may be listed; list a category unsuitable by its nature under byNatureCategories (暂行办法 art. 7)`,
    }),
  ),
  /** 暂行办法 art. 7: categories unsuitable for no-reason returns by their nature, refused only when the consumer confirmed at purchase. */
  byNatureCategories: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/)).default(['intimate-apparel']),
  /** 消法 art. 24 with the three-guarantee periods: quality return, exchange (days from delivery) and the default warranty. */
  qualityRemedies: z
    .object({ returnDays: z.number().int().positive(), exchangeDays: z.number().int().positive(), warrantyMonths: z.number().int().positive() })
    .strict()
    .default({ ...DEFAULT_QUALITY_REMEDIES }),
  /** 7.3: the platform bears the return shipping. */
  returnShippingPaidBy: z.enum(['platform', 'merchant']),
  /**
   * 7.3: the most reimbursed for one return parcel, in minor units of returnShippingCurrency. Absent in policy
   * documents written before the reimbursement existed; they get the default.
   */
  returnShippingCapMinor: z.number().int().nonnegative().default(DEFAULT_RETURN_SHIPPING_CAP_MINOR),
  /** The currency of the cap and of every reimbursement (ISO 4217). */
  returnShippingCurrency: currencySchema.default(DEFAULT_RETURN_SHIPPING_CURRENCY),
  /** 8.2: the merchant answers within the set time; silence approves the request. */
  merchantReview: slaSchema,
  /** After a merchant rejection, how long the customer may ask for platform review. */
  platformReviewRequestWindow: durationSchema,
  /** 7.1: after-sales response within 2 working hours. */
  platformReview: slaSchema,
  /** The customer ships the item back; silence abandons the request. */
  customerShipment: slaSchema,
  /** How long the case waits for the returned goods to arrive (carrier event or merchant confirmation) before platform review. */
  returnReceipt: durationSchema.default({ amount: 15, unit: 'days' }),
  /** How often the carrier is asked whether the return parcel was delivered. */
  carrierPollEvery: durationSchema.default({ amount: 6, unit: 'hours' }),
  /** 消法 art. 25: the refund is paid within 7 days of receiving the goods, holidays included. */
  refundWithinDaysOfReceipt: z.number().int().positive().default(7),
  /** The inspection ends this long before the refund is due, so that the refund is paid in time. */
  inspectionEndsBeforeRefundDue: durationSchema.default({ amount: 2, unit: 'hours' }),
  /** The merchant inspects the returned goods (bounded by the refund deadline); silence finds them complete. */
  merchantInspection: slaSchema,
  /** An incomplete return: the customer chooses; silence goes to platform review. */
  incompleteChoice: slaSchema.default({ within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' }),
  /** The merchant sends incomplete goods back to the customer. */
  sendBack: slaSchema.default({ within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' }),
  /** Exchange: the merchant ships the replacement. */
  exchangeShipment: slaSchema,
});

/** The merchant's or the platform's review decision (tasks return.merchant_review, return.platform_review). */
export const reviewDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve') }).strict(),
  z.object({ decision: z.literal('reject'), reasonCode: z.enum(merchantRejectionReasons) }).strict(),
]);

/** Evidence of an inspection: references to stored photos or documents (ids only, never free text in the history). */
export const evidenceIdsSchema = z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'evidence reference: 1-64 letters, digits, _ . : or -')).max(20);

/** A decimal amount such as "12.00" (the same form as the order amount). */
export const decimalAmountSchema = z.string().regex(/^\d{1,8}(\.\d{1,2})?$/, 'decimal amount such as "12.00"');

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
