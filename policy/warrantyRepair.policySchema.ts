// The zod schema of the warranty repair's policy section (policy 7.1, 7.2, 7.3; three-guarantee rules): server code
// only (the policy document is validated where it enters, processes/policyDocument.ts). Kept apart from the payload schemas,
// which a workflow builds when a case validates an update.
import { z } from 'zod';
import { repairRemedies } from './warrantyRepair';
import { currencySchema, durationSchema, slaSchema } from './schemas';

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
  /**
   * Art. 11: repaired this many times in warranty and failing again: replacement or return (the law: 2). From patch
   * repair-count-any-fault every repair counts, whatever the fault and whoever repaired it (countItemRepairs).
   */
  repairsBeforeReplacement: z.number().int().min(1).max(2).default(2),
  /** What a customer's silence chooses when offered a remedy: the replacement or the refund, never "declined". */
  silenceRemedy: z.enum(['replacement', 'refund']).default('replacement'),
  /**
   * 暂行办法 art. 17: when the original payment cannot take a refund (cash on delivery, a closed route), the refund
   * waits this long after the question (at opening) for the customer's choice of route; then the platform balance.
   */
  refundRouteChoice: durationSchema.default({ amount: 3, unit: 'days' }),
  /** Art. 12: a repair longer than 30 days (from the arrival) gives a replacement; the deadline after a 7.1 breach. */
  repairLongStop: slaSchema.default({ within: { amount: 30, unit: 'days' }, remindAt: 0.8, onBreach: 'reassign-to-supervisor' }),
  /** How often the carrier is asked whether the item arrived at the repair centre, and for how long. */
  arrivalCheckEvery: durationSchema.default({ amount: 2, unit: 'hours' }),
  arrivalWait: durationSchema.default({ amount: 14, unit: 'days' }),
  /**
   * Policy 7.1 (the 5 working days run from the item's arrival): the carrier's delivery event (webhook) is the arrival.
   * Once this long after the hand-over has passed with no event, the carrier is asked, at most three times over the
   * rest of `arrivalWait` (patch carrier-delivery-events; cases opened before ask every `arrivalCheckEvery`).
   */
  carrierExpectedDelivery: durationSchema.default({ amount: 3, unit: 'days' }),
  /**
   * The cap of the customer's shipping to the repair centre for cases opened before patch repair-shipping-uncapped.
   * 消法 art. 24 puts all the necessary transport costs of a repair in warranty on the seller: later cases have no cap.
   */
  shippingCapMinor: z.number().int().min(0).default(3000),
  /**
   * 消法 art. 24: what the customer paid the carrier is reimbursed when at most this many percent above the carrier's
   * quote; above it, an agent approves the amount (task repair.shipping_review).
   */
  shippingMarginPercent: z.number().int().min(0).max(100).default(20),
  shippingCurrency: currencySchema.default('CNY'),
  /** Art. 8: the warranty does not count the time the item spent in repair. */
  extendWarrantyByRepairTime: z.boolean().default(true),
  /** The platform review of a disputed user-damage finding (supervisor). */
  damageReview: slaSchema.default({ within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' }),
  /**
   * Art. 11: an agent confirms another repairer's record the customer attached (repair.external_record_review) before
   * it counts. A lapse with `default-decision` counts the record: the customer's evidence is not refused unheard.
   */
  externalRecordReview: slaSchema.default({ within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' }),
});
