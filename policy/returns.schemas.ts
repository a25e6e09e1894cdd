// The zod schemas of the return (policy 7.1, 7.3, 8.2): its policy section, its task payloads and its action
// bodies. Server code imports them; workflows reach them only through the lazy getters of policy/returns.ts.
import { z } from 'zod';
import { DEFAULT_RETURN_SHIPPING_CAP_MINOR, DEFAULT_RETURN_SHIPPING_CURRENCY, merchantRejectionReasons } from './returns';
import { currencySchema, durationSchema, shipmentSchema, slaSchema } from './schemas';

export const returnPolicySchema = z.object({
  /** 7.1: no-reason return or exchange within 7 days of delivery. */
  windowDays: z.number().int().positive(),
  /**
   * Civil Code art. 203: when the window's last day is a public holiday or a weekend day (not a
   * make-up workday) of the calendar, the window runs to 24:00 of the next working day. Absent in
   * policy documents written before this switch existed; they get the default, true.
   */
  extendWindowOverHolidays: z.boolean().default(true),
  /** Categories excluded from no-reason returns (e.g. customised goods, perishables). */
  excludedCategories: z.array(z.string()),
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
  /** The merchant confirms receipt and inspection; silence confirms. */
  merchantInspection: slaSchema,
  /** Exchange: the merchant ships the replacement. */
  exchangeShipment: slaSchema,
});

/** The merchant's or the platform's review decision (tasks return.merchant_review, return.platform_review). */
export const reviewDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve') }).strict(),
  z.object({ decision: z.literal('reject'), reasonCode: z.enum(merchantRejectionReasons) }).strict(),
]);

/** 7.2: the merchant confirms receipt and inspection (task return.merchant_inspection). */
export const merchantInspectionSchema = z
  .object({ outcome: z.literal('confirmed'), condition: z.enum(['as_expected', 'minor_wear']).optional() })
  .strict();

/** A decimal amount such as "12.00" (the same form as the order amount). */
export const decimalAmountSchema = z.string().regex(/^\d{1,8}(\.\d{1,2})?$/, 'decimal amount such as "12.00"');

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
