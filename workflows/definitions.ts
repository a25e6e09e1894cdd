// Messages shared by every case workflow and the API: task completion, cancellation, state query.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActingParty } from '../policy/process';
import type { Role } from '../policy/roles';
import type { SlaFacts } from './sla';

/** The acting principal: id, role, and for merchants the merchant id (workflow validators check it). */
export type Actor = ActingParty;

export interface CompleteTaskArgs {
  taskId: string;
  actor: Actor;
  payload: unknown;
}

export interface TaskView {
  taskId: string;
  type: string;
  role: Role;
  status: 'open' | 'completed' | 'expired' | 'cancelled';
  dueAt: string;
  escalated: boolean;
  completedBy?: string;
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  data?: Record<string, unknown>;
}

export interface CaseView {
  caseId: string;
  caseType: string;
  policyVersion: string;
  status: 'open' | 'closed';
  step: string;
  outcome: string | null;
  deadlines: Record<string, string | null>;
  tasks: TaskView[];
  slas: SlaFacts[];
  timeline: TimelineEntry[];
}

export interface CancelArgs {
  actor: Actor;
  reasonCode: 'customer_request' | 'duplicate' | 'resolved_elsewhere';
}

/** Error types raised by update validators; the API maps them to HTTP statuses. */
export const CaseErrors = {
  TaskNotOpen: 'TaskNotOpen', // 409
  InvalidPayload: 'InvalidPayload', // 400
  NotAllowedNow: 'NotAllowedNow', // 409: the case is not at a step that accepts this
  PolicyRefused: 'PolicyRefused', // 422
  Forbidden: 'Forbidden', // 403: the actor's role or merchant may not do this on this case
} as const;

/** What an update answers: the step, and the ids it created. Update results stay in history, so they stay small. */
export interface ActionResult {
  step: string;
  [id: string]: string;
}

export const completeTaskUpdate = defineUpdate<TaskView, [CompleteTaskArgs]>('completeTask');
export const cancelCaseUpdate = defineUpdate<ActionResult, [CancelArgs]>('cancelCase');
export const caseStateQuery = defineQuery<CaseView>('caseState');

/** Who writes in a case's thread (api/routes/threads.ts): the customer through the storefront, the merchant, staff. */
export type ThreadParty = 'customer' | 'merchant' | 'staff';
/** A message was posted in the case's thread (its id and party only: the words stay in PostgreSQL). */
export interface ThreadMessagePosted {
  messageId: string;
  party: ThreadParty;
  at: string;
}
export const threadMessageSignal = defineSignal<[ThreadMessagePosted]>('threadMessagePosted');

/**
 * An outside system's event for a case (api/routes/webhooks.ts): a carrier's parcel was delivered. Ids, the tracking
 * number and the carrier's delivery time only; the same `eventId` reaches a case at most once (CaseKit ignores a repeat).
 */
export interface CarrierDelivered {
  source: 'carrier';
  eventId: string;
  trackingNumber: string;
  /** ISO 8601, as the carrier reports it. */
  deliveredAt: string;
}
export const carrierDeliveredSignal = defineSignal<[CarrierDelivered]>('carrierDelivered');

/**
 * A delivery receipt: the e-mail outbox's send of a notice was accepted by the mail server and recorded
 * (activities/notificationOutbox.ts onAccepted; the worker signals it). `noticeKey` is the key the case queued the
 * notice under (NotifyInput.key); `acceptedAt` the acceptance time. An uncertain send gives none.
 */
export interface NoticeDelivered {
  noticeKey: string;
  acceptedAt: string;
}
export const noticeDeliveredSignal = defineSignal<[NoticeDelivered]>('noticeDelivered');
