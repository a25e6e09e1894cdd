// The access record of personal data (policy 2.2.2; lib/personalAccess.ts): which staff member read which of a
// subject's personal fields in clear, when, in which case and why. Auditors and supervisors read it per subject.
// Routes that show personal fields take the reader's purpose in X-Access-Purpose (accessPurposeHeader, purposeOf).
import { Router, type Request } from 'express';
import { z } from 'zod';
import { accessPurposes, type AccessPurpose } from '../../lib/personalAccess';
import type { ApiDeps } from '../deps';
import { badRequest, notFound, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';

/** The request header a route that shows personal fields reads: why the staff member reads them. */
export const accessPurposeHeader = {
  'X-Access-Purpose': {
    required: false,
    description: `Why a staff member reads the personal fields this answer shows (policy 2.2.2): one of ${accessPurposes.join(', ')}; recorded with each read in clear. Default: the route's own purpose`,
    schema: z.enum(accessPurposes),
  },
};

/** The purpose the caller named (X-Access-Purpose), else the route's; an unknown one is a 400 and nothing is read. */
export function purposeOf(req: Request, routeDefault: AccessPurpose): AccessPurpose {
  const named = req.get('X-Access-Purpose');
  if (named === undefined) return routeDefault;
  const p = z.enum(accessPurposes).safeParse(named);
  if (!p.success) throw badRequest('VALIDATION_FAILED', 'X-Access-Purpose is not a known purpose', [{ path: 'X-Access-Purpose', message: `one of: ${accessPurposes.join(', ')}`, code: 'invalid_value' }]);
  return p.data;
}

const readSchema = z
  .object({
    at: z.iso.datetime(),
    principalId: z.string(),
    role: z.string(),
    caseId: z.string().nullable(),
    table: z.string(),
    columns: z.array(z.string()),
    rows: z.number().int(),
    purpose: z.enum(accessPurposes),
    route: z.string(),
  })
  .strict();
const accessRecordSchema = z.object({ subjectId: z.string(), reads: z.array(readSchema), nextCursor: z.string().nullable() }).strict().meta({ id: 'PersonalDataAccessRecord' });
const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().regex(/^[0-9]{1,19}$/).optional().describe('Opaque: the nextCursor of the previous page, unchanged'),
  })
  .strict();

export const personalDataRoutes = {
  accessRecord: defineRoute({
    id: 'getSubjectAccessRecord',
    method: 'get',
    path: '/v1/subjects/:subjectId/access-record',
    action: 'personalData.accessRecord',
    summary: "Who read a subject's personal fields in clear, newest first: the staff member and role, the table and columns, how many rows, the case and the purpose (policy 2.2.2)",
    tag: 'personal-data',
    tagDescription: 'Personal data: the access record of reads in clear (policy 2.2.2)',
    query: listQuery,
    success: { status: 200, description: 'The reads and the next cursor', schema: accessRecordSchema },
    errors: [400, 404],
  }),
};

export function personalDataRouter(deps: ApiDeps): Router {
  const r = Router();
  mount(r, personalDataRoutes.accessRecord, async (req, res) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) throw badRequest('VALIDATION_FAILED', 'The query is not valid', zodIssues(q.error));
    const subjectId = String(req.params.subjectId);
    if (!(await deps.db.subject.findUnique({ where: { id: subjectId }, select: { id: true } }))) throw notFound('Subject', subjectId);
    const rows = await deps.db.personalDataRead.findMany({
      where: { subjectId, ...(q.data.cursor && { id: { lt: BigInt(q.data.cursor) } }) },
      orderBy: { id: 'desc' },
      take: q.data.limit + 1,
    });
    const page = rows.slice(0, q.data.limit);
    res.json({
      subjectId,
      reads: page.map((x) => ({ at: x.at.toISOString(), principalId: x.principalId, role: x.role, caseId: x.caseId, table: x.tableName, columns: x.columns, rows: x.rows, purpose: x.purpose, route: x.route })),
      nextCursor: rows.length > q.data.limit ? String(page[page.length - 1].id) : null,
    });
  });
  return r;
}
