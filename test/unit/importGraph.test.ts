// Imports run one way (README "Layout"): policy -> lib -> activities, workflows -> processes -> api, worker, scripts,
// and test on top. The graph is read with the TypeScript compiler (scripts/import-graph.ts): every import, type-only
// imports and re-exports included, and every require(), lazy or not.
import { checkLayers, folderGraph, formatFolderGraph, LAYERS, readImportGraph, type ImportGraph } from '../../scripts/import-graph';

/**
 * The require()/import() calls whose module is computed, which the graph cannot follow, and the folder each loads
 * from: the recording tools load the scenario modules (scripts/scenarios/) by name.
 */
const COMPUTED_LOADS: Record<string, string> = {
  'scripts/history-sizes.ts': 'scripts',
  'scripts/record-histories.ts': 'scripts',
};

let graph: ImportGraph;
beforeAll(() => {
  graph = readImportGraph();
});

test('the graph sees every folder, and lazy requires', () => {
  const folders = new Set(graph.files.map((f) => f.split('/')[0]));
  for (const layer of LAYERS) for (const f of layer) expect(folders).toContain(f);
  // The lazy schema requires of policy/ (policy/lazySchema.ts) are edges like any import.
  expect(graph.edges).toContainEqual(expect.objectContaining({ from: 'policy/returns.ts', to: 'policy/returns.schemas.ts', kind: 'require' }));
});

test('the top-level folders form layers: no cycle, no edge against the order, no require() leaving its folder or closing a cycle', () => {
  const report = checkLayers(graph);
  // The folder graph, with the references of each pair by kind.
  console.log(`folder graph (${graph.files.length} modules, ${graph.edges.length} references):\n${formatFolderGraph(report.folders)}`);
  const refsOf = (from: string, to: string) => folderGraph(graph).find((e) => e.from === from && e.to === to)?.refs ?? [];
  expect({ cycles: report.folderCycles.map((c) => ({ folders: c, refs: c.flatMap((a) => c.flatMap((b) => (a === b ? [] : refsOf(a, b)))) })) }).toEqual({ cycles: [] });
  expect({ againstTheLayers: report.upward.map((e) => ({ edge: `${e.from} -> ${e.to}`, refs: e.refs })) }).toEqual({ againstTheLayers: [] });
  expect({ requires: report.badRequires }).toEqual({ requires: [] });
});

test('a computed require() outside test/ is declared with the folder it loads from, which the layers allow', () => {
  const computed = [...new Set(graph.computed.map((c) => c.from).filter((f) => !f.startsWith('test/')))].sort();
  expect(computed).toEqual(Object.keys(COMPUTED_LOADS).sort());
  const rank = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));
  for (const [file, folder] of Object.entries(COMPUTED_LOADS)) expect({ file, allowed: rank(folder) <= rank(file.split('/')[0]) }).toEqual({ file, allowed: true });
});

test('the checks bite: a lib module importing activities, a cycle between folders, a lazy require across folders or closing a cycle are found', () => {
  const extra = (from: string, to: string, kind: 'import' | 'require') => ({ from, to, kind, line: 1 });
  const bad: ImportGraph = {
    ...graph,
    edges: [
      ...graph.edges,
      extra('lib/ports.ts', 'activities/payments.ts', 'import'),
      extra('activities/index.ts', 'processes/index.ts', 'require'),
      // A lazy require inside a folder that closes a cycle of modules (not a lazy schema module of policy/).
      extra('activities/index.ts', 'activities/registration.ts', 'import'),
      extra('activities/registration.ts', 'activities/index.ts', 'require'),
    ],
  };
  const report = checkLayers(bad);
  expect(report.upward.map((e) => `${e.from} -> ${e.to}`)).toEqual(expect.arrayContaining(['lib -> activities', 'activities -> processes']));
  expect(report.folderCycles.length).toBeGreaterThan(0);
  expect(report.badRequires.sort()).toEqual([
    'activities/index.ts:1 requires processes/index.ts (another folder)',
    'activities/registration.ts:1 requires activities/index.ts (closes a cycle of modules)',
  ]);
});
