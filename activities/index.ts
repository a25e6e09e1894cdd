// Activity implementations: the read model, the audit trail, the notification outbox and payments.
// Every effect is idempotent: audit events on their event key, tasks on their id, e-mail on its
// outbox key, refunds on the case.
import crypto from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Secrets } from '../lib/config';
import { withPgTransaction, type Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Ports } from '../lib/ports';
import { currentRequestId } from '../lib/requestContext';
import { appendAuditEvent } from './audit';
import { applyWritesIn, type WriteOutcome } from './caseWrites';
import { calendarActivities } from './calendar';
import { caseLinkActivities, type CaseOpeningPort } from './caseLinks';
import type { Mailer } from './mailer';
import { createNotificationOutbox, type NotificationOutbox } from './notificationOutbox';
import { settlePayment } from './payments';
import { sharedTemplates, type TemplateSet } from './templates';
import type {
  CaseActivities,
  CaseEventInput,
  CaseWrite,
  CaseWritesInput,
  CloseTaskInput,
  EscalateTaskInput,
  NotifyInput,
  OpenTaskInput,
  RecordReturnShippingInput,
  RefundInput,
  RefundResult,
} from './types';

/**
 * What activities take from a process of the catalogue (processes/types.ts ProcessModule): its e-mail templates and
 * its own activities. The worker hands the catalogue down (worker/worker.ts); activities never import it.
 */
export interface ActivityProcess {
  templates: TemplateSet;
  activities?: (deps: ActivityDeps) => Record<string, (...args: any[]) => Promise<unknown>>;
}

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  /** The external ports, whole (lib/ports.ts createPorts): payments, SMS, face match, carriers, listings. */
  ports: Ports;
  /** The processes whose activities and templates run here: the catalogue (processes/index.ts). */
  processes: readonly ActivityProcess[];
  logger: Logger;
  /** Domain for generated Message-IDs. */
  mailDomain?: string;
  /** Secrets read once by loadConfig() (lib/config.ts secretsOf). */
  secrets: Secrets;
  /** Registration: e-mail link base (default: REGISTRATION_LINK_BASE). */
  registrationLinkBase?: string;
  /** The Reply-To of a notice about a case to a recipient kind (lib/replyTokens.ts), when inbound mail is on. */
  replyAddress?: (caseId: string, recipientKind: string) => string | undefined;
  /**
   * The case-opening service (processes/caseOpening.ts), built and handed down by the worker: openLinkedCase opens a
   * linked case through it. Absent: openLinkedCase opens nothing and says so ('opening_unavailable').
   */
  caseOpening?: CaseOpeningPort;
  /** The e-mail outbox's dispatcher; default: one that delivers when woken, without polling (createCaseWorker starts one that polls). */
  outbox?: NotificationOutbox;
}

export function createActivities(deps: ActivityDeps) {
  const { db } = deps;
  const gateway = deps.ports.payments;
  const templates = templatesOf(deps.processes);
  const outbox = deps.outbox ?? createNotificationOutbox({ db, mailer: deps.mailer, logger: deps.logger, templates: () => templates, mailDomain: deps.mailDomain, keys: deps.ports.keys });
  /** A logger for the case; `write` names the case write a line is about (several run in one applyCaseWrites). */
  const log = (caseId: string, write?: CaseWrite['kind']) => {
    let activity: Record<string, unknown> = {};
    try {
      const info = Context.current().info;
      activity = { activityType: info.activityType, attempt: info.attempt, workflowId: info.workflowExecution?.workflowId };
    } catch {
      /* called outside an activity (tests, scripts) */
    }
    return deps.logger.child({ caseId, requestId: currentRequestId(), ...activity, ...(write && { write }) });
  };

  /** The log line of a case write, once its transaction has committed. */
  function logged(w: WriteOutcome): void {
    switch (w.kind) {
      case 'recordCaseEvent':
        return log(w.input.caseId, w.kind).info({ event: w.input.type, step: w.input.casePatch?.step }, 'case event recorded');
      case 'openTask':
        if (w.opened) log(w.input.caseId, w.kind).info({ taskId: w.input.taskId, taskType: w.input.type, role: w.input.role, dueAt: w.input.dueAt }, 'task opened');
        return;
      case 'closeTask':
        return log(w.input.caseId, w.kind).info({ taskId: w.input.taskId, status: w.input.status, actor: w.input.actor, resolution: w.input.resolution, changed: w.changed }, 'task closed');
      case 'escalateTask':
        if (w.applied) log(w.input.caseId, w.kind).warn({ taskId: w.input.taskId, kind: w.input.kind, action: w.input.action, sla: w.input.slaName, dueAt: w.input.dueAt }, 'sla event');
        return;
      case 'notify':
        return outbox.wake();
      case 'setDeadlines':
        return log(w.input.caseId, w.kind).debug({ deadlines: Object.keys(w.input.deadlines) }, 'running deadlines written');
      case 'watchParcel':
        return log(w.input.caseId, w.kind).info({ leg: w.input.leg, carrier: w.input.carrier }, 'parcel watched for its delivery event');
    }
  }

  /**
   * A step's writes (audit events, read model, task rows, queued e-mails) in order, in one transaction: one local
   * activity per step instead of one per write (activities/caseWrites.ts). Each write stays idempotent on its own key,
   * so a retry of the whole batch (its first attempt committed, its answer lost) writes nothing twice.
   */
  async function applyCaseWrites(input: CaseWritesInput): Promise<void> {
    const outcomes = await withPgTransaction(db, (client) => applyWritesIn(client, input.caseId, input.writes, outbox.queue));
    for (const o of outcomes) logged(o);
  }
  /** One write in a transaction of its own: the activities of cases whose writes are not batched. */
  const alone =
    <K extends CaseWrite['kind']>(kind: K) =>
    (input: Extract<CaseWrite, { kind: K }>['input']): Promise<void> =>
      applyCaseWrites({ caseId: input.caseId, writes: [{ kind, input } as CaseWrite] });
  const recordCaseEvent = alone('recordCaseEvent');
  const openTask = alone('openTask');
  const closeTask = alone('closeTask');
  const escalateTask = alone('escalateTask');
  /**
   * Queues the e-mail in the outbox (one row per key) and returns: the dispatcher (notificationOutbox.ts) delivers
   * it at most once in the background and records notification.sent on the case's audit trail when SMTP accepts it.
   */
  const notify = alone('notify');
  const watchParcel = alone('watchParcel');

  async function issueRefund(r: RefundInput): Promise<RefundResult> {
    const idempotencyKey = `refund:${r.caseId}`;
    const payment = await db.payment.upsert({
      where: { idempotencyKey },
      create: { id: crypto.randomUUID(), caseId: r.caseId, kind: 'refund', payer: 'merchant', amountMinor: r.amountMinor, currency: r.currency, idempotencyKey, status: 'pending', ...(r.route && { route: r.route, paymentRef: r.paymentRef ?? null }) },
      update: {},
    });
    if (payment.status === 'succeeded' && payment.gatewayRef) {
      return { paymentId: payment.id, gatewayRef: payment.gatewayRef, status: 'succeeded' };
    }
    const { ref } = await gateway.refund({ idempotencyKey, amountMinor: r.amountMinor, currency: r.currency, ...(r.route && { route: r.route }), ...(r.paymentRef && { paymentRef: r.paymentRef }), ...(r.payeeRef && { payeeRef: r.payeeRef }) });
    await settlePayment(db, payment, ref, {
      caseId: r.caseId,
      eventKey: r.eventKey,
      type: 'payment.refunded',
      at: new Date(r.at),
      payload: { paymentId: payment.id, amountMinor: r.amountMinor, currency: r.currency, gatewayRef: ref, ...(r.route && { route: r.route, paymentRef: r.paymentRef ?? null }), ...(r.payeeRef && { payeeRef: r.payeeRef }), ...(r.routeBasis && { routeBasis: r.routeBasis }) },
    });
    log(r.caseId).info({ paymentId: payment.id, gatewayRef: ref, amountMinor: r.amountMinor }, 'refund issued');
    return { paymentId: payment.id, gatewayRef: ref, status: 'succeeded' };
  }

  async function recordReturnShipping(s: RecordReturnShippingInput): Promise<void> {
    const idempotencyKey = `return_shipping:${s.caseId}`;
    await db.$transaction(async (tx) => {
      await tx.payment.upsert({
        where: { idempotencyKey },
        create: { id: crypto.randomUUID(), caseId: s.caseId, kind: 'return_shipping', payer: s.payer, amountMinor: 0, currency: 'CNY', idempotencyKey, status: 'recorded' },
        update: {},
      });
      await appendAuditEvent(tx, {
        caseId: s.caseId,
        eventKey: s.eventKey,
        type: 'payment.return_shipping_recorded',
        actor: 'system',
        at: new Date(s.at),
        payload: { payer: s.payer, carrier: s.carrier },
      });
    });
  }

  // Every process's own activities, from the catalogue the worker hands down.
  const processActivities = Object.assign({}, ...deps.processes.map((p) => p.activities?.(deps) ?? {}));

  return {
    applyCaseWrites,
    recordCaseEvent,
    openTask,
    closeTask,
    escalateTask,
    notify,
    watchParcel,
    issueRefund,
    recordReturnShipping,
    ...calendarActivities(deps),
    ...caseLinkActivities(deps),
    ...processActivities,
  };
}

/** The shared templates and every process's own. */
export function templatesOf(processes: readonly Pick<ActivityProcess, 'templates'>[]): TemplateSet {
  return Object.assign({ ...sharedTemplates }, ...processes.map((p) => p.templates));
}
