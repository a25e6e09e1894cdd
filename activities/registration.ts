// Activities of the registration process (merged into createActivities in activities/index.ts), and the
// secrets handling the API shares with them: scrypt password hashes, HMAC'd one-time codes, signed
// e-mail links, keyed ID-number hashes (policy 1.3, 2.1), the face-match interface.
// Workflows pass ids and enums; personal data is read here, from PostgreSQL.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { Context } from '@temporalio/activity';
import { blindIndexerFor, type BlindIndexer } from '../lib/blindIndex';
import { envFields } from '../lib/config';
import { retentions } from '../lib/personalData';
import { sealerFor } from '../lib/sealedFields';
import { hashMobileCode, hmac, localDate, macMatches, newOneTimeCode } from '../lib/verificationCodes';
import { ADULT_AGE, ageOn, minorStatus, type FaceResult, type GuardianAdultProof, type GuardianRelation, type RegistrationRiskFlag } from '../policy/registration';
import type { RegistrationPolicy } from '../policy/registration';
import { appendAuditEvent } from './audit';
import { createActivities, type ActivityDeps } from './index';

// ---- Secrets ----

/**
 * The HMAC key, as loadConfig() read it once at start-up and the process handed it down
 * (ActivityDeps.secrets, ApiDeps.secrets). There is no fallback: a missing secret is a wiring error.
 */
export function registrationSecret(secrets: { registration: string } | undefined): string {
  if (!secrets?.registration) throw new Error('No registration secret: pass secrets.registration (from loadConfig()) in the deps');
  return secrets.registration;
}

export function registrationLinkBase(explicit?: string): string {
  return explicit ?? envFields.shape.REGISTRATION_LINK_BASE.parse(process.env.REGISTRATION_LINK_BASE || undefined);
}

const scrypt = promisify(crypto.scrypt) as (password: crypto.BinaryLike, salt: crypto.BinaryLike, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

/** Password hashing parameters (scrypt, RFC 7914): N=2^15, r=8, p=1, 64-byte key, 16-byte salt per user. */
export const PASSWORD_HASH_PARAMS = { N: 32768, r: 8, p: 1, keylen: 64 } as const;

/** `scrypt$N=…,r=…,p=…,len=…$<salt>$<hash>`: salt and parameters are stored with the hash. */
export async function hashPassword(password: string, params = PASSWORD_HASH_PARAMS): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r });
  return `scrypt$N=${params.N},r=${params.r},p=${params.p},len=${params.keylen}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$N=(\d+),r=(\d+),p=(\d+),len=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const [N, r, p, keylen] = m.slice(1, 5).map(Number);
  const expected = Buffer.from(m[6], 'base64');
  const key = await scrypt(password.normalize('NFKC'), Buffer.from(m[5], 'base64'), keylen, { N, r, p, maxmem: 256 * N * r });
  return key.length === expected.length && crypto.timingSafeEqual(key, expected);
}

/** Keyed hash of a normalised ID number: equal numbers can be found, the number cannot be read back. */
export function hashIdNumber(secret: string, normalized: string): string {
  return hmac(secret, 'id-number', normalized).toString('hex');
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A signed e-mail verification token: registration id + purpose + sequence + expiry, HMAC'd. */
export function signEmailToken(secret: string, registrationId: string, seq: number, expiresAt: Date): string {
  const payload = `${registrationId}|email-verify|${seq}|${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${b64url(payload)}.${b64url(hmac(secret, 'email-link', payload))}`;
}

export type EmailTokenCheck =
  | { ok: true; registrationId: string; seq: number; expiresAt: Date }
  | { ok: false; reason: 'invalid' | 'expired' | 'other_registration'; expiresAt?: Date };

export function verifyEmailToken(secret: string, token: string, registrationId: string, now = new Date()): EmailTokenCheck {
  const m = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'invalid' };
  const payload = Buffer.from(m[1], 'base64url').toString('utf8');
  const expected = hmac(secret, 'email-link', payload);
  const given = Buffer.from(m[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  const [reg, purpose, seq, exp] = payload.split('|');
  if (purpose !== 'email-verify' || !/^\d+$/.test(seq ?? '') || !/^\d+$/.test(exp ?? '')) return { ok: false, reason: 'invalid' };
  const expiresAt = new Date(Number(exp) * 1000);
  if (reg !== registrationId) return { ok: false, reason: 'other_registration' };
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', expiresAt };
  return { ok: true, registrationId: reg, seq: Number(seq), expiresAt };
}

// ---- Activities ----

export interface SendMobileCodeInput {
  caseId: string;
  registrationId: string;
  /** 1 for the first code, then one more per resend. */
  seq: number;
  ttlMs: number;
  maxAttempts: number;
  at: string;
}

export interface SendEmailVerificationInput {
  caseId: string;
  registrationId: string;
  userRef: string;
  seq: number;
  ttlMs: number;
  at: string;
  eventKey: string;
}

export interface RegistrationOutcomeInput {
  caseId: string;
  registrationId: string;
  outcome: 'approved' | 'rejected' | 'abandoned' | 'cancelled';
  reasonCode?: string;
  at: string;
}

export interface ActivateAccountInput extends Omit<RegistrationOutcomeInput, 'outcome' | 'reasonCode'> {
  /** The case's minors rules and time zone (PIPL art. 28, 31; 未成年人保护法); absent for cases before them. */
  minors?: RegistrationPolicy['minors'];
  timeZone?: string;
}

export interface ErasePersonalDataInput {
  caseId: string;
  registrationId: string;
  userRef: string;
  /** rejected: after the policy's retention (PIPL art. 19, 47), or at once for a child without a guardian's consent. */
  reason: 'abandoned' | 'cancelled' | 'rejected';
  at: string;
  eventKey: string;
}

export interface CheckMobileCodeInput {
  caseId: string;
  registrationId: string;
  /** The challenge the code answers: <registration id>:sms:<seq>. */
  challengeId: string;
  /** HMAC of the submitted code bound to the challenge (hashMobileCode): the code itself never reaches the workflow. */
  codeMac: string;
  /** How long the step locks once the attempts are used up. */
  lockoutMs: number;
  at: string;
}

export type MobileCodeCheck =
  | { result: 'verified' }
  | { result: 'invalid'; attemptsLeft: number }
  | { result: 'expired'; expiredAt: string }
  | { result: 'locked'; lockedUntil: string | null }
  | { result: 'no_code' };

/** The guardian step (PIPL art. 31): a code to the guardian's mobile, checked like the applicant's. */
export interface CheckGuardianCodeInput extends CheckMobileCodeInput {}

export interface GuardianDecisionInput {
  caseId: string;
  registrationId: string;
  decision: 'consent' | 'refuse';
  /** The case's minors rules and time zone: the guardian must be an adult, counted in 周岁 (ageOn). */
  timeZone: string;
  at: string;
}

export type GuardianDecision =
  | { result: 'consented'; guardianId: string; relation: GuardianRelation; adultProof: GuardianAdultProof }
  | { result: 'refused'; guardianId: string }
  /** The guardian is under 18 (民法典 art. 17). */
  | { result: 'not_adult' }
  /** Neither a real-name verified account holds the guardian's mobile, nor did a real-name check match. */
  | { result: 'not_verified' }
  /** The guardian's mobile was not verified by a code (or nothing was submitted). */
  | { result: 'no_guardian' };

export interface RegistrationStepInput {
  caseId: string;
  registrationId: string;
  at: string;
}

export interface RegistrationActivities {
  /**
   * Checks a submitted code against its challenge in one transaction: the attempt counts whatever it says,
   * the step locks when the attempts are used up, a right code marks the challenge and the mobile verified.
   */
  checkMobileCode(input: CheckMobileCodeInput): Promise<MobileCodeCheck>;
  /** The e-mail address is verified (the signed link was checked): the registration row follows. */
  markEmailVerified(input: RegistrationStepInput): Promise<void>;
  /**
   * The real-name check of the identity the applicant submitted (stored by the API, not yet checked): the face
   * match (face verifier port) and the risk flag (3.4: the ID number in use by another pending or approved
   * registration), written once; a retry answers what was decided.
   */
  checkIdentity(input: RegistrationStepInput): Promise<{ faceResult: FaceResult | 'not_checked'; riskFlag: RegistrationRiskFlag }>;
  /** Binds the payment-method token the applicant submitted (a token only, never card data, 3.2). */
  bindPaymentMethod(input: RegistrationStepInput): Promise<{ bound: boolean }>;
  /** Generates a 6-digit code, stores its HMAC with expiry and attempt limit, sends it by SMS. */
  sendMobileCode(input: SendMobileCodeInput): Promise<{ expiresAt: string; sent: boolean }>;
  /** Signs a verification link and e-mails it through the outbox. */
  sendEmailVerification(input: SendEmailVerificationInput): Promise<{ expiresAt: string }>;
  /** Approved: the registration closes and the account row is created active. */
  activateAccount(input: ActivateAccountInput): Promise<{ accountId: string; minorSafeguards?: boolean }>;
  /** Rejected, abandoned or withdrawn (cancelled): the registration row records the outcome. */
  recordRegistrationOutcome(input: RegistrationOutcomeInput): Promise<void>;
  /**
   * A later real-name verification succeeded: the account is real-name verified, and flagged for the minor
   * safeguards if the ID shows an age under 18 (未成年人保护法).
   */
  recordRealNameVerified(input: ActivateAccountInput): Promise<{ minorSafeguards: boolean }>;
  /** A later real-name verification ended without success: its identity data is erased (PIPL art. 19, 47). */
  eraseIdentity(input: Omit<ErasePersonalDataInput, 'userRef'>): Promise<{ identities: number }>;
  /** Data minimisation (2.1, 2.4): deletes the unverified personal data; the audit trail keeps counts only. */
  erasePersonalData(input: ErasePersonalDataInput): Promise<{ registrations: number; challenges: number; identities: number; smsMessages: number; parties: number; guardians?: number }>;
  /** The guardian step: a 6-digit code to the guardian's mobile (the number the API stored), stored as its HMAC. */
  sendGuardianCode(input: SendMobileCodeInput): Promise<{ expiresAt: string; sent: boolean }>;
  /** Checks the guardian's code like the applicant's (attempts, expiry, lock); a right code verifies the guardian's mobile. */
  checkGuardianCode(input: CheckGuardianCodeInput): Promise<MobileCodeCheck>;
  /**
   * The guardian's answer (PIPL art. 31): a refusal is recorded; a consent only from an adult guardian (a real-name
   * verified account holding the verified mobile, or a matching real-name check), recorded as a consent with the
   * guardian's id, the notice's hash and the privacy policy's version. A retry answers what was decided.
   */
  decideGuardianConsent(input: GuardianDecisionInput): Promise<GuardianDecision>;
}

export function createRegistrationActivities(deps: ActivityDeps): RegistrationActivities {
  const { db } = deps;
  // Read when used: tests build these activities with only what the activity under test needs.
  const secret = () => registrationSecret(deps.secrets);
  // Personal fields are sealed with their subject's key (lib/sealedFields.ts); equality look-ups go by blind index.
  const sealer = () => sealerFor(db, deps.ports.keys);
  const blindIndex: BlindIndexer = (purpose, value) => blindIndexerFor(deps.ports.keys)(purpose, value);
  /** A registration's mobile in clear: its sealed value, or a row written before sealing (the backfill has not reached it). */
  const mobileOf = async (reg: { subjectId: string; mobileSealed: string | null; mobileClear: string | null }) =>
    (await sealer().open(reg.subjectId, [reg.mobileSealed ?? reg.mobileClear]))[0];
  /** The account's username: the registration's sealed value and index (same subject), or a clear one sealed now. */
  const accountUsername = async (reg: { subjectId: string; usernameSealed: string | null; usernameIndex: string | null; usernameClear: string | null }, tx: Parameters<Parameters<typeof db.$transaction>[0]>[0]) =>
    reg.usernameSealed && reg.usernameIndex
      ? { usernameSealed: reg.usernameSealed, usernameIndex: reg.usernameIndex }
      : { usernameSealed: await sealer().seal(reg.subjectId, reg.usernameClear!, tx), usernameIndex: await blindIndex('username', reg.usernameClear!) };
  let outboxNotify: ReturnType<typeof createActivities>['notify'] | undefined;
  const log = (caseId: string) => deps.logger.child({ caseId });
  const attempt = () => {
    try {
      return Context.current().info.attempt;
    } catch {
      return 1;
    }
  };

  /**
   * Checks a submitted code against its challenge in one transaction: the attempt counts whatever it says, the step
   * locks when the attempts are used up, a right code marks the challenge and runs `onVerified`.
   */
  const checkCode = (i: CheckMobileCodeInput, onVerified: (tx: Parameters<Parameters<typeof db.$transaction>[0]>[0], now: Date) => Promise<unknown>): Promise<MobileCodeCheck> =>
    db.$transaction(async (tx) => {
      const [ch] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM registration_challenges WHERE id = ${i.challengeId} FOR UPDATE`;
      if (!ch) return { result: 'no_code' as const };
      const row = await tx.registrationChallenge.findUniqueOrThrow({ where: { id: i.challengeId } });
      const now = new Date(i.at);
      if (row.verifiedAt) {
        // A retry of the check that verified: the same answer.
        return macMatches(i.codeMac, row.codeHash) ? { result: 'verified' as const } : { result: 'invalid' as const, attemptsLeft: Math.max(0, row.maxAttempts - row.attempts) };
      }
      if (row.attempts >= row.maxAttempts) return { result: 'locked' as const, lockedUntil: row.lockedUntil?.toISOString() ?? null };
      if (row.expiresAt.getTime() <= now.getTime()) return { result: 'expired' as const, expiredAt: row.expiresAt.toISOString() };
      // Every entry counts, right or wrong.
      const attempts = row.attempts + 1;
      if (macMatches(i.codeMac, row.codeHash)) {
        await tx.registrationChallenge.update({ where: { id: row.id }, data: { attempts, verifiedAt: now } });
        await onVerified(tx, now);
        return { result: 'verified' as const };
      }
      const attemptsLeft = row.maxAttempts - attempts;
      const lockedUntil = attemptsLeft > 0 ? null : new Date(now.getTime() + i.lockoutMs);
      await tx.registrationChallenge.update({ where: { id: row.id }, data: { attempts, ...(lockedUntil && { lockedUntil }) } });
      return lockedUntil ? { result: 'locked' as const, lockedUntil: lockedUntil.toISOString() } : { result: 'invalid' as const, attemptsLeft };
    });

  return {
    async checkMobileCode(i) {
      return checkCode(i, (tx, now) => tx.registration.updateMany({ where: { id: i.registrationId, mobileVerifiedAt: null }, data: { mobileVerifiedAt: now } }));
    },

    async markEmailVerified(i) {
      await db.registration.updateMany({ where: { id: i.registrationId, emailVerifiedAt: null }, data: { emailVerifiedAt: new Date(i.at) } });
    },

    async checkIdentity(i) {
      const identity = await db.registrationIdentity.findUniqueOrThrow({ where: { registrationId: i.registrationId } });
      if (identity.checkedAt && identity.faceResult && identity.riskFlag) {
        return { faceResult: identity.faceResult as FaceResult | 'not_checked', riskFlag: identity.riskFlag as RegistrationRiskFlag };
      }
      // A document reviewed by staff instead of the face match (PIPL art. 24, 29: the applicant may refuse it).
      const byDocument = identity.method === 'document_review' || !identity.faceImageRef;

      // 3.4: an ID number already used by another (pending or approved) registration is a risk flag.
      const sameId = await db.registrationIdentity.findMany({ where: { idNumberHash: identity.idNumberHash, registrationId: { not: i.registrationId } }, select: { registrationId: true } });
      const inUse = sameId.length > 0 && (await db.registration.count({ where: { id: { in: sameId.map((x) => x.registrationId) }, status: { in: ['pending', 'approved'] } } })) > 0;
      const riskFlag: RegistrationRiskFlag = inUse ? 'id_number_in_use' : 'none';
      const faceResult = byDocument ? 'not_checked' : await deps.ports.faces.verify({ registrationId: i.registrationId, faceImageRef: identity.faceImageRef!, idNumberHash: identity.idNumberHash });
      await db.$transaction(async (tx) => {
        const decided = await tx.registrationIdentity.updateMany({ where: { registrationId: i.registrationId, checkedAt: null }, data: { faceResult, riskFlag, checkedAt: new Date(i.at) } });
        if (decided.count === 1) await tx.registration.updateMany({ where: { id: i.registrationId }, data: { identitySubmittedAt: new Date(i.at) } });
      });
      const stored = await db.registrationIdentity.findUniqueOrThrow({ where: { registrationId: i.registrationId } });
      log(i.caseId).info({ registrationId: i.registrationId, faceResult: stored.faceResult, riskFlag: stored.riskFlag }, 'identity checked');
      return { faceResult: stored.faceResult as FaceResult | 'not_checked', riskFlag: stored.riskFlag as RegistrationRiskFlag };
    },

    async bindPaymentMethod(i) {
      const reg = await db.registration.findUniqueOrThrow({ where: { id: i.registrationId } });
      if (!reg.paymentMethodTokenPending) return { bound: reg.paymentBoundAt !== null };
      await db.registration.update({ where: { id: i.registrationId }, data: { paymentMethodToken: reg.paymentMethodTokenPending, paymentMethodTokenPending: null, paymentBoundAt: new Date(i.at) } });
      return { bound: true };
    },

    async sendMobileCode(i) {
      const reg = await db.registration.findUnique({ where: { id: i.registrationId } });
      const mobile = reg ? await mobileOf(reg) : null;
      if (!reg || !mobile || reg.status !== 'pending') return { expiresAt: i.at, sent: false };
      const challengeId = `${i.registrationId}:sms:${i.seq}`;
      // A retry issues a fresh code under the same challenge: only the latest code sent is valid.
      const code = newOneTimeCode();
      const sentAt = new Date();
      const expiresAt = new Date(sentAt.getTime() + i.ttlMs);
      const codeHash = hashMobileCode(secret(), challengeId, code);
      await db.registrationChallenge.upsert({
        where: { id: challengeId },
        create: { id: challengeId, registrationId: i.registrationId, channel: 'sms', seq: i.seq, codeHash, expiresAt, maxAttempts: i.maxAttempts, sentAt },
        update: { codeHash, expiresAt, attempts: 0, lockedUntil: null, sentAt, verifiedAt: null },
      });
      const minutes = Math.round(i.ttlMs / 60_000);
      await deps.ports.sms.send({
        idempotencyKey: `${challengeId}#${attempt()}`,
        to: mobile,
        body: reg.locale === 'en'
          ? `Your verification code is ${code}. It expires in ${minutes} minutes. Never share it with anyone.`
          : `您的注册验证码为 ${code},${minutes} 分钟内有效。请勿告诉他人。`,
        purpose: 'mobile_verification',
        registrationId: i.registrationId,
      });
      log(i.caseId).info({ registrationId: i.registrationId, seq: i.seq, expiresAt: expiresAt.toISOString() }, 'mobile code sent');
      return { expiresAt: expiresAt.toISOString(), sent: true };
    },

    async sendEmailVerification(i) {
      // The expiry derives from workflow time, so a retry signs the same link.
      const expiresAt = new Date(new Date(i.at).getTime() + i.ttlMs);
      const token = signEmailToken(secret(), i.registrationId, i.seq, expiresAt);
      const link = `${registrationLinkBase(deps.registrationLinkBase)}?registration=${encodeURIComponent(i.registrationId)}&token=${encodeURIComponent(token)}`;
      outboxNotify ??= createActivities(deps).notify;
      await outboxNotify({
        key: `${i.caseId}:registration.verify_email:customer:${i.userRef}:${i.seq}`,
        caseId: i.caseId,
        template: 'registration.verify_email',
        recipient: { kind: 'customer', id: i.userRef },
        params: { caseId: i.caseId, link, expiresAt: expiresAt.toISOString() },
        at: i.at,
        eventKey: i.eventKey,
      });
      return { expiresAt: expiresAt.toISOString() };
    },

    async activateAccount(i) {
      const { accountId, minorSafeguards } = await db.$transaction(async (tx) => {
        const reg = await tx.registration.findUniqueOrThrow({ where: { id: i.registrationId } });
        const identity = await tx.registrationIdentity.findUnique({ where: { registrationId: i.registrationId } });
        // 未成年人保护法, PIPL art. 31: under 18 at activation (by the ID's birth date, else the declared one),
        // the account carries the minor safeguards. The age is counted in the policy's time zone.
        const birthDate = identity?.birthDate ?? (await sealer().open(reg.subjectId, [reg.declaredBirthDate]))[0];
        const today = localDate(new Date(i.at), i.timeZone ?? 'Asia/Shanghai');
        const minors = i.minors ?? { guardianConsentUnder: 14, safeguardsUnder: 18 };
        const minor = birthDate ? minorStatus(ageOn(birthDate, today), minors) !== 'adult' : false;
        const verifiedAt = identity?.checkedAt ? new Date(i.at) : null;
        await tx.registration.updateMany({ where: { id: i.registrationId, status: 'pending' }, data: { status: 'approved', closedAt: new Date(i.at), minorSafeguards: minor } });
        await tx.userAccount.upsert({
          where: { registrationId: i.registrationId },
          create: { id: reg.userRef, registrationId: reg.id, subjectId: reg.subjectId, ...(await accountUsername(reg, tx)), status: 'active', activatedAt: new Date(i.at), minorSafeguards: minor, realNameVerifiedAt: verifiedAt },
          update: {},
        });
        const account = await tx.userAccount.findUniqueOrThrow({ where: { registrationId: i.registrationId } });
        return { accountId: reg.userRef, minorSafeguards: account.minorSafeguards };
      });
      log(i.caseId).info({ registrationId: i.registrationId, accountId, minorSafeguards }, 'account activated');
      return { accountId, minorSafeguards };
    },

    async recordRealNameVerified(i) {
      const minorSafeguards = await db.$transaction(async (tx) => {
        const reg = await tx.registration.findUniqueOrThrow({ where: { id: i.registrationId } });
        const identity = await tx.registrationIdentity.findUniqueOrThrow({ where: { registrationId: i.registrationId } });
        const age = ageOn(identity.birthDate, localDate(new Date(i.at), i.timeZone ?? 'Asia/Shanghai'));
        const minor = reg.minorSafeguards || minorStatus(age, i.minors ?? { guardianConsentUnder: 14, safeguardsUnder: 18 }) !== 'adult';
        await tx.userAccount.updateMany({ where: { registrationId: i.registrationId, realNameVerifiedAt: null }, data: { realNameVerifiedAt: new Date(i.at), minorSafeguards: minor } });
        await tx.registration.update({ where: { id: i.registrationId }, data: { minorSafeguards: minor } });
        return (await tx.userAccount.findUniqueOrThrow({ where: { registrationId: i.registrationId } })).minorSafeguards;
      });
      log(i.caseId).info({ registrationId: i.registrationId, minorSafeguards }, 'real name verified');
      return { minorSafeguards };
    },

    async eraseIdentity(i) {
      return db.$transaction(async (tx) => {
        const done = await tx.auditEvent.findUnique({ where: { caseId_eventKey: { caseId: i.caseId, eventKey: i.eventKey } } });
        if (done) return { identities: (done.payload as { identities: number }).identities };
        // Never the identity of an account already verified (another case verified it meanwhile).
        const verified = await tx.userAccount.count({ where: { registrationId: i.registrationId, realNameVerifiedAt: { not: null } } });
        const identities = verified ? { count: 0 } : await tx.registrationIdentity.deleteMany({ where: { registrationId: i.registrationId } });
        await appendAuditEvent(tx, { caseId: i.caseId, eventKey: i.eventKey, type: 'registration.personal_data_erased', actor: 'system', at: new Date(i.at), payload: { reason: i.reason, identities: identities.count } });
        return { identities: identities.count };
      });
    },

    async sendGuardianCode(i) {
      const [reg, guardian] = await Promise.all([db.registration.findUnique({ where: { id: i.registrationId } }), db.registrationGuardian.findUnique({ where: { registrationId: i.registrationId } })]);
      const stored = guardian?.mobilePending ?? guardian?.mobile;
      // Sealed with the guardian's key (clear on a row written before guardians had subjects).
      const [to, current] = guardian ? await sealer().open(guardian.subjectId, [stored, guardian.mobile]) : [null, null];
      if (!reg || reg.status !== 'pending' || !guardian || !to) return { expiresAt: i.at, sent: false };
      const challengeId = `${i.registrationId}:guardian-sms:${i.seq}`;
      // The same machinery as the applicant's code: a fresh code per send, only its HMAC kept, attempts and expiry with it.
      const code = newOneTimeCode();
      const sentAt = new Date();
      const expiresAt = new Date(sentAt.getTime() + i.ttlMs);
      const codeHash = hashMobileCode(secret(), challengeId, code);
      await db.$transaction(async (tx) => {
        await tx.registrationChallenge.upsert({
          where: { id: challengeId },
          create: { id: challengeId, registrationId: i.registrationId, channel: 'guardian_sms', seq: i.seq, codeHash, expiresAt, maxAttempts: i.maxAttempts, sentAt },
          update: { codeHash, expiresAt, attempts: 0, lockedUntil: null, sentAt, verifiedAt: null },
        });
        // The code goes to this number: a new number asks for a new verification.
        await tx.registrationGuardian.update({ where: { id: guardian.id }, data: { mobile: stored, mobilePending: null, ...(to !== current && { mobileVerifiedAt: null }) } });
      });
      const minutes = Math.round(i.ttlMs / 60_000);
      await deps.ports.sms.send({
        idempotencyKey: `${challengeId}#${attempt()}`,
        to,
        body: reg.locale === 'en'
          ? `A child asks to register with a shopping platform and names you as parent or guardian. Your consent code is ${code} (valid ${minutes} minutes). Give it only if you consent. Never share it with anyone else.`
          : `有未成年人申请注册购物平台账户并填写您为其父母或监护人。您的监护人同意验证码为 ${code},${minutes} 分钟内有效。仅在您同意时使用,请勿告诉他人。`,
        purpose: 'guardian_verification',
        registrationId: i.registrationId,
      });
      log(i.caseId).info({ registrationId: i.registrationId, seq: i.seq, expiresAt: expiresAt.toISOString() }, 'guardian code sent');
      return { expiresAt: expiresAt.toISOString(), sent: true };
    },

    async checkGuardianCode(i) {
      return checkCode(i, (tx, now) => tx.registrationGuardian.updateMany({ where: { registrationId: i.registrationId }, data: { mobileVerifiedAt: now } }));
    },

    async decideGuardianConsent(i) {
      const decided = await db.$transaction(async (tx): Promise<GuardianDecision> => {
        const [row] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM registration_guardians WHERE registration_id = ${i.registrationId} FOR UPDATE`;
        if (!row) return { result: 'no_guardian' };
        const g = await tx.registrationGuardian.findUniqueOrThrow({ where: { id: row.id } });
        // A retry after the answer committed: the same answer.
        if (g.decision === 'refused') return { result: 'refused', guardianId: g.id };
        if (g.decision === 'consented') return { result: 'consented', guardianId: g.accountId ?? g.id, relation: g.relation as GuardianRelation, adultProof: g.adultProof as GuardianAdultProof };
        if (!g.mobileVerifiedAt || !g.mobile) return { result: 'no_guardian' };
        const at = new Date(i.at);
        if (i.decision === 'refuse') {
          await tx.registrationGuardian.update({ where: { id: g.id }, data: { decision: 'refused', decidedAt: at } });
          return { result: 'refused', guardianId: g.id };
        }
        // The guardian is an adult (民法典 art. 17), counted in 周岁 on the local date (ageOn).
        const today = localDate(at, i.timeZone);
        let birthDate: string | null = null;
        let accountId: string | null = null;
        if (g.adultProof === 'account') {
          // The account that holds the verified mobile (one active account per mobile number), real-name verified.
          const [guardianMobile] = await sealer().open(g.subjectId, [g.mobile]);
          const reg = guardianMobile ? await tx.registration.findFirst({ where: { mobileIndex: await blindIndex('mobile', guardianMobile), status: 'approved', id: { not: i.registrationId } } }) : null;
          const account = reg ? await tx.userAccount.findUnique({ where: { registrationId: reg.id } }) : null;
          const identity = reg && account?.realNameVerifiedAt ? await tx.registrationIdentity.findUnique({ where: { registrationId: reg.id } }) : null;
          if (!account || !identity?.checkedAt) return { result: 'not_verified' };
          birthDate = identity.birthDate;
          accountId = account.id;
        } else if (g.adultProof === 'real_name') {
          if (g.realNameResult !== 'match' || !g.birthDate) return { result: 'not_verified' };
          birthDate = g.birthDate;
        } else {
          return { result: 'not_verified' };
        }
        if (ageOn(birthDate, today) < ADULT_AGE) return { result: 'not_adult' };
        await tx.registrationGuardian.update({ where: { id: g.id }, data: { decision: 'consented', decidedAt: at, accountId } });
        // PIPL art. 31: the consent, with the guardian's id, the notice's hash and the privacy policy's version.
        await tx.registrationConsent.create({
          data: {
            id: `cns_${crypto.randomUUID().replace(/-/g, '')}`, registrationId: i.registrationId, purpose: 'guardian', givenBy: 'guardian', guardianRelation: g.relation, guardianId: accountId ?? g.id,
            privacyPolicyVersion: g.privacyPolicyVersion!, privacyPolicySha256: g.privacyPolicySha256!, noticeSha256: g.noticeSha256!, givenAt: at,
          },
        });
        return { result: 'consented', guardianId: accountId ?? g.id, relation: g.relation as GuardianRelation, adultProof: g.adultProof as GuardianAdultProof };
      });
      log(i.caseId).info({ registrationId: i.registrationId, result: decided.result }, 'guardian answer');
      return decided;
    },

    async recordRegistrationOutcome(i) {
      await db.registration.updateMany({
        where: { id: i.registrationId, status: 'pending' },
        data: { status: i.outcome, reasonCode: i.reasonCode ?? null, closedAt: new Date(i.at) },
      });
    },

    async erasePersonalData(i) {
      const counts = await db.$transaction(async (tx) => {
        // A retry after the erasure committed answers with what was erased then.
        const done = await tx.auditEvent.findUnique({ where: { caseId_eventKey: { caseId: i.caseId, eventKey: i.eventKey } } });
        if (done) {
          const { reason: _reason, ...erased } = done.payload as { reason: string; registrations: number; challenges: number; identities: number; smsMessages: number; parties: number; guardians?: number };
          return erased;
        }
        // Consent records stay: they hold no personal data and prove what was agreed (PIPL art. 14, 29).
        const registrations = await tx.registration.updateMany({
          where: { id: i.registrationId, status: { not: 'approved' } },
          data: { usernameClear: null, usernameSealed: null, usernameIndex: null, fullName: null, mobileClear: null, mobileSealed: null, mobileIndex: null, email: null, passwordHash: null, paymentMethodToken: null, paymentMethodTokenPending: null, declaredBirthDate: null, personalDataErasedAt: new Date(i.at) },
        });
        const challenges = await tx.registrationChallenge.deleteMany({ where: { registrationId: i.registrationId } });
        const identities = await tx.registrationIdentity.deleteMany({ where: { registrationId: i.registrationId } });
        const smsMessages = await tx.smsOutbox.deleteMany({ where: { registrationId: i.registrationId } });
        const parties = await tx.party.deleteMany({ where: { kind: 'customer', id: i.userRef } });
        // The guardian's data of a registration that did not complete (PIPL art. 47): the consent rows keep the ids only.
        const guardians = await tx.registrationGuardian.deleteMany({ where: { registrationId: i.registrationId } });
        const c = { registrations: registrations.count, challenges: challenges.count, identities: identities.count, smsMessages: smsMessages.count, parties: parties.count, ...(guardians.count > 0 && { guardians: guardians.count }) };
        // The audit trail keeps that (and what kind of) data was deleted, never the data.
        await appendAuditEvent(tx, { caseId: i.caseId, eventKey: i.eventKey, type: 'registration.personal_data_erased', actor: 'system', at: new Date(i.at), payload: { reason: i.reason, ...c } });
        return c;
      });
      log(i.caseId).info({ registrationId: i.registrationId, ...counts }, 'personal data erased');
      return counts;
    },
  };
}

// ---- Consent withdrawal (PIPL art. 15: as easy as the consent) ----

/** The separate consents a person withdraws (PIPL art. 15, 29-31); `guardian` takes the guardian's own consent to the real-name check with it. */
export const withdrawableConsents = ['id_number', 'face_image', 'guardian'] as const;
export type WithdrawableConsent = (typeof withdrawableConsents)[number];

export interface WithdrawConsentInput {
  registrationId: string;
  /** The case whose audit trail records the withdrawal: the registration's own. */
  caseId: string;
  purpose: WithdrawableConsent;
  /** The principal who withdrew it (the storefront on the person's behalf, or staff) and its role. */
  by: { id: string; role: string };
  at: Date;
  /** The case whose processing the withdrawal stopped (cancelled), if one was under way. */
  stoppedCaseId?: string | null;
}

/** What a withdrawal erased (the inventory's columns) and what it keeps, why and until when. */
export interface ConsentErasure {
  table: string;
  columns: string[];
  rows: number;
}
export interface ConsentKept {
  table: string;
  columns: string[];
  why: string;
  /** ISO date the kept rows are purged; null: as long as the account or case they belong to. */
  until: string | null;
}
export type WithdrawConsentResult =
  | { result: 'not_given' }
  | { result: 'already_withdrawn'; withdrawnAt: string }
  | { result: 'withdrawn'; withdrawnAt: string; consents: { id: string; purpose: string }[]; erased: ConsentErasure[]; kept: ConsentKept[] };

const consentPurposesOf = (p: WithdrawableConsent): string[] => (p === 'guardian' ? ['guardian', 'guardian_real_name'] : [p]);
const addDays = (at: Date, days: number) => new Date(at.getTime() + days * 86_400_000).toISOString();

/**
 * Withdraws a separate consent of a registration (PIPL art. 15) in one transaction: `withdrawn_at` set on its rows, the
 * data the consent covered erased (lib/personalData.ts: `sensitiveIdentity` is erased at once on withdrawal; the
 * guardian record's personal fields, `registration`), the consent rows kept as proof (`consentProof`, kept by law), and
 * the audit event `consent.withdrawn` on the registration's case (purpose, by whom, counts; never the data).
 * Processing already done stays valid (PIPL art. 15, second sentence): an account's `real_name_verified_at` stays.
 */
export async function withdrawRegistrationConsent(db: ActivityDeps['db'], i: WithdrawConsentInput): Promise<WithdrawConsentResult> {
  return db.$transaction(async (tx) => {
    const rows = await tx.registrationConsent.findMany({ where: { registrationId: i.registrationId, purpose: { in: consentPurposesOf(i.purpose) } }, orderBy: { givenAt: 'asc' } });
    const main = rows.filter((r) => r.purpose === i.purpose);
    if (main.length === 0) return { result: 'not_given' } as const;
    const live = rows.filter((r) => r.withdrawnAt === null);
    if (!live.some((r) => r.purpose === i.purpose)) return { result: 'already_withdrawn', withdrawnAt: main.map((r) => r.withdrawnAt!).sort((a, b) => b.getTime() - a.getTime())[0].toISOString() } as const;
    // Only rows still in force: a concurrent withdrawal of the same consent finds none left (409).
    const moved = await tx.registrationConsent.updateMany({ where: { id: { in: live.map((r) => r.id) }, withdrawnAt: null }, data: { withdrawnAt: i.at } });
    if (moved.count !== live.length) return { result: 'already_withdrawn', withdrawnAt: i.at.toISOString() } as const;

    const erased: ConsentErasure[] = [];
    const kept: ConsentKept[] = [];
    if (i.purpose === 'id_number') {
      // The ID verification stands on the number: without it nothing of the row is needed (PIPL arts. 15, 28-29, 47).
      const r = await tx.registrationIdentity.deleteMany({ where: { registrationId: i.registrationId } });
      erased.push({ table: 'registration_identities', columns: ['id_number_hash', 'id_last4', 'birth_date', 'document_type', 'document_image_ref', 'face_image_ref', 'face_result', 'risk_flag'], rows: r.count });
    } else if (i.purpose === 'face_image') {
      const r = await tx.registrationIdentity.updateMany({ where: { registrationId: i.registrationId }, data: { faceImageRef: null, faceResult: null } });
      erased.push({ table: 'registration_identities', columns: ['face_image_ref', 'face_result'], rows: r.count });
    } else {
      // The guardian's personal fields (PIPL art. 31, 47); the record's id, answer and hashes stay as the consent's proof.
      const g = await tx.registrationGuardian.updateMany({
        where: { registrationId: i.registrationId },
        data: { mobile: null, mobilePending: null, relation: null, accountId: null, fullName: null, idNumberHash: null, idLast4: null, birthDate: null, realNameResult: null },
      });
      erased.push({ table: 'registration_guardians', columns: ['mobile', 'mobile_pending', 'relation', 'account_id', 'full_name', 'id_number_hash', 'id_last4', 'birth_date', 'real_name_result'], rows: g.count });
      const sms = await tx.smsOutbox.deleteMany({ where: { registrationId: i.registrationId, purpose: 'guardian_verification' } });
      erased.push({ table: 'sms_outbox', columns: ['to_number', 'body'], rows: sms.count });
      if (g.count > 0) {
        kept.push({ table: 'registration_guardians', columns: ['id', 'adult_proof', 'decision', 'decided_at', 'privacy_policy_version', 'privacy_policy_sha256', 'notice_sha256'], why: `the record the guardian's consent rows name, stripped: no personal data left (${retentions.consentProof.law})`, until: null });
      }
    }
    kept.push({ table: 'registration_consents', columns: ['purpose', 'given_by', 'guardian_relation', 'guardian_id', 'privacy_policy_version', 'privacy_policy_sha256', 'notice_sha256', 'given_at', 'withdrawn_at'], why: `proof of the consent and of its withdrawal: ${retentions.consentProof.clause}`, until: addDays(i.at, retentions.consentProof.days) });
    if (i.purpose !== 'guardian' && (await tx.userAccount.count({ where: { registrationId: i.registrationId, realNameVerifiedAt: { not: null } } })) > 0) {
      kept.push({ table: 'user_accounts', columns: ['real_name_verified_at'], why: 'PIPL art. 15: the withdrawal does not undo processing done before it; the date holds no ID data', until: null });
    }
    await appendAuditEvent(tx, {
      caseId: i.caseId,
      eventKey: `consent-withdrawn:${i.purpose}:${live.map((r) => r.id).join(',')}`,
      type: 'consent.withdrawn',
      actor: i.by.id,
      at: i.at,
      payload: { purpose: i.purpose, by: i.by.id, role: i.by.role, consents: live.map((r) => r.purpose), erased: erased.map((e) => ({ table: e.table, rows: e.rows })), ...(i.stoppedCaseId && { stoppedCaseId: i.stoppedCaseId }) },
    });
    return { result: 'withdrawn', withdrawnAt: i.at.toISOString(), consents: live.map((r) => ({ id: r.id, purpose: r.purpose })), erased, kept } as const;
  });
}

// The code rules and the daily SMS caps live in lib/verificationCodes.ts (shared with the personal-data request).
export { hashMobileCode, localDate, macMatches, mobileCodeMatches, releaseSmsQuota, takeSmsQuota, type SmsQuotaKey, type SmsQuotaResult } from '../lib/verificationCodes';
