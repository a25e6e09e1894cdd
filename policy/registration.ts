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

export type RegistrationPolicy = z.infer<typeof import('./registration.policySchema').registrationPolicySchema>;

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
  // 常见类型移动互联网应用程序必要个人信息范围规定 (2021) art. 5 (五) online shopping: the necessary personal
  // information is the registered user's mobile number (and the consignee's details at checkout). Real-name
  // verification by ID is asked only by the features that need it, when they are used (PIPL art. 6: minimum
  // scope); policy 1.2 asks it of everyone, which stays possible with atRegistration: true.
  realName: {
    atRegistration: false,
    // 电子商务法 art. 27: the platform verifies the identity of operators who sell on it; payment above a limit:
    // the payment-account rules (非银行支付机构网络支付业务管理办法 art. 10-11); cross-border retail imports:
    // the buyer's identity for customs (跨境电子商务零售进口 订购人身份信息).
    requiredFor: ['merchant_account', 'payment_above_limit', 'cross_border_purchase'],
    paymentLimitMinor: 500_000,
  },
  // PIPL art. 17, 29-30: the notice and the separate consents refer to this privacy-policy text; a new version
  // asks for consent again before any further sensitive information is processed.
  privacyPolicy: { version: '2026-11', textSha256: 'a4ef3c9140b01db60ccfeaac2e60f88c0ab07943cba7441dd4dbd164962e3d1d' },
  // PIPL art. 28, 31; 未成年人保护法 art. 72: a child under 14 needs a guardian's consent; under 18, safeguards.
  minors: { guardianConsentUnder: 14, safeguardsUnder: 18 },
  // A rejected registration keeps its personal data this many days (for the applicant to contest the decision,
  // PIPL art. 24, 50), then it is erased (PIPL art. 19, 47). Counted like the law: from the next day, to 24:00.
  rejectedRetentionDays: 30,
  // SMS abuse: verification codes per calendar day (policy time zone) per mobile number and per client address.
  smsDailyCap: { perMobile: 10, perClientAddress: 30 },
  // PIPL art. 31; 未成年人保护法 art. 72: a child under 14 registers only once a guardian has consented through the
  // guardian step (a code to the guardian's mobile, an adult guardian, the relation declared). Without the guardian's
  // answer by this deadline the registration is refused and the child's data erased.
  guardianConsent: { within: { amount: 72, unit: 'hours' }, onBreach: 'default-decision' },
};

// ---- Necessary information, real-name features, sensitive information (PIPL art. 28-31) ----

/** Features that ask for real-name verification by ID when they are used (policy configuration names them). */
export const realNameFeatures = ['merchant_account', 'payment_above_limit', 'cross_border_purchase', 'withdrawal'] as const;
export type RealNameFeature = (typeof realNameFeatures)[number];

/** Why a registration asks for real-name verification now: the policy setting (1.2) or a feature being used. */
export type RealNameReason = 'policy' | RealNameFeature;

/** Consents that are separate from the agreement (PIPL art. 29: sensitive information; art. 31: a guardian's). */
export const consentPurposes = ['id_number', 'face_image', 'guardian', 'guardian_real_name'] as const;
export type ConsentPurpose = (typeof consentPurposes)[number];

/** The relation a guardian declares (民法典 arts. 27-28: the parents, or another guardian). */
export const guardianRelations = ['parent', 'other_guardian'] as const;
export type GuardianRelation = (typeof guardianRelations)[number];

/** How a guardian shows being an adult: a real-name verified account of the platform, or a real-name check now. */
export const guardianAdultProofs = ['account', 'real_name'] as const;
export type GuardianAdultProof = (typeof guardianAdultProofs)[number];

/** Age of majority (民法典 art. 17: 十八周岁以上的自然人为成年人). */
export const ADULT_AGE = 18;

/** How the applicant proves the identity: the automated face match, or a document photo a person reviews. */
export const identityMethods = ['face', 'document_review'] as const;
export type IdentityMethod = (typeof identityMethods)[number];

/**
 * The notice shown before each separate consent (PIPL art. 17, 30): why the information is needed, and what
 * refusing affects. Its SHA-256 (noticeDigest) is recorded with the consent.
 */
export const consentNotices: Record<ConsentPurpose, Record<'zh-CN' | 'en', string>> = {
  id_number: {
    'zh-CN': '证件号码属于敏感个人信息。我们仅在您使用需要实名认证的功能(开设店铺、超过限额的支付、跨境购物、提现)时收集,用于核验您的身份;仅保存加密摘要、出生日期和末四位。不同意不影响注册和普通购物,但上述功能将无法使用。',
    en: 'Your ID number is sensitive personal information. We collect it only when you use a feature that requires real-name verification (a shop, payments above the limit, cross-border purchases, withdrawals), to verify who you are; we keep only a keyed digest, the birth date and the last four characters. Refusing does not affect registration or ordinary shopping, but those features stay unavailable.',
  },
  face_image: {
    'zh-CN': '人脸图像属于敏感个人信息,仅用于与证件照片比对以核验身份,比对后即删除原图。不同意人脸识别的,可以改为上传证件照片,由工作人员人工审核,这可能需要更长时间。',
    en: 'A face image is sensitive personal information, used only to compare with the document photo to verify your identity; the image is deleted after the comparison. If you refuse the face match, you can upload a photo of the document for a member of staff to review instead, which can take longer.',
  },
  guardian: {
    'zh-CN': '未满十四周岁未成年人的个人信息属于敏感个人信息,须经其父母或其他监护人同意后方可处理。监护人不同意的,注册将被拒绝,已提交的信息将被删除。',
    en: 'The personal information of a child under 14 is sensitive personal information and is processed only with the consent of a parent or other guardian. Without it the registration is refused and what was submitted is deleted.',
  },
  // PIPL art. 29: the guardian's own ID number is sensitive personal information; a separate consent of the guardian.
  guardian_real_name: {
    'zh-CN': '为确认您是成年监护人,我们将您的姓名和证件号码提交身份核验服务核对。证件号码属于敏感个人信息,我们仅保存加密摘要、出生日期和末四位,与您对孩子注册的同意记录一并保存。不同意的,可以改用已完成实名认证的本平台账户的手机号确认。',
    en: 'To confirm that you are an adult guardian, we check your name and ID number with the identity verification service. Your ID number is sensitive personal information; we keep only a keyed digest, the birth date and the last four characters, with the record of your consent to the child\'s registration. If you refuse, you can confirm with the mobile number of a real-name verified account of this platform instead.',
  },
};

/**
 * Age in 周岁 on `onDate` (both YYYY-MM-DD local dates, in the policy's time zone), as the law counts it: a person
 * reaches an age on the day *after* the birthday, so on the day of the 14th birthday the applicant is still 13.
 * - 最高人民法院《关于审理未成年人刑事案件具体应用法律若干问题的解释》(法释〔2006〕1号) art. 2: "周岁，按照公历的年、月、日
 *   计算，从周岁生日的第二天起算" (the rule the courts apply to 周岁 generally);
 * - 民法典 arts. 201(1), 202, 203(2): a period in years starts the day after the event (the birth), ends on the
 *   corresponding day of its last year (the birthday), or on the month's last day when there is none (a 29 February
 *   birthday in a common year: 28 February), at 24:00.
 * So the age is the number of whole-year periods from the birth that ended before `onDate` began.
 */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = onDate.split('-').map(Number);
  // This year's birthday, the last day of the (y - by)-year period: the corresponding day, else the month's last day.
  const lastDayOfMonth = new Date(Date.UTC(y, bm, 0)).getUTCDate();
  const birthday = Math.min(bd, lastDayOfMonth);
  return Math.max(0, y - by - (m < bm || (m === bm && d <= birthday) ? 1 : 0)); // 0 on the day of birth
}

/** What the minors rules say for an age (PIPL art. 28, 31; 未成年人保护法). */
export function minorStatus(age: number, rules: { guardianConsentUnder: number; safeguardsUnder: number }): 'child_needs_guardian' | 'minor' | 'adult' {
  if (age < rules.guardianConsentUnder) return 'child_needs_guardian';
  return age < rules.safeguardsUnder ? 'minor' : 'adult';
}

/** What a face-match service can answer. */
export const faceResults = ['pass', 'fail', 'uncertain'] as const;
export type FaceResult = (typeof faceResults)[number];

/** Risk flags raised at real-name verification (3.4: account misuse). */
export const registrationRiskFlags = ['none', 'id_number_in_use'] as const;
export type RegistrationRiskFlag = (typeof registrationRiskFlags)[number];

/** Why a registration is rejected (the applicant is told the code, never an agent's free text). */
export const registrationRejectionReasons = [
  'face_mismatch',
  /** PIPL art. 31: a child under 14 without a guardian's consent. */
  'guardian_consent_required',
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
