// The complaints report (GET /v1/reports/complaints, policy 7.4, 8.2) over HTTP against the real Temporal dev server
// and PostgreSQL: complaints driven through their stages by agents' tasks, the merchant's reply in the thread, a
// settlement, a rating and a withdrawal; the report's figures per merchant exactly (each test system has its own
// merchants); its period and grouping checked (400); staff only (403).
import { complaintsReportSchema } from '../../processes/complaint.report';
import { complaintStages } from '../../policy/complaints';
import { idem, complaintBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
const opened: string[] = [];
let startedAt: Date;
beforeAll(async () => {
  sys = await startTestSystem();
  startedAt = new Date(Date.now() - 1000);
});
afterAll(async () => {
  for (const id of opened) await sys?.api.deps.temporal.clients.forIdentity('test').workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await sys?.stop();
});

async function openComplaint(body: ReturnType<typeof complaintBody>, key: string) {
  const res = await call(sys, 'POST', '/v1/cases', { key, body, headers: { 'Idempotency-Key': idem() } });
  expect({ status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({ status: 201, body: undefined });
  opened.push(res.body.caseId);
  return res.body.caseId as string;
}
async function completeTask(caseId: string, type: string, payload: unknown) {
  const task = await eventually(async () => {
    const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.agent.apiKey });
    return r.body?.tasks?.find((t: any) => t.type === type);
  }, `${type} task`);
  const res = await call(sys, 'POST', `/v1/tasks/${task.taskId}/complete`, { key: sys.keys.agent.apiKey, body: { payload } });
  expect({ type, status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({ type, status: 200, body: undefined });
}
const stepOf = async (caseId: string) => (await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).body.step;
const atStep = (caseId: string, step: string) => eventually(async () => ((await stepOf(caseId)) === step ? true : undefined), step);
const report = (query: string, key = sys.keys.supervisor.apiKey) => call(sys, 'GET', `/v1/reports/complaints?${query}`, { key });
const period = () => `from=${encodeURIComponent(startedAt.toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;

test('per merchant: opened and closed, the stage each reached, the time in each stage, the settlement rate and the mean rating', async () => {
  const merchant = sys.keys.merchant.merchantId!;
  const other = sys.keys.otherMerchant.merchantId!;
  // A: online, through every stage to a paid settlement, rated 4: settled.
  const a = await openComplaint(complaintBody(merchant), sys.keys.storefront.apiKey);
  // B: by phone, classified and waiting for the merchant's reply: open.
  const b = await openComplaint(complaintBody(merchant, { channel: 'phone', category: 'service' }), sys.keys.agent.apiKey);
  // C: online, withdrawn by the complainant while in review: closed, not settled, not rated.
  const c = await openComplaint(complaintBody(merchant, { category: 'delivery' }), sys.keys.storefront.apiKey);
  // D: another merchant's, still in review.
  const d = await openComplaint(complaintBody(other), sys.keys.storefront.apiKey);

  for (const id of [a, b]) {
    await completeTask(id, 'complaint.information_review', { outcome: 'complete' });
    await completeTask(id, 'complaint.preliminary_judgement', { classification: 'product_quality' });
    await atStep(id, 'merchant_reply');
  }
  expect((await call(sys, 'POST', `/v1/cases/${a}/messages`, { key: sys.keys.merchant.apiKey, body: { body: 'We are sorry; we offer a compensation.' } })).status).toBe(201);
  await atStep(a, 'negotiation');
  const action = (name: string, key: string, body: unknown) => call(sys, 'POST', `/v1/cases/${a}/actions/${name}`, { key, body });
  expect((await action('propose-settlement', sys.keys.merchant.apiKey, { terms: 'compensation', amount: '20.00' })).status).toBe(200);
  expect((await action('respond-settlement', sys.keys.storefront.apiKey, { proposal: 1, decision: 'accept' })).status).toBe(200);
  await atStep(a, 'rating');
  expect((await action('complaint-rating', sys.keys.storefront.apiKey, { rating: 4 })).status).toBe(200);
  await atStep(a, 'closed');
  await eventually(async () => ((await call(sys, 'GET', `/v1/tasks?caseId=${c}&status=open`, { key: sys.keys.agent.apiKey })).body.tasks.length ? true : undefined), 'C in review');
  expect((await call(sys, 'POST', `/v1/cases/${c}/cancel`, { key: sys.keys.storefront.apiKey, body: { reasonCode: 'customer_request' } })).status).toBe(200);
  await atStep(c, 'closed');
  await eventually(async () => ((await stepOf(d)) === 'review' ? true : undefined), 'D in review');

  const res = await report(`${period()}&groupBy=merchant`);
  expect(res.status).toBe(200);
  const body = complaintsReportSchema.parse(res.body);
  expect(body.groupBy).toBe('merchant');
  const group = (key: string) => body.groups.find((g) => g.key === key)!;
  const figures = (key: string) => {
    const { stages, ...rest } = group(key);
    return { ...rest, reached: Object.fromEntries(stages.filter((s) => s.reached).map((s) => [s.stage, s.reached])), spans: Object.fromEntries(stages.filter((s) => s.spans).map((s) => [s.stage, s.spans])) };
  };
  expect(figures(merchant)).toEqual({
    key: merchant,
    opened: 3,
    closed: 2,
    settled: 1,
    settlementRate: 0.5,
    rated: 1,
    meanRating: 4,
    reached: { rating: 1, merchant_reply: 1, review: 1 },
    // Stays that ended: A's six stages, B's review and judgement, C's review.
    spans: { review: 3, judgement: 2, merchant_reply: 1, negotiation: 1, execution: 1, rating: 1 },
  });
  expect(figures(other)).toEqual({ key: other, opened: 1, closed: 0, settled: 0, settlementRate: null, rated: 0, meanRating: null, reached: { review: 1 }, spans: {} });
  expect(group(merchant).stages.map((s) => s.stage)).toEqual([...complaintStages]);
  for (const s of group(merchant).stages) {
    if (!s.spans) {
      expect([s.medianMs, s.p95Ms]).toEqual([null, null]);
      continue;
    }
    // Waits on people (a task, the thread, a party's action) take time; the payment's stage may take under a millisecond.
    if (s.stage !== 'execution') expect(s.medianMs!).toBeGreaterThan(0);
    expect(s.medianMs!).toBeGreaterThanOrEqual(0);
    expect(s.medianMs!).toBeLessThanOrEqual(s.p95Ms!);
  }
  expect(group(other).stages.every((s) => s.medianMs === null && s.p95Ms === null)).toBe(true);
  // The percentiles are the exact nearest-rank stays: against the spans' durations, recorded when each stay ended.
  const exact = (await sys.db.$queryRaw<{ step: string; ms: bigint[] }[]>`
    SELECT step, array_agg(duration_ms ORDER BY duration_ms) AS ms FROM case_steps
    WHERE case_id IN (${a}, ${b}, ${c}) AND duration_ms IS NOT NULL GROUP BY step`).map((r) => [r.step, r.ms.map(Number)] as const);
  expect(exact.length).toBeGreaterThan(0);
  const nearestRank = (sorted: number[], p: number) => sorted[Math.ceil(p * sorted.length) - 1];
  for (const [step, ms] of exact) {
    const s = group(merchant).stages.find((x) => x.stage === step)!;
    expect(s.spans).toBe(ms.length);
    expect([s.medianMs, s.p95Ms]).toEqual([nearestRank(ms, 0.5), nearestRank(ms, 0.95)]);
  }

  // By channel and by category: this system's complaints are among them (other test files share the database).
  for (const [groupBy, keys] of [['channel', ['online', 'phone']], ['category', ['product_quality', 'service', 'delivery']]] as const) {
    const r = await report(`${period()}&groupBy=${groupBy}`, sys.keys.auditor.apiKey);
    expect(r.status).toBe(200);
    const parsed = complaintsReportSchema.parse(r.body);
    expect(parsed.groups.map((g) => g.key)).toEqual(expect.arrayContaining([...keys]));
    for (const g of parsed.groups) expect(g.stages.reduce((n, s) => n + s.reached, 0)).toBeLessThanOrEqual(g.opened);
  }
  // Outside the period: none of them.
  const before = await report(`from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`, sys.keys.agent.apiKey);
  expect(before.status).toBe(200);
  expect(before.body.groups.find((g: any) => g.key === merchant)).toBeUndefined();
});

test('the period and the grouping are checked (400); only staff read the report (403), nobody without a key (401)', async () => {
  const bad = [
    'from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z', // from not before to
    'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
    'from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', // longer than 366 days
    'from=yesterday&to=2026-03-01T00:00:00Z',
    'groupBy=customer',
    'groupBy=merchant&colour=blue',
  ];
  for (const q of bad) {
    const res = await report(q);
    expect({ q, status: res.status, code: res.body.error?.code }).toEqual({ q, status: 400, code: 'VALIDATION_FAILED' });
  }
  expect((await report('from=2025-03-01T00:00:00Z&to=2026-03-01T00:00:00Z')).status).toBe(200); // 365 days
  expect((await report('')).status).toBe(200); // the last 30 days, per merchant
  for (const key of [sys.keys.storefront.apiKey, sys.keys.merchant.apiKey, sys.keys.admin.apiKey]) {
    const res = await report('groupBy=channel', key);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
  }
  expect((await call(sys, 'GET', '/v1/reports/complaints')).status).toBe(401);
});
