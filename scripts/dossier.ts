// The signed dossier of a case (processes/dossier.ts), for auditors, arbitration and courts.
//   npx tsx scripts/dossier.ts write <caseId> [--out dossier-<caseId>.tar]   needs DATABASE_URL and TEMPORAL_ADDRESS
//   npx tsx scripts/dossier.ts verify <file.tar> [--key <public key PEM file>] offline; exit 1 when anything fails
//                                     (a subject's personal-data export, .tar.gz, is verified the same way: lib/subjectExport.ts)
//   npx tsx scripts/dossier.ts key                                          the configured signing key's public half
// `write` signs with the key the configuration names (KEY_MANAGEMENT) and replays every run's history against the
// workflow code of this checkout; progress goes to stderr, one line per file. `verify` checks the manifest's signature,
// the key against the pinned one (--key; without it the result says keyTrusted: false), and every file's SHA-256.
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { verifyDossier } from '../lib/dossier';
import { createLogger } from '../lib/logger';
import { createPorts } from '../lib/ports';
import { temporalConnectionOptions } from '../lib/temporal';
import { verifySubjectExport } from '../lib/subjectExport';
import { writeCaseDossier } from '../processes/dossier';
import { createHistoryReplayer } from '../worker/historyReplayer';
import { caseBundleOptions } from '../worker/worker';
import { workflowBundle } from '../worker/workflowBundle';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function write(caseId: string): Promise<number> {
  const cfg = loadConfig();
  if (!cfg.DATABASE_URL || !cfg.TEMPORAL_ADDRESS) throw new Error('write needs DATABASE_URL and TEMPORAL_ADDRESS');
  const logger = createLogger('dossier', cfg.LOG_LEVEL);
  const db = createDb(cfg.DATABASE_URL, { maxConnections: 2 });
  const ports = createPorts(cfg, { db, logger });
  const connection = await Connection.connect(temporalConnectionOptions(cfg.TEMPORAL_ADDRESS, cfg));
  const file = path.resolve(flag('--out') ?? `dossier-${caseId}.tar`);
  try {
    const replay = createHistoryReplayer(async () => {
      process.stderr.write('bundling the workflow code to replay with\n');
      return (await workflowBundle({ ...caseBundleOptions(), cacheDir: path.resolve(cfg.DATA_DIR, 'workflow-bundle') })).code;
    });
    const manifest = await writeCaseDossier(
      { db, client: new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE }), keys: ports.keys, blobs: ports.blobs, replay },
      caseId,
      { by: `cli:${process.env.USER ?? 'unknown'}`, out: fs.createWriteStream(file), onProgress: (f) => process.stderr.write(`  ${f.path} ${f.bytes} bytes sha256 ${f.sha256}\n`) },
    );
    console.log(JSON.stringify({ file, caseId, files: manifest.files.length, keyId: manifest.signingKey.keyId }));
    return 0;
  } finally {
    await connection.close();
    await db.$disconnect();
  }
}

async function verify(file: string): Promise<number> {
  const keyFile = flag('--key');
  const o = keyFile ? { trustedPublicKeyPem: fs.readFileSync(keyFile, 'utf8') } : {};
  // gzip's magic bytes: a subject's data export; else a dossier.
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 2, 0);
  fs.closeSync(fd);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const { manifest, ...result } = await verifySubjectExport(fs.createReadStream(file), o);
    console.log(JSON.stringify({ file, exportId: manifest?.exportId ?? null, subjectId: manifest?.subjectId ?? null, ...result }, null, 2));
    return result.valid ? 0 : 1;
  }
  const result = await verifyDossier(fs.createReadStream(file), o);
  console.log(JSON.stringify({ file, ...result }, null, 2));
  return result.valid ? 0 : 1;
}

async function key(): Promise<number> {
  const cfg = loadConfig();
  // The key port needs no database; the other ports are not built.
  const k = await createPorts(cfg, { db: undefined as never, logger: createLogger('dossier', 'silent') }).keys.signingKey();
  process.stderr.write(`${k.keyId}\n`);
  process.stdout.write(k.publicKeyPem);
  return 0;
}

async function main(): Promise<number> {
  const [command, arg] = process.argv.slice(2);
  if (command === 'write' && arg) return write(arg);
  if (command === 'verify' && arg) return verify(arg);
  if (command === 'key') return key();
  console.error('usage: dossier.ts write <caseId> [--out file] | verify <file.tar|export.tar.gz> [--key pem] | key');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
