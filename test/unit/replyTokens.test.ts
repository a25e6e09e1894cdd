// Reply tokens of notices (lib/replyTokens.ts): the case and party come back only from a token we signed, whatever a
// relay did to the case of the letters; a changed party, case or key fails; the address carries the inbound domain;
// production with inbound mail on needs a key of its own.
import { DEV_SECRETS, loadConfig } from '../../lib/config';
import { noticeReplyTo, replyAddress, replyToken, tokenOfAddress, verifyReplyToken } from '../../lib/replyTokens';

const secret = 's'.repeat(40);
const caseId = 'RET-0f8e4c1a-9b7d-4e2f-8a6c-5d3b2a1f0e9d';

test('a token names its case and party; upper-cased by a relay it still does; any change fails', () => {
  const token = replyToken(secret, caseId, 'merchant');
  expect(token).toMatch(/^ret-0f8e4c1a-9b7d-4e2f-8a6c-5d3b2a1f0e9d\.m\.[a-z2-7]{16}$/);
  expect(verifyReplyToken(secret, token)).toEqual({ caseIdLower: caseId.toLowerCase(), party: 'merchant' });
  expect(verifyReplyToken(secret, token.toUpperCase())).toEqual({ caseIdLower: caseId.toLowerCase(), party: 'merchant' });
  expect(verifyReplyToken(secret, token.replace('.m.', '.c.'))).toBeNull(); // another party
  expect(verifyReplyToken(secret, token.replace('ret-0', 'ret-1'))).toBeNull(); // another case
  expect(verifyReplyToken('k'.repeat(40), token)).toBeNull(); // another key
  expect(verifyReplyToken(secret, 'nothing')).toBeNull();
});

test('the Reply-To address: case+<token>@domain, its local part within 64 characters; other addresses carry no token', () => {
  const address = replyAddress(secret, 'reply.example.com', caseId, 'customer');
  expect(address.split('@')[0].length).toBeLessThanOrEqual(64);
  expect(tokenOfAddress(address, 'REPLY.example.com')).toBe(replyToken(secret, caseId, 'customer'));
  expect(tokenOfAddress(address, 'elsewhere.com')).toBeNull();
  expect(tokenOfAddress('care@reply.example.com', 'reply.example.com')).toBeNull();
  const cfg = { INBOUND_MAIL_ENABLED: true, REPLY_TOKEN_SECRET: secret, INBOUND_MAIL_DOMAIN: 'reply.example.com' };
  expect(noticeReplyTo(cfg)!(caseId, 'customer')).toBe(address);
  expect(noticeReplyTo(cfg)!(caseId, 'role')).toBeUndefined();
  expect(noticeReplyTo({ ...cfg, INBOUND_MAIL_ENABLED: false })).toBeUndefined();
});

test('production with inbound mail on refuses a missing or development reply-token key; off, none is needed', () => {
  const production = { NODE_ENV: 'production', REGISTRATION_SECRET: 'r'.repeat(40), REQUEST_HASH_SECRET: 'h'.repeat(40), WEBHOOK_SECRET_CARRIER: 'w'.repeat(40), SIMULATED_SIGNING_KEY_SEED: '5a'.repeat(32), ALLOW_SIMULATED: 'payments,sms,faces,carriers,listings,keys,regulator' };
  expect(loadConfig(production).INBOUND_MAIL_ENABLED).toBe(false);
  expect(() => loadConfig({ ...production, INBOUND_MAIL_ENABLED: 'true' })).toThrow(/REPLY_TOKEN_SECRET is not set/);
  expect(() => loadConfig({ ...production, INBOUND_MAIL_ENABLED: 'true', REPLY_TOKEN_SECRET: DEV_SECRETS.REPLY_TOKEN_SECRET })).toThrow(/REPLY_TOKEN_SECRET is the development default/);
  expect(loadConfig({ ...production, INBOUND_MAIL_ENABLED: 'true', REPLY_TOKEN_SECRET: secret })).toMatchObject({ INBOUND_MAIL_ENABLED: true, INBOUND_MAIL_PORT: 2525, REPLY_TOKEN_SECRET: secret });
});
