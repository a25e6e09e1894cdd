// The erasure scan's encodings (lib/erasureScan.ts): a value is found inside longer texts in each reversible encoding
// a store may hold it in, at any byte alignment, and a text without it matches nothing.
import { encodedNeedles } from '../../lib/erasureScan';

const value = '王芳 13912345678 Wang.Fang@example.com';
const needles = encodedNeedles({ person: value });
const hits = (haystack: string | Buffer) => needles.filter((n) => Buffer.from(haystack as any).includes(n.bytes)).map((n) => n.encoding);

test.each([0, 1, 2, 5])('base64 and base64url inside a longer encoded text, %i bytes in', (prefix) => {
  const wrapped = Buffer.concat([Buffer.from('x'.repeat(prefix)), Buffer.from(JSON.stringify({ note: value })), Buffer.from('tail')]);
  expect(hits(wrapped.toString('base64'))).toEqual(expect.arrayContaining([expect.stringMatching(/^base64@/)]));
  expect(hits(wrapped.toString('base64url'))).toEqual(expect.arrayContaining([expect.stringMatching(/^base64(url)?@/)]));
});

test('clear, hex, quoted-printable (with a soft line break removed), URL and JSON escapes', () => {
  const raw = Buffer.from(value, 'utf8');
  expect(hits(`a ${value} b`)).toContain('utf8');
  expect(hits(`\\x${raw.toString('hex')}`)).toContain('hex');
  expect(hits(raw.toString('hex').toUpperCase())).toContain('HEX');
  expect(hits(`q=${encodeURIComponent(value)}&x=1`)).toContain('url');
  expect(hits(JSON.stringify(value).replace(/[^\x00-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))).toContain('json-unicode');
  const qp = [...raw].map((b) => (b >= 33 && b <= 126 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  expect(hits(`Subject: x\n\n${qp}\n`)).toContain('quoted-printable');
});

test('nothing matches a text without the value; a value too short to scan for is refused', () => {
  expect(hits(Buffer.from('王芳 13912345679 another person').toString('base64'))).toEqual([]);
  expect(hits('Wang Fang, 139 1234 5678')).toEqual([]);
  expect(() => encodedNeedles({ tiny: 'ab' })).toThrow(/too short/);
});
