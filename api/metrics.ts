// GET /metrics in the Prometheus text format: API latency (recorded per request), case, task and SLA counts (read from
// PostgreSQL), workflow failures (Temporal visibility) and, when the worker shares the registry (scripts/system.ts),
// activity executions and failures (worker/metrics.ts). The counts come from a snapshot taken at most once per
// refresh period (METRICS_REFRESH_SECONDS), however often it is scraped. Access can be limited to addresses or
// networks (METRICS_ALLOW) and to a bearer token (METRICS_TOKEN).
import { processes } from '../processes';
import crypto from 'node:crypto';
import net from 'node:net';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ApiError } from './errors';
import { metric, Registry } from '../lib/metrics';
import type { ApiDeps } from './deps';
import { defineRoute, mount } from './routeSpec';

export { Registry };

export const metricsRoute = defineRoute({
  id: 'getMetrics',
  method: 'get',
  path: '/metrics',
  action: null,
  summary:
    'Prometheus metrics: cases, open tasks, SLA breaches, API latency, workflow and activity failures. Needs no API key; an operator may limit it to addresses or networks (METRICS_ALLOW: 403 FORBIDDEN from elsewhere) and to a bearer token (METRICS_TOKEN: 401 UNAUTHENTICATED without it)',
  tag: 'operations',
  success: { status: 200, description: 'Metrics in the Prometheus text exposition format (text/plain; version=0.0.4)', contentType: 'text/plain' },
  errors: [],
});

/** The Express route pattern that handled the request (/v1/cases/:caseId), or 'unmatched' (404s, 401s, 413s, 429s...). */
function routeLabel(req: Request): string {
  const path = req.route?.path;
  if (path === undefined) return 'unmatched';
  return `${req.baseUrl ?? ''}${typeof path === 'string' ? path : String(path)}` || '/';
}

/** Records casework_http_request_duration_seconds for every finished response. Mount first, before the routes. */
export function httpMetrics(registry: Registry): RequestHandler {
  const duration = metric(registry, 'histogram', {
    name: 'casework_http_request_duration_seconds',
    help: 'HTTP API latency from request to response finished, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      duration.observe({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }, seconds);
    });
    next();
  };
}

interface Row {
  kind: 'cases' | 'open_tasks' | 'sla_breaches' | 'sla_lapsed';
  a: string | null;
  b: string | null;
  n: number;
}

interface Snapshot {
  rows?: Row[];
  workflowFailures?: Record<string, number>;
}

const WORKFLOW_FAILURE_STATUSES = { failed: 'Failed', timed_out: 'TimedOut', terminated: 'Terminated' } as const;
const TEMPORAL_TIMEOUT_MS = 3_000;

/**
 * Registers the gauges computed at scrape time. One snapshot (a single SQL round trip and the Temporal counts) is taken per
 * scrape and shared by every gauge's collect(). A source that cannot be read leaves its gauges without samples and sets
 * casework_metrics_source_up{source} to 0; the scrape itself still succeeds.
 */
export function registerStateMetrics(registry: Registry, deps: ApiDeps, refreshMs = deps.metricsAccess?.refreshMs ?? DEFAULT_METRICS_REFRESH_MS): void {
  let inflight: Promise<Snapshot> | undefined;
  let last: { at: number; s: Snapshot } | undefined;
  const taken = metric(registry, 'counter', { name: 'casework_metrics_snapshots_total', help: 'Snapshots of the database and Temporal counts taken for /metrics (at most one per refresh period)' });
  const snapshot = (): Promise<Snapshot> => {
    if (last && Date.now() - last.at < refreshMs) return Promise.resolve(last.s);
    inflight ??= takeSnapshot(deps)
      .then((s) => {
        taken.inc();
        last = { at: Date.now(), s };
        return s;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const gauge = (name: string, help: string, labelNames: string[], fill: (s: Snapshot, set: (labels: Record<string, string>, v: number) => void) => void) => {
    metric(registry, 'gauge', {
      name,
      help,
      labelNames,
      async collect() {
        const s = await snapshot();
        this.reset();
        fill(s, (labels, v) => this.set(labels, v));
      },
    });
  };
  const rowsOf = (s: Snapshot, kind: Row['kind']) => (s.rows ?? []).filter((r) => r.kind === kind);

  gauge('casework_metrics_source_up', 'Whether this scrape could read the source (1) or not (0): database, temporal', ['source'], (s, set) => {
    set({ source: 'database' }, s.rows ? 1 : 0);
    set({ source: 'temporal' }, s.workflowFailures ? 1 : 0);
  });
  gauge('casework_cases_started', 'Cases ever opened, by case type (every type of the process catalogue, 0 until its first case)', ['type'], (s, set) => {
    const byType = new Map<string, number>(s.rows ? processes.map((p) => [p.caseType, 0]) : []);
    for (const r of rowsOf(s, 'cases')) byType.set(r.a!, (byType.get(r.a!) ?? 0) + r.n);
    for (const [type, n] of byType) set({ type }, n);
  });
  gauge('casework_cases', 'Cases by case type and status (open, closed); every catalogue type has both series', ['type', 'status'], (s, set) => {
    if (s.rows) for (const p of processes) for (const status of ['open', 'closed']) set({ type: p.caseType, status }, 0);
    for (const r of rowsOf(s, 'cases')) set({ type: r.a!, status: r.b! }, r.n);
  });
  gauge('casework_open_tasks', 'Open human tasks by the role they wait on', ['role'], (s, set) => {
    for (const r of rowsOf(s, 'open_tasks')) set({ role: r.a! }, r.n);
  });
  gauge('casework_sla_breaches', "SLA breaches recorded in the audit trail (events 'sla.breached'), by SLA", ['sla'], (s, set) => {
    for (const r of rowsOf(s, 'sla_breaches')) set({ sla: r.a! }, r.n);
  });
  gauge('casework_sla_lapsed_tasks', "Tasks that expired unanswered (status 'expired'), by SLA", ['sla'], (s, set) => {
    for (const r of rowsOf(s, 'sla_lapsed')) set({ sla: r.a! }, r.n);
  });
  if (deps.calendars) {
    const calendars = deps.calendars;
    metric(registry, 'gauge', {
      name: 'casework_calendar_official_days_left',
      help: 'Days until the official (State Council notice) holiday data ends, today included; 60 or fewer: /readyz is degraded',
      labelNames: ['official_through', 'calendar_version'],
      collect() {
        const c = calendars.coverage();
        this.reset();
        this.set({ official_through: c.officialThrough ?? 'none', calendar_version: calendars.snapshot().version }, c.daysLeft);
      },
    });
    metric(registry, 'gauge', {
      name: 'casework_calendar_coverage_degraded',
      help: 'Whether the official holiday data ends within 60 days (1) or not (0)',
      collect() {
        this.set(calendars.coverage().degraded ? 1 : 0);
      },
    });
  }
  gauge('casework_workflow_executions_failed', 'Workflow executions in the namespace that failed, timed out or were terminated (Temporal visibility)', ['status'], (s, set) => {
    for (const [status, n] of Object.entries(s.workflowFailures ?? {})) set({ status }, n);
  });
}

async function takeSnapshot(deps: ApiDeps): Promise<Snapshot> {
  const [rows, workflowFailures] = await Promise.all([readDatabase(deps), readTemporal(deps)]);
  return { rows, workflowFailures };
}

async function readDatabase(deps: ApiDeps): Promise<Row[] | undefined> {
  try {
    return await deps.db.$queryRaw<Row[]>`
      SELECT 'cases' AS kind, type AS a, status AS b, count(*)::int AS n FROM cases GROUP BY type, status
      UNION ALL
      SELECT 'open_tasks', role::text, NULL, count(*)::int FROM tasks WHERE status = 'open' GROUP BY role
      UNION ALL
      SELECT 'sla_breaches', coalesce(payload->>'sla', 'unknown'), NULL, count(*)::int FROM audit_events WHERE type = 'sla.breached' GROUP BY 2
      UNION ALL
      SELECT 'sla_lapsed', sla_name, NULL, count(*)::int FROM tasks WHERE status = 'expired' GROUP BY sla_name`;
  } catch (err) {
    deps.logger.warn({ err }, 'metrics: database unavailable, skipping its samples');
    return undefined;
  }
}

async function readTemporal(deps: ApiDeps): Promise<Record<string, number> | undefined> {
  const { connection, namespace } = deps.temporal;
  try {
    const counts = await connection.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () =>
      Promise.all(
        Object.entries(WORKFLOW_FAILURE_STATUSES).map(async ([label, status]) => {
          const res = await connection.workflowService.countWorkflowExecutions({ namespace, query: `ExecutionStatus='${status}'` });
          return [label, Number(String(res.count ?? 0))] as const;
        }),
      ),
    );
    return Object.fromEntries(counts);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'metrics: Temporal visibility unavailable, skipping workflow failure samples');
    return undefined;
  }
}

/** How old the counts of a scrape may be: 15 s by default (METRICS_REFRESH_SECONDS). */
export const DEFAULT_METRICS_REFRESH_MS = 15_000;

export interface MetricsAccess {
  /** Addresses and networks (CIDR) allowed to scrape; empty: any. */
  allow?: string[];
  /** A bearer token a scrape must send; absent: none. */
  token?: string;
  /** The snapshot's refresh period. */
  refreshMs?: number;
}

/** The check of GET /metrics: the client address in METRICS_ALLOW (403 otherwise), then the bearer token (401). */
function metricsGuard(access: MetricsAccess | undefined): (req: Request) => void {
  const allow = access?.allow?.length ? new net.BlockList() : undefined;
  for (const entry of access?.allow ?? []) {
    const [address, bits] = entry.split('/');
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) allow!.addAddress(address, type);
    else allow!.addSubnet(address, Number(bits), type);
  }
  const token = access?.token ? crypto.createHash('sha256').update(access.token).digest() : undefined;
  return (req) => {
    if (allow) {
      const raw = req.socket.remoteAddress ?? '';
      const mapped = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
      const ok = net.isIPv4(mapped) ? allow.check(mapped, 'ipv4') : allow.check(mapped, 'ipv6');
      if (!ok) throw new ApiError(403, 'FORBIDDEN', 'This address may not read the metrics (METRICS_ALLOW)');
    }
    if (token) {
      const m = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
      const given = m ? crypto.createHash('sha256').update(m[1]).digest() : undefined;
      if (!given || !crypto.timingSafeEqual(given, token)) throw new ApiError(401, 'UNAUTHENTICATED', 'The metrics need the bearer token (METRICS_TOKEN)');
    }
  };
}

/** GET /metrics: public, like /healthz, unless METRICS_ALLOW or METRICS_TOKEN limit it. */
export function metricsRouter(deps: ApiDeps, registry: Registry): Router {
  registerStateMetrics(registry, deps);
  const router = Router();
  const guard = metricsGuard(deps.metricsAccess);
  mount(router, metricsRoute, async (req, res) => {
    guard(req);
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  });
  return router;
}
