// Quarantined inbound e-mail (processes/inboundMail.ts): replies to notices that could not be trusted (no valid reply
// token, a sender who is not the party's contact, a refused attachment) wait here for an agent, who releases one into
// a case's thread as a party, or discards it. The mail's words are shown to staff only; its HTML never is (a blob).
import { Router } from 'express';
import { z } from 'zod';
import { discardQuarantined, QuarantineError, releaseQuarantined, type InboundFile } from '../../processes/inboundMail';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, conflict, notFound, policyRefused, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { DEFAULT_ATTACHMENT_LIMITS } from '../../lib/attachmentRules';
import { personalReadsOf } from '../deps';
import { accessPurposeHeader, purposeOf } from './personalData';

const parties = ['customer', 'merchant', 'staff'] as const;
const statuses = ['quarantined', 'released', 'discarded'] as const;

const fileSchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('Kept as a blob (absent: refused, not kept)'),
    sizeBytes: z.number().int().min(0),
    contentType: z.string(),
    filename: z.string().nullable(),
    refused: z.string().optional().describe('Why the uploads would refuse this file'),
  })
  .strict();
const quarantinedSchema = z
  .object({
    quarantineId: z.string().regex(/^qm_[0-9a-f]{32}$/),
    receivedAt: z.iso.datetime(),
    mailFrom: z.string().describe('The SMTP envelope sender'),
    fromAddress: z.string().nullable().describe('The From header address'),
    rcptTo: z.array(z.string()),
    subject: z.string().nullable(),
    reason: z.enum(['no_token', 'bad_token', 'unknown_case', 'case_closed', 'no_contact', 'sender_mismatch', 'attachment_refused']),
    caseId: z.string().nullable().describe('The case the reply token named (when valid), or the case it was released into'),
    party: z.enum(parties).nullable(),
    textBody: z.string().describe('The text part; the HTML part is kept as a file, never shown'),
    hasHtml: z.boolean(),
    attachments: z.array(fileSchema),
    status: z.enum(statuses),
    decidedBy: z.string().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    threadMessageId: z.string().nullable(),
  })
  .strict();
const listSchema = z.object({ mails: z.array(quarantinedSchema) }).strict();
const listQuery = z
  .object({
    status: z.enum(statuses).default('quarantined'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
const releaseSchema = z.object({ caseId: z.string().min(1).max(200), party: z.enum(parties) }).strict();
const discardSchema = z.object({ note: z.string().max(500).optional() }).strict();
const discardedSchema = z.object({ quarantineId: z.string(), status: z.literal('discarded') }).strict();
const releasedSchema = z.object({ quarantineId: z.string(), caseId: z.string(), party: z.enum(parties), messageId: z.string() }).strict();

export const inboundMailRoutes = {
  list: defineRoute({ id: 'listQuarantinedMail', method: 'get', path: '/v1/inbound-mail/quarantine', action: 'inboundMail.review', summary: 'Inbound e-mail held for an agent (newest first): no valid reply token, a sender who is not the party, or a refused attachment; each read of a sender\'s address and words recorded (policy 2.2.2)', tag: 'inbound-mail', query: listQuery, headers: accessPurposeHeader, success: { status: 200, description: 'The mails', schema: listSchema }, errors: [400] }),
  release: defineRoute({
    id: 'releaseQuarantinedMail',
    method: 'post',
    path: '/v1/inbound-mail/quarantine/:quarantineId/release',
    action: 'inboundMail.review',
    summary: "Release a quarantined mail into a case's thread as a party (its text, kept attachments, HTML as a file); the case's workflow hears of it",
    tag: 'inbound-mail',
    body: releaseSchema,
    success: { status: 200, description: 'The thread message it became', schema: releasedSchema },
    errors: [400, 404, 409, 422],
  }),
  discard: defineRoute({ id: 'discardQuarantinedMail', method: 'post', path: '/v1/inbound-mail/quarantine/:quarantineId/discard', action: 'inboundMail.review', summary: 'Discard a quarantined mail', tag: 'inbound-mail', body: discardSchema, success: { status: 200, description: 'The mail, discarded', schema: discardedSchema }, errors: [400, 404, 409] }),
};

type Row = Awaited<ReturnType<ApiDeps['db']['inboundMailQuarantine']['findMany']>>[number];
const present = (r: Row) => ({
  quarantineId: r.id,
  receivedAt: r.receivedAt.toISOString(),
  mailFrom: r.mailFrom,
  fromAddress: r.fromAddress,
  rcptTo: r.rcptTo,
  subject: r.subject,
  reason: r.reason as z.infer<typeof quarantinedSchema>['reason'],
  caseId: r.caseId,
  party: r.party as (typeof parties)[number] | null,
  textBody: r.textBody,
  hasHtml: r.htmlSha256 !== null,
  // Where the bytes are kept (a sealed blob's key) is not the reviewer's business: the file as the uploads see it.
  attachments: (r.attachments as unknown as InboundFile[]).map(({ sha256, sizeBytes, contentType, filename, refused }) => ({ ...(sha256 ? { sha256 } : {}), sizeBytes, contentType, filename, ...(refused ? { refused } : {}) })),
  status: r.status as (typeof statuses)[number],
  decidedBy: r.decidedBy,
  decidedAt: r.decidedAt?.toISOString() ?? null,
  threadMessageId: r.threadMessageId,
});

function asApiError(err: unknown): unknown {
  if (!(err instanceof QuarantineError)) return err;
  switch (err.kind) {
    case 'not_found':
    case 'case_not_found':
      return new ApiError(404, 'NOT_FOUND', err.message);
    case 'decided':
      return conflict('ALREADY_DECIDED', err.message);
    case 'case_closed':
      return conflict('CASE_CLOSED', err.message);
    case 'attachment_refused':
      return policyRefused('CASE_ATTACHMENT_LIMIT', err.message);
  }
}

export function inboundMailRouter(deps: ApiDeps): Router {
  const r = Router();
  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const p = schema.safeParse(value ?? {});
    if (!p.success) throw badRequest('VALIDATION_FAILED', `The ${what} is not valid`, zodIssues(p.error));
    return p.data;
  }
  const quarantineId = (raw: string) => {
    if (!/^qm_[0-9a-f]{32}$/.test(raw)) throw notFound('QuarantinedMail', raw);
    return raw;
  };

  mount(r, inboundMailRoutes.list, async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const rows = await deps.db.inboundMailQuarantine.findMany({ where: { status: q.status }, orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }], take: q.limit });
    // The senders' addresses and words go through the access gate (policy 2.2.2): each mail's read recorded against its
    // subject and case, with the reviewer's purpose.
    const reads = personalReadsOf(deps);
    const purpose = purposeOf(req, 'case_handling');
    const mails = [];
    for (const m of rows) {
      const files = m.attachments as unknown as InboundFile[];
      const [mailFrom, fromAddress, subject, textBody, ...names] = await reads.reveal({ principal: req.principal!, route: inboundMailRoutes.list.id, purpose, caseId: m.caseId, subjectId: m.subjectId }, [
        { table: 'inbound_mail_quarantine', column: 'mail_from', category: 'contact', value: m.mailFrom },
        { table: 'inbound_mail_quarantine', column: 'from_address', category: 'contact', value: m.fromAddress },
        { table: 'inbound_mail_quarantine', column: 'subject', category: 'free_text', value: m.subject },
        { table: 'inbound_mail_quarantine', column: 'text_body', category: 'free_text', value: m.textBody },
        ...files.map((f) => ({ table: 'inbound_mail_quarantine', column: 'attachments', category: 'free_text' as const, value: f.filename })),
      ]);
      const attachments = files.map((f, i) => ({ ...f, filename: names[i] ?? null }));
      mails.push(present({ ...m, mailFrom: mailFrom ?? '', fromAddress, subject, textBody: textBody ?? '', attachments: attachments as unknown as Row['attachments'] }));
    }
    res.json({ mails });
  });

  mount(r, inboundMailRoutes.release, async (req, res) => {
    const body = parse(releaseSchema, req.body, 'release');
    const id = quarantineId(req.params.quarantineId as string);
    try {
      const { messageId } = await releaseQuarantined(
        { db: deps.db, blobs: deps.ports.blobs, keys: deps.ports.keys, clients: deps.temporal.clients, logger: req.log, limits: deps.attachmentLimits ?? DEFAULT_ATTACHMENT_LIMITS },
        { quarantineId: id, caseId: body.caseId, party: body.party, agentId: req.principal!.id },
      );
      res.json({ quarantineId: id, caseId: body.caseId, party: body.party, messageId });
    } catch (err) {
      throw asApiError(err);
    }
  });

  mount(r, inboundMailRoutes.discard, async (req, res) => {
    parse(discardSchema, req.body, 'discard');
    const id = quarantineId(req.params.quarantineId as string);
    try {
      await discardQuarantined(deps.db, { quarantineId: id, agentId: req.principal!.id });
    } catch (err) {
      throw asApiError(err);
    }
    req.log.info({ quarantineId: id }, 'quarantined mail discarded');
    res.json({ quarantineId: id, status: 'discarded' as const });
  });

  return r;
}
