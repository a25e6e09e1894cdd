// GB 11643-1999 resident ID numbers: format, birth date, check character (policy 1.2 real-name verification).
import { checkIdNumber, idCheckCharacter } from '../../policy/idNumber';

const today = new Date('2026-11-27T00:00:00Z');

test.each([
  // The standard's own example, with check character X.
  ['11010519491231002X', '1949-12-31', '002X', 'female'],
  // Computed samples: a leap day, an ordinary date, a recent birth.
  ['440304200002291236', '2000-02-29', '1236', 'male'],
  ['320106199003071576', '1990-03-07', '1576', 'male'],
  ['310115200111110018', '2001-11-11', '0018', 'male'],
])('%s is valid', (id, birthDate, last4, sex) => {
  expect(checkIdNumber(id, today)).toEqual({ valid: true, normalized: id, birthDate, last4, sex });
});

test('a lower-case x and surrounding spaces are normalised', () => {
  expect(checkIdNumber(' 11010519491231002x ', today)).toMatchObject({ valid: true, normalized: '11010519491231002X' });
});

test('the check character is computed with the GB 11643 weights (mod 11)', () => {
  expect(idCheckCharacter('11010519491231002')).toBe('X');
  expect(idCheckCharacter('44030420000229123')).toBe('6');
  expect(() => idCheckCharacter('123')).toThrow();
});

test.each([
  ['11010519491231002Y', 'format'],
  ['1101051949123100', 'format'],
  ['01010519491231002X', 'format'],
  ['110105194912310021', 'check_digit'],
  ['440304200002291230', 'check_digit'],
  ['320106199003071577', 'check_digit'],
])('%s is refused: %s', (id, problem) => {
  expect(checkIdNumber(id, today)).toMatchObject({ valid: false, problem });
});

test.each([
  ['44030419990229', 'February 29 in a non-leap year'],
  ['44030420001301', 'month 13'],
  ['44030420000431', 'April 31'],
  ['44030420000000', 'day 0'],
  ['44030418991231', 'before 1900'],
  ['44030420271201', 'in the future'],
])('impossible birth date %s (%s) is refused, whatever the check character', (prefix) => {
  const id = `${prefix}123`;
  expect(checkIdNumber(id + idCheckCharacter(id), today)).toMatchObject({ valid: false, problem: 'birth_date' });
});
