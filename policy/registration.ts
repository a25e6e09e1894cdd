// Registration review with identity verification (policy chapter 1): policy rules, SLAs and human-task types.
// 1.1 registration flow, 1.2 identity verification (real name, mobile, e-mail, payment method),
// 1.3 information security, 3.2 no card numbers stored, 2.1/2.4 data minimisation and deletion.
// Plain code and data only: the zod schemas are in registration.schemas.ts, which the task payload below loads
// on first use (policy/lazySchema.ts), so a workflow that only waits never evaluates zod.
import type { z } from 'zod';
import { lazySchema } from './lazySchema';
import { defineTasks } from './process';

type Schemas = typeof import('./registration.schemas');
const schemas = (): Schemas => require('./registration.schemas');

export type RegistrationPolicy = z.infer<Schemas['registrationPolicySchema']>;

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

export type IdentityReviewDecision = z.infer<Schemas['identityReviewDecisionSchema']>;

/** Human steps of this process. */
export const registrationTasks = defineTasks({
  /** 1.2 / 3.4: an agent reviews an uncertain face match or a risk flag. */
  'registration.identity_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().identityReviewDecisionSchema);
    },
  },
});

// ---- Input rules shared by the API edge (pure, no I/O; their zod schemas are in registration.schemas.ts) ----

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
