// The activity contract workflows call. Arguments carry ids, enums and amounts only.
import type { Role } from '../policy/roles';

export interface CaseEventInput {
  caseId: string;
  /** Deterministic per workflow; makes the append idempotent under retries. */
  eventKey: string;
  type: string;
  actor: string;
  /** Workflow time of the event (ISO). */
  at: string;
  payload: Record<string, unknown>;
  /** Optional update of the case read model in the same transaction. */
  casePatch?: { status?: string; step?: string; deadlines?: Record<string, string | null>; outcome?: string | null; closed?: boolean; /** A merchant named after opening (CaseKit.identifyMerchant). */ merchantId?: string };
  /** The workflow's sequence number for this write: a deadlines list replaces the stored one only if newer. */
  deadlinesVersion?: number;
}

export interface OpenTaskInput {
  taskId: string;
  caseId: string;
  caseType: string;
  type: string;
  role: Role;
  merchantId?: string;
  slaName: string;
  dueAt: string;
  at: string;
  eventKey: string;
  /** Every deadline now running on the case, this task's included: the case row follows. */
  deadlines?: Record<string, string | null>;
  deadlinesVersion?: number;
}

export interface CloseTaskInput {
  taskId: string;
  caseId: string;
  status: 'completed' | 'expired' | 'cancelled';
  /** 'completed' by a person, 'auto:<decision>' when the policy decided, or 'cancelled'. */
  resolution: string;
  actor: string;
  result?: unknown;
  at: string;
  eventKey: string;
  /** Every deadline still running once this task is closed. */
  deadlines?: Record<string, string | null>;
  deadlinesVersion?: number;
}

export interface EscalateTaskInput {
  taskId: string;
  caseId: string;
  kind: 'reminder' | 'breach';
  action?: 'reassign-to-supervisor' | 'notify' | 'default-decision';
  slaName: string;
  dueAt: string;
  at: string;
  eventKey: string;
}

export interface NotifyInput {
  /** Unique per case and milestone: the outbox key. */
  key: string;
  caseId: string;
  template: string;
  recipient: { kind: 'customer' | 'merchant' | 'role'; id: string };
  params: Record<string, string | number | null>;
  at: string;
  eventKey: string;
  /**
   * The case wants a delivery receipt: once SMTP accepts the notice and the send is recorded, the outbox signals the
   * case's workflow (noticeDelivered; CaseKit awaitNoticeDelivered). Ask it of at-least-once templates only: an
   * uncertain send gives no receipt, and only an at-least-once notice is sent again.
   */
  receipt?: boolean;
}

export interface RefundInput {
  caseId: string;
  amountMinor: number;
  currency: string;
  /**
   * 暂行办法 art. 17: the route, when the case knows the order's payment (policy/refundRoute.ts): the original payment
   * (`paymentRef`), or the way the customer chose (`bank_account` with `payeeRef`, or `platform_balance`; `routeBasis`).
   * Absent: the order's own refund, as before.
   */
  route?: 'original' | 'platform_balance' | 'bank_account';
  paymentRef?: string;
  payeeRef?: string;
  routeBasis?: 'chosen' | 'default';
  at: string;
  eventKey: string;
}

export interface RefundResult {
  paymentId: string;
  gatewayRef: string;
  status: 'succeeded';
}

export interface RecordReturnShippingInput {
  caseId: string;
  payer: 'platform' | 'merchant';
  carrier: string;
  at: string;
  eventKey: string;
}

/** The running deadlines of a case, written when they changed with no other write carrying them (DEADLINES_ON_CHANGE_PATCH). */
export interface SetDeadlinesInput {
  caseId: string;
  deadlines: Record<string, string | null>;
  deadlinesVersion: number;
  /** Workflow time of the change (ISO). */
  at: string;
}

/**
 * A parcel the case waits for (patch carrier-delivery-events): the carrier's delivery webhook finds the case by its
 * tracking number (api/routes/webhooks.ts). One row per case and leg; a later parcel of the same leg replaces it.
 */
export interface WatchParcelInput {
  caseId: string;
  /** Which of the case's parcels: 'return' (the goods back to the merchant), 'to_centre' (a repair's courier). */
  leg: string;
  carrier: string;
  trackingNumber: string;
  at: string;
}

/** One write of a case's step; CaseKit sends a step's writes together (applyCaseWrites), in the order made. */
export type CaseWrite =
  | { kind: 'recordCaseEvent'; input: CaseEventInput }
  | { kind: 'openTask'; input: OpenTaskInput }
  | { kind: 'closeTask'; input: CloseTaskInput }
  | { kind: 'escalateTask'; input: EscalateTaskInput }
  | { kind: 'notify'; input: NotifyInput }
  | { kind: 'setDeadlines'; input: SetDeadlinesInput }
  | { kind: 'watchParcel'; input: WatchParcelInput };

export interface CaseWritesInput {
  caseId: string;
  writes: CaseWrite[];
}

/** How one case stands to another (case_links.type), read from the case that made the link. */
export type CaseLinkType = 'handed_over_to' | 'related' | 'escalated_from';
export const CASE_LINK_TYPES: readonly CaseLinkType[] = ['handed_over_to', 'related', 'escalated_from'];

/** Opens a case of another process linked to this one (CaseKit openLinkedCase; activities/caseLinks.ts). */
export interface OpenLinkedCaseInput {
  fromCaseId: string;
  /** The case type of the case to open (a process of the catalogue). */
  caseType: string;
  /** Its opening body, as POST /v1/cases takes it without `type`: ids and enums only. */
  body: Record<string, string | number | boolean | null>;
  linkType: CaseLinkType;
  /** Derived from the case id and its event sequence: a retry or a replay never opens a second case. */
  idempotencyKey: string;
  /** The from-case's audit event of the link (case.linked). */
  eventKey: string;
  /** Workflow time of the link (ISO). */
  at: string;
}

export type OpenLinkedCaseResult =
  | { status: 'linked'; caseId: string; caseType: string; replayed: boolean }
  | { status: 'skipped'; reason: 'process_not_in_catalogue' | 'refused' | 'opening_unavailable'; code?: string };

export interface CaseActivities {
  /** A step's writes in one transaction (cases from the batched-writes patch on). */
  applyCaseWrites(input: CaseWritesInput): Promise<void>;
  recordCaseEvent(input: CaseEventInput): Promise<void>;
  openTask(input: OpenTaskInput): Promise<void>;
  closeTask(input: CloseTaskInput): Promise<void>;
  escalateTask(input: EscalateTaskInput): Promise<void>;
  notify(input: NotifyInput): Promise<void>;
  /** The parcel the case waits for, findable by its tracking number (cases whose writes are not batched). */
  watchParcel(input: WatchParcelInput): Promise<void>;
  issueRefund(input: RefundInput): Promise<RefundResult>;
  recordReturnShipping(input: RecordReturnShippingInput): Promise<void>;
  /** Opens a linked case of another process and records the link on both cases (activities/caseLinks.ts). */
  openLinkedCase(input: OpenLinkedCaseInput): Promise<OpenLinkedCaseResult>;
  /** The calendar years a deadline reaches, as in force now (activities/calendar.ts). */
  resolveCalendar(input: import('./calendar').ResolveCalendarInput): Promise<import('./calendar').ResolvedCalendar>;
}

/**
 * The signed dossier of a case exported for an outside body (an arbitration institution, a court: policy 8.4): written
 * by the worker (processes/dossier.ts) as a case attachment (application/x-tar), once per `eventKey`.
 */
export interface ExportCaseDossierInput {
  caseId: string;
  /** Why: the route it goes to (arbitration, litigation). */
  purpose: string;
  at: string;
  eventKey: string;
}

export interface ExportCaseDossierResult {
  attachmentId: string;
  sha256: string;
  sizeBytes: number;
}

export interface DossierActivities {
  exportCaseDossier(input: ExportCaseDossierInput): Promise<ExportCaseDossierResult>;
}
