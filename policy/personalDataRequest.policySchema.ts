// The zod schema of the personal-data request's policy section (policy 2.3-2.4; PIPL art. 50): server code only.
import { z } from 'zod';
import { durationSchema, slaSchema } from './schemas';

export const personalDataRequestPolicySchema = z.object({
  /** PIPL art. 50: the window for the identity check; a lapse closes the request (not_verified). */
  identityVerification: slaSchema,
  /** The code: how long it is valid, how many attempts (then the request closes). */
  code: z.object({ ttl: durationSchema, maxAttempts: z.number().int().min(1).max(10) }),
  smsDailyCapPerMobile: z.number().int().min(1),
  /** PIPL art. 50 (timely): the request carried out or refused within this (working days). */
  handling: slaSchema,
  /** The person's window to appeal a refusal once. */
  appealWindow: slaSchema,
  /** The supervisor's decision on the appeal. */
  appealReview: slaSchema,
  /** Deletion: how long the contact waits for the answer's delivery before it is erased too. */
  answerDeliveryWait: durationSchema,
  /** The export's link validity (days). */
  exportLinkDays: z.number().int().min(1).max(30),
});
