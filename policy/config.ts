// The policy configuration: every SLA and window a case obeys. It is validated, versioned, and
// passed whole into each workflow at start, so a policy change never alters a running case.
import { z } from 'zod';
import { businessCalendarSchema, defaultBusinessCalendar } from './businessCalendar';
import { durationSchema, slaSchema } from './schemas';
import { defaultRegistrationPolicy, registrationPolicySchema } from './registration';
import { defaultWarrantyRepairPolicy, warrantyRepairPolicySchema } from './warrantyRepair';

export { breachActionSchema, durationSchema, slaSchema, type BreachAction, type PolicyDuration, type SlaPolicy } from './schemas';

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
export type ReturnPolicy = z.infer<typeof returnPolicySchema>;

export const policyConfigSchema = z.object({
  version: z.string().min(1),
  calendar: businessCalendarSchema,
  returnWithin7Days: returnPolicySchema,
  registration: registrationPolicySchema,
  warrantyRepair: warrantyRepairPolicySchema,
});
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export const defaultPolicy: PolicyConfig = {
  version: '2026-11-28.1',
  calendar: defaultBusinessCalendar,
  returnWithin7Days: {
    windowDays: 7,
    // On: art. 203 moves a last day that falls on a statutory rest day, which favours the consumer.
    extendWindowOverHolidays: true,
    excludedCategories: ['customized', 'perishable', 'digital-download', 'intimate-apparel'],
    returnShippingPaidBy: 'platform',
    merchantReview: { within: { amount: 48, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' },
    platformReviewRequestWindow: { amount: 7, unit: 'days' },
    platformReview: { within: { amount: 2, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
    customerShipment: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
    merchantInspection: { within: { amount: 3, unit: 'working-days' }, remindAt: 0.5, onBreach: 'default-decision' },
    exchangeShipment: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  },
  registration: defaultRegistrationPolicy,
  warrantyRepair: defaultWarrantyRepairPolicy,
};

/** Validates a policy document; throws with every issue listed. */
export function parsePolicy(input: unknown): PolicyConfig {
  return policyConfigSchema.parse(input);
}
