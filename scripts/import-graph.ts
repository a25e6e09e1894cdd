// The import graph of the project's own modules, read with the TypeScript compiler (the same parser and module
// resolution as `tsc -p .`), and the layer rule it must obey:
//
//   policy  ->  lib  ->  activities, workflows  ->  processes  ->  api, worker, scripts  ->  test
//
// A folder may import its own modules and any folder below it; the top-level folders form a graph with no cycle.
// Every kind of reference counts: `import` (type-only too), `export … from`, `import x = require()`, `require()` and
// `require.resolve()` anywhere in a module (a lazy require is still an edge), `import()` and `import('…')` types.
// A `require()` of a project module stays inside its folder and closes no cycle of modules (policy/lazySchema.ts).
// test/unit/importGraph.test.ts enforces it; `npx tsx scripts/import-graph.ts` prints the folder graph.
import path from 'node:path';
import ts from 'typescript';

/** The layers, bottom first. A folder may import folders of its own rank or below; the folder graph has no cycle. */
export const LAYERS: readonly (readonly string[])[] = [['policy'], ['lib'], ['activities', 'workflows'], ['processes'], ['api', 'worker', 'scripts'], ['test']];

/** The schema modules that policy/ loads lazily, with require() inside a getter (policy/lazySchema.ts). */
const LAZY_SCHEMA_MODULE = /^policy\/[^/]+\.schemas?\.ts$/;

export type EdgeKind = 'import' | 'type' | 'require' | 'resolve' | 'dynamic';

export interface ModuleEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** 1-based line of the reference in `from`. */
  line: number;
}

export interface ImportGraph {
  /** Project modules, relative to the root, with `/`. */
  files: string[];
  edges: ModuleEdge[];
  /** `require()` or `import()` calls whose argument is not a string literal (the graph cannot follow them). */
  computed: { from: string; line: number; text: string }[];
}

const ROOT = path.resolve(__dirname, '..');

/** Reads every module the project's tsconfig.json includes, and what each one references. */
export function readImportGraph(root = ROOT): ImportGraph {
  const configFile = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
  if (!configFile) throw new Error(`no tsconfig.json in ${root}`);
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  const options = parsed.options;
  const host = ts.createCompilerHost(options);
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  // The roots tsconfig.json includes, and every project module they reach (tsc compiles those too).
  const files = parsed.fileNames.filter((f) => !f.includes('/node_modules/'));
  const seen = new Set(files);
  const edges: ModuleEdge[] = [];
  const computed: ImportGraph['computed'] = [];

  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const source = ts.createSourceFile(file, ts.sys.readFile(file) ?? '', ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const from = rel(file);
    const add = (specifier: string, kind: EdgeKind, node: ts.Node) => {
      const resolved = ts.resolveModuleName(specifier, file, options, host).resolvedModule;
      if (!resolved || resolved.isExternalLibraryImport || resolved.resolvedFileName.includes('/node_modules/')) return;
      const to = rel(resolved.resolvedFileName);
      // Data files (package.json) belong to no layer.
      if (to.startsWith('..') || resolved.extension === ts.Extension.Json) return;
      if (!seen.has(resolved.resolvedFileName) && !resolved.resolvedFileName.endsWith('.d.ts')) {
        seen.add(resolved.resolvedFileName);
        files.push(resolved.resolvedFileName);
      }
      edges.push({ from, to, kind, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(node.moduleSpecifier.text, typeOnly ? 'type' : 'import', node);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, node.isTypeOnly ? 'type' : 'import', node);
      } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
        add(node.moduleReference.expression.text, node.isTypeOnly ? 'type' : 'require', node);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal.text, 'type', node);
      } else if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const kind: EdgeKind | undefined =
          callee.kind === ts.SyntaxKind.ImportKeyword
            ? 'dynamic'
            : ts.isIdentifier(callee) && callee.text === 'require'
              ? 'require'
              : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require' && callee.name.text === 'resolve'
                ? 'resolve'
                : undefined;
        if (kind) {
          const arg = node.arguments[0];
          if (arg && ts.isStringLiteralLike(arg)) add(arg.text, kind, node);
          else if (kind !== 'resolve') computed.push({ from, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, text: node.getText(source) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { files: files.map(rel), edges, computed };
}

/** The top-level folder of a module ('.' for a file at the root). */
export const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');

export const rankOf = (folder: string): number | undefined => {
  const i = LAYERS.findIndex((l) => l.includes(folder));
  return i < 0 ? undefined : i;
};

export interface FolderEdge {
  from: string;
  to: string;
  /** References by kind. */
  count: Partial<Record<EdgeKind, number>>;
  total: number;
  /** Every reference, as `file:line -> file (kind)`. */
  refs: string[];
}

/** The references between top-level folders, grouped by pair (references inside a folder are left out). */
export function folderGraph(g: ImportGraph): FolderEdge[] {
  const byPair = new Map<string, FolderEdge>();
  for (const e of g.edges) {
    const from = folderOf(e.from);
    const to = folderOf(e.to);
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    let fe = byPair.get(key);
    if (!fe) byPair.set(key, (fe = { from, to, count: {}, total: 0, refs: [] }));
    fe.count[e.kind] = (fe.count[e.kind] ?? 0) + 1;
    fe.total++;
    fe.refs.push(`${e.from}:${e.line} -> ${e.to} (${e.kind})`);
  }
  const order = (f: string) => rankOf(f) ?? LAYERS.length;
  return [...byPair.values()].sort((a, b) => order(a.from) - order(b.from) || a.from.localeCompare(b.from) || order(a.to) - order(b.to) || a.to.localeCompare(b.to));
}

/** Strongly connected components of more than one node (Tarjan): the cycles of a graph. */
export function cycles(nodes: Iterable<string>, next: (n: string) => Iterable<string>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) strong(n);
  return out;
}

export interface LayerReport {
  folders: FolderEdge[];
  /** Cycles between top-level folders. */
  folderCycles: string[][];
  /** Folder edges that go up the layers (or reach a folder outside them). */
  upward: FolderEdge[];
  /**
   * `require()` calls of project modules (outside test/) that leave their folder, or close a cycle of modules at run
   * time other than a lazy schema module's (policy/<name>.schema(s).ts, loaded by its getter: policy/lazySchema.ts).
   */
  badRequires: string[];
}

/** Checks the graph against LAYERS. */
export function checkLayers(g: ImportGraph): LayerReport {
  const folders = folderGraph(g);
  const out = new Map<string, Set<string>>();
  for (const e of folders) (out.get(e.from) ?? out.set(e.from, new Set()).get(e.from)!).add(e.to);
  const names = new Set(folders.flatMap((e) => [e.from, e.to]));
  const folderCycles = cycles(names, (n) => out.get(n) ?? []);
  const upward = folders.filter((e) => {
    const a = rankOf(e.from);
    const b = rankOf(e.to);
    return a === undefined || b === undefined || b > a;
  });

  // Module cycles at run time (type references are erased), to see whether a require() closes one.
  const runtime = new Map<string, Set<string>>();
  for (const e of g.edges) if (e.kind !== 'type' && e.kind !== 'resolve') (runtime.get(e.from) ?? runtime.set(e.from, new Set()).get(e.from)!).add(e.to);
  const component = new Map<string, number>();
  cycles(g.files, (n) => runtime.get(n) ?? []).forEach((scc, i) => scc.forEach((f) => component.set(f, i)));
  const badRequires = g.edges
    .filter((e) => e.kind === 'require' && folderOf(e.from) !== 'test')
    .filter((e) => folderOf(e.from) !== folderOf(e.to) || (!LAZY_SCHEMA_MODULE.test(e.to) && component.has(e.from) && component.get(e.from) === component.get(e.to)))
    .map((e) => `${e.from}:${e.line} requires ${e.to}${folderOf(e.from) !== folderOf(e.to) ? ' (another folder)' : ' (closes a cycle of modules)'}`);
  return { folders, folderCycles, upward, badRequires };
}

/** The folder graph as text: one line per pair of folders, with its reference counts. */
export function formatFolderGraph(folders: FolderEdge[]): string {
  const width = Math.max(...folders.map((e) => `${e.from} -> ${e.to}`.length));
  return folders
    .map((e) => {
      const kinds = Object.entries(e.count)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      const up = (rankOf(e.to) ?? Infinity) > (rankOf(e.from) ?? -Infinity) ? '   <-- against the layers' : '';
      return `${`${e.from} -> ${e.to}`.padEnd(width)}  ${String(e.total).padStart(4)}  (${kinds})${up}`;
    })
    .join('\n');
}

if (require.main === module) {
  const g = readImportGraph();
  const r = checkLayers(g);
  const verbose = process.argv.includes('--refs');
  console.log(`${g.files.length} modules, ${g.edges.length} references; folder graph (references between top-level folders):`);
  console.log(formatFolderGraph(r.folders));
  if (verbose) for (const e of r.upward) console.log(`\n${e.from} -> ${e.to}:\n  ${e.refs.join('\n  ')}`);
  console.log(`\ncycles between folders: ${r.folderCycles.length ? r.folderCycles.map((c) => c.join(' <-> ')).join('; ') : 'none'}`);
  console.log(`edges against the layers: ${r.upward.length ? r.upward.map((e) => `${e.from} -> ${e.to}`).join(', ') : 'none'}`);
  console.log(`require() calls leaving their folder or closing a cycle: ${r.badRequires.length ? `\n  ${r.badRequires.join('\n  ')}` : 'none'}`);
  if (g.computed.length) console.log(`computed require()/import() (not followed):\n  ${g.computed.map((c) => `${c.from}:${c.line} ${c.text}`).join('\n  ')}`);
  process.exitCode = r.folderCycles.length || r.upward.length || r.badRequires.length ? 1 : 0;
}
