// Guards of the process catalogue (processes/index.ts): the worker runs exactly the catalogue's workflows,
// the API stays generic (nothing under api/ names a process), and each process's declarations are consistent.
import fs from 'node:fs';
import path from 'node:path';
import { sharedTemplates } from '../../activities/templates';
import { processes, type AnyProcess } from '../../processes';
import { caseWorkflowsPath, caseWorkflowsSource, SYSTEM_WORKFLOWS } from '../../worker/caseWorkflows';
import { cancelCaseUpdate, completeTaskUpdate } from '../../workflows/definitions';

const ROOT = path.join(__dirname, '..', '..');
const catalogue: readonly AnyProcess[] = processes;
const workflowName = (p: AnyProcess) => p.workflow.name;

/** Every file under `dir` (repo-relative) ending in .ts, recursively. */
function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(rel);
    return e.isFile() && e.name.endsWith('.ts') ? [rel] : [];
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Strips comments, so that prose ("a return is ...") never counts; string literals are kept. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

// ---- which modules belong to a process ----

/** Repo-relative module paths without extension, of one directory. */
const modulesOf = (dir: string) => tsFiles(dir).map((f) => f.replace(/\.ts$/, ''));

/** Shared modules a generic file may import. */
const sharedModules = new Set([
  'processes/index',
  'processes/types',
  'processes/common',
  'processes/deps',
  'processes/policyDocument',
  'workflows/definitions',
  'workflows/caseKit',
  'workflows/sla',
  'workflows/interceptors',
  'policy/roles',
  'policy/process',
  'policy/schemas',
  'policy/businessCalendar',
  'policy/durations',
  'activities/index',
  'activities/audit',
  'activities/templates',
]);

/**
 * The modules of a process under processes/, workflows/, policy/ and activities/: those that export one of
 * its declarations (the process module, its workflow, its task table, its party actions, its policy schema
 * or defaults, its templates), and those named after it (its workflow function name or its policy key).
 */
function processModules(p: AnyProcess): Set<string> {
  const own = new Set<unknown>([p, p.workflow, p.tasks, p.policy.schema, p.policy.defaults, p.templates]);
  if (Object.keys(p.actions).length > 0) own.add(p.actions);
  const names = new Set([workflowName(p), p.policy.key]);
  const found = new Set<string>();
  for (const dir of ['processes', 'workflows', 'policy', 'activities']) {
    for (const mod of modulesOf(dir)) {
      if (sharedModules.has(mod)) continue;
      const base = path.posix.basename(mod).split('.')[0];
      if (names.has(base)) {
        found.add(mod);
        continue;
      }
      if (dir === 'activities') continue; // activity modules are recognised by name only (loading them needs no more)
      const exports = require(path.join(ROOT, mod)) as Record<string, unknown>;
      if (Object.values(exports).some((v) => own.has(v))) found.add(mod);
    }
  }
  return found;
}

/** Module specifiers of import/export-from/require/import() in a source text. */
function importSpecifiers(src: string): string[] {
  const out: string[] = [];
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of src.matchAll(re)) out.push(m[1]);
  return out;
}

/** The repo-relative module a relative specifier of `file` resolves to (no extension; a directory is its index). */
function resolveModule(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  let mod = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.(ts|js)$/, '');
  if (fs.existsSync(path.join(ROOT, mod)) && fs.statSync(path.join(ROOT, mod)).isDirectory()) mod = `${mod}/index`;
  return mod;
}

interface Finding {
  file: string;
  line: number;
  what: string;
  text: string;
}

/** What in `src` (the text of `file`) names process `p`; `ownModules` are the process's modules. */
function namesOfProcess(file: string, src: string, p: AnyProcess, ownModules: Set<string>): Finding[] {
  const code = stripComments(src);
  const lines = code.split('\n');
  const q = `['"\`]`;
  const checks: { what: string; re: RegExp; outsideProse?: boolean }[] = [
    // Quoted literals only: `return` statements and the word "registration" in prose are not findings.
    { what: `case type '${p.caseType}'`, re: new RegExp(`(['"\`])${escape(p.caseType)}\\1`) },
    // The id prefix as a literal, or starting one: 'RET', 'RET-', `RET-${...}`.
    { what: `id prefix '${p.idPrefix}'`, re: new RegExp(`${q}${escape(p.idPrefix)}(-|${q})`) },
    // The workflow function: as a quoted literal or as an identifier (not a word of prose inside a string: a workflow
    // named as plainly as `complaint` is not named by "the complaint it opened").
    { what: `workflow ${workflowName(p)}`, re: new RegExp(`\\b${escape(workflowName(p))}\\b`), outsideProse: true },
    // The policy key: as a quoted literal, or read as a property (policy.registration, section['registration']).
    { what: `policy key '${p.policy.key}'`, re: new RegExp(`(['"\`])${escape(p.policy.key)}\\1|\\.${escape(p.policy.key)}\\b`) },
  ];
  const findings: Finding[] = [];
  lines.forEach((text, i) => {
    const prose = (lit: string) => lit.slice(1, -1) !== workflowName(p) && /\s/.test(lit);
    const withoutProse = text.replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, (lit) => (prose(lit) ? '""' : lit));
    for (const c of checks) if (c.re.test(c.outsideProse ? withoutProse : text)) findings.push({ file, line: i + 1, what: c.what, text: text.trim() });
  });
  for (const spec of importSpecifiers(code)) {
    const mod = resolveModule(file, spec);
    if (mod && ownModules.has(mod)) {
      const line = lines.findIndex((l) => l.includes(spec)) + 1;
      findings.push({ file, line, what: `import of ${mod}`, text: lines[line - 1]?.trim() ?? spec });
    }
  }
  return findings;
}

describe('the worker runs the catalogue', () => {
  test("each process's workflow module exports its workflow under the workflow's name", () => {
    for (const p of catalogue) {
      expect(path.relative(ROOT, p.workflowModule)).toMatch(/^workflows\/\w+\.ts$/);
      const exported = (require(p.workflowModule) as Record<string, unknown>)[workflowName(p)];
      expect({ process: p.caseType, same: exported === p.workflow }).toEqual({ process: p.caseType, same: true });
    }
  });

  test("the bundle's entry (worker/caseWorkflows.ts) re-exports exactly the catalogue's workflows, one per process, then the system's", () => {
    const code = stripComments(fs.readFileSync(caseWorkflowsPath(), 'utf8'));
    expect(code).toBe(stripComments(caseWorkflowsSource()));
    const statements = code.split(';').map((s) => s.trim()).filter(Boolean);
    expect(statements.map((s) => s.match(/^export \{ (\w+) \} from "([^"]+)"$/)?.slice(1))).toEqual([...catalogue.map((p) => [workflowName(p), p.workflowModule]), ...SYSTEM_WORKFLOWS.map((w) => [w.name, w.module])]);
  });

  test('no index of workflows beside the catalogue', () => {
    expect(fs.existsSync(path.join(ROOT, 'workflows', 'index.ts'))).toBe(false);
  });
});

describe('nothing under api/ names a process', () => {
  const apiFiles = tsFiles('api');
  const owned = new Map(catalogue.map((p) => [p, processModules(p)]));

  test('the scan sees the API and each process’s modules', () => {
    expect(apiFiles).toEqual(expect.arrayContaining(['api/app.ts', 'api/routes/cases.ts', 'api/authz.ts']));
    for (const p of catalogue) {
      const mods = owned.get(p)!;
      expect({ process: p.caseType, hasWorkflowModule: mods.has(`workflows/${workflowName(p)}`), hasProcessModule: [...mods].some((m) => m.startsWith('processes/')), hasPolicyModule: [...mods].some((m) => m.startsWith('policy/')) }).toEqual({
        process: p.caseType,
        hasWorkflowModule: true,
        hasProcessModule: true,
        hasPolicyModule: true,
      });
    }
  });

  test('the scan finds names and imports, and ignores ordinary words', () => {
    const p = catalogue[0];
    const mods = owned.get(p)!;
    const bites = [
      `const t = '${p.caseType}';`,
      `if (c.type === "${p.caseType}") {}`,
      `const id = \`${p.idPrefix}-\${uuid}\`;`,
      `const s = policy.${p.policy.key};`,
      `start(${workflowName(p)}, {});`,
      `import { x } from '../${[...mods].find((m) => m.startsWith('policy/'))}';`,
      `import { y } from '../${[...mods].find((m) => m.startsWith('processes/'))}';`,
    ];
    for (const line of bites) expect({ line, found: namesOfProcess('api/x.ts', line, p, mods).length > 0 }).toEqual({ line, found: true });
    const harmless = [
      'return res.json(body);',
      'if (!ok) return;',
      "const msg = 'returned to the customer';",
      '// a return of the registration process, RET-... ids',
      `const d = "A case's links (a return handed over to a ${workflowName(p)}, the ${workflowName(p)} escalated from it)";`,
      "import { processes } from '../processes';",
      "import type { AnyProcess } from '../processes/types';",
      "import { completeTaskUpdate } from '../workflows/definitions';",
      "import { roles } from '../policy/roles';",
    ];
    for (const line of harmless) expect({ line, findings: namesOfProcess('api/x.ts', line, p, mods) }).toEqual({ line, findings: [] });
  });

  test.each(catalogue.map((p) => [p.caseType, p] as const))('api/**/*.ts does not name %s', (_type, p) => {
    const findings = apiFiles.flatMap((f) => namesOfProcess(f, fs.readFileSync(path.join(ROOT, f), 'utf8'), p, owned.get(p)!));
    expect(findings).toEqual([]);
  });
});

describe('process declarations', () => {
  test('case types and id prefixes are unique; id prefixes are upper-case letters', () => {
    const types = catalogue.map((p) => p.caseType);
    const prefixes = catalogue.map((p) => p.idPrefix);
    expect(new Set(types).size).toBe(types.length);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const prefix of prefixes) expect(prefix).toMatch(/^[A-Z]{2,8}$/);
  });

  test('policy keys and workflow names are unique', () => {
    const keys = catalogue.map((p) => p.policy.key);
    const names = catalogue.map(workflowName);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(names).size).toBe(names.length);
  });

  test('task types are unique across processes, each under one prefix of its own process', () => {
    const all = catalogue.flatMap((p) => Object.keys(p.tasks));
    expect(all.filter((t, i) => all.indexOf(t) !== i)).toEqual([]);
    const prefixOf = (t: string) => t.split('.')[0];
    const prefixes = catalogue.map((p) => {
      const types = Object.keys(p.tasks);
      expect(types.length).toBeGreaterThan(0);
      for (const t of types) expect(t).toMatch(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$/);
      const own = [...new Set(types.map(prefixOf))];
      expect({ process: p.caseType, prefixes: own }).toEqual({ process: p.caseType, prefixes: [own[0]] });
      return own[0];
    });
    // Process-specific: no two processes share a prefix, and none is a generic word of the shared templates.
    expect(new Set(prefixes).size).toBe(prefixes.length);
    const sharedPrefixes = new Set(Object.keys(sharedTemplates).map(prefixOf));
    for (const prefix of prefixes) expect(sharedPrefixes.has(prefix)).toBe(false);
  });

  test.each(catalogue.map((p) => [p.caseType, p] as const))('%s: party actions name distinct workflow updates, none of the generic ones', (_type, p) => {
    const updates = Object.values(p.actions).map((a) => a.update);
    expect(updates.filter((u, i) => updates.indexOf(u) !== i)).toEqual([]);
    expect(updates).not.toContain(completeTaskUpdate.name);
    expect(updates).not.toContain(cancelCaseUpdate.name);
    for (const [name, a] of Object.entries(p.actions)) {
      expect(name).toMatch(/^[a-z][a-z0-9-]*$/); // a path segment: /v1/cases/{caseId}/actions/{name}
      expect(a.roles.length).toBeGreaterThan(0);
    }
  });

  test.each(catalogue.map((p) => [p.caseType, p] as const))('%s: the policy defaults parse with the section schema, unchanged', (_type, p) => {
    const parsed = p.policy.schema.safeParse(p.policy.defaults);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data).toEqual(p.policy.defaults);
  });

  test.each(catalogue.map((p) => [p.caseType, p] as const))('%s: every template has zh-CN and en, each rendering a subject and a text, and declares its delivery', (_type, p) => {
    const names = Object.keys(p.templates);
    expect(names.length).toBeGreaterThan(0);
    const params = { caseId: 'X-1', dueAt: '2026-12-01T10:00:00+08:00', within: '2 working-hours' };
    for (const name of names) {
      expect({ name, locales: Object.keys(p.templates[name]).filter((k) => k !== 'delivery' && k !== 'fanOut').sort() }).toEqual({ name, locales: ['en', 'zh-CN'] });
      expect({ name, delivery: p.templates[name].delivery }).toEqual({ name, delivery: expect.stringMatching(/^at-(least|most)-once$/) });
      for (const locale of ['zh-CN', 'en'] as const) {
        const t = p.templates[name][locale];
        expect({ name, locale, subject: typeof t.subject(params), text: typeof t.text(params) }).toEqual({ name, locale, subject: 'string', text: 'string' });
        expect(t.subject(params).length).toBeGreaterThan(0);
        expect(t.text(params).length).toBeGreaterThan(0);
      }
    }
  });

  test('template names are unique across processes and the shared templates (the worker merges them into one set)', () => {
    const all = [...Object.keys(sharedTemplates), ...catalogue.flatMap((p) => Object.keys(p.templates))];
    expect(all.filter((t, i) => all.indexOf(t) !== i)).toEqual([]);
  });
});
