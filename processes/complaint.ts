// Complaints and the dispute ladder (policy 3.3, 7.4, chapter 8; 消法 art. 39). The storefront opens a complaint
// (channel online), an agent one taken by phone or on social media, and a rejected return hands over to one
// (channel linked_case, workflows/returnWithin7Days.ts); an e-mail to complaints@ opens one once its sender confirms
// (channel email, processes/mailIntake.ts). The complainant's description stays in PostgreSQL
// (complaints); attachments go through the case's attachments route after opening. The workflow is
// workflows/complaint.ts; its rules, tasks and actions policy/complaints.ts.
import { z } from 'zod';
import { canSeeMerchantScoped } from '../lib/authz';
import { policyRefused } from '../lib/errors';
import { createComplaintActivities } from '../activities/complaint';
import { UNASSIGNED_MERCHANT, COMPLAINT_HISTORY, complaintActions, complaintCategories, complaintFacets, complaintTasks, defaultComplaintPolicy } from '../policy/complaints';
import { complaintPolicySchema } from '../policy/complaints.policySchema';
import { COMPLAINT_CASE_TYPE, complaint, type ComplaintCaseInput } from '../workflows/complaint';
import { contactSchema, customerRefId, nonBlankText, refId } from './common';
import { complaintTemplates } from './complaint.templates';
import { complaintsReportDecl } from './complaint.report';
import { defineProcess } from './types';
import { personalReadsOf } from './deps';
import { sealerFor } from '../lib/sealedFields';

/** The channels of POST /v1/cases (8.1); `linked_case` is the opening by another case (a return's hand-over). */
const openingChannels = ['online', 'phone', 'social_media', 'linked_case', 'email'] as const;

/**
 * The merchant of a complaint that came by e-mail: unknown at intake (no order registry to look an order id up in),
 * so this placeholder (reserved: no merchant principal is created with it); the agent's information review asks for it (missing `merchant`).
 */
export { UNASSIGNED_MERCHANT };

/**
 * One body for every way in: a complaint by the storefront or an agent (channel, category, description), or the
 * hand-over of a rejected return (returnCaseId, lineItemId, reasonCode: ids and codes only, channel linked_case).
 */
export const openComplaintBody = z
  .object({
    channel: z.enum(openingChannels).optional().describe('online (storefront), phone or social_media (agent), email (the e-mail intake, or an agent); linked_case or absent for a hand-over from a return'),
    customerId: customerRefId.describe('The complainant: the storefront’s opaque reference'),
    merchantId: refId,
    orderId: refId.optional(),
    lineItemId: refId.optional(),
    category: z.enum(complaintCategories).optional().describe('Required unless handed over by a return (then return_refused)'),
    /** The complainant's words: PostgreSQL only, never in the workflow. */
    description: nonBlankText(4000).optional(),
    customerContact: contactSchema.optional(),
    /** A rejected return's hand-over (workflows/returnWithin7Days.ts). */
    returnCaseId: z.string().regex(/^[A-Za-z0-9-]{1,80}$/).optional(),
    reasonCode: z.string().regex(/^[a-z_]{1,40}$/).optional(),
  })
  .strict();
type OpenComplaintBody = z.infer<typeof openComplaintBody>;

const linked = (b: OpenComplaintBody) => b.returnCaseId !== undefined;

/** Which body goes with which way in: each issue is a 400. */
export function checkComplaintBody(b: OpenComplaintBody): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (linked(b)) {
    if (b.channel && b.channel !== 'linked_case') issues.push({ path: 'channel', message: 'a hand-over from a return has channel linked_case' });
    if (!b.reasonCode) issues.push({ path: 'reasonCode', message: "a hand-over names the return's reason code" });
    if (b.description !== undefined) issues.push({ path: 'description', message: 'a hand-over carries no free text' });
    return issues;
  }
  if (!b.channel || b.channel === 'linked_case') issues.push({ path: 'channel', message: 'one of: online, phone, social_media, email' });
  if (!b.category) issues.push({ path: 'category', message: 'required' });
  if (b.description === undefined) issues.push({ path: 'description', message: 'required' });
  if (b.reasonCode !== undefined) issues.push({ path: 'reasonCode', message: 'only with returnCaseId' });
  return issues;
}

/** Who opens by which channel (8.1): the storefront online, an agent by phone or social media, a case by linked_case. */
const channelRoles: Record<(typeof openingChannels)[number], readonly string[]> = {
  online: ['storefront'],
  phone: ['agent', 'supervisor'],
  social_media: ['agent', 'supervisor'],
  linked_case: ['agent'],
  // The mail intake's opener (processes/mailIntake.ts MAIL_INTAKE_OPENER), or an agent typing in a complaint e-mailed to them.
  email: ['agent', 'supervisor'],
};

export const complaintSchema = z
  .object({
    channel: z.string(),
    category: z.string(),
    orderId: z.string().nullable(),
    description: z.string().nullable().optional().describe("The complainant's words: the storefront and the staff roles that need them (masked for other staff; null once the complainant's data key was destroyed); never the merchant"),
    openedAt: z.string().describe('ISO 8601 instant'),
  })
  .strict()
  .meta({ id: 'Complaint' });

export const complaintProcess = defineProcess({
  caseType: COMPLAINT_CASE_TYPE,
  idPrefix: 'CMP',
  title: 'Complaint',
  policyRefs: '3.3, 7.4, 8.1, 8.2, 8.3, 8.4',
  workflow: complaint,
  workflowModule: require.resolve('../workflows/complaint'),
  policy: { key: 'complaint', schema: complaintPolicySchema, defaults: defaultComplaintPolicy, version: '2026-12-04.2' },
  tasks: complaintTasks,
  actions: complaintActions,
  templates: complaintTemplates,
  history: COMPLAINT_HISTORY,
  // 8.4: the platform's mediation body. A mediator claims a complaint's mediation task from the inbox, records the
  // sessions, drafts the agreement (an attachment) and talks with the parties in the thread.
  roles: [
    {
      role: 'mediator',
      description: "A mediator of the platform's mediation body (policy 8.4): claims and concludes complaints' mediation tasks",
      scopeKinds: [],
      platformActions: ['cases.timeline', 'tasks.list', 'tasks.read', 'tasks.claim', 'tasks.complete', 'tasks.note', 'attachments.upload', 'attachments.read', 'threads.post', 'threads.read'],
      // What the parties wrote, to mediate between them (policy 8.4); their contact data stays masked.
      readsInClear: ['free_text'],
    },
  ],
  describe: (caseId) => `Complaint ${caseId}`,

  open: {
    roles: ['storefront', 'agent', 'supervisor'],
    summary: 'Open a complaint (policy 8.1, 8.2): the storefront online, an agent by phone or social media; the description stays in PostgreSQL',
    body: openComplaintBody,
    check: checkComplaintBody,
    prepare: ({ deps, caseId, principal, policy, section, requestedAt }, body: OpenComplaintBody) => {
      const channel = linked(body) ? 'linked_case' : body.channel!;
      if (!channelRoles[channel].includes(principal.role)) {
        throw policyRefused('CHANNEL_NOT_FOR_ROLE', `A ${principal.role} does not open complaints by channel ${channel}`, [{ path: 'channel', message: `for ${channelRoles[channel].join(', ')}` }]);
      }
      const input: ComplaintCaseInput = {
        caseId,
        openedBy: principal.id,
        policy: { version: policy.version, calendar: policy.calendar, complaint: section },
        complainantId: body.customerId,
        merchantId: body.merchantId,
        orderId: body.orderId ?? null,
        // A hand-over names its category when it is not a refused return's (a breach's compensation claim: privacy).
        category: linked(body) ? (body.category ?? 'return_refused') : body.category!,
        channel,
        linkedFrom: linked(body) ? { returnCaseId: body.returnCaseId!, reasonCode: body.reasonCode! } : null,
      };
      return {
        input,
        row: {
          customerId: body.customerId,
          merchantId: body.merchantId,
          summary: { channel, category: input.category, orderId: input.orderId, ...(input.linkedFrom && { returnCaseId: input.linkedFrom.returnCaseId, reasonCode: input.linkedFrom.reasonCode }) },
          facets: complaintFacets({ category: input.category, channel }),
        },
        contact: body.customerContact && { customerId: body.customerId, ...body.customerContact },
        // The description stays here, in PostgreSQL, sealed with the complainant's data key (lib/sealedFields.ts,
        // policy 1.3); the workflow never sees it.
        writes: async (tx, { subjectId }) => {
          const description = body.description === undefined ? null : await sealerFor(deps.db, deps.ports.keys).seal(subjectId, body.description, tx);
          await tx.complaintRecord.create({ data: { caseId, channel, category: input.category, orderId: input.orderId, description, createdAt: requestedAt } });
        },
      };
    },
  },

  presentSchema: z.object({ complaint: complaintSchema.nullable() }),
  present: async (deps, c, principal, access) => {
    const row = await deps.db.complaintRecord.findUnique({ where: { caseId: c.id } });
    if (!row) return { complaint: null };
    const shown = { channel: row.channel, category: row.category, orderId: row.orderId, openedAt: row.createdAt.toISOString() };
    // The complainant's words: the storefront and the staff roles that need them (policy 2.2.2: masked for the
    // others, each read by staff recorded); never a merchant.
    if (principal.role === 'merchant' || !canSeeMerchantScoped(principal, c.merchantId)) return { complaint: shown };
    const [description] = await personalReadsOf(deps).reveal({ principal, ...access, caseId: c.id, subjectId: c.subjectId }, [
      { table: 'complaints', column: 'description', category: 'free_text', value: row.description },
    ]);
    return { complaint: { ...shown, description } };
  },

  // 8.1 e-mail: complaints@<INBOUND_MAIL_DOMAIN>, opened once the sender confirms (README "E-mail intake").
  mailIntake: {
    localPart: 'complaints',
    noun: { 'zh-CN': '投诉', en: 'complaint' },
    template: 'complaint.email_confirmation',
    open: (m) => ({ channel: 'email', customerId: m.customerId, merchantId: UNASSIGNED_MERCHANT, category: 'other', description: m.description, ...(m.newCustomer && { customerContact: { email: m.email } }) }),
  },
  // 7.4 / 8.2 tracking and improvement: GET /v1/reports/complaints (processes/complaint.report.ts).
  reports: [complaintsReportDecl],

  activities: (deps) => ({ ...createComplaintActivities(deps) }),
});
