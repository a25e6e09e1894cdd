// The complaints report (policy 7.4, 8.2 "tracking and improvement"): per merchant, category or channel, the
// complaints opened in a period, how many closed, the stage each reached, the time spent in each stage, the
// settlement rate and the mean rating. One SQL statement over the read model: cases (by the index on type and
// opening time), complaints (channel, category), case_steps (the stage spans the case writes record,
// activities/caseWrites.ts) and cases.closing (the close's payload: the rating).
import type { ClientBase } from 'pg';
import { z } from 'zod';
import { poolOf } from '../lib/db';
import { COMPLAINT_CASE_TYPE, complaintStages, settledOutcomes } from '../policy/complaints';
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
    medianMs: z.number().nullable(),
    p95Ms: z.number().nullable(),
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

/** The grouping's column: a fixed expression per grouping, never the caller's text. */
const groupColumn: Record<ComplaintReportGrouping, string> = { merchant: 'c.merchant_id', category: 'r.category', channel: 'r.channel' };

/**
 * The one statement: $1 from, $2 to (instants), $3 the case type, $4 the stages, $5 the settled outcomes. The stage
 * reached is the last span (by entry time, then by insertion) whose step is a stage; durations are of the spans
 * that ended (left_at set).
 */
export function complaintsReportSql(groupBy: ComplaintReportGrouping): string {
  return `
WITH opened AS MATERIALIZED (
  SELECT c.id, ${groupColumn[groupBy]} AS grp, c.closed_at IS NOT NULL AS closed, c.outcome,
         CASE WHEN jsonb_typeof(c.closing->'rating') = 'number' THEN (c.closing->>'rating')::numeric END AS rating
  FROM cases c JOIN complaints r ON r.case_id = c.id
  WHERE c.type = $3 AND c.created_at >= ($1::timestamptz AT TIME ZONE 'UTC') AND c.created_at < ($2::timestamptz AT TIME ZONE 'UTC')
), spans AS MATERIALIZED (
  SELECT o.grp, s.case_id, s.id, s.step, s.entered_at, s.left_at
  FROM opened o JOIN case_steps s ON s.case_id = o.id
  WHERE s.step = ANY($4::text[])
), totals AS (
  SELECT grp, count(*)::int AS opened, (count(*) FILTER (WHERE closed))::int AS closed,
         (count(*) FILTER (WHERE closed AND outcome = ANY($5::text[])))::int AS settled,
         (count(rating) FILTER (WHERE closed))::int AS rated, (avg(rating) FILTER (WHERE closed))::float8 AS mean_rating
  FROM opened GROUP BY grp
), reached AS (
  SELECT grp, step, count(*)::int AS n
  FROM (SELECT DISTINCT ON (case_id) grp, step FROM spans ORDER BY case_id, entered_at DESC, id DESC) last_stage
  GROUP BY grp, step
), durations AS (
  SELECT grp, step, count(*)::int AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
  FROM (SELECT grp, step, (extract(epoch FROM left_at - entered_at) * 1000)::float8 AS ms FROM spans WHERE left_at IS NOT NULL) stays
  GROUP BY grp, step
)
SELECT t.grp AS "key", t.opened, t.closed, t.settled, t.rated, t.mean_rating AS "meanRating",
  coalesce((SELECT jsonb_object_agg(step, n) FROM reached x WHERE x.grp IS NOT DISTINCT FROM t.grp), '{}') AS "reached",
  coalesce((SELECT jsonb_object_agg(step, jsonb_build_array(n, median, p95)) FROM durations d WHERE d.grp IS NOT DISTINCT FROM t.grp), '{}') AS "durations"
FROM totals t
ORDER BY t.grp NULLS LAST`;
}

interface Row {
  key: string | null;
  opened: number;
  closed: number;
  settled: number;
  rated: number;
  meanRating: number | null;
  reached: Record<string, number>;
  durations: Record<string, [number, number, number]>;
}

/** The report over `sql` (the API's pool, or a benchmark's client). */
export async function complaintsReport(sql: Pick<ClientBase, 'query'>, from: Date, to: Date, groupBy: ComplaintReportGrouping): Promise<ComplaintsReport> {
  const { rows } = await sql.query<Row>(complaintsReportSql(groupBy), [from.toISOString(), to.toISOString(), COMPLAINT_CASE_TYPE, complaintStages, settledOutcomes]);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    groupBy,
    unit: 'ms',
    groups: rows.map((r) => ({
      key: r.key,
      opened: r.opened,
      closed: r.closed,
      settled: r.settled,
      settlementRate: r.closed ? r.settled / r.closed : null,
      rated: r.rated,
      meanRating: r.meanRating,
      stages: complaintStages.map((stage) => {
        const d = r.durations[stage];
        return { stage, reached: r.reached[stage] ?? 0, spans: d?.[0] ?? 0, medianMs: d?.[1] ?? null, p95Ms: d?.[2] ?? null };
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
    return complaintsReport(poolOf(deps.db), from, to, q.groupBy ?? 'merchant');
  },
};
