// Principals and API keys (admin only). A key is shown once, at creation. A merchant principal may carry
// its merchant's contact, stored in `parties` in the same transaction (never logged, never echoed back).
import { Router } from 'express';
import { z } from 'zod';
import { createPrincipal, merchantIdSchema, partyContactSchema } from '../../lib/principals';
import { roles } from '../../policy/roles';
import type { ApiDeps } from '../deps';
import { badRequest, notFound, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { createdPrincipalSchema, principalListSchema, revokedPrincipalSchema } from '../schemas';

export const createPrincipalSchema = z
  .object({
    name: z.string().min(1).max(100),
    role: z.enum(roles),
    merchantId: merchantIdSchema.optional(),
    contact: partyContactSchema.optional().describe("The merchant's contact for notifications (merchant role only); kept in parties"),
  })
  .strict()
  .refine((p) => p.role !== 'merchant' || !!p.merchantId, { message: 'merchantId is required for the merchant role', path: ['merchantId'] })
  .refine((p) => p.role === 'merchant' || !p.contact, { message: 'contact is only for the merchant role', path: ['contact'] })
  // The two rules above, as JSON Schema for the API description.
  .meta({
    allOf: [
      { if: { properties: { role: { const: 'merchant' } }, required: ['role'] }, then: { properties: { merchantId: {} }, required: ['merchantId'] }, else: { not: { properties: { contact: {} }, required: ['contact'] } } },
    ],
    description: 'merchantId is required for the merchant role; contact is only for the merchant role',
  });

export const principalRoutes = {
  create: defineRoute({ id: 'createPrincipal', method: 'post', path: '/v1/principals', action: 'principals.manage', summary: 'Create a principal; its API key is returned once', tag: 'principals', body: createPrincipalSchema, success: { status: 201, description: 'The principal with its apiKey', schema: createdPrincipalSchema }, errors: [400] }),
  list: defineRoute({ id: 'listPrincipals', method: 'get', path: '/v1/principals', action: 'principals.manage', summary: 'List principals (keys are never shown again)', tag: 'principals', success: { status: 200, description: 'Principals', schema: principalListSchema }, errors: [] }),
  revoke: defineRoute({ id: 'revokePrincipal', method: 'delete', path: '/v1/principals/:principalId', action: 'principals.manage', summary: "Revoke a principal's key", tag: 'principals', success: { status: 200, description: 'Revocation time', schema: revokedPrincipalSchema }, errors: [404] }),
};

export function principalsRouter(deps: ApiDeps): Router {
  const r = Router();
  mount(r, principalRoutes.create, async (req, res) => {
    const parsed = createPrincipalSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The principal is not valid', zodIssues(parsed.error));
    const created = await createPrincipal(deps.db, parsed.data);
    req.log.info({ createdPrincipal: created.id, role: created.role }, 'principal created');
    res.status(201).json(created);
  });
  mount(r, principalRoutes.list, async (_req, res) => {
    const rows = await deps.db.principal.findMany({ orderBy: { createdAt: 'asc' } });
    res.json({
      principals: rows.map((p) => ({ id: p.id, name: p.name, role: p.role, merchantId: p.merchantId, keyPrefix: p.keyPrefix, createdAt: p.createdAt, revokedAt: p.revokedAt })),
    });
  });
  mount(r, principalRoutes.revoke, async (req, res) => {
    const p = await deps.db.principal.findUnique({ where: { id: req.params.principalId as string } });
    if (!p) throw notFound('Principal', req.params.principalId as string);
    const updated = await deps.db.principal.update({ where: { id: p.id }, data: { revokedAt: p.revokedAt ?? new Date() } });
    res.json({ id: updated.id, revokedAt: updated.revokedAt });
  });
  return r;
}
