// Case resources for every process, from the catalogue: open, list, read, timeline, audit verification,
// cancellation, party actions, and each process's own extra routes. No process is named here.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Prisma } from '@prisma/client';
import { verifyAuditChain } from '../../activities/audit';
import { processes, processOf } from '../../processes';
import type { AnyProcess } from '../../processes/types';
import { processRoutesOf } from '../../processes/reports';
import { cancelCaseUpdate, caseStateQuery } from '../../workflows/definitions';
import { actingParty, can, caseScopeWhere, processAction, seesCase } from '../authz';
import { idempotencyKeyHeader, openCase } from '../caseOpening';
import type { ApiDeps } from '../deps';
import { badRequest, forbidden, fromUpdateFailure, notFound, zodIssues } from '../errors';
import { defineRoute, mount, type RouteSpec } from '../routeSpec';
import { loadCase, presentCase } from './present';
import { requireCaseAttachments } from './attachments';
import { attachmentIdsIn } from '../../policy/schemas';
import { auditVerificationSchema, caseLinksSchema, caseListSchema, caseSchema, processCatalogueSchema, signingKeySchema, timelineSchema } from '../schemas';
import { writeCaseDossier } from '../../processes/dossier';
import { LINK_SEEN_FROM_THE_OTHER_CASE } from '../../activities/caseLinks';
import { caseById, linksOfCase } from '../../lib/sqlReads';
import { accessPurposeHeader, purposeOf } from './personalData';

const catalogue: readonly AnyProcess[] = processes;

const cancelSchema = z.object({ reasonCode: z.enum(['customer_request', 'duplicate', 'resolved_elsewhere']) }).strict();
const caseQuery = z.object({ live: z.enum(['true', 'false']).optional().describe("'true' adds `live`: the workflow's own state (queried from Temporal; null when it cannot answer); any other value is refused (400)") }).strict();

/** The case resource as every case route answers it, with the fields each process adds. */
export const caseResponse = caseSchema(catalogue.map((p) => p.presentSchema));
const caseWithLive = caseResponse.extend({ live: z.unknown().optional().describe('With ?live=true: the workflow state query, or null') }).strict();

/** The body of POST /v1/cases: one variant per process, told apart by `type` (a oneOf in the API description). */
export function openCaseBody() {
  const variants = catalogue.map((p) => p.open.body.extend({ type: z.literal(p.caseType).describe(`${p.title} (policy ${p.policyRefs})`) }));
  return z.discriminatedUnion('type', variants as unknown as [z.ZodObject<any>, ...z.ZodObject<any>[]]);
}

export const listCasesQuery = z
  .object({
    type: z.string().max(40).optional().describe(`case type: ${catalogue.map((p) => p.caseType).join(', ')}`),
    status: z.enum(['open', 'closed']).optional(),
    step: z.string().max(60).optional(),
    merchantId: z.string().max(64).optional(),
    customerId: z.string().max(64).optional(),
    openedFrom: z.iso.datetime({ offset: true }).optional().describe('opened at or after this instant'),
    openedTo: z.iso.datetime({ offset: true }).optional().describe('opened before this instant'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional().describe('Opaque: the nextCursor of the previous page, unchanged; any other value is refused (400)'),
  })
  .strict();

export const caseRoutes = {
  processes: defineRoute({ id: 'listProcesses', method: 'get', path: '/v1/processes', action: 'processes.read', summary: 'The process catalogue: each case type with its policy sections, task types and party actions', tag: 'cases', success: { status: 200, description: 'The processes', schema: processCatalogueSchema }, errors: [] }),
  open: defineRoute({
    id: 'openCase',
    method: 'post',
    path: '/v1/cases',
    action: 'cases.open',
    summary: 'Open a case of any process; `type` names the process and decides the rest of the body',
    tag: 'cases',
    get body() {
      return openCaseBody();
    },
    headers: idempotencyKeyHeader,
    success: { status: 201, description: 'The case was opened; Location is its URL', schema: caseResponse, headers: ['Location'] },
    otherResponses: [{ status: 200, description: 'A replay: the same Idempotency-Key and body as an earlier request answer the case it opened (Idempotent-Replayed: true); nothing new is opened', schema: caseResponse, headers: ['Location', 'IdempotentReplayed'] }],
    errors: [400, 409, 422],
  }),
  list: defineRoute({ id: 'listCases', method: 'get', path: '/v1/cases', action: 'cases.list', summary: 'Cases, newest first, filtered by type, status, step, merchant, customer and opening time, with a cursor', tag: 'cases', query: listCasesQuery, success: { status: 200, description: 'Cases and the next cursor', schema: caseListSchema }, errors: [400] }),
  get: defineRoute({ id: 'getCase', method: 'get', path: '/v1/cases/:caseId', action: 'cases.read', summary: 'A case: state, step, every running deadline, tasks, process details and the Temporal UI link', tag: 'cases', query: caseQuery, headers: accessPurposeHeader, success: { status: 200, description: 'The case', schema: caseWithLive }, errors: [400, 404] }),
  timeline: defineRoute({ id: 'getCaseTimeline', method: 'get', path: '/v1/cases/:caseId/timeline', action: 'cases.timeline', summary: 'The hash-chained audit timeline of a case', tag: 'audit', success: { status: 200, description: 'Events in order', schema: timelineSchema }, errors: [404] }),
  links: defineRoute({ id: 'getCaseLinks', method: 'get', path: '/v1/cases/:caseId/links', action: 'cases.read', summary: "A case's links to other cases (a return handed over to a complaint, the complaint escalated from it, related cases), read from this case", tag: 'cases', success: { status: 200, description: 'The links, oldest first', schema: caseLinksSchema }, errors: [404] }),
  verify: defineRoute({ id: 'verifyCaseAudit', method: 'get', path: '/v1/cases/:caseId/audit/verify', action: 'cases.verify', summary: "Recompute a case's audit hash chain and report the first broken link", tag: 'audit', success: { status: 200, description: 'Verification result', schema: auditVerificationSchema }, errors: [404] }),
  dossier: defineRoute({
    id: 'getCaseDossier',
    method: 'get',
    path: '/v1/cases/:caseId/dossier',
    action: 'cases.dossier',
    summary: "A case's signed dossier: a tar archive of its case row, tasks, payments, timeline with the chain's verification, every Temporal run's history and their replay against the current code, with a manifest of SHA-256 hashes signed with the platform's Ed25519 key (verify offline: `npx tsx scripts/dossier.ts verify <file> --key <pem>`)",
    tag: 'audit',
    success: { status: 200, description: 'The dossier (application/x-tar), streamed as it is written', contentType: 'application/x-tar' },
    errors: [404],
  }),
  signingKey: defineRoute({ id: 'getSigningKey', method: 'get', path: '/v1/audit/signing-key', action: 'cases.dossier', summary: 'The public key dossiers are signed with: what a verifier pins', tag: 'audit', success: { status: 200, description: 'The key id, algorithm and SPKI PEM', schema: signingKeySchema }, errors: [] }),
  cancel: defineRoute({ id: 'cancelCase', method: 'post', path: '/v1/cases/:caseId/cancel', action: 'cases.cancel', summary: 'Cancel a case while its process allows it (e.g. before money moves)', tag: 'cases', body: cancelSchema, success: { status: 200, description: 'The closed case', schema: caseResponse }, errors: [400, 404, 409, 422, 503] }),
};

/** One route per party-action name, `POST /v1/cases/{caseId}/actions/<name>`; its body is that action's (per process). */
export const actionRoutes: Record<string, RouteSpec> = Object.fromEntries(
  [...new Set(catalogue.flatMap((p) => Object.keys(p.actions)))].map((name) => {
    const declaring = catalogue.filter((p) => p.actions[name]);
    const bodies = declaring.map((p) => p.actions[name].body);
    return [
      name,
      defineRoute({
        id: `caseAction_${name.replace(/-/g, '_')}`,
        method: 'post',
        path: `/v1/cases/:caseId/actions/${name}`,
        action: `cases.action.${name}`,
        summary: declaring.map((p) => `${p.actions[name].summary} (${p.caseType})`).join('; '),
        tag: 'cases',
        body: bodies.length === 1 ? bodies[0] : z.union(bodies as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]),
        success: { status: 200, description: 'The case, after the workflow accepted the action', schema: caseResponse },
        errors: [400, 404, 409, 422, 503],
      }),
    ];
  }),
);

/** Each process's own routes (status pages, verification steps) and its reports (GET /v1/reports/<name>), declared in its module. */
export const processRoutes = catalogue.flatMap((p) =>
  processRoutesOf(p).map((r) => ({
    process: p,
    route: r,
    spec: defineRoute({ id: r.id, method: r.method, path: r.path, action: processAction.route(p, r.id), summary: r.summary, tag: r.tag ?? p.caseType, tagDescription: `${p.title} (policy ${p.policyRefs}): its own routes`, body: r.body, query: r.query, headers: r.headers, success: r.success, otherResponses: r.otherResponses, errors: r.errors }),
  })),
);

const encodeCursor = (c: { createdAt: Date; id: string }) => Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
function decodeCursor(s: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string') throw new Error('bad');
    return { createdAt, id };
  } catch {
    throw badRequest('VALIDATION_FAILED', 'The cursor is not valid', [{ path: 'cursor', message: 'not a cursor from this API', code: 'custom' }]);
  }
}

export function casesRouter(deps: ApiDeps): Router {
  const r = Router();

  async function visibleCase(req: Request) {
    const c = await loadCase(deps, req.params.caseId as string);
    // A scoped principal (a merchant, a rights holder) learns nothing about cases out of its scopes, not even that they exist.
    if (!(await seesCase(deps.db, req.principal!, c))) throw notFound('Case', c.id);
    return c;
  }

  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const p = schema.safeParse(value ?? {});
    if (!p.success) throw badRequest('VALIDATION_FAILED', `The ${what} is not valid`, zodIssues(p.error));
    return p.data;
  }

  async function update<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw fromUpdateFailure(err) ?? err;
    }
  }

  const handleFor = (req: Request, workflowId: string) => deps.temporal.clients.forIdentity(req.principal!.id).workflow.getHandle(workflowId);
  const present = (req: Request) => (caseId: string) => presentCase(deps, caseId, req.principal!);

  mount(r, caseRoutes.processes, (_req, res) => {
    res.json({
      processes: catalogue.map((p) => ({
        type: p.caseType,
        title: p.title,
        policy: { sections: p.policyRefs, key: p.policy.key, version: p.policy.version },
        workflowType: p.workflow.name,
        openedBy: p.open.roles,
        taskTypes: Object.entries(p.tasks).map(([type, t]) => ({ type, role: t.role })),
        actions: Object.entries(p.actions).map(([name, a]) => ({ name, roles: a.roles, summary: a.summary, path: `/v1/cases/{caseId}/actions/${name}` })),
        roles: (p.roles ?? []).map((d) => ({ role: d.role, description: d.description, scopeKinds: [...d.scopeKinds], scopeRequired: !!d.scopeRequired })),
        scopeKinds: (p.scopes ?? []).map((k) => ({ kind: k.kind, description: k.description, from: 'column' in k.from ? `column:${k.from.column}` : `partyRef:${k.from.partyRef}` })),
      })),
    });
  });

  mount(r, caseRoutes.open, async (req, res) => {
    const type = (req.body as { type?: unknown } | undefined)?.type;
    const process = typeof type === 'string' ? processOf(type) : undefined;
    if (!process) {
      throw badRequest('VALIDATION_FAILED', 'The case is not valid', [{ path: 'type', message: `one of: ${catalogue.map((p) => p.caseType).join(', ')}`, code: 'invalid_union' }]);
    }
    if (!can(req.principal!, processAction.open(process))) throw forbidden(`Role '${req.principal!.role}' may not open a ${process.caseType} case`);
    const { type: _type, ...rest } = req.body as Record<string, unknown>;
    await openCase(deps, req, res, process, rest, present(req)); // validated by the opening service (processes/caseOpening.ts)
  });

  mount(r, caseRoutes.list, async (req, res) => {
    const q = parse(listCasesQuery, req.query, 'query');
    const p = req.principal!;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const where: Prisma.CaseWhereInput = {
      ...(q.type && { type: q.type }),
      ...(q.status && { status: q.status }),
      ...(q.step && { step: q.step }),
      ...(q.customerId && { customerId: q.customerId }),
      ...(q.merchantId && { merchantId: q.merchantId }),
      ...((q.openedFrom || q.openedTo) && { createdAt: { ...(q.openedFrom && { gte: new Date(q.openedFrom) }), ...(q.openedTo && { lt: new Date(q.openedTo) }) } }),
      ...(after && { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }),
      AND: [caseScopeWhere(p)], // cases out of the principal's scopes do not exist for it
    };
    const rows = await deps.db.case.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    res.json({
      cases: page.map((c) => ({
        caseId: c.id,
        type: c.type,
        status: c.status,
        step: c.step,
        outcome: c.outcome,
        customerId: c.customerId,
        merchantId: c.merchantId,
        deadlines: c.deadlines,
        createdAt: c.createdAt.toISOString(),
        closedAt: c.closedAt?.toISOString() ?? null,
        links: { self: `/v1/cases/${c.id}` },
      })),
      nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null,
    });
  });

  mount(r, caseRoutes.get, async (req, res) => {
    const q = parse(caseQuery, req.query, 'query');
    const c = await visibleCase(req);
    const body: Record<string, unknown> = await presentCase(deps, c.id, req.principal!, { route: caseRoutes.get.id, purpose: purposeOf(req, 'case_handling') });
    if (q.live === 'true') {
      try {
        body.live = await handleFor(req, c.workflowId).query(caseStateQuery);
      } catch {
        body.live = null; // closed long ago, or Temporal unreachable; the read model still answers
      }
    }
    res.json(body);
  });

  mount(r, caseRoutes.timeline, async (req, res) => {
    const c = await visibleCase(req);
    const events = await deps.db.auditEvent.findMany({ where: { caseId: c.id }, orderBy: { seq: 'asc' } });
    res.json({
      caseId: c.id,
      events: events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), type: e.type, actor: e.actor, payload: e.payload, hash: e.hash, prevHash: e.prevHash })),
    });
  });

  mount(r, caseRoutes.links, async (req, res) => {
    const c = await visibleCase(req);
    // A scoped principal sees no link to a case out of its scopes (it learns nothing about that case, not even that it exists).
    const all = await linksOfCase(deps.db, c.id);
    const seen = await Promise.all(all.map(async (l) => {
      const other = await caseById(deps.db, l.otherCaseId);
      return other !== null && (await seesCase(deps.db, req.principal!, other));
    }));
    const links = all.filter((_, i) => seen[i]);
    res.json({
      caseId: c.id,
      links: links.map((l) => ({
        linkId: l.linkId,
        type: l.direction === 'outgoing' ? l.type : LINK_SEEN_FROM_THE_OTHER_CASE[l.type],
        storedType: l.type,
        direction: l.direction,
        caseId: l.otherCaseId,
        caseType: l.otherCaseType,
        eventKey: l.eventKey,
        createdBy: l.createdBy,
        createdAt: l.createdAt.toISOString(),
        href: `/v1/cases/${l.otherCaseId}`,
      })),
    });
  });

  mount(r, caseRoutes.verify, async (req, res) => {
    const c = await visibleCase(req);
    res.json(await verifyAuditChain(deps.db, c.id));
  });

  mount(r, caseRoutes.dossier, async (req, res) => {
    const c = await visibleCase(req);
    const log = deps.logger.child({ caseId: c.id, principalId: req.principal!.id });
    res.setHeader('Content-Type', 'application/x-tar');
    res.setHeader('Content-Disposition', `attachment; filename="dossier-${c.id}.tar"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const startedAt = Date.now();
    try {
      const manifest = await writeCaseDossier(
        { db: deps.db, client: deps.temporal.clients.forIdentity(req.principal!.id), keys: deps.ports.keys, blobs: deps.ports.blobs, ...(deps.replayHistories && { replay: deps.replayHistories }) },
        c.id,
        { by: req.principal!.id, out: res, onProgress: (f) => log.debug({ file: f.path, bytes: f.bytes }, 'dossier file written') },
      );
      log.info({ files: manifest.files.length, keyId: manifest.signingKey.keyId, ms: Date.now() - startedAt }, 'dossier written');
    } catch (err) {
      // Headers are gone once the archive started: the client sees a cut archive, which verification refuses.
      log.error({ err }, 'dossier failed');
      if (!res.headersSent) {
        res.removeHeader('Content-Disposition');
        throw err;
      }
      res.destroy(err as Error);
    }
  });

  mount(r, caseRoutes.signingKey, async (_req, res) => {
    const k = await deps.ports.keys.signingKey();
    res.json({ keyId: k.keyId, algorithm: k.algorithm, publicKeyPem: k.publicKeyPem });
  });

  mount(r, caseRoutes.cancel, async (req, res) => {
    const c = await visibleCase(req); // out of scope: 404 before anything about the body
    const { reasonCode } = parse(cancelSchema, req.body, 'cancellation');
    if (c.status === 'closed') throw fromUpdateFailure(new Error('workflow execution already completed'))!;
    const h = handleFor(req, c.workflowId);
    await update(() => h.executeUpdate(cancelCaseUpdate, { args: [{ actor: actingParty(req.principal!), reasonCode }] }));
    // The case closes right after the cancellation is accepted; wait briefly so the answer shows it.
    await Promise.race([h.result().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    res.json(await presentCase(deps, c.id, req.principal!));
  });

  // Party actions: the case's process decides whether the action exists for it (404), who may take it
  // (403), what the body must be (400); then its workflow's validator decides whether now (409/422).
  for (const [name, spec] of Object.entries(actionRoutes)) {
    mount(r, spec, async (req, res) => {
      const c = await visibleCase(req);
      const process = processOf(c.type);
      const def = process?.actions[name];
      if (!process || !def) throw notFound('Action', `${name}' for a ${c.type} case '${c.id}`);
      if (!can(req.principal!, processAction.party(process, name))) throw forbidden(`Role '${req.principal!.role}' may not take the action '${name}' on a ${c.type} case`);
      const body = parse(def.body, req.body, `${name} body`);
      if (c.status === 'closed') throw fromUpdateFailure(new Error('workflow execution already completed'))!;
      await requireCaseAttachments(deps, c.id, attachmentIdsIn(body));
      const actor = actingParty(req.principal!);
      const args = def.field ? { actor, [def.field]: body } : { actor, ...(body as object) };
      await update(() => handleFor(req, c.workflowId).executeUpdate(def.update, { args: [args] }));
      res.json(await presentCase(deps, c.id, req.principal!));
    });
  }

  // Each process's own routes, behind the roles its module declares; a route of one case (ProcessRoute.caseParam)
  // answers 404 for a case out of the principal's scopes, as the case's own routes.
  for (const { route, spec } of processRoutes) {
    mount(r, spec, async (req, res) => {
      const caseId = req.params[route.caseParam ?? 'caseId'];
      if (typeof caseId === 'string' && req.principal!.scopes.length > 0) {
        const c = await caseById(deps.db, caseId);
        if (c && !(await seesCase(deps.db, req.principal!, c))) throw notFound('Case', c.id);
      }
      await route.handler(deps, req, res);
    });
  }

  return r;
}
