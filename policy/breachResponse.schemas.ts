// The zod schemas of the breach response's task payloads and action bodies (policy 6.4; PIPL art. 57). Workflows reach
// them only through the lazy getters of policy/breachResponse.ts.
import { z } from 'zod';
import { SYSTEM_CODE, breachDataCategories, breachCauses, breachHarms, breachMeasures, containmentItems, contactPoints, individualActions, noNotificationReasons, remediationMeasures } from './breachResponse';

const codes = <T extends readonly [string, ...string[]]>(values: T) => z.array(z.enum(values)).min(1).max(values.length).refine((a) => new Set(a).size === a.length, 'each code once');
export const systemCodesSchema = z.array(z.string().regex(SYSTEM_CODE, 'a system code: a-z, digits, _')).min(1).max(20);

export const assignLeadSchema = z.object({}).strict();
export const containmentSchema = z.object({ done: codes(containmentItems) }).strict();
export const investigationSchema = z
  .object({
    cause: z.enum(breachCauses),
    categories: codes(breachDataCategories),
    windowFrom: z.iso.datetime({ offset: true }),
    windowTo: z.iso.datetime({ offset: true }),
    systems: systemCodesSchema,
  })
  .strict()
  .refine((v) => Date.parse(v.windowFrom) < Date.parse(v.windowTo), { path: ['windowTo'], message: 'after windowFrom' });
export const notifyDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('notify') }).strict(),
  z.object({ decision: z.literal('not_notify'), reason: z.enum(noNotificationReasons), measures: codes(breachMeasures) }).strict(),
]);
export const approvalSchema = z.object({ approved: z.boolean() }).strict();
export const regulatorReportSchema = z
  .object({ harms: codes(breachHarms), measures: codes(breachMeasures), individualActions: codes(individualActions), contact: z.enum(contactPoints) })
  .strict();
export const remediationSchema = z.object({ measures: codes(remediationMeasures) }).strict();
export const compensationClaimSchema = z.object({ customerId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), merchantId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).optional() }).strict();
