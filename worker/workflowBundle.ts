// The workflow bundle for the dev system and the replay tool: built by the SDK's bundler in a worker thread (so that
// it overlaps whatever else the process is doing), with the same options as the worker's own bundling, and kept on
// disk with webpack's own list of the files it read. The next start reuses it when every one of those files has the
// same SHA-256 and every path webpack probed and did not find is still absent; anything else rebuilds it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';

/** worker/worker.ts caseBundleOptions(), and where to keep the bundle. */
export interface WorkflowBundleOptions {
  /** The bundle's entry: the catalogue's workflows (worker/caseWorkflows.ts). */
  workflowsPath: string;
  /** The worker's workflow interceptor modules (worker/worker.ts workflowInterceptorModules). */
  workflowInterceptorModules: string[];
  /** The modules the sandbox shares between workflows (worker/worker.ts workflowPreloadModules). */
  preloadModules: string[];
  /** Where the bundle and its manifest are kept; none: always build. */
  cacheDir?: string;
}

export interface WorkflowBundle {
  code: string;
  /** Reused from cacheDir (nothing changed since it was built). */
  cached: boolean;
  /** Why it was built, when it was. */
  reason?: string;
}

export interface Manifest {
  key: string;
  /** Every file webpack read, with its SHA-256; directories as "dir". */
  files: Record<string, string>;
  /** Paths webpack probed and did not find (a file created there could change the bundle). */
  missing: string[];
}

const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

function bundleKey(workflowsPath: string, o: WorkflowBundleOptions): string {
  const sdk = JSON.parse(fs.readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')).version as string;
  return sha256(JSON.stringify({ workflowsPath, interceptors: o.workflowInterceptorModules, preload: o.preloadModules, sdk, node: process.versions.node }));
}

/** Which of the manifest's inputs changed, or undefined when none did. */
export function staleness(m: Manifest): string | undefined {
  for (const [file, hash] of Object.entries(m.files)) {
    try {
      if (hash === 'dir') {
        if (!fs.statSync(file).isDirectory()) return `${file} changed`;
      } else if (sha256(fs.readFileSync(file)) !== hash) return `${path.relative(process.cwd(), file)} changed`;
    } catch {
      return `${file} is gone`;
    }
  }
  const appeared = m.missing.find((p) => fs.existsSync(p));
  return appeared && `${appeared} appeared`;
}

function readCache(cacheDir: string, key: string): { code?: string; reason: string } {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(cacheDir, 'manifest.json'), 'utf8'));
  } catch {
    return { reason: 'no bundle built yet' };
  }
  if (manifest.key !== key) return { reason: 'bundler options or versions changed' };
  const stale = staleness(manifest);
  if (stale) return { reason: stale };
  try {
    return { code: fs.readFileSync(path.join(cacheDir, 'bundle.js'), 'utf8'), reason: '' };
  } catch {
    return { reason: 'bundle file missing' };
  }
}

/** The SDK's bundleWorkflowCode in a worker thread; answers the code and the files webpack read or probed. */
function buildInThread(workflowsPath: string, workflowInterceptorModules: string[], preloadModules: string[]): Promise<{ code: string; files: string[]; missing: string[] }> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { bundleWorkflowCode } = require(workerData.sdk);
    const quiet = () => undefined;
    let files = [], missing = [];
    const capture = { apply(compiler) { compiler.hooks.done.tap('casework-bundle-deps', (stats) => {
      files = [...stats.compilation.fileDependencies]; missing = [...stats.compilation.missingDependencies];
    }); } };
    bundleWorkflowCode({
      workflowsPath: workerData.workflowsPath,
      workflowInterceptorModules: workerData.workflowInterceptorModules,
      preloadModules: workerData.preloadModules,
      logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error },
      webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins || []), capture] }),
    }).then(({ code }) => parentPort.postMessage({ code, files, missing }), (err) => parentPort.postMessage({ error: String((err && err.stack) || err) }));`;
  const workerData = { sdk: require.resolve('@temporalio/worker'), workflowsPath, workflowInterceptorModules, preloadModules };
  return new Promise((resolve, reject) => {
    const thread = new Thread(source, { eval: true, workerData });
    thread.once('message', (m: { code?: string; files?: string[]; missing?: string[]; error?: string }) => {
      void thread.terminate();
      if (m.code !== undefined) resolve({ code: m.code, files: m.files ?? [], missing: m.missing ?? [] });
      else reject(new Error(`bundling the workflows failed: ${m.error}`));
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the workflow bundler stopped (exit ${code})`)));
  });
}

function writeCache(cacheDir: string, key: string, entry: string, built: { code: string; files: string[]; missing: string[] }, startedAt: number): void {
  const files: Record<string, string> = {};
  for (const f of built.files) {
    let st: fs.Stats;
    try {
      st = fs.statSync(f);
    } catch {
      continue; // the generated entrypoint lives in the bundler's memory only; its content follows from the key
    }
    if (st.isDirectory()) files[f] = 'dir';
    // Edited while it was being bundled: the bundle may hold either version. The entry (workflowsPath) is generated
    // whole just before (worker/caseWorkflows.ts), never during a bundle; its hash below is what counts.
    else if (f !== entry && st.mtimeMs >= startedAt - 1000) return;
    else files[f] = sha256(fs.readFileSync(f));
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `.${process.pid}.tmp`;
  fs.writeFileSync(path.join(cacheDir, `bundle.js${tmp}`), built.code);
  fs.writeFileSync(path.join(cacheDir, `manifest.json${tmp}`), JSON.stringify({ key, files, missing: built.missing } satisfies Manifest));
  // The manifest names the bundle's inputs: the bundle goes in place first, so a manifest never vouches for another bundle.
  fs.rmSync(path.join(cacheDir, 'manifest.json'), { force: true });
  fs.renameSync(path.join(cacheDir, `bundle.js${tmp}`), path.join(cacheDir, 'bundle.js'));
  fs.renameSync(path.join(cacheDir, `manifest.json${tmp}`), path.join(cacheDir, 'manifest.json'));
}

/** The workflow bundle: reused from cacheDir when none of its inputs changed, else built (in a worker thread) and kept there. */
export async function workflowBundle(o: WorkflowBundleOptions): Promise<WorkflowBundle> {
  const { workflowsPath } = o;
  const key = bundleKey(workflowsPath, o);
  let reason = 'no cache directory';
  if (o.cacheDir) {
    const hit = readCache(o.cacheDir, key);
    if (hit.code !== undefined) return { code: hit.code, cached: true };
    reason = hit.reason;
  }
  const startedAt = Date.now();
  const built = await buildInThread(workflowsPath, o.workflowInterceptorModules, o.preloadModules);
  if (o.cacheDir) {
    try {
      writeCache(o.cacheDir, key, workflowsPath, built, startedAt);
    } catch {
      // a cache that cannot be written only costs the next start a rebuild
    }
  }
  return { code: built.code, cached: false, reason };
}
