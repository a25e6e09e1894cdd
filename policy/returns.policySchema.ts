// The zod schema of the return's policy section (policy 7.1, 7.3, 8.2; 消法 arts. 24, 25; 暂行办法 art. 7): server code
// only (the policy document is validated where it enters, processes/policyDocument.ts). Kept apart from the payload schemas,
// which a workflow builds when a case validates an update.
import { z } from 'zod';
import { DEFAULT_CATEGORY_KINDS, DEFAULT_QUALITY_OBJECTION_MONTHS, DEFAULT_QUALITY_SHIPPING_MARGIN_PERCENT, DEFAULT_THREE_GUARANTEE_CATEGORIES, DEFAULT_QUALITY_REMEDIES, DEFAULT_RETURN_SHIPPING_CAP_MINOR, DEFAULT_RETURN_SHIPPING_CURRENCY, STATUTORY_EXCLUDED_CATEGORIES, UNSEALABLE_DIGITAL_CATEGORY, returnCategoryKinds } from './returns';
import { currencySchema, durationSchema, slaSchema } from './schemas';

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
  /**
   * The storefront's category codes onto the statutory kinds of 消法 art. 25 and the by-nature kind of 暂行办法 art. 7
   * (or `ordinary`). The whole table: a document that gives one replaces the default table (DEFAULT_CATEGORY_KINDS).
   * Each case carries it from its opening. A statutory code (`perishable`, …) is its own kind and cannot be mapped.
   */
  categoryKinds: z
    .record(z.string().regex(/^[a-z0-9-]{1,40}$/), z.enum(returnCategoryKinds))
    .refine((t) => Object.keys(t).every((c) => !(STATUTORY_EXCLUDED_CATEGORIES as readonly string[]).includes(c) && c !== UNSEALABLE_DIGITAL_CATEGORY), {
      message: `the statutory codes (${[...STATUTORY_EXCLUDED_CATEGORIES, UNSEALABLE_DIGITAL_CATEGORY].join(', ')}) are their own kinds (消法 art. 25) and cannot be mapped`,
    })
    .default({ ...DEFAULT_CATEGORY_KINDS }),
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
  /**
   * 消法 art. 24: a quality claim's return shipping is not capped. What the customer paid is reimbursed when it is at
   * most this many percent above the carrier's quote; above it, an agent approves the amount (task return.shipping_review).
   */
  qualityShippingMarginPercent: z.number().int().min(0).max(100).default(DEFAULT_QUALITY_SHIPPING_MARGIN_PERCENT),
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
  /** How often the carrier is asked whether the return parcel was delivered (cases opened before patch carrier-delivery-events). */
  carrierPollEvery: durationSchema.default({ amount: 6, unit: 'hours' }),
  /**
   * Policy 7.2 (the after-sales team acts once the goods reach it): the carrier's delivery event (webhook) ends the wait
   * for the returned goods. Once this long after the shipment has passed with no event, the carrier is asked, at most
   * three times over the rest of the wait (patch carrier-delivery-events).
   */
  carrierExpectedDelivery: durationSchema.default({ amount: 3, unit: 'days' }),
  /** 消法 art. 25: the refund is paid within 7 days of receiving the goods, holidays included. */
  refundWithinDaysOfReceipt: z.number().int().positive().default(7),
  /**
   * 暂行办法 art. 17: when the original payment cannot take the refund (cash on delivery, a closed route) the customer
   * chooses the way (action refund-route). A refund with no statutory due instant (a refund without return) waits this
   * long after the question for the choice; a return's refund waits until an hour before it falls due (消法 art. 25).
   */
  refundRouteChoice: durationSchema.default({ amount: 3, unit: 'days' }),
  /** The inspection ends this long before the refund is due, so that the refund is paid in time. */
  inspectionEndsBeforeRefundDue: durationSchema.default({ amount: 2, unit: 'hours' }),
  /** The merchant inspects the returned goods (bounded by the refund deadline); silence finds them complete. */
  merchantInspection: slaSchema,
  /** An incomplete return: the customer chooses; silence goes to platform review. */
  incompleteChoice: slaSchema.default({ within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' }),
  /** The merchant sends incomplete goods back to the customer. */
  sendBack: slaSchema.default({ within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' }),
  /** A customer-damage finding on a quality return: the customer may dispute it within this time; silence lets it stand. */
  damageDispute: slaSchema.default({ within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' }),
  /** A supervisor reviews a disputed finding; an unanswered dispute does not stand against the customer (overturned). */
  damageReview: slaSchema.default({ within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'default-decision' }),
  /** Exchange: the merchant ships the replacement. */
  exchangeShipment: slaSchema,
  /**
   * 民法典 arts. 620, 621: the period for objecting to the quality of the goods, in months from delivery (an item's longer
   * warranty lengthens it). Past it a quality claim is refused (QUALITY_OBJECTION_PERIOD_EXPIRED). At least 24: the law
   * gives the buyer up to two years from receipt, and a platform term may lengthen that, not shorten it (消法 art. 26).
   */
  qualityObjectionMonths: z
    .number()
    .int()
    .min(24, 'at least 24 months: 民法典 art. 621 gives the buyer up to two years from receipt to object to quality; a platform term may lengthen it, not shorten it')
    .max(240)
    .default(DEFAULT_QUALITY_OBJECTION_MONTHS),
  /**
   * The three-guarantee catalogue (《部分商品修理更换退货责任规定》 and its annex) as storefront category codes: only these
   * goods have the 15-day exchange limit (art. 10). The whole list: a document that gives one replaces the default.
   */
  threeGuaranteeCategories: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/)).max(500).default([...DEFAULT_THREE_GUARANTEE_CATEGORIES]),
  /** 消法 art. 24 / 民法典 art. 563: an agent decides whether a late quality return may be terminated (task return.termination_review). */
  terminationReview: slaSchema
    .refine((sla) => sla.onBreach !== 'default-decision', { message: 'a person decides whether the termination conditions hold: reassign-to-supervisor or notify on a lapse, never a default decision' })
    .default({ within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' }),
  /** After a refused termination the customer chooses exchange, repair or withdrawal; silence closes the case with the repair's instructions. */
  qualityRemedyChoice: slaSchema.default({ within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' }),
});
