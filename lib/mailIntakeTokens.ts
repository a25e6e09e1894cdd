// Confirmation tokens of the e-mail intake (processes/mailIntake.ts): the link sent to a sender names its intake and
// process, signed with an HMAC (REPLY_TOKEN_SECRET, the inbound mail's key, with a label of its own so a reply token can
// never pass for one). The token only says which intake; whether it is still pending or past its expiry is read from
// PostgreSQL (mail_intakes).
//
// Form: `<intake id>.<26 base32 digits of HMAC-SHA256>` (130 bits), URL-safe, case-blind.
import crypto from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function mac(secret: string, caseType: string, intakeId: string): string {
  const digest = crypto.createHmac('sha256', secret).update(`mail-intake\u0000${caseType}\u0000${intakeId}`).digest();
  let bits = 0n;
  for (const b of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 25; i >= 0; i--) out += BASE32[Number((bits >> BigInt(i * 5 + 6)) & 31n)];
  return out;
}

export const intakeIdPattern = /^mi_[0-9a-f]{32}$/;

export function mailIntakeToken(secret: string, caseType: string, intakeId: string): string {
  return `${intakeId}.${mac(secret, caseType, intakeId)}`;
}

/** The intake a token names for this process, or null when it is not one we signed (for it). */
export function verifyMailIntakeToken(secret: string, caseType: string, token: string): string | null {
  const m = /^(mi_[0-9a-f]{32})\.([a-z2-7]{26})$/.exec(token.toLowerCase());
  if (!m) return null;
  const expected = Buffer.from(mac(secret, caseType, m[1]));
  const given = Buffer.from(m[2]);
  if (!crypto.timingSafeEqual(expected, given)) return null;
  return m[1];
}
