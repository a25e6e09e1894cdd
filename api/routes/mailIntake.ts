// The confirmation link of the e-mail intake (processes/mailIntake.ts), mounted for every process that declares one
// (ProcessModule.mailIntake): public, the signed token in the path is the authorisation. GET shows a page with a
// confirmation button and opens nothing (mail clients and scanners fetch links); POST confirms and opens the case
// (once: a second POST answers the same case). A form post is answered 303 to the page, which then names the case;
// a program's POST (no form) is answered JSON. Outside /v1: a page for the sender's browser, as /docs, with no API key.
import { Router, type Request } from 'express';
import { z } from 'zod';
import { DEFAULT_ATTACHMENT_LIMITS } from '../../lib/attachmentRules';
import { processes } from '../../processes';
import { confirmMailIntake, intakePath, MailIntakeError, viewMailIntake, type MailIntakeSettings, type MailIntakeView } from '../../processes/mailIntake';
import type { AnyProcess } from '../../processes/types';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { defineRoute, mount } from '../routeSpec';

const confirmedSchema = z
  .object({
    intakeId: z.string().regex(/^mi_[0-9a-f]{32}$/),
    caseType: z.string(),
    status: z.literal('confirmed'),
    caseId: z.string().describe('The case the confirmation opened (the same on every confirmation)'),
    expiresAt: z.iso.datetime().describe('Until when the link answers (the intake is purged after it)'),
    files: z.number().int().min(0).describe("The e-mail's files, attached to the case"),
    refused: z.number().int().min(0).describe('Files refused at intake (type or size), not kept'),
  })
  .strict();

const access = 'No API key: the signed token of the confirmation link sent to the sender (HMAC, valid MAIL_INTAKE_CONFIRM_HOURS) is the authorisation. Public: no authentication beyond it.';
const tagDescription =
  "Complaints and other cases by e-mail (policy 8.1): a mail to a process's intake address is kept and a confirmation link goes back to its From address; GET on the link shows a page (nothing opens), POST confirms and opens the case once. 404 for a link we did not sign or one purged, 410 LINK_EXPIRED past its expiry";

/** The intake routes, per process of the catalogue that declares an intake. */
export const mailIntakeRoutes = processes
  .filter((p: AnyProcess) => p.mailIntake)
  .map((p: AnyProcess) => ({
    process: p,
    page: defineRoute({
      id: `mailIntakePage_${p.caseType}`,
      method: 'get',
      path: `/mail-intake/${p.caseType}/:token`,
      action: null,
      access,
      summary: `The confirmation page of an e-mail to the ${p.mailIntake!.noun.en} intake address: a button that confirms (POST); opens nothing`,
      tag: 'mail-intake',
      tagDescription,
      success: { status: 200, description: 'The page: pending (a confirmation button), or confirmed (the case it opened)', contentType: 'text/html' },
      errors: [404, 410],
    }),
    confirm: defineRoute({
      id: `mailIntakeConfirm_${p.caseType}`,
      method: 'post',
      path: `/mail-intake/${p.caseType}/:token`,
      action: null,
      access,
      summary: `Confirm an e-mail to the ${p.mailIntake!.noun.en} intake address: opens its case (channel email) with the e-mail's files, once`,
      tag: 'mail-intake',
      tagDescription,
      success: { status: 201, description: 'Confirmed: the case is opened', schema: confirmedSchema, headers: ['Location'] },
      otherResponses: [
        { status: 200, description: 'Confirmed before: the same case, nothing new opened', schema: confirmedSchema, headers: ['Location'] },
        { status: 303, description: "A form post (the page's button): redirected to the page, which names the case", contentType: 'text/plain', headers: ['Location'] },
      ],
      errors: [404, 410, 422],
    }),
  }));

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(p: AnyProcess, v: MailIntakeView): string {
  const zh = escapeHtml(p.mailIntake!.noun['zh-CN']);
  const en = escapeHtml(p.mailIntake!.noun.en);
  const body =
    v.status === 'confirmed'
      ? `<h1>已提交 / Submitted</h1><p>您的${zh}已受理,编号 <strong>${escapeHtml(v.caseId!)}</strong>。后续通知将发送到您的邮箱。</p><p>Your ${en} is open: <strong>${escapeHtml(v.caseId!)}</strong>. We will write to you by e-mail.</p>`
      : `<h1>请确认 / Please confirm</h1><p>确认后,您发送的邮件将作为${zh}提交${v.files ? `(附件 ${v.files} 个)` : ''}。</p><p>Confirm to submit your e-mail as a ${en}${v.files ? ` (${v.files} attachment(s))` : ''}. This link is valid until ${escapeHtml(v.expiresAt)}.</p><form method="post"><button type="submit">确认 / Confirm</button></form>`;
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${en}</title></head><body>${body}</body></html>`;
}

function asApiError(err: unknown): unknown {
  if (!(err instanceof MailIntakeError)) return err;
  return err.kind === 'expired' ? new ApiError(410, 'LINK_EXPIRED', err.message) : new ApiError(404, 'NOT_FOUND', err.message);
}

export function mailIntakeRouter(deps: ApiDeps): Router {
  const r = Router();
  const settings = (): MailIntakeSettings => {
    if (!deps.mailIntake) throw new ApiError(404, 'NOT_FOUND', 'E-mail intake is not configured on this server');
    return deps.mailIntake;
  };
  const token = (req: Request) => String(req.params.token);
  // The token is in the path: no referrer carries it elsewhere, no cache keeps the page, no frame shows it.
  const privatePage = (res: import('express').Response) =>
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" });

  for (const { process: p, page: pageSpec, confirm } of mailIntakeRoutes) {
    mount(r, pageSpec, async (req, res) => {
      try {
        const v = await viewMailIntake(deps.db, settings(), p, token(req));
        privatePage(res).type('html').send(page(p, v));
      } catch (err) {
        throw asApiError(err);
      }
    });
    mount(r, confirm, async (req, res) => {
      let v;
      try {
        v = await confirmMailIntake(
          { db: deps.db, logger: req.log, currentPolicy: deps.currentPolicy, ports: deps.ports, secrets: deps.secrets, temporal: deps.temporal, blobs: deps.ports.blobs, limits: deps.attachmentLimits ?? DEFAULT_ATTACHMENT_LIMITS, settings: settings() },
          p,
          token(req),
          req.log,
        );
      } catch (err) {
        throw asApiError(err);
      }
      if (req.is('application/x-www-form-urlencoded')) {
        privatePage(res).status(303).location(intakePath(p.caseType, token(req))).type('text/plain').send('See Other');
        return;
      }
      const { opened, ...view } = v;
      res.status(opened ? 201 : 200).location(`/v1/cases/${encodeURIComponent(view.caseId!)}`).json({ ...view, status: 'confirmed' as const, caseId: view.caseId! });
    });
  }
  return r;
}
