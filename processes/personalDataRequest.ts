// Personal-data requests (policy 2.3-2.4; PIPL arts. 44-47 and 50): access, a copy, a correction, a deletion or the
// account's cancellation. The storefront opens one on the person's behalf, or an agent or supervisor on their request;
// the body carries the subject's reference, the type and, for a correction, the field codes with their new values,
// which go to PostgreSQL only (personal_data_corrections) and never to the workflow. The workflow is
// workflows/personalDataRequest.ts; its rules, tasks and actions policy/personalDataRequest.ts; its effects
// activities/personalDataRequest.ts.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { createPersonalDataRequestActivities } from '../activities/personalDataRequest';
import { registrationSecret } from '../activities/registration';
import { actingParty } from '../lib/authz';
import { badRequest, conflict, fromUpdateFailure, notFound, zodIssues } from '../lib/errors';
import { hashMobileCode } from '../lib/verificationCodes';
import {
  PDR_CASE_TYPE,
  correctableFields,
  defaultPersonalDataRequestPolicy,
  personalDataRequestActions,
  personalDataRequestTasks,
  requestChallengeId,
  requestTypes,
  type PersonalDataRequestPolicy,
} from '../policy/personalDataRequest';
import { personalDataRequestPolicySchema } from '../policy/personalDataRequest.policySchema';
import { emailSchema } from '../policy/schemas';
import { personalDataRequest, verifyIdentityUpdate, type PersonalDataRequestInput } from '../workflows/personalDataRequest';
import { nonBlankText, refId } from './common';
import type { ApiDeps } from './deps';
import { personalDataRequestTemplates } from './personalDataRequest.templates';
import { defineProcess, type ProcessRoute } from './types';

/** A correction: a field code and its new value (the value stays in PostgreSQL). */
const correctionSchema = z.discriminatedUnion('field', [
  z.object({ field: z.literal('contact_name'), value: nonBlankText(100) }).strict(),
  z.object({ field: z.literal('contact_email'), value: emailSchema }).strict(),
  z.object({ field: z.literal('account_name'), value: nonBlankText(100) }).strict(),
  z.object({ field: z.literal('account_email'), value: emailSchema }).strict(),
]);

export const openPersonalDataRequestBody = z
  .object({
    customerId: refId.describe("The person: the storefront's customer reference, or the account's user ref (usr_…)"),
    requestType: z.enum(requestTypes).describe('access, copy (PIPL art. 45), correction (art. 46), deletion (art. 47), cancellation (the account ends; art. 47)'),
    corrections: z.array(correctionSchema).min(1).max(correctableFields.length).optional().describe('A correction only: each field once, with its new value'),
  })
  .strict();
type OpenBody = z.infer<typeof openPersonalDataRequestBody>;

export function checkPersonalDataRequestBody(b: OpenBody): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (b.requestType === 'correction' && !b.corrections) issues.push({ path: 'corrections', message: 'a correction names its fields and new values' });
  if (b.requestType !== 'correction' && b.corrections) issues.push({ path: 'corrections', message: 'only with requestType correction' });
  const fields = (b.corrections ?? []).map((c) => c.field);
  if (new Set(fields).size !== fields.length) issues.push({ path: 'corrections', message: 'each field once' });
  return issues;
}

export const personalDataRequestSchema = z
  .object({
    requestType: z.enum(requestTypes),
    channel: z.enum(['sms', 'email']).nullable().describe('Where the identity code went'),
    verified: z.boolean(),
    attemptsLeft: z.number().int(),
    fields: z.array(z.string()).describe('A correction: the field codes (never the values)'),
    answer: z.record(z.string(), z.unknown()).nullable().describe('What was done and what is kept, why and until when: tables, rules, counts, dates'),
    answeredAt: z.string().nullable(),
  })
  .strict()
  .meta({ id: 'PersonalDataRequest' });

const verificationBody = z.object({ code: z.string().regex(/^\d{6}$/, 'the 6-digit code') }).strict();

/** POST /v1/personal-data-requests/{caseId}/verification: the code, turned into its HMAC here; the case checks it. */
async function verify(deps: ApiDeps, req: Request, res: Response): Promise<void> {
  const parsed = verificationBody.safeParse(req.body);
  if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'Invalid body', zodIssues(parsed.error));
  const caseId = String(req.params.caseId);
  const row = await deps.db.personalDataRequest.findUnique({ where: { caseId } });
  if (!row) throw notFound('Personal-data request', caseId);
  if (!row.codeSeq) throw conflict('NO_CODE_SENT', 'No code has been sent yet');
  const codeMac = hashMobileCode(registrationSecret(deps.secrets), requestChallengeId(caseId, row.codeSeq), parsed.data.code);
  try {
    await deps.temporal.clients.forIdentity(req.principal!.id).workflow.getHandle(caseId).executeUpdate(verifyIdentityUpdate, { args: [{ actor: actingParty(req.principal!), codeMac }] });
  } catch (err) {
    throw fromUpdateFailure(err) ?? err;
  }
  res.json(await present(deps, caseId));
}

async function present(deps: ApiDeps, caseId: string): Promise<z.infer<typeof personalDataRequestSchema>> {
  const r = await deps.db.personalDataRequest.findUniqueOrThrow({ where: { caseId }, include: { corrections: { select: { field: true }, orderBy: { field: 'asc' } } } });
  return {
    requestType: r.type as (typeof requestTypes)[number],
    channel: (r.channel as 'sms' | 'email' | null) ?? null,
    verified: r.verifiedAt !== null,
    attemptsLeft: Math.max(0, r.codeMaxAttempts - r.codeAttempts),
    fields: r.corrections.map((c) => c.field),
    answer: (r.answer as Record<string, unknown> | null) ?? null,
    answeredAt: r.answeredAt?.toISOString() ?? null,
  };
}

const routes: ProcessRoute[] = [
  {
    id: 'verifyPersonalDataRequest',
    tag: PDR_CASE_TYPE,
    method: 'post',
    path: '/v1/personal-data-requests/:caseId/verification',
    roles: ['storefront', 'agent', 'supervisor'],
    body: verificationBody,
    summary: 'The identity check of a personal-data request (PIPL art. 50): the 6-digit code sent to the registered mobile or e-mail; only its HMAC reaches the case; attempts are capped',
    success: { status: 200, description: 'The request after the check (verified, attempts left)', schema: personalDataRequestSchema },
    errors: [400, 403, 404, 409],
    handler: verify,
  },
];

export const personalDataRequestProcess = defineProcess({
  caseType: PDR_CASE_TYPE,
  idPrefix: 'PDR',
  title: 'Personal-data request',
  policyRefs: '2.3.2, 2.4.1, 2.4.2',
  workflow: personalDataRequest,
  workflowModule: require.resolve('../workflows/personalDataRequest'),
  policy: { key: 'personalDataRequest', schema: personalDataRequestPolicySchema, defaults: defaultPersonalDataRequestPolicy, version: '2026-12-05.1' },
  tasks: personalDataRequestTasks,
  actions: personalDataRequestActions,
  templates: personalDataRequestTemplates,
  describe: (caseId) => `Personal-data request ${caseId}`,

  open: {
    roles: ['storefront', 'agent', 'supervisor'],
    summary: 'Open a personal-data request (policy 2.3-2.4; PIPL arts. 45-47): access, copy, correction, deletion or account cancellation; a correction\'s new values stay in PostgreSQL',
    body: openPersonalDataRequestBody,
    check: checkPersonalDataRequestBody,
    prepare: ({ caseId, principal, policy, section }, body: OpenBody) => {
      const rules = section as PersonalDataRequestPolicy;
      const fields = (body.corrections ?? []).map((c) => c.field);
      const input: PersonalDataRequestInput = {
        caseId,
        openedBy: principal.id,
        policy: { version: policy.version, calendar: policy.calendar, personalDataRequest: rules },
        customerId: body.customerId,
        requestType: body.requestType,
        fields,
      };
      return {
        input,
        row: { customerId: body.customerId, merchantId: null, summary: { requestType: body.requestType, fields }, facets: [body.requestType] },
        writes: async (tx, { subjectId }) => {
          await tx.personalDataRequest.create({ data: { caseId, subjectId, type: body.requestType, codeMaxAttempts: rules.code.maxAttempts } });
          if (body.corrections) await tx.personalDataCorrection.createMany({ data: body.corrections.map((c) => ({ caseId, field: c.field, newValue: c.value })) });
        },
      };
    },
  },

  presentSchema: z.object({ personalDataRequest: personalDataRequestSchema.nullable() }),
  present: async (deps, c) => ({ personalDataRequest: (await deps.db.personalDataRequest.findUnique({ where: { caseId: c.id } })) ? await present(deps, c.id) : null }),
  routes,

  activities: (deps) => ({ ...createPersonalDataRequestActivities(deps) }),
});
