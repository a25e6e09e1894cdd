// Guard for the replay evidence: a committed workflow history (test/fixtures/histories/*.json) is never
// modified, deleted or renamed, because replaying it is what proves that running cases survive a code change.
// Walks every commit reachable from HEAD (merge resolutions included) plus uncommitted changes to tracked
// fixtures, and fails on any such change that test/fixtures/histories/RETIRED.md does not list.
//   npx tsx scripts/check-history-fixtures.ts
// Adding fixtures always passes. Run by scripts/test before jest.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const FIXTURE_DIR = 'test/fixtures/histories';
export const RETIRED_FILE = `${FIXTURE_DIR}/RETIRED.md`;
export const WORKING_TREE = 'working tree';

/** One change to a file under the fixture folder: `path` is the file as it was before the change. */
export interface FixtureChange {
  commit: string; // full hash, or WORKING_TREE
  subject: string;
  status: string; // name-status letters, e.g. M, D, R100, T, or MM for a merge resolution
  path: string;
  newPath?: string; // renames
}

/** An allowed exception: this file's change in this commit, with the reason. */
export interface RetiredEntry {
  file: string;
  commit: string;
  reason: string;
  line: number;
}

/** Commit header lines in the log are `commit<TAB><full hash><TAB><subject>`; the rest is --name-status output. */
export const LOG_FORMAT = 'commit%x09%H%x09%s';

function unquote(p: string): string {
  return p.startsWith('"') && p.endsWith('"') ? JSON.parse(p) : p;
}

/** Parses `git log --format=LOG_FORMAT --name-status` (or, with `commit` given, `git diff --name-status`) output. */
export function parseNameStatus(text: string, commit?: { commit: string; subject: string }): FixtureChange[] {
  const out: FixtureChange[] = [];
  let current = commit;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    if (line.startsWith('commit\t')) {
      const [, hash, ...subject] = line.split('\t');
      current = { commit: hash, subject: subject.join('\t') };
      continue;
    }
    const [status, ...paths] = line.split('\t');
    if (!/^[A-Z]+[0-9]*$/.test(status) || paths.length === 0) throw new Error(`unexpected line in git output: ${JSON.stringify(line)}`);
    if (!current) throw new Error(`name-status line before any commit: ${JSON.stringify(line)}`);
    out.push({ ...current, status, path: unquote(paths[0]), ...(paths[1] ? { newPath: unquote(paths[1]) } : {}) });
  }
  return out;
}

/** A fixture is a `.json` file under the fixture folder. */
export function isFixture(p: string): boolean {
  return p.startsWith(`${FIXTURE_DIR}/`) && p.endsWith('.json');
}

/** Modified, deleted, renamed away or type-changed; for merges (one letter per parent) any such letter counts. */
export function changesExistingFixture(c: FixtureChange): boolean {
  return isFixture(c.path) && /[MDRT]/.test(c.status.replace(/[0-9]+$/, ''));
}

const HASH = /^[0-9a-f]{7,40}$/;

function clean(cell: string): string {
  return cell.trim().replace(/^`+|`+$/g, '').trim();
}

/**
 * Reads RETIRED.md: markdown table rows `| file | commit | reason |` or list lines `- file commit reason`.
 * Lines without a .json file name are prose. A line that names a file but lacks a commit or a reason is a problem.
 */
export function parseRetired(text: string): { entries: RetiredEntry[]; problems: string[] } {
  const entries: RetiredEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    let cells: string[];
    if (line.startsWith('|')) {
      cells = line.replace(/^\|/, '').replace(/\|$/, '').split('|').map(clean);
      if (cells.every((c) => /^:?-+:?$/.test(c) || c === '')) return; // separator row
    } else if (/^[-*]\s/.test(line)) {
      const m = /^[-*]\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) return;
      cells = [clean(m[1]), clean(m[2]), m[3].replace(/^[-–—:]\s*/, '').trim()];
    } else {
      return;
    }
    if (!/\.json$/.test(cells[0] ?? '')) return; // header row or prose
    const [file, commit, ...rest] = cells;
    const reason = rest.join(' | ').trim();
    if (!commit || !HASH.test(commit.toLowerCase())) {
      problems.push(`RETIRED.md line ${n}: "${file}" needs the commit (7 to 40 hex characters) that changed it, found "${commit ?? ''}"`);
      return;
    }
    if (reason.length < 10) {
      problems.push(`RETIRED.md line ${n}: "${file}" at ${commit} needs a reason`);
      return;
    }
    entries.push({ file: path.posix.basename(file), commit: commit.toLowerCase(), reason, line: n });
  });
  return { entries, problems };
}

export function entryMatches(e: RetiredEntry, c: FixtureChange): boolean {
  return c.commit !== WORKING_TREE && path.posix.basename(c.path) === e.file && c.commit.toLowerCase().startsWith(e.commit);
}

/** The decision: every change to an existing fixture that no RETIRED.md entry names (file and commit). */
export function findViolations(changes: FixtureChange[], retired: RetiredEntry[]): { violations: FixtureChange[]; allowed: FixtureChange[]; unused: RetiredEntry[] } {
  const violations: FixtureChange[] = [];
  const allowed: FixtureChange[] = [];
  const used = new Set<RetiredEntry>();
  for (const c of changes.filter(changesExistingFixture)) {
    const hits = retired.filter((e) => entryMatches(e, c));
    hits.forEach((e) => used.add(e));
    (hits.length > 0 ? allowed : violations).push(c);
  }
  return { violations, allowed, unused: retired.filter((e) => !used.has(e)) };
}

function describe(c: FixtureChange): string {
  const what = c.status.startsWith('D')
    ? 'deleted'
    : c.status.startsWith('R')
      ? `renamed to ${c.newPath}`
      : c.status.startsWith('T')
        ? 'changed type'
        : c.status.length > 1
          ? 'modified in a merge resolution'
          : 'modified';
  const where = c.commit === WORKING_TREE ? 'in the working tree (not committed yet)' : `in commit ${c.commit.slice(0, 10)} "${c.subject}"`;
  return `${c.path} was ${what} ${where}`;
}

export function violationReport(violations: FixtureChange[]): string {
  const lines = [
    `History fixture guard: ${violations.length} change(s) to existing workflow histories.`,
    'A committed history is evidence that running cases still replay; it is never modified, re-recorded, renamed or deleted.',
    '',
    ...violations.map((v) => `  - ${describe(v)}`),
    '',
    'Instead:',
    '  1. Take the fixture change out: uncommitted, `git checkout HEAD -- <file>`; in your own unmerged commits, rewrite them',
    '     (e.g. `git checkout <commit>^ -- <file>` and `git commit --amend` / `git rebase -i`), since a restoring commit is itself a change.',
    '  2. Put the workflow change behind patched()/deprecatePatch() (@temporalio/workflow) so old histories replay unchanged.',
    '  3. Record the new behaviour as a NEW fixture beside the old one: add a scenario in scripts/scenarios/ and run',
    '     `npx tsx scripts/record-histories.ts <new-scenario-name-prefix>` (a prefix that matches no existing fixture).',
    `Only if a history must really go (e.g. the workflow type is retired after every such case closed), list the file,`,
    `the commit that changed it and the reason as a row in ${RETIRED_FILE}.`,
  ];
  return lines.join('\n');
}

// ---- git side -------------------------------------------------------------------------------------------

function git(args: string[], cwd: string): string {
  return execFileSync('git', ['-c', 'core.quotePath=false', ...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface GitScan {
  changes: FixtureChange[];
  commits: number;
  shallow: boolean;
  notes: string[];
}

export function scanRepository(root: string): GitScan | undefined {
  try {
    if (git(['rev-parse', '--is-inside-work-tree'], root).trim() !== 'true') return undefined;
  } catch {
    return undefined;
  }
  const notes: string[] = [];
  let hasHead = true;
  try {
    git(['rev-parse', '--verify', '-q', 'HEAD'], root);
  } catch {
    hasHead = false;
  }
  const changes: FixtureChange[] = [];
  let commits = 0;
  let shallow = false;
  if (hasHead) {
    // --cc: a merge shows the files its resolution changed against every parent (branch commits are walked anyway).
    const log = git(['log', `--format=${LOG_FORMAT}`, '--name-status', '--cc', '-M', '--diff-filter=MDRT', 'HEAD', '--', `${FIXTURE_DIR}/`], root);
    changes.push(...parseNameStatus(log));
    commits = Number(git(['rev-list', '--count', 'HEAD'], root).trim());
    shallow = git(['rev-parse', '--is-shallow-repository'], root).trim() === 'true';
    if (shallow) {
      const boundary = fs.readFileSync(git(['rev-parse', '--git-path', 'shallow'], root).trim().replace(/^(?!\/)/, `${root}/`), 'utf8').split('\n').filter(Boolean);
      const oldest = git(['log', '--format=%h %cs', 'HEAD'], root).trim().split('\n').pop();
      notes.push(
        `shallow clone: ${commits} commit(s) of history are present (the oldest reachable: ${oldest}); ` +
          `changes made before them, and the changes of the boundary commit(s) ${boundary.map((b) => b.slice(0, 10)).join(', ')} themselves, ` +
          'cannot be checked. Run `git fetch --unshallow` for a full check.',
      );
    }
    const wt = git(['diff', '--name-status', '-M', '--diff-filter=MDRT', 'HEAD', '--', `${FIXTURE_DIR}/`], root);
    changes.push(...parseNameStatus(wt, { commit: WORKING_TREE, subject: '' }));
  }
  return { changes, commits, shallow, notes };
}

function main(): number {
  const t0 = Date.now();
  const root = path.resolve(__dirname, '..');
  const scan = scanRepository(root);
  if (!scan) {
    console.error('[history-fixtures] not a git work tree: the history fixture guard needs the repository history and was skipped');
    return 0;
  }
  const retiredPath = path.join(root, RETIRED_FILE);
  const { entries, problems } = fs.existsSync(retiredPath) ? parseRetired(fs.readFileSync(retiredPath, 'utf8')) : { entries: [], problems: [] };
  const { violations, allowed, unused } = findViolations(scan.changes, entries);
  for (const n of scan.notes) console.error(`[history-fixtures] note: ${n}`);
  if (scan.shallow && unused.length > 0) console.error(`[history-fixtures] note: ${unused.length} RETIRED.md row(s) name changes outside the history present`);
  else for (const u of unused) console.error(`[history-fixtures] note: RETIRED.md line ${u.line} (${u.file} at ${u.commit}) matches no change in the history present`);
  if (problems.length > 0 || violations.length > 0) {
    if (problems.length > 0) console.error(problems.map((p) => `[history-fixtures] ${p}`).join('\n'));
    if (violations.length > 0) console.error(violationReport(violations));
    return 1;
  }
  console.error(
    `[history-fixtures] ok: ${scan.commits} commit(s)${scan.shallow ? ' (shallow clone: partial history)' : ''} and the working tree checked; no existing history fixture changed` +
      (allowed.length > 0 ? ` except ${allowed.length} change(s) listed in ${RETIRED_FILE}` : '') +
      ` (${Date.now() - t0} ms)`,
  );
  return 0;
}

if (require.main === module) process.exit(main());
