// The zod schemas of the registration review (policy chapter 1): its policy section, its task payload and the
// input rules the API edge applies. Server code imports them; workflows reach them only through the lazy
// getter of policy/registration.ts.
import { z } from 'zod';
import { registrationRejectionReasons } from './registration';

const durationSchema = z.object({
  amount: z.number().positive(),
  unit: z.enum(['minutes', 'hours', 'days', 'working-hours', 'working-days']),
});
const slaSchema = z.object({
  within: durationSchema,
  remindAt: z.number().gt(0).lt(1).optional(),
  onBreach: z.enum(['default-decision', 'reassign-to-supervisor', 'notify']),
});

export const registrationPolicySchema = z.object({
  /** Versions of the service agreement a new registration may accept (1.1: read and agree). */
  acceptedAgreementVersions: z.array(z.string().min(1)).min(1),
  /** Mobile verification (1.2): a one-time 6-digit code by SMS. */
  mobileCode: z.object({
    /** How long a code is valid. */
    ttl: durationSchema,
    /** Wrong entries per code before the step locks. */
    maxAttempts: z.number().int().min(1).max(20),
    /** How long the step stays locked after too many wrong entries; then a new code may be requested. */
    lockout: durationSchema,
    /** Minimum time between two codes. */
    resendCooldown: durationSchema,
  }),
  /** E-mail verification (1.2): a signed link. */
  emailLink: z.object({ ttl: durationSchema, resendCooldown: durationSchema }),
  /**
   * The applicant completes every verification step by this deadline (reminder included);
   * otherwise the registration is abandoned and the unverified personal data deleted (2.1, 2.4).
   */
  verification: slaSchema.extend({ onBreach: z.literal('default-decision') }),
  /** Payment method binding (1.2): required before approval, or optional. Only a token is kept (3.2). */
  paymentMethod: z.enum(['required', 'optional']),
  /** Manual review of an uncertain face match or a risk flag, by an agent; a lapse goes to a supervisor. */
  manualReview: slaSchema,
});

/** The agent's decision on an identity review (task registration.identity_review). */
export const identityReviewDecisionSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve') }).strict(),
  z.object({ decision: z.literal('reject'), reasonCode: z.enum(registrationRejectionReasons) }).strict(),
]);

// ---- Input rules of the API edge ----

/** Lowercase letter first, then 3-19 lowercase letters, digits or _. Stored lowercase, unique. */
export const usernameSchema = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.string().regex(/^[a-z][a-z0-9_]{3,19}$/, 'username: 4-20 characters, a letter first, then letters, digits or _'));

/** A mainland-China mobile number: 11 digits starting 13-19, optionally prefixed +86 / 86. Normalised to 11 digits. */
export const mainlandMobileSchema = z
  .string()
  .transform((s) => s.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, ''))
  .pipe(z.string().regex(/^1[3-9]\d{9}$/, 'mobile: a mainland-China mobile number such as 13812345678'));

/** A tokenized payment-method reference from the payment provider; never card data (3.2). */
export const paymentMethodTokenSchema = z.string().regex(/^pm_tok_[A-Za-z0-9]{16,64}$/, 'a payment-method token such as pm_tok_… from the payment provider');
