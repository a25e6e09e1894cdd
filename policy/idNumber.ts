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

// ---- Identity documents accepted for real-name verification (policy 1.2; issue: document types) ----
// Each document has its own number rules. Only a keyed hash, the birth date and the last four characters are kept.

export const identityDocumentTypes = [
  /** 居民身份证: 18 characters, GB 11643-1999 (address code starting 1-8, never 81/82/83). */
  'resident_id',
  /** 港澳居民居住证: 18 characters, address code 810000 (Hong Kong) or 820000 (Macau), GB 11643 check character. */
  'hk_macau_residence_permit',
  /** 台湾居民居住证: 18 characters, address code 830000, GB 11643 check character. */
  'taiwan_residence_permit',
  /**
   * 外国人永久居留身份证: the 2023 version, 18 digits starting with 9 (9 + province code + numeric nationality
   * code + YYYYMMDD + sequence + MOD 11-2 check character), or the 2017 version, 15 characters (3 Latin letters
   * for the nationality, then 12 digits), still valid until it expires.
   */
  'foreign_permanent_resident_id',
] as const;
export type IdentityDocumentType = (typeof identityDocumentTypes)[number];

export type IdDocumentProblem = IdNumberProblem | 'document_type';

export type IdDocumentCheck =
  | { valid: true; type: IdentityDocumentType; normalized: string; last4: string; birthDate: string | null; version?: '2017' | '2023' }
  | { valid: false; problem: IdDocumentProblem; message: string };

const PERMIT_PREFIX: Record<'hk_macau_residence_permit' | 'taiwan_residence_permit', readonly string[]> = {
  hk_macau_residence_permit: ['810000', '820000'],
  taiwan_residence_permit: ['830000'],
};

/** The birth date YYYYMMDD at `at` in an 18-character number, if it is a possible date not after `today`. */
function birthDateAt(id: string, at: number, today: Date): string | null {
  const y = Number(id.slice(at, at + 4));
  const m = Number(id.slice(at + 4, at + 6));
  const d = Number(id.slice(at + 6, at + 8));
  const birth = new Date(Date.UTC(y, m - 1, d));
  const realDate = birth.getUTCFullYear() === y && birth.getUTCMonth() === m - 1 && birth.getUTCDate() === d;
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (!realDate || y < 1900 || birth.getTime() > todayUtc) return null;
  return `${id.slice(at, at + 4)}-${id.slice(at + 4, at + 6)}-${id.slice(at + 6, at + 8)}`;
}

/** An 18-character GB 11643-style number: 17 digits and a MOD 11-2 check character (digit or X). */
function check18(id: string, today: Date): IdDocumentCheck | { birthDate: string } {
  if (!/^\d{17}[\dX]$/.test(id)) return { valid: false, problem: 'format', message: 'the number has 18 characters: 17 digits and a digit or X' };
  const birthDate = birthDateAt(id, 6, today);
  if (!birthDate) return { valid: false, problem: 'birth_date', message: 'the birth date in the number is not a possible date' };
  if (idCheckCharacter(id.slice(0, 17)) !== id[17]) return { valid: false, problem: 'check_digit', message: 'the check character of the number is wrong' };
  return { birthDate };
}

/** Validates the number of an identity document of `type`; `today` bounds the birth date (defaults to now). */
export function checkIdDocument(type: IdentityDocumentType, input: string, today: Date = new Date()): IdDocumentCheck {
  const id = input.replace(/\s/g, '').toUpperCase();
  const last4 = id.slice(-4);
  switch (type) {
    case 'resident_id': {
      if (/^8[123]0000/.test(id)) return { valid: false, problem: 'document_type', message: 'a number starting 810000, 820000 or 830000 is a Hong Kong, Macau or Taiwan residence permit: choose that document type' };
      if (/^9\d{17}$/.test(id)) return { valid: false, problem: 'document_type', message: 'a number starting with 9 is a foreigner\'s permanent-residence ID: choose that document type' };
      const r = checkIdNumber(id, today);
      return r.valid ? { valid: true, type, normalized: r.normalized, last4: r.last4, birthDate: r.birthDate } : r;
    }
    case 'hk_macau_residence_permit':
    case 'taiwan_residence_permit': {
      const r = check18(id, today);
      if ('valid' in r) return r;
      if (!PERMIT_PREFIX[type].some((p) => id.startsWith(p))) {
        return { valid: false, problem: 'format', message: `a ${type === 'taiwan_residence_permit' ? 'Taiwan' : 'Hong Kong or Macau'} residence permit number starts with ${PERMIT_PREFIX[type].join(' or ')}` };
      }
      return { valid: true, type, normalized: id, last4, birthDate: r.birthDate };
    }
    case 'foreign_permanent_resident_id': {
      if (/^[A-Z]{3}\d{12}$/.test(id)) {
        // 2017 version: the nationality letters and 12 digits; it has no check character to verify, and its
        // birth date is read from the card (the applicant declares it), not derived from the number.
        return { valid: true, type, normalized: id, last4, birthDate: null, version: '2017' };
      }
      if (!/^9/.test(id)) return { valid: false, problem: 'format', message: 'a permanent-residence ID has 18 digits starting with 9 (2023 version) or 3 letters and 12 digits (2017 version)' };
      const r = check18(id, today);
      if ('valid' in r) return r;
      return { valid: true, type, normalized: id, last4, birthDate: r.birthDate, version: '2023' };
    }
  }
}
