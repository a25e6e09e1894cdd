// Webhooks under load: the carrier's signed delivery events (POST /v1/webhooks/carrier) at a steady rate, each reaching
// its case once.
import { benchTrackingNumber, sendDelivered } from './carrier';
import { openReturn, waitForFirstTasks } from './cases';
import type { BenchContext } from './context';
import type { Options, Row } from './stages';
import { max, ms, now, percentile, pool, progress, range, sleep } from './util';

/**
 * `perMinute` delivered events a minute for `seconds`, spread over `cases` open returns (each case's parcel written as the
 * return's own step writes it). Each event has its own id; checked: every one answered 202, stored once, signalled once
 * (the carrierDelivered signals in the cases' histories, by event id).
 */
export async function webhookThroughput(ctx: BenchContext, o: Options & { webhookPerMinute?: number; webhookSeconds?: number; webhookCases?: number }): Promise<Row[]> {
  const perMinute = o.webhookPerMinute ?? 1000;
  const seconds = o.webhookSeconds ?? 60;
  const nCases = o.webhookCases ?? 50;
  const m = ctx.merchants.webhooks;
  progress(`webhooks: opening ${nCases} returns (they wait at merchant review; each gets a parcel of its own)`);
  const opened = await pool(range(nCases), ctx.concurrency, (_, lane) => openReturn(ctx, lane, m));
  const caseIds = opened.map((c) => c.caseId);
  await waitForFirstTasks(ctx, m, caseIds, 600_000);
  const parcels = caseIds.map((caseId) => ({ caseId, trackingNumber: benchTrackingNumber() }));
  for (const p of parcels) {
    await ctx.db.$executeRawUnsafe(`INSERT INTO case_parcels (case_id, leg, carrier, tracking_number, created_at) VALUES ($1, 'bench', 'SF', $2, timezone('UTC', now()))`, p.caseId, p.trackingNumber);
  }

  const total = Math.round((perMinute * seconds) / 60);
  const gapMs = 60_000 / perMinute;
  progress(`webhooks: ${total} signed delivered events at ${perMinute}/min over ${seconds} s, round-robin on ${nCases} cases`);
  const sent: { eventId: string; caseId: string; status: number; ms: number; lateMs: number }[] = [];
  const t0 = Date.now();
  await pool(range(total), Math.max(ctx.concurrency, 16), async (i) => {
    const due = t0 + i * gapMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const p = parcels[i % parcels.length];
    const eventId = `bench-${ctx.runId}-${i}`;
    const lateMs = Date.now() - due;
    const r = await sendDelivered(ctx, p.trackingNumber, eventId);
    sent.push({ eventId, caseId: p.caseId, status: r.status, ms: r.ms, lateMs });
  });
  const wallMs = Date.now() - t0;
  const accepted = sent.filter((s) => s.status === 202).length;

  // Once each: the events stored and signalled, and the signals in the cases' histories by event id.
  progress('webhooks: counting the stored events and the signals in the cases\' histories');
  const stored = await ctx.db.$queryRawUnsafe<{ n: bigint; signalled: bigint }[]>(
    `SELECT count(*) AS n, count(signalled_at) AS signalled FROM webhook_events WHERE source = 'carrier' AND event_id LIKE $1`,
    `bench-${ctx.runId}-%`,
  );
  const seen = new Map<string, number>();
  for (const caseId of caseIds) {
    const history = await ctx.client.workflow.getHandle(caseId).fetchHistory();
    for (const e of history.events ?? []) {
      const s = e.workflowExecutionSignaledEventAttributes;
      if (s?.signalName !== 'carrierDelivered') continue;
      const payload = s.input?.payloads?.[0]?.data;
      const eventId = payload ? (JSON.parse(Buffer.from(payload).toString('utf8')) as { eventId: string }).eventId : '';
      seen.set(eventId, (seen.get(eventId) ?? 0) + 1);
    }
  }
  const once = sent.filter((s) => seen.get(s.eventId) === 1).length;
  const twice = [...seen.values()].filter((n) => n > 1).length;
  const lat = sent.map((s) => s.ms);
  return [
    {
      figure: 'Webhook events (carrier delivered)',
      value: `${accepted}/${total} accepted in ${(wallMs / 1000).toFixed(1)} s (${((accepted / wallMs) * 60_000).toFixed(0)}/min); ${once} reached their case once, ${twice} more than once`,
      detail: `signed POST /v1/webhooks/carrier at ${perMinute}/min for ${seconds} s on ${nCases} open returns; latency p50 ${ms(percentile(lat, 50))}, p95 ${ms(percentile(lat, 95))}, max ${ms(max(lat))}; sending fell behind its schedule by at most ${ms(max(sent.map((s) => s.lateMs)))}; webhook_events rows ${stored[0]?.n ?? 0}, signalled ${stored[0]?.signalled ?? 0}; statuses ${JSON.stringify(Object.fromEntries([...new Set(sent.map((s) => s.status))].map((st) => [st, sent.filter((s) => s.status === st).length])))}`,
    },
  ];
}
