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
  registrationSecret,
  verifyEmailToken,
} from '../activities/registration';
import { isUniqueViolation } from '../lib/db';
import { durationMs } from '../policy/durations';
import { checkIdNumber } from '../policy/idNumber';
import {
  defaultRegistrationPolicy,
  looksLikeCardNumber,
  passwordProblems,
  registrationTasks,
  type RegistrationPolicy,
  type RegistrationRiskFlag,
} from '../policy/registration';
import { mainlandMobileSchema, paymentMethodTokenSchema, registrationPolicySchema, usernameSchema } from '../policy/registration.schemas';
import {
  REGISTRATION_CASE_TYPE,
  RegistrationErrors,
  bindPaymentMethodUpdate,
  confirmEmailUpdate,
  registrationReview,
  resendEmailLinkUpdate,
  resendMobileCodeUpdate,
  submitIdentityUpdate,
  submitMobileCodeUpdate,
  type RegistrationCaseInput,
} from '../workflows/registrationReview';
import { appendAuditEvent } from '../activities/audit';
import { actingParty } from '../api/authz';
import type { ApiDeps } from '../api/deps';
import { workflowUiLink } from '../api/deps';
import { ApiError, badRequest, conflict, fromUpdateFailure, notFound, policyRefused, zodIssues } from '../api/errors';
import { defineProcess } from './types';
import { registrationTemplates } from './registrationReview.templates';

export const openRegistrationBody = z
  .object({
    name: z.string().trim().min(1).max(50),
    mobile: mainlandMobileSchema,
    email: z.email().max(254),
    username: usernameSchema,
    password: z.string().min(1).max(256),
    agreementVersion: z.string().regex(/^[\w.-]{1,32}$/, 'the service-agreement version the applicant accepted'),
    locale: z.enum(['zh-CN', 'en']).optional(),
  })
  .strict();

const codeSchema = z.object({ code: z.string().regex(/^\d{6}$/, 'the 6-digit code from the SMS') }).strict();
const tokenSchema = z.object({ token: z.string().min(1).max(600) }).strict();
const emptySchema = z.object({}).strict();
const identitySchema = z
  .object({
    idNumber: z.string().max(32).superRefine((v, ctx) => {
      const r = checkIdNumber(v);
      if (!r.valid) ctx.addIssue({ code: 'custom', message: `idNumber (${r.problem}): ${r.message}` });
    }),
    faceImageRef: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a reference to the uploaded face image'),
  })
  .strict();
const paymentSchema = z.object({ token: paymentMethodTokenSchema }).strict();

const P = '/v1/registrations/:registrationId';
/** The storefront acts for the applicant; staff and auditors read. */
const APPLICANT = ['storefront'] as const;
const READERS = ['storefront', 'agent', 'supervisor', 'auditor', 'admin'] as const;

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

/** The registration's handlers for one set of API deps (built once per app). */
function registrationHandlers(deps: ApiDeps) {
  // The face verifier and the secret come from the composition root (lib/ports.ts, lib/config.ts) through deps.
  const faces = () => {
    if (!deps.ports?.faces) throw new Error('No face verifier: pass ports.faces (from createPorts()) in the API deps');
    return deps.ports.faces;
  };
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
        }
      }
      throw fromUpdateFailure(err) ?? err;
    }
  }

  async function present(id: string) {
    const [reg, kase, ch, identity] = await Promise.all([
      deps.db.registration.findUniqueOrThrow({ where: { id } }),
      deps.db.case.findUniqueOrThrow({ where: { id } }),
      latestChallenge(id),
      deps.db.registrationIdentity.findUnique({ where: { registrationId: id } }),
    ]);
    const input = (kase.summary as any).workflowInput as RegistrationCaseInput;
    const rules = input.policy.registration;
    const cooldownMs = durationMs(rules.mobileCode.resendCooldown, input.policy.calendar);
    const now = Date.now();
    return {
      registrationId: reg.id,
      caseId: kase.id,
      userRef: reg.userRef,
      status: reg.status,
      step: kase.step,
      outcome: kase.outcome,
      reasonCode: reg.reasonCode,
      username: reg.username,
      mobile: mask(reg.mobile, 'mobile'),
      email: mask(reg.email, 'email'),
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
        email: { verified: reg.emailVerifiedAt !== null },
        identity: { submitted: identity !== null || reg.identitySubmittedAt !== null, faceResult: identity?.faceResult ?? null, underReview: kase.step === 'manual_review' },
        paymentMethod: { policy: rules.paymentMethod, bound: reg.paymentBoundAt !== null },
      },
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
    const ch = await latestChallenge(reg.id);
    if (!ch) throw conflict('NO_CODE_SENT', 'No code has been sent yet');
    // Only the code's HMAC, bound to its challenge, reaches the workflow.
    const codeMac = hashMobileCode(secret(), ch.id, code);
    await tell(req, res, reg.id, submitMobileCodeUpdate, [{ actor: actingParty(req.principal!), seq: ch.seq, codeMac }]);
    res.json(await present(reg.id));
  };

  const resendMobile = async (req: Request, res: Response) => {
    parse(emptySchema, req.body, 'body');
    const { reg } = await load(req);
    pending(reg);
    const ch = await latestChallenge(reg.id);
    const sent = await tell(req, res, reg.id, resendMobileCodeUpdate, [{ actor: actingParty(req.principal!) }], `${reg.id}:resendMobile:${(ch?.seq ?? 0) + 1}`);
    res.json({ ...(await present(reg.id)), sent });
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

  const identity = async (req: Request, res: Response) => {
    const body = parse(identitySchema, req.body, 'identity');
    const { reg } = await load(req);
    pending(reg);
    const checked = checkIdNumber(body.idNumber);
    if (!checked.valid) throw badRequest('VALIDATION_FAILED', checked.message);
    const idNumberHash = hashIdNumber(secret(), checked.normalized);
    // Nothing is stored for a step the case is not at (read from the read model; the workflow decides again).
    if (!reg.emailVerifiedAt) throw conflict('NOT_ALLOWED_AT_THIS_STEP', 'Verify the mobile number and the e-mail address first');
    const existing = await deps.db.registrationIdentity.findUnique({ where: { registrationId: reg.id } });
    if (existing?.checkedAt && (existing.idNumberHash !== idNumberHash || existing.faceImageRef !== body.faceImageRef)) {
      throw conflict('IDENTITY_ALREADY_SUBMITTED', 'The identity was already submitted');
    }
    // What the applicant submitted is stored here (keyed hash, birth date, last four, image reference);
    // an unchecked submission may be replaced, a checked one is final.
    const submitted = { idNumberHash, birthDate: checked.birthDate, idLast4: checked.last4, faceImageRef: body.faceImageRef };
    if (!existing?.checkedAt) {
      await deps.db.registrationIdentity.upsert({ where: { registrationId: reg.id }, create: { registrationId: reg.id, ...submitted }, update: submitted });
    }
    await tell(req, res, reg.id, submitIdentityUpdate, [{ actor: actingParty(req.principal!) }], `${reg.id}:identity:${crypto.createHash('sha256').update(`${idNumberHash}|${body.faceImageRef}`).digest('hex').slice(0, 24)}`);
    req.log.info({ caseId: reg.id }, 'identity submitted');
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
    if (!reg.emailVerifiedAt) throw conflict('NOT_ALLOWED_AT_THIS_STEP', 'A payment method is bound after the e-mail verification');
    await deps.db.registration.update({ where: { id: reg.id }, data: { paymentMethodTokenPending: token } });
    await tell(req, res, reg.id, bindPaymentMethodUpdate, [{ actor: actingParty(req.principal!) }], `${reg.id}:payment`);
    res.json(await present(reg.id));
  };

  return { present, get, verifyMobile, resendMobile, confirmEmail, resendEmail, identity, payment };
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
  policy: { key: 'registration', schema: registrationPolicySchema, defaults: defaultRegistrationPolicy, version: '2026-11-27.1' },
  tasks: registrationTasks,
  actions: {},
  templates: registrationTemplates,
  describe: (caseId) => `Registration review ${caseId}`,

  open: {
    roles: APPLICANT,
    summary: 'Submit a registration (policy 1.1): name, mobile, e-mail, username, password, accepted agreement version; a code goes out by SMS',
    body: openRegistrationBody,
    check: (body: z.infer<typeof openRegistrationBody>) => passwordProblems(body.password, body.username).map((p) => ({ path: 'password', message: `password: ${p}` })),
    onUniqueViolation: (body: z.infer<typeof openRegistrationBody>) => usernameTaken(body.username),
    prepare: async ({ deps, caseId, principal, policy, section, requestedAt }, body: z.infer<typeof openRegistrationBody>) => {
      if (!section.acceptedAgreementVersions.includes(body.agreementVersion)) {
        throw policyRefused('AGREEMENT_VERSION_NOT_ACCEPTED', `Service agreement version ${body.agreementVersion} is not current`, { accepted: section.acceptedAgreementVersions });
      }
      if (await deps.db.registration.findUnique({ where: { username: body.username } })) throw usernameTaken(body.username);
      const passwordHash = await hashPassword(body.password);
      const userRef = `usr_${crypto.randomUUID().replace(/-/g, '')}`;
      const input: RegistrationCaseInput = {
        caseId,
        userRef,
        policy: { version: policy.version, calendar: policy.calendar, registration: section },
        openedBy: principal.id,
        agreementVersion: body.agreementVersion,
        requestedAt: requestedAt.toISOString(),
      };
      const locale = body.locale ?? 'zh-CN';
      return {
        input,
        row: { customerId: userRef, merchantId: null, summary: { agreementVersion: body.agreementVersion, requestedAt: input.requestedAt } },
        contact: { customerId: userRef, email: body.email, locale },
        // The personal data lives here, where it can be corrected and erased (2.4).
        writes: async (tx) => {
          await tx.registration.create({
            data: { id: caseId, userRef, status: 'pending', username: body.username, fullName: body.name, mobile: body.mobile, email: body.email, locale, passwordHash, agreementVersion: body.agreementVersion },
          });
        },
      };
    },
  },

  present: async (deps, c) => ({ registration: await handlersOf(deps).present(c.id) }),

  routes: [
    { id: 'getRegistration', tag, method: 'get', path: P, roles: READERS, summary: 'Registration status: step, verifications, attempts left, deadlines (contact data masked)', success: { status: 200, description: 'The registration' }, errors: [404], handler: on('get') },
    { id: 'verifyRegistrationMobile', tag, method: 'post', path: `${P}/mobile/verify`, roles: APPLICANT, body: codeSchema, summary: 'Submit the 6-digit SMS code (1.2)', success: { status: 200, description: 'Mobile number verified' }, errors: [400, 404, 409, 410, 422, 423], handler: on('verifyMobile') },
    { id: 'resendRegistrationMobileCode', tag, method: 'post', path: `${P}/mobile/resend`, roles: APPLICANT, body: emptySchema, summary: 'Send a new SMS code (cooldown; not while locked)', success: { status: 200, description: 'A new code was sent' }, errors: [400, 404, 409, 423, 429], handler: on('resendMobile') },
    { id: 'confirmRegistrationEmail', tag, method: 'post', path: `${P}/email/confirm`, roles: APPLICANT, body: tokenSchema, summary: 'Confirm the e-mail address with the token from the signed link (1.2)', success: { status: 200, description: 'E-mail address verified' }, errors: [400, 404, 409, 410, 422], handler: on('confirmEmail') },
    { id: 'resendRegistrationEmailLink', tag, method: 'post', path: `${P}/email/resend`, roles: APPLICANT, body: emptySchema, summary: 'Send a new verification link (cooldown)', success: { status: 200, description: 'A new link was sent' }, errors: [400, 404, 409, 429], handler: on('resendEmail') },
    { id: 'submitRegistrationIdentity', tag, method: 'post', path: `${P}/identity`, roles: APPLICANT, body: identitySchema, summary: 'Real-name verification (1.2): resident ID number (GB 11643) and face image reference', success: { status: 200, description: 'Identity submitted; face match and risk checks done' }, errors: [400, 404, 409], handler: on('identity') },
    { id: 'bindRegistrationPaymentMethod', tag, method: 'post', path: `${P}/payment-method`, roles: APPLICANT, body: paymentSchema, summary: 'Bind a payment method by its provider token; card numbers are refused (3.2)', success: { status: 200, description: 'Payment method bound' }, errors: [400, 404, 409], handler: on('payment') },
  ],

  activities: (deps) => ({ ...createRegistrationActivities(deps) }),
});
