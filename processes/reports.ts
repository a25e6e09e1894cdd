// Reports, for every process: a process declares its reports in its module (ProcessModule.reports); each becomes a
// route GET /v1/reports/<name> (mounted by api/routes/cases.ts with the process's own routes, in the API description
// and the authorization matrix like them). The query is checked here (400), then the report runs over the read model.
import { z } from 'zod';
import { badRequest, zodIssues } from '../lib/errors';
import type { AnyProcess, ProcessReport, ProcessRoute } from './types';

export const reportPath = (name: string): string => `/v1/reports/${name}`;

/** The route of a report: its id is `report_<name>` (the authorization action `<caseType>.report_<name>`). */
export function reportRoute(r: ProcessReport): ProcessRoute {
  return {
    id: `report_${r.name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    method: 'get',
    path: reportPath(r.name),
    roles: r.roles,
    summary: r.summary,
    tag: 'reports',
    query: r.query,
    success: { status: 200, description: 'The report', schema: r.result },
    errors: [400],
    handler: async (deps, req, res) => {
      const q = r.query.safeParse(req.query);
      if (!q.success) throw badRequest('VALIDATION_FAILED', 'The query is not valid', zodIssues(q.error));
      res.json(await r.run(deps, q.data));
    },
  };
}

/** A process's own routes, then its reports as routes. */
export const processRoutesOf = (p: AnyProcess): ProcessRoute[] => [...(p.routes ?? []), ...(p.reports ?? []).map(reportRoute)];

/** The period of a report's query: ISO 8601 instants, `from` inclusive, `to` exclusive. */
export const reportPeriodFields = (what: string, defaultDays: number, maxDays: number) => ({
  from: z.iso.datetime({ offset: true }).optional().describe(`start of the period (inclusive) on ${what}; default: ${defaultDays} days before \`to\``),
  to: z.iso.datetime({ offset: true }).optional().describe(`end of the period (exclusive); default: now; \`from\` must be before \`to\` and the period at most ${maxDays} days long (400 otherwise)`),
});

/** The period a report's query names (defaults filled in), or a 400: `from` not before `to`, or a period too long. */
export function reportPeriod(q: { from?: string; to?: string }, defaultDays: number, maxDays: number, now = new Date()): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : now;
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - defaultDays * 86_400_000);
  if (from.getTime() >= to.getTime()) throw badRequest('VALIDATION_FAILED', '`from` must be before `to`', [{ path: 'from', message: 'must be before to', code: 'custom' }]);
  if (to.getTime() - from.getTime() > maxDays * 86_400_000) throw badRequest('VALIDATION_FAILED', `The period is at most ${maxDays} days long`, [{ path: 'to', message: `at most ${maxDays} days after from`, code: 'custom' }]);
  return { from, to };
}
