// Plumbing every case workflow shares: the audit trail, the read model, human tasks with SLAs,
// notifications, search attributes and the state query. Workflows read like the policy; this does the rest.
import {
  ApplicationFailure,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { CaseActivities, NotifyInput } from '../activities/types';
import type { PolicyConfig, SlaPolicy } from '../policy/config';
import { parseTaskPayload, type Role, type TaskType } from '../policy/tasks';
import {
  CaseErrors,
  cancelCaseUpdate,
  caseStateQuery,
  completeTaskUpdate,
  type Actor,
  type CaseView,
  type TaskView,
  type TimelineEntry,
} from './definitions';
import { SlaClock, type SlaFacts } from './sla';
import { CaseStatus, CaseType, MerchantId } from './searchAttributes';

const acts = proxyActivities<CaseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const SYSTEM = 'system';

/** Refuses an update in its validator: the caller gets an immediate error of this type (see api/errors.ts). */
export function refuse(type: string, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, ...(details && { details: [details] }) });
}

interface TaskState extends TaskView {
  slaName: string;
  result?: unknown;
}

export type TaskOutcome<P> =
  | { kind: 'completed'; payload: P; actor: Actor; sla: SlaFacts }
  | { kind: 'breached'; sla: SlaFacts }
  | { kind: 'interrupted' };

export interface HumanTaskSpec {
  type: TaskType;
  role: Role;
  sla: SlaPolicy;
  slaName: string;
  merchantId?: string;
  /** Label of the policy's default decision, recorded if the SLA lapses. */
  defaultDecision?: string;
  /** Whom to tell when the task is reminded or escalated. */
  notifyOnEscalation?: NotifyInput['recipient'];
  /** Stops waiting (e.g. the case was cancelled). */
  interrupt?: () => boolean;
}

export class CaseKit {
  private seq = 0;
  private taskSeq = 0;
  readonly view: CaseView;
  private readonly tasks = new Map<string, TaskState>();
  private readonly slas: SlaFacts[] = [];

  constructor(
    readonly caseId: string,
    readonly caseType: string,
    readonly policy: PolicyConfig,
    private readonly merchantId?: string,
  ) {
    this.view = {
      caseId,
      caseType,
      policyVersion: policy.version,
      status: 'open',
      step: 'opened',
      outcome: null,
      deadlines: {},
      tasks: [],
      slas: this.slas,
      timeline: [],
    };
    setHandler(caseStateQuery, () => ({ ...this.view, tasks: [...this.tasks.values()].map(publicTask) }));
    setHandler(completeTaskUpdate, (args) => this.completeTask(args), { validator: (args) => this.validateCompletion(args) });
  }

  private now(): string {
    return new Date().toISOString();
  }

  private nextKey(): string {
    return `${workflowInfo().workflowId}:${++this.seq}`;
  }

  /** Appends an audit event (and optionally updates the case row) in one activity. */
  async record(
    type: string,
    data: Record<string, unknown> = {},
    opts: { actor?: string; step?: string; outcome?: string; closed?: boolean } = {},
  ): Promise<void> {
    const at = this.now();
    const actor = opts.actor ?? SYSTEM;
    if (opts.step) this.view.step = opts.step;
    if (opts.outcome) this.view.outcome = opts.outcome;
    if (opts.closed) this.view.status = 'closed';
    const entry: TimelineEntry = { at, type, actor, data };
    this.view.timeline.push(entry);
    log.info('case event', { caseId: this.caseId, type, step: this.view.step });
    const statusChanged = opts.step !== undefined || opts.closed;
    await acts.recordCaseEvent({
      caseId: this.caseId,
      eventKey: this.nextKey(),
      type,
      actor,
      at,
      payload: data,
      casePatch: statusChanged || opts.outcome
        ? {
            step: this.view.step,
            status: this.view.status,
            outcome: this.view.outcome,
            deadlines: this.view.deadlines,
            closed: opts.closed,
          }
        : undefined,
    });
    if (statusChanged) this.upsertVisibility();
  }

  upsertVisibility(): void {
    upsertSearchAttributes([
      { key: CaseType, value: this.caseType },
      { key: CaseStatus, value: this.view.status === 'closed' ? `closed:${this.view.outcome}` : this.view.step },
      ...(this.merchantId ? [{ key: MerchantId, value: this.merchantId }] : []),
    ]);
  }

  setDeadline(name: string, at: Date | null): void {
    this.view.deadlines[name] = at ? at.toISOString() : null;
  }

  /** Sends an e-mail through the outbox; the key makes it once-only per case and milestone. */
  async notify(template: string, recipient: NotifyInput['recipient'], params: NotifyInput['params'] = {}, keySuffix = ''): Promise<void> {
    await acts.notify({
      key: `${this.caseId}:${template}:${recipient.kind}:${recipient.id}${keySuffix}`,
      caseId: this.caseId,
      template,
      recipient,
      params: { caseId: this.caseId, ...params },
      at: this.now(),
      eventKey: this.nextKey(),
    });
  }

  /** Starts an SLA clock without a task (e.g. waiting on the customer). */
  clock(slaName: string, sla: SlaPolicy): SlaClock {
    const clock = new SlaClock(slaName, sla, this.policy.calendar, new Date());
    this.slas.push(clock.facts);
    this.setDeadline(slaName, clock.dueAt);
    return clock;
  }

  /**
   * A human step: a task row in PostgreSQL plus the completeTask update, under an SLA.
   * Returns the validated completion, or 'breached' when the policy's default decision applies.
   */
  async humanTask<P>(spec: HumanTaskSpec): Promise<TaskOutcome<P>> {
    const taskId = `${this.caseId}.t${++this.taskSeq}`;
    const clock = this.clock(spec.slaName, spec.sla);
    const task: TaskState = {
      taskId,
      type: spec.type,
      role: spec.role,
      status: 'open',
      dueAt: clock.dueAt.toISOString(),
      escalated: false,
      slaName: spec.slaName,
    };
    this.tasks.set(taskId, task);
    await acts.openTask({
      taskId,
      caseId: this.caseId,
      caseType: this.caseType,
      type: spec.type,
      role: spec.role,
      merchantId: spec.merchantId,
      slaName: spec.slaName,
      dueAt: task.dueAt,
      at: this.now(),
      eventKey: this.nextKey(),
    });
    this.view.timeline.push({ at: this.now(), type: 'task.created', actor: SYSTEM, data: { taskId, type: spec.type, role: spec.role, dueAt: task.dueAt } });

    const escalate = async (kind: 'reminder' | 'breach', facts: SlaFacts, action?: 'reassign-to-supervisor' | 'notify') => {
      if (kind === 'breach') {
        task.escalated = true;
        if (action === 'reassign-to-supervisor') task.role = 'supervisor';
      }
      this.view.timeline.push({ at: this.now(), type: kind === 'reminder' ? 'sla.reminded' : 'sla.escalated', actor: SYSTEM, data: { taskId, sla: spec.slaName, action: action ?? null } });
      await acts.escalateTask({ taskId, caseId: this.caseId, kind, action, slaName: spec.slaName, dueAt: facts.dueAt, at: this.now(), eventKey: this.nextKey() });
      const recipient = kind === 'breach' && action ? { kind: 'role' as const, id: 'supervisor' } : spec.notifyOnEscalation;
      if (recipient) await this.notify(kind === 'reminder' ? 'task.reminder' : 'task.escalated', recipient, { taskType: spec.type, dueAt: facts.dueAt }, `:${taskId}`);
    };

    const result = await clock.waitFor(() => task.status !== 'open' || (spec.interrupt?.() ?? false), {
      onReminder: (facts) => escalate('reminder', facts),
      onEscalate: (action, facts) => escalate('breach', facts, action === 'default-decision' ? undefined : action),
    });

    if (task.status === 'completed') {
      return { kind: 'completed', payload: task.result as P, actor: { id: task.completedBy!, role: task.role }, sla: result.facts };
    }
    if (result.outcome === 'breached') {
      task.status = 'expired';
      this.view.timeline.push({ at: this.now(), type: 'sla.breached', actor: SYSTEM, data: { taskId, sla: spec.slaName, dueAt: result.facts.dueAt, defaultDecision: spec.defaultDecision ?? null } });
      await acts.closeTask({
        taskId,
        caseId: this.caseId,
        status: 'expired',
        resolution: `auto:${spec.defaultDecision ?? 'none'}`,
        actor: SYSTEM,
        at: this.now(),
        eventKey: this.nextKey(),
        result: { sla: result.facts },
      });
      return { kind: 'breached', sla: result.facts };
    }
    task.status = 'cancelled';
    await acts.closeTask({ taskId, caseId: this.caseId, status: 'cancelled', resolution: 'cancelled', actor: SYSTEM, at: this.now(), eventKey: this.nextKey() });
    return { kind: 'interrupted' };
  }

  private validateCompletion(args: { taskId: string; actor: Actor; payload: unknown }): void {
    const task = this.tasks.get(args?.taskId);
    if (!task) throw ApplicationFailure.create({ type: CaseErrors.TaskNotOpen, message: `Task ${args?.taskId} does not belong to this case`, nonRetryable: true });
    if (task.status !== 'open') {
      throw ApplicationFailure.create({ type: CaseErrors.TaskNotOpen, message: `Task ${task.taskId} is already ${task.status}`, nonRetryable: true });
    }
    if (!args.actor?.id) throw ApplicationFailure.create({ type: CaseErrors.InvalidPayload, message: 'actor is required', nonRetryable: true });
    const parsed = parseTaskPayload(task.type, args.payload);
    if (!parsed.ok) {
      throw ApplicationFailure.create({
        type: CaseErrors.InvalidPayload,
        message: `Invalid ${task.type} payload: ${parsed.issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
        details: [parsed.issues],
        nonRetryable: true,
      });
    }
  }

  private async completeTask(args: { taskId: string; actor: Actor; payload: unknown }): Promise<TaskView> {
    const task = this.tasks.get(args.taskId)!;
    const parsed = parseTaskPayload(task.type, args.payload);
    task.status = 'completed';
    task.completedBy = args.actor.id;
    task.result = parsed.ok ? parsed.value : args.payload;
    this.view.timeline.push({ at: this.now(), type: 'task.completed', actor: args.actor.id, data: { taskId: task.taskId, type: task.type, result: task.result as Record<string, unknown> } });
    await acts.closeTask({
      taskId: task.taskId,
      caseId: this.caseId,
      status: 'completed',
      resolution: 'completed',
      actor: args.actor.id,
      result: task.result,
      at: this.now(),
      eventKey: this.nextKey(),
    });
    return publicTask(task);
  }

  /**
   * The customer (through the storefront) or staff may cancel the case while `refusal()` returns null;
   * otherwise it returns the policy's reason. Returns a getter the workflow checks at each wait.
   */
  allowCancellation(refusal: () => string | null): () => boolean {
    let cancelled = false;
    setHandler(
      cancelCaseUpdate,
      async ({ actor, reasonCode }) => {
        cancelled = true;
        await this.record('case.cancel_requested', { reasonCode }, { actor: actor.id });
        return this.view;
      },
      {
        validator: (_args) => {
          if (this.view.status === 'closed') refuse(CaseErrors.NotAllowedNow, `Case is already closed (${this.view.outcome})`);
          if (cancelled) refuse(CaseErrors.NotAllowedNow, 'Cancellation already requested');
          const reason = refusal();
          if (reason) refuse(CaseErrors.PolicyRefused, reason);
        },
      },
    );
    return () => cancelled;
  }

  /** Closes every open task (cancellation). */
  openTasks(): TaskView[] {
    return [...this.tasks.values()].filter((t) => t.status === 'open').map(publicTask);
  }
}

function publicTask(t: TaskState): TaskView {
  return { taskId: t.taskId, type: t.type, role: t.role, status: t.status, dueAt: t.dueAt, escalated: t.escalated, completedBy: t.completedBy };
}
