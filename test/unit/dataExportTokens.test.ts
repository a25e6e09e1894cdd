// The download link of a subject's data export (lib/subjectExport.ts): the token names the export and its expiry,
// signed; any changed character, another key or another label refuses it.
import { dataExportPath, dataExportToken, verifyDataExportToken } from '../../lib/subjectExport';
import { mailIntakeToken } from '../../lib/mailIntakeTokens';

const secret = 'a-test-secret-of-at-least-32-characters!';
const id = `dx_${'ab'.repeat(16)}`;
const expiresAt = new Date('2026-12-11T12:00:00.000Z');

test('a token names its export and expiry; the path carries it', () => {
  const token = dataExportToken(secret, id, expiresAt);
  expect(token).toMatch(/^dx_[0-9a-f]{32}\.1796990400\.[a-z2-7]{26}$/);
  expect(verifyDataExportToken(secret, token)).toEqual({ exportId: id, expiresAt });
  expect(dataExportPath(token)).toBe(`/data-exports/${token}`);
});

test('a changed id, expiry or signature, another key, or a token of another kind is refused', () => {
  const token = dataExportToken(secret, id, expiresAt);
  const [, seconds, mac] = token.split('.');
  expect(verifyDataExportToken(secret, `dx_${'cd'.repeat(16)}.${seconds}.${mac}`)).toBeNull();
  expect(verifyDataExportToken(secret, `${id}.${Number(seconds) + 1}.${mac}`)).toBeNull();
  expect(verifyDataExportToken(secret, `${id}.${seconds}.${(mac[0] === 'a' ? 'b' : 'a') + mac.slice(1)}`)).toBeNull();
  expect(verifyDataExportToken(secret, token.toUpperCase())).toBeNull();
  expect(verifyDataExportToken(`${secret}x`, token)).toBeNull();
  expect(verifyDataExportToken(secret, mailIntakeToken(secret, 'complaint', `mi_${'ab'.repeat(16)}`))).toBeNull();
  expect(verifyDataExportToken(secret, '')).toBeNull();
});
