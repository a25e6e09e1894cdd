// The e-mail intake's confirmation links (lib/mailIntakeTokens.ts) and addresses (processes/mailIntake.ts): a token
// names one intake of one process, anything else is refused; the address is the process's local part unless renamed.
import { ConfigError, loadConfig } from '../../lib/config';
import { mailIntakeToken, verifyMailIntakeToken } from '../../lib/mailIntakeTokens';
import { processOf } from '../../processes';
import { complainantIdOf, intakeAddress, settingsOf } from '../../processes/mailIntake';

const SECRET = 's'.repeat(40);
const ID = `mi_${'a1'.repeat(16)}`;

test('a token verifies for its intake and process only; a changed digit, another key or another process is refused', () => {
  const token = mailIntakeToken(SECRET, 'complaint', ID);
  expect(token).toMatch(/^mi_[0-9a-f]{32}\.[a-z2-7]{26}$/);
  expect(verifyMailIntakeToken(SECRET, 'complaint', token)).toBe(ID);
  expect(verifyMailIntakeToken(SECRET, 'complaint', token.toUpperCase())).toBe(ID); // case-blind
  const last = token.at(-1)!;
  expect(verifyMailIntakeToken(SECRET, 'complaint', `${token.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`)).toBeNull();
  expect(verifyMailIntakeToken('t'.repeat(40), 'complaint', token)).toBeNull();
  expect(verifyMailIntakeToken(SECRET, 'warranty_repair', token)).toBeNull();
  expect(verifyMailIntakeToken(SECRET, 'complaint', `mi_${'b2'.repeat(16)}.${token.split('.')[1]}`)).toBeNull();
  for (const junk of ['', 'nonsense', `${ID}.`, `${token}x`]) expect(verifyMailIntakeToken(SECRET, 'complaint', junk)).toBeNull();
});

test("the complaint's intake address is complaints@ the inbound domain, renamed by MAIL_INTAKE_LOCAL_PARTS; a bad list stops start-up", () => {
  const complaint = processOf('complaint')!;
  expect(intakeAddress(settingsOf(loadConfig({ INBOUND_MAIL_DOMAIN: 'Reply.Shop.Example' })), complaint)).toBe('complaints@reply.shop.example');
  const renamed = loadConfig({ INBOUND_MAIL_DOMAIN: 'reply.shop.example', MAIL_INTAKE_LOCAL_PARTS: 'complaint=Tousu, other=x' });
  expect(renamed.MAIL_INTAKE_LOCAL_PARTS).toEqual({ complaint: 'tousu', other: 'x' });
  expect(intakeAddress(settingsOf(renamed), complaint)).toBe('tousu@reply.shop.example');
  expect(() => loadConfig({ MAIL_INTAKE_LOCAL_PARTS: 'complaints' })).toThrow(ConfigError);
  // The link points at the API unless its public origin is set.
  expect(settingsOf(loadConfig({ API_HOST: '127.0.0.1', API_PORT: '3000' })).linkBase).toBe('http://127.0.0.1:3000');
  expect(settingsOf(loadConfig({ MAIL_INTAKE_LINK_BASE: 'https://care.shop.example' })).linkBase).toBe('https://care.shop.example');
});

test('the complainant id of an unknown address is derived from it, keyed and case-blind', () => {
  const id = complainantIdOf(SECRET, 'Someone@Mailbox.test');
  expect(id).toMatch(/^mail-[0-9a-f]{24}$/);
  expect(complainantIdOf(SECRET, 'someone@mailbox.test')).toBe(id);
  expect(complainantIdOf('t'.repeat(40), 'someone@mailbox.test')).not.toBe(id);
  expect(complainantIdOf(SECRET, 'other@mailbox.test')).not.toBe(id);
});
