// Reply tokens: every notice about a case carries `Reply-To: case+<token>@<INBOUND_MAIL_DOMAIN>`, where the token is
// the case id and the party the notice went to, signed with an HMAC (REPLY_TOKEN_SECRET). A reply to that address is
// a message in the case's thread from that party (processes/inboundMail.ts), once its sender matches the party's contact.
//
// Form: `<case id, lower case>.<party letter>.<16 base32 digits of HMAC-SHA256>`: readable, only characters every mail
// system keeps in a local part, and lower case, since some relays fold case (case ids are looked up case-blind). With a
// case id of a prefix and a UUID the local part `case+…` stays within SMTP's 64 characters.
import crypto from 'node:crypto';

export const replyParties = ['customer', 'merchant', 'staff'] as const;
export type ReplyParty = (typeof replyParties)[number];

const letterOf: Record<ReplyParty, string> = { customer: 'c', merchant: 'm', staff: 's' };
const partyOfLetter: Record<string, ReplyParty> = { c: 'customer', m: 'merchant', s: 'staff' };
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function mac(secret: string, caseIdLower: string, letter: string): string {
  const digest = crypto.createHmac('sha256', secret).update(`reply-token\u0000${caseIdLower}\u0000${letter}`).digest();
  // 80 bits, as 16 base32 digits.
  let bits = 0n;
  for (const b of digest.subarray(0, 10)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 15; i >= 0; i--) out += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

export function replyToken(secret: string, caseId: string, party: ReplyParty): string {
  const id = caseId.toLowerCase();
  return `${id}.${letterOf[party]}.${mac(secret, id, letterOf[party])}`;
}

/** The case (its id lower-cased: look it up case-blind) and party a token names, or null when it is not one we signed. */
export function verifyReplyToken(secret: string, token: string): { caseIdLower: string; party: ReplyParty } | null {
  const m = /^([a-z0-9-]{1,80})\.([cms])\.([a-z2-7]{16})$/.exec(token.toLowerCase());
  if (!m) return null;
  const expected = Buffer.from(mac(secret, m[1], m[2]));
  const given = Buffer.from(m[3]);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return null;
  return { caseIdLower: m[1], party: partyOfLetter[m[2]] };
}

/** The Reply-To address of a notice about `caseId` sent to `party`. */
export const replyAddress = (secret: string, domain: string, caseId: string, party: ReplyParty): string => `case+${replyToken(secret, caseId, party)}@${domain}`;

/** The token of a recipient address `case+<token>@<domain>` (domain compared case-blind), or null for any other address. */
export function tokenOfAddress(address: string, domain: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  const local = address.slice(0, at);
  return local.toLowerCase().startsWith('case+') ? local.slice(5) : null;
}

/**
 * The outbox's Reply-To of a notice (activities/notificationOutbox.ts replyTo) when inbound mail is on: the recipient's
 * party (customers and merchants receive notices). Off: notices carry no Reply-To.
 */
export function noticeReplyTo(cfg: { INBOUND_MAIL_ENABLED: boolean; REPLY_TOKEN_SECRET: string; INBOUND_MAIL_DOMAIN: string }): ((caseId: string, recipientKind: string) => string | undefined) | undefined {
  if (!cfg.INBOUND_MAIL_ENABLED) return undefined;
  return (caseId, kind) => ((replyParties as readonly string[]).includes(kind) ? replyAddress(cfg.REPLY_TOKEN_SECRET, cfg.INBOUND_MAIL_DOMAIN, caseId, kind as ReplyParty) : undefined);
}
