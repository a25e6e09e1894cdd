// The complaints report (policy 7.4, 8.2 "tracking and improvement"): per merchant, category or channel, the
// complaints opened in a period, how many closed, the stage each reached, the time spent in each stage, the
// settlement rate and the mean rating. One SQL statement over the read model, in two parts that join nothing: the
// case rows (the category and channel are the case's report facets, cases.facets; the rating is in cases.closing,
// the close's payload) and the stage spans (case_steps, written by the case writes, activities/caseWrites.ts, each
// carrying its case's type, opening time, merchant and facets, and its duration once it ended).
import type { ClientBase } from 'pg';
import { z } from 'zod';
import { poolOf } from '../lib/db';
import { COMPLAINT_CASE_TYPE, complaintReportFacets, complaintStages, settledOutcomes } from '../policy/complaints';
import { reportPeriod, reportPeriodFields } from './reports';
import type { ProcessReport } from './types';

export const complaintReportGroupings = ['merchant', 'category', 'channel'] as const;
export type ComplaintReportGrouping = (typeof complaintReportGroupings)[number];
/** The longest period one report covers, and the default one. */
export const COMPLAINT_REPORT_MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

export const complaintsReportQuery = z
  .object({
    ...reportPeriodFields("the complaint's opening time", DEFAULT_DAYS, COMPLAINT_REPORT_MAX_DAYS),
    groupBy: z.enum(complaintReportGroupings).optional().describe('merchant (default), category or channel'),
  })
  .strict();

const stageFigures = z
  .object({
    stage: z.enum(complaintStages),
    reached: z.number().int().describe('Cases whose last stage entered is this one (still in it, or closed from it)'),
    spans: z.number().int().describe('Completed stays in the stage (entered and left), which the durations are of'),
    medianMs: z.number().nullable().describe('The median duration of the completed stays, nearest rank, within 1 %'),
    p95Ms: z.number().nullable().describe('The 95th percentile of the completed stays, nearest rank, within 1 %'),
  })
  .strict();

const groupFigures = z
  .object({
    key: z.string().nullable().describe('The merchant id, category or channel'),
    opened: z.number().int().describe('Complaints opened in the period'),
    closed: z.number().int().describe('Of those, closed'),
    settled: z.number().int().describe('Of the closed, those whose outcome counts as settled (policy/complaints.ts settledOutcomes)'),
    settlementRate: z.number().nullable().describe('settled / closed; null when none closed'),
    rated: z.number().int().describe('Closed complaints the complainant rated (a lapsed survey is no rating)'),
    meanRating: z.number().nullable().describe('The mean of the 1-5 ratings; null when none'),
    stages: z.array(stageFigures).describe('Every stage of the ladder, in order'),
  })
  .strict();

export const complaintsReportSchema = z
  .object({
    from: z.string().describe('ISO 8601 instant (inclusive)'),
    to: z.string().describe('ISO 8601 instant (exclusive)'),
    groupBy: z.enum(complaintReportGroupings),
    unit: z.literal('ms'),
    groups: z.array(groupFigures),
  })
  .strict()
  .meta({ id: 'ComplaintsReport' });
export type ComplaintsReport = z.infer<typeof complaintsReportSchema>;

/** Each grouping's column on the case row and on the stage spans: a fixed expression, never the caller's text. */
const groupColumn: Record<ComplaintReportGrouping, string> = {
  merchant: 'merchant_id',
  category: `facets[${complaintReportFacets.indexOf('category') + 1}]`,
  channel: `facets[${complaintReportFacets.indexOf('channel') + 1}]`,
};

/**
 * Stage durations are counted in logarithmic buckets of DURATION_BUCKET_RATIO (bucket b holds [r^b, r^(b+1)) ms, -1
 * holds 0 ms), and a percentile is the nearest-rank bucket's geometric middle: within 1 % of the exact nearest-rank
 * duration. Counting buckets (a hash aggregate) instead of sorting every span is what keeps a year's report fast.
 */
export const DURATION_BUCKET_RATIO = 1.02;
// Kept to the microsecond: rounding to whole milliseconds would add up to 0.5 ms to the 0.995 % of the middle.
export const bucketMiddleMs = (b: number | null): number | null => (b === null ? null : b < 0 ? 0 : Math.round(DURATION_BUCKET_RATIO ** (b + 0.5) * 1000) / 1000);

const inPeriod = (column: string) => `${column} >= ($1::timestamptz AT TIME ZONE 'UTC') AND ${column} < ($2::timestamptz AT TIME ZONE 'UTC')`;

/**
 * The one statement: $1 from, $2 to (instants), $3 the case type, $4 the stages, $5 the settled outcomes. Two parts,
 * each over one table, joined by nothing:
 * - the cases: the complaints opened in the period (the index on cases (type, created_at)), per group: opened,
 *   closed, settled, rated and the mean rating (cases.closing, the close's payload);
 * - the stage spans: those of the complaints opened in the period (case_steps carries each span's case type, opening
 *   time, merchant and facets: the index on (case_type, opened_at)), counted per group, stage and duration bucket
 *   (a hash aggregate, no sort of the spans), then ranked per group and stage for the median and p95. A case's stage
 *   reached is its one span that no later stage followed (next_step null, or a step that is no stage: closed).
 * Groups compare bytewise (COLLATE "C"): keys are ids and codes.
 */
export function complaintsReportSql(groupBy: ComplaintReportGrouping): string {
  const grp = `${groupColumn[groupBy]} COLLATE "C"`;
  return `
WITH counted AS (
  SELECT ${grp} AS grp, step COLLATE "C" AS step,
    CASE WHEN duration_ms IS NULL THEN NULL WHEN duration_ms < 1 THEN -1 ELSE floor(ln(duration_ms::float8) / ${Math.log(DURATION_BUCKET_RATIO)})::int END AS bucket,
    count(*) FILTER (WHERE next_step IS NULL OR next_step <> ALL($4::text[])) AS reached,
    count(duration_ms) AS n
  FROM case_steps
  WHERE case_type = $3 AND ${inPeriod('opened_at')} AND step = ANY($4::text[])
  GROUP BY 1, 2, 3
), ranked AS (
  SELECT grp, step, bucket, reached,
    sum(n) OVER (PARTITION BY grp, step ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS cum,
    sum(n) OVER (PARTITION BY grp, step) AS total
  FROM counted
)
SELECT ${grp} AS "key", NULL AS step, count(*)::int AS "opened",
  (count(*) FILTER (WHERE closed_at IS NOT NULL))::int AS "closed",
  (count(*) FILTER (WHERE closed_at IS NOT NULL AND outcome = ANY($5::text[])))::int AS "settled",
  (count(*) FILTER (WHERE closed_at IS NOT NULL AND jsonb_typeof(closing->'rating') = 'number'))::int AS "rated",
  (avg((closing->>'rating')::numeric) FILTER (WHERE closed_at IS NOT NULL AND jsonb_typeof(closing->'rating') = 'number'))::float8 AS "meanRating",
  NULL::int AS "spans", NULL::int AS "medianBucket", NULL::int AS "p95Bucket"
FROM cases
WHERE type = $3 AND ${inPeriod('created_at')}
GROUP BY 1
UNION ALL
SELECT grp, step, sum(reached)::int, NULL, NULL, NULL, NULL, max(total)::int,
  min(bucket) FILTER (WHERE bucket IS NOT NULL AND cum >= ceil(0.5 * total)),
  min(bucket) FILTER (WHERE bucket IS NOT NULL AND cum >= ceil(0.95 * total))
FROM ranked
GROUP BY grp, step`;
}

/** A row: a group's (step null: the case figures) or one stage's of a group (opened: the cases that reached it). */
interface Row {
  key: string | null;
  step: string | null;
  opened: number;
  closed: number | null;
  settled: number | null;
  rated: number | null;
  meanRating: number | null;
  spans: number | null;
  medianBucket: number | null;
  p95Bucket: number | null;
}

/** The session settings the statement runs with, in its own read-only transaction: no JIT compilation (it costs more than it saves here). */
export const REPORT_SETTINGS = 'BEGIN READ ONLY; SET LOCAL jit = off';

/** The report, on `client` (a connection of the API's pool, or a benchmark's). */
export async function complaintsReport(client: Pick<ClientBase, 'query'>, from: Date, to: Date, groupBy: ComplaintReportGrouping): Promise<ComplaintsReport> {
  let rows: Row[];
  await client.query(REPORT_SETTINGS);
  try {
    rows = (await client.query<Row>(complaintsReportSql(groupBy), [from.toISOString(), to.toISOString(), COMPLAINT_CASE_TYPE, complaintStages, settledOutcomes])).rows;
  } finally {
    await client.query('COMMIT');
  }
  const stagesOf = new Map(rows.filter((r) => r.step !== null).map((r) => [`${r.key}\u0000${r.step}`, r]));
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    groupBy,
    unit: 'ms',
    groups: rows
      .filter((r) => r.step === null)
      .sort((x, y) => (x.key === y.key ? 0 : x.key === null ? 1 : y.key === null ? -1 : x.key < y.key ? -1 : 1))
      .map((r) => ({
        key: r.key,
        opened: r.opened,
        closed: r.closed ?? 0,
        settled: r.settled ?? 0,
        settlementRate: r.closed ? r.settled! / r.closed : null,
        rated: r.rated ?? 0,
        meanRating: r.meanRating,
        stages: complaintStages.map((stage) => {
          const x = stagesOf.get(`${r.key}\u0000${stage}`);
          return { stage, reached: x?.opened ?? 0, spans: x?.spans ?? 0, medianMs: bucketMiddleMs(x?.medianBucket ?? null), p95Ms: bucketMiddleMs(x?.p95Bucket ?? null) };
        }),
      })),
  };
}

/** GET /v1/reports/complaints: staff read every merchant's figures; merchants and the storefront do not (7.4, 8.2). */
export const complaintsReportDecl: ProcessReport<z.infer<typeof complaintsReportQuery>, ComplaintsReport> = {
  name: 'complaints',
  summary:
    'Complaints opened in a period, per merchant, category or channel (policy 7.4, 8.2): opened and closed, the stage each reached, the median and p95 time in each stage, the settlement rate and the mean 1-5 rating',
  roles: ['agent', 'supervisor', 'auditor'],
  query: complaintsReportQuery,
  result: complaintsReportSchema,
  run: async (deps, q) => {
    const { from, to } = reportPeriod(q, DEFAULT_DAYS, COMPLAINT_REPORT_MAX_DAYS);
    const client = await poolOf(deps.db).connect();
    try {
      return await complaintsReport(client, from, to, q.groupBy ?? 'merchant');
    } finally {
      client.release();
    }
  },
};
