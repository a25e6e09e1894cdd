// What the server side of a process (its opening, its presentation, its routes) and the API around it are handed:
// the database, the Temporal clients, the policy in force and the external ports, built once at start-up.
import type { Connection } from '@temporalio/client';
import type { CalendarStore } from '../lib/calendarStore';
import type { Secrets } from '../lib/config';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Registry } from '../lib/metrics';
import type { Ports } from '../lib/ports';
import type { ClientPool } from '../lib/temporal';
import type { HistoryReplay } from './dossier';
import type { MailIntakeSettings } from './mailIntake';
import type { PolicyConfig } from './policyDocument';
import type { PersonalReads } from '../lib/personalAccess';

export interface ApiDeps {
  db: Db;
  logger: Logger;
  temporal: {
    connection: Connection;
    clients: ClientPool;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
  };
  /** The policy configuration new cases start with. */
  currentPolicy: () => PolicyConfig;
  /** Per-principal rate limits on /v1 (default 600 per minute, bursts of 60). */
  limits?: { perMinute: number; burst: number };
  /** Who may read GET /metrics (addresses, networks, a bearer token) and how old its counts may be (api/metrics.ts). */
  metricsAccess?: { allow?: string[]; token?: string; refreshMs?: number };
  /** Requests without a valid key per client address, checked before authentication (default 30 per minute, bursts of 20). */
  authFailureLimits?: { perMinute: number; burst: number };
  /** Prometheus registry for GET /metrics; pass the worker's to expose activity metrics too. Default: a new one per app. */
  metrics?: Registry;
  /** The external ports, whole (lib/ports.ts createPorts): a new port reaches every route without an edit here. */
  ports: Ports;
  /** Reads of personal fields, masked or in clear and recorded (lib/personalAccess.ts); createApp sets it from the catalogue's roles. */
  personalReads?: PersonalReads;
  /** The national holiday data in force (lib/calendarStore.ts): /readyz and /metrics report its coverage; startApi sets it. */
  calendars?: CalendarStore;
  /** Secrets read once by loadConfig() (lib/config.ts secretsOf); startApi always sets them. */
  secrets?: Secrets;
  /** Replays histories against the workflow code this system runs (worker/historyReplayer.ts): the dossier's replay result. */
  replayHistories?: HistoryReplay;
  /** The e-mail intake's settings (processes/mailIntake.ts: link signing and expiry, addresses); startApi sets them. */
  mailIntake?: MailIntakeSettings;
  /** Evidence attachments: per-file and per-case limits and the accepted types (lib/config.ts ATTACHMENT_*); defaults when absent. */
  attachmentLimits?: { maxFileBytes: number; maxCaseBytes: number; maxCaseFiles: number; types: readonly string[] };
}

/**
 * What opening a case needs (processes/caseOpening.ts), in the API and in the worker alike: the database, the Temporal
 * clients and task queue its workflow starts on, the policy new cases start with, the ports and the secrets.
 */
export type CaseOpeningDeps = Pick<ApiDeps, 'db' | 'logger' | 'currentPolicy' | 'ports' | 'secrets'> & { temporal: { clients: ClientPool; taskQueue: string } };

export function workflowUiLink(deps: ApiDeps, workflowId: string): string {
  return `${deps.temporal.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The reads of personal fields the API was given (createApp always sets them). */
export function personalReadsOf(deps: ApiDeps): PersonalReads {
  if (!deps.personalReads) throw new Error('ApiDeps.personalReads is set by createApp');
  return deps.personalReads;
}
