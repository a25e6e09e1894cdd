// Personal-information breach response (policy 6.3.2, 6.4; PIPL art. 57). Opened by staff (POST /v1/cases: source
// staff_report, ids and codes; the description stays in PostgreSQL, breach_records), by a monitoring system through its
// own signed webhook source (POST /v1/webhooks/monitoring, declared here), or by a complaint classified privacy (source
// complaint, workflows/complaint.ts behind patch complaint-privacy-opens-breach). The workflow is
// workflows/breachResponse.ts; its rules, tasks and actions policy/breachResponse.ts; its activities
// activities/breachResponse.ts. The case view shows the notices' delivery counts (breach.notices).
import { z } from 'zod';
import { breachNoticeProgress, createBreachActivities } from '../activities/breachResponse';
import type { Principal } from '../lib/authz';
import { personalCategories } from '../lib/personalData';
import { policyRefused } from '../lib/errors';
import { BREACH_HISTORY, SYSTEM_CODE, breachActions, breachDataCategories, breachTasks, defaultBreachPolicy } from '../policy/breachResponse';
import { breachPolicySchema } from '../policy/breachResponse.policySchema';
import { BREACH_CASE_TYPE, breachResponse, type BreachCaseInput } from '../workflows/breachResponse';
import { nonBlankText, refId } from './common';
import { breachTemplates } from './breachResponse.templates';
import { defineProcess, type WebhookSourceDecl } from './types';

// The policy's categories are the inventory's, both ways (compile time).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameCategories: Same<(typeof personalCategories)[number], (typeof breachDataCategories)[number]> = true;
void sameCategories;

/** A breach concerns no one customer: its case row names the platform (cases.customer_id). */
export const BREACH_CUSTOMER = 'platform';

/** The monitoring system's principal: it opens cases through its webhook source, never with an API key. */
export const MONITORING_OPENER: Principal = { id: 'webhook:monitoring', name: 'monitoring system', role: 'agent', merchantId: null, scopes: [] };

const systemCodes = z.array(z.string().regex(SYSTEM_CODE, 'a system code: a-z, digits, _')).max(20);

/** One body for every way in; the monitoring source and the complaint hand-over name their event or complaint. */
export const openBreachBody = z
  .object({
    source: z.enum(['staff_report', 'monitoring', 'complaint']),
    detectedAt: z.iso.datetime({ offset: true }).describe('When the breach was detected (ISO 8601): the authority’s deadline counts from it'),
    systems: systemCodes.optional().describe('Suspected systems, by code'),
    /** The reporter's words: PostgreSQL only, never in the workflow. */
    description: nonBlankText(4000).optional(),
    monitoringEventId: refId.optional(),
    complaintCaseId: z.string().regex(/^[A-Za-z0-9-]{1,80}$/).optional(),
  })
  .strict();
type OpenBreachBody = z.infer<typeof openBreachBody>;

export function checkBreachBody(b: OpenBreachBody): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (b.source === 'monitoring' && !b.monitoringEventId) issues.push({ path: 'monitoringEventId', message: 'a monitoring event names its id' });
  if (b.source !== 'monitoring' && b.monitoringEventId) issues.push({ path: 'monitoringEventId', message: 'only with source monitoring' });
  if (b.source === 'complaint' && !b.complaintCaseId) issues.push({ path: 'complaintCaseId', message: 'a complaint hand-over names the complaint' });
  if (b.source !== 'complaint' && b.complaintCaseId) issues.push({ path: 'complaintCaseId', message: 'only with source complaint' });
  return issues;
}

/** The monitoring system's event: a suspected breach, with its systems by code. */
export const monitoringEventSchema = z
  .object({
    eventId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "the monitoring system's own event id"),
    type: z.literal('breach_suspected'),
    detectedAt: z.iso.datetime({ offset: true }),
    systems: systemCodes.min(1),
  })
  .strict();
type MonitoringEvent = z.infer<typeof monitoringEventSchema>;

const monitoringSource: WebhookSourceDecl<MonitoringEvent> = {
  source: 'monitoring',
  secretVariable: 'WEBHOOK_SECRET_MONITORING',
  summary: 'A monitoring system’s suspected personal-information breach: opens a breach response case (policy 6.4.1 发觉泄露), once per event id',
  event: monitoringEventSchema,
  eventId: (e) => e.eventId,
  type: (e) => e.type,
  opens: (e) => ({
    body: { source: 'monitoring', detectedAt: e.detectedAt, systems: e.systems, monitoringEventId: e.eventId },
    principal: MONITORING_OPENER,
    idempotencyKey: `monitoring:${e.eventId}`,
  }),
};

const noticeCounts = z.object({
  subjects: z.number(),
  queued: z.number(),
  sent: z.number(),
  uncertainResent: z.number(),
  failed: z.number(),
  skipped: z.number(),
  sms: z.number(),
  unreachable: z.number(),
  pending: z.number(),
});

export const breachSchema = z
  .object({
    source: z.string(),
    detectedAt: z.string(),
    systems: z.array(z.string()),
    description: z.string().nullable().optional().describe('The reporter’s words: staff only'),
    cause: z.string().nullable(),
    categories: z.array(z.string()).nullable(),
    windowFrom: z.string().nullable(),
    windowTo: z.string().nullable(),
    affectedSystems: z.array(z.string()).nullable(),
    regulatorReportId: z.string().nullable(),
    notices: noticeCounts.describe('6.4.1 通知用户: the notices’ delivery, counted'),
  })
  .strict()
  .meta({ id: 'Breach' });

export const breachResponseProcess = defineProcess({
  caseType: BREACH_CASE_TYPE,
  idPrefix: 'BRC',
  title: 'Personal-information breach response',
  policyRefs: '6.3.2, 6.4.1, 6.4.2',
  workflow: breachResponse,
  workflowModule: require.resolve('../workflows/breachResponse'),
  policy: { key: 'breach', schema: breachPolicySchema, defaults: defaultBreachPolicy, version: '2026-12-05.1' },
  tasks: breachTasks,
  actions: breachActions,
  templates: breachTemplates,
  history: BREACH_HISTORY,
  describe: (caseId) => `Breach response ${caseId}`,
  webhooks: [monitoringSource as WebhookSourceDecl],

  open: {
    roles: ['agent', 'supervisor'],
    summary: 'Open a personal-information breach response (policy 6.4.1 发觉泄露, PIPL art. 57): source, detection time and suspected systems by code; the description stays in PostgreSQL',
    body: openBreachBody,
    check: checkBreachBody,
    prepare: ({ caseId, principal, policy, section, requestedAt }, body: OpenBreachBody) => {
      // The monitoring source is its webhook's; a complaint hand-over is a case's (opened by the case-links opener).
      if (body.source === 'monitoring' && principal.id !== MONITORING_OPENER.id) {
        throw policyRefused('SOURCE_NOT_FOR_PRINCIPAL', 'Monitoring events come through POST /v1/webhooks/monitoring', [{ path: 'source', message: 'staff_report' }]);
      }
      const input: BreachCaseInput = {
        caseId,
        openedBy: principal.id,
        policy: { version: policy.version, calendar: policy.calendar, breach: section },
        source: body.source,
        detectedAt: new Date(body.detectedAt).toISOString(),
        systems: body.systems ?? [],
        monitoringEventId: body.monitoringEventId ?? null,
        complaintCaseId: body.complaintCaseId ?? null,
      };
      return {
        input,
        row: { customerId: BREACH_CUSTOMER, merchantId: null, summary: { source: body.source, detectedAt: input.detectedAt, systems: input.systems, ...(input.complaintCaseId && { complaintCaseId: input.complaintCaseId }) }, facets: [body.source] },
        // The description stays here, in PostgreSQL; the workflow never sees it.
        writes: async (tx) => {
          await tx.breachRecord.create({
            data: { caseId, source: body.source, detectedAt: new Date(body.detectedAt), systems: input.systems, description: body.description ?? null, monitoringEventId: input.monitoringEventId, complaintCaseId: input.complaintCaseId, createdAt: requestedAt },
          });
        },
      };
    },
  },

  presentSchema: z.object({ breach: breachSchema.nullable() }),
  present: async (deps, c, principal) => {
    const row = await deps.db.breachRecord.findUnique({ where: { caseId: c.id } });
    if (!row) return { breach: null };
    const report = await deps.db.regulatorReport.findFirst({ where: { caseId: c.id }, select: { reportId: true } });
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    const staff = ['agent', 'supervisor', 'auditor', 'admin'].includes(principal.role);
    return {
      breach: {
        source: row.source,
        detectedAt: row.detectedAt.toISOString(),
        systems: row.systems as string[],
        ...(staff && { description: row.description }),
        cause: row.cause,
        categories: (row.categories as string[] | null) ?? null,
        windowFrom: iso(row.windowFrom),
        windowTo: iso(row.windowTo),
        affectedSystems: (row.affectedSystems as string[] | null) ?? null,
        regulatorReportId: report?.reportId ?? null,
        notices: await breachNoticeProgress(deps.db, c.id),
      },
    };
  },

  activities: (deps) => ({ ...createBreachActivities(deps) }),
});
