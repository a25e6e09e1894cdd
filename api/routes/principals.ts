// Principals and API keys (admin only). A key is shown once, at creation. A merchant principal may carry
// its merchant's contact, stored in `parties` in the same transaction (never logged, never echoed back).
// The role and the party scopes are checked against the catalogue's (processes/index.ts principalIssues).
import { Router } from 'express';
import { z } from 'zod';
import { createPrincipal, merchantIdSchema, partyContactSchema, partyScopeSchema, PrincipalNotFound, PrincipalRevoked, revokePrincipal, rotatePrincipalKey, storedScopes } from '../../lib/principals';
import { principalIssues } from '../../processes';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, notFound, zodIssues } from '../errors';
import { defineRoute, mount } from '../routeSpec';
import { createdPrincipalSchema, principalEventsSchema, principalListSchema, revokedPrincipalSchema, rotatedKeySchema } from '../schemas';

/** An instant in the future (ISO 8601 with its offset). */
const futureInstant = z.iso.datetime({ offset: true }).refine((v) => new Date(v).getTime() > Date.now(), { message: 'must be in the future' });

export const createPrincipalSchema = z
  .object({
    name: z.string().min(1).max(100),
    role: z.string().min(1).max(40).describe('A role of the catalogue: a platform role or one a process declares'),
    merchantId: merchantIdSchema.optional(),
    scopes: z.array(partyScopeSchema).max(20).optional().describe("Party scopes of kinds the role takes (a merchant's own merchant id is one already); none: every case the role reaches"),
    contact: partyContactSchema.optional().describe("The merchant's contact for notifications (merchant role only); kept in parties"),
    expiresAt: futureInstant.optional().describe('When the key stops working (ISO 8601, in the future); absent: until revoked or rotated'),
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

/** A rotation: how long the keys in force keep working beside the new one, and the new key's own expiry. */
const rotateKeySchema = z
  .object({
    overlapSeconds: z.number().int().min(0).max(30 * 86_400).default(86_400).describe('How long the keys in force keep working beside the new one (default 1 day, at most 30 days; 0 ends them now)'),
    expiresAt: futureInstant.optional().describe('When the new key stops working; absent: until revoked or rotated'),
  })
  .strict();

export const principalRoutes = {
  create: defineRoute({ id: 'createPrincipal', method: 'post', path: '/v1/principals', action: 'principals.manage', summary: 'Create a principal; its API key is returned once', tag: 'principals', body: createPrincipalSchema, success: { status: 201, description: 'The principal with its apiKey', schema: createdPrincipalSchema }, errors: [400] }),
  list: defineRoute({ id: 'listPrincipals', method: 'get', path: '/v1/principals', action: 'principals.manage', summary: 'List principals (keys are never shown again)', tag: 'principals', success: { status: 200, description: 'Principals', schema: principalListSchema }, errors: [] }),
  revoke: defineRoute({ id: 'revokePrincipal', method: 'delete', path: '/v1/principals/:principalId', action: 'principals.manage', summary: 'Revoke a principal: every key of it stops working (audited)', tag: 'principals', success: { status: 200, description: 'Revocation time', schema: revokedPrincipalSchema }, errors: [404] }),
  rotateKey: defineRoute({ id: 'rotatePrincipalKey', method: 'post', path: '/v1/principals/:principalId/keys', action: 'principals.manage', summary: "Rotate a principal's key: a new key (returned once); the keys in force keep working for the overlap, then stop (audited)", tag: 'principals', body: rotateKeySchema, success: { status: 201, description: 'The new key', schema: rotatedKeySchema }, errors: [400, 404, 409] }),
  revokeKey: defineRoute({ id: 'revokePrincipalKey', method: 'delete', path: '/v1/principals/:principalId/keys/:keyId', action: 'principals.manage', summary: 'Revoke one key of a principal now (audited)', tag: 'principals', success: { status: 200, description: 'The key and its revocation time', schema: revokedPrincipalSchema }, errors: [404] }),
  events: defineRoute({ id: 'listPrincipalEvents', method: 'get', path: '/v1/principals/:principalId/events', action: 'principals.manage', summary: 'The audit trail of a principal and its keys: created, key created or rotated, key revoked, revoked; who did it and when', tag: 'principals', success: { status: 200, description: 'The events, oldest first', schema: principalEventsSchema }, errors: [404] }),
};

export function principalsRouter(deps: ApiDeps): Router {
  const r = Router();
  mount(r, principalRoutes.create, async (req, res) => {
    const parsed = createPrincipalSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The principal is not valid', zodIssues(parsed.error));
    const { expiresAt, ...p } = parsed.data;
    const created = await createPrincipal(deps.db, { ...p, ...(expiresAt && { expiresAt: new Date(expiresAt) }), actor: req.principal!.id });
    req.log.info({ createdPrincipal: created.id, role: created.role, scopeKinds: created.scopes.map((s) => s.kind) }, 'principal created');
    res.status(201).json(created);
  });
  mount(r, principalRoutes.list, async (_req, res) => {
    const rows = await deps.db.principal.findMany({ orderBy: { createdAt: 'asc' }, include: { keys: { orderBy: { createdAt: 'asc' } } } });
    res.json({
      principals: rows.map((p) => ({
        id: p.id,
        name: p.name,
        role: p.role,
        merchantId: p.merchantId,
        scopes: storedScopes(p.scopes),
        keys: p.keys.map((k) => ({ id: k.id, keyPrefix: k.keyPrefix, createdAt: k.createdAt, expiresAt: k.expiresAt, revokedAt: k.revokedAt, lastUsedAt: k.lastUsedAt })),
        createdAt: p.createdAt,
        revokedAt: p.revokedAt,
      })),
    });
  });
  mount(r, principalRoutes.revoke, async (req, res) => {
    const revoked = await revokePrincipal(deps.db, req.params.principalId as string, { actor: req.principal!.id });
    if (!revoked) throw notFound('Principal', req.params.principalId as string);
    req.log.info({ revokedPrincipal: revoked.id }, 'principal revoked');
    res.json(revoked);
  });
  mount(r, principalRoutes.rotateKey, async (req, res) => {
    const parsed = rotateKeySchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'The rotation is not valid', zodIssues(parsed.error));
    const principalId = req.params.principalId as string;
    try {
      const rotated = await rotatePrincipalKey(deps.db, principalId, { overlapSeconds: parsed.data.overlapSeconds, ...(parsed.data.expiresAt && { expiresAt: new Date(parsed.data.expiresAt) }), actor: req.principal!.id });
      req.log.info({ principalId, keyId: rotated.keyId, previousKeys: rotated.previousKeys.length }, 'principal key rotated');
      res.status(201).json(rotated);
    } catch (err) {
      if (err instanceof PrincipalNotFound) throw notFound('Principal', principalId);
      if (err instanceof PrincipalRevoked) throw conflict('PRINCIPAL_REVOKED', `Principal '${principalId}' is revoked: it gets no new key`);
      throw err;
    }
  });
  mount(r, principalRoutes.revokeKey, async (req, res) => {
    const revoked = await revokePrincipal(deps.db, req.params.principalId as string, { keyId: req.params.keyId as string, actor: req.principal!.id });
    if (!revoked) throw notFound('Key', req.params.keyId as string);
    req.log.info({ principalId: req.params.principalId, keyId: revoked.id }, 'principal key revoked');
    res.json(revoked);
  });
  mount(r, principalRoutes.events, async (req, res) => {
    const principalId = req.params.principalId as string;
    if (!(await deps.db.principal.findUnique({ where: { id: principalId }, select: { id: true } }))) throw notFound('Principal', principalId);
    const events = await deps.db.principalEvent.findMany({ where: { principalId }, orderBy: { id: 'asc' } });
    res.json({ principalId, events: events.map((e) => ({ at: e.at, type: e.type, keyId: e.keyId, actor: e.actor, detail: e.detail })) });
  });
  return r;
}
