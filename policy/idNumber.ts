// Resident identity card number (GB 11643-1999): format, birth date and check character.
// Pure: used by the API edge before the real-name verification (policy 1.2). The number itself is never
// stored in plain text: only a keyed hash, the birth date and the last four characters.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'] as const;

export type IdNumberProblem = 'format' | 'birth_date' | 'check_digit';

export type IdNumberCheck =
  | { valid: true; normalized: string; birthDate: string; last4: string; sex: 'male' | 'female' }
  | { valid: false; problem: IdNumberProblem; message: string };

/** The check character for the first 17 digits. */
export function idCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('idCheckCharacter needs 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** Validates an 18-character resident ID number; `today` bounds the birth date (defaults to now). */
export function checkIdNumber(input: string, today: Date = new Date()): IdNumberCheck {
  const id = input.trim().toUpperCase();
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) {
    return { valid: false, problem: 'format', message: 'an ID number has 18 characters: 17 digits and a digit or X' };
  }
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  const realDate = birth.getUTCFullYear() === y && birth.getUTCMonth() === m - 1 && birth.getUTCDate() === d;
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (!realDate || y < 1900 || birth.getTime() > todayUtc) {
    return { valid: false, problem: 'birth_date', message: 'the birth date in the ID number is not a possible date' };
  }
  if (idCheckCharacter(id.slice(0, 17)) !== id[17]) {
    return { valid: false, problem: 'check_digit', message: 'the check character of the ID number is wrong' };
  }
  return {
    valid: true,
    normalized: id,
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    last4: id.slice(14),
    sex: Number(id[16]) % 2 === 1 ? 'male' : 'female',
  };
}
