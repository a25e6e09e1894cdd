// Verifies the audit hash chain of one case, or of every case, and reports the first broken link.
//   DATABASE_URL=... npx tsx scripts/verify-audit.ts RET-...     |   ... --all
import { verifyAuditChain } from '../activities/audit';
import { createDb } from '../lib/db';

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const db = createDb(url, { maxConnections: 1 });
  const arg = process.argv[2];
  if (!arg) {
    console.error('usage: verify-audit.ts <caseId> | --all');
    process.exit(2);
  }
  const ids = arg === '--all' ? (await db.case.findMany({ select: { id: true }, orderBy: { createdAt: 'asc' } })).map((c) => c.id) : [arg];
  let broken = 0;
  for (const [i, id] of ids.entries()) {
    const r = await verifyAuditChain(db, id);
    if (!r.valid) broken++;
    console.log(JSON.stringify({ n: i + 1, of: ids.length, ...r }));
  }
  await db.$disconnect();
  process.exit(broken ? 1 : 0);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
