// Standalone API process: `tsx api/server.ts`. Needs DATABASE_URL and TEMPORAL_ADDRESS.
import crypto from 'node:crypto';
import http from 'node:http';
import { Connection } from '@temporalio/client';
import { loadConfig, secretsOf, type AppConfig } from '../lib/config';
import { createDb, type Db } from '../lib/db';
import { createLogger, type Logger } from '../lib/logger';
import { ClientPool, temporalConnectionOptions } from '../lib/temporal';
import { loadPolicy, type PolicyConfig } from '../processes/policyDocument';
import type { Registry } from '../lib/metrics';
import { createPorts, type Ports } from '../lib/ports';
import { CalendarStore } from '../lib/calendarStore';
import { hasYearCoverage } from '../policy/businessCalendar';
import { createApp } from './app';
import type { ApiDeps } from './deps';
import fs from 'node:fs';
import path from 'node:path';
import type { HistoryReplay } from '../processes/dossier';
import { startInboundMailServer, type InboundMailServer } from '../lib/inboundMail';
import { createInboundMailHandler } from '../processes/inboundMail';
import { createMailIntakeHandler, settingsOf as mailIntakeSettings } from '../processes/mailIntake';

export { loadPolicy };

export interface RunningApi {
  server: http.Server;
  url: string;
  /** What the app was built with (tests build further apps from it). */
  deps: ApiDeps;
  /** The inbound SMTP listener (INBOUND_MAIL_ENABLED), beside the API: replies to case notices. */
  inboundMail?: InboundMailServer;
  close(): Promise<void>;
}

/**
 * Starts the HTTP API; close() stops accepting connections and drains in-flight requests.
 * `ports`: the ones the process built with createPorts (shared with its worker); built from `cfg` when absent.
 */
export async function startApi(o: { cfg: AppConfig; db: Db; connection: Connection; logger: Logger; port?: number; host?: string; metrics?: Registry; ports?: Ports; calendars?: CalendarStore; replayHistories?: HistoryReplay }): Promise<RunningApi> {
  const policy = loadPolicy(o.cfg);
  // The national holidays in force (imports included), re-read every 30 s; a hand-written calendar stays as it is.
  const calendars = o.calendars ?? (await new CalendarStore(o.db, o.logger).start());
  let current: { version: string; policy: PolicyConfig } | undefined;
  const currentPolicy = (): PolicyConfig => {
    if (!hasYearCoverage(policy.calendar)) return policy;
    const version = calendars.snapshot().version;
    if (current?.version !== version) current = { version, policy: { ...policy, calendar: calendars.calendar(policy.calendar) } };
    return current.policy;
  };
  const ports = o.ports ?? createPorts(o.cfg, { db: o.db, logger: o.logger });
  const deps: ApiDeps = {
    db: o.db,
    logger: o.logger,
    temporal: {
      connection: o.connection,
      clients: new ClientPool(o.connection, o.cfg.TEMPORAL_NAMESPACE),
      namespace: o.cfg.TEMPORAL_NAMESPACE,
      taskQueue: o.cfg.TEMPORAL_TASK_QUEUE,
      uiUrl: o.cfg.TEMPORAL_UI_URL,
    },
    currentPolicy,
    calendars,
    limits: { perMinute: o.cfg.RATE_LIMIT_PER_MINUTE, burst: o.cfg.RATE_LIMIT_BURST },
    authFailureLimits: { perMinute: o.cfg.AUTH_FAILURE_LIMIT_PER_MINUTE, burst: o.cfg.AUTH_FAILURE_LIMIT_BURST },
    metricsAccess: { allow: o.cfg.METRICS_ALLOW, ...(o.cfg.METRICS_TOKEN && { token: o.cfg.METRICS_TOKEN }), refreshMs: o.cfg.METRICS_REFRESH_SECONDS * 1000 },
    ...(o.metrics && { metrics: o.metrics }),
    ports,
    ...(o.replayHistories && { replayHistories: o.replayHistories }),
    attachmentLimits: { maxFileBytes: o.cfg.ATTACHMENT_MAX_BYTES, maxCaseBytes: o.cfg.ATTACHMENT_MAX_CASE_BYTES, maxCaseFiles: o.cfg.ATTACHMENT_MAX_CASE_FILES, types: o.cfg.ATTACHMENT_TYPES },
    secrets: secretsOf(o.cfg),
    mailIntake: mailIntakeSettings(o.cfg),
  };
  const app = createApp(deps);
  let draining = false;
  const server = http.createServer((req, res) => {
    if (draining) res.setHeader('Connection', 'close');
    // While draining, a keep-alive connection closes as soon as its last response is out.
    res.on('finish', () => draining && setImmediate(() => server.closeIdleConnections()));
    app(req, res);
  });
  // A request Node's HTTP parser refuses before the app sees it (a NUL or another control character in a header, a
  // malformed request line, headers too large) still answers with the structured JSON error, then closes.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({
      error: { code: status === 431 ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST', message: 'The HTTP request could not be parsed (e.g. a NUL or control character in a header)', details: { parserCode: err.code ?? 'unknown' }, requestId: crypto.randomUUID() },
    });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? o.cfg.API_PORT, o.host ?? o.cfg.API_HOST, resolve));
  const addr = server.address() as { port: number; address: string };
  const url = `http://${o.host ?? o.cfg.API_HOST}:${addr.port}`;
  o.logger.info({ url, policyVersion: policy.version, calendarVersion: calendars.snapshot().version, calendarCoverage: calendars.coverage() }, 'API listening');
  // Replies to case notices (Reply-To case+<token>@INBOUND_MAIL_DOMAIN): a process setting, off by default.
  const inboundLog = o.logger.child({ component: 'inbound-mail' });
  const inboundMail = o.cfg.INBOUND_MAIL_ENABLED
    ? await startInboundMailServer({
        port: o.cfg.INBOUND_MAIL_PORT,
        host: o.cfg.INBOUND_MAIL_HOST,
        domain: o.cfg.INBOUND_MAIL_DOMAIN,
        maxBytes: o.cfg.INBOUND_MAIL_MAX_BYTES,
        log: inboundLog,
        onMessage: (() => {
          const handle = createInboundMailHandler({ db: o.db, blobs: ports.blobs, keys: ports.keys, clients: deps.temporal.clients, logger: o.logger, secret: o.cfg.REPLY_TOKEN_SECRET, domain: o.cfg.INBOUND_MAIL_DOMAIN, limits: deps.attachmentLimits! });
          // A mail to a process's intake address (complaints@…) is an intake, confirmed by its sender; any other, a reply.
          const intake = createMailIntakeHandler({ db: o.db, blobs: ports.blobs, logger: o.logger, limits: deps.attachmentLimits!, settings: deps.mailIntake!, taskQueue: o.cfg.TEMPORAL_TASK_QUEUE, keys: ports.keys });
          return async (m) => void ((await intake(m)) ?? (await handle(m)));
        })(),
      })
    : undefined;
  return {
    server,
    url,
    deps,
    ...(inboundMail && { inboundMail }),
    close: () =>
      new Promise<void>((resolve) => {
        void inboundMail?.close();
        draining = true;
        if (!o.calendars) calendars.stop();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      }),
  };
}

if (require.main === module) {
  (async () => {
    const cfg = loadConfig();
    const logger = createLogger('api', cfg.LOG_LEVEL);
    if (!cfg.DATABASE_URL || !cfg.TEMPORAL_ADDRESS) throw new Error('api/server.ts needs DATABASE_URL and TEMPORAL_ADDRESS; `npm run dev` starts everything with embedded defaults');
    const db = createDb(cfg.DATABASE_URL, { maxConnections: cfg.DB_POOL_SIZE });
    const ports = createPorts(cfg, { db, logger });
    const connection = await Connection.connect(temporalConnectionOptions(cfg.TEMPORAL_ADDRESS, cfg));
    // The dossier's replay: the workflow bundle this release's worker runs, built (or read from its cache) on first use.
    const [{ createHistoryReplayer }, { workflowBundle }, { caseBundleOptions }] = await Promise.all([import('../worker/historyReplayer'), import('../worker/workflowBundle'), import('../worker/worker')]);
    const replayHistories = createHistoryReplayer(async () => (await workflowBundle({ ...caseBundleOptions(), cacheDir: path.resolve(cfg.DATA_DIR, 'workflow-bundle') })).code);
    const api = await startApi({ cfg, db, connection, logger, ports, replayHistories });
    const stop = async () => {
      logger.info('draining API');
      await api.close();
      await connection.close();
      await db.$disconnect();
      process.exit(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  })().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
