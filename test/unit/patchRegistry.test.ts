// The patch registry (workflows/patches.ts) holds every patch the workflows ask: a patched()/deprecatePatch() id under
// workflows/ that is not declared there fails here, naming file and line. Its entries are consistent with the
// catalogue, CaseKit and the committed history fixtures.
import fs from 'node:fs';
import path from 'node:path';
import { processes } from '../../processes';
import { CASE_KIT_PATCHES } from '../../workflows/caseKit';
import * as registry from '../../workflows/patches';
import { CASE_WORKFLOW_TYPES, KIT_PATCH_TYPES, PATCHES, patchEntry } from '../../workflows/patches';
import { PASS_THROUGH_ARGUMENTS, readSources, scanPatchCalls } from '../../scripts/patchReport';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'histories');
const sources = readSources(ROOT, 'workflows');
const calls = scanPatchCalls(sources, PASS_THROUGH_ARGUMENTS);

/** The patch ids a history recorded (its core_patch markers). */
function markersOf(fixture: string): Set<string> {
  const events: any[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, fixture), 'utf8')).events;
  const ids = new Set<string>();
  for (const e of events) {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') continue;
    ids.add(JSON.parse(Buffer.from(m.details['patch-data'].payloads[0].data, 'base64').toString('utf8')).id);
  }
  return ids;
}

describe('patch registry', () => {
  it('declares every patch id a workflow asks with patched() or deprecatePatch()', () => {
    expect(calls.length).toBeGreaterThan(20);
    const unresolved = calls.filter((c) => c.id === undefined).map((c) => `${c.file}:${c.line} ${c.fn}(${c.arg})`);
    expect(unresolved).toEqual([]);
    const unregistered = calls.filter((c) => !patchEntry(c.id!)).map((c) => `${c.file}:${c.line} ${c.fn}('${c.id}'): declare it in workflows/patches.ts`);
    expect(unregistered).toEqual([]);
  });

  it('the scanner finds literals, constants and deprecatePatch(), and ignores comments and declarations', () => {
    const found = scanPatchCalls(
      {
        'a.ts': "const X_PATCH = 'x-id';\n// patched('in-a-comment')\nif (patched('lit')) {}\ndeprecatePatch(X_PATCH);\nthis.patched(Y);\n",
        'b.ts': "export const Y = 'y-id';\nclass K { private patched(id: string): boolean { return patched(id); } }\n",
      },
      ['id'],
    );
    expect(found.map((c) => [c.file, c.line, c.fn, c.id])).toEqual([
      ['a.ts', 3, 'patched', 'lit'],
      ['a.ts', 4, 'deprecatePatch', 'x-id'],
      ['a.ts', 5, 'patched', 'y-id'],
    ]);
    expect(scanPatchCalls({ 'c.ts': 'patched(unknownName)' })).toEqual([{ file: 'c.ts', line: 1, fn: 'patched', arg: 'unknownName' }]);
  });

  it('an active patch is asked with patched(), a deprecated one with deprecatePatch(), and none is declared unused', () => {
    for (const p of PATCHES) {
      const fns = new Set(calls.filter((c) => c.id === p.id).map((c) => c.fn));
      expect([p.id, [...fns]]).toEqual([p.id, [p.state === 'active' ? 'patched' : 'deprecatePatch']]);
    }
  });

  it('ids and constants are unique, and each entry is complete', () => {
    expect(new Set(PATCHES.map((p) => p.id)).size).toBe(PATCHES.length);
    const constants = Object.entries(registry).filter(([name, v]) => name.endsWith('_PATCH') && typeof v === 'string');
    expect(constants.map(([, v]) => v).sort()).toEqual(PATCHES.map((p) => p.id).sort());
    const catalogueTypes = processes.map((p) => p.workflow.name).sort();
    expect([...CASE_WORKFLOW_TYPES].sort()).toEqual(catalogueTypes);
    for (const p of PATCHES) {
      expect(p.workflowTypes.length).toBeGreaterThan(0);
      for (const t of p.workflowTypes) expect(catalogueTypes).toContain(t);
      expect(new Date(p.introduced).toISOString().replace('.000Z', 'Z')).toBe(p.introduced);
      expect(p.commit).toMatch(/^[0-9a-f]{7,40}$/);
      expect(p.oldFlow.code).toMatch(/^workflows\//);
      if (p.state === 'deprecated') expect(p.deprecatedAt).toBeDefined();
    }
  });

  it("CaseKit's patches apply to every case workflow type that ran before them; a type born with them asks none", () => {
    for (const id of CASE_KIT_PATCHES) expect([id, [...patchEntry(id)!.workflowTypes].sort()]).toEqual([id, [...KIT_PATCH_TYPES].sort()]);
    const bornWithAll = CASE_WORKFLOW_TYPES.filter((t) => !(KIT_PATCH_TYPES as readonly string[]).includes(t));
    expect(bornWithAll).toEqual(['breachResponse', 'complaint', 'personalDataRequest']);
    // A type born with the kit's patches says so where it builds its CaseKit.
    for (const t of bornWithAll) expect(fs.readFileSync(path.join(__dirname, '../../workflows', `${t}.ts`), 'utf8')).toContain('bornWith: CASE_KIT_PATCHES');
  });

  it("each patch's old-flow fixtures exist, are of its types, carry no marker of it, and belong to one era only", () => {
    const seen = new Map<string, string>();
    for (const p of PATCHES) {
      for (const f of p.oldFlow.fixtures) {
        expect(fs.existsSync(path.join(FIXTURES, f))).toBe(true);
        expect(p.workflowTypes).toContain(f.split('.')[0]);
        expect([f, markersOf(f).has(p.id)]).toEqual([f, false]);
        expect([f, seen.get(f)]).toEqual([f, undefined]);
        seen.set(f, p.id);
      }
    }
  });
});
