// The zod schemas of the API's success bodies: the API description (api/openapi.ts) documents every 2xx answer with
// them, and the API tests check real answers against the document built from them (test/helpers/responses.ts).
// Process-specific parts come from the catalogue (ProcessModule.presentSchema, ProcessRoute.success.schema).
import { z } from 'zod';

/** A role: a platform role or one a process declares (README "Roles and party scopes"). */
const roleName = z.string().describe("A role: storefront, merchant, agent, supervisor, auditor, admin, or one a process declares");
/** A principal's party scopes. */
const scopesSchema = z.array(z.object({ kind: z.string(), value: z.string() }).strict()).describe('Party scopes: the principal sees only the cases one of them matches; none: every case its role reaches');

const isoInstant = z.string().describe('An instant, ISO 8601 in UTC (e.g. 2026-12-03T08:00:00.000Z)');
const nullableInstant = isoInstant.nullable();

/** The running deadlines of a case: name → instant (null: the clock stopped). */
export const deadlinesSchema = z.record(z.string(), isoInstant.nullable()).describe('Each running deadline by name: the instant it falls due');

/** A task as the inbox shows it (api/routes/present.ts presentTask). */
export const taskSchema = z
  .object({
    taskId: z.string(),
    caseId: z.string(),
    caseType: z.string(),
    type: z.string().describe('The task type; its completion payload is the matching branch of the completion body'),
    role: roleName,
    merchantId: z.string().nullable(),
    assigneeId: z.string().nullable(),
    status: z.enum(['open', 'completed', 'expired', 'cancelled']),
    sla: z.string().nullable(),
    dueAt: isoInstant,
    timeLeftMs: z.number().nullable().describe('Milliseconds until dueAt while open (negative once overdue); null otherwise'),
    overdue: z.boolean(),
    escalated: z.boolean(),
    escalatedAt: nullableInstant,
    createdAt: isoInstant,
    completedAt: nullableInstant,
    completedBy: z.string().nullable(),
    resolution: z.string().nullable().describe('completed, auto:<decision> or cancelled'),
    result: z.unknown().describe('What the completion decided (the payload as the workflow recorded it), or null'),
  })
  .strict()
  .meta({ id: 'Task' });

export const taskNoteSchema = z.object({ noteId: z.string(), taskId: z.string(), authorId: z.string(), body: z.string() }).strict();
export const taskWithNotesSchema = taskSchema
  .extend({ notes: z.array(z.object({ noteId: z.string(), authorId: z.string(), body: z.string(), createdAt: isoInstant }).strict()) })
  .strict();
export const taskListSchema = z.object({ tasks: z.array(taskSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last') }).strict();

const caseLinks = z.object({ self: z.string(), timeline: z.string(), temporalUi: z.string().nullable() }).strict();

/** The case resource without the fields its process adds (api/routes/present.ts presentCase). */
export const caseBaseSchema = z.object({
  caseId: z.string(),
  type: z.string().describe('The case type (the process)'),
  status: z.enum(['open', 'closed']),
  step: z.string(),
  outcome: z.string().nullable(),
  customerId: z.string(),
  merchantId: z.string().nullable(),
  policyVersion: z.string(),
  summary: z.record(z.string(), z.unknown()).describe("The process's summary of the case (ids, enums, amounts)"),
  deadlines: deadlinesSchema,
  openTasks: z.array(taskSchema),
  tasks: z.array(taskSchema),
  createdAt: isoInstant,
  updatedAt: isoInstant,
  closedAt: nullableInstant,
  links: caseLinks,
});

/** The case resource: the shared fields and, optional, the fields each process of the catalogue adds. */
export function caseSchema(extras: ReadonlyArray<z.ZodObject<any> | undefined>) {
  const shape: Record<string, z.ZodType> = {};
  for (const e of extras) for (const [k, v] of Object.entries(e?.shape ?? {})) shape[k] = (v as z.ZodType).optional();
  return caseBaseSchema.extend(shape).strict().meta({ id: 'Case' });
}

export const caseListSchema = z
  .object({
    cases: z.array(
      z
        .object({
          caseId: z.string(),
          type: z.string(),
          status: z.enum(['open', 'closed']),
          step: z.string(),
          outcome: z.string().nullable(),
          customerId: z.string(),
          merchantId: z.string().nullable(),
          deadlines: deadlinesSchema,
          createdAt: isoInstant,
          closedAt: nullableInstant,
          links: z.object({ self: z.string() }).strict(),
        })
        .strict(),
    ),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last'),
  })
  .strict();

export const timelineSchema = z
  .object({
    caseId: z.string(),
    events: z.array(
      z.object({ seq: z.number().int(), at: isoInstant, type: z.string(), actor: z.string(), payload: z.unknown(), hash: z.string(), prevHash: z.string().nullable() }).strict(),
    ),
  })
  .strict();

const caseLinkType = z.enum(['handed_over_to', 'related', 'escalated_from']);

/** A case's links to other cases (GET /v1/cases/{caseId}/links), each read from this case. */
export const caseLinksSchema = z
  .object({
    caseId: z.string(),
    links: z.array(
      z
        .object({
          linkId: z.string(),
          type: caseLinkType.describe("How this case stands to the other: a return 'handed_over_to' the complaint it opened; the complaint 'escalated_from' the return; 'related'"),
          storedType: caseLinkType.describe('The link as recorded, read from the case that made it (its from-case)'),
          direction: z.enum(['outgoing', 'incoming']).describe('outgoing: this case made the link; incoming: the other case did'),
          caseId: z.string().describe('The other case'),
          caseType: z.string(),
          eventKey: z.string().describe("The audit event of the case that made the link (case.linked on both timelines)"),
          createdBy: z.string(),
          createdAt: isoInstant,
          href: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

export const auditVerificationSchema = z
  .object({
    caseId: z.string(),
    events: z.number().int().describe('How many events were checked'),
    valid: z.boolean(),
    firstBrokenSeq: z.number().int().optional(),
    problem: z.string().optional(),
  })
  .strict();

export const attachmentSchema = z
  .object({
    attachmentId: z.string().regex(/^att_[0-9a-f]{32}$/).describe('att_ and 32 hex digits: what evidence fields (evidenceIds, receiptIds) reference'),
    caseId: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    sizeBytes: z.number().int().min(1),
    contentType: z.string().describe('The type the bytes show, not the one the upload claimed'),
    filename: z.string().nullable().describe("The name the uploader gave: masked for staff roles that do not read free text; null when none was given or once the case customer's data key was destroyed (erasure)"),
    uploadedBy: z.string().describe('Principal id'),
    uploaderRole: z.string(),
    createdAt: z.iso.datetime(),
  })
  .strict();
export const attachmentListSchema = z.object({ caseId: z.string(), attachments: z.array(attachmentSchema) }).strict();

export const signingKeySchema = z
  .object({
    keyId: z.string().describe('ed25519:<first 16 hex digits of the SHA-256 of the raw public key>'),
    algorithm: z.literal('Ed25519'),
    publicKeyPem: z.string().describe('SPKI PEM'),
  })
  .strict();

export const processCatalogueSchema = z
  .object({
    processes: z.array(
      z
        .object({
          type: z.string(),
          title: z.string(),
          policy: z.object({ sections: z.string(), key: z.string(), version: z.string() }).strict(),
          workflowType: z.string(),
          openedBy: z.array(roleName),
          taskTypes: z.array(z.object({ type: z.string(), role: roleName }).strict()),
          actions: z.array(z.object({ name: z.string(), roles: z.array(roleName), summary: z.string(), path: z.string() }).strict()),
          roles: z
            .array(z.object({ role: z.string(), description: z.string(), scopeKinds: z.array(z.string()), scopeRequired: z.boolean() }).strict())
            .describe('The roles the process adds to the platform\'s, with the scope kinds each takes'),
          scopeKinds: z
            .array(z.object({ kind: z.string(), description: z.string(), from: z.string().describe('column:<case field> or partyRef:<reference kind>') }).strict())
            .describe('The party scope kinds the process adds, and how each is read from a case'),
        })
        .strict(),
    ),
  })
  .strict();

export const createdPrincipalSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: roleName,
    merchantId: z.string().nullable(),
    scopes: scopesSchema,
    apiKey: z.string().describe('The bearer key: shown only here, never again'),
    keyId: z.string().describe('The key’s id: what rotation and revocation name'),
    keyExpiresAt: nullableInstant.describe('When the key stops working; null: until revoked or rotated'),
  })
  .strict();
export const apiKeySchema = z
  .object({ id: z.string(), keyPrefix: z.string(), createdAt: isoInstant, expiresAt: nullableInstant, revokedAt: nullableInstant, lastUsedAt: nullableInstant.describe('The last request it authenticated, to the minute') })
  .strict();
export const principalListSchema = z
  .object({
    principals: z.array(
      z.object({ id: z.string(), name: z.string(), role: roleName, merchantId: z.string().nullable(), scopes: scopesSchema, keys: z.array(apiKeySchema), createdAt: isoInstant, revokedAt: nullableInstant }).strict(),
    ),
  })
  .strict();
export const revokedPrincipalSchema = z.object({ id: z.string(), revokedAt: isoInstant }).strict();
export const rotatedKeySchema = z
  .object({
    principalId: z.string(),
    apiKey: z.string().describe('The new bearer key: shown only here, never again'),
    keyId: z.string(),
    keyExpiresAt: nullableInstant,
    previousKeys: z.array(z.string()).describe('The keys still in force before the rotation'),
    previousKeysEndAt: isoInstant.describe('When those stop working: the end of the overlap'),
  })
  .strict();
export const principalEventsSchema = z
  .object({
    principalId: z.string(),
    events: z.array(z.object({ at: isoInstant, type: z.enum(['principal.created', 'key.created', 'key.revoked', 'principal.revoked']), keyId: z.string().nullable(), actor: z.string(), detail: z.record(z.string(), z.unknown()) }).strict()),
  })
  .strict();

export const merchantContactSchema = z
  .object({ merchantId: z.string(), email: z.string().nullable(), displayName: z.string().nullable(), locale: z.string(), updatedAt: isoInstant })
  .strict();

export const healthSchema = z.object({ status: z.literal('ok') }).strict();
export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'degraded', 'not ready']),
    checks: z.record(z.string(), z.string()).describe('Each dependency (database, temporal, calendar): "ok" or what is wrong'),
  })
  .strict();

/** One issue of a refused request: error.details of VALIDATION_FAILED, INVALID_PAYLOAD, INVALID_CHARACTERS. */
export const issueSchema = z
  .object({
    path: z.string().describe('The dotted path of the field (in a body), or the name of the parameter or header'),
    message: z.string(),
    code: z.string().optional().describe('zod issue code (invalid_type, too_big, invalid_format, custom, ...) or invalid_characters'),
    in: z.enum(['path', 'query', 'header', 'body']).optional().describe('Where the value came from (INVALID_CHARACTERS)'),
  })
  .strict();
