// Merchants' contacts: where a merchant's notifications (review requests, SLA reminders, escalations) go.
// The contact is personal data and lives only in `parties` (kind 'merchant', id = merchantId), never in a
// workflow input or history, and is never logged. An admin manages any merchant's; a merchant principal
// only its own (another merchant's answers 404, as everywhere a merchant looks beyond its own id).
import { Router, type Request } from 'express';
import { canSeeMerchantScoped } from '../authz';
import { getMerchantContact, merchantIdSchema, partyContactSchema, putMerchantContact } from '../../lib/principals';
import type { ApiDeps } from '../deps';
import { badRequest, notFound, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { merchantContactSchema } from '../schemas';

export const merchantRoutes = {
  putContact: defineRoute({ id: 'putMerchantContact', method: 'put', path: '/v1/merchants/:merchantId/contact', action: 'parties.manage', summary: "Set a merchant's contact for notifications (e-mail, display name, locale)", tag: 'parties', body: partyContactSchema, success: { status: 200, description: 'The contact as stored', schema: merchantContactSchema }, errors: [400, 404] }),
  getContact: defineRoute({ id: 'getMerchantContact', method: 'get', path: '/v1/merchants/:merchantId/contact', action: 'parties.manage', summary: "Read a merchant's contact", tag: 'parties', success: { status: 200, description: 'The contact', schema: merchantContactSchema }, errors: [404] }),
};

/** The merchant id of the path, if this principal may act for it; otherwise 404 (never saying whether it exists). */
function visibleMerchantId(req: Request): string {
  const merchantId = req.params.merchantId as string;
  if (!merchantIdSchema.safeParse(merchantId).success || !canSeeMerchantScoped(req.principal!, merchantId)) throw notFound('Merchant', merchantId);
  return merchantId;
}

export function merchantsRouter(deps: ApiDeps): Router {
  const r = Router();
  mount(r, merchantRoutes.putContact, async (req, res) => {
    const merchantId = visibleMerchantId(req);
    const parsed = partyContactSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The contact is not valid', zodIssues(parsed.error));
    const contact = await putMerchantContact(deps.db, merchantId, parsed.data);
    req.log.info({ merchantId }, 'merchant contact set');
    res.json(contact);
  });
  mount(r, merchantRoutes.getContact, async (req, res) => {
    const merchantId = visibleMerchantId(req);
    const contact = await getMerchantContact(deps.db, merchantId);
    if (!contact) throw notFound('Contact of merchant', merchantId);
    res.json(contact);
  });
  return r;
}
