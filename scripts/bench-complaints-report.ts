// Benchmark: the complaints report (GET /v1/reports/complaints, processes/complaint.report.ts) over 100,000
// complaints in real PostgreSQL. Not a test.
//   TEST_DATABASE_ADMIN_URL=postgresql://user:pw@127.0.0.1:5432/postgres bash scripts/bench.sh complaints-report [--complaints 100000] [--runs 10] [--explain] [--keep]
// (or npx tsx scripts/bench-complaints-report.ts …). Creates a scratch database, migrates it, seeds the complaints
// with generate_series (case rows, complaint rows, stage spans, outcomes and ratings spread over 50 merchants, the
// categories and channels, and a year), runs the report's one statement warm for each grouping over the whole year
// and over 30 days, prints p50/p95 latency and the sizes of the indexes it reads as JSON, then drops the database.
import { Client as Pg } from 'pg';
import { withScratchDatabase } from './bench/scratchDatabase';
import { complaintReportGroupings, complaintsReport, complaintsReportSql, REPORT_SETTINGS } from '../processes/complaint.report';
import { COMPLAINT_CASE_TYPE, complaintCategories, complaintChannels, complaintOutcomes, complaintStages, settledOutcomes } from '../policy/complaints';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function percentile(sorted: number[], p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[idx] * 10) / 10;
}

/** The path a seeded complaint takes: the first k of these stages (k = 1 + i % 6), then closed or still open. */
const PATH = ['review', 'judgement', 'merchant_reply', 'negotiation', 'execution', 'rating'];

async function seed(db: Pg, n: number, start: Date): Promise<void> {
  for (const s of PATH) if (!(complaintStages as readonly string[]).includes(s)) throw new Error(`${s} is not a complaint stage`);
  // Per complaint i: opened at an even spread over 365 days; each stage j (1-based) lasts about slot * j (below), slot 5..485 min.
  const base = `
    SELECT i, 'CMP-bench-' || i AS id,
      ($2::timestamptz AT TIME ZONE 'UTC') + (i * (365 * 86400.0 / $1)) * interval '1 second' AS opened_at,
      ((i % 97) + 1) * interval '5 minutes' AS slot,
      1 + i % 6 AS k,
      i % 10 < 7 AS closed,
      'm' || (i % 50) AS merchant
    FROM generate_series(0, $1 - 1) i`;
  // The complaint's facets (cases.facets, copied on its spans): category, then channel (policy/complaints.ts).
  const category = (p: number) => `($${p}::text[])[1 + (i / 4) % cardinality($${p}::text[])]`;
  const channel = (p: number) => `($${p}::text[])[1 + i % cardinality($${p}::text[])]`;
  progress(`seeding ${n} complaints`);
  await db.query(
    `INSERT INTO cases (id, type, status, step, customer_id, merchant_id, policy_version, workflow_id, opened_by, summary, outcome, created_at, updated_at, closed_at, closing, facets)
     SELECT id, $3, CASE WHEN closed THEN 'closed' ELSE 'open' END,
       CASE WHEN closed THEN 'closed' ELSE ($4::text[])[k] END,
       'cust-' || (i % 5000), merchant, 'bench', id, 'bench', '{}',
       CASE WHEN closed THEN ($5::text[])[1 + (i / 7) % cardinality($5::text[])] END,
       opened_at, opened_at,
       CASE WHEN closed THEN opened_at + slot * (k * (k + 1) / 2) END,
       CASE WHEN closed THEN jsonb_build_object('outcome', ($5::text[])[1 + (i / 7) % cardinality($5::text[])],
         'rating', CASE i % 3 WHEN 0 THEN to_jsonb(1 + (i / 3) % 5) WHEN 1 THEN to_jsonb('no_rating'::text) ELSE 'null'::jsonb END) END,
       ARRAY[${category(6)}, ${channel(7)}]
     FROM (${base}) s`,
    [n, start.toISOString(), COMPLAINT_CASE_TYPE, PATH, complaintOutcomes, complaintCategories, complaintChannels],
  );
  await db.query(
    `INSERT INTO complaints (case_id, channel, category, order_id, description, created_at)
     SELECT id, ${channel(4)}, ${category(3)}, 'order-' || i, NULL, opened_at
     FROM (${base}) s`,
    [n, start.toISOString(), complaintCategories, complaintChannels],
  );
  progress('seeding the stage spans');
  // Stage j of complaint i lasts slot * j, spread by a factor e^-1.5 .. e^1.5 that a hash of (i, j) picks: durations
  // to the millisecond, nearly all distinct, as real stays are (a report over few distinct durations flatters it).
  await db.query(
    `WITH stays AS (
       SELECT s.*, j, round(extract(epoch FROM slot) * 1000 * j * exp(((i * 7919 + j * 104729) % 10007) / 10007.0 * 3 - 1.5))::bigint AS ms
       FROM (${base}) s, generate_series(1, k) j
     ), spans AS (
       SELECT stays.*, sum(ms) OVER (PARTITION BY i ORDER BY j) AS upto FROM stays
     )
     INSERT INTO case_steps (case_id, step, entered_at, left_at, next_step, case_type, opened_at, merchant_id, facets, duration_ms)
     SELECT id, ($3::text[])[j], opened_at + (upto - ms) * interval '1 millisecond',
       CASE WHEN j < k OR closed THEN opened_at + upto * interval '1 millisecond' END,
       CASE WHEN j < k THEN ($3::text[])[j + 1] WHEN closed THEN 'closed' END,
       $4, opened_at, merchant, ARRAY[${category(5)}, ${channel(6)}],
       CASE WHEN j < k OR closed THEN ms END
     FROM spans
     UNION ALL
     SELECT id, 'closed', opened_at + upto * interval '1 millisecond', NULL, NULL, $4, opened_at, merchant, ARRAY[${category(5)}, ${channel(6)}], NULL
     FROM spans WHERE closed AND j = k`,
    [n, start.toISOString(), PATH, COMPLAINT_CASE_TYPE, complaintCategories, complaintChannels],
  );
  await db.query('VACUUM ANALYZE cases');
  await db.query('VACUUM ANALYZE complaints');
  await db.query('VACUUM ANALYZE case_steps');
}

async function main() {
  const n = arg('--complaints', 100_000);
  const runs = arg('--runs', 10);
  await withScratchDatabase('casework_bench_complaints', async (databaseUrl) => {
    const db = new Pg({ connectionString: databaseUrl });
    await db.connect();

    const start = new Date('2026-01-01T00:00:00Z');
    const t0 = Date.now();
    await seed(db, n, start);
    progress(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const year = { from: start, to: new Date(start.getTime() + 366 * 86_400_000) };
    const month = { from: new Date('2026-06-01T00:00:00Z'), to: new Date('2026-07-01T00:00:00Z') };
    if (process.argv.includes('--explain')) {
      await db.query(process.argv.includes('--default-settings') ? 'BEGIN' : REPORT_SETTINGS);
      const plan = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${complaintsReportSql('merchant')}`, [year.from.toISOString(), year.to.toISOString(), complaintStages, settledOutcomes]);
      await db.query('COMMIT');
      process.stderr.write(`${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
    }
    const results: Record<string, unknown> = {};
    for (const [label, period] of [['year', year], ['30 days', month]] as const) {
      for (const groupBy of complaintReportGroupings) {
        let report = await complaintsReport(db, period.from, period.to, groupBy); // warm
        const samples: number[] = [];
        for (let r = 0; r < runs; r++) {
          const t = process.hrtime.bigint();
          report = await complaintsReport(db, period.from, period.to, groupBy);
          samples.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        samples.sort((a, b) => a - b);
        const opened = report.groups.reduce((s, g) => s + g.opened, 0);
        results[`groupBy=${groupBy}, ${label} (ms)`] = { groups: report.groups.length, complaints: opened, runs, p50: percentile(samples, 50), p95: percentile(samples, 95), max: Math.round(samples[samples.length - 1] * 10) / 10 };
        progress(`groupBy=${groupBy} over ${label}: p50 ${percentile(samples, 50)} ms`);
      }
    }
    const sizes = await db.query<{ name: string; bytes: string }>(
      `SELECT c.relname AS name, pg_relation_size(c.oid)::text AS bytes FROM pg_class c
       WHERE c.relname IN ('cases_type_created_at_idx', 'case_steps_case_type_opened_at_idx', 'case_steps_complaint_merchant_idx', 'case_steps_complaint_category_idx', 'case_steps_complaint_channel_idx', 'case_steps', 'cases', 'complaints') ORDER BY c.relname`,
    );
    const spans = (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM case_steps')).rows[0].n;
    await db.end();
    console.log(JSON.stringify({ complaints: n, stageSpans: Number(spans), ...results, 'sizes (MB)': Object.fromEntries(sizes.rows.map((r) => [r.name, Math.round((Number(r.bytes) / 1048576) * 10) / 10])) }, null, 2));
  }, { keep: process.argv.includes('--keep'), progress });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
