// Keyed blind indexes (lib/blindIndex.ts): equality look-ups over sealed fields. The same value (once normalised) gives
// the same index, another value or purpose another; without the port's key nothing links an index to its value.
import crypto from 'node:crypto';
import { blindIndexerFor, normaliseMobile } from '../../lib/blindIndex';
import { SimulatedKeyManagement } from '../../lib/keys';

const keys = new SimulatedKeyManagement(crypto.randomBytes(32).toString('hex'));
const index = blindIndexerFor(keys);

test('mobile numbers are normalised to E.164 before hashing', () => {
  for (const v of ['13812345678', '+8613812345678', '86 138-1234-5678', '008613812345678', ' 138 1234 5678 ']) expect(normaliseMobile(v)).toBe('+8613812345678');
  expect(normaliseMobile('+44 20 7946 0958')).toBe('+442079460958');
});

test('the same value in any accepted form meets; another value, purpose or key does not', async () => {
  const a = await index('mobile', '13812345678');
  expect(a).toMatch(/^[0-9a-f]{32}$/);
  expect(await index('mobile', '+86 138 1234 5678')).toBe(a);
  expect(await index('mobile', '13812345679')).not.toBe(a);
  expect(await index('username', 'Alice_1')).toBe(await index('username', 'alice_1'));
  expect(await index('email', 'A@Example.test')).toBe(await index('email', 'a@example.test'));
  // One key per purpose: the same text indexed for another column does not match.
  expect(await index('email', 'alice_1')).not.toBe(await index('username', 'alice_1'));
  // Another key (another deployment, a rotated master key): other indexes.
  const other = blindIndexerFor(new SimulatedKeyManagement(crypto.randomBytes(32).toString('hex')));
  expect(await other('mobile', '13812345678')).not.toBe(a);
  // Not an unkeyed hash of the value.
  expect(a).not.toBe(crypto.createHash('sha256').update('+8613812345678').digest('hex').slice(0, 32));
});
