// The zod schema of the registration's policy section (policy chapter 1; PIPL arts. 6, 17, 19, 28-31): server code
// only (the policy document is validated where it enters, processes/policyDocument.ts). Kept apart from the payload schemas,
// which a workflow builds when a case validates an update.
import { z } from 'zod';
import { realNameFeatures } from './registration';
import { durationSchema, slaSchema } from './schemas';

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
  /**
   * Real-name verification by ID (1.2; PIPL art. 6, the 2021 necessary-information rules): at registration only
   * when atRegistration is true (off by default); otherwise the features listed ask for it when they are used.
   */
  realName: z
    .object({ atRegistration: z.boolean(), requiredFor: z.array(z.enum(realNameFeatures)), paymentLimitMinor: z.number().int().positive() })
    .default({ atRegistration: false, requiredFor: ['merchant_account', 'payment_above_limit', 'cross_border_purchase'], paymentLimitMinor: 500_000 }),
  /** The privacy policy in force: separate consents record its version and text hash (PIPL art. 17, 29-30). */
  privacyPolicy: z
    .object({ version: z.string().min(1).max(32), textSha256: z.string().regex(/^[0-9a-f]{64}$/) })
    .default({ version: '2026-11', textSha256: 'a4ef3c9140b01db60ccfeaac2e60f88c0ab07943cba7441dd4dbd164962e3d1d' }),
  /** Minors (PIPL art. 28, 31; 未成年人保护法): guardian consent under this age, safeguards under that one. */
  minors: z
    .object({ guardianConsentUnder: z.number().int().min(14).max(18), safeguardsUnder: z.number().int().min(14).max(18) })
    .refine((m) => m.guardianConsentUnder <= m.safeguardsUnder, 'guardianConsentUnder must not exceed safeguardsUnder')
    .default({ guardianConsentUnder: 14, safeguardsUnder: 18 }),
  /** Days a rejected registration keeps its personal data before erasure (PIPL art. 19, 47). */
  rejectedRetentionDays: z.number().int().min(1).max(180).default(30),
  /** SMS codes a calendar day per mobile number and per client address. */
  smsDailyCap: z.object({ perMobile: z.number().int().min(1), perClientAddress: z.number().int().min(1) }).default({ perMobile: 10, perClientAddress: 30 }),
  /**
   * The guardian step of a child under 14 (PIPL art. 31; 未成年人保护法 art. 72): the guardian answers by this
   * deadline, or the registration is refused and the child's data erased (onBreach default-decision: refusal).
   */
  guardianConsent: slaSchema
    .extend({ onBreach: z.literal('default-decision') })
    .default({ within: { amount: 72, unit: 'hours' }, onBreach: 'default-decision' }),
});
