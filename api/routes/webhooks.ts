// Webhooks: events that outside systems send about the cases' parcels, outside API-key authentication. Each source
// signs its requests with its own HMAC-SHA256 key (WEBHOOK_SECRET_<SOURCE>, lib/config.ts) over
// `<timestamp>.<nonce>.<raw body>`; the raw bytes are kept for it (express.raw on this route only, before the app's
// JSON parser). A request is refused when unsigned or badly signed (401), its timestamp off by more than 300 s (401), its
// nonce seen before (409), its body not the source's event (400). An event becomes a signal of the case it names,
// once: webhook_events keeps one row per source and event id, a repeated event id is acknowledged (200) with no
// second signal, and the case itself ignores an event id it has already heard (CaseKit).
import crypto from 'node:crypto';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { appendAuditEventIn, pgSql, utc } from '../../activities/audit';
import { DEV_SECRETS, declaredWebhookSecret } from '../../lib/config';
import { withPgTransaction } from '../../lib/db';
import { carrierSchema, trackingNumberSchema } from '../../policy/schemas';
import { catalogueProcesses } from '../../processes';
import { openCase } from '../../processes/caseOpening';
import type { AnyProcess, WebhookSourceDecl } from '../../processes/types';
import { carrierDeliveredSignal } from '../../workflows/definitions';
import type { ApiDeps } from '../deps';
import { ApiError, badRequest, conflict, notFound, zodIssues } from '../errors';
import { findHostile } from '../inputGuard';
import { defineRoute, mount } from '../routeSpec';

/** How far a request's timestamp may be from the server's clock, either way. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/** The largest signed body accepted. */
const MAX_BODY = '64kb';

/** The carrier's event: its parcel was delivered (the case is found by the tracking number of the parcel it waits for). */
export const carrierEventSchema = z
  .object({
    eventId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "the carrier's own event id: 1-128 letters, digits or . _ : -"),
    type: z.literal('delivered'),
    trackingNumber: trackingNumberSchema,
    deliveredAt: z.iso.datetime({ offset: true }).describe('When the carrier delivered the parcel (ISO 8601)'),
    carrier: carrierSchema.optional(),
  })
  .strict();

/** The sources, each with its event schema; a new source adds its entry, its secret (lib/config.ts) and its handling. */
export const webhookSources = { carrier: carrierEventSchema } as const;
export type WebhookSource = keyof typeof webhookSources;

/** The sources the catalogue's processes declare (processes/types.ts WebhookSourceDecl), by path segment. */
export function declaredWebhookSources(): Map<string, { decl: WebhookSourceDecl; process: AnyProcess }> {
  const out = new Map<string, { decl: WebhookSourceDecl; process: AnyProcess }>();
  for (const process of catalogueProcesses()) for (const decl of process.webhooks ?? []) if (!Object.hasOwn(webhookSources, decl.source) && !out.has(decl.source)) out.set(decl.source, { decl, process });
  return out;
}

const accepted = z
  .object({
    status: z.enum(['accepted', 'duplicate']).describe('accepted: the case was signalled; duplicate: this event id was received before, nothing more was done'),
    source: z.string(),
    eventId: z.string(),
    caseId: z.string(),
  })
  .strict();

const signatureHeaders = {
  'X-Webhook-Timestamp': { required: true, description: 'Unix time in seconds when the request was signed; refused when more than 300 s from the server clock (401 TIMESTAMP_STALE)' },
  'X-Webhook-Nonce': { required: true, description: 'A value unique to the request, 16-128 letters, digits, - or _; a nonce seen before is refused (409 NONCE_REPLAYED)' },
  'X-Webhook-Signature': { required: true, description: "Hex HMAC-SHA256 of `<timestamp>.<nonce>.<raw body>` with the source's secret (WEBHOOK_SECRET_<SOURCE>), optionally prefixed `sha256=` (401 SIGNATURE_MISSING, SIGNATURE_INVALID)" },
};

export const webhookRoutes = {
  receive: defineRoute({
    id: 'receiveWebhook',
    method: 'post',
    path: '/v1/webhooks/:source',
    action: null,
    access: "No API key: each request is signed with the source's HMAC-SHA256 key (WEBHOOK_SECRET_<SOURCE>): `X-Webhook-Signature` over `<timestamp>.<nonce>.<raw body>`, a timestamp within 300 s, a nonce used once.",
    summary: "An outside system's event, signed with the source's HMAC key (source `carrier`: a parcel delivered; or a source a process declares, which does what its process says, e.g. opens a case); it reaches its case once",
    tag: 'webhooks',
    tagDescription:
      "Signed events from outside systems (no API key: an HMAC-SHA256 signature per source). `carrier`: a parcel was delivered; the case waiting for it (found by tracking number) hears it once. 401 for a missing or bad signature or a stale timestamp, 409 for a nonce seen before, 404 for an unknown source or a tracking number no case waits for",
    body: carrierEventSchema,
    headers: signatureHeaders,
    success: { status: 202, description: 'Accepted: the case was signalled', schema: accepted },
    otherResponses: [{ status: 200, description: 'This event id was received before: acknowledged, no second signal', schema: accepted }],
    errors: [401, 404, 409, 503],
    rawBody: true,
  }),
};

/** The request's signature: over `<timestamp>.<nonce>.<raw body>`, hex, with the source's key. */
export function webhookSignature(secret: string, timestamp: string, nonce: string, body: Buffer | string): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.${nonce}.`).update(body).digest('hex');
}

const unauthenticated = (code: string, message: string) => new ApiError(401, code, message);

/** Checks the signature headers against the raw body; returns the timestamp (seconds) and the nonce. */
function verify(req: Request, secret: string, raw: Buffer, nowMs: number): { timestamp: number; nonce: string } {
  const ts = req.get('X-Webhook-Timestamp');
  const nonce = req.get('X-Webhook-Nonce');
  const sig = req.get('X-Webhook-Signature');
  if (!ts || !nonce || !sig) throw unauthenticated('SIGNATURE_MISSING', 'X-Webhook-Timestamp, X-Webhook-Nonce and X-Webhook-Signature are required');
  if (!/^\d{1,12}$/.test(ts) || !/^[A-Za-z0-9_-]{16,128}$/.test(nonce)) throw unauthenticated('SIGNATURE_INVALID', 'The timestamp (Unix seconds) or the nonce (16-128 letters, digits, - or _) is not valid');
  const hex = sig.replace(/^sha256=/, '');
  const expected = Buffer.from(webhookSignature(secret, ts, nonce, raw), 'hex');
  const given = /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0);
  // Constant time: the same work whatever the signature given, and no early exit on the first differing byte.
  const same = crypto.timingSafeEqual(expected, given.length === expected.length ? given : Buffer.alloc(expected.length));
  if (!same || given.length !== expected.length) throw unauthenticated('SIGNATURE_INVALID', 'The signature does not match the request');
  const timestamp = Number(ts);
  if (Math.abs(nowMs / 1000 - timestamp) > WEBHOOK_TOLERANCE_SECONDS) throw unauthenticated('TIMESTAMP_STALE', `The timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s from the server clock`);
  return { timestamp, nonce };
}

/**
 * An event of a source a process declares: what the process does with it (e.g. opens a case, idempotent on the event
 * id), then the event stored once per (source, event id) on the case it concerns, with webhook.received on its trail.
 */
async function receiveDeclared(deps: ApiDeps, { decl, process }: { decl: WebhookSourceDecl; process: AnyProcess }, event: unknown, res: import('express').Response): Promise<void> {
  const eventId = decl.eventId(event);
  const opening = decl.opens(event);
  const { caseId, replayed: duplicate } = await openCase(deps, { process, ...opening });
  const at = new Date();
  const first = await withPgTransaction(deps.db, async (c) => {
    const inserted = await c.query(
      `INSERT INTO webhook_events (source, event_id, case_id, type, received_at, signalled_at) VALUES ($1, $2, $3, $4, ${utc(5)}, ${utc(5)}) ON CONFLICT (source, event_id) DO NOTHING`,
      [decl.source, eventId, caseId, decl.type(event), at.toISOString()],
    );
    if (inserted.rowCount === 0) return false;
    await appendAuditEventIn(pgSql(c), { caseId, eventKey: `webhook:${decl.source}:${eventId}`, type: 'webhook.received', actor: `webhook:${decl.source}`, at, payload: { source: decl.source, eventId, type: decl.type(event) } });
    return true;
  });
  const repeat = duplicate && !first;
  res.status(repeat ? 200 : 202).json({ status: repeat ? 'duplicate' : 'accepted', source: decl.source, eventId, caseId });
}

export function webhooksRouter(deps: ApiDeps): Router {
  const r = Router();
  const secrets: Record<string, string> = { carrier: deps.secrets?.webhooks.carrier ?? DEV_SECRETS.WEBHOOK_SECRET_CARRIER };
  // A process's own sources: their keys read once here (production refuses an unset or development key at start-up).
  for (const [source, { decl }] of declaredWebhookSources()) secrets[source] = declaredWebhookSecret(process.env, decl.secretVariable, source);
  let lastSweep = 0;

  // The raw bytes, for the signature: this route only (the app's JSON parser comes after this router).
  r.use(webhookRoutes.receive.path, express.raw({ type: () => true, limit: MAX_BODY }));
  mount(r, webhookRoutes.receive, async (req, res) => {
    const source = req.params.source as string;
    const declared = declaredWebhookSources().get(source);
    if (!Object.hasOwn(webhookSources, source) && !declared) throw notFound('Webhook source', source);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const now = Date.now();
    const secret = secrets[source] ?? (declared && declaredWebhookSecret(process.env, declared.decl.secretVariable, source));
    const { timestamp, nonce } = verify(req, secret!, raw, now);

    // A nonce is remembered while its timestamp is acceptable; one seen before is a replay.
    const fresh = await deps.db.$queryRawUnsafe<{ nonce: string }[]>(
      `INSERT INTO webhook_nonces (source, nonce, expires_at) VALUES ($1, $2, to_timestamp($3::double precision) AT TIME ZONE 'UTC')
       ON CONFLICT (source, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE webhook_nonces.expires_at < timezone('UTC', now())
       RETURNING nonce`,
      source,
      nonce,
      timestamp + WEBHOOK_TOLERANCE_SECONDS,
    );
    if (fresh.length === 0) throw conflict('NONCE_REPLAYED', 'This nonce was seen before: the request is a replay');
    if (now - lastSweep > 60_000) {
      lastSweep = now;
      void deps.db.$executeRawUnsafe(`DELETE FROM webhook_nonces WHERE expires_at < timezone('UTC', now())`).catch((err: Error) => req.log.warn({ err }, 'webhook nonces: sweep failed'));
    }

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest('MALFORMED_JSON', 'The request body is not valid JSON');
    }
    // The body skipped the edge's NUL/surrogate check (its bytes are signed): the same check, once it is verified.
    const hostile = findHostile(body, 'body');
    if (hostile.length > 0) throw badRequest('INVALID_CHARACTERS', `The request has a NUL character or a lone surrogate in body ${hostile[0].path || '(root)'}`, hostile);
    if (declared) {
      const parsedDeclared = declared.decl.event.safeParse(body);
      if (!parsedDeclared.success) throw badRequest('VALIDATION_FAILED', `The ${source} event is not valid`, zodIssues(parsedDeclared.error));
      await receiveDeclared(deps, declared, parsedDeclared.data, res);
      return;
    }
    const parsed = webhookSources[source as WebhookSource].safeParse(body);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', `The ${source} event is not valid`, zodIssues(parsed.error));
    const event = parsed.data;

    // The event once per source and event id, with the case it names (the parcel's most recent watcher).
    const at = new Date();
    const stored = await withPgTransaction(deps.db, async (c) => {
      const prior = await c.query<{ case_id: string; signalled_at: Date | null; workflow_id: string; status: string }>(
        `SELECT e.case_id, e.signalled_at, c.workflow_id, c.status FROM webhook_events e JOIN cases c ON c.id = e.case_id WHERE e.source = $1 AND e.event_id = $2`,
        [source, event.eventId],
      );
      if (prior.rows[0]) return { repeat: true, ...prior.rows[0] };
      const found = await c.query<{ case_id: string; workflow_id: string; status: string }>(
        `SELECT p.case_id, c.workflow_id, c.status FROM case_parcels p JOIN cases c ON c.id = p.case_id WHERE p.tracking_number = $1 ORDER BY p.created_at DESC LIMIT 1`,
        [event.trackingNumber],
      );
      const kase = found.rows[0];
      if (!kase) throw notFound('Parcel', event.trackingNumber);
      const inserted = await c.query(
        `INSERT INTO webhook_events (source, event_id, case_id, type, received_at) VALUES ($1, $2, $3, $4, ${utc(5)}) ON CONFLICT (source, event_id) DO NOTHING`,
        [source, event.eventId, kase.case_id, event.type, at.toISOString()],
      );
      // Received at the same moment by another request: that one signals.
      if (inserted.rowCount === 0) return { repeat: true, ...kase, signalled_at: at };
      await appendAuditEventIn(pgSql(c), {
        caseId: kase.case_id,
        eventKey: `webhook:${source}:${event.eventId}`,
        type: 'webhook.received',
        actor: `webhook:${source}`,
        at,
        payload: { source, eventId: event.eventId, type: event.type, deliveredAt: event.deliveredAt },
      });
      return { repeat: false, ...kase, signalled_at: null as Date | null };
    });
    const answer = { source, eventId: event.eventId, caseId: stored.case_id };
    if (stored.repeat && stored.signalled_at !== null) {
      res.status(200).json({ status: 'duplicate', ...answer });
      return;
    }
    // Signalled once: a failure leaves signalled_at empty, and the source's retry signals again (the case ignores an
    // event id it has heard). A closed case waits for nothing: the event is kept, nothing is sent.
    if (stored.status !== 'closed') {
      try {
        await deps.temporal.clients
          .forIdentity(`webhook:${source}`)
          .workflow.getHandle(stored.workflow_id)
          .signal(carrierDeliveredSignal, { source: 'carrier', eventId: event.eventId, trackingNumber: event.trackingNumber, deliveredAt: event.deliveredAt });
      } catch (err) {
        if (!/completed|not found/i.test((err as Error).message)) {
          req.log.error({ err, caseId: stored.case_id, source, eventId: event.eventId }, 'webhook: the case could not be signalled');
          throw new ApiError(503, 'SIGNAL_FAILED', 'The case could not be told now; send the event again');
        }
      }
    }
    await deps.db.$executeRawUnsafe(`UPDATE webhook_events SET signalled_at = timezone('UTC', now()) WHERE source = $1 AND event_id = $2 AND signalled_at IS NULL`, source, event.eventId);
    req.log.info({ caseId: stored.case_id, source, eventId: event.eventId, type: event.type }, 'webhook event signalled');
    res.status(stored.repeat ? 200 : 202).json({ status: stored.repeat ? 'duplicate' : 'accepted', ...answer });
  });
  return r;
}
