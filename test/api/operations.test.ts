// Operations: GET /metrics (Prometheus), per-principal rate limits (429 + Retry-After), body size limits (413), health.
// Real PostgreSQL, the real Temporal dev server, a real worker and the HTTP API (test/helpers/system.ts).
import http from 'node:http';
import { Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { Registry } from '../../api/metrics';
import { TokenBuckets } from '../../api/rateLimit';
import { idem, returnBody as sharedReturnBody } from '../../scripts/harness/bodies';
import { call, eventually, startTestSystem, type TestSystem } from '../helpers/system';

let sys: TestSystem;
const servers: http.Server[] = [];
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await sys?.stop();
});


const returnBody = () => sharedReturnBody(sys.keys.merchant.merchantId);

/** Starts another app on the same services (port 0) and returns its base URL. */
async function listen(app: http.RequestListener): Promise<string> {
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function scrape(base = sys.api.url) {
  const res = await fetch(`${base}/metrics`);
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** The value of the sample with exactly this name and these labels (in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const samples = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('GET /metrics', () => {
  test('is public Prometheus text with case, task, SLA, latency, workflow and activity metrics', async () => {
    const before = await scrape();
    const startedBefore = sample(before.text, 'casework_cases_started', { type: 'return' }) ?? 0;

    const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(), headers: { 'Idempotency-Key': idem() } });
    expect(opened.status).toBe(201);
    const caseId = opened.body.caseId as string;
    // The merchant review task is opened by an activity: the worker ran activities once it shows up.
    await eventually(async () => {
      const r = await call(sys, 'GET', `/v1/tasks?caseId=${caseId}&status=open`, { key: sys.keys.merchant.apiKey });
      return r.body?.tasks?.some((t: any) => t.type === 'return.merchant_review');
    }, 'merchant review task');
    expect((await call(sys, 'GET', `/v1/cases/${caseId}`, { key: sys.keys.auditor.apiKey })).status).toBe(200);

    const m = await scrape();
    expect(m.status).toBe(200);
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    // Computed from PostgreSQL at scrape time.
    expect(sample(m.text, 'casework_cases_started', { type: 'return' })).toBeGreaterThanOrEqual(Math.max(1, startedBefore + 1));
    expect(sample(m.text, 'casework_cases', { type: 'return', status: 'open' })).toBeGreaterThanOrEqual(1);
    expect(m.text).toContain('# TYPE casework_open_tasks gauge');
    expect(sample(m.text, 'casework_open_tasks', { role: 'merchant' })).toBeGreaterThanOrEqual(1);
    expect(m.text).toContain('# TYPE casework_sla_breaches gauge');
    expect(m.text).toContain('# TYPE casework_sla_lapsed_tasks gauge');
    expect(sample(m.text, 'casework_metrics_source_up', { source: 'database' })).toBe(1);

    // API latency per route pattern (not per concrete URL).
    const buckets = samples(m.text, 'casework_http_request_duration_seconds_bucket').filter((l) => l.includes('route="/v1/cases/:caseId"') && l.includes('method="GET"') && l.includes('status="200"'));
    expect(buckets.length).toBeGreaterThan(0);
    expect(sample(m.text, 'casework_http_request_duration_seconds_count', { method: 'POST', route: '/v1/cases', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(m.text).not.toContain(caseId);

    // Temporal visibility at scrape time.
    expect(sample(m.text, 'casework_metrics_source_up', { source: 'temporal' })).toBe(1);
    // Each status is a series whose value is what visibility counts for it (no case in this test fails).
    const visibility = sys.connection.workflowService;
    for (const [status, query] of [['failed', 'Failed'], ['timed_out', 'TimedOut'], ['terminated', 'Terminated']] as const) {
      const counted = Number(String((await visibility.countWorkflowExecutions({ namespace: 'default', query: `ExecutionStatus='${query}'` })).count ?? 0));
      expect({ status, value: sample(m.text, 'casework_workflow_executions_failed', { status }) }).toEqual({ status, value: counted });
    }

    // Activity counters from the worker, which shares the registry.
    const executions = samples(m.text, 'casework_activity_executions_total').reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(executions).toBeGreaterThan(0);
    expect(m.text).toContain('# TYPE casework_activity_failures_total counter');
  });

  test('counts a terminated workflow', async () => {
    const opened = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body: returnBody(), headers: { 'Idempotency-Key': idem() } });
    expect(opened.status).toBe(201);
    const before = sample((await scrape()).text, 'casework_workflow_executions_failed', { status: 'terminated' })!;
    await sys.connection.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: opened.body.caseId }, reason: 'metrics test' });
    // Visibility is eventually consistent.
    await eventually(async () => (sample((await scrape()).text, 'casework_workflow_executions_failed', { status: 'terminated' }) ?? 0) > before, 'terminated count');
  });

  test('still answers when Temporal is unreachable, without workflow samples', async () => {
    const unreachable = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const base = await listen(createApp({ ...sys.api.deps, metrics: new Registry(), temporal: { ...sys.api.deps.temporal, connection: unreachable } }));
    const m = await scrape(base);
    expect(m.status).toBe(200);
    expect(sample(m.text, 'casework_metrics_source_up', { source: 'temporal' })).toBe(0);
    expect(sample(m.text, 'casework_metrics_source_up', { source: 'database' })).toBe(1);
    expect(samples(m.text, 'casework_workflow_executions_failed')).toEqual([]);
    expect(sample(m.text, 'casework_cases_started', { type: 'return' })).toBeGreaterThanOrEqual(1);
  });

  test('however often it is scraped, the counts come from one snapshot per refresh period', async () => {
    const base = await listen(createApp({ ...sys.api.deps, metrics: new Registry(), metricsAccess: { refreshMs: 60_000 } }));
    const scrapes = [await scrape(base), await scrape(base), await scrape(base)];
    expect(scrapes.map((m) => m.status)).toEqual([200, 200, 200]);
    expect(sample(scrapes[2].text, 'casework_metrics_snapshots_total', {})).toBe(1);
    expect(sample(scrapes[2].text, 'casework_cases', { type: 'return', status: 'open' })).toBe(sample(scrapes[0].text, 'casework_cases', { type: 'return', status: 'open' }));
  });

  test('limited to a bearer token (401 without it) and to addresses or networks (403 from elsewhere)', async () => {
    const token = 'scrape-token-0123456789';
    const withToken = await listen(createApp({ ...sys.api.deps, metrics: new Registry(), metricsAccess: { token } }));
    expect((await fetch(`${withToken}/metrics`)).status).toBe(401);
    expect((await fetch(`${withToken}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(`${withToken}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('casework_cases');
    const elsewhere = await listen(createApp({ ...sys.api.deps, metrics: new Registry(), metricsAccess: { allow: ['10.0.0.0/8', '192.168.1.7'] } }));
    const refused = await fetch(`${elsewhere}/metrics`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error.code).toBe('FORBIDDEN');
    const loopback = await listen(createApp({ ...sys.api.deps, metrics: new Registry(), metricsAccess: { allow: ['127.0.0.0/8'] } }));
    expect((await fetch(`${loopback}/metrics`)).status).toBe(200);
  });
});

describe('rate limits', () => {
  let base: string;
  beforeAll(async () => {
    base = await listen(createApp({ ...sys.api.deps, limits: { perMinute: 60, burst: 3 } }));
  });
  const get = (key: string) => fetch(`${base}/v1/tasks?status=open`, { headers: { authorization: `Bearer ${key}` } });

  test('past the burst a principal gets 429 with Retry-After and a structured error; another principal is unaffected', async () => {
    const statuses: number[] = [];
    let last!: Response;
    for (let i = 0; i < 4; i++) {
      last = await get(sys.keys.agent.apiKey);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const retryAfter = last.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const body = await last.json();
    expect(body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('60 per minute'), requestId: last.headers.get('x-request-id') } });

    const other = await get(sys.keys.supervisor.apiKey);
    expect(other.status).toBe(200);
    // The limited principal is still limited; unauthenticated requests are answered by authentication, not the limiter.
    expect((await get(sys.keys.agent.apiKey)).status).toBe(429);
    expect((await fetch(`${base}/v1/tasks`)).status).toBe(401);
    // Health and metrics are not rate limited.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  test('the default limits let ordinary traffic through', async () => {
    for (let i = 0; i < 10; i++) expect((await call(sys, 'GET', '/v1/tasks?status=open', { key: sys.keys.agent.apiKey })).status).toBe(200);
  });

  test('buckets refill at the sustained rate and idle ones are dropped', () => {
    let now = 0;
    const b = new TokenBuckets({ perMinute: 60, burst: 2 }, () => now, 60_000);
    expect(b.take('p').ok).toBe(true);
    expect(b.take('p').ok).toBe(true);
    expect(b.take('p')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 500;
    expect(b.take('p')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 500;
    expect(b.take('p')).toMatchObject({ ok: true });
    b.take('q');
    expect(b.size).toBe(2);
    now += 120_000;
    b.take('r'); // past the sweep interval: full buckets are dropped
    expect(b.size).toBe(1);
    const slow = new TokenBuckets({ perMinute: 6, burst: 1 }, () => 0);
    slow.take('x');
    expect(slow.take('x')).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(() => new TokenBuckets({ perMinute: 0, burst: 1 })).toThrow(/at least 1/);
  });
});

test('a body over 64 kB is refused with 413 PAYLOAD_TOO_LARGE', async () => {
  const body = { ...returnBody(), padding: 'x'.repeat(70 * 1024) };
  const res = await call(sys, 'POST', '/v1/cases', { key: sys.keys.storefront.apiKey, body, headers: { 'Idempotency-Key': idem() } });
  expect(res.status).toBe(413);
  expect(res.body).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), requestId: res.headers.get('x-request-id') } });
});

test('GET /healthz answers 200 without authentication', async () => {
  const res = await call(sys, 'GET', '/healthz');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ok' });
});
