// The zod schemas of the personal-data request's task payloads and action bodies. Workflows reach them only through
// the lazy getters of policy/personalDataRequest.ts.
import { z } from 'zod';
import { correctableFields, refusalReasons } from './personalDataRequest';

const reasons = z.array(z.enum(refusalReasons)).min(1).max(refusalReasons.length);

/** pdr.handling: carried out, refused with reasons, or partly (a correction's refused fields; reasons). */
export const handlingDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('fulfil') }).strict(),
  z.object({ decision: z.literal('refuse'), reasons }).strict(),
  z.object({ decision: z.literal('partial'), reasons, refusedFields: z.array(z.enum(correctableFields)).min(1).max(correctableFields.length).optional() }).strict(),
]);
/** pdr.appeal_review. */
export const appealDecisionSchema = z.object({ decision: z.enum(['uphold', 'overturn']) }).strict();
/** verify-identity: the code's HMAC bound to its challenge (lib/verificationCodes.ts hashMobileCode), never the code. */
export const verifyIdentitySchema = z.object({ codeMac: z.string().regex(/^[0-9a-f]{64}$/, 'the HMAC of the code (64 hex digits)') }).strict();
/** appeal-refusal. */
export const appealSchema = z.object({}).strict();
