// Signed webhook requests as an outside system sends them (api/routes/webhooks.ts), for the API tests.
import crypto from 'node:crypto';
import { webhookSignature } from '../../api/routes/webhooks';
import { DEV_SECRETS } from '../../lib/config';
import { call, eventually, type TestSystem } from './system';

/** A request signed as the carrier signs it (or with `secret`, at `ts`, with `nonce`): its raw body and headers. */
export function signedWebhook(body: unknown, o: { ts?: number; nonce?: string; secret?: string; raw?: string } = {}) {
  const raw = o.raw ?? JSON.stringify(body);
  const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? crypto.randomBytes(16).toString('hex');
  return { raw, headers: { 'X-Webhook-Timestamp': ts, 'X-Webhook-Nonce': nonce, 'X-Webhook-Signature': `sha256=${webhookSignature(o.secret ?? DEV_SECRETS.WEBHOOK_SECRET_CARRIER, ts, nonce, raw)}` } };
}

export const sendWebhook = (sys: TestSystem, req: { raw: string; headers: Record<string, string> }, source = 'carrier') => call(sys, 'POST', `/v1/webhooks/${source}`, { raw: req.raw, headers: req.headers });

/** The carrier's delivered event for a parcel, once the case has written it as the parcel it waits for (202). */
export async function carrierDelivers(sys: TestSystem, caseId: string, trackingNumber: string) {
  await eventually(() => sys.db.caseParcel.findFirst({ where: { caseId, trackingNumber } }), `parcel ${trackingNumber} watched`);
  const res = await sendWebhook(sys, signedWebhook({ eventId: `evt-${crypto.randomUUID()}`, type: 'delivered', trackingNumber, deliveredAt: new Date().toISOString() }));
  expect(res.status).toBe(202);
  return res;
}
