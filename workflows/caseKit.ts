// Plumbing every case workflow shares: the audit trail, the read model, human tasks with SLAs,
// notifications, search attributes and the state query. Workflows read like the policy; this does the rest.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineUpdate,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  log,
  ActivityFailure,
  TemporalFailure,
  TimeoutFailure,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { CaseActivities, CaseLinkType, CaseWrite, NotifyInput, OpenLinkedCaseResult } from '../activities/types';
import { calendarCoverage, dayPeriodEndsAt, localYearOf, withCalendarYears, withKnownCoverage, type BusinessCalendar, type DayPeriodOptions } from '../policy/businessCalendar';
import { isWorkingUnit } from '../policy/durations';
import { describeIssues, type ActingParty, type HistoryBound, type PartyActionDef, type TaskTable } from '../policy/process';
import type { Role } from '../policy/roles';
import type { SlaPolicy } from '../policy/schemas';
import {
  CaseErrors,
  cancelCaseUpdate,
  caseStateQuery,
  completeTaskUpdate,
  carrierDeliveredSignal,
  noticeDeliveredSignal,
  threadMessageSignal,
  type CarrierDelivered,
  type Actor,
  type CaseView,
  type ThreadMessagePosted,
  type ThreadParty,
  type TaskView,
  type TimelineEntry,
} from './definitions';
import { SlaClock, type SlaClockState, type SlaFacts, type SlaHooks, type SlaResult } from './sla';
import { CaseStatus, CaseType, MerchantId } from '../lib/searchAttributes';
import { BATCHED_WRITES_PATCH, CALENDAR_READ_PATCH, CARRIER_DELIVERY_EVENTS_PATCH, CONTINUE_AS_NEW_PATCH, DEADLINES_ON_CHANGE_PATCH, LOCAL_STEPS_BOUNDED_PATCH, LOCAL_WRITES_PATCH, STEP_WRITES_PATCH } from './patches';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
/**
 * The bound on a case step's local activity (patch local-steps-bounded): tried at most `maximumAttempts` times, for at
 * most `scheduleToCloseTimeout`, then the workflow task fails (LocalStepUnavailable) and Temporal retries the whole
 * task with its own backoff (at once, then 10 s, then growing to 10 minutes between attempts), until the step goes
 * through. A PostgreSQL outage thus adds a fixed few events to a case (its first failed task), however long it lasts,
 * where an unbounded step retries in the worker, the worker heartbeating the task (three events) every 8 s, and past
 * `localRetryThreshold` backs off with a marker, a timer and a workflow task per retry.
 * Both limits, because the SDK (1.24) keeps a schedule-to-close timeout only if it falls while an attempt runs: one
 * that falls while the step waits between attempts is dropped (sdk-core local_activities.rs, `complete` of an untracked
 * task), and the step then retries without end. Attempts bound the steps that fail at once (a refused connection);
 * the timeout bounds the one attempt that hangs (a connection that never answers).
 * Constants, not settings: the sandbox reads no configuration, and the values follow from the workflow task itself:
 * - 3 attempts 1 s apart and the 3 s timeout keep a failing task and its first retry (sent at once) within the
 *   worker's heartbeat of the first (8 s: 80 % of the 10 s workflow task timeout every case starts with; measured, the
 *   heartbeat falls on the retry when the two take longer, writing both into the history), so a failing step writes
 *   no heartbeat;
 * - no retry waits longer than `localRetryThreshold`, so no backoff ever becomes a timer in the history (a timer would
 *   carry the step's first schedule time into its next attempt, which would then run out of time at once, forever).
 * Timeouts and retry policies are not recorded in a history: a later change of these values replays as before.
 */
export const LOCAL_STEP_BOUND = { scheduleToCloseTimeout: '3 seconds', maximumAttempts: 3, localRetryThreshold: '3 seconds', maximumInterval: '1 second' } as const;

/**
 * A case step (a local activity) that did not go through within LOCAL_STEP_BOUND: thrown from the workflow, it fails the
 * workflow task, never the case (it is not a TemporalFailure), and the task's retry runs the step again.
 */
export class LocalStepUnavailable extends Error {
  constructor(activity: string, cause: unknown) {
    const why = cause instanceof ActivityFailure && cause.cause ? cause.cause.message : String(cause);
    super(`case step ${activity} did not complete within ${LOCAL_STEP_BOUND.maximumAttempts} attempts and ${LOCAL_STEP_BOUND.scheduleToCloseTimeout} (${why}): the workflow task fails and is retried`);
    this.name = 'LocalStepUnavailable';
  }
}

/** A process's local activities in both forms: as recorded before patch local-steps-bounded, and bounded. CaseKit.local picks. */
export interface LocalSteps<A> {
  unbounded: A;
  bounded: A;
}

/** Local activities of a case (its own short writes and reads): give them to CaseKit.local, which picks the form. */
export function localSteps<A extends object>(options: LocalActivityOptions): LocalSteps<A> {
  const { scheduleToCloseTimeout, maximumAttempts, localRetryThreshold, maximumInterval } = LOCAL_STEP_BOUND;
  return {
    unbounded: proxyLocalActivities<A>(options) as unknown as A,
    bounded: proxyLocalActivities<A>({ ...options, scheduleToCloseTimeout, localRetryThreshold, retry: { ...options.retry, maximumInterval, maximumAttempts } }) as unknown as A,
  };
}

/**
 * True when a bounded step failed for its bound: its time ran out, or its attempts did on a failure that may be retried;
 * not for a refusal of its own (a non-retryable failure).
 */
function outOfTime(err: unknown): boolean {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (failure instanceof TimeoutFailure) return true;
  if (failure instanceof ApplicationFailure) return !failure.nonRetryable;
  return err instanceof ActivityFailure && !(failure instanceof TemporalFailure);
}

/** The case's own writes as activities on the task queue (cases that started before local writes). */
const queued = proxyActivities<CaseActivities>({ startToCloseTimeout: '30 seconds', retry });
/**
 * The case's own writes (audit event, read model, task row, outbox e-mail) as local activities: run by the
 * worker that runs the workflow, in the same workflow task, one marker event each in the history. They are
 * idempotent on their event keys, as before, so a retry after a crash writes nothing twice.
 */
const local = localSteps<CaseActivities>({ startToCloseTimeout: '30 seconds', localRetryThreshold: '10 seconds', retry });

/**
 * Opening a linked case (openLinkedCase): an activity on the task queue, not a local one, since it starts another case's
 * workflow; retried until it answers (it is idempotent on the key the case derives from its id and event sequence).
 */
const linking = proxyActivities<Pick<CaseActivities, 'openLinkedCase'>>({ startToCloseTimeout: '1 minute', retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' } });

/** Local writes from this patch on; histories recorded before it replay with queued activities. */
export { LOCAL_WRITES_PATCH };

/**
 * From this patch on, a case's local activities are bounded (LOCAL_STEP_BOUND) and a step that runs out of time fails
 * the workflow task instead of backing off with timers in the history. Asked at each step until the case first takes
 * it, so a running case takes it at its next step after the deploy; a history recorded before replays as it was.
 */
export { LOCAL_STEPS_BOUNDED_PATCH };

/**
 * From this patch on, a working-time deadline over a year the case has only provisionally (or not at all) first reads
 * that year's holiday data as in force now (resolveCalendar, recorded), and a deadline still over provisional data or
 * past the data's end is flagged in the audit trail. Asked only when a deadline reaches such a year, so a case whose
 * deadlines stay within official years records no marker.
 */
export { CALENDAR_READ_PATCH };

/**
 * From this patch on, a case's writes are kept in order and sent together (applyCaseWrites: one local activity, one
 * transaction) when the case next waits, calls another activity, or answers an update: one marker per step instead
 * of one per write. Cases started before it write one local activity per write, as recorded.
 */
export { BATCHED_WRITES_PATCH };

/**
 * From this patch on, completing the task the case waits on sends no batch of its own: the task's close goes with the
 * writes of the step it unblocks, in the one batch sent when the case next waits, and the update answers once that
 * batch has landed. One local activity (one transaction) per human step instead of two.
 */
export { STEP_WRITES_PATCH };

/**
 * From this patch on, the case row's running deadlines follow the case whenever they change: a batch whose writes do not
 * carry the current list (a clock started or cleared with no step, status or outcome change, say a registration's
 * `verification` clock started after `case.opened`) carries a deadlines write of its own, so that a deadline shows on
 * the case resource from the moment its clock starts. Cases started before it wrote the list only with a step, status
 * or outcome change, or with a task, as recorded.
 */
export { DEADLINES_ON_CHANGE_PATCH };

/**
 * From this patch on, a case whose process declares a history bound continues as new once its history passes it. Asked
 * only when a run first passes its bound, so a case that never does records no marker; a history recorded before it
 * replays on in its one run.
 */
export { CONTINUE_AS_NEW_PATCH };

/**
 * Not a patch of the kit's own writes: the processes ask it where they wait for a parcel (returnWithin7Days: the
 * returned goods, policy 7.2; warrantyRepair: the item's arrival at the centre, policy 7.1). From it on, the carrier's
 * delivery event (POST /v1/webhooks/carrier, a signal of the case) ends the wait (awaitCarrierDelivery); the carrier is
 * asked only once the expected delivery (policy `carrierExpectedDelivery`) is overdue, at most three times over the
 * wait. Cases opened before keep asking the carrier every few hours (`carrierPollEvery`, `arrivalCheckEvery`).
 */
export { CARRIER_DELIVERY_EVENTS_PATCH };

/**
 * What a case carries into its next run (continue-as-new), beside the workflow's original input: ids, enums, times
 * and counters only, never personal data or free text (task results and the timeline stay in PostgreSQL).
 */
export interface CaseCarry {
  /** The run this carry starts (the first run is 1). */
  run: number;
  /** The counters behind audit keys (`${workflowId}:${seq}`, also the deadlines version) and task ids (`${caseId}.t${n}`). */
  seq: number;
  taskSeq: number;
  /** How the case writes, as its first run decided (the patches it was born with): later runs ask no patch again. */
  modes: { localWrites: boolean; batched: boolean; stepWrites: boolean; deadlinesOnChange: boolean };
  status: 'open' | 'closed';
  step: string;
  outcome: string | null;
  deadlines: Record<string, string | null>;
  /** The step a party wait was at (awaitParty), if any. */
  awaiting: string | null;
  /** Open tasks: their rows stay open in PostgreSQL; the next run's humanTask of the same type and SLA takes them up. */
  tasks: { taskId: string; type: string; role: Role; dueAt: string; escalated: boolean; slaName: string }[];
  /** Running SLA clocks (tasks' and party waits'): deadline, reminder and pause state. */
  clocks: SlaClockState[];
  /** Holiday years read during the case (CALENDAR_READ_PATCH), applied again over the input's calendar. */
  calendarReads: { version: string; years: Parameters<typeof withCalendarYears>[1]['years'] }[];
  /** The process's own position (kase.carries()): ids, enums, counters. */
  flow?: FlowState;
  /**
   * What the case heard from outside and a later wait may still ask for: the carriers' delivery events (ids, tracking
   * numbers, times) and its notices' delivery receipts (notice key, acceptance time).
   */
  heard?: { carrierDeliveries: CarrierDelivered[]; noticeDeliveries: [string, string][]; threadMessages?: ThreadMessagePosted[] };
  /** The run it continues: its id and history size when it switched. */
  previous: { runId: string; events: number; bytes: number };
}

/** How many of the thread's latest messages (ids, parties, times) a case carries into its next run. */
const THREAD_MESSAGES_CARRIED = 20;

/** A process's position in its flow, carried to the next run: ids, enums and counters only. */
export type FlowState = Record<string, string | number | boolean | null>;

/** Continue-as-new for a case: the workflow's input (the next run starts with it and `carried`) and its process's bound. */
export interface CaseRuns<I extends object = object> {
  input: I & { carried?: CaseCarry };
  bound: HistoryBound;
}

/** Every patch of CaseKit: a workflow type written after all of them is born with them (`bornWith: CASE_KIT_PATCHES`). */
export const CASE_KIT_PATCHES: readonly string[] = [LOCAL_WRITES_PATCH, CALENDAR_READ_PATCH, BATCHED_WRITES_PATCH, STEP_WRITES_PATCH, DEADLINES_ON_CHANGE_PATCH, CONTINUE_AS_NEW_PATCH];

export interface CaseKitOptions {
  /** Continue-as-new (README "Cases longer than one run"): the workflow's input and its process's history bound. */
  runs?: CaseRuns;
  /**
   * The kit's patches the workflow type was born with (it never ran without them): the kit takes their path without
   * asking patched(), so the type's histories carry no marker for them. Fixed when the type first runs; a type that
   * ran before a patch never lists it. Workflow types of today list none (their histories replay as recorded).
   */
  bornWith?: readonly string[];
}

/** A wait of the case (a task, a party wait, an explicit switch point) while the case may switch runs. */
interface KitWait {
  done: () => boolean;
  parked: boolean;
}

export const SYSTEM = 'system';

/** How many recent timeline entries a case keeps in memory for its live query. */
export const TIMELINE_KEPT = 25;

/** A failure of an update, with its type (the API maps it to an HTTP answer) and details. */
export function failure(type: string, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, ...(details && { details: [details] }) });
}

/** Refuses an update in its validator: the caller gets an immediate error of this type (see api/errors.ts). */
export function refuse(type: string, message: string, details?: Record<string, unknown>): never {
  throw failure(type, message, details);
}

/** Who may cancel a case: the customer through the storefront, and staff. */
export const CANCELLERS: readonly Role[] = ['storefront', 'agent', 'supervisor'];

interface TaskState extends TaskView {
  slaName: string;
  result?: unknown;
  /** The case's flow waits for this task now: completing it unblocks that flow. */
  awaited?: boolean;
}

export type TaskOutcome<P> =
  | { kind: 'completed'; payload: P; actor: Actor; sla: SlaFacts }
  | { kind: 'breached'; sla: SlaFacts }
  | { kind: 'interrupted' };

export interface HumanTaskSpec {
  type: string;
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
  /** When the SLA started, if before the task opens (e.g. a repair clock that runs from the item's arrival). */
  startedAt?: Date;
  /**
   * A refusal that reads the valid payload (and who completes it: e.g. a second person's approval) against the case
   * (the staff member gets it at once, nothing changes).
   */
  check?: (payload: any, actor: ActingParty) => string | null;
  /** Principals who may not complete it (another person decides: an appeal against their own decision, four eyes). */
  notBy?: readonly string[];
}

export class CaseKit {
  private seq = 0;
  private taskSeq = 0;
  /** This run's number: 1, then one more at each continue-as-new. */
  readonly run: number = 1;
  /** What the previous run carried (undefined in a case's first run). */
  private readonly carried?: CaseCarry;
  /** Open tasks and running clocks of the previous run, not yet taken up by this run's flow. */
  private readonly carriedTasks: CaseCarry['tasks'] = [];
  private readonly carriedClocks = new Map<string, SlaClockState>();
  /** The clocks of this case that still run (carried at a switch). */
  private readonly liveClocks = new Map<string, SlaClock>();
  private calendarReads: CaseCarry['calendarReads'] = [];
  private flowState?: () => FlowState;
  private readonly waits = new Set<KitWait>();
  private switching?: Promise<void>;
  /** Whether this case may continue as new (CONTINUE_AS_NEW_PATCH), asked once its history first passes its bound. */
  private newRunsAllowed?: boolean;
  /** Continue-as-new (README "Cases longer than one run"): the workflow's input and its process's history bound. */
  private readonly runs?: CaseRuns;
  /** The kit's patches this workflow type was born with: always on, never asked (no marker in its histories). */
  private readonly bornWith: ReadonlySet<string>;

  /** Whether the case takes patch `id`'s path: always for a patch its type was born with, else as patched() says. */
  private patched(id: string): boolean {
    return this.bornWith.has(id) || patched(id);
  }

  /** Whether this case's steps are bounded (LOCAL_STEPS_BOUNDED_PATCH): asked at each step until it holds. */
  private stepsBounded = false;

  /**
   * The case's local activities `steps` (localSteps): from patch local-steps-bounded on, bounded by LOCAL_STEP_BOUND, a
   * step out of time failing the workflow task (LocalStepUnavailable) instead of the case; before it, as recorded
   * (retried without end, backing off with timers). A refusal of the step itself (a non-retryable failure) reaches the
   * flow as before. The patch is asked when a step is called, so a running case takes it at its next step.
   */
  local<A extends object>(steps: LocalSteps<A>): A {
    return new Proxy({} as A, {
      get: (_, name) => {
        if (typeof name !== 'string') return undefined;
        return async (...args: unknown[]) => {
          if (!this.stepsBounded) this.stepsBounded = this.patched(LOCAL_STEPS_BOUNDED_PATCH);
          const fn = (form: A) => (form as Record<string, (...a: unknown[]) => Promise<unknown>>)[name];
          if (!this.stepsBounded) return fn(steps.unbounded)(...args);
          try {
            return await fn(steps.bounded)(...args);
          } catch (err) {
            if (outOfTime(err)) throw new LocalStepUnavailable(name, err);
            throw err;
          }
        };
      },
    });
  }
  readonly view: CaseView;
  private readonly tasks = new Map<string, TaskState>();
  private readonly slas: SlaFacts[] = [];
  /** The calendar new deadlines use: the start input's, with the years read since (CALENDAR_READ_PATCH). */
  private currentCalendar: BusinessCalendar;
  /** Deadlines computed over provisional or missing holiday data, not yet recorded in the audit trail. */
  private calendarFlags: { sla: string; dueAt: string; calendarVersion: string | null; provisionalYears: number[]; uncoveredYears: number[] }[] = [];

  /** What the case waits on a party for, if anything (party actions check it). */
  awaiting: string | null = null;
  /** Where the case's writes run: local activities (new cases) or the task queue (cases started before). */
  private readonly acts: typeof queued;
  /** True for cases whose writes are local activities; workflows may route their own short writes the same way. */
  readonly localWrites: boolean;
  /** True for cases whose writes are batched per step (BATCHED_WRITES_PATCH). */
  private readonly batched: boolean;
  /** Writes made and not sent yet (batched cases). */
  private pending: CaseWrite[] = [];
  /** The batch in flight: a flush waits for it, so writes land in the order made. */
  private flushing: Promise<void> = Promise.resolve();
  /** True for cases whose task completions go with the next step's writes (STEP_WRITES_PATCH). */
  private readonly stepWrites: boolean;
  /** Who waits for the writes made so far to land; taken with them by the next batch. */
  private landing: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Batches asked for so far (flush() calls). */
  private flushCalls = 0;
  /** True for cases whose running deadlines are written whenever they change (DEADLINES_ON_CHANGE_PATCH). */
  private readonly deadlinesOnChange: boolean;
  /** The running deadlines as the case's writes last carried them (JSON): what the case row has once they land. */
  private deadlinesSent = '{}';
  /** The checks of task types that read their payload against the case (HumanTaskSpec.check). */
  private readonly taskChecks = new Map<string, (payload: any, actor: ActingParty) => string | null>();
  /** Who may not complete a task type (HumanTaskSpec.notBy). */
  private readonly taskNotBy = new Map<string, readonly string[]>();
  /** Update handlers of this case running now, and how many of them wait for the case's next batch. */
  private handlersRunning = 0;
  private handlersParked = 0;

  constructor(
    readonly caseId: string,
    readonly caseType: string,
    readonly policy: { version: string; calendar: BusinessCalendar },
    private merchantId?: string,
    /** The process's task types: completions are validated against them. */
    private readonly taskTypes: TaskTable = {},
    opts: CaseKitOptions = {},
  ) {
    this.runs = opts.runs;
    this.bornWith = new Set(opts.bornWith ?? []);
    const carried = this.runs?.input.carried;
    if (carried) {
      // A later run writes as the case's first run decided: no patch is asked again.
      this.carried = carried;
      this.run = carried.run;
      this.localWrites = carried.modes.localWrites;
      this.batched = carried.modes.batched;
      this.stepWrites = carried.modes.stepWrites;
      this.deadlinesOnChange = carried.modes.deadlinesOnChange;
    } else {
      this.localWrites = this.patched(LOCAL_WRITES_PATCH);
      this.batched = this.localWrites && this.patched(BATCHED_WRITES_PATCH);
      this.stepWrites = this.batched && this.patched(STEP_WRITES_PATCH);
      this.deadlinesOnChange = this.batched && this.patched(DEADLINES_ON_CHANGE_PATCH);
    }
    this.acts = this.localWrites ? (this.local(local) as unknown as typeof queued) : queued;
    // A case opened before calendars carried their years has the 2026 notice: read as official for 2026 only.
    this.currentCalendar = withKnownCoverage(policy.calendar);
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
    if (carried) this.takeUp(carried);
    // Registered before the workflow's first await, in every run: an update sent by workflow id reaches the run now.
    setHandler(caseStateQuery, () => ({ ...this.view, tasks: [...this.tasks.values()].map(publicTask) }));
    setHandler(completeTaskUpdate, this.counted((args) => this.completeTask(args)), { validator: (args) => this.validateCompletion(args) });
    // The thread's messages as they are posted (ids and parties only): what awaitThreadReply waits on. No command.
    setHandler(threadMessageSignal, (m) => {
      // Once per message: the reconciler may signal a message again when it cannot tell the first signal went through.
      if (!this.threadMessages.some((x) => x.messageId === m.messageId)) this.threadMessages.push(m);
    });
    // The carriers' delivery events (api/routes/webhooks.ts), once per event id: what awaitCarrierDelivery waits on. No command.
    setHandler(carrierDeliveredSignal, (d) => {
      if (!this.deliveries.some((x) => x.eventId === d.eventId)) this.deliveries.push(d);
    });
    // Delivery receipts of the case's notices (the first acceptance of each key counts: a resend of the same notice
    // keeps the clock where it started). Only a handler, no command: replay-safe for every case, old or new, so no
    // patch (a history without the signal replays as before).
    setHandler(noticeDeliveredSignal, (d) => {
      if (!this.noticeDeliveries.has(d.noticeKey)) this.noticeDeliveries.set(d.noticeKey, d.acceptedAt);
    });
  }

  /** Carriers' delivery events received during this run (carrierDeliveredSignal), one per event id, oldest first. */
  private readonly deliveries: CarrierDelivered[] = [];

  /** The first delivery event for the parcel with this tracking number, if one came. */
  carrierDelivery(trackingNumber: string): CarrierDelivered | undefined {
    return this.deliveries.find((d) => d.trackingNumber === trackingNumber);
  }

  /**
   * Waits for a parcel's delivery (patch carrier-delivery-events): the carrier's delivery event (its webhook, a signal)
   * or, as a fallback once the expected delivery `expectedBy` is overdue, the carrier's answer when asked (`poll`), at
   * most `maxPolls` times, spread evenly from `expectedBy` to `giveUpAt`. Ends early when `done()` holds (a party
   * confirmed the receipt, the case was cancelled). The parcel is first written where the webhook finds its case by the
   * tracking number (case_parcels), with the step's writes. Returns how and when it was delivered (the carrier's time
   * when it gave one), or null when `done()` or `giveUpAt` came first.
   */
  async awaitCarrierDelivery(o: {
    leg: string;
    carrier: string;
    trackingNumber: string;
    expectedBy: Date;
    giveUpAt: Date;
    poll: () => Promise<{ delivered: boolean; deliveredAt?: string }>;
    done: () => boolean;
    maxPolls?: number;
  }): Promise<{ by: 'event' | 'poll'; deliveredAt?: string } | null> {
    await this.write('watchParcel', { caseId: this.caseId, leg: o.leg, carrier: o.carrier, trackingNumber: o.trackingNumber, at: this.now() });
    const giveUp = o.giveUpAt.getTime();
    const from = Math.min(o.expectedBy.getTime(), giveUp);
    const polls = o.maxPolls ?? 3;
    const pollAt = Array.from({ length: polls }, (_, i) => from + Math.floor(((giveUp - from) * i) / polls));
    let asked = 0;
    const event = () => this.carrierDelivery(o.trackingNumber);
    for (;;) {
      const seen = event();
      if (seen) return { by: 'event', deliveredAt: seen.deliveredAt };
      if (o.done()) return null;
      const now = Date.now();
      if (asked < polls && now >= pollAt[asked] && now < giveUp) {
        asked++;
        const status = await o.poll();
        if (status.delivered) return { by: 'poll', ...(status.deliveredAt && { deliveredAt: status.deliveredAt }) };
        continue;
      }
      if (now >= giveUp) return null;
      const next = asked < polls ? Math.min(pollAt[asked], giveUp) : giveUp;
      await this.until(() => (event() !== undefined || o.done()) && this.settled(), Math.max(1, next - now));
    }
  }

  /** Delivery receipts heard during this run (noticeDeliveredSignal): notice key to acceptance time (ISO). */
  private readonly noticeDeliveries = new Map<string, string>();

  /** The time the mail server accepted the notice queued under `noticeKey`, if its receipt has come (this run). */
  noticeDeliveredAt(noticeKey: string): Date | null {
    const at = this.noticeDeliveries.get(noticeKey);
    return at ? new Date(at) : null;
  }

  /**
   * Waits for the delivery receipt of the notice queued under `noticeKey` (kase.notify's key) and returns the time the
   * mail server accepted it: a clock that runs from delivery starts there. An 'uncertain' send gives no receipt (see
   * activities/notificationOutbox.ts): the clock starts at the first confirmed acceptance of a resend (an at-least-once
   * template), never on a send we cannot know arrived. No command: the wait is a condition on signals.
   */
  async awaitNoticeDelivered(noticeKey: string): Promise<Date> {
    await condition(() => this.noticeDeliveries.has(noticeKey));
    return this.noticeDeliveredAt(noticeKey)!;
  }

  /**
   * A period of `days` civil days counted from the delivery of a notice (dayPeriodEndsAt on the case's calendar: from
   * the day after the acceptance, Civil Code arts. 201, 203): waits for the receipt, returns its time and the period's
   * end. The caller sleeps, or runs an SLA, to that end.
   */
  async dayPeriodFromDelivery(noticeKey: string, days: number, options: DayPeriodOptions): Promise<{ deliveredAt: Date; endsAt: Date }> {
    const deliveredAt = await this.awaitNoticeDelivered(noticeKey);
    return { deliveredAt, endsAt: dayPeriodEndsAt(this.currentCalendar, deliveredAt, days, options) };
  }

  /** Messages posted in the case's thread during this run (threadMessageSignal), oldest first. */
  private readonly threadMessages: ThreadMessagePosted[] = [];

  /**
   * Waits for a message from `from` in the case's thread under an SLA (e.g. "the merchant replies within 8 working
   * hours"): a party wait at `step`, whose deadline shows on the case and whose reminder and lapse follow the policy.
   * Only a message posted after the wait began counts. Returns the reply's id, or null when the clock lapsed
   * (onBreach 'default-decision'); with 'notify' or 'reassign' the wait goes on past the deadline, escalated.
   */
  async awaitThreadReply(o: { from: ThreadParty; step: string; slaName: string; sla: SlaPolicy }): Promise<{ messageId: string | null; sla: SlaResult }> {
    const since = this.threadMessages.length;
    const waiting = this.awaitParty(o.step, o.slaName, o.sla);
    // A message heard after the wait began counts; so does one posted after its clock started, for a wait that began in
    // an earlier run (its clock carried) and heard its reply in this run before the flow came back to it.
    const startedAt = Date.parse(waiting.clock.facts.startedAt);
    const reply = () => this.threadMessages.find((m, i) => m.party === o.from && (i >= since || Date.parse(m.at) >= startedAt));
    const sla = await waiting.until(() => reply() !== undefined);
    const m = reply();
    if (m) await this.record('thread.reply_received', { messageId: m.messageId, party: m.party, sla: sla.outcome });
    else await this.record('thread.reply_lapsed', { party: o.from, sla: sla.outcome });
    return { messageId: m?.messageId ?? null, sla };
  }

  /**
   * Opens a case of another process (`caseType`, a process of the catalogue) linked to this one (`linkType`, read from
   * this case: 'handed_over_to' the case opened, say), through the case-opening service: the same validation and
   * idempotency as POST /v1/cases. Its idempotency key is derived from the case id and the event sequence, so a retried
   * activity or a replay never opens a second case. Both cases show the link and record it on their timelines
   * (case.linked). When the catalogue has no such process (or the process refuses the body), nothing is opened, the case
   * records case.link_skipped with the reason and goes on. Call it behind the workflow's own patch.
   */
  async openLinkedCase(caseType: string, input: Record<string, string | number | boolean | null>, linkType: CaseLinkType): Promise<OpenLinkedCaseResult> {
    await this.flush();
    const eventKey = this.nextKey();
    const at = this.now();
    const result = await linking.openLinkedCase({ fromCaseId: this.caseId, caseType, body: input, linkType, idempotencyKey: `${this.caseId}:link:${this.seq}`, eventKey, at });
    if (result.status === 'linked') {
      // Written by the activity on both trails (eventKey here); the live view keeps it too.
      this.remember({ at, type: 'case.linked', actor: SYSTEM, data: { linkType, direction: 'outgoing', caseId: result.caseId, caseType: result.caseType } });
    } else {
      await this.record('case.link_skipped', { caseType, linkType, reason: result.reason, ...(result.code && { code: result.code }) });
    }
    return result;
  }

  /**
   * A later run takes up what the previous one carried: the counters, the case's step and deadlines, the open tasks
   * (shown and completable at once; the flow's humanTask of the same type and SLA waits on them again) and the clocks.
   * The run's first audit event says which run it is.
   */
  private takeUp(c: CaseCarry): void {
    this.seq = c.seq;
    this.taskSeq = c.taskSeq;
    Object.assign(this.view, { status: c.status, step: c.step, outcome: c.outcome, deadlines: { ...c.deadlines } });
    this.deadlinesSent = JSON.stringify(c.deadlines);
    this.awaiting = c.awaiting;
    this.calendarReads = [...c.calendarReads];
    for (const read of c.calendarReads) this.currentCalendar = withCalendarYears(this.currentCalendar, read);
    for (const clock of c.clocks) this.carriedClocks.set(clock.name, clock);
    this.deliveries.push(...(c.heard?.carrierDeliveries ?? []));
    for (const [key, at] of c.heard?.noticeDeliveries ?? []) this.noticeDeliveries.set(key, at);
    this.threadMessages.push(...(c.heard?.threadMessages ?? []));
    for (const t of c.tasks) {
      this.carriedTasks.push(t);
      this.tasks.set(t.taskId, { ...t, status: 'open' });
    }
    void this.record('case.run_continued', { run: c.run, previousRunId: c.previous.runId, previousEvents: c.previous.events, openTasks: c.tasks.map((t) => t.taskId) });
  }

  /** What the previous run carried of the process's own position (kase.carries()); undefined in a case's first run. */
  resumed<S extends FlowState>(): S | undefined {
    return this.carried?.flow as S | undefined;
  }

  /** The process's position, read when the case switches runs: the next run finds it in resumed(). */
  carries(state: () => FlowState): void {
    this.flowState = state;
  }
  /** An update handler of this case, counted while it runs (settled()). */
  private counted<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      this.handlersRunning++;
      try {
        return await handler(...args);
      } finally {
        this.handlersRunning--;
      }
    };
  }

  private now(): string {
    return new Date().toISOString();
  }

  private nextKey(): string {
    return `${workflowInfo().workflowId}:${++this.seq}`;
  }

  /** The version of a deadlines write: the sequence number of the event key it travels with. */
  private get version(): number {
    return this.seq;
  }

  /** Appends an audit event (and optionally updates the case row) in one activity. */
  async record(
    type: string,
    data: Record<string, unknown> = {},
    opts: { actor?: string; step?: string; outcome?: string; closed?: boolean; merchantId?: string } = {},
  ): Promise<void> {
    const at = this.now();
    const actor = opts.actor ?? SYSTEM;
    if (opts.step) this.view.step = opts.step;
    if (opts.outcome) this.view.outcome = opts.outcome;
    if (opts.closed) this.view.status = 'closed';
    const entry: TimelineEntry = { at, type, actor, data };
    this.remember(entry);
    log.info('case event', { caseId: this.caseId, type, step: this.view.step });
    const statusChanged = opts.step !== undefined || opts.closed;
    await this.write('recordCaseEvent', {
      caseId: this.caseId,
      eventKey: this.nextKey(),
      deadlinesVersion: this.version,
      type,
      actor,
      at,
      payload: data,
      casePatch: statusChanged || opts.outcome || opts.merchantId
        ? {
            step: this.view.step,
            status: this.view.status,
            outcome: this.view.outcome,
            deadlines: this.view.deadlines,
            closed: opts.closed,
            ...(opts.merchantId && { merchantId: opts.merchantId }),
          }
        : undefined,
    });
    if (statusChanged || opts.merchantId) this.upsertVisibility();
  }

  /**
   * A case opened before its merchant was known (a complaint by e-mail): the merchant a staff member named. From here
   * the merchant's principals act on the case; `record(..., { merchantId })` writes it on the case row, and a later run
   * calls this again with the carried id (nothing written).
   */
  identifyMerchant(merchantId: string): void {
    this.merchantId = merchantId;
  }

  /**
   * One write of the case: kept for the step's batch (batched cases; resolves at once), else its own local or queued
   * activity, exactly as such cases recorded it.
   */
  private write<K extends CaseWrite['kind']>(kind: K, input: Extract<CaseWrite, { kind: K }>['input']): Promise<void> {
    if (!this.batched) return (this.acts[kind] as (i: typeof input) => Promise<void>)(input);
    // A deadlines list travels by reference: the batch must carry it as it is now.
    const i = input as { deadlines?: Record<string, string | null>; casePatch?: { deadlines?: Record<string, string | null> } };
    const copy = { ...i, ...(i.deadlines && { deadlines: { ...i.deadlines } }), ...(i.casePatch?.deadlines && { casePatch: { ...i.casePatch, deadlines: { ...i.casePatch.deadlines } } }) };
    const carried = copy.casePatch?.deadlines ?? copy.deadlines;
    if (carried) this.deadlinesSent = JSON.stringify(carried);
    this.pending.push({ kind, input: copy } as CaseWrite);
    return Promise.resolve();
  }

  /**
   * DEADLINES_ON_CHANGE_PATCH: when the running deadlines differ from what the case's writes last carried, one more
   * write in the batch carries them, under a sequence number newer than every write before it (the case row keeps the
   * newest list).
   */
  private sendChangedDeadlines(): void {
    if (!this.deadlinesOnChange) return;
    const now = JSON.stringify(this.view.deadlines);
    if (now === this.deadlinesSent) return;
    this.nextKey();
    this.pending.push({ kind: 'setDeadlines', input: { caseId: this.caseId, deadlines: { ...this.view.deadlines }, deadlinesVersion: this.version, at: this.now() } });
    this.deadlinesSent = now;
  }

  /**
   * Sends the writes made so far in one local activity (one transaction) and resolves once they and any batch before
   * them have landed. Called before the case waits, calls another activity or answers an update; no-op for cases
   * whose writes are not batched.
   */
  flush(): Promise<void> {
    if (!this.batched) return Promise.resolve();
    this.flushCalls++;
    this.sendChangedDeadlines();
    const run = this.flushing.then(async () => {
      const landing = this.landing;
      this.landing = [];
      if (this.pending.length === 0) return landing.forEach((l) => l.resolve());
      const writes = this.pending;
      this.pending = [];
      try {
        await this.local(local).applyCaseWrites({ caseId: this.caseId, writes });
      } catch (err) {
        landing.forEach((l) => l.reject(err));
        throw err;
      }
      landing.forEach((l) => l.resolve());
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves once the writes made so far have landed (STEP_WRITES_PATCH), sent by the batch the flow this handler
   * unblocks sends when it next waits. The handler waits for that flow to ask for it; settled() counts it as done
   * meanwhile. Then it asks for a batch itself, which sends nothing when the flow's batch took its writes.
   */
  private async landWithNextStep(): Promise<void> {
    const landed = new Promise<void>((resolve, reject) => this.landing.push({ resolve, reject }));
    const mark = this.flushCalls;
    this.handlersParked++;
    try {
      await condition(() => this.flushCalls > mark);
    } finally {
      this.handlersParked--;
    }
    this.flush().catch(() => undefined); // its failure reaches this handler through `landed`
    await landed;
  }

  /** Awaits `promise` (a step running beside this one, say) once the case's writes have landed (batched cases). */
  wait<T>(promise: Promise<T> | T): Promise<T> | T {
    return this.batched ? this.flush().then(() => promise) : promise;
  }

  /**
   * Waits like condition(), once the case's writes have landed (batched cases). The timeout counts from the call:
   * the time the writes took is taken off it.
   */
  until(fn: () => boolean, timeoutMs: number): Promise<boolean>;
  until(fn: () => boolean): Promise<void>;
  until(fn: () => boolean, timeoutMs?: number): Promise<boolean | void> {
    if (!this.batched) return timeoutMs === undefined ? condition(fn) : condition(fn, timeoutMs);
    const endsAt = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    return this.flush().then((): Promise<boolean | void> => {
      if (endsAt === undefined) return condition(fn);
      const left = endsAt - Date.now();
      return left > 0 ? condition(fn, left) : Promise.resolve(fn());
    });
  }

  /** Sleeps like sleep(), once the case's writes have landed (batched cases); the time they took is taken off. */
  sleep(ms: number): Promise<void> {
    if (!this.batched) return sleep(ms);
    const endsAt = Date.now() + ms;
    return this.flush().then(() => (endsAt > Date.now() ? sleep(endsAt - Date.now()) : undefined));
  }

  /**
   * An update handler whose writes land before it answers (batched cases), whether it returns or refuses. Handlers
   * made with onAction, humanTask and allowCancellation are already.
   */
  answering<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    if (!this.batched) return handler;
    return this.counted(async (...args: A) => {
      try {
        return await handler(...args);
      } finally {
        await this.flush();
      }
    });
  }

  /**
   * The activities of `proxy`, each called once the case's writes so far have landed (batched cases), so the audit
   * trail keeps the order of what happened: "refunding" before the refund's own events.
   */
  afterWrites<A extends object>(proxy: A): A {
    if (!this.batched) return proxy;
    return new Proxy(proxy, {
      get: (target, name) => {
        const fn = (target as Record<string | symbol, unknown>)[name];
        if (typeof fn !== 'function') return fn;
        return (...args: unknown[]) => this.flush().then(() => (fn as (...a: unknown[]) => unknown)(...args));
      },
    });
  }

  upsertVisibility(): void {
    upsertSearchAttributes([
      { key: CaseType, value: this.caseType },
      { key: CaseStatus, value: this.view.status === 'closed' ? `closed:${this.view.outcome}` : this.view.step },
      ...(this.merchantId ? [{ key: MerchantId, value: this.merchantId }] : []),
    ]);
  }

  setDeadline(name: string, at: Date | null): void {
    if (at) this.view.deadlines[name] = at.toISOString();
    else this.clearDeadline(name);
  }

  /**
   * Sends an e-mail through the outbox; the key (noticeKey) makes it once-only per case and milestone.
   * `receipt`: the outbox signals its delivery (noticeDelivered) once the mail server accepted it, for a clock that runs
   * from delivery (awaitNoticeDelivered, dayPeriodFromDelivery); ask it of at-least-once templates only.
   */
  async notify(template: string, recipient: NotifyInput['recipient'], params: NotifyInput['params'] = {}, keySuffix = '', opts: { receipt?: boolean } = {}): Promise<void> {
    await this.write('notify', {
      key: this.noticeKey(template, recipient, keySuffix),
      caseId: this.caseId,
      template,
      recipient,
      params: { caseId: this.caseId, ...params },
      at: this.now(),
      eventKey: this.nextKey(),
      ...(opts.receipt && { receipt: true }),
    });
  }

  /** The outbox key of a notice notify() queues: what awaitNoticeDelivered waits on. */
  noticeKey(template: string, recipient: NotifyInput['recipient'], keySuffix = ''): string {
    return `${this.caseId}:${template}:${recipient.kind}:${recipient.id}${keySuffix}`;
  }

  /** The business calendar the case's next deadline is computed with. */
  get calendar(): BusinessCalendar {
    return this.currentCalendar;
  }

  /**
   * Starts an SLA clock without a task (e.g. waiting on the customer). In a later run, the first clock of a name the
   * previous run carried is that clock, as it was (deadline, reminder, pause): nothing is computed again.
   */
  clock(slaName: string, sla: SlaPolicy, startedAt: Date = new Date()): SlaClock {
    const carried = this.carriedClocks.get(slaName);
    if (carried) {
      this.carriedClocks.delete(slaName);
      const clock = SlaClock.carried(carried, this.currentCalendar, () => this.settled(), this.batched ? () => this.flush() : undefined, this.stepWrites);
      this.slas.push(clock.facts);
      if (!clock.isPaused) this.setDeadline(slaName, clock.dueAt);
      if (this.runs) this.liveClocks.set(slaName, clock);
      return clock;
    }
    const clock = new SlaClock(slaName, sla, this.currentCalendar, startedAt, () => this.settled(), this.batched ? () => this.flush() : undefined, this.stepWrites);
    this.slas.push(clock.facts);
    this.setDeadline(slaName, clock.dueAt);
    this.markCoverage(clock, sla);
    if (this.runs) this.liveClocks.set(slaName, clock);
    return clock;
  }

  /**
   * Stops the running clock `name` (a task's or a party wait's) while the case waits on someone else: paused time does
   * not count, and the deadline leaves the case until resumeClock(). Carried across runs as it is.
   */
  pauseClock(name: string): void {
    const clock = this.liveClocks.get(name);
    if (!clock || clock.isPaused) return;
    clock.pause();
    this.clearDeadline(name);
  }

  /** Restarts a paused clock: its deadline moves by the paused time, on the case and on its open task. */
  resumeClock(name: string): void {
    const clock = this.liveClocks.get(name);
    if (!clock?.isPaused) return;
    clock.resume();
    this.setDeadline(name, clock.dueAt);
    for (const t of this.tasks.values()) if (t.status === 'open' && t.slaName === name) t.dueAt = clock.facts.dueAt;
  }

  /** A clock whose wait ended runs no more: it is not carried. */
  private stopped(clock: SlaClock): void {
    if (this.liveClocks.get(clock.name) === clock) this.liveClocks.delete(clock.name);
  }

  // --- Cases longer than one run (continue-as-new) -------------------------------------------------------------

  /**
   * True once this run's history has passed the process's bound (events, bytes) or the server suggests a new run.
   * Only for cases with a bound whose writes are batched (a case of today without a bound never switches).
   */
  private newRunDue(): boolean {
    if (!this.runs || !this.batched || this.newRunsAllowed === false || this.isCancelled()) return false;
    const info = workflowInfo();
    const { events, bytes } = this.runs.bound;
    return (events !== undefined && info.historyLength >= events) || (bytes !== undefined && info.historySize >= bytes) || info.continueAsNewSuggested;
  }

  /** The hooks of a wait that may switch runs while it idles; `leave` when the wait is over. */
  private newRunHooks(done: () => boolean): { hooks: Pick<SlaHooks, 'newRunDue' | 'onNewRunDue'>; leave: () => void } {
    if (!this.runs) return { hooks: {}, leave: () => undefined };
    const wait: KitWait = { done, parked: false };
    this.waits.add(wait);
    return { hooks: { newRunDue: () => this.newRunDue(), onNewRunDue: () => this.yieldToNewRun(wait) }, leave: () => this.waits.delete(wait) };
  }

  /**
   * A point where the flow lets the case go on in a new run: it does when its history has passed the bound (or always,
   * with `force`). Call it where no other branch of the flow runs outside a CaseKit wait. Returns when the case stays
   * in this run; otherwise the run ends here and the next starts with resumed() = carries().
   */
  async continueAsNewIfDue(opts: { force?: boolean } = {}): Promise<void> {
    if (!this.runs || !this.batched) return;
    if (!opts.force && !this.newRunDue()) return;
    const { hooks, leave } = this.newRunHooks(() => false);
    try {
      await hooks.onNewRunDue!();
    } finally {
      leave();
    }
  }

  /**
   * A wait whose run is due to end parks; once every wait of the case is parked, the case switches runs (switchRuns).
   * Returns (the wait goes on in this run) when this wait ended meanwhile or the switch was called off.
   */
  private async yieldToNewRun(wait: KitWait): Promise<void> {
    if (this.newRunsAllowed === undefined) this.newRunsAllowed = this.carried !== undefined || this.patched(CONTINUE_AS_NEW_PATCH);
    if (!this.newRunsAllowed) return;
    wait.parked = true;
    try {
      await condition(() => wait.done() || this.allWaitsParked());
      if (wait.done()) return;
      this.switching ??= this.switchRuns().finally(() => {
        this.switching = undefined;
      });
      await this.switching;
    } finally {
      wait.parked = false;
    }
  }

  private allWaitsParked(): boolean {
    return this.waits.size > 0 && [...this.waits].every((w) => w.parked && !w.done());
  }

  /**
   * Ends this run and starts the next with the workflow's input and the carry-over. First every write lands and every
   * update handler finishes (an update accepted in this run completes in it, and what it changed is carried); a handler
   * that ended a wait, or a cancellation, calls the switch off: the flow goes on in this run and switches later. The
   * last check and continueAsNew run in one go, so nothing arrives between them; an update the server hands over
   * after it goes to the new run, whose handlers are registered before its first await.
   */
  private async switchRuns(): Promise<void> {
    for (;;) {
      await this.flush();
      await condition(() => allHandlersFinished() || !this.allWaitsParked());
      if (!this.allWaitsParked() || this.isCancelled()) return;
      if (this.pending.length === 0) break;
    }
    const info = workflowInfo();
    const carried = this.carryOver(info);
    log.info('case continues as new', { caseId: this.caseId, run: carried.run, events: info.historyLength, bytes: info.historySize });
    // The case's search attributes (type, status, merchant) go with it, as upserted so far.
    await makeContinueAsNewFunc<(input: object) => Promise<unknown>>({ typedSearchAttributes: info.typedSearchAttributes })({ ...this.runs!.input, carried });
  }

  /** What the next run starts from (CaseCarry). */
  private carryOver(info: ReturnType<typeof workflowInfo>): CaseCarry {
    const { localWrites, batched, stepWrites, deadlinesOnChange } = this;
    return {
      run: this.run + 1,
      seq: this.seq,
      taskSeq: this.taskSeq,
      modes: { localWrites, batched, stepWrites, deadlinesOnChange },
      status: this.view.status,
      step: this.view.step,
      outcome: this.view.outcome,
      deadlines: { ...this.view.deadlines },
      awaiting: this.awaiting,
      tasks: [...this.tasks.values()]
        .filter((t) => t.status === 'open')
        .map(({ taskId, type, role, dueAt, escalated, slaName }) => ({ taskId, type, role, dueAt, escalated, slaName })),
      clocks: [...[...this.liveClocks.values()].map((c) => c.carryOver()), ...this.carriedClocks.values()],
      calendarReads: this.calendarReads,
      ...(this.flowState && { flow: this.flowState() }),
      ...((this.deliveries.length > 0 || this.noticeDeliveries.size > 0 || this.threadMessages.length > 0) && {
        // The thread's last messages (ids, parties, times): a reply heard as the run switched still ends its wait.
        heard: { carrierDeliveries: [...this.deliveries], noticeDeliveries: [...this.noticeDeliveries], threadMessages: this.threadMessages.slice(-THREAD_MESSAGES_CARRIED) },
      }),
      previous: { runId: info.runId, events: info.historyLength, bytes: info.historySize },
    };
  }

  /**
   * 放假办法 art. 2: a year without a State Council notice has only its statutory holidays (provisional, no make-up
   * workdays known); a year beyond the data has none. A working-time deadline over such a year is marked on its
   * facts (the case's view) and flagged in the audit trail at the next write point (recordCalendarFlags).
   */
  private markCoverage(clock: SlaClock, sla: SlaPolicy): void {
    delete clock.facts.calendar;
    this.calendarFlags = this.calendarFlags.filter((f) => f.sla !== clock.name);
    if (!isWorkingUnit(sla.within)) return;
    const { provisionalYears, uncoveredYears } = calendarCoverage(clock.calendarUsed, new Date(clock.facts.startedAt), clock.dueAt);
    if (!provisionalYears.length && !uncoveredYears.length) return;
    const version = clock.calendarUsed.version ?? null;
    clock.facts.calendar = { provisional: true, version, provisionalYears, uncoveredYears };
    this.calendarFlags.push({ sla: clock.name, dueAt: clock.facts.dueAt, calendarVersion: version, provisionalYears, uncoveredYears });
  }

  /**
   * Whether a new clock's deadline should first read the holiday data of the years it reaches (CALENDAR_READ_PATCH):
   * it is marked provisional or beyond the data. Synchronous, so that a case that needs no read awaits nothing.
   */
  private wantsCalendarRead(clock: SlaClock): boolean {
    return clock.facts.calendar !== undefined && this.patched(CALENDAR_READ_PATCH);
  }

  /**
   * Reads, through a recorded local activity, the holiday data in force now (an imported notice, say) for the years a
   * new clock reaches and the year after, then computes the clock again with it, before it is written or waited on.
   * A replay reads the recorded answer: the same deadline. Deadlines already running keep their calendar.
   */
  private async readCalendarFor(clock: SlaClock, sla: SlaPolicy): Promise<void> {
    const cal = this.currentCalendar;
    const official = new Set(cal.officialYears ?? []);
    const years: number[] = [];
    for (let y = localYearOf(cal, new Date(clock.facts.startedAt)); y <= localYearOf(cal, clock.dueAt) + 1; y++) if (!official.has(y)) years.push(y);
    const read = await this.acts.resolveCalendar({ caseId: this.caseId, years });
    this.calendarReads.push(read);
    this.currentCalendar = withCalendarYears(cal, read);
    clock.useCalendar(this.currentCalendar);
    this.setDeadline(clock.name, clock.dueAt);
    this.markCoverage(clock, sla);
  }

  /** Records the flags of deadlines computed over provisional or missing holiday data (audit event 'sla.deadline_provisional'). */
  private async recordCalendarFlags(): Promise<void> {
    const flags = this.calendarFlags;
    this.calendarFlags = [];
    for (const flag of flags) await this.record('sla.deadline_provisional', flag);
  }

  /** Whether flags wait to be recorded (checked synchronously: a case without any awaits nothing more). */
  private get calendarFlagsPending(): boolean {
    return this.calendarFlags.length > 0 && this.patched(CALENDAR_READ_PATCH);
  }

  /**
   * A human step: a task row in PostgreSQL plus the completeTask update, under an SLA.
   * Returns the validated completion, or 'breached' when the policy's default decision applies.
   */
  async humanTask<P>(spec: HumanTaskSpec): Promise<TaskOutcome<P>> {
    if (spec.check) this.taskChecks.set(spec.type, spec.check);
    if (spec.notBy) this.taskNotBy.set(spec.type, spec.notBy);
    const carriedAt = this.carriedTasks.findIndex((t) => t.type === spec.type && t.slaName === spec.slaName);
    if (carriedAt >= 0) {
      // The previous run opened this task: its row is open, its clock runs on; nothing is written again.
      const [carried] = this.carriedTasks.splice(carriedAt, 1);
      const clock = this.clock(spec.slaName, spec.sla, spec.startedAt);
      return this.awaitTask<P>(spec, this.tasks.get(carried.taskId)!, clock);
    }
    const taskId = `${this.caseId}.t${++this.taskSeq}`;
    const clock = this.clock(spec.slaName, spec.sla, spec.startedAt);
    if (this.wantsCalendarRead(clock)) await this.readCalendarFor(clock, spec.sla);
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
    await this.write('openTask', {
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
      deadlines: this.view.deadlines,
      deadlinesVersion: this.version,
    });
    this.remember({ at: this.now(), type: 'task.created', actor: SYSTEM, data: { taskId, type: spec.type, role: spec.role, dueAt: task.dueAt } });
    if (this.calendarFlagsPending) await this.recordCalendarFlags();
    return this.awaitTask<P>(spec, task, clock);
  }

  /** Waits for an open task under its clock: completed, breached (default decision) or interrupted. */
  private async awaitTask<P>(spec: HumanTaskSpec, task: TaskState, clock: SlaClock): Promise<TaskOutcome<P>> {
    const taskId = task.taskId;
    const escalate = async (kind: 'reminder' | 'breach', facts: SlaFacts, action?: 'reassign-to-supervisor' | 'notify') => {
      if (kind === 'breach') {
        task.escalated = true;
        if (action === 'reassign-to-supervisor') task.role = 'supervisor';
      }
      this.remember({ at: this.now(), type: kind === 'reminder' ? 'sla.reminded' : 'sla.escalated', actor: SYSTEM, data: { taskId, sla: spec.slaName, action: action ?? null } });
      await this.write('escalateTask', { taskId, caseId: this.caseId, kind, action, slaName: spec.slaName, dueAt: facts.dueAt, at: this.now(), eventKey: this.nextKey() });
      const recipient = kind === 'breach' && action ? { kind: 'role' as const, id: 'supervisor' } : spec.notifyOnEscalation;
      if (recipient) await this.notify(kind === 'reminder' ? 'task.reminder' : 'task.escalated', recipient, { taskType: spec.type, dueAt: facts.dueAt }, `:${taskId}`);
    };

    task.awaited = true;
    const done = () => task.status !== 'open' || (spec.interrupt?.() ?? false);
    const runs = this.newRunHooks(done);
    let result: SlaResult;
    try {
      result = await clock.waitFor(done, {
        onReminder: (facts) => escalate('reminder', facts),
        onEscalate: (action, facts) => escalate('breach', facts, action === 'default-decision' ? undefined : action),
        ...runs.hooks,
      });
    } finally {
      runs.leave();
    }
    this.stopped(clock);
    task.awaited = false;

    if (task.status === 'completed') {
      return { kind: 'completed', payload: task.result as P, actor: { id: task.completedBy!, role: task.role }, sla: result.facts };
    }
    this.clearDeadline(spec.slaName);
    if (result.outcome === 'breached') {
      task.status = 'expired';
      this.remember({ at: this.now(), type: 'sla.breached', actor: SYSTEM, data: { taskId, sla: spec.slaName, dueAt: result.facts.dueAt, defaultDecision: spec.defaultDecision ?? null } });
      await this.write('closeTask', {
        taskId,
        caseId: this.caseId,
        status: 'expired',
        resolution: `auto:${spec.defaultDecision ?? 'none'}`,
        actor: SYSTEM,
        at: this.now(),
        eventKey: this.nextKey(),
        result: { sla: result.facts },
        deadlines: this.view.deadlines,
        deadlinesVersion: this.version,
      });
      return { kind: 'breached', sla: result.facts };
    }
    task.status = 'cancelled';
    await this.write('closeTask', { taskId, caseId: this.caseId, status: 'cancelled', resolution: 'cancelled', actor: SYSTEM, at: this.now(), eventKey: this.nextKey(), deadlines: this.view.deadlines, deadlinesVersion: this.version });
    return { kind: 'interrupted' };
  }

  private parsePayload(type: string, payload: unknown): { ok: true; value: unknown } | { ok: false; message: string; issues: unknown } {
    const def = this.taskTypes[type];
    if (!def) return { ok: true, value: payload }; // a task type this process no longer declares: accept as recorded
    const r = def.payload.safeParse(payload);
    return r.success ? { ok: true, value: r.data } : { ok: false, message: describeIssues(r.error.issues), issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
  }

  private validateCompletion(args: { taskId: string; actor: ActingParty; payload: unknown }): void {
    const task = this.tasks.get(args?.taskId);
    if (!task) refuse(CaseErrors.TaskNotOpen, `Task ${args?.taskId} does not belong to this case`);
    if (task.status !== 'open') refuse(CaseErrors.TaskNotOpen, `Task ${task.taskId} is already ${task.status}`);
    if (!args.actor?.id) refuse(CaseErrors.InvalidPayload, 'actor is required');
    // The workflow decides who acts, whatever reached its port: the task's role (a supervisor may act for
    // agents), and a merchant only on its own merchant's task.
    if (!mayComplete(args.actor, task.role, this.merchantId)) {
      refuse(CaseErrors.Forbidden, `A ${args.actor.role} may not complete a ${task.role} task`);
    }
    if (this.taskNotBy.get(task.type)?.includes(args.actor.id)) refuse(CaseErrors.Forbidden, `Another person decides this ${task.type} (${args.actor.id} may not)`);
    const parsed = this.parsePayload(task.type, args.payload);
    if (!parsed.ok) refuse(CaseErrors.InvalidPayload, `Invalid ${task.type} payload: ${parsed.message}`, { issues: parsed.issues });
    const refused = this.taskChecks.get(task.type)?.(parsed.value, args.actor);
    if (refused) refuse(CaseErrors.NotAllowedNow, refused);
  }

  /**
   * The validator parsed the payload; payload schemas give back what they accept (no transforms or defaults,
   * test/unit/lazySchemas.test.ts), so the handler takes it as it is, live and on replay alike.
   */
  private async completeTask(args: { taskId: string; actor: ActingParty; payload: unknown }): Promise<TaskView> {
    const task = this.tasks.get(args.taskId)!;
    task.status = 'completed';
    task.completedBy = args.actor.id;
    task.result = args.payload;
    this.clearDeadline(task.slaName);
    this.remember({ at: this.now(), type: 'task.completed', actor: args.actor.id, data: { taskId: task.taskId, type: task.type, result: task.result as Record<string, unknown> } });
    await this.write('closeTask', {
      taskId: task.taskId,
      caseId: this.caseId,
      status: 'completed',
      resolution: 'completed',
      actor: args.actor.id,
      result: task.result,
      at: this.now(),
      eventKey: this.nextKey(),
      deadlines: this.view.deadlines,
      deadlinesVersion: this.version,
    });
    // The update answers once the task row is closed: with the writes of the step it unblocks (STEP_WRITES_PATCH),
    // or in a batch of its own.
    if (this.stepWrites && task.awaited) await this.landWithNextStep();
    else if (this.batched) await this.flush();
    return publicTask(task);
  }

  /**
   * A party action (POST /v1/cases/{id}/actions/{name}): its update, whose validator checks who acts (the
   * action's roles; a merchant only on its own case), the body, and `refusal()` (null when the case accepts
   * it now). The handler answers with the step only: update results are kept in history.
   */
  onAction<B>(
    def: PartyActionDef<B>,
    opts: { refusal: () => string | null; run: (body: B, actor: ActingParty) => Promise<void> | void; /** A refusal that reads the valid body. */ check?: (body: B) => string | null },
  ): void {
    const bodyOf = (args: Record<string, unknown>) => (def.field ? args?.[def.field] : omitActor(args));
    setHandler(
      defineUpdate<{ step: string }, [Record<string, unknown> & { actor: ActingParty }]>(def.update),
      this.counted(async (args: Record<string, unknown> & { actor: ActingParty }) => {
        // Validated by the validator below; body schemas give back what they accept, so it is taken as it is.
        await opts.run(bodyOf(args) as B, args.actor);
        if (this.batched) await this.flush();
        return { step: this.view.step };
      }),
      {
        validator: (args) => {
          if (!args?.actor?.id) refuse(CaseErrors.InvalidPayload, 'actor is required');
          if (!def.roles.includes(args.actor.role) || (args.actor.role === 'merchant' && args.actor.merchantId !== this.merchantId)) {
            refuse(CaseErrors.Forbidden, `A ${args.actor.role} may not ${def.summary.charAt(0).toLowerCase()}${def.summary.slice(1)}`);
          }
          if (this.view.status === 'closed') refuse(CaseErrors.NotAllowedNow, `The case is closed (${this.view.outcome})`);
          const reason = opts.refusal();
          if (reason) refuse(CaseErrors.NotAllowedNow, reason);
          const parsed = def.body.safeParse(bodyOf(args));
          if (!parsed.success) refuse(CaseErrors.InvalidPayload, describeIssues(parsed.error.issues));
          const refused = opts.check?.(parsed.data as B);
          if (refused) refuse(CaseErrors.NotAllowedNow, refused);
        },
      },
    );
  }

  /** The refusal of a step-bound action: null while the case waits for `step` and `done` is false. */
  unlessAwaiting(step: string, done: boolean): string | null {
    return this.awaiting === step && !done ? null : `The case is not waiting for ${step.replace(/_/g, ' ')} (step: ${this.view.step})`;
  }

  /**
   * The case accepts `step`'s action from now on, before its clock starts: for a step whose prompt (a code by SMS)
   * reaches the person while the activity that sends it is still running. `awaitParty(step, …)` follows.
   */
  expectParty(step: string): void {
    this.awaiting = step;
  }

  /**
   * Waits on a party for `step` under an SLA clock: the deadline is on the case while it runs, the
   * reminder goes out at the policy's fraction, and the wait ends when `done()` holds or the clock lapses
   * ('breached': the caller applies the lapse outcome). The case accepts the step's action meanwhile.
   */
  awaitParty(step: string, slaName: string, sla: SlaPolicy): { clock: SlaClock; until: (done: () => boolean, onReminder?: (facts: SlaFacts) => Promise<void>) => Promise<SlaResult> } {
    this.awaiting = step;
    const clock = this.clock(slaName, sla);
    return {
      clock,
      until: async (done, onReminder) => {
        if (this.calendarFlagsPending) await this.recordCalendarFlags();
        const runs = this.newRunHooks(done);
        let r: SlaResult;
        try {
          r = await clock.waitFor(done, { ...(onReminder && { onReminder }), ...runs.hooks });
        } finally {
          runs.leave();
        }
        this.stopped(clock);
        this.awaiting = null;
        this.clearDeadline(slaName);
        return r;
      },
    };
  }

  /**
   * The recent timeline, for the live query: the last TIMELINE_KEPT entries. The full trail is the audit
   * table in PostgreSQL; a case waiting for weeks keeps no growing list in the worker's memory.
   */
  private remember(entry: TimelineEntry): void {
    this.view.timeline.push(entry);
    if (this.view.timeline.length > TIMELINE_KEPT) this.view.timeline.splice(0, this.view.timeline.length - TIMELINE_KEPT);
  }

  /**
   * True when no update handler is still running. With local writes, a handler's writes and the flow it
   * unblocks would otherwise race inside one workflow task; every wait of the case also waits for this, so
   * the order is the same on every replay. Always true for cases with queued writes (recorded before).
   */
  settled(): boolean {
    return !this.localWrites || allHandlersFinished() || (this.stepWrites && this.handlersRunning === this.handlersParked);
  }

  /** A deadline that no longer runs leaves the case's list. */
  clearDeadline(name: string): void {
    delete this.view.deadlines[name];
  }

  /**
   * The customer (through the storefront) or staff may cancel the case while `refusal()` returns null;
   * otherwise it returns the policy's reason. Returns a getter the workflow checks at each wait.
   */
  allowCancellation(refusal: () => string | null, roles: readonly Role[] = CANCELLERS): () => boolean {
    let cancelled = false;
    this.isCancelled = () => cancelled;
    setHandler(
      cancelCaseUpdate,
      this.counted(async ({ actor, reasonCode }) => {
        cancelled = true;
        await this.record('case.cancel_requested', { reasonCode }, { actor: actor.id });
        if (this.batched) await this.flush();
        return { step: this.view.step };
      }),
      {
        validator: ({ actor }) => {
          if (!actor?.id || !roles.includes(actor.role)) refuse(CaseErrors.Forbidden, `A ${actor?.role ?? 'caller without a role'} may not cancel a case`);
          if (this.view.status === 'closed') refuse(CaseErrors.NotAllowedNow, `Case is already closed (${this.view.outcome})`);
          if (cancelled) refuse(CaseErrors.NotAllowedNow, 'Cancellation already requested');
          const reason = refusal();
          if (reason) refuse(CaseErrors.PolicyRefused, reason);
        },
      },
    );
    return () => cancelled;
  }

  private isCancelled: () => boolean = () => false;

  /**
   * How a wait on a party ended the case, if it did: cancelled while waiting, or lapsed (the lapse is
   * recorded as `lapse.event` with the deadline, and the case ends with `lapse.outcome`). Null: the party
   * acted in time and the case goes on.
   *   const ended = await kase.endedBy(shipped, { event: 'return.abandoned', reason: 'no_shipment_by_deadline', outcome: 'abandoned' });
   *   if (ended) return close(ended);
   */
  async endedBy<O extends string>(wait: SlaResult, lapse: { event: string; reason?: string; outcome: O }): Promise<O | 'cancelled' | null> {
    if (this.isCancelled()) return 'cancelled';
    if (wait.outcome !== 'breached') return null;
    await this.record(lapse.event, { ...(lapse.reason && { reason: lapse.reason }), dueAt: wait.facts.dueAt });
    return lapse.outcome;
  }

  /** Closes every open task (cancellation). */
  openTasks(): TaskView[] {
    return [...this.tasks.values()].filter((t) => t.status === 'open').map(publicTask);
  }
}

/** Who may complete a task of `role`: the role itself, a supervisor for agent tasks, a merchant only for its own case. */
export function mayComplete(actor: ActingParty, role: Role, caseMerchantId?: string): boolean {
  switch (role) {
    case 'merchant':
      return actor.role === 'merchant' && actor.merchantId === caseMerchantId;
    case 'agent':
      return actor.role === 'agent' || actor.role === 'supervisor';
    case 'supervisor':
      return actor.role === 'supervisor';
    default:
      return actor.role === role;
  }
}

function omitActor(args: Record<string, unknown>): Record<string, unknown> {
  const { actor: _actor, ...rest } = args ?? {};
  return rest;
}

function publicTask(t: TaskState): TaskView {
  return { taskId: t.taskId, type: t.type, role: t.role, status: t.status, dueAt: t.dueAt, escalated: t.escalated, completedBy: t.completedBy };
}
