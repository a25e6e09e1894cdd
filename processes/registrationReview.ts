// Registration review (policy chapter 1, 2.1, 2.4, 3.2): the process module. Opened with POST /v1/cases
// (type registration); the applicant's verification steps are its own routes, called by the storefront.
// The API validates input, keeps personal data in PostgreSQL, checks codes and links against it in
// constant time, and tells the workflow only what happened (verified, faceResult, riskFlag).
//
// Error codes (besides 401/403): 400 VALIDATION_FAILED (zod issues in details), IDEMPOTENCY_KEY_REQUIRED,
// CARD_NUMBER_NOT_ACCEPTED (3.2) · 404 NOT_FOUND · 409 USERNAME_TAKEN, IDEMPOTENCY_KEY_REUSED,
// REGISTRATION_CLOSED, ALREADY_VERIFIED, NO_CODE_SENT, IDENTITY_ALREADY_SUBMITTED, PAYMENT_METHOD_ALREADY_BOUND,
// NOT_ALLOWED_AT_THIS_STEP · 410 CODE_EXPIRED, LINK_EXPIRED · 422 CODE_INVALID (details.attemptsLeft),
// LINK_INVALID, AGREEMENT_VERSION_NOT_ACCEPTED · 423 STEP_LOCKED (Retry-After while locked) ·
// 429 RESEND_TOO_SOON (Retry-After).
// Issue 9 (the law under the policy): 409 MOBILE_ALREADY_REGISTERED, REAL_NAME_NOT_ASKED · 422
// GUARDIAN_CONSENT_REQUIRED (PIPL art. 31), CONSENT_REQUIRED / CONSENT_OUTDATED (PIPL art. 29-30),
// REAL_NAME_NOT_REQUIRED, BIRTH_DATE_REQUIRED · 429 SMS_DAILY_LIMIT (Retry-After: the next local midnight).
// The guardian step (PIPL art. 31; 未成年人保护法 art. 72): 409 GUARDIAN_NOT_ASKED, GUARDIAN_ALREADY_ANSWERED,
// GUARDIAN_MOBILE_NOT_VERIFIED · 422 GUARDIAN_MOBILE_IS_APPLICANTS, GUARDIAN_NOT_ADULT, GUARDIAN_NOT_VERIFIED,
// GUARDIAN_REAL_NAME_MISMATCH, GUARDIAN_STEP_REQUIRED (a guardian's consent comes through the guardian step).
// Consent withdrawal (PIPL art. 15): 404 CONSENT_NOT_GIVEN · 409 CONSENT_ALREADY_WITHDRAWN · 503 CASE_BUSY (the case to stop
// could not take the cancellation now: nothing changed).
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { Registration } from '@prisma/client';
import {
  createRegistrationActivities,
  hashIdNumber,
  hashMobileCode,
  hashPassword,
  localDate,
  registrationSecret,
  releaseSmsQuota,
  takeSmsQuota,
  verifyEmailToken,
  withdrawRegistrationConsent,
  withdrawableConsents,
  type SmsQuotaKey,
  type WithdrawableConsent,
} from '../activities/registration';
import { isUniqueViolation } from '../lib/db';
import { durationMs } from '../policy/durations';
import { checkIdDocument } from '../policy/idNumber';
import {
  ageOn,
  consentNotices,
  consentPurposes,
  defaultRegistrationPolicy,
  guardianRelations,
  looksLikeCardNumber,
  minorStatus,
  passwordProblems,
  registrationTasks,
  type ConsentPurpose,
  type RealNameReason,
  type RegistrationPolicy,
} from '../policy/registration';
import {
  consentSchema,
  identityDocumentTypeSchema,
  identityMethodSchema,
  mainlandMobileSchema,
  paymentMethodTokenSchema,
  realNameFeatureSchema,
  usernameSchema,
} from '../policy/registration.schemas';
import { registrationPolicySchema } from '../policy/registration.policySchema';
import { emailSchema } from '../policy/schemas';
import {
  REGISTRATION_CASE_TYPE,
  RegistrationErrors,
  bindPaymentMethodUpdate,
  confirmEmailUpdate,
  guardianAnswerUpdate,
  guardianConsentMissingUpdate,
  registrationReview,
  requestGuardianCodeUpdate,
  resendEmailLinkUpdate,
  resendMobileCodeUpdate,
  submitGuardianCodeUpdate,
  submitIdentityUpdate,
  submitMobileCodeUpdate,
  type RegistrationCaseInput,
} from '../workflows/registrationReview';
import { cancelCaseUpdate } from '../workflows/definitions';
import { appendAuditEvent } from '../activities/audit';
import { actingParty } from '../lib/authz';
import type { ApiDeps } from './deps';
import { workflowUiLink } from './deps';
import { ApiError, badRequest, conflict, fromUpdateFailure, notFound, policyRefused, zodIssues } from '../lib/errors';
import { CaseStatus, CaseType } from '../lib/searchAttributes';
import { resolveSubject } from '../lib/subjects';
import { blindIndexerFor } from '../lib/blindIndex';
import { sealerFor } from '../lib/sealedFields';
import { nonBlankText } from './common';
import { defineProcess, type ProcessRoute } from './types';
import { afterOpeningCommit, startCaseOnce } from './caseStart';
import { registrationTemplates } from './registrationReview.templates';

const localDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'a real date')
  .meta({ pattern: '^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$', description: 'A real date, YYYY-MM-DD' });
/** The applicant's client address, forwarded by the storefront (the API's caller is the storefront's server). */
const clientAddressSchema = z.union([z.ipv4(), z.ipv6()]);

// 常见类型移动互联网应用程序必要个人信息范围规定 (2021) art. 5 (五): for online shopping the necessary personal
// information is the registered user's mobile number; name and e-mail are optional (PIPL art. 6: minimum scope).
export const openRegistrationBody = z
  .object({
    name: nonBlankText(50).optional(),
    mobile: mainlandMobileSchema,
    email: emailSchema.optional(),
    username: usernameSchema,
    password: z
      .string()
      .min(1)
      .max(256)
      .meta({
        minLength: 10,
        maxLength: 128,
        // The rules of passwordProblems (policy/registration.ts) a pattern can say: not one character repeated; three classes.
        pattern:
          '^(?!([^\\u0000])\\1*$)(?:(?=[^\\u0000]*[a-z])(?=[^\\u0000]*[A-Z])(?=[^\\u0000]*[0-9])|(?=[^\\u0000]*[a-z])(?=[^\\u0000]*[A-Z])(?=[^\\u0000]*[^A-Za-z0-9])|(?=[^\\u0000]*[a-z])(?=[^\\u0000]*[0-9])(?=[^\\u0000]*[^A-Za-z0-9])|(?=[^\\u0000]*[A-Z])(?=[^\\u0000]*[0-9])(?=[^\\u0000]*[^A-Za-z0-9]))[^\\u0000]{10,128}$',
        description: 'At least 10 and at most 128 characters, at least three of: lower-case letters, upper-case letters, digits, symbols; not containing the username; not one character repeated (400 VALIDATION_FAILED otherwise)' }),
    agreementVersion: z.string().regex(/^[\w.-]{1,32}$/, 'the service-agreement version the applicant accepted'),
    locale: z.enum(['zh-CN', 'en']).optional(),
    /** A declared birth date (PIPL art. 28, 31): a child under 14 needs a guardian's consent first. */
    birthDate: localDateSchema.optional(),
    /**
     * Deprecated: a consent the storefront asserts is not a guardian's consent (PIPL art. 31). Accepted and ignored;
     * a child under 14 registers through the guardian step (POST …/guardian/code, POST …/guardian/consent).
     */
    guardianConsent: consentSchema
      .omit({ purpose: true })
      .extend({ guardian: z.object({ relation: z.enum(guardianRelations) }).strict() })
      .strict()
      .optional()
      .describe('Deprecated and ignored: a child under 14 registers through the guardian step (…/guardian/code, …/guardian/consent)'),
    /** A feature the applicant wants now that needs real-name verification (e.g. a merchant account). */
    realNameFor: realNameFeatureSchema.optional(),
    clientAddress: clientAddressSchema.optional(),
  })
  .strict();

const codeSchema = z.object({ code: z.string().regex(/^\d{6}$/, 'the 6-digit code from the SMS') }).strict();
const tokenSchema = z.object({ token: z.string().min(1).max(600) }).strict();
const emptySchema = z.object({}).strict();
const resendSchema = z.object({ clientAddress: clientAddressSchema.optional() }).strict();
const imageRef = (what: string) => z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, `a reference to the uploaded ${what}`);
const identitySchema = z
  .object({
    documentType: identityDocumentTypeSchema.default('resident_id'),
    idNumber: z.string().max(32),
    /** face: the automated match; document_review: a person reviews a photo of the document instead (PIPL art. 24). */
    method: identityMethodSchema.default('face'),
    faceImageRef: imageRef('face image').optional(),
    documentImageRef: imageRef('document photo').optional(),
    /** The birth date printed on a 2017 permanent-residence ID (its number does not carry one). */
    birthDate: localDateSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const r = checkIdDocument(b.documentType, b.idNumber);
    if (!r.valid) ctx.addIssue({ code: 'custom', path: ['idNumber'], message: `idNumber (${r.problem}): ${r.message}` });
    if (b.method === 'face' && !b.faceImageRef) ctx.addIssue({ code: 'custom', path: ['faceImageRef'], message: 'faceImageRef: required for the face match (or choose method document_review)' });
    if (b.method === 'document_review' && !b.documentImageRef) ctx.addIssue({ code: 'custom', path: ['documentImageRef'], message: 'documentImageRef: required for a review by staff' });
  })
  // The same rules as JSON Schema for the API description (policy/idNumber.ts checkIdDocument; the check character
  // and the birth date in the number are checked too, and are stated in the description only).
  .meta({
    description:
      'idNumber by documentType (spaces allowed, x or X): resident_id 18 characters, not starting 81/82/83 or 9, with a valid birth date and GB 11643 check character; ' +
      'hk_macau_residence_permit starts 810000 or 820000, taiwan_residence_permit 830000 (18 characters, check character); ' +
      'foreign_permanent_resident_id 18 digits starting with 9 (2023) or 3 letters and 12 digits (2017, with birthDate). ' +
      'faceImageRef is required unless method is document_review; documentImageRef is required for document_review.',
    allOf: [
      { if: { properties: { method: { const: 'document_review' } }, required: ['method'] }, then: { properties: { documentImageRef: {} }, required: ['documentImageRef'] }, else: { properties: { faceImageRef: {} }, required: ['faceImageRef'] } },
      { if: { properties: { documentType: { const: 'hk_macau_residence_permit' } }, required: ['documentType'] }, then: { properties: { idNumber: { pattern: '^8[12]0000[0-9]{11}[0-9Xx]$' } } } },
      { if: { properties: { documentType: { const: 'taiwan_residence_permit' } }, required: ['documentType'] }, then: { properties: { idNumber: { pattern: '^830000[0-9]{11}[0-9Xx]$' } } } },
      { if: { properties: { documentType: { const: 'foreign_permanent_resident_id' } }, required: ['documentType'] }, then: { properties: { idNumber: { pattern: '^(?:[A-Za-z]{3}[0-9]{12}|9[0-9]{16}[0-9Xx])$' } } } },
      {
        if: { anyOf: [{ not: { properties: { documentType: {} }, required: ['documentType'] } }, { properties: { documentType: { const: 'resident_id' } }, required: ['documentType'] }] },
        then: { properties: { idNumber: { pattern: '^(?!8[123]0000)[1-8][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]$' } } },
      },
    ],
  });
/** The storefront asks before a feature is used: does it need real-name verification, and is it done? */
const realNameSchema = z.object({ feature: realNameFeatureSchema, amountMinor: z.number().int().positive().optional() }).strict();

// The guardian step (PIPL art. 31; 未成年人保护法 art. 72): the guardian's mobile gets a code; the guardian answers.
const guardianCodeSchema = z.object({ mobile: mainlandMobileSchema.describe("The guardian's own mobile number (not the applicant's)"), clientAddress: clientAddressSchema.optional() }).strict();
const sha256Hex = (what: string) => z.string().regex(/^[0-9a-f]{64}$/, `the SHA-256 of the ${what}`);
const guardianAdultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('account') }).strict().describe("The guardian's mobile is that of a real-name verified account of this platform, 18 周岁 or more"),
  z
    .object({
      kind: z.literal('real_name'),
      name: nonBlankText(50),
      documentType: identityDocumentTypeSchema.default('resident_id'),
      idNumber: z.string().min(1).max(32),
      /** The birth date printed on a 2017 permanent-residence ID (its number does not carry one). */
      birthDate: localDateSchema.optional(),
      /** PIPL art. 29: the guardian's own separate consent to the real-name check, after its notice. */
      consent: z.object({ noticeSha256: sha256Hex('notice shown (GET …/consents/notice?purpose=guardian_real_name)') }).strict(),
    })
    .strict()
    .describe("A real-name check of the guardian (name and ID number against the authority's records), with the guardian's separate consent"),
]);
const guardianAnswerSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('refuse'), code: codeSchema.shape.code }).strict().describe('The guardian refuses: the registration is refused and the child\'s data erased'),
  z
    .object({
      decision: z.literal('consent'),
      code: codeSchema.shape.code,
      relation: z.enum(guardianRelations),
      privacyPolicyVersion: z.string().min(1).max(32),
      privacyPolicyTextSha256: sha256Hex('privacy-policy text shown'),
      noticeSha256: sha256Hex('guardian notice shown (GET …/consents/notice?purpose=guardian)'),
      adult: guardianAdultSchema,
    })
    .strict()
    .describe('The guardian consents, as an adult: a real-name verified account, or a real-name check'),
]);
const noticeQuery = z.object({ purpose: z.enum(consentPurposes).optional(), locale: z.enum(['zh-CN', 'en']).default('zh-CN') }).strict();

/** SHA-256 of a consent notice's text: recorded with the consent as proof of what was shown (PIPL art. 17, 30). */
export const noticeDigest = (purpose: ConsentPurpose, locale: 'zh-CN' | 'en') => crypto.createHash('sha256').update(consentNotices[purpose][locale]).digest('hex');
const noticeDigests = (purpose: ConsentPurpose) => (['zh-CN', 'en'] as const).map((l) => noticeDigest(purpose, l));

type RegistrationInputOf = RegistrationCaseInput;
const workflowInputOf = (kase: { summary: unknown }): RegistrationInputOf => (kase.summary as { workflowInput: RegistrationInputOf }).workflowInput;

/** A consent given against the privacy policy in force and a notice we show; else why not. */
function consentProblem(given: { privacyPolicyVersion: string; privacyPolicyTextSha256: string; noticeSha256: string }, purpose: ConsentPurpose, rules: RegistrationPolicy): string | null {
  if (given.privacyPolicyVersion !== rules.privacyPolicy.version || given.privacyPolicyTextSha256 !== rules.privacyPolicy.textSha256) {
    return `The privacy policy in force is version ${rules.privacyPolicy.version}: show it and ask for consent again`;
  }
  if (!noticeDigests(purpose).includes(given.noticeSha256)) return `The notice for ${purpose} was not the one in force: show it (GET …/consents/notice) and ask again`;
  return null;
}

/** Seconds until the next local midnight (the daily SMS caps reset then). */
function secondsToNextLocalDay(now: Date, timeZone: string): number {
  const today = localDate(now, timeZone);
  let t = now.getTime();
  while (localDate(new Date(t), timeZone) === today) t += 60_000;
  return Math.max(1, Math.ceil((t - now.getTime()) / 1000));
}
const paymentSchema = z
  .object({
    // 3.2: any run of 13-19 digits anywhere in the body is refused first (400 CARD_NUMBER_NOT_ACCEPTED): a token never holds 13 digits in a row.
    token: paymentMethodTokenSchema.meta({ pattern: '^(?![A-Za-z0-9_]*[0-9]{13})pm_tok_[A-Za-z0-9]{16,64}$' }),
  })
  .strict()
  .describe('A run of 13 to 19 digits (spaces or dashes between them allowed) anywhere in the body is refused with 400 CARD_NUMBER_NOT_ACCEPTED (policy 3.2: card numbers are never accepted)');

/** Daily SMS caps per mobile number and per client address (issue 9: SMS abuse); 429 past them. */
async function takeSmsCaps(deps: Pick<ApiDeps, 'db' | 'secrets'>, section: RegistrationPolicy, timeZone: string, mobile: string, clientAddress: string | undefined) {
  const caps = section.smsDailyCap ?? defaultRegistrationPolicy.smsDailyCap;
  const keys: SmsQuotaKey[] = [{ kind: 'mobile', value: mobile, cap: caps.perMobile }, ...(clientAddress ? [{ kind: 'client_address' as const, value: clientAddress, cap: caps.perClientAddress }] : [])];
  const now = new Date();
  const day = localDate(now, timeZone);
  const secret = registrationSecret(deps.secrets);
  const r = await takeSmsQuota(deps.db, secret, day, keys);
  if (!r.ok) {
    const retryAfterSeconds = secondsToNextLocalDay(now, timeZone);
    throw new ApiError(429, 'SMS_DAILY_LIMIT', `At most ${r.cap} verification codes a day per ${r.kind === 'mobile' ? 'mobile number' : 'client address'}; try again tomorrow`, { kind: r.kind, cap: r.cap, retryAfterSeconds });
  }
  return { release: () => releaseSmsQuota(deps.db, secret, day, keys) };
}

/**
 * One active account per mobile number (issue 9): another approved registration holds it. By the mobile's blind index
 * (lib/blindIndex.ts), or in clear on a row written before sealing that the backfill has not reached yet.
 */
async function mobileTaken(deps: Pick<ApiDeps, 'db' | 'ports'>, mobile: string, except?: string): Promise<boolean> {
  const mobileIndex = await blindIndexerFor(deps.ports.keys)('mobile', mobile);
  return (await deps.db.registration.count({ where: { OR: [{ mobileIndex }, { mobileClear: mobile }], status: 'approved', ...(except && { id: { not: except } }) } })) > 0;
}

/** A registration's username and mobile in clear (sealed with its subject's key; a row written before sealing as it is). */
async function personalFieldsOf(deps: Pick<ApiDeps, 'db' | 'ports'>, reg: { subjectId: string; usernameSealed: string | null; usernameClear: string | null; mobileSealed: string | null; mobileClear: string | null; email: string | null }) {
  const [username, mobile, email] = await sealerFor(deps.db, deps.ports.keys).open(reg.subjectId, [reg.usernameSealed ?? reg.usernameClear, reg.mobileSealed ?? reg.mobileClear, reg.email]);
  return { username, mobile, email };
}
const mobileAlreadyRegistered = () => conflict('MOBILE_ALREADY_REGISTERED', 'An active account already uses this mobile number: sign in to it, or recover it');

const P = '/v1/registrations/:registrationId';
/** The storefront acts for the applicant; staff and auditors read. */
const APPLICANT = ['storefront'] as const;
const READERS = ['storefront', 'agent', 'supervisor', 'auditor', 'admin'] as const;
/** PIPL art. 15: the storefront withdraws a consent on the person's behalf as it gave it; staff on the person's request. */
const WITHDRAWERS = ['storefront', 'agent', 'supervisor'] as const;

const closedRegistration = (status: string) => conflict('REGISTRATION_CLOSED', `The registration is ${status}`);

function mask(value: string | null, kind: 'mobile' | 'email'): string | null {
  if (!value) return null;
  if (kind === 'mobile') return `${value.slice(0, 3)}****${value.slice(-4)}`;
  const [local, domain] = value.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

function retryAfter(res: Response, ms: number): number {
  const s = Math.max(1, Math.ceil(ms / 1000));
  res.setHeader('Retry-After', String(s));
  return s;
}

const instant = z.string().describe('ISO 8601 instant');
/** The registration as the API shows it (present() below): contact data masked. */
export const registrationSchema = z
  .object({
    registrationId: z.string(),
    caseId: z.string(),
    userRef: z.string(),
    status: z.string().describe('pending, approved, rejected, expired, ...'),
    step: z.string(),
    outcome: z.string().nullable(),
    reasonCode: z.string().nullable(),
    username: z.string().nullable().describe('null once the personal data is erased'),
    mobile: z.string().nullable().describe('masked: 138****5678'),
    email: z.string().nullable().describe('masked: a***@example.com'),
    agreementVersion: z.string(),
    verification: z
      .object({
        mobile: z
          .object({
            verified: z.boolean(),
            codeSent: z.boolean(),
            codeExpiresAt: instant.nullable(),
            attemptsLeft: z.number().int().nullable(),
            locked: z.boolean(),
            lockedUntil: instant.nullable(),
            resendAvailableAt: instant.nullable(),
          })
          .strict(),
        email: z.object({ given: z.boolean(), verified: z.boolean() }).strict(),
        identity: z
          .object({
            asked: z.string().nullable().describe('Why real-name verification is asked (policy, or a feature); null when it is not'),
            submitted: z.boolean(),
            documentType: z.string().nullable(),
            method: z.string().nullable(),
            faceResult: z.string().nullable(),
            underReview: z.boolean(),
          })
          .strict(),
        paymentMethod: z.object({ policy: z.enum(['required', 'optional']), bound: z.boolean() }).strict(),
      })
      .strict(),
    guardian: z
      .object({
        required: z.boolean().describe('A child under 14 (declared): the guardian step comes first (PIPL art. 31)'),
        status: z.enum(['not_required', 'awaiting_code', 'code_sent', 'mobile_verified', 'consented', 'refused', 'closed']),
        mobile: z.string().nullable().describe("The guardian's mobile, masked"),
        relation: z.enum(guardianRelations).nullable(),
        adultProof: z.enum(['account', 'real_name']).nullable().describe('How the consenting guardian was shown to be an adult'),
        codeExpiresAt: instant.nullable(),
        attemptsLeft: z.number().int().nullable(),
        locked: z.boolean(),
      })
      .strict(),
    consents: z.array(z.object({ purpose: z.string(), givenBy: z.string(), givenAt: instant, privacyPolicyVersion: z.string(), current: z.boolean() }).strict()),
    minorSafeguards: z.boolean(),
    realName: z.object({ verifiedAt: instant.nullable(), latestCaseId: z.string().nullable() }).strict(),
    deadlines: z.record(z.string(), instant.nullable()),
    personalDataErased: z.boolean(),
    createdAt: instant,
    closedAt: instant.nullable(),
    links: z.object({ self: z.string(), case: z.string(), temporalUi: z.string().nullable() }).strict(),
  })
  .strict()
  .meta({ id: 'Registration' });
const sentSchema = z.object({ seq: z.number().int(), expiresAt: instant }).strict();
const registrationWithSent = registrationSchema.extend({ sent: sentSchema.describe('The code or link just sent: its sequence number and expiry') }).strict();
const privacyPolicySchema = z.object({ version: z.string(), textSha256: z.string() }).strict();
const noticeSchema = z.object({ purpose: z.enum(consentPurposes), locale: z.enum(['zh-CN', 'en']), text: z.string(), noticeSha256: z.string() }).strict();
const noticeAnswerSchema = z.union([
  noticeSchema.extend({ privacyPolicy: privacyPolicySchema }).strict().describe('With ?purpose=: that notice'),
  z.object({ notices: z.array(noticeSchema), privacyPolicy: privacyPolicySchema }).strict().describe('Without purpose: every notice'),
]);
const realNameAnswerSchema = z
  .object({
    feature: realNameFeatureSchema,
    required: z.boolean(),
    verified: z.boolean(),
    paymentLimitMinor: z.number().int(),
    caseId: z.string().optional().describe('The open verification case, when one is under way or was just opened'),
    step: z.string().optional(),
  })
  .strict();

// Consent withdrawal (PIPL art. 15): as easy as the consent, by the same caller (the storefront), or by staff.
const withdrawPurposeSchema = z.enum(withdrawableConsents).describe('The separate consent withdrawn: id_number, face_image, or guardian (with the guardian\'s own consent to the real-name check)');
const withdrawParams = z.object({ purpose: withdrawPurposeSchema }).strict();
const withdrawActionBody = z.object({ purpose: withdrawPurposeSchema }).strict();
const consentWithdrawalSchema = z
  .object({
    registrationId: z.string(),
    purpose: withdrawPurposeSchema,
    withdrawnAt: instant,
    withdrawn: z.array(z.string()).describe('The purposes of the consent rows withdrawn'),
    stopped: z
      .object({
        caseId: z.string(),
        outcome: z.string().nullable().describe('The case\'s outcome once it stopped (cancelled), or null while it closes'),
        erased: z.record(z.string(), z.number()).nullable().describe('What the stopped case erased, by kind (rows), as its audit trail records it'),
      })
      .strict()
      .nullable()
      .describe('The case whose processing needed the consent, stopped (its own erasure ran as for a withdrawn registration); null when nothing was under way'),
    erased: z.array(z.object({ table: z.string(), columns: z.array(z.string()), rows: z.number().int() }).strict()),
    kept: z.array(z.object({ table: z.string(), columns: z.array(z.string()), why: z.string(), until: z.string().nullable().describe('ISO instant of the purge; null: while the account lasts') }).strict()),
    registration: registrationSchema,
  })
  .strict()
  .meta({ id: 'ConsentWithdrawal' });

/** The registration's handlers for one set of API deps (built once per app). */
function registrationHandlers(deps: ApiDeps) {
  // The face verifier and the secret come from the composition root (lib/ports.ts, lib/config.ts) through deps.
  const faces = () => deps.ports.faces;
  const secret = () => registrationSecret(deps.secrets);

  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const p = schema.safeParse(value ?? {});
    if (!p.success) throw badRequest('VALIDATION_FAILED', `The ${what} is not valid`, zodIssues(p.error));
    return p.data;
  }

  async function load(req: Request) {
    const id = req.params.registrationId as string;
    const [reg, kase] = await Promise.all([deps.db.registration.findUnique({ where: { id } }), deps.db.case.findUnique({ where: { id } })]);
    if (!reg || !kase || kase.type !== REGISTRATION_CASE_TYPE) throw notFound('Registration', id);
    const rules = ((kase.summary as any).workflowInput as RegistrationCaseInput).policy;
    return { reg, kase, rules: rules.registration as RegistrationPolicy, calendar: rules.calendar };
  }

  function pending(reg: Registration) {
    if (reg.status !== 'pending') throw closedRegistration(reg.status);
  }

  const latestChallenge = (registrationId: string) =>
    deps.db.registrationChallenge.findFirst({ where: { registrationId, channel: 'sms' }, orderBy: { seq: 'desc' } });
  const latestGuardianChallenge = (registrationId: string) =>
    deps.db.registrationChallenge.findFirst({ where: { registrationId, channel: 'guardian_sms' }, orderBy: { seq: 'desc' } });

  /** Tells the workflow; a refusal becomes the matching HTTP error. */
  async function tell<Ret, Args extends [any, ...any[]]>(req: Request, res: Response, caseId: string, def: UpdateDefinition<Ret, Args>, args: Args, updateId?: string): Promise<Ret> {
    try {
      return await deps.temporal.clients.forIdentity(req.principal!.id).workflow.getHandle(caseId).executeUpdate(def, { args, ...(updateId && { updateId }) } as any);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause as { type?: string; message?: string; details?: unknown[] } | undefined;
        const details = (cause?.details?.[0] ?? {}) as { retryAfterMs?: number; attemptsLeft?: number; expiredAt?: string; lockedUntil?: string | null };
        const message = cause?.message ?? 'Refused';
        switch (cause?.type) {
          case RegistrationErrors.ResendTooSoon:
            throw new ApiError(429, 'RESEND_TOO_SOON', message, { retryAfterSeconds: retryAfter(res, Number(details.retryAfterMs ?? 1000)) });
          case RegistrationErrors.CodeInvalid:
            throw policyRefused('CODE_INVALID', message, { attemptsLeft: details.attemptsLeft });
          case RegistrationErrors.CodeExpired:
            throw new ApiError(410, 'CODE_EXPIRED', message, { expiredAt: details.expiredAt });
          case RegistrationErrors.StepLocked: {
            const until = details.lockedUntil ? new Date(details.lockedUntil) : null;
            if (until && until.getTime() > Date.now()) retryAfter(res, until.getTime() - Date.now());
            throw new ApiError(423, 'STEP_LOCKED', message, { lockedUntil: details.lockedUntil ?? null });
          }
          case RegistrationErrors.NoCodeSent:
            throw conflict('NO_CODE_SENT', message);
          case RegistrationErrors.AlreadyVerified:
            throw conflict('ALREADY_VERIFIED', message);
          case RegistrationErrors.GuardianAlreadyAnswered:
            throw conflict('GUARDIAN_ALREADY_ANSWERED', message);
          case RegistrationErrors.GuardianMobileNotVerified:
            throw conflict('GUARDIAN_MOBILE_NOT_VERIFIED', message);
          case RegistrationErrors.GuardianNotAdult:
            throw policyRefused('GUARDIAN_NOT_ADULT', message);
          case RegistrationErrors.GuardianNotVerified:
            throw policyRefused('GUARDIAN_NOT_VERIFIED', message);
        }
      }
      throw fromUpdateFailure(err) ?? err;
    }
  }

  async function present(id: string) {
    const [reg, kase, ch, identity, consents, guardian, gch] = await Promise.all([
      deps.db.registration.findUniqueOrThrow({ where: { id } }),
      deps.db.case.findUniqueOrThrow({ where: { id } }),
      latestChallenge(id),
      deps.db.registrationIdentity.findUnique({ where: { registrationId: id } }),
      deps.db.registrationConsent.findMany({ where: { registrationId: id, withdrawnAt: null }, orderBy: { givenAt: 'asc' } }),
      deps.db.registrationGuardian.findUnique({ where: { registrationId: id } }),
      latestGuardianChallenge(id),
    ]);
    const account = reg.status === 'approved' ? await deps.db.userAccount.findUnique({ where: { registrationId: id } }) : null;
    const inForce = currentRules().privacyPolicy;
    const input = (kase.summary as any).workflowInput as RegistrationCaseInput;
    const rules = input.policy.registration;
    const cooldownMs = durationMs(rules.mobileCode.resendCooldown, input.policy.calendar);
    const now = Date.now();
    // Sealed at rest: opened here for the applicant's own view, masked below (the storefront shows the applicant).
    const clear = await personalFieldsOf(deps, reg);
    const [guardianMobile] = guardian ? await sealerFor(deps.db, deps.ports.keys).open(guardian.subjectId, [guardian.mobile]) : [null];
    return {
      registrationId: reg.id,
      caseId: kase.id,
      userRef: reg.userRef,
      status: reg.status,
      step: kase.step,
      outcome: kase.outcome,
      reasonCode: reg.reasonCode,
      username: clear.username,
      mobile: mask(clear.mobile, 'mobile'),
      email: mask(clear.email, 'email'),
      agreementVersion: reg.agreementVersion,
      verification: {
        mobile: {
          verified: reg.mobileVerifiedAt !== null,
          codeSent: ch !== null,
          codeExpiresAt: ch?.expiresAt.toISOString() ?? null,
          attemptsLeft: ch ? Math.max(0, ch.maxAttempts - ch.attempts) : null,
          locked: ch ? ch.attempts >= ch.maxAttempts : false,
          lockedUntil: ch?.lockedUntil && ch.lockedUntil.getTime() > now ? ch.lockedUntil.toISOString() : null,
          resendAvailableAt: ch ? new Date(Math.max(ch.sentAt.getTime() + cooldownMs, ch.lockedUntil?.getTime() ?? 0)).toISOString() : null,
        },
        email: { given: reg.email !== null, verified: reg.emailVerifiedAt !== null },
        identity: {
          // Why real-name verification is asked (policy 1.2 setting or a feature), null when it is not.
          asked: input.realName === undefined ? 'policy' : input.realName,
          submitted: identity !== null || reg.identitySubmittedAt !== null,
          documentType: identity?.documentType ?? null,
          method: identity?.method ?? null,
          faceResult: identity?.faceResult ?? null,
          underReview: kase.step === 'manual_review',
        },
        paymentMethod: { policy: rules.paymentMethod, bound: reg.paymentBoundAt !== null },
      },
      // The guardian step (PIPL art. 31): where it stands; the guardian's data masked or left out.
      guardian: (() => {
        const required = input.guardianRequired === true;
        const decision = guardian?.decision as 'consented' | 'refused' | null | undefined;
        const status = !required ? 'not_required' : decision ? decision : reg.status !== 'pending' ? 'closed' : guardian?.mobileVerifiedAt ? 'mobile_verified' : gch ? 'code_sent' : 'awaiting_code';
        return {
          required,
          status,
          mobile: mask(guardianMobile ?? null, 'mobile'),
          relation: (decision === 'consented' ? guardian?.relation ?? null : null) as (typeof guardianRelations)[number] | null,
          adultProof: (decision === 'consented' ? guardian?.adultProof ?? null : null) as 'account' | 'real_name' | null,
          codeExpiresAt: gch?.expiresAt.toISOString() ?? null,
          attemptsLeft: gch ? Math.max(0, gch.maxAttempts - gch.attempts) : null,
          locked: gch ? gch.attempts >= gch.maxAttempts && !gch.verifiedAt : false,
        } as const;
      })(),
      // PIPL art. 29-31: each separate consent, and whether it was given against the privacy policy in force.
      consents: consents.map((c) => ({ purpose: c.purpose, givenBy: c.givenBy, givenAt: c.givenAt.toISOString(), privacyPolicyVersion: c.privacyPolicyVersion, current: c.privacyPolicyVersion === inForce.version && c.privacyPolicySha256 === inForce.textSha256 })),
      minorSafeguards: reg.minorSafeguards,
      // The active account's real-name verification: when done, and the case of the latest one asked by a feature.
      realName: { verifiedAt: account?.realNameVerifiedAt?.toISOString() ?? null, latestCaseId: reg.realNameCaseId },
      deadlines: kase.deadlines,
      personalDataErased: reg.personalDataErasedAt !== null,
      createdAt: reg.createdAt.toISOString(),
      closedAt: reg.closedAt?.toISOString() ?? null,
      links: { self: `/v1/registrations/${reg.id}`, case: `/v1/cases/${kase.id}`, temporalUi: workflowUiLink(deps, kase.workflowId) },
    };
  }



  const get = async (req: Request, res: Response) => {
    const { reg } = await load(req);
    res.json(await present(reg.id));
  };

  // The steps below store what the applicant submitted (personal data stays here) and tell the case;
  // the workflow decides: attempts and lock, the link, the face match and risk flag, the binding.
  const verifyMobile = async (req: Request, res: Response) => {
    const { code } = parse(codeSchema, req.body, 'code');
    const { reg } = await load(req);
    pending(reg);
    // One active account per mobile number: another registration may have been approved meanwhile.
    const { mobile } = await personalFieldsOf(deps, reg);
    if (mobile && (await mobileTaken(deps, mobile, reg.id))) throw mobileAlreadyRegistered();
    const ch = await latestChallenge(reg.id);
    if (!ch) throw conflict('NO_CODE_SENT', 'No code has been sent yet');
    // Only the code's HMAC, bound to its challenge, reaches the workflow.
    const codeMac = hashMobileCode(secret(), ch.id, code);
    await tell(req, res, reg.id, submitMobileCodeUpdate, [{ actor: actingParty(req.principal!), seq: ch.seq, codeMac }]);
    res.json(await present(reg.id));
  };

  const resendMobile = async (req: Request, res: Response) => {
    const { clientAddress } = parse(resendSchema, req.body, 'body');
    const { reg, rules, calendar } = await load(req);
    pending(reg);
    const ch = await latestChallenge(reg.id);
    // Daily SMS caps (issue 9): the mobile number, and the applicant's address the storefront forwards.
    let quota: Awaited<ReturnType<typeof takeSmsCaps>>;
    try {
      quota = await takeSmsCaps(deps, rules, calendar.timeZone, (await personalFieldsOf(deps, reg)).mobile!, clientAddress);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) retryAfter(res, (err.details as { retryAfterSeconds: number }).retryAfterSeconds * 1000);
      throw err;
    }
    try {
      const sent = await tell(req, res, reg.id, resendMobileCodeUpdate, [{ actor: actingParty(req.principal!) }], `${reg.id}:resendMobile:${(ch?.seq ?? 0) + 1}`);
      res.json({ ...(await present(reg.id)), sent });
    } catch (err) {
      await quota.release(); // refused by the case: no SMS went out
      throw err;
    }
  };

  const confirmEmail = async (req: Request, res: Response) => {
    const { token } = parse(tokenSchema, req.body, 'token');
    const { reg } = await load(req);
    const check = verifyEmailToken(secret(), token, reg.id);
    if (!check.ok && check.reason !== 'expired') throw policyRefused('LINK_INVALID', 'The verification link is not valid for this registration');
    pending(reg);
    if (!check.ok) throw new ApiError(410, 'LINK_EXPIRED', 'The verification link has expired: request a new one', { expiredAt: check.expiresAt?.toISOString() });
    await tell(req, res, reg.id, confirmEmailUpdate, [{ actor: actingParty(req.principal!), seq: check.seq }], `${reg.id}:confirmEmail`);
    res.json(await present(reg.id));
  };

  const resendEmail = async (req: Request, res: Response) => {
    parse(emptySchema, req.body, 'body');
    const { reg } = await load(req);
    pending(reg);
    const sent = await tell(req, res, reg.id, resendEmailLinkUpdate, [{ actor: actingParty(req.principal!) }]);
    res.json({ ...(await present(reg.id)), sent });
  };

  /**
   * The case the identity and consent steps go to: the pending registration itself, or the open real-name
   * verification of its active account (a feature asked for it later).
   */
  async function identityCase(reg: Registration): Promise<{ caseId: string; input: RegistrationCaseInput }> {
    if (reg.status === 'pending') {
      const kase = await deps.db.case.findUniqueOrThrow({ where: { id: reg.id } });
      return { caseId: reg.id, input: (kase.summary as any).workflowInput };
    }
    if (reg.status === 'approved' && reg.realNameCaseId) {
      const later = await deps.db.case.findUnique({ where: { id: reg.realNameCaseId } });
      if (later?.status === 'open') return { caseId: later.id, input: (later.summary as any).workflowInput };
    }
    throw closedRegistration(reg.status);
  }

  /** Starts a real-name verification's workflow the way every case starts (processes/caseStart.ts). */
  const startRealNameCase = (input: RegistrationCaseInput, feature: string) =>
    startCaseOnce(deps, registrationReviewProcess, input, { summary: `Real-name verification ${input.caseId} (registration ${input.registrationId}, ${feature})` });

  // Real-name verification when a feature asks for it (2021 necessary-information rules; PIPL art. 6): the
  // storefront asks before the feature is used; a verification not yet done opens a case for the account.
  const realName = async (req: Request, res: Response) => {
    const body = parse(realNameSchema, req.body, 'feature');
    const { reg, kase } = await load(req);
    if (reg.status !== 'approved') throw conflict('NOT_ALLOWED_AT_THIS_STEP', reg.status === 'pending' ? 'The registration is pending: open it with realNameFor to verify the real name now' : closedRegistration(reg.status).message);
    const rules = currentRules();
    const account = await deps.db.userAccount.findUniqueOrThrow({ where: { registrationId: reg.id } });
    const required = rules.realName.requiredFor.includes(body.feature) && (body.feature !== 'payment_above_limit' || (body.amountMinor ?? 0) > rules.realName.paymentLimitMinor);
    const answer = (extra: Record<string, unknown> = {}) => ({ feature: body.feature, required, verified: account.realNameVerifiedAt !== null, paymentLimitMinor: rules.realName.paymentLimitMinor, ...extra });
    if (!required || account.realNameVerifiedAt) return void res.json(answer());
    if (reg.realNameCaseId) {
      const open = await deps.db.case.findUnique({ where: { id: reg.realNameCaseId } });
      if (open?.status === 'open') {
        // A verification whose start a crash prevented: started now (as the reconciler would), so that the answer never
        // names a case without its workflow. Started or closed already: the start finds it and starts nothing.
        if (open.workflowStartedAt === null) await startRealNameCase((open.summary as unknown as { workflowInput: RegistrationCaseInput }).workflowInput, body.feature);
        return void res.json(answer({ caseId: open.id, step: open.step }));
      }
    }
    const caseId = `REG-${crypto.randomUUID()}`;
    const policy = deps.currentPolicy();
    const input: RegistrationCaseInput = {
      caseId,
      userRef: reg.userRef,
      policy: { version: policy.version, calendar: policy.calendar, registration: rules },
      openedBy: req.principal!.id,
      agreementVersion: reg.agreementVersion,
      requestedAt: new Date().toISOString(),
      emailGiven: false,
      realName: body.feature,
      purpose: 'real_name',
      registrationId: reg.id,
    };
    const claimed = await deps.db.$transaction(async (tx) => {
      // One open verification per account: the row's pointer moves only from what was read.
      const moved = await tx.registration.updateMany({ where: { id: reg.id, realNameCaseId: reg.realNameCaseId }, data: { realNameCaseId: caseId } });
      if (moved.count !== 1) return false;
      // What an earlier attempt left (not verified) is replaced by the new one.
      await tx.registrationIdentity.deleteMany({ where: { registrationId: reg.id } });
      await tx.case.create({
        data: { id: caseId, type: REGISTRATION_CASE_TYPE, status: 'open', step: 'opened', customerId: kase.customerId, subjectId: reg.subjectId, merchantId: null, policyVersion: policy.version, workflowId: caseId, openedBy: req.principal!.id, taskQueue: deps.temporal.taskQueue, summary: { purpose: 'real_name', registrationId: reg.id, feature: body.feature, workflowInput: input } as any },
      });
      return true;
    });
    if (!claimed) throw conflict('REAL_NAME_VERIFICATION_STARTED', 'A real-name verification was just started for this account: read the registration again');
    afterOpeningCommit(caseId);
    await startRealNameCase(input, body.feature);
    req.log.info({ caseId, registrationId: reg.id, feature: body.feature }, 'real-name verification opened');
    res.status(201).location(`/v1/cases/${caseId}`).json(answer({ caseId, step: 'identity_verification' }));
  };

  /** The applicant's current consent for `purpose`: given against the privacy policy in force (PIPL art. 29-30). */
  async function currentConsent(registrationId: string, purpose: ConsentPurpose, rules: RegistrationPolicy) {
    // A guardian's consent counts only from the guardian step: with the guardian's id (PIPL art. 31).
    const c = await deps.db.registrationConsent.findFirst({ where: { registrationId, purpose, withdrawnAt: null, ...(purpose === 'guardian' && { guardianId: { not: null } }) }, orderBy: { givenAt: 'desc' } });
    return c && c.privacyPolicyVersion === rules.privacyPolicy.version && c.privacyPolicySha256 === rules.privacyPolicy.textSha256 ? c : null;
  }
  /** The rules in force now for consents and minors (a changed privacy policy asks for consent again). */
  const currentRules = (): RegistrationPolicy => ((deps.currentPolicy() as unknown as { registration?: RegistrationPolicy }).registration ?? defaultRegistrationPolicy);
  const today = (calendar: { timeZone: string }) => localDate(new Date(), calendar.timeZone);

  const notice = async (req: Request, res: Response) => {
    const q = parse(noticeQuery, req.query, 'query');
    await load(req);
    const rules = currentRules();
    const one = (purpose: ConsentPurpose) => ({ purpose, locale: q.locale, text: consentNotices[purpose][q.locale], noticeSha256: noticeDigest(purpose, q.locale) });
    res.json(q.purpose ? { ...one(q.purpose), privacyPolicy: rules.privacyPolicy } : { notices: consentPurposes.map(one), privacyPolicy: rules.privacyPolicy });
  };

  // PIPL art. 29-31: a separate consent per kind of sensitive information (and a guardian's for a child),
  // recorded with its time, the privacy-policy version and text hash, and the notice shown.
  const consent = async (req: Request, res: Response) => {
    const body = parse(consentSchema, req.body, 'consent');
    const { reg, calendar } = await load(req);
    const target = await identityCase(reg);
    const rules = currentRules();
    const problem = consentProblem(body, body.purpose, rules);
    if (problem) throw policyRefused('CONSENT_OUTDATED', problem, { privacyPolicy: rules.privacyPolicy });
    // PIPL art. 31: a guardian's consent comes from the guardian, through the guardian step, never asserted here.
    if (body.purpose === 'guardian' || body.purpose === 'guardian_real_name') {
      throw policyRefused('GUARDIAN_STEP_REQUIRED', 'A guardian consents through the guardian step: a code to the guardian\'s mobile (POST …/guardian/code), then the guardian\'s answer (POST …/guardian/consent)');
    }
    // PIPL art. 31: for a child under 14 (declared age), the guardian consents before any sensitive information.
    const [declaredBirthDate] = await sealerFor(deps.db, deps.ports.keys).open(reg.subjectId, [reg.declaredBirthDate]);
    if (declaredBirthDate && minorStatus(ageOn(declaredBirthDate, today(calendar)), rules.minors) === 'child_needs_guardian' && !(await currentConsent(reg.id, 'guardian', rules))) {
      throw policyRefused('GUARDIAN_CONSENT_REQUIRED', 'The applicant is under 14: a parent or guardian must consent first (PIPL art. 31)');
    }
    const givenAt = new Date();
    await deps.db.$transaction(async (tx) => {
      const id = `cns_${crypto.randomUUID().replace(/-/g, '')}`;
      await tx.registrationConsent.create({
        data: { id, registrationId: reg.id, purpose: body.purpose, givenBy: 'applicant', guardianRelation: null, privacyPolicyVersion: body.privacyPolicyVersion, privacyPolicySha256: body.privacyPolicyTextSha256, noticeSha256: body.noticeSha256, givenAt },
      });
      await appendAuditEvent(tx, { caseId: target.caseId, eventKey: `consent:${id}`, type: 'registration.consent_given', actor: req.principal!.id, at: givenAt, payload: { purpose: body.purpose, privacyPolicyVersion: body.privacyPolicyVersion } });
    });
    res.status(201).json(await present(reg.id));
  };

  /** The pending registration of a child whose case waits for the guardian step; else the matching 409. */
  async function guardianCase(req: Request) {
    const loaded = await load(req);
    pending(loaded.reg);
    if (workflowInputOf(loaded.kase).guardianRequired !== true) throw conflict('GUARDIAN_NOT_ASKED', 'This registration does not need a guardian\'s consent (no age under 14 was declared)');
    const guardian = await deps.db.registrationGuardian.findUnique({ where: { registrationId: loaded.reg.id } });
    if (guardian?.decision) throw conflict('GUARDIAN_ALREADY_ANSWERED', `The guardian has already ${guardian.decision}`);
    return { ...loaded, guardian };
  }

  // The guardian step (PIPL art. 31; 未成年人保护法 art. 72): a one-time code to the guardian's own mobile, sent by the
  // case like the applicant's (daily SMS caps, cooldown, HMAC'd code with attempts and expiry).
  const guardianCode = async (req: Request, res: Response) => {
    const body = parse(guardianCodeSchema, req.body, 'body');
    const { reg, kase, rules, calendar, guardian } = await guardianCase(req);
    if (body.mobile === (await personalFieldsOf(deps, reg)).mobile) throw policyRefused('GUARDIAN_MOBILE_IS_APPLICANTS', 'The code goes to the guardian\'s own mobile, not to the applicant\'s');
    if (kase.step !== 'guardian_consent') throw conflict('NOT_ALLOWED_AT_THIS_STEP', `The registration is not waiting for the guardian (step: ${kase.step})`);
    // The number the next code goes to; the case's activity sends it and makes it the guardian's mobile.
    // Sealed with the guardian's own key (a guardian row written before subjects keeps it in clear).
    const sealer = sealerFor(deps.db, deps.ports.keys);
    if (guardian) await deps.db.registrationGuardian.update({ where: { id: guardian.id }, data: { mobilePending: guardian.subjectId ? await sealer.seal(guardian.subjectId, body.mobile) : body.mobile } });
    else {
      // The guardian is a data subject of their own (lib/subjects.ts), named by the guardian record.
      const id = `grd_${crypto.randomUUID().replace(/-/g, '')}`;
      await deps.db.$transaction(async (tx) => {
        const subjectId = await resolveSubject(tx, { kind: 'guardian', value: id });
        await tx.registrationGuardian.create({ data: { id, registrationId: reg.id, subjectId, mobilePending: await sealer.seal(subjectId, body.mobile, tx) } });
      });
    }
    let quota: Awaited<ReturnType<typeof takeSmsCaps>>;
    try {
      quota = await takeSmsCaps(deps, rules, calendar.timeZone, body.mobile, body.clientAddress);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) retryAfter(res, (err.details as { retryAfterSeconds: number }).retryAfterSeconds * 1000);
      throw err;
    }
    const ch = await latestGuardianChallenge(reg.id);
    try {
      const sent = await tell(req, res, reg.id, requestGuardianCodeUpdate, [{ actor: actingParty(req.principal!) }], `${reg.id}:guardianCode:${(ch?.seq ?? 0) + 1}`);
      res.json({ ...(await present(reg.id)), sent });
    } catch (err) {
      await quota.release(); // refused by the case: no SMS went out
      throw err;
    }
  };

  // The guardian's answer: the code first (the case checks it: only its HMAC reaches the workflow); then, for a
  // consent, the guardian shows being an adult (PIPL art. 31; 民法典 art. 17) and the consent is recorded with the
  // guardian's id, the notice's hash and the privacy policy's version (PIPL art. 17, 30).
  const guardianAnswer = async (req: Request, res: Response) => {
    const body = parse(guardianAnswerSchema, req.body, 'answer');
    const { reg, guardian } = await guardianCase(req);
    const ch = await latestGuardianChallenge(reg.id);
    if (!ch || !guardian) throw conflict('NO_CODE_SENT', 'No code has been sent to the guardian yet');
    const rules = currentRules();
    let checked: ReturnType<typeof checkIdDocument> | undefined;
    if (body.decision === 'consent') {
      const problem = consentProblem(body, 'guardian', rules);
      if (problem) throw policyRefused('CONSENT_OUTDATED', problem, { privacyPolicy: rules.privacyPolicy });
      if (body.adult.kind === 'real_name') {
        const own = consentProblem({ ...body, noticeSha256: body.adult.consent.noticeSha256 }, 'guardian_real_name', rules);
        if (own) throw policyRefused('CONSENT_OUTDATED', own, { privacyPolicy: rules.privacyPolicy });
        checked = checkIdDocument(body.adult.documentType, body.adult.idNumber);
        if (!checked.valid) throw badRequest('VALIDATION_FAILED', `adult.idNumber (${checked.problem}): ${checked.message}`, [{ path: 'adult.idNumber', message: checked.message }]);
        if (!(checked.birthDate ?? body.adult.birthDate)) throw policyRefused('BIRTH_DATE_REQUIRED', 'A 2017 permanent-residence ID carries no birth date in its number: send adult.birthDate as printed on the card');
      }
    }
    // 1. The code, checked by the case (attempts, expiry, lock): the guardian's mobile is verified.
    await tell(req, res, reg.id, submitGuardianCodeUpdate, [{ actor: actingParty(req.principal!), seq: ch.seq, codeMac: hashMobileCode(secret(), ch.id, body.code) }]);
    // 2. A consent: the guardian's own data, only now that the mobile is verified, kept here and never in the case.
    if (body.decision === 'consent') {
      const consentFields = { relation: body.relation, privacyPolicyVersion: body.privacyPolicyVersion, privacyPolicySha256: body.privacyPolicyTextSha256, noticeSha256: body.noticeSha256 };
      if (body.adult.kind === 'account') {
        await deps.db.registrationGuardian.update({ where: { id: guardian.id }, data: { ...consentFields, adultProof: 'account', fullName: null, idNumberHash: null, idLast4: null, birthDate: null, realNameResult: null } });
      } else {
        const adult = body.adult;
        const id = checked as Extract<ReturnType<typeof checkIdDocument>, { valid: true }>;
        // PIPL art. 29: the guardian's separate consent to the real-name check, recorded before the check.
        const givenAt = new Date();
        await deps.db.$transaction(async (tx) => {
          const consentId = `cns_${crypto.randomUUID().replace(/-/g, '')}`;
          await tx.registrationConsent.create({
            data: { id: consentId, registrationId: reg.id, purpose: 'guardian_real_name', givenBy: 'guardian', guardianRelation: body.relation, guardianId: guardian.id, privacyPolicyVersion: body.privacyPolicyVersion, privacyPolicySha256: body.privacyPolicyTextSha256, noticeSha256: adult.consent.noticeSha256, givenAt },
          });
          await appendAuditEvent(tx, { caseId: reg.id, eventKey: `consent:${consentId}`, type: 'registration.consent_given', actor: req.principal!.id, at: givenAt, payload: { purpose: 'guardian_real_name', privacyPolicyVersion: body.privacyPolicyVersion } });
        });
        const result = await faces().checkRealName({ registrationId: reg.id, name: adult.name, documentType: adult.documentType, idNumber: id.normalized });
        await deps.db.registrationGuardian.update({
          where: { id: guardian.id },
          data: { ...consentFields, adultProof: 'real_name', accountId: null, fullName: guardian.subjectId ? await sealerFor(deps.db, deps.ports.keys).seal(guardian.subjectId, adult.name) : adult.name, idNumberHash: hashIdNumber(secret(), id.normalized), idLast4: id.last4, birthDate: id.birthDate ?? adult.birthDate!, realNameResult: result },
        });
        if (result !== 'match') throw policyRefused('GUARDIAN_REAL_NAME_MISMATCH', 'The name and the ID number do not match the authority\'s records: check them, or confirm with a real-name verified account');
      }
    }
    // 3. The answer: the case checks the guardian is an adult and records the consent, or refuses the registration.
    await tell(req, res, reg.id, guardianAnswerUpdate, [{ actor: actingParty(req.principal!), decision: body.decision }]);
    req.log.info({ caseId: reg.id, decision: body.decision }, 'guardian answered');
    res.json(await present(reg.id));
  };

  // PIPL art. 15: a separate consent is withdrawn as easily as it was given. The processing that needed it stops (an
  // identity check under way, or a child's registration resting on the guardian's consent, is cancelled through the
  // case's cancellation, whose erasure runs as for any withdrawn registration); the data it covered is erased and the
  // consent rows stay as proof (lib/personalData.ts: sensitiveIdentity, consentProof); the audit trail records it.
  async function withdraw(req: Request, res: Response, registrationId: string, purpose: WithdrawableConsent) {
    const [reg, kase] = await Promise.all([deps.db.registration.findUnique({ where: { id: registrationId } }), deps.db.case.findUnique({ where: { id: registrationId } })]);
    if (!reg || !kase || kase.type !== REGISTRATION_CASE_TYPE) throw notFound('Registration', registrationId);
    const rows = await deps.db.registrationConsent.findMany({ where: { registrationId: reg.id, purpose } });
    if (rows.length === 0) throw new ApiError(404, 'CONSENT_NOT_GIVEN', `No ${purpose.replace('_', ' ')} consent was given for this registration`);
    if (rows.every((r) => r.withdrawnAt !== null)) throw conflict('CONSENT_ALREADY_WITHDRAWN', `The ${purpose.replace('_', ' ')} consent was already withdrawn`);
    // The case whose processing needs the consent now: the identity submitted to an open verification (the pending
    // registration or the account's later real-name case), or a child's pending registration (the guardian's).
    let running: string | null = null;
    if (purpose === 'guardian') {
      if (reg.status === 'pending' && workflowInputOf(kase).guardianRequired === true) running = reg.id;
    } else {
      const identity = await deps.db.registrationIdentity.findUnique({ where: { registrationId: reg.id } });
      const covers = identity !== null && (purpose === 'id_number' || identity.method === 'face');
      const open = reg.status === 'pending' ? reg.id : reg.status === 'approved' && reg.realNameCaseId ? reg.realNameCaseId : null;
      if (covers && open && (await deps.db.case.findUnique({ where: { id: open } }))?.status === 'open') running = open;
    }
    let stopped: { caseId: string; outcome: string | null; erased: Record<string, number> | null } | null = null;
    if (running) {
      const h = deps.temporal.clients.forIdentity(req.principal!.id).workflow.getHandle(running);
      try {
        await h.executeUpdate(cancelCaseUpdate, { args: [{ actor: actingParty(req.principal!), reasonCode: 'customer_request' }] });
        stopped = { caseId: running, outcome: null, erased: null };
      } catch (err) {
        // Decided meanwhile (approved or rejected) or closed (409/422): nothing left to stop, the withdrawal goes on.
        // Busy (503) or anything else: nothing was changed, the same request again is safe.
        const mapped = fromUpdateFailure(err);
        if (!mapped || (mapped.status !== 409 && mapped.status !== 422)) throw mapped ?? err;
      }
      // The case row closes once the cancellation's erasure is done, or once a decision taken meanwhile has used the
      // identity (a rejected case then waits out its retention): nothing is erased under a step still running.
      for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 100))) {
        if ((await deps.db.case.findUnique({ where: { id: running }, select: { status: true } }))?.status === 'closed') break;
      }
      if (stopped) {
        stopped.outcome = (await deps.db.case.findUnique({ where: { id: running } }))?.outcome ?? null;
        const erasure = await deps.db.auditEvent.findFirst({ where: { caseId: running, type: 'registration.personal_data_erased' }, orderBy: { seq: 'desc' } });
        if (erasure) {
          const { reason: _reason, ...counts } = erasure.payload as Record<string, unknown>;
          stopped.erased = Object.fromEntries(Object.entries(counts).filter((e): e is [string, number] => typeof e[1] === 'number'));
        }
      }
    }
    const r = await withdrawRegistrationConsent(deps.db, { registrationId: reg.id, caseId: reg.id, purpose, by: { id: req.principal!.id, role: req.principal!.role }, at: new Date(), stoppedCaseId: stopped?.caseId ?? null });
    if (r.result === 'not_given') throw new ApiError(404, 'CONSENT_NOT_GIVEN', `No ${purpose.replace('_', ' ')} consent was given for this registration`);
    if (r.result === 'already_withdrawn') throw conflict('CONSENT_ALREADY_WITHDRAWN', `The ${purpose.replace('_', ' ')} consent was already withdrawn`, { withdrawnAt: r.withdrawnAt });
    req.log.info({ caseId: reg.id, purpose, stopped: stopped?.caseId ?? null }, 'consent withdrawn');
    res.json({ registrationId: reg.id, purpose, withdrawnAt: r.withdrawnAt, withdrawn: r.consents.map((c) => c.purpose), stopped, erased: r.erased, kept: r.kept, registration: await present(reg.id) });
  }

  /** POST /v1/registrations/{id}/consents/{purpose}/withdraw: any registration, pending, approved or closed. */
  const withdrawConsent = async (req: Request, res: Response) => {
    const { purpose } = parse(withdrawParams, { purpose: req.params.purpose }, 'purpose');
    parse(emptySchema, req.body, 'body');
    await withdraw(req, res, req.params.registrationId as string, purpose);
  };
  /** POST /v1/cases/{caseId}/actions/withdraw-consent {purpose}: the storefront's action on the registration's case (or its account's verification case). */
  const withdrawConsentAction = async (req: Request, res: Response) => {
    const { purpose } = parse(withdrawActionBody, req.body, 'withdraw-consent body');
    const kase = await deps.db.case.findUnique({ where: { id: req.params.caseId as string } });
    if (!kase || kase.type !== REGISTRATION_CASE_TYPE) throw notFound('Registration case', req.params.caseId as string);
    await withdraw(req, res, (kase.summary as { registrationId?: string }).registrationId ?? kase.id, purpose);
  };

  const identity = async (req: Request, res: Response) => {
    const body = parse(identitySchema, req.body, 'identity');
    const { reg, calendar } = await load(req);
    const { caseId, input } = await identityCase(reg);
    if (input.realName === null) throw conflict('REAL_NAME_NOT_ASKED', 'This registration does not ask for real-name verification: only the mobile number is needed (2021 necessary-information rules)');
    const checked = checkIdDocument(body.documentType, body.idNumber);
    if (!checked.valid) throw badRequest('VALIDATION_FAILED', checked.message);
    // Nothing is stored for a step the case is not at (read from the read model; the workflow decides again).
    if (!reg.mobileVerifiedAt || (reg.email && !reg.emailVerifiedAt)) throw conflict('NOT_ALLOWED_AT_THIS_STEP', 'Verify the mobile number (and the e-mail address, if given) first');
    const birthDate = checked.birthDate ?? body.birthDate ?? null;
    if (!birthDate) throw policyRefused('BIRTH_DATE_REQUIRED', 'A 2017 permanent-residence ID carries no birth date in its number: send birthDate as printed on the card');
    const rules = currentRules();
    // PIPL art. 31: a child under 14 needs a guardian's consent before any sensitive information. Nothing of the
    // ID is stored; the registration is refused with that reason and what was collected is erased.
    if (minorStatus(ageOn(birthDate, today(calendar)), rules.minors) === 'child_needs_guardian' && !(await currentConsent(reg.id, 'guardian', rules))) {
      await tell(req, res, caseId, guardianConsentMissingUpdate, [{ actor: actingParty(req.principal!) }], `${caseId}:guardianConsentMissing`);
      throw policyRefused('GUARDIAN_CONSENT_REQUIRED', 'The applicant is under 14 and no parent or guardian has consented: the registration is refused and its data erased (PIPL art. 31). A guardian may register the child with their consent.', { reasonCode: 'guardian_consent_required' });
    }
    // PIPL art. 29: separate consents, against the privacy policy in force, before the information is processed.
    const needed: ConsentPurpose[] = body.method === 'face' ? ['id_number', 'face_image'] : ['id_number'];
    for (const purpose of needed) {
      if (!(await currentConsent(reg.id, purpose, rules))) {
        throw policyRefused('CONSENT_REQUIRED', `A separate consent for ${purpose.replace('_', ' ')} is needed first (PIPL art. 29): show the notice (GET …/consents/notice?purpose=${purpose}) and record the consent`, { purpose, privacyPolicy: rules.privacyPolicy });
      }
    }
    const idNumberHash = hashIdNumber(secret(), checked.normalized);
    const existing = await deps.db.registrationIdentity.findUnique({ where: { registrationId: reg.id } });
    const imageRef = body.method === 'face' ? body.faceImageRef! : body.documentImageRef!;
    if (existing?.checkedAt && (existing.idNumberHash !== idNumberHash || (existing.faceImageRef ?? existing.documentImageRef) !== imageRef)) {
      throw conflict('IDENTITY_ALREADY_SUBMITTED', 'The identity was already submitted');
    }
    // What the applicant submitted is stored here (keyed hash, birth date, last four, image reference);
    // an unchecked submission may be replaced, a checked one is final.
    const submitted = {
      idNumberHash,
      birthDate,
      idLast4: checked.last4,
      documentType: body.documentType,
      method: body.method,
      faceImageRef: body.method === 'face' ? body.faceImageRef! : null,
      documentImageRef: body.method === 'document_review' ? body.documentImageRef! : null,
    };
    if (!existing?.checkedAt) {
      await deps.db.registrationIdentity.upsert({ where: { registrationId: reg.id }, create: { registrationId: reg.id, ...submitted }, update: submitted });
    }
    await tell(req, res, caseId, submitIdentityUpdate, [{ actor: actingParty(req.principal!) }], `${caseId}:identity:${crypto.createHash('sha256').update(`${idNumberHash}|${imageRef}`).digest('hex').slice(0, 24)}`);
    req.log.info({ caseId, documentType: body.documentType, method: body.method }, 'identity submitted');
    res.json(await present(reg.id));
  };

  const payment = async (req: Request, res: Response) => {
    // 3.2: card numbers are never accepted (nor echoed, nor logged).
    if (looksLikeCardNumber(req.body)) throw badRequest('CARD_NUMBER_NOT_ACCEPTED', 'Card numbers are not accepted: send the payment provider\'s token (pm_tok_…)');
    const { token } = parse(paymentSchema, req.body, 'payment method');
    const { reg, kase } = await load(req);
    if (reg.status === 'approved') {
      // Account settings: an active account binds or replaces its payment method at any time. The case has
      // closed, so no workflow decides; the change and its audit event go in one transaction.
      const replaced = reg.paymentBoundAt !== null;
      await deps.db.$transaction(async (tx) => {
        await tx.registration.update({ where: { id: reg.id }, data: { paymentMethodToken: token, paymentMethodTokenPending: null, paymentBoundAt: new Date() } });
        await appendAuditEvent(tx, { caseId: kase.id, eventKey: `account:payment-method:${crypto.randomUUID()}`, type: replaced ? 'account.payment_method_replaced' : 'account.payment_method_bound', actor: req.principal!.id, at: new Date(), payload: {} });
      });
      return void res.json(await present(reg.id));
    }
    pending(reg);
    if (reg.paymentBoundAt) throw conflict('PAYMENT_METHOD_ALREADY_BOUND', 'A payment method is already bound; once the account is active it can be replaced');
    if (!reg.mobileVerifiedAt || (reg.email && !reg.emailVerifiedAt)) throw conflict('NOT_ALLOWED_AT_THIS_STEP', 'A payment method is bound after the mobile (and e-mail) verification');
    await deps.db.registration.update({ where: { id: reg.id }, data: { paymentMethodTokenPending: token } });
    await tell(req, res, reg.id, bindPaymentMethodUpdate, [{ actor: actingParty(req.principal!) }], `${reg.id}:payment`);
    res.json(await present(reg.id));
  };

  return { present, get, verifyMobile, resendMobile, confirmEmail, resendEmail, notice, consent, identity, payment, realName, guardianCode, guardianAnswer, withdrawConsent, withdrawConsentAction };
}

const built = new WeakMap<ApiDeps, ReturnType<typeof registrationHandlers>>();
const handlersOf = (deps: ApiDeps) => {
  let h = built.get(deps);
  if (!h) built.set(deps, (h = registrationHandlers(deps)));
  return h;
};
type HandlerName = Exclude<keyof ReturnType<typeof registrationHandlers>, 'present'>;
const on = (name: HandlerName) => (deps: ApiDeps, req: Request, res: Response) => handlersOf(deps)[name](req, res);
const usernameTaken = (username: string) => conflict('USERNAME_TAKEN', `The username '${username}' is taken`);
const tag = 'registrations';

export const registrationReviewProcess = defineProcess({
  caseType: REGISTRATION_CASE_TYPE,
  idPrefix: 'REG',
  title: 'Registration review with identity verification',
  policyRefs: '1.1, 1.2, 1.3, 2.1, 2.4, 3.2',
  workflow: registrationReview,
  workflowModule: require.resolve('../workflows/registrationReview'),
  policy: { key: 'registration', schema: registrationPolicySchema, defaults: defaultRegistrationPolicy, version: '2026-11-28.1' },
  tasks: registrationTasks,
  actions: {},
  templates: registrationTemplates,
  describe: (caseId) => `Registration review ${caseId}`,

  open: {
    roles: APPLICANT,
    summary: 'Submit a registration (policy 1.1): mobile, username, password, accepted agreement version; name, e-mail, birth date optional (2021 necessary-information rules); a code goes out by SMS',
    body: openRegistrationBody,
    check: (body: z.infer<typeof openRegistrationBody>) => passwordProblems(body.password, body.username).map((p) => ({ path: 'password', message: `password: ${p}` })),
    onUniqueViolation: (body: z.infer<typeof openRegistrationBody>) => usernameTaken(body.username),
    prepare: async ({ deps, caseId, principal, policy, section, requestedAt }, body: z.infer<typeof openRegistrationBody>) => {
      if (!section.acceptedAgreementVersions.includes(body.agreementVersion)) {
        throw policyRefused('AGREEMENT_VERSION_NOT_ACCEPTED', `Service agreement version ${body.agreementVersion} is not current`, { accepted: section.acceptedAgreementVersions });
      }
      const index = blindIndexerFor(deps.ports.keys);
      const [usernameIndex, mobileIndex] = await Promise.all([index('username', body.username), index('mobile', body.mobile)]);
      if (await deps.db.registration.findFirst({ where: { OR: [{ usernameIndex }, { usernameClear: body.username }] }, select: { id: true } })) throw usernameTaken(body.username);
      // One active account per mobile number (issue 9: SMS abuse and account farming).
      if (await mobileTaken(deps, body.mobile)) throw mobileAlreadyRegistered();
      // PIPL art. 28, 31: a declared age under 14 needs a guardian's consent before anything is processed.
      const age = body.birthDate ? ageOn(body.birthDate, localDate(requestedAt, policy.calendar.timeZone)) : null;
      if (age !== null && age < 0) throw badRequest('VALIDATION_FAILED', 'birthDate: not in the future', [{ path: 'birthDate', message: 'a birth date in the past' }]);
      // A child under 14 registers through the guardian step, which the case waits for first; a consent the
      // storefront asserts (guardianConsent) is no guardian's consent and is ignored.
      const guardianRequired = age !== null && minorStatus(age, section.minors) === 'child_needs_guardian';
      // Real-name verification by ID: of everyone only when the policy 1.2 setting is on; otherwise only for a
      // feature that needs it (PIPL art. 6; 2021 necessary-information rules).
      if (body.realNameFor && !section.realName.requiredFor.includes(body.realNameFor)) {
        throw policyRefused('REAL_NAME_NOT_REQUIRED', `${body.realNameFor} does not need real-name verification under the policy in force`, { requiredFor: section.realName.requiredFor });
      }
      const realName: RealNameReason | null = section.realName.atRegistration ? 'policy' : body.realNameFor ?? null;
      // Daily SMS caps: the first code goes out when the case starts.
      await takeSmsCaps(deps, section, policy.calendar.timeZone, body.mobile, body.clientAddress);
      const passwordHash = await hashPassword(body.password);
      const userRef = `usr_${crypto.randomUUID().replace(/-/g, '')}`;
      const input: RegistrationCaseInput = {
        caseId,
        userRef,
        policy: { version: policy.version, calendar: policy.calendar, registration: section },
        openedBy: principal.id,
        agreementVersion: body.agreementVersion,
        requestedAt: requestedAt.toISOString(),
        emailGiven: body.email !== undefined,
        realName,
        ...(guardianRequired && { guardianRequired: true }),
      };
      const locale = body.locale ?? 'zh-CN';
      return {
        input,
        row: { customerId: userRef, merchantId: null, summary: { agreementVersion: body.agreementVersion, requestedAt: input.requestedAt } },
        contact: { customerId: userRef, ...(body.email && { email: body.email }), locale },
        // The applicant is a data subject named by the account's user ref (lib/subjects.ts), whatever becomes of it.
        customerRef: 'account',
        // The personal data lives here, where it can be corrected and erased (2.4).
        // Sealed with the applicant's key (policy 1.3); the username and the mobile found again by their blind indexes.
        writes: async (tx, { subjectId }) => {
          const [usernameSealed, fullName, mobileSealed, email, declaredBirthDate] = await sealerFor(deps.db, deps.ports.keys).sealAll(subjectId, [body.username, body.name, body.mobile, body.email, body.birthDate], tx);
          await tx.registration.create({
            data: {
              id: caseId, userRef, subjectId, status: 'pending', usernameSealed, usernameIndex, fullName, mobileSealed, mobileIndex,
              email, locale, passwordHash,
              agreementVersion: body.agreementVersion, declaredBirthDate, realNameReason: realName,
            },
          });
        },
      };
    },
  },

  // A real-name verification case presents the registration of the account it verifies.
  present: async (deps, c) => ({ registration: await handlersOf(deps).present(((c.summary as { registrationId?: string }).registrationId) ?? c.id) }),
  presentSchema: z.object({ registration: registrationSchema }),

  // Each names its case by :registrationId (a registration's id is its case's id): out of a principal's scopes, 404.
  routes: ([
    { id: 'getRegistration', tag, method: 'get', path: P, roles: READERS, summary: 'Registration status: step, verifications, attempts left, deadlines (contact data masked)', success: { status: 200, description: 'The registration', schema: registrationSchema }, errors: [404], handler: on('get') },
    { id: 'verifyRegistrationMobile', tag, method: 'post', path: `${P}/mobile/verify`, roles: APPLICANT, body: codeSchema, summary: 'Submit the 6-digit SMS code (1.2)', success: { status: 200, description: 'Mobile number verified', schema: registrationSchema }, errors: [400, 404, 409, 410, 422, 423], handler: on('verifyMobile') },
    { id: 'resendRegistrationMobileCode', tag, method: 'post', path: `${P}/mobile/resend`, roles: APPLICANT, body: resendSchema, summary: 'Send a new SMS code (cooldown; not while locked; daily caps per mobile number and client address)', success: { status: 200, description: 'A new code was sent', schema: registrationWithSent }, errors: [400, 404, 409, 423, 429], handler: on('resendMobile') },
    { id: 'confirmRegistrationEmail', tag, method: 'post', path: `${P}/email/confirm`, roles: APPLICANT, body: tokenSchema, summary: 'Confirm the e-mail address with the token from the signed link (1.2)', success: { status: 200, description: 'E-mail address verified', schema: registrationSchema }, errors: [400, 404, 409, 410, 422], handler: on('confirmEmail') },
    { id: 'resendRegistrationEmailLink', tag, method: 'post', path: `${P}/email/resend`, roles: APPLICANT, body: emptySchema, summary: 'Send a new verification link (cooldown)', success: { status: 200, description: 'A new link was sent', schema: registrationWithSent }, errors: [400, 404, 409, 429], handler: on('resendEmail') },
    { id: 'getRegistrationConsentNotice', tag, method: 'get', path: `${P}/consents/notice`, roles: READERS, query: noticeQuery, summary: 'The notice shown before a separate consent (PIPL art. 17, 30): why, and what refusing affects; its SHA-256 and the privacy policy in force', success: { status: 200, description: 'The notice', schema: noticeAnswerSchema }, errors: [400, 404], handler: on('notice') },
    { id: 'recordRegistrationConsent', tag, method: 'post', path: `${P}/consents`, roles: APPLICANT, body: consentSchema, summary: 'Record a separate consent (ID number, face image, or a guardian\'s for a child under 14; PIPL art. 29-31)', success: { status: 201, description: 'Consent recorded', schema: registrationSchema }, errors: [400, 404, 409, 422], handler: on('consent') },
    { id: 'withdrawRegistrationConsent', tag, method: 'post', path: `${P}/consents/:purpose/withdraw`, roles: WITHDRAWERS, body: emptySchema, summary: 'Withdraw a separate consent (PIPL art. 15): id_number, face_image or guardian. The processing that needed it stops, the data it covered is erased unless a law requires keeping it; the answer names what was erased and what is kept, why and until when', success: { status: 200, description: 'Consent withdrawn', schema: consentWithdrawalSchema }, errors: [400, 404, 409, 503], handler: on('withdrawConsent') },
    { id: 'submitRegistrationIdentity', tag, method: 'post', path: `${P}/identity`, roles: APPLICANT, body: identitySchema, summary: 'Real-name verification (1.2), when asked: an identity document (resident ID, Hong Kong/Macau/Taiwan residence permit, permanent-residence ID) with the face match, or a document photo reviewed by staff', success: { status: 200, description: 'Identity submitted; face match and risk checks done', schema: registrationSchema }, errors: [400, 404, 409, 422], handler: on('identity') },
    { id: 'registrationRealNameForFeature', tag, method: 'post', path: `${P}/real-name`, roles: APPLICANT, body: realNameSchema, summary: 'Before a feature is used: does it need real-name verification (policy configuration), and is it done? If not, a verification case opens for the active account (201)', success: { status: 200, description: 'Not required, or already verified, or already under way', schema: realNameAnswerSchema }, otherResponses: [{ status: 201, description: 'A verification case was opened for the account (Location: the case)', schema: realNameAnswerSchema, headers: ['Location'] }], errors: [400, 404, 409], handler: on('realName') },
    { id: 'requestRegistrationGuardianCode', tag, method: 'post', path: `${P}/guardian/code`, roles: APPLICANT, body: guardianCodeSchema, summary: 'The guardian step of a child under 14 (PIPL art. 31): a one-time code to the guardian\'s own mobile (cooldown, daily caps, a new number replaces the last)', success: { status: 200, description: 'A code was sent to the guardian', schema: registrationWithSent }, errors: [400, 404, 409, 422, 423, 429], handler: on('guardianCode') },
    { id: 'answerRegistrationGuardian', tag, method: 'post', path: `${P}/guardian/consent`, roles: APPLICANT, body: guardianAnswerSchema, summary: 'The guardian\'s answer with the code: a consent from an adult guardian (a real-name verified account holding that mobile, or a real-name check with the guardian\'s own consent; PIPL art. 29, 31), the relation declared; or a refusal, which refuses the registration and erases the child\'s data', success: { status: 200, description: 'The guardian answered', schema: registrationSchema }, errors: [400, 404, 409, 410, 422, 423], handler: on('guardianAnswer') },
    { id: 'bindRegistrationPaymentMethod', tag, method: 'post', path: `${P}/payment-method`, roles: APPLICANT, body: paymentSchema, summary: 'Bind a payment method by its provider token; card numbers are refused (3.2)', success: { status: 200, description: 'Payment method bound', schema: registrationSchema }, errors: [400, 404, 409], handler: on('payment') },
  ] satisfies ProcessRoute[])
    .map((r): ProcessRoute => ({ ...r, caseParam: 'registrationId' }))
    .concat([
      // The same withdrawal as an action on the case (the registration's, or its account's real-name verification).
      { id: 'withdrawConsentOnCase', tag, method: 'post', path: '/v1/cases/:caseId/actions/withdraw-consent', roles: WITHDRAWERS, body: withdrawActionBody, summary: 'Withdraw a separate consent on a registration case (PIPL art. 15): as POST /v1/registrations/{id}/consents/{purpose}/withdraw', success: { status: 200, description: 'Consent withdrawn', schema: consentWithdrawalSchema }, errors: [400, 404, 409, 503], handler: on('withdrawConsentAction') },
    ]),

  activities: (deps) => ({ ...createRegistrationActivities(deps) }),
});
