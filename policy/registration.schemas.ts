// The zod schemas of the registration review (policy chapter 1): its task payload and the input rules the API edge
// applies. Server code imports them; workflows reach them only through the lazy getter of policy/registration.ts.
// The policy section's schema is in registration.policySchema.ts, which workflows never load.
import { z } from 'zod';
import { consentPurposes, guardianRelations, identityMethods, realNameFeatures, registrationRejectionReasons } from './registration';
import { identityDocumentTypes } from './idNumber';

/** A separate consent (PIPL art. 29-31), given after its notice, against the privacy policy in force. */
export const consentSchema = z
  .object({
    purpose: z.enum(consentPurposes),
    privacyPolicyVersion: z.string().min(1).max(32),
    privacyPolicyTextSha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the privacy-policy text shown'),
    noticeSha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the notice shown (GET …/consents/notice)'),
    /** Guardian consent only: who consents. */
    guardian: z.object({ relation: z.enum(guardianRelations) }).strict().optional(),
  })
  .strict();

export const identityDocumentTypeSchema = z.enum(identityDocumentTypes);
export const identityMethodSchema = z.enum(identityMethods);
export const realNameFeatureSchema = z.enum(realNameFeatures);

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
  .pipe(z.string().regex(/^[a-z][a-z0-9_]{3,19}$/, 'username: 4-20 characters, a letter first, then letters, digits or _'))
  // What the API accepts before trimming and lowercasing, for the API description.
  .meta({ pattern: '^\\s*[A-Za-z][A-Za-z0-9_]{3,19}\\s*$', description: 'username: 4-20 characters, a letter first, then letters, digits or _ (trimmed; stored lowercase, unique)' });

/** A mainland-China mobile number: 11 digits starting 13-19, optionally prefixed +86 / 86. Normalised to 11 digits. */
export const mainlandMobileSchema = z
  .string()
  .transform((s) => s.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, ''))
  .pipe(z.string().regex(/^1[3-9]\d{9}$/, 'mobile: a mainland-China mobile number such as 13812345678'))
  // What the API accepts before removing spaces, dashes and the +86 prefix, for the API description.
  .meta({ pattern: '^[\\s-]*(?:\\+?[\\s-]*8[\\s-]*6[\\s-]*)?1[\\s-]*[3-9](?:[\\s-]*[0-9]){9}[\\s-]*$', description: 'A mainland-China mobile number: 11 digits starting 13-19, optionally +86 or 86 first; spaces and dashes are ignored' });

/** A tokenized payment-method reference from the payment provider; never card data (3.2). */
export const paymentMethodTokenSchema = z.string().regex(/^pm_tok_[A-Za-z0-9]{16,64}$/, 'a payment-method token such as pm_tok_… from the payment provider');
