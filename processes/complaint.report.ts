// The complaints report (policy 7.4, 8.2 "tracking and improvement"): per merchant, category or channel, the
// complaints opened in a period, how many closed, the stage each reached, the time spent in each stage, the
// settlement rate and the mean rating. One SQL statement over the read model: cases (by the index on type and
// opening time), complaints (channel, category), case_steps (the stage spans the case writes record,
// activities/caseWrites.ts, with the step each went on to) and cases.closing (the close's payload: the rating).
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
 * The one statement: $1 from, $2 to (instants), $3 the case type, $4 the stages, $5 the settled outcomes. One pass
 * over the complaints opened in the period (the index on cases (type, created_at)), each joined to its stage spans
 * (the index on case_steps (case_id, entered_at)), grouped twice at once (GROUPING SETS): per group and stage, per
 * group. A case's stage reached is its one stage span that no later stage followed (next_step null, or a step that
 * is no stage: closed), so no ordering of spans is needed, and the per-group counts read that row (or the case's
 * only row when it has no span: opened before spans were recorded). Durations are of the spans that ended. The
 * groups sort and compare bytewise (COLLATE "C"): keys are ids and codes.
 */
export function complaintsReportSql(groupBy: ComplaintReportGrouping): string {
  return `
WITH stays AS (
  SELECT ${groupColumn[groupBy]} COLLATE "C" AS grp, s.step COLLATE "C" AS step,
         c.closed_at IS NOT NULL AS closed, c.outcome,
         CASE WHEN jsonb_typeof(c.closing->'rating') = 'number' THEN (c.closing->>'rating')::numeric END AS rating,
         s.id IS NULL OR s.next_step IS NULL OR s.next_step <> ALL($4::text[]) AS last,
         (extract(epoch FROM s.left_at - s.entered_at) * 1000)::float8 AS ms
  FROM cases c${groupBy === 'merchant' ? '' : ' JOIN complaints r ON r.case_id = c.id'}
  LEFT JOIN case_steps s ON s.case_id = c.id AND s.step = ANY($4::text[])
  WHERE c.type = $3 AND c.created_at >= ($1::timestamptz AT TIME ZONE 'UTC') AND c.created_at < ($2::timestamptz AT TIME ZONE 'UTC')
)
SELECT grp AS "key", step, grouping(step) = 1 AS "total",
  (count(*) FILTER (WHERE last))::int AS "cases",
  (count(*) FILTER (WHERE last AND closed))::int AS "closed",
  (count(*) FILTER (WHERE last AND closed AND outcome = ANY($5::text[])))::int AS "settled",
  (count(rating) FILTER (WHERE last AND closed))::int AS "rated",
  (avg(rating) FILTER (WHERE last AND closed))::float8 AS "meanRating",
  count(ms)::int AS "spans",
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS "medianMs",
  percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS "p95Ms"
FROM stays
GROUP BY GROUPING SETS ((grp), (grp, step))`;
}

interface Row {
  key: string | null;
  step: string | null;
  /** The group's row (all its stages), else one stage's. */
  total: boolean;
  cases: number;
  closed: number;
  settled: number;
  rated: number;
  meanRating: number | null;
  spans: number;
  medianMs: number | null;
  p95Ms: number | null;
}

/**
 * The session settings the statement runs with, in its own read-only transaction: sorting a year of stage spans for
 * the percentiles in memory rather than on disk, no JIT compilation (which costs more than it saves here), and index
 * reads costed as the cached reads they are (a short period then reads its cases' spans by the index).
 */
export const REPORT_SETTINGS = "BEGIN READ ONLY; SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL random_page_cost = 1.1";

/** The report, on `client` (a connection of the API's pool, or a benchmark's). */
export async function complaintsReport(client: Pick<ClientBase, 'query'>, from: Date, to: Date, groupBy: ComplaintReportGrouping): Promise<ComplaintsReport> {
  let rows: Row[];
  await client.query(REPORT_SETTINGS);
  try {
    rows = (await client.query<Row>(complaintsReportSql(groupBy), [from.toISOString(), to.toISOString(), COMPLAINT_CASE_TYPE, complaintStages, settledOutcomes])).rows;
  } finally {
    await client.query('COMMIT');
  }
  const stageRows = new Map(rows.filter((r) => !r.total).map((r) => [`${r.key}\u0000${r.step}`, r]));
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    groupBy,
    unit: 'ms',
    groups: rows
      .filter((r) => r.total)
      .sort((a, b) => (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1))
      .map((r) => ({
        key: r.key,
        opened: r.cases,
        closed: r.closed,
        settled: r.settled,
        settlementRate: r.closed ? r.settled / r.closed : null,
        rated: r.rated,
        meanRating: r.meanRating,
        stages: complaintStages.map((stage) => {
          const x = stageRows.get(`${r.key}\u0000${stage}`);
          return { stage, reached: x?.cases ?? 0, spans: x?.spans ?? 0, medianMs: x?.medianMs ?? null, p95Ms: x?.p95Ms ?? null };
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
