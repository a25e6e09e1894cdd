// Activity implementations: the read model, the audit trail, the notification outbox and payments.
// Every effect is idempotent: audit events on their event key, tasks on their id, e-mail on its
// outbox key, refunds on the case.
import crypto from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { CarrierTracking } from '../lib/carriers';
import type { Secrets } from '../lib/config';
import type { Db, Prisma } from '../lib/db';
import type { Logger } from '../lib/logger';
import { currentRequestId } from '../lib/requestContext';
import type { SmsGateway } from '../lib/sms';
import { appendAuditEvent, auditKeyCollision, sameAuditEvent } from './audit';
import { calendarActivities } from './calendar';
import type { Mailer } from './mailer';
import { createNotificationOutbox, type NotificationOutbox } from './notificationOutbox';
import { settlePayment, type PaymentGateway } from './payments';
import { renderTemplate, sharedTemplates, type TemplateSet } from './templates';
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

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  /** The payment port (lib/ports.ts createPorts: PAYMENT_GATEWAY). */
  gateway: PaymentGateway;
  /** Shipping quotes and tracking (lib/ports.ts createPorts: CARRIER_TRACKING); the return's shipping reimbursement quotes with it. */
  carriers: CarrierTracking;
  logger: Logger;
  /** Domain for generated Message-IDs. */
  mailDomain?: string;
  /** Registration: the SMS port (lib/ports.ts createPorts: SMS_GATEWAY). */
  sms: SmsGateway;
  /** Registration: the face-match port (lib/ports.ts createPorts: FACE_VERIFIER). */
  faces?: import('./registration').FaceVerifier;
  /** Secrets read once by loadConfig() (lib/config.ts secretsOf). */
  secrets: Secrets;
  /** Registration: e-mail link base (default: REGISTRATION_LINK_BASE). */
  registrationLinkBase?: string;
  /** The e-mail outbox's dispatcher; default: one that delivers when woken, without polling (createCaseWorker starts one that polls). */
  outbox?: NotificationOutbox;
}

export function createActivities(deps: ActivityDeps) {
  const { db, gateway } = deps;
  const outbox = deps.outbox ?? createNotificationOutbox({ db, mailer: deps.mailer, logger: deps.logger, templates, mailDomain: deps.mailDomain });
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

  /**
   * The case's running deadlines: activities of one case run concurrently (a task closed by an update, the
   * next step of the main flow), so a list replaces the stored one only when its version is newer.
   * Writes without a version (cases that started before versions existed) apply as before.
   */
  async function writeDeadlines(tx: Prisma.TransactionClient, caseId: string, deadlines: Record<string, string | null>, version?: number): Promise<void> {
    const json = JSON.stringify(deadlines);
    if (version === undefined) {
      await tx.$executeRaw`UPDATE cases SET deadlines = ${json}::jsonb WHERE id = ${caseId}`;
    } else {
      await tx.$executeRaw`UPDATE cases SET deadlines = ${json}::jsonb, deadlines_version = ${version} WHERE id = ${caseId} AND deadlines_version < ${version}`;
    }
  }

  // Each write of a case in a transaction of the caller's: alone (recordCaseEvent, openTask, ...) or a step's writes
  // together (applyCaseWrites). Each returns what to log once its transaction has committed.
  type Logged = () => void;

  async function recordCaseEventIn(tx: Prisma.TransactionClient, e: CaseEventInput): Promise<Logged> {
    const { appended } = await appendAuditEvent(tx, { ...e, at: new Date(e.at) });
    if (appended && e.casePatch) {
      const p = e.casePatch;
      await tx.case.update({
        where: { id: e.caseId },
        data: {
          ...(p.status !== undefined && { status: p.status }),
          ...(p.step !== undefined && { step: p.step }),
          ...(p.outcome !== undefined && { outcome: p.outcome }),
          ...(p.closed && { closedAt: new Date(e.at) }),
        },
      });
      if (p.deadlines !== undefined) await writeDeadlines(tx, e.caseId, p.deadlines, e.deadlinesVersion);
    }
    return () => log(e.caseId, 'recordCaseEvent').info({ event: e.type, step: e.casePatch?.step }, 'case event recorded');
  }

  async function openTaskIn(tx: Prisma.TransactionClient, t: OpenTaskInput): Promise<Logged> {
    {
      const { appended } = await appendAuditEvent(tx, {
        caseId: t.caseId,
        eventKey: t.eventKey,
        type: 'task.created',
        actor: 'system',
        at: new Date(t.at),
        payload: { taskId: t.taskId, type: t.type, role: t.role, dueAt: t.dueAt, sla: t.slaName },
      });
      if (!appended) return () => {};
      await tx.task.create({
        data: {
          id: t.taskId,
          caseId: t.caseId,
          caseType: t.caseType,
          type: t.type,
          role: t.role,
          merchantId: t.merchantId ?? null,
          status: 'open',
          dueAt: new Date(t.dueAt),
          slaName: t.slaName,
          createdAt: new Date(t.at),
        },
      });
      if (t.deadlines) await writeDeadlines(tx, t.caseId, t.deadlines, t.deadlinesVersion);
    }
    return () => log(t.caseId, 'openTask').info({ taskId: t.taskId, taskType: t.type, role: t.role, dueAt: t.dueAt }, 'task opened');
  }

  async function closeTaskIn(tx: Prisma.TransactionClient, t: CloseTaskInput): Promise<Logged> {
    const changed = await (async () => {
      const closing = { caseId: t.caseId, eventKey: t.eventKey, type: `task.${t.status}`, actor: t.actor, at: new Date(t.at), payload: { taskId: t.taskId, resolution: t.resolution, result: (t.result ?? null) as Prisma.InputJsonValue } };
      const seen = await tx.auditEvent.findUnique({ where: { caseId_eventKey: { caseId: t.caseId, eventKey: t.eventKey } } });
      if (seen) {
        if (!sameAuditEvent(seen, closing)) throw auditKeyCollision(t.caseId, t.eventKey, `${seen.type} at ${seen.at.toISOString()}`, `${closing.type} at ${t.at}`);
        return false; // a retry of this very close
      }
      // Only an open task closes; the audit trail records only transitions that happened.
      const updated = await tx.task.updateMany({
        where: { id: t.taskId, status: 'open' },
        data: {
          status: t.status,
          resolution: t.resolution,
          completedAt: new Date(t.at),
          completedBy: t.actor,
          result: (t.result ?? undefined) as Prisma.InputJsonValue | undefined,
        },
      });
      if (updated.count === 0) return false;
      if (t.status === 'expired') {
        // The SLA lapsed and the policy's default decision was taken: a breach, on the record.
        const row = await tx.task.findUniqueOrThrow({ where: { id: t.taskId } });
        await appendAuditEvent(tx, {
          caseId: t.caseId,
          eventKey: `${t.eventKey}:breach`,
          type: 'sla.breached',
          actor: 'system',
          at: new Date(t.at),
          payload: { taskId: t.taskId, sla: row.slaName, dueAt: row.dueAt.toISOString(), action: 'default-decision' },
        });
      }
      await appendAuditEvent(tx, closing);
      if (t.deadlines) await writeDeadlines(tx, t.caseId, t.deadlines, t.deadlinesVersion);
      return true;
    })();
    return () => log(t.caseId, 'closeTask').info({ taskId: t.taskId, status: t.status, actor: t.actor, resolution: t.resolution, changed }, 'task closed');
  }

  async function escalateTaskIn(tx: Prisma.TransactionClient, t: EscalateTaskInput): Promise<Logged> {
    {
      const { appended } = await appendAuditEvent(tx, {
        caseId: t.caseId,
        eventKey: t.eventKey,
        type: t.kind === 'reminder' ? 'sla.reminded' : 'sla.breached',
        actor: 'system',
        at: new Date(t.at),
        payload: { taskId: t.taskId, sla: t.slaName, dueAt: t.dueAt, action: t.action ?? null },
      });
      if (!appended) return () => {};
      await tx.task.update({
        where: { id: t.taskId },
        data:
          t.kind === 'reminder'
            ? { remindedAt: new Date(t.at) }
            : {
                escalated: true,
                escalatedAt: new Date(t.at),
                ...(t.action === 'reassign-to-supervisor' && { role: 'supervisor', assigneeId: null }),
              },
      });
    }
    return () => log(t.caseId, 'escalateTask').warn({ taskId: t.taskId, kind: t.kind, action: t.action, sla: t.slaName, dueAt: t.dueAt }, 'sla event');
  }

  /**
   * Queues the e-mail in the outbox (one row per key) and returns: the dispatcher (notificationOutbox.ts) delivers
   * it at most once in the background and records notification.sent on the case's audit trail when SMTP accepts it.
   */
  async function notifyIn(tx: Prisma.TransactionClient, n: NotifyInput): Promise<Logged> {
    await outbox.queueIn(tx, n);
    return () => outbox.wake();
  }

  const writers = { recordCaseEvent: recordCaseEventIn, openTask: openTaskIn, closeTask: closeTaskIn, escalateTask: escalateTaskIn, notify: notifyIn };
  /** One write in a transaction of its own (cases whose writes are not batched). */
  const alone =
    <I>(write: (tx: Prisma.TransactionClient, input: I) => Promise<Logged>) =>
    async (input: I): Promise<void> => {
      const logged = await db.$transaction((tx) => write(tx, input));
      logged();
    };
  const recordCaseEvent = alone(recordCaseEventIn);
  const openTask = alone(openTaskIn);
  const closeTask = alone(closeTaskIn);
  const escalateTask = alone(escalateTaskIn);
  const notify = alone(notifyIn);

  /**
   * A step's writes (audit events, read model, task rows, queued e-mails) in order, in one transaction: one local
   * activity per step instead of one per write. Each write stays idempotent on its own key, so a retry of the whole
   * batch (its first attempt committed, its answer lost) writes nothing twice.
   */
  async function applyCaseWrites(input: CaseWritesInput): Promise<void> {
    const logged = await db.$transaction(async (tx) => {
      const out: Logged[] = [];
      for (const w of input.writes) {
        if (w.input.caseId !== input.caseId) throw new Error(`A write of case ${w.input.caseId} in the batch of case ${input.caseId}`);
        out.push(await (writers[w.kind] as (tx: Prisma.TransactionClient, i: typeof w.input) => Promise<Logged>)(tx, w.input));
      }
      return out;
    });
    for (const l of logged) l();
  }

  async function issueRefund(r: RefundInput): Promise<RefundResult> {
    const idempotencyKey = `refund:${r.caseId}`;
    const payment = await db.payment.upsert({
      where: { idempotencyKey },
      create: { id: crypto.randomUUID(), caseId: r.caseId, kind: 'refund', payer: 'merchant', amountMinor: r.amountMinor, currency: r.currency, idempotencyKey, status: 'pending' },
      update: {},
    });
    if (payment.status === 'succeeded' && payment.gatewayRef) {
      return { paymentId: payment.id, gatewayRef: payment.gatewayRef, status: 'succeeded' };
    }
    const { ref } = await gateway.refund({ idempotencyKey, amountMinor: r.amountMinor, currency: r.currency });
    await settlePayment(db, payment, ref, {
      caseId: r.caseId,
      eventKey: r.eventKey,
      type: 'payment.refunded',
      at: new Date(r.at),
      payload: { paymentId: payment.id, amountMinor: r.amountMinor, currency: r.currency, gatewayRef: ref },
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

  // Every process's own activities, from the catalogue (loaded here: process modules import this file's types).
  const { processes } = require('../processes') as typeof import('../processes');
  const processActivities = Object.assign({}, ...processes.map((p) => p.activities?.(deps) ?? {}));

  return {
    applyCaseWrites,
    recordCaseEvent,
    openTask,
    closeTask,
    escalateTask,
    notify,
    issueRefund,
    recordReturnShipping,
    ...calendarActivities(deps),
    ...processActivities,
  };
}

let templateSet: TemplateSet | undefined;
/** The shared templates and every process's own, from the catalogue. */
export function templates(): TemplateSet {
  if (!templateSet) {
    const { processes } = require('../processes') as typeof import('../processes');
    templateSet = Object.assign({ ...sharedTemplates }, ...processes.map((p) => p.templates));
  }
  return templateSet!;
}
