// Seals the personal fields and attachment bytes written before encryption at rest (lib/sealingBackfill.ts), a page
// at a time, logging each page; idempotent (a second run finds nothing). The worker and `bash scripts/dev` run it at
// start-up too; this runs it on demand, e.g. before the migration that drops the clear columns.
//   DATABASE_URL=... npx tsx scripts/seal-backfill.ts [--batch 500]
import { createDb } from '../lib/db';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createPorts } from '../lib/ports';
import { backfillSealing } from '../lib/sealingBackfill';

async function main() {
  const cfg = loadConfig();
  if (!cfg.DATABASE_URL) throw new Error('DATABASE_URL is required');
  const i = process.argv.indexOf('--batch');
  const batch = i > 0 ? Number(process.argv[i + 1]) : 500;
  if (!(batch > 0)) throw new Error('--batch takes a positive number');
  const logger = createLogger('seal-backfill', cfg.LOG_LEVEL);
  const db = createDb(cfg.DATABASE_URL, { maxConnections: 2 });
  const ports = createPorts(cfg, { db, logger });
  const counts = await backfillSealing({ db, keys: ports.keys, logger, blobs: ports.blobs, mailSenderSecret: cfg.REPLY_TOKEN_SECRET }, { batch });
  console.log(JSON.stringify(counts));
  await db.$disconnect();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
