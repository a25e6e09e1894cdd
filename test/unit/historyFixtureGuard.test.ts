// The history fixture guard's decision: git name-status lines and RETIRED.md rows in, violations out.
import fs from 'node:fs';
import path from 'node:path';
import { findViolations, parseNameStatus, parseRetired, violationReport, WORKING_TREE } from '../../scripts/check-history-fixtures';

const A = 'a'.repeat(40);
const B = 'b1c2d3e4f5' + '0'.repeat(30);
const C = 'c'.repeat(40);
const D = 'd'.repeat(40);

const log = [
  `commit\t${A}\tNew scenario`,
  '',
  'A\ttest/fixtures/histories/returnWithin7Days.newScenario.json',
  `commit\t${B}\tRe-recorded after a workflow change`,
  '',
  'M\ttest/fixtures/histories/returnWithin7Days.happyPath.json',
  'D\ttest/fixtures/histories/warrantyRepair.quoteLapsed.json',
  `commit\t${C}\tRenamed a scenario`,
  '',
  'R087\ttest/fixtures/histories/registrationReview.abandoned.json\ttest/fixtures/histories/registrationReview.expired.json',
  'T\ttest/fixtures/histories/returnWithin7Days.symlinked.json',
  'M\ttest/fixtures/histories/RETIRED.md',
  `commit\t${D}\tMerge branch 'side'`,
  '',
  'MM\ttest/fixtures/histories/warrantyRepair.inWarrantyRepairedAndRated.json',
].join('\n');

const violatingFiles = (changes = parseNameStatus(log), retired = parseRetired('').entries) =>
  findViolations(changes, retired).violations.map((v) => `${v.commit.slice(0, 7)} ${v.status} ${path.basename(v.path)}`);

test('parses commits and name-status lines, including renames with both paths', () => {
  const changes = parseNameStatus(log);
  expect(changes).toHaveLength(7);
  expect(changes[3]).toEqual({
    commit: C,
    subject: 'Renamed a scenario',
    status: 'R087',
    path: 'test/fixtures/histories/registrationReview.abandoned.json',
    newPath: 'test/fixtures/histories/registrationReview.expired.json',
  });
});

test('modified, deleted, renamed, type-changed and merge-resolved fixtures are violations; added fixtures and other files are not', () => {
  expect(violatingFiles()).toEqual([
    'b1c2d3e M returnWithin7Days.happyPath.json',
    'b1c2d3e D warrantyRepair.quoteLapsed.json',
    'ccccccc R087 registrationReview.abandoned.json',
    'ccccccc T returnWithin7Days.symlinked.json',
    'ddddddd MM warrantyRepair.inWarrantyRepairedAndRated.json',
  ]);
});

test('a rename into the folder from elsewhere is an addition', () => {
  expect(violatingFiles(parseNameStatus(`commit\t${A}\tx\nR100\tdocs/old.json\ttest/fixtures/histories/x.json\n`))).toEqual([]);
});

test('uncommitted changes are violations that no RETIRED.md row can allow', () => {
  const wt = parseNameStatus('M\ttest/fixtures/histories/returnWithin7Days.happyPath.json\n', { commit: WORKING_TREE, subject: '' });
  const { entries } = parseRetired('| returnWithin7Days.happyPath.json | b1c2d3e | re-recorded before the guard existed |');
  expect(violatingFiles(wt, entries)).toEqual(['working M returnWithin7Days.happyPath.json']);
  expect(violationReport(findViolations(wt, entries).violations)).toContain('in the working tree (not committed yet)');
});

test('a RETIRED.md row allows exactly its file at its commit (abbreviated or full hash, table or list)', () => {
  const retired = parseRetired(
    [
      '# Changes to committed workflow histories',
      'Prose that mentions nothing.json-like stays prose.',
      '| File | Commit | Reason |',
      '| --- | --- | --- |',
      '| `returnWithin7Days.happyPath.json` | B1C2D3E | re-recorded together with a workflow change before this guard existed |',
      `| test/fixtures/histories/warrantyRepair.quoteLapsed.json | ${B} | scenario retired together with its workflow type |`,
      '- registrationReview.abandoned.json cccccccc — renamed before this guard existed, development only',
      // Names the right file but another commit: allows nothing.
      '| returnWithin7Days.symlinked.json | 1234567 | wrong commit for this file, so it allows nothing |',
    ].join('\n'),
  );
  expect(retired.problems).toEqual([]);
  expect(retired.entries.map((e) => [e.file, e.commit, e.line])).toEqual([
    ['returnWithin7Days.happyPath.json', 'b1c2d3e', 5],
    ['warrantyRepair.quoteLapsed.json', B, 6],
    ['registrationReview.abandoned.json', 'cccccccc', 7],
    ['returnWithin7Days.symlinked.json', '1234567', 8],
  ]);
  const result = findViolations(parseNameStatus(log), retired.entries);
  expect(result.violations.map((v) => path.basename(v.path))).toEqual(['returnWithin7Days.symlinked.json', 'warrantyRepair.inWarrantyRepairedAndRated.json']);
  expect(result.allowed).toHaveLength(3);
  expect(result.unused.map((e) => e.line)).toEqual([8]);
});

test('a RETIRED.md row without a commit or a reason is refused', () => {
  const { entries, problems } = parseRetired(
    ['| returnWithin7Days.happyPath.json | | no commit named here |', '| returnWithin7Days.happyPath.json | b1c2d3e |  |', '| x.json | b1c2 | too short a hash |'].join('\n'),
  );
  expect(entries).toEqual([]);
  expect(problems).toHaveLength(3);
  expect(problems[0]).toMatch(/line 1: .* needs the commit/);
  expect(problems[1]).toMatch(/line 2: .* needs a reason/);
});

test('the error names file, commit and what to do instead', () => {
  const report = violationReport(findViolations(parseNameStatus(log), []).violations);
  expect(report).toContain('test/fixtures/histories/returnWithin7Days.happyPath.json was modified in commit b1c2d3e4f5 "Re-recorded after a workflow change"');
  expect(report).toContain('renamed to test/fixtures/histories/registrationReview.expired.json');
  expect(report).toContain('patched()');
  expect(report).toContain('npx tsx scripts/record-histories.ts <new-scenario-name-prefix>');
  expect(report).toContain('RETIRED.md');
});

test("the repository's own RETIRED.md is well formed and every row names a file and a reason", () => {
  const text = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'histories', 'RETIRED.md'), 'utf8');
  const { entries, problems } = parseRetired(text);
  expect(problems).toEqual([]);
  for (const e of entries) expect(e.reason.length).toBeGreaterThan(20);
});
