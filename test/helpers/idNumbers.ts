import crypto from 'node:crypto';
import { idCheckCharacter } from '../../policy/idNumber';

// Test files share one database, and an ID number already used by a pending or approved registration is a risk flag
// (policy 3.4), which sends a verification to manual review. Numbers are drawn from a space wide enough that files
// running side by side never draw the same one.

/** A valid 18-character number with `prefix` (address code) and `birth` (YYYY-MM-DD); a random sequence code. */
export function documentNumber(prefix: string, birth: string): string {
  const first17 = `${prefix}${birth.replace(/-/g, '')}${String(crypto.randomInt(0, 1000)).padStart(3, '0')}`;
  return first17 + idCheckCharacter(first17);
}

/** A resident ID number (居民身份证) born on `birth`, under a random address code (first digit 1-7, never 81/82/83). */
export function residentIdNumber(birth = '1990-03-07'): string {
  return documentNumber(`${crypto.randomInt(1, 8)}${String(crypto.randomInt(0, 100_000)).padStart(5, '0')}`, birth);
}
