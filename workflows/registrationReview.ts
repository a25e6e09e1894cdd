// Policy 1.1 / 1.2 / 1.3: registration review with identity verification, as the law under the policy asks.
// The applicant verifies the mobile number (the necessary information), the e-mail address if given, and the
// real name only when the policy setting or a feature asks for it (and binds a payment method where the policy
// requires it) by one deadline; an uncertain or failed face match, a document review or a risk flag goes to a
// person (PIPL art. 24). Approval activates the account (flagged for minor safeguards under 18); rejection
// erases the data after the retention, abandonment at once (2.1, 2.4; PIPL art. 19, 47). The same workflow
// verifies an active account's real name later, when a feature asks for it.
// A child under 14 (declared) waits first for the guardian step (PIPL art. 31; 未成年人保护法 art. 72): a code to the
// guardian's mobile, the answer of an adult guardian, under the policy's guardianConsent deadline.
// The workflow carries the registration id and enums only; codes, links and personal data stay in PostgreSQL.
import { allHandlersFinished, defineUpdate, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { RegistrationActivities } from '../activities/registration';
import { dayPeriodEndsAt, type BusinessCalendar } from '../policy/businessCalendar';
import { durationMs } from '../policy/durations';
import {
  defaultRegistrationPolicy,
  type FaceResult,
  type RealNameReason,
  registrationTasks,
  type IdentityReviewDecision,
  type RegistrationPolicy,
  type RegistrationRejectionReason,
  type RegistrationRiskFlag,
} from '../policy/registration';
import { CANCELLERS, CaseKit, failure, refuse } from './caseKit';
import { CaseErrors, cancelCaseUpdate, type ActionResult, type Actor } from './definitions';
import { GUARDIAN_STEP_PATCH, LAWFUL_REGISTRATION_PATCH, REAL_NAME_LATER_PATCH, RETENTION_BY_SCHEDULE_PATCH } from './patches';

export const REGISTRATION_CASE_TYPE = 'registration';

// The process's own short writes: local activities for cases with local writes (CaseKit.localWrites), else queued.
const registrationQueued = proxyActivities<RegistrationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// Not bounded (patch local-steps-bounded bounds the kit's own writes): some of these call a port (SMS, face check,
// carrier) whose one call may take longer than LOCAL_STEP_BOUND.
const registrationLocal = proxyLocalActivities<RegistrationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The policy a registration carries: the document's version, the calendar and this process's section. */
export interface RegistrationCasePolicy {
  version: string;
  calendar: BusinessCalendar;
  registration: RegistrationPolicy;
}

export interface RegistrationCaseInput {
  /** The case id = the workflow id = the registration id. */
  caseId: string;
  /** The account id the applicant gets on approval (also the case's customer id). */
  userRef: string;
  policy: RegistrationCasePolicy;
  openedBy: string;
  /** The version of the service agreement the applicant accepted (1.1). */
  agreementVersion: string;
  requestedAt: string;
  /**
   * Only the necessary information (2021 necessary-information rules, online shopping: the mobile number):
   * false when the applicant gave no e-mail address, so there is nothing to verify. Absent: as before (true).
   */
  emailGiven?: boolean;
  /**
   * Why the registration asks for real-name verification by ID now (policy 1.2 setting, or a feature the
   * applicant wants, e.g. a merchant account); null: not asked (PIPL art. 6). Absent: as before (asked).
   */
  realName?: RealNameReason | null;
  /**
   * 'real_name': an active account verifies its real name later, when it uses a feature that asks for it
   * (`realName` names the feature); the case verifies the identity of `registrationId`'s account only.
   */
  purpose?: 'registration' | 'real_name';
  registrationId?: string;
  /**
   * The applicant declared an age under 14 (PIPL art. 31): the registration waits for the guardian step first (a
   * code to the guardian's mobile, an adult guardian, the relation declared, the consent). Absent: no guardian step.
   */
  guardianRequired?: boolean;
}

export type RegistrationOutcome = 'approved' | 'rejected' | 'abandoned' | 'cancelled';
export interface RegistrationResult {
  outcome: RegistrationOutcome;
  reasonCode?: RegistrationRejectionReason;
}

/** Error types of this workflow's updates (besides CaseErrors); the API maps them to HTTP answers. */
export const RegistrationErrors = {
  ResendTooSoon: 'ResendTooSoon', // 429, details.retryAfterMs
  CodeInvalid: 'CodeInvalid', // 422, details.attemptsLeft
  CodeExpired: 'CodeExpired', // 410, details.expiredAt
  StepLocked: 'StepLocked', // 423, details.lockedUntil
  NoCodeSent: 'NoCodeSent', // 409
  AlreadyVerified: 'AlreadyVerified', // 409
  GuardianAlreadyAnswered: 'GuardianAlreadyAnswered', // 409
  GuardianMobileNotVerified: 'GuardianMobileNotVerified', // 409
  GuardianNotAdult: 'GuardianNotAdult', // 422
  GuardianNotVerified: 'GuardianNotVerified', // 422
} as const;

export interface IdentityFacts {
  /** 'not_checked': the applicant chose a document reviewed by staff instead of the face match. */
  faceResult: FaceResult | 'not_checked';
  riskFlag: RegistrationRiskFlag;
}

/**
 * Registrations from this patch on follow the law where the policy text asks more (PIPL art. 6, 24, 28-31;
 * 2021 necessary-information rules): the e-mail and the real-name steps only when needed, a failed face match
 * goes to a person, a child without a guardian's consent is refused, rejected data is erased after retention.
 */
export { LAWFUL_REGISTRATION_PATCH };
/** Real-name verification of an active account when a feature asks for it (a case of its own, same workflow). */
export { REAL_NAME_LATER_PATCH };
/**
 * A child under 14 (declared) registers only after the guardian step (PIPL art. 31; 未成年人保护法 art. 72): a code to
 * the guardian's mobile, an adult guardian (a verified account or a real-name check), the relation, the consent
 * recorded; a lapse or a refusal refuses the registration and erases the child's data at once.
 */
export { GUARDIAN_STEP_PATCH };

// The applicant's steps (through the storefront). The workflow decides each one; the read model follows.
/** A submitted SMS code, as its HMAC bound to the challenge (the code never enters the history). */
export const submitMobileCodeUpdate = defineUpdate<ActionResult, [{ actor: Actor; seq: number; codeMac: string }]>('submitMobileCode');
export const resendMobileCodeUpdate = defineUpdate<{ seq: number; expiresAt: string }, [{ actor: Actor }]>('resendMobileCode');
/** The signed link's token was checked at the API edge; `seq` names the link. */
export const confirmEmailUpdate = defineUpdate<ActionResult, [{ actor: Actor; seq: number }]>('confirmEmail');
export const resendEmailLinkUpdate = defineUpdate<{ seq: number; expiresAt: string }, [{ actor: Actor }]>('resendEmailLink');
/** The identity the applicant submitted (stored by the API) is checked now: face match and risk flag. */
export const submitIdentityUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>('submitIdentity');
/**
 * PIPL art. 31: the ID shows a child under 14 and no guardian has consented. The API stored nothing of the
 * ID; the registration is refused with that reason and what was collected is erased at once.
 */
export const guardianConsentMissingUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>('guardianConsentMissing');
/** The guardian step: a code to the guardian's mobile (the number the API stored); first request or a new one. */
export const requestGuardianCodeUpdate = defineUpdate<{ seq: number; expiresAt: string }, [{ actor: Actor }]>('requestGuardianCode');
/** The guardian's code, as its HMAC bound to the challenge (the code never enters the history). */
export const submitGuardianCodeUpdate = defineUpdate<ActionResult, [{ actor: Actor; seq: number; codeMac: string }]>('submitGuardianCode');
/**
 * The guardian's answer, once the guardian's mobile is verified: a consent counts only from an adult guardian
 * (checked against PostgreSQL, where the guardian's data is); a refusal refuses the registration.
 */
export const guardianAnswerUpdate = defineUpdate<ActionResult, [{ actor: Actor; decision: 'consent' | 'refuse' }]>('guardianAnswer');
/** The payment-method token the applicant submitted (stored by the API) is bound (never card data, 3.2). */
export const bindPaymentMethodUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>('bindPaymentMethod');

/**
 * @deprecated The API decided these before the workflow did; they stay registered so that cases which
 * received them replay, and refuse every new call.
 */
export const mobileVerifiedUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>('mobileVerified');
/** @deprecated See mobileVerifiedUpdate. */
export const emailVerifiedUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>('emailVerified');
/** @deprecated See mobileVerifiedUpdate. */
export const identitySubmittedUpdate = defineUpdate<ActionResult, [{ actor: Actor } & IdentityFacts]>('identitySubmitted');
/** @deprecated See mobileVerifiedUpdate. */
export const paymentBoundUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>('paymentBound');

type Awaiting = 'guardian' | 'mobile' | 'email' | 'identity' | 'payment' | null;

export async function registrationReview(input: RegistrationCaseInput): Promise<RegistrationResult> {
  const rules = input.policy.registration;
  const kase = new CaseKit(input.caseId, REGISTRATION_CASE_TYPE, input.policy, undefined, registrationTasks);
  const lawful = patched(LAWFUL_REGISTRATION_PATCH);
  // 2021 necessary-information rules: the e-mail step only for a given address, the ID step only when asked.
  const emailStep = !lawful || input.emailGiven !== false;
  const identityStep = !lawful || input.realName !== null;
  const registration = kase.afterWrites(kase.localWrites ? registrationLocal : registrationQueued);
  const applicant = { kind: 'customer' as const, id: input.userRef };
  // Later real-name verification: the identity step alone, for the account of an approved registration.
  const later = input.purpose === 'real_name' && patched(REAL_NAME_LATER_PATCH);
  const ids = { caseId: input.caseId, registrationId: later ? input.registrationId! : input.caseId };
  const ms = (d: Parameters<typeof durationMs>[0]) => durationMs(d, input.policy.calendar);
  // PIPL art. 31: a child under 14 (declared) waits for the guardian step before anything else.
  const guardianStep = lawful && !later && input.guardianRequired === true && patched(GUARDIAN_STEP_PATCH);

  let awaiting: Awaiting = null;
  let mobileVerified = false;
  let emailVerified = false;
  let paymentBound = false;
  let identity: IdentityFacts | undefined;
  let cancelled = false;
  let childWithoutGuardian = false;
  let decided = false; // from here on the applicant can no longer withdraw
  const sent = { mobile: { seq: 0, at: 0 }, email: { seq: 0, at: 0 }, guardian: { seq: 0, at: 0 } };
  let guardianMobileVerified = false;
  let guardianAnswer: { decision: 'consented' | 'refused'; actor: string } | null = null;
  let guardianLockedUntilMs = 0;

  const sendMobileCode = async () => {
    const seq = ++sent.mobile.seq;
    sent.mobile.at = Date.now();
    const r = await registration.sendMobileCode({ ...ids, seq, ttlMs: ms(rules.mobileCode.ttl), maxAttempts: rules.mobileCode.maxAttempts, at: new Date().toISOString() });
    await kase.record('registration.mobile_code_sent', { seq, expiresAt: r.expiresAt });
    return { seq, expiresAt: r.expiresAt };
  };
  const sendEmailLink = async () => {
    const seq = ++sent.email.seq;
    sent.email.at = Date.now();
    const r = await registration.sendEmailVerification({ ...ids, userRef: input.userRef, seq, ttlMs: ms(rules.emailLink.ttl), at: new Date().toISOString(), eventKey: `${input.caseId}:email-link:${seq}` });
    await kase.record('registration.email_link_sent', { seq, expiresAt: r.expiresAt });
    return { seq, expiresAt: r.expiresAt };
  };
  const open = () => {
    if (kase.view.status === 'closed' || cancelled) refuse(CaseErrors.NotAllowedNow, `The registration is already closed (${kase.view.outcome ?? 'cancelled'})`);
  };
  const expectStep = (step: Awaiting, what: string) => {
    open();
    if (awaiting !== step) refuse(CaseErrors.NotAllowedNow, `The registration is not waiting for ${what} (step: ${kase.view.step})`);
  };
  const cooldown = (channel: 'mobile' | 'email' | 'guardian', within: Parameters<typeof durationMs>[0]) => {
    const waitMs = sent[channel].at + ms(within) - Date.now();
    if (waitMs > 0) refuse(RegistrationErrors.ResendTooSoon, `A new ${channel === 'email' ? 'link' : 'code'} can be sent in ${Math.ceil(waitMs / 1000)} s`, { retryAfterMs: waitMs });
  };

  const applicantOnly = (actor: Actor | undefined) => {
    if (!actor?.id) refuse(CaseErrors.InvalidPayload, 'actor is required');
    if (actor.role !== 'storefront') refuse(CaseErrors.Forbidden, `The applicant's steps come through the storefront, not a ${actor.role}`);
  };
  let lockedUntilMs = 0; // the mobile step's lock, as the last code check reported it
  let identityChecking = false;
  const notLocked = () => {
    if (lockedUntilMs > Date.now()) refuse(RegistrationErrors.StepLocked, 'Too many wrong codes: the mobile verification is locked', { lockedUntil: new Date(lockedUntilMs).toISOString() });
  };

  // 1.2 mobile: the code's check (attempts, expiry, lock) and the verification happen in one activity.
  setHandler(submitMobileCodeUpdate, kase.answering(async ({ actor, seq, codeMac }) => {
    const check = await registration.checkMobileCode({ ...ids, challengeId: `${input.caseId}:sms:${seq}`, codeMac, lockoutMs: ms(rules.mobileCode.lockout), at: new Date().toISOString() });
    switch (check.result) {
      case 'verified':
        if (!mobileVerified) {
          mobileVerified = true;
          await kase.record('registration.mobile_verified', {}, { actor: actor.id });
        }
        return { step: kase.view.step };
      case 'invalid':
        throw failure(RegistrationErrors.CodeInvalid, 'The code is wrong', { attemptsLeft: check.attemptsLeft });
      case 'expired':
        throw failure(RegistrationErrors.CodeExpired, 'The code has expired: request a new one', { expiredAt: check.expiredAt });
      case 'locked':
        lockedUntilMs = check.lockedUntil ? Date.parse(check.lockedUntil) : lockedUntilMs;
        throw failure(RegistrationErrors.StepLocked, check.lockedUntil ? 'Too many wrong codes: the mobile verification is locked' : 'Too many wrong codes for this code: request a new one', { lockedUntil: check.lockedUntil });
      default:
        throw failure(RegistrationErrors.NoCodeSent, 'No code has been sent yet');
    }
  }), {
    validator: ({ actor, seq, codeMac }) => {
      applicantOnly(actor);
      open();
      if (mobileVerified) refuse(RegistrationErrors.AlreadyVerified, 'The mobile number is already verified');
      expectStep('mobile', 'a mobile code');
      if (sent.mobile.seq === 0) refuse(RegistrationErrors.NoCodeSent, 'No code has been sent yet');
      if (seq !== sent.mobile.seq || !/^[0-9a-f]{64}$/.test(codeMac ?? '')) refuse(CaseErrors.InvalidPayload, `The code must answer the latest challenge (${sent.mobile.seq})`);
      notLocked();
    },
  });
  setHandler(resendMobileCodeUpdate, kase.answering(async (_args) => sendMobileCode()), {
    validator: ({ actor }) => {
      applicantOnly(actor);
      open();
      if (mobileVerified) refuse(RegistrationErrors.AlreadyVerified, 'The mobile number is already verified');
      expectStep('mobile', 'a mobile code');
      notLocked();
      cooldown('mobile', rules.mobileCode.resendCooldown);
    },
  });
  // The guardian step (PIPL art. 31; 未成年人保护法 art. 72): the guardian's mobile gets a code, checked by the same
  // machinery as the applicant's (HMAC, attempts, expiry, lock); then the guardian answers.
  const sendGuardianCode = async () => {
    const seq = ++sent.guardian.seq;
    sent.guardian.at = Date.now();
    const r = await registration.sendGuardianCode({ ...ids, seq, ttlMs: ms(rules.mobileCode.ttl), maxAttempts: rules.mobileCode.maxAttempts, at: new Date().toISOString() });
    await kase.record('registration.guardian_code_sent', { seq, expiresAt: r.expiresAt });
    return { seq, expiresAt: r.expiresAt };
  };
  const guardianOpen = () => {
    open();
    if (guardianAnswer) refuse(RegistrationErrors.GuardianAlreadyAnswered, `The guardian has already ${guardianAnswer.decision}`);
    expectStep('guardian', "the guardian's consent");
  };
  const guardianNotLocked = () => {
    if (guardianLockedUntilMs > Date.now()) refuse(RegistrationErrors.StepLocked, "Too many wrong codes: the guardian's verification is locked", { lockedUntil: new Date(guardianLockedUntilMs).toISOString() });
  };
  setHandler(requestGuardianCodeUpdate, kase.answering(async (_args) => sendGuardianCode()), {
    validator: ({ actor }) => {
      applicantOnly(actor);
      guardianOpen();
      guardianNotLocked();
      cooldown('guardian', rules.mobileCode.resendCooldown);
    },
  });
  setHandler(submitGuardianCodeUpdate, kase.answering(async ({ actor, seq, codeMac }) => {
    const check = await registration.checkGuardianCode({ ...ids, challengeId: `${input.caseId}:guardian-sms:${seq}`, codeMac, lockoutMs: ms(rules.mobileCode.lockout), at: new Date().toISOString() });
    switch (check.result) {
      case 'verified':
        if (!guardianMobileVerified) {
          guardianMobileVerified = true;
          await kase.record('registration.guardian_mobile_verified', { seq }, { actor: actor.id });
        }
        return { step: kase.view.step };
      case 'invalid':
        throw failure(RegistrationErrors.CodeInvalid, 'The code is wrong', { attemptsLeft: check.attemptsLeft });
      case 'expired':
        throw failure(RegistrationErrors.CodeExpired, 'The code has expired: request a new one', { expiredAt: check.expiredAt });
      case 'locked':
        guardianLockedUntilMs = check.lockedUntil ? Date.parse(check.lockedUntil) : guardianLockedUntilMs;
        throw failure(RegistrationErrors.StepLocked, check.lockedUntil ? "Too many wrong codes: the guardian's verification is locked" : 'Too many wrong codes for this code: request a new one', { lockedUntil: check.lockedUntil });
      default:
        throw failure(RegistrationErrors.NoCodeSent, 'No code has been sent to the guardian yet');
    }
  }), {
    validator: ({ actor, seq, codeMac }) => {
      applicantOnly(actor);
      guardianOpen();
      if (sent.guardian.seq === 0) refuse(RegistrationErrors.NoCodeSent, 'No code has been sent to the guardian yet');
      if (seq !== sent.guardian.seq || !/^[0-9a-f]{64}$/.test(codeMac ?? '')) refuse(CaseErrors.InvalidPayload, `The code must answer the latest challenge (${sent.guardian.seq})`);
      guardianNotLocked();
    },
  });
  setHandler(guardianAnswerUpdate, kase.answering(async ({ actor, decision }) => {
    const answer = await registration.decideGuardianConsent({ ...ids, decision, timeZone: input.policy.calendar.timeZone, at: new Date().toISOString() });
    switch (answer.result) {
      case 'consented':
        guardianAnswer = { decision: 'consented', actor: actor.id };
        // The guardian's id only (an account id or a guardian record id): the guardian's data stays in PostgreSQL.
        await kase.record('registration.guardian_consented', { guardianId: answer.guardianId, relation: answer.relation, adultProof: answer.adultProof }, { actor: actor.id });
        return { step: kase.view.step };
      case 'refused':
        guardianAnswer = { decision: 'refused', actor: actor.id };
        await kase.record('registration.guardian_refused', { guardianId: answer.guardianId }, { actor: actor.id });
        return { step: kase.view.step };
      case 'not_adult':
        throw failure(RegistrationErrors.GuardianNotAdult, 'The guardian must be an adult (18 周岁 or more, 民法典 art. 17): another guardian may consent');
      case 'not_verified':
        throw failure(RegistrationErrors.GuardianNotVerified, "The guardian is not shown to be an adult: no real-name verified account holds the guardian's mobile, or the real-name check did not match");
      default:
        throw failure(RegistrationErrors.GuardianMobileNotVerified, "The guardian's mobile is not verified: submit the guardian's code first");
    }
  }), {
    validator: ({ actor, decision }) => {
      applicantOnly(actor);
      guardianOpen();
      if (decision !== 'consent' && decision !== 'refuse') refuse(CaseErrors.InvalidPayload, 'decision: consent or refuse');
      if (!guardianMobileVerified) refuse(RegistrationErrors.GuardianMobileNotVerified, "The guardian's mobile is not verified: submit the guardian's code first");
    },
  });
  // 1.2 e-mail: the API checked the signed link's signature and expiry; the case records it.
  setHandler(confirmEmailUpdate, kase.answering(async ({ actor }) => {
    if (!emailVerified) {
      emailVerified = true;
      await registration.markEmailVerified({ ...ids, at: new Date().toISOString() });
      await kase.record('registration.email_verified', {}, { actor: actor.id });
    }
    return { step: kase.view.step };
  }), {
    validator: ({ actor, seq }) => {
      applicantOnly(actor);
      open();
      if (emailVerified) refuse(RegistrationErrors.AlreadyVerified, 'The e-mail address is already verified');
      expectStep('email', 'an e-mail confirmation');
      if (!Number.isInteger(seq) || seq < 1 || seq > sent.email.seq) refuse(CaseErrors.InvalidPayload, 'The link was not sent for this registration');
    },
  });
  setHandler(resendEmailLinkUpdate, kase.answering(async (_args) => sendEmailLink()), {
    validator: ({ actor }) => {
      applicantOnly(actor);
      open();
      if (emailVerified) refuse(RegistrationErrors.AlreadyVerified, 'The e-mail address is already verified');
      expectStep('email', 'an e-mail confirmation');
      cooldown('email', rules.emailLink.resendCooldown);
    },
  });
  // 1.2 / 3.1 real name: the face match and the risk flag are decided here, in the identity check.
  setHandler(submitIdentityUpdate, kase.answering(async ({ actor }) => {
    identityChecking = true;
    const checked = await registration.checkIdentity({ ...ids, at: new Date().toISOString() });
    identity = checked;
    await kase.record('registration.identity_submitted', { faceResult: checked.faceResult, riskFlag: checked.riskFlag }, { actor: actor.id });
    return { step: kase.view.step };
  }), {
    validator: ({ actor }) => {
      applicantOnly(actor);
      expectStep('identity', 'the real-name verification');
      if (identity || identityChecking) refuse(CaseErrors.NotAllowedNow, 'The identity was already submitted');
    },
  });
  setHandler(guardianConsentMissingUpdate, kase.answering(async ({ actor }) => {
    childWithoutGuardian = true;
    await kase.record('registration.guardian_consent_missing', {}, { actor: actor.id });
    return { step: kase.view.step };
  }), {
    validator: ({ actor }) => {
      applicantOnly(actor);
      if (!lawful) refuse(CaseErrors.NotAllowedNow, 'This registration started before the minors rules');
      expectStep('identity', 'the real-name verification');
      if (identity || identityChecking) refuse(CaseErrors.NotAllowedNow, 'The identity was already submitted');
    },
  });
  setHandler(bindPaymentMethodUpdate, kase.answering(async ({ actor }) => {
    const { bound } = await registration.bindPaymentMethod({ ...ids, at: new Date().toISOString() });
    if (!bound) throw failure(CaseErrors.NotAllowedNow, 'No payment-method token was submitted');
    paymentBound = true;
    await kase.record('registration.payment_method_bound', {}, { actor: actor.id });
    return { step: kase.view.step };
  }), {
    validator: ({ actor }) => {
      applicantOnly(actor);
      open();
      if (awaiting !== 'identity' && awaiting !== 'payment') refuse(CaseErrors.NotAllowedNow, `A payment method is bound after the e-mail verification, before the review (step: ${kase.view.step}); once the account is active, it is bound in the account settings`);
      if (paymentBound) refuse(CaseErrors.NotAllowedNow, 'A payment method is already bound');
    },
  });

  // Superseded updates: kept for the cases that received them (replay skips validators); refused when new.
  const superseded = (by: string) => (_args: unknown) => refuse(CaseErrors.NotAllowedNow, `Superseded: the workflow decides this step now (${by})`);
  setHandler(mobileVerifiedUpdate, kase.answering(async ({ actor }) => {
    if (!mobileVerified) {
      mobileVerified = true;
      await kase.record('registration.mobile_verified', {}, { actor: actor.id });
    }
    return { step: kase.view.step };
  }), { validator: superseded('submitMobileCode') });
  setHandler(emailVerifiedUpdate, kase.answering(async ({ actor }) => {
    if (!emailVerified) {
      emailVerified = true;
      await kase.record('registration.email_verified', {}, { actor: actor.id });
    }
    return { step: kase.view.step };
  }), { validator: superseded('confirmEmail') });
  setHandler(identitySubmittedUpdate, kase.answering(async ({ actor, faceResult, riskFlag }) => {
    identity = { faceResult, riskFlag };
    await kase.record('registration.identity_submitted', { faceResult, riskFlag }, { actor: actor.id });
    return { step: kase.view.step };
  }), { validator: superseded('submitIdentity') });
  setHandler(paymentBoundUpdate, kase.answering(async ({ actor }) => {
    paymentBound = true;
    await kase.record('registration.payment_method_bound', {}, { actor: actor.id });
    return { step: kase.view.step };
  }), { validator: superseded('bindPaymentMethod') });
  // 2.4.1: the applicant may withdraw; the personal data is deleted as on abandonment.
  setHandler(cancelCaseUpdate, kase.answering(async ({ actor, reasonCode }) => {
    cancelled = true;
    await kase.record('case.cancel_requested', { reasonCode }, { actor: actor.id });
    return { step: kase.view.step };
  }), {
    validator: ({ actor }) => {
      if (!actor?.id || !CANCELLERS.includes(actor.role)) refuse(CaseErrors.Forbidden, `A ${actor?.role ?? 'caller without a role'} may not withdraw a registration`);
      open();
      if (decided) refuse(CaseErrors.PolicyRefused, 'The registration was already decided');
    },
  });

  const close = async (outcome: RegistrationOutcome, reasonCode?: RegistrationRejectionReason): Promise<RegistrationResult> => {
    awaiting = null;
    kase.setDeadline('verification', null);
    await kase.record('case.closed', { outcome, ...(reasonCode && { reasonCode }) }, { step: 'closed', outcome, closed: true });
    await kase.until(allHandlersFinished);
    return { outcome, ...(reasonCode && { reasonCode }) };
  };
  const reject = async (reasonCode: RegistrationRejectionReason, actor?: string) => {
    decided = true;
    // A later verification leaves the account as it is: only the verification is refused.
    if (!later) await registration.recordRegistrationOutcome({ ...ids, outcome: 'rejected', reasonCode, at: new Date().toISOString() });
    await kase.record('registration.rejected', { reasonCode }, { ...(actor && { actor }) });
    if (!lawful) {
      await kase.notify('registration.rejected', applicant, { reasonCode });
      return close('rejected', reasonCode);
    }
    // PIPL art. 31: a child's data collected without a guardian's consent is not kept: erased at once.
    if (reasonCode === 'guardian_consent_required') {
      await erase('rejected');
      return close('rejected', reasonCode);
    }
    // PIPL art. 19, 47: kept only for the applicant to contest the decision, then erased (days counted like
    // the law: from the next day, to 24:00 of the last one).
    const erasureAt = dayPeriodEndsAt(input.policy.calendar, new Date(), rules.rejectedRetentionDays ?? 30, { extendOverHolidays: false });
    await kase.notify(later ? 'registration.real_name_rejected' : 'registration.rejected', applicant, { reasonCode, erasureAt: erasureAt.toISOString() });
    kase.setDeadline('personalDataErasure', erasureAt);
    // The daily retention purge (workflows/retentionPurge.ts, the Schedule `retention-purge`) erases it when due: the
    // case records when, and closes. Cases started before keep their own timer below.
    if (patched(RETENTION_BY_SCHEDULE_PATCH)) {
      await kase.record('registration.retention_scheduled', { erasureAt: erasureAt.toISOString() });
      return close('rejected', reasonCode);
    }
    const result = await close('rejected', reasonCode);
    await kase.sleep(erasureAt.getTime() - Date.now());
    await erase('rejected');
    kase.clearDeadline('personalDataErasure');
    await kase.record('registration.retention_ended', { erasureAt: erasureAt.toISOString() }, { step: 'closed' });
    await kase.flush();
    return result;
  };
  const erase = async (reason: 'abandoned' | 'cancelled' | 'rejected') => {
    const at = new Date().toISOString();
    // A later verification erases what it collected (the identity), never the active account's data.
    if (later) await registration.eraseIdentity({ ...ids, reason, at, eventKey: `${input.caseId}:erase` });
    else await registration.erasePersonalData({ ...ids, userRef: input.userRef, reason, at, eventKey: `${input.caseId}:erase` });
  };
  // 2.1 / 2.4: nothing is kept that was collected for a registration that did not complete.
  const abandon = async (step: string, dueAt?: string) => {
    decided = true;
    const outcome = cancelled ? 'cancelled' : 'abandoned';
    await kase.record(cancelled ? 'registration.withdrawn' : 'registration.abandoned', { step, ...(!cancelled && dueAt && { dueAt }) });
    if (!later) await registration.recordRegistrationOutcome({ ...ids, outcome, at: new Date().toISOString() });
    await erase(outcome);
    return close(outcome);
  };

  // Opening (1.1): the applicant filled in the form, set a username and password, accepted the agreement.
  // A later verification opens at the identity step, for the feature that asked for it.
  awaiting = guardianStep ? 'guardian' : later ? 'identity' : 'mobile';
  await kase.record('case.opened', {
    agreementVersion: input.agreementVersion,
    paymentMethod: rules.paymentMethod,
    policyVersion: input.policy.version,
    ...(later && { purpose: 'real_name', feature: input.realName }),
    ...(guardianStep && { guardianRequired: true }),
  }, { actor: input.openedBy, step: guardianStep ? 'guardian_consent' : later ? 'identity_verification' : 'mobile_verification' });

  // 0. The guardian step (PIPL art. 31; 未成年人保护法 art. 72), for a child under 14: nothing else of the child's is
  // processed until an adult guardian consents. A lapse or a refusal: refused, and the child's data erased at once.
  if (guardianStep) {
    const guardianClock = kase.clock('guardianConsent', rules.guardianConsent ?? defaultRegistrationPolicy.guardianConsent);
    const r = await guardianClock.waitFor(() => guardianAnswer !== null || cancelled);
    kase.clearDeadline('guardianConsent');
    const answered = guardianAnswer as { decision: 'consented' | 'refused'; actor: string } | null; // set by the handler
    if (cancelled) return abandon('guardian_consent');
    if (!answered) {
      await kase.record('registration.guardian_consent_lapsed', { dueAt: r.facts.dueAt });
      return reject('guardian_consent_required');
    }
    if (answered.decision === 'refused') return reject('guardian_consent_required', answered.actor);
    awaiting = 'mobile';
    await kase.record('step.entered', {}, { step: 'mobile_verification' });
  }
  const verification = kase.clock('verification', rules.verification);
  /** The applicant's part, under one deadline with a reminder; false when it lapsed or the applicant withdrew. */
  const applicantDoes = async (done: () => boolean) => {
    const r = await verification.waitFor(() => done() || cancelled, {
      onReminder: () => kase.notify('registration.reminder', applicant, { dueAt: verification.dueAt.toISOString() }),
    });
    return r.outcome !== 'breached' && !cancelled;
  };

  // 1. Mobile verification (1.2): a one-time code by SMS; expiry, attempts and lock are kept with the code.
  if (!later) {
    await sendMobileCode();
    if (!(await applicantDoes(() => mobileVerified))) return abandon('mobile_verification', verification.dueAt.toISOString());
  }

  // 2. E-mail verification (1.2): a signed link; only when an address was given (2021 necessary-information rules).
  if (emailStep && !later) {
    awaiting = 'email';
    await kase.record('step.entered', {}, { step: 'email_verification' });
    await sendEmailLink();
    if (!(await applicantDoes(() => emailVerified))) return abandon('email_verification', verification.dueAt.toISOString());
  }

  // 3. Real-name verification (1.2, 3.1): when the policy setting or a feature asks for it. The document number
  // and the separate consents (PIPL art. 29) are checked at the API edge; then the face match (or a document a
  // person reviews) and the risk flags. A child under 14 without a guardian's consent is refused (PIPL art. 31).
  let facts: IdentityFacts = { faceResult: 'not_checked', riskFlag: 'none' };
  if (identityStep) {
    awaiting = 'identity';
    if (!later) await kase.record('step.entered', lawful ? { reason: input.realName ?? 'policy' } : {}, { step: 'identity_verification' });
    if (!(await applicantDoes(() => identity !== undefined || childWithoutGuardian))) return abandon('identity_verification', verification.dueAt.toISOString());
    if (childWithoutGuardian) return reject('guardian_consent_required');
    facts = identity!;
    // PIPL art. 24: a failed match is not a decision by machine alone; a person reviews it (below).
    if (!lawful && facts.faceResult === 'fail') return reject('face_mismatch');
  }

  // 4. Payment method binding (1.2): required or optional by policy; a token only, never card data (3.2).
  if (rules.paymentMethod === 'required' && !paymentBound && !later) {
    awaiting = 'payment';
    await kase.record('step.entered', {}, { step: 'payment_binding' });
    if (!(await applicantDoes(() => paymentBound))) return abandon('payment_binding', verification.dueAt.toISOString());
  }
  awaiting = null;
  kase.setDeadline('verification', null);

  // 5. Review (1.1): an uncertain or failed face match, a document to review, or a risk flag goes to an agent
  // (PIPL art. 24: no refusal by automated decision alone); a lapse goes to a supervisor.
  if (identityStep && (facts.faceResult !== 'pass' || facts.riskFlag !== 'none')) {
    await kase.record('step.entered', { faceResult: facts.faceResult, riskFlag: facts.riskFlag }, { step: 'manual_review' });
    let review = await kase.humanTask<IdentityReviewDecision>({
      type: 'registration.identity_review',
      role: 'agent',
      sla: rules.manualReview,
      slaName: 'manualReview',
      defaultDecision: 'reject',
      notifyOnEscalation: { kind: 'role', id: 'agent' },
      interrupt: () => cancelled,
    });
    // PIPL art. 24: a lapsed review never rejects by itself (a policy with onBreach 'default-decision'): a
    // supervisor decides, under the same SLA, reminded and notified when late.
    if (review.kind === 'breached' && lawful) {
      await kase.record('registration.review_lapsed', { dueAt: review.sla.dueAt, decidedBy: 'supervisor' });
      review = await kase.humanTask<IdentityReviewDecision>({
        type: 'registration.identity_review',
        role: 'supervisor',
        sla: { ...rules.manualReview, onBreach: 'notify' },
        slaName: 'manualReviewBySupervisor',
        notifyOnEscalation: { kind: 'role', id: 'supervisor' },
        interrupt: () => cancelled,
      });
    }
    if (review.kind === 'interrupted') return abandon('manual_review');
    if (review.kind === 'breached') return reject('identity_not_confirmed'); // only if the policy sets 'default-decision'
    await kase.record('registration.review_decided', { decision: review.payload.decision }, { actor: review.actor.id });
    if (review.payload.decision === 'reject') return reject(review.payload.reasonCode, review.actor.id);
  }

  // A later verification: the account is real-name verified for the feature that asked (and flagged if a minor).
  if (later) {
    decided = true;
    const verified = await registration.recordRealNameVerified({ ...ids, at: new Date().toISOString(), minors: rules.minors, timeZone: input.policy.calendar.timeZone });
    await kase.record('registration.real_name_verified', { feature: input.realName ?? null, minorSafeguards: verified.minorSafeguards });
    await kase.notify('registration.real_name_verified', applicant, { feature: input.realName ?? '' });
    return close('approved');
  }

  // Outcome (1.1): registration succeeds; the account is active and the applicant is told.
  decided = true;
  const { accountId, minorSafeguards } = await registration.activateAccount({ ...ids, at: new Date().toISOString(), ...(lawful && { minors: rules.minors, timeZone: input.policy.calendar.timeZone }) });
  // 未成年人保护法: an applicant under 18 gets an account with the minor safeguards (payment limits read the flag).
  await kase.record('registration.approved', { accountId, ...(lawful && { minorSafeguards: minorSafeguards ?? false, realNameVerified: identityStep }) });
  await kase.notify('registration.approved', applicant);
  return close('approved');
}
