// Benchmark: the task inbox API over 10,000 open tasks in real PostgreSQL.
//   TEST_DATABASE_ADMIN_URL=postgresql://user:pw@127.0.0.1:5432/postgres npx tsx scripts/bench-inbox.ts [--tasks 10000] [--requests 200]
// Creates a scratch database, migrates it, seeds tasks, serves the real API in-process (listing needs
// no Temporal), measures request latency, then drops the database. Prints p50/p95 as JSON.
import { Connection } from '@temporalio/client';
import { startApi } from '../api/server';
import { loadConfig } from '../lib/config';
import { createDb } from '../lib/db';
import { createLogger } from '../lib/logger';
import { withScratchDatabase } from './bench/scratchDatabase';
import { createPrincipal } from '../lib/principals';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function percentile(sorted: number[], p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[idx] * 10) / 10;
}

async function timed(n: number, fn: () => Promise<void>): Promise<{ p50: number; p95: number; max: number; n: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { n, p50: percentile(samples, 50), p95: percentile(samples, 95), max: Math.round(samples[samples.length - 1] * 10) / 10 };
}

async function main() {
  const total = arg('--tasks', 10_000);
  const requests = arg('--requests', 200);
  await withScratchDatabase('casework_bench', async (databaseUrl) => {
    const db = createDb(databaseUrl);
    const cases = Math.ceil(total / 10);
    progress(`seeding ${cases} cases and ${total} open tasks`);
    const now = Date.now();
    for (let c = 0; c < cases; c += 500) {
      const batch = Array.from({ length: Math.min(500, cases - c) }, (_, i) => ({
        id: `BENCH-${c + i}`, type: 'return', status: 'open', step: 'merchant_review', customerId: `c${c + i}`, merchantId: `m${(c + i) % 50}`,
        policyVersion: 'bench', workflowId: `BENCH-${c + i}`, summary: {}, openedBy: 'bench',
      }));
      await db.case.createMany({ data: batch });
    }
    const roles = ['agent', 'agent', 'agent', 'agent', 'agent', 'agent', 'merchant', 'merchant', 'merchant', 'supervisor'] as const;
    for (let t = 0; t < total; t += 1000) {
      const batch = Array.from({ length: Math.min(1000, total - t) }, (_, i) => {
        const n = t + i;
        const role = roles[n % roles.length];
        return {
          id: `BENCH-${Math.floor(n / 10)}.t${n % 10}`, caseId: `BENCH-${Math.floor(n / 10)}`, caseType: 'return', type: 'return.platform_review', role,
          merchantId: role === 'merchant' ? `m${Math.floor(n / 10) % 50}` : null, status: 'open', slaName: 'platformReview',
          dueAt: new Date(now + ((n * 7919) % 1_000_000) * 1000), createdAt: new Date(now - n * 1000),
        };
      });
      await db.task.createMany({ data: batch });
      progress(`  ${Math.min(t + 1000, total)}/${total} tasks`);
    }
    await db.$executeRawUnsafe('ANALYZE tasks');
    const agent = await createPrincipal(db, { name: 'bench agent', role: 'agent' });
    const supervisor = await createPrincipal(db, { name: 'bench supervisor', role: 'supervisor' });
    const cfg = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', LOG_LEVEL: 'silent' });
    const api = await startApi({ cfg, db, connection: Connection.lazy({ address: '127.0.0.1:1' }), logger: createLogger('bench', 'silent'), port: 0, host: '127.0.0.1' });
    const get = async (key: string, q: string) => {
      const res = await fetch(`${api.url}/v1/tasks?${q}`, { headers: { authorization: `Bearer ${key}` } });
      if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
      return (await res.json()) as { tasks: unknown[]; nextCursor: string | null };
    };
    progress(`measuring ${requests} requests per scenario`);
    const firstPage = await timed(requests, async () => void (await get(agent.apiKey, 'status=open&role=agent&limit=100')));
    const dueSoon = await timed(requests, async () => void (await get(supervisor.apiKey, `status=open&dueBefore=${encodeURIComponent(new Date(now + 3_600_000 * 24).toISOString())}&limit=100`)));
    const allOpen = await timed(requests, async () => void (await get(supervisor.apiKey, 'status=open&limit=500')));
    let pages = 0;
    let seen = 0;
    const walk = await timed(Math.max(1, Math.floor(requests / 20)), async () => {
      let cursor: string | null = null;
      pages = 0;
      seen = 0;
      do {
        const page: { tasks: unknown[]; nextCursor: string | null } = await get(supervisor.apiKey, `status=open&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
        seen += page.tasks.length;
        pages++;
        cursor = page.nextCursor;
      } while (cursor);
    });
    await api.close();
    await db.$disconnect();
    console.log(JSON.stringify({ openTasks: total, 'GET /v1/tasks?status=open&role=agent&limit=100 (ms)': firstPage, 'dueBefore filter, limit=100 (ms)': dueSoon, 'status=open&limit=500 (ms)': allOpen, [`walk all ${seen} open tasks in ${pages} pages of 500 (ms)`]: walk }, null, 2));
  }, { progress });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
