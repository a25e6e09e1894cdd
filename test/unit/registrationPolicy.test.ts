// Registration rules at the API edge and the secrets handling (policy 1.2, 1.3, 3.2).
import {
  hashMobileCode,
  hashPassword,
  mobileCodeMatches,
  signEmailToken,
  verifyEmailToken,
  verifyPassword,
} from '../../activities/registration';
import { SimulatedFaceVerifier } from '../../lib/faces';
import { defaultPolicy, parsePolicy } from '../../processes/policyDocument';
import { looksLikeCardNumber, passwordProblems } from '../../policy/registration';
import { mainlandMobileSchema, paymentMethodTokenSchema, usernameSchema } from '../../policy/registration.schemas';

const secret = 'unit-test-secret-0123456789abcdef0123456789';

test('the default policy validates and carries the documented defaults', () => {
  const r = parsePolicy(defaultPolicy).registration;
  expect(r.mobileCode).toEqual({ ttl: { amount: 10, unit: 'minutes' }, maxAttempts: 5, lockout: { amount: 30, unit: 'minutes' }, resendCooldown: { amount: 1, unit: 'minutes' } });
  expect(r.emailLink.ttl).toEqual({ amount: 24, unit: 'hours' });
  expect(r.verification).toEqual({ within: { amount: 72, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' });
  expect(r.manualReview).toEqual({ within: { amount: 4, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' });
  expect(r.paymentMethod).toBe('optional');
  expect(() => parsePolicy({ ...defaultPolicy, registration: { ...defaultPolicy.registration, mobileCode: { ...r.mobileCode, maxAttempts: 0 } } })).toThrow();
});

test('mobile numbers: mainland format, +86 prefix and separators normalised', () => {
  expect(mainlandMobileSchema.parse('13812345678')).toBe('13812345678');
  expect(mainlandMobileSchema.parse('+86 138-1234-5678')).toBe('13812345678');
  for (const bad of ['12812345678', '1381234567', '138123456789', '+1 415 555 0100', 'abc']) expect(mainlandMobileSchema.safeParse(bad).success).toBe(false);
});

test('usernames: lower-cased, a letter first, 4-20 characters', () => {
  expect(usernameSchema.parse('Alice_01')).toBe('alice_01');
  for (const bad of ['abc', '1alice', 'alice-01', 'a'.repeat(21), 'ali ce']) expect(usernameSchema.safeParse(bad).success).toBe(false);
});

test('password strength', () => {
  expect(passwordProblems('Correct-Horse-9')).toEqual([]);
  expect(passwordProblems('short1A')).toContain('at least 10 characters');
  expect(passwordProblems('alllowercaseletters')).toContain('at least three of: lower-case letters, upper-case letters, digits, symbols');
  expect(passwordProblems('Alice_01-Secret', 'alice_01')).toContain('must not contain the username');
});

test('card numbers are recognised anywhere in a body; payment tokens are not card numbers', () => {
  expect(looksLikeCardNumber({ token: '4111111111111111' })).toBe(true);
  expect(looksLikeCardNumber({ card: { pan: '4111 1111 1111 1111' } })).toBe(true);
  expect(looksLikeCardNumber({ n: 5500005555555559 })).toBe(true);
  expect(looksLikeCardNumber({ token: 'pm_tok_AbCdEf0123456789' })).toBe(false);
  expect(looksLikeCardNumber({ mobile: '13812345678' })).toBe(false);
  expect(paymentMethodTokenSchema.safeParse('pm_tok_AbCdEf0123456789').success).toBe(true);
  expect(paymentMethodTokenSchema.safeParse('4111111111111111').success).toBe(false);
});

test('passwords: scrypt with per-user salt and stored parameters; never the password', async () => {
  const a = await hashPassword('Correct-Horse-9');
  const b = await hashPassword('Correct-Horse-9');
  expect(a).toMatch(/^scrypt\$N=32768,r=8,p=1,len=64\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  expect(a).not.toBe(b); // salted
  expect(a).not.toContain('Correct-Horse-9');
  expect(await verifyPassword('Correct-Horse-9', a)).toBe(true);
  expect(await verifyPassword('correct-horse-9', a)).toBe(false);
});

test('mobile codes: stored as HMAC bound to the challenge, compared in constant time', () => {
  const stored = hashMobileCode(secret, 'REG-1:sms:1', '123456');
  expect(stored).toMatch(/^[0-9a-f]{64}$/);
  expect(stored).not.toContain('123456');
  expect(mobileCodeMatches(secret, 'REG-1:sms:1', '123456', stored)).toBe(true);
  expect(mobileCodeMatches(secret, 'REG-1:sms:1', '123457', stored)).toBe(false);
  expect(mobileCodeMatches(secret, 'REG-1:sms:2', '123456', stored)).toBe(false);
  expect(mobileCodeMatches('another-secret-0123456789abcdef0123456789', 'REG-1:sms:1', '123456', stored)).toBe(false);
});

test('e-mail links: signed registration id + purpose + expiry; tampering, other registrations and expiry are told apart', () => {
  const now = new Date('2026-11-27T10:00:00Z');
  const exp = new Date(now.getTime() + 24 * 3_600_000);
  const token = signEmailToken(secret, 'REG-1', 1, exp);
  expect(verifyEmailToken(secret, token, 'REG-1', now)).toEqual({ ok: true, registrationId: 'REG-1', seq: 1, expiresAt: exp });
  expect(verifyEmailToken(secret, token, 'REG-2', now)).toMatchObject({ ok: false, reason: 'other_registration' });
  expect(verifyEmailToken(secret, token, 'REG-1', new Date(exp.getTime() + 1000))).toMatchObject({ ok: false, reason: 'expired' });
  const [payload, sig] = token.split('.');
  const forged = `${Buffer.from(Buffer.from(payload, 'base64url').toString().replace('REG-1', 'REG-2')).toString('base64url')}.${sig}`;
  expect(verifyEmailToken(secret, forged, 'REG-2', now)).toMatchObject({ ok: false, reason: 'invalid' });
  expect(verifyEmailToken('another-secret-0123456789abcdef0123456789', token, 'REG-1', now)).toMatchObject({ ok: false, reason: 'invalid' });
  expect(verifyEmailToken(secret, 'garbage', 'REG-1', now)).toMatchObject({ ok: false, reason: 'invalid' });
});

test('the simulated face verifier answers by the image reference prefix', async () => {
  const f = new SimulatedFaceVerifier();
  const v = (faceImageRef: string) => f.verify({ registrationId: 'REG-1', faceImageRef, idNumberHash: 'h' });
  expect(await v('sim-pass-1')).toBe('pass');
  expect(await v('sim-fail-1')).toBe('fail');
  expect(await v('sim-uncertain-1')).toBe('uncertain');
  expect(await v('img-123')).toBe('uncertain');
  // The name check of the same port (a guardian's real-name check): deterministic by the name.
  const n = (name: string) => f.checkRealName({ registrationId: 'REG-1', name, documentType: 'resident_id', idNumber: '110105199003071234' });
  expect(await n('李四')).toBe('match');
  expect(await n('Sim Mismatch')).toBe('mismatch');
  expect(await n('姓名不符')).toBe('mismatch');
});

test('the guardian step\'s policy (PIPL art. 31): a deadline by default, validated; a lapse can only refuse; its notices', () => {
  const r = parsePolicy(defaultPolicy).registration;
  expect(r.guardianConsent).toEqual({ within: { amount: 72, unit: 'hours' }, onBreach: 'default-decision' });
  const { guardianConsent: _g, ...older } = r;
  expect(parsePolicy({ ...defaultPolicy, registration: older }).registration.guardianConsent).toEqual(r.guardianConsent);
  expect(parsePolicy({ ...defaultPolicy, registration: { ...r, guardianConsent: { within: { amount: 5, unit: 'working-days' }, remindAt: 0.5, onBreach: 'default-decision' } } }).registration.guardianConsent.within).toEqual({ amount: 5, unit: 'working-days' });
  expect(() => parsePolicy({ ...defaultPolicy, registration: { ...r, guardianConsent: { within: { amount: 72, unit: 'hours' }, onBreach: 'notify' } } })).toThrow();
  expect(() => parsePolicy({ ...defaultPolicy, registration: { ...r, guardianConsent: { within: { amount: 0, unit: 'hours' }, onBreach: 'default-decision' } } })).toThrow();
  const { consentNotices, consentPurposes, ADULT_AGE } = require('../../policy/registration') as typeof import('../../policy/registration');
  expect(consentPurposes).toEqual(expect.arrayContaining(['guardian', 'guardian_real_name']));
  expect(consentNotices.guardian_real_name['zh-CN']).toMatch(/证件号码/);
  expect(ADULT_AGE).toBe(18);
});

describe('the law under the policy (issue 9)', () => {
  const { ageOn, minorStatus, consentNotices, consentPurposes } = require('../../policy/registration') as typeof import('../../policy/registration');

  test('the defaults: real name not at registration, the features that ask for it, minors, retention, SMS caps', () => {
    const r = parsePolicy(defaultPolicy).registration;
    expect(r.realName).toEqual({ atRegistration: false, requiredFor: ['merchant_account', 'payment_above_limit', 'cross_border_purchase'], paymentLimitMinor: 500_000 });
    expect(r.minors).toEqual({ guardianConsentUnder: 14, safeguardsUnder: 18 });
    expect(r.rejectedRetentionDays).toBe(30);
    expect(r.smsDailyCap).toEqual({ perMobile: 10, perClientAddress: 30 });
    expect(r.privacyPolicy.version).toBe('2026-11');
    // A policy file written before these settings still parses, with the same defaults.
    const { realName: _a, minors: _b, rejectedRetentionDays: _c, smsDailyCap: _d, privacyPolicy: _e, ...older } = r;
    expect(parsePolicy({ ...defaultPolicy, registration: older }).registration).toEqual(r);
    expect(() => parsePolicy({ ...defaultPolicy, registration: { ...r, minors: { guardianConsentUnder: 12, safeguardsUnder: 18 } } })).toThrow(); // PIPL art. 28: not below 14
  });

  // 周岁: an age is reached on the day after the birthday (法释〔2006〕1号 art. 2; 民法典 arts. 201-203).
  test.each([
    ['2012-11-28', '2026-11-27', 13, 'child_needs_guardian'],
    ['2012-11-28', '2026-11-28', 13, 'child_needs_guardian'], // the 14th birthday: still 13
    ['2012-11-28', '2026-11-29', 14, 'minor'],
    ['2012-11-29', '2026-11-28', 13, 'child_needs_guardian'],
    ['2008-11-28', '2026-11-28', 17, 'minor'], // the 18th birthday: still 17
    ['2008-11-28', '2026-11-29', 18, 'adult'],
    ['2008-11-29', '2026-11-28', 17, 'minor'],
    ['2012-12-31', '2026-12-31', 13, 'child_needs_guardian'], // year end
    ['2012-12-31', '2027-01-01', 14, 'minor'],
    ['2012-01-01', '2026-01-01', 13, 'child_needs_guardian'], // year start
    ['2012-01-01', '2026-01-02', 14, 'minor'],
    ['2008-02-29', '2026-02-28', 17, 'minor'], // a leap-day birthday: the period ends on 28 February (art. 202)
    ['2008-02-29', '2026-03-01', 18, 'adult'],
    ['2012-02-29', '2026-02-28', 13, 'child_needs_guardian'],
    ['2012-02-29', '2026-03-01', 14, 'minor'],
    ['2008-02-29', '2028-02-28', 19, 'adult'], // in a leap year the birthday is 29 February itself
    ['2008-02-29', '2028-02-29', 19, 'adult'],
    ['2008-02-29', '2028-03-01', 20, 'adult'],
    ['2012-02-28', '2026-02-28', 13, 'child_needs_guardian'],
    ['2012-03-01', '2026-03-01', 13, 'child_needs_guardian'],
    ['2012-03-01', '2026-03-02', 14, 'minor'],
    ['2012-11-28', '2012-11-28', 0, 'child_needs_guardian'], // the day of birth
    ['2012-11-28', '2013-11-29', 1, 'child_needs_guardian'],
  ] as const)('born %s, on %s: %i years, %s', (birth, on, age, status) => {
    expect(ageOn(birth, on)).toBe(age);
    expect(minorStatus(ageOn(birth, on), { guardianConsentUnder: 14, safeguardsUnder: 18 })).toBe(status);
  });

  test.each([
    // instant (UTC), local date in Shanghai: the age turns at 00:00 Shanghai time of the day after the birthday (16:00 UTC)
    ['2026-11-28T15:59:59.999Z', 13],
    ['2026-11-28T16:00:00.000Z', 14],
    ['2026-11-27T16:00:00.000Z', 13], // 00:00 of the birthday, Shanghai
    ['2026-11-29T00:00:00.000Z', 14],
  ] as const)('born 2012-11-28, at %s (Asia/Shanghai): %i', (at, age) => {
    const { localDate } = require('../../activities/registration') as typeof import('../../activities/registration');
    expect(ageOn('2012-11-28', localDate(new Date(at), 'Asia/Shanghai'))).toBe(age);
  });

  test('every consent has its notice in both languages, saying why and what refusing affects', () => {
    for (const p of consentPurposes) {
      expect(consentNotices[p]['zh-CN'].length).toBeGreaterThan(20);
      expect(consentNotices[p].en).toMatch(/refus|Without it/i);
    }
  });
});
