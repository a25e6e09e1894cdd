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
    medianMs: z.number().nullable().describe('The median duration of the completed stays (nearest rank, exact)'),
    p95Ms: z.number().nullable().describe('The 95th percentile of the completed stays (nearest rank, exact)'),
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

const inPeriod = (column: string) => `${column} >= ($1::timestamptz AT TIME ZONE 'UTC') AND ${column} < ($2::timestamptz AT TIME ZONE 'UTC')`;

/** The step of a closed case: no stage, and none of its spans is in the report's indexes. */
const CLOSED_STEP = 'closed';

/**
 * The one statement: $1 from, $2 to (instants), $3 the stages, $4 the settled outcomes. Two parts, each over one
 * table, joined by nothing:
 * - the cases: the complaints opened in the period (the index on cases (type, created_at)), per group: opened,
 *   closed, settled, rated and the mean rating (cases.closing, the close's payload);
 * - the stage spans of the complaints opened in the period (case_steps carries each span's case type, opening time,
 *   merchant, facets and duration), per group and step: the exact nearest-rank median and p95 of the ended stays
 *   (percentile_disc) and the stage reached (a case's one span that no later stage followed: next_step null, or a
 *   step that is no stage). A long period reads the grouping's own index in order (group, step, duration, with the
 *   opening time and the next step: migration 20261206020000_complaint_report_indexes), so the percentiles need
 *   neither a hash of the spans nor a sort; a short one reads its spans by (case_type, opened_at) and sorts them.
 *   Steps that are no stage come back too; the caller leaves them out.
 * The case type and the closed step are literals, so that the partial indexes match. Groups compare bytewise
 * (COLLATE "C"): keys are ids and codes.
 */
export function complaintsReportSql(groupBy: ComplaintReportGrouping): string {
  const grp = `${groupColumn[groupBy]} COLLATE "C"`;
  return `
SELECT ${grp} AS "key", NULL AS step, count(*)::int AS "opened",
  (count(*) FILTER (WHERE closed_at IS NOT NULL))::int AS "closed",
  (count(*) FILTER (WHERE closed_at IS NOT NULL AND outcome = ANY($4::text[])))::int AS "settled",
  (count(*) FILTER (WHERE closed_at IS NOT NULL AND jsonb_typeof(closing->'rating') = 'number'))::int AS "rated",
  (avg((closing->>'rating')::numeric) FILTER (WHERE closed_at IS NOT NULL AND jsonb_typeof(closing->'rating') = 'number'))::float8 AS "meanRating",
  NULL::int AS "spans", NULL::float8[] AS "percentiles"
FROM cases
WHERE type = '${COMPLAINT_CASE_TYPE}' AND ${inPeriod('created_at')}
GROUP BY 1
UNION ALL
SELECT ${grp}, step COLLATE "C",
  (count(*) FILTER (WHERE next_step IS NULL OR next_step <> ALL($3::text[])))::int, NULL, NULL, NULL, NULL,
  count(duration_ms)::int,
  (percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY duration_ms))::float8[]
FROM case_steps
WHERE case_type = '${COMPLAINT_CASE_TYPE}' AND step <> '${CLOSED_STEP}' AND ${inPeriod('opened_at')}
GROUP BY 1, 2`;
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
  /** The median and p95 stay in ms (null entries while none ended). */
  percentiles: (number | null)[] | null;
}

/** The session settings the statement runs with, in its own read-only transaction: no JIT compilation (it costs more than it saves here). */
export const REPORT_SETTINGS = 'BEGIN READ ONLY; SET LOCAL jit = off';

/** The report, on `client` (a connection of the API's pool, or a benchmark's). */
export async function complaintsReport(client: Pick<ClientBase, 'query'>, from: Date, to: Date, groupBy: ComplaintReportGrouping): Promise<ComplaintsReport> {
  let rows: Row[];
  await client.query(REPORT_SETTINGS);
  try {
    rows = (await client.query<Row>(complaintsReportSql(groupBy), [from.toISOString(), to.toISOString(), complaintStages, settledOutcomes])).rows;
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
          return { stage, reached: x?.opened ?? 0, spans: x?.spans ?? 0, medianMs: x?.percentiles?.[0] ?? null, p95Ms: x?.percentiles?.[1] ?? null };
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
