// What the patch registry (workflows/patches.ts) means for the cases running now: for each patch, the open cases of its
// workflow types that started before it (a visibility query on the server), whether it may move to deprecatePatch(),
// and which old code and history fixtures no running case needs any more. scripts/patches prints it; the scanner of
// patched()/deprecatePatch() calls is shared with test/unit/patchRegistry.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { PATCHES, type PatchEntry } from '../workflows/patches';

/** One patched()/deprecatePatch() call found in a source: its argument as written and the id it resolves to. */
export interface PatchCall {
  file: string;
  line: number;
  fn: 'patched' | 'deprecatePatch';
  arg: string;
  /** The id: the literal, or the string constant the argument names; undefined when it cannot be resolved. */
  id?: string;
}

/** Strips comments (prose such as "behind patched()" never counts); string literals are kept. */
export function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/**
 * The patched()/deprecatePatch() calls of `sources` (file name to text). An argument is a string literal or the name of
 * a string constant declared in one of the sources (`const NAME = 'id'`, exported or not); `passThrough` names
 * arguments that forward an id checked at their own call sites (CaseKit's `patched(id)` wrapper).
 */
export function scanPatchCalls(sources: Record<string, string>, passThrough: readonly string[] = []): PatchCall[] {
  const constants = new Map<string, string>();
  for (const src of Object.values(sources)) {
    for (const m of stripComments(src).matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*(?::\s*string\s*)?=\s*(['"])([^'"\n]+)\2/g)) constants.set(m[1], m[3]);
  }
  const calls: PatchCall[] = [];
  for (const [file, src] of Object.entries(sources)) {
    const code = stripComments(src);
    for (const m of code.matchAll(/(?<![\w$])(?:this\.)?(patched|deprecatePatch)\s*\(([^()]*)\)/g)) {
      const arg = m[2].trim();
      const before = code.slice(Math.max(0, m.index! - 20), m.index!);
      if (arg === '' || /(?:private|function|async)\s+$/.test(before) || arg.includes(':')) continue; // a declaration, not a call
      if (passThrough.includes(arg)) continue;
      const literal = /^(['"`])([^'"`]+)\1$/.exec(arg);
      const id = literal ? literal[2] : constants.get(arg);
      calls.push({ file, line: code.slice(0, m.index!).split('\n').length, fn: m[1] as PatchCall['fn'], arg, ...(id !== undefined && { id }) });
    }
  }
  return calls;
}

/** Every .ts file under `dir`, recursively, by path relative to `root`. */
export function readSources(root: string, dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = path.posix.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.ts')) out[p] = fs.readFileSync(path.join(root, p), 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** CaseKit's own wrapper forwards its argument to patched(); its callers name registered constants. */
export const PASS_THROUGH_ARGUMENTS = ['id'] as const;

/** What one patch means for the cases running now. */
export interface PatchStatus {
  id: string;
  state: PatchEntry['state'];
  workflowTypes: readonly string[];
  introduced: string;
  /** The instant a case must have started before to predate the patch, and where it comes from. */
  cutoff: string;
  cutoffFrom: 'deployedAt' | 'introduced' | 'deprecatedAt';
  /** Open (running) cases started before the cutoff, per workflow type, and in all. */
  openBefore: Record<string, number>;
  openBeforeTotal: number;
  /** The visibility query behind each count. */
  queries: Record<string, string>;
  /**
   * What may be done now: `deprecate` (patched() becomes deprecatePatch() and the old code goes), `remove-call`
   * (a deprecated patch's deprecatePatch() call goes), or `wait` (open cases predate it).
   */
  action: 'deprecate' | 'remove-call' | 'wait';
  /** The old flow, deletable when no open case predates the patch. */
  oldCode: { code: string; deletable: boolean };
  /** History fixtures of the era the patch ended whose type has no open case before it: retire them (RETIRED.md). */
  retireFixtures: string[];
  /** Its fixtures still needed (open cases of their type predate the patch). */
  keepFixtures: string[];
}

/** The visibility query: open cases of a workflow type started before an instant. */
export function openBeforeQuery(workflowType: string, before: string): string {
  return `WorkflowType = '${workflowType}' AND ExecutionStatus = 'Running' AND StartTime < '${before}'`;
}

/** The instant a case must have started before to matter for a patch, and where it comes from. */
export function cutoffOf(p: PatchEntry): { cutoff: string; from: PatchStatus['cutoffFrom'] } {
  if (p.state === 'deprecated') {
    if (!p.deprecatedAt) throw new Error(`patch ${p.id} is deprecated without deprecatedAt`);
    return { cutoff: p.deprecatedAt, from: 'deprecatedAt' };
  }
  return p.deployedAt ? { cutoff: p.deployedAt, from: 'deployedAt' } : { cutoff: p.introduced, from: 'introduced' };
}

/** Counts the open cases that predate each patch (one visibility count per patch and workflow type). */
export async function patchReport(client: Client, patches: readonly PatchEntry[] = PATCHES): Promise<PatchStatus[]> {
  const out: PatchStatus[] = [];
  for (const p of patches) {
    const { cutoff, from } = cutoffOf(p);
    const openBefore: Record<string, number> = {};
    const queries: Record<string, string> = {};
    for (const type of p.workflowTypes) {
      queries[type] = openBeforeQuery(type, new Date(cutoff).toISOString());
      openBefore[type] = (await client.workflow.count(queries[type])).count;
    }
    const total = Object.values(openBefore).reduce((a, b) => a + b, 0);
    const typeOf = (fixture: string) => fixture.split('.')[0];
    const retire = p.oldFlow.fixtures.filter((f) => (openBefore[typeOf(f)] ?? 0) === 0);
    out.push({
      id: p.id,
      state: p.state,
      workflowTypes: p.workflowTypes,
      introduced: p.introduced,
      cutoff,
      cutoffFrom: from,
      openBefore,
      openBeforeTotal: total,
      queries,
      action: total > 0 ? 'wait' : p.state === 'active' ? 'deprecate' : 'remove-call',
      oldCode: { code: p.oldFlow.code, deletable: total === 0 && p.state === 'active' },
      retireFixtures: retire,
      keepFixtures: p.oldFlow.fixtures.filter((f) => !retire.includes(f)),
    });
  }
  return out;
}

/** The report as text, one block per patch. */
export function formatReport(statuses: readonly PatchStatus[]): string {
  const lines: string[] = [];
  for (const s of statuses) {
    const per = Object.entries(s.openBefore).map(([t, n]) => `${t} ${n}`).join(', ');
    const verdict =
      s.action === 'wait'
        ? `keep patched(): ${s.openBeforeTotal} open case(s) started before it`
        : s.action === 'deprecate'
          ? 'may move to deprecatePatch() now: no open case started before it; delete the old flow'
          : 'deprecatePatch() may go now: no open case started before its deprecation';
    lines.push(`${s.id} [${s.state}] since ${s.cutoff} (${s.cutoffFrom})`);
    lines.push(`  open before: ${per}`);
    lines.push(`  ${verdict}`);
    if (s.state === 'active') lines.push(`  old flow: ${s.oldCode.code}${s.oldCode.deletable ? ' (deletable)' : ''}`);
    if (s.retireFixtures.length) lines.push(`  fixtures to retire (RETIRED.md): ${s.retireFixtures.join(', ')}`);
    if (s.keepFixtures.length) lines.push(`  fixtures still needed: ${s.keepFixtures.join(', ')}`);
  }
  const ready = statuses.filter((s) => s.action === 'deprecate').map((s) => s.id);
  lines.push('', `may move to deprecatePatch() now: ${ready.length ? ready.join(', ') : 'none'}`);
  if (statuses.some((s) => s.cutoffFrom === 'introduced')) {
    lines.push('(a patch without deployedAt counts from its commit: cases started between the commit and its deploy are not counted; record deployedAt in workflows/patches.ts)');
  }
  return lines.join('\n');
}
