// Registration review with identity verification (policy chapter 1): policy rules, SLAs and human-task types.
// 1.1 registration flow, 1.2 identity verification (real name, mobile, e-mail, payment method),
// 1.3 information security, 3.2 no card numbers stored, 2.1/2.4 data minimisation and deletion.
import { z } from 'zod';
import { defineTasks } from './process';

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
export type RegistrationPolicy = z.infer<typeof registrationPolicySchema>;

export const defaultRegistrationPolicy: RegistrationPolicy = {
  acceptedAgreementVersions: ['2026-11'],
  mobileCode: {
    ttl: { amount: 10, unit: 'minutes' },
    maxAttempts: 5,
    lockout: { amount: 30, unit: 'minutes' },
    resendCooldown: { amount: 1, unit: 'minutes' },
  },
  emailLink: { ttl: { amount: 24, unit: 'hours' }, resendCooldown: { amount: 1, unit: 'minutes' } },
  verification: { within: { amount: 72, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' },
  paymentMethod: 'optional',
  manualReview: { within: { amount: 4, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
};

/** What a face-match service can answer. */
export const faceResults = ['pass', 'fail', 'uncertain'] as const;
export type FaceResult = (typeof faceResults)[number];

/** Risk flags raised at real-name verification (3.4: account misuse). */
export const registrationRiskFlags = ['none', 'id_number_in_use'] as const;
export type RegistrationRiskFlag = (typeof registrationRiskFlags)[number];

/** Why a registration is rejected (the applicant is told the code, never an agent's free text). */
export const registrationRejectionReasons = [
  'face_mismatch',
  'identity_not_confirmed',
  'duplicate_identity',
  'suspected_fraud',
  'other',
] as const;
export type RegistrationRejectionReason = (typeof registrationRejectionReasons)[number];

const identityReviewDecision = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve') }).strict(),
  z.object({ decision: z.literal('reject'), reasonCode: z.enum(registrationRejectionReasons) }).strict(),
]);
export type IdentityReviewDecision = z.infer<typeof identityReviewDecision>;

/** Human steps of this process. */
export const registrationTasks = defineTasks({
  /** 1.2 / 3.4: an agent reviews an uncertain face match or a risk flag. */
  'registration.identity_review': { role: 'agent', payload: identityReviewDecision },
});

// ---- Input rules shared by the API edge (pure, no I/O) ----

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

/** Password strength: 10-128 characters, at least three of lower case, upper case, digits, symbols. */
export function passwordProblems(password: string, username?: string): string[] {
  const problems: string[] = [];
  if (password.length < 10) problems.push('at least 10 characters');
  if (password.length > 128) problems.push('at most 128 characters');
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) problems.push('at least three of: lower-case letters, upper-case letters, digits, symbols');
  if (username && username.length >= 4 && password.toLowerCase().includes(username.toLowerCase())) problems.push('must not contain the username');
  if (/^(.)\1+$/.test(password)) problems.push('must not repeat a single character');
  return problems;
}

/** A tokenized payment-method reference from the payment provider; never card data (3.2). */
export const paymentMethodTokenSchema = z.string().regex(/^pm_tok_[A-Za-z0-9]{16,64}$/, 'a payment-method token such as pm_tok_… from the payment provider');

/** Something that looks like a card number (PAN): 13-19 digits, spaces or dashes allowed between them. */
export function looksLikeCardNumber(value: unknown): boolean {
  if (typeof value === 'number') return looksLikeCardNumber(String(value));
  if (typeof value === 'string') {
    return /(?:\d[ -]?){12,18}\d/.test(value);
  }
  if (Array.isArray(value)) return value.some(looksLikeCardNumber);
  if (value && typeof value === 'object') return Object.values(value).some(looksLikeCardNumber);
  return false;
}
