// The carrier's signed delivery events (POST /v1/webhooks/carrier), as the carrier sends them: for the cases the bench
// drives (a parcel of their own per case) and for the webhook load (scripts/bench/webhooks.ts).
import crypto from 'node:crypto';
import { webhookSignature } from '../../api/routes/webhooks';
import { DEV_SECRETS } from '../../lib/config';
import type { BenchContext } from './context';
import { now, sleep } from './util';

const secret = () => process.env.WEBHOOK_SECRET_CARRIER || DEV_SECRETS.WEBHOOK_SECRET_CARRIER;

/** A tracking number of this run's own (the webhook finds the case by it). */
export const benchTrackingNumber = () => `BENCH${crypto.randomBytes(8).toString('hex').toUpperCase()}`;

/** The carrier's delivered event, signed; its status and duration. */
export async function sendDelivered(ctx: Pick<BenchContext, 'apiUrl'>, trackingNumber: string, eventId = `bench-${crypto.randomUUID()}`): Promise<{ status: number; ms: number; body: any }> {
  const raw = JSON.stringify({ eventId, type: 'delivered', trackingNumber, deliveredAt: new Date().toISOString() });
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = crypto.randomBytes(16).toString('hex');
  const t = now();
  const res = await fetch(`${ctx.apiUrl}/v1/webhooks/carrier`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Webhook-Timestamp': ts, 'X-Webhook-Nonce': nonce, 'X-Webhook-Signature': `sha256=${webhookSignature(secret(), ts, nonce, raw)}` },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, ms: now() - t, body: text ? JSON.parse(text) : undefined };
}

/** The delivery of a case's parcel, once the case waits for it (404 until its parcel is written: retried). */
export async function carrierDelivers(ctx: Pick<BenchContext, 'apiUrl'>, trackingNumber: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const r = await sendDelivered(ctx, trackingNumber);
    if (r.status === 202 || r.status === 200) return;
    if (r.status !== 404 || Date.now() - t0 > timeoutMs) throw new Error(`carrier webhook for ${trackingNumber}: ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(250);
  }
}

