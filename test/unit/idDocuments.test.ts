// Identity documents for real-name verification (policy 1.2; issue 9 "document types"): each type's number rules.
import { checkIdDocument, idCheckCharacter } from '../../policy/idNumber';

const today = new Date('2026-11-28T00:00:00Z');
const withCheck = (first17: string) => first17 + idCheckCharacter(first17);

describe('resident ID (GB 11643-1999)', () => {
  test('valid: birth date and last four', () => {
    expect(checkIdDocument('resident_id', '11010519491231002X', today)).toEqual({ valid: true, type: 'resident_id', normalized: '11010519491231002X', last4: '002X', birthDate: '1949-12-31' });
  });
  test.each([
    ['110105194912310021', 'check_digit'],
    ['11010519491331002X', 'birth_date'],
    ['1101051949123100', 'format'],
    [withCheck('81000019900101123'), 'document_type'], // a Hong Kong/Macau permit number
    [withCheck('83000019900101123'), 'document_type'], // a Taiwan permit number
    [withCheck('91104020050101123'), 'document_type'], // a 2023 permanent-residence ID
  ])('%s refused: %s', (id, problem) => {
    expect(checkIdDocument('resident_id', id, today)).toMatchObject({ valid: false, problem });
  });
});

describe('Hong Kong, Macau and Taiwan residence permits (18 digits, 810000 / 820000 / 830000)', () => {
  test.each([
    ['hk_macau_residence_permit', withCheck('81000019900307123'), '1990-03-07'],
    ['hk_macau_residence_permit', withCheck('82000020120229456'), '2012-02-29'],
    ['taiwan_residence_permit', withCheck('83000020100815007'), '2010-08-15'],
  ] as const)('%s %s valid', (type, id, birthDate) => {
    expect(checkIdDocument(type, id, today)).toEqual({ valid: true, type, normalized: id, last4: id.slice(-4), birthDate });
  });
  test.each([
    ['hk_macau_residence_permit', withCheck('83000019900307123'), 'format'], // a Taiwan prefix
    ['taiwan_residence_permit', withCheck('81000019900307123'), 'format'], // a Hong Kong prefix
    ['taiwan_residence_permit', withCheck('11010519900307123'), 'format'], // a resident ID
    ['hk_macau_residence_permit', '810000199003071230'.slice(0, 17) + (idCheckCharacter('81000019900307123') === '0' ? '1' : '0'), 'check_digit'],
    ['taiwan_residence_permit', withCheck('83000020110229007'), 'birth_date'], // 2011 is not a leap year
    ['hk_macau_residence_permit', withCheck('81000020300101123'), 'birth_date'], // born in the future
    ['taiwan_residence_permit', '8300002010081500', 'format'],
  ] as const)('%s %s refused: %s', (type, id, problem) => {
    expect(checkIdDocument(type, id, today)).toMatchObject({ valid: false, problem });
  });
});

describe("foreigner's permanent-residence ID", () => {
  test('2023 version: 18 digits starting with 9, MOD 11-2 check character, birth date at positions 7-14', () => {
    const id = withCheck('93115620050608001'); // 9, Beijing-area code 31, nationality 156-style numeric code, 2005-06-08
    expect(checkIdDocument('foreign_permanent_resident_id', id, today)).toEqual({ valid: true, type: 'foreign_permanent_resident_id', normalized: id, last4: id.slice(-4), birthDate: '2005-06-08', version: '2023' });
  });
  test('2017 version: 3 letters for the nationality and 12 digits; no birth date is derived from it', () => {
    expect(checkIdDocument('foreign_permanent_resident_id', 'usa 110090061501', today)).toEqual({ valid: true, type: 'foreign_permanent_resident_id', normalized: 'USA110090061501', last4: '1501', birthDate: null, version: '2017' });
  });
  test.each([
    [withCheck('13115620050608001'), 'format'], // does not start with 9
    ['93115620050608001' + (idCheckCharacter('93115620050608001') === '0' ? '1' : '0'), 'check_digit'],
    [withCheck('93115620051308001'), 'birth_date'],
    ['US1100900615012', 'format'], // only two letters
    ['USA11009006150', 'format'], // 11 digits
  ])('%s refused: %s', (id, problem) => {
    expect(checkIdDocument('foreign_permanent_resident_id', id, today)).toMatchObject({ valid: false, problem });
  });
});
