// Principals and API keys (admin only). A key is shown once, at creation. A merchant principal may carry
// its merchant's contact, stored in `parties` in the same transaction (never logged, never echoed back).
// The role and the party scopes are checked against the catalogue's (processes/index.ts principalIssues).
import { Router } from 'express';
import { z } from 'zod';
import { createPrincipal, merchantIdSchema, partyContactSchema, partyScopeSchema, storedScopes } from '../../lib/principals';
import { principalIssues } from '../../processes';
import type { ApiDeps } from '../deps';
import { badRequest, notFound, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { createdPrincipalSchema, principalListSchema, revokedPrincipalSchema } from '../schemas';

export const createPrincipalSchema = z
  .object({
    name: z.string().min(1).max(100),
    role: z.string().min(1).max(40).describe('A role of the catalogue: a platform role or one a process declares'),
    merchantId: merchantIdSchema.optional(),
    scopes: z.array(partyScopeSchema).max(20).optional().describe("Party scopes of kinds the role takes (a merchant's own merchant id is one already); none: every case the role reaches"),
    contact: partyContactSchema.optional().describe("The merchant's contact for notifications (merchant role only); kept in parties"),
  })
  .strict()
  .refine((p) => p.role !== 'merchant' || !!p.merchantId, { message: 'merchantId is required for the merchant role', path: ['merchantId'] })
  .refine((p) => p.role === 'merchant' || !p.contact, { message: 'contact is only for the merchant role', path: ['contact'] })
  // The role and the scope kinds, against the catalogue as it is when the request comes.
  .superRefine((p, ctx) => {
    for (const i of principalIssues(p)) ctx.addIssue({ code: 'custom', message: i.message, path: i.path.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)) });
  })
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
    req.log.info({ createdPrincipal: created.id, role: created.role, scopeKinds: created.scopes.map((s) => s.kind) }, 'principal created');
    res.status(201).json(created);
  });
  mount(r, principalRoutes.list, async (_req, res) => {
    const rows = await deps.db.principal.findMany({ orderBy: { createdAt: 'asc' } });
    res.json({
      principals: rows.map((p) => ({ id: p.id, name: p.name, role: p.role, merchantId: p.merchantId, scopes: storedScopes(p.scopes), keyPrefix: p.keyPrefix, createdAt: p.createdAt, revokedAt: p.revokedAt })),
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
