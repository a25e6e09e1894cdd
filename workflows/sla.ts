// Reusable SLA clock for workflows: a deadline in business or calendar time, an optional reminder,
// a breach action, and pause/resume while the case waits on the customer (paused time does not count).
import { condition } from '@temporalio/workflow';
import type { BusinessCalendar } from '../policy/businessCalendar';
import type { BreachAction, SlaPolicy } from '../policy/schemas';
import { addClockTime, clockTimeBetween, durationMs, isWorkingUnit } from '../policy/durations';

export interface SlaFacts {
  name: string;
  startedAt: string;
  dueAt: string;
  remindedAt?: string;
  breachedAt?: string;
  metAt?: string;
  pausedMs: number;
  outcome: 'pending' | 'met' | 'breached';
  /**
   * Set when the deadline was computed over holiday data that is not (all) official: years with only the statutory
   * holidays (全国年节及纪念日放假办法, no notice yet) or beyond the data. The calendar's version is recorded with it.
   */
  calendar?: { provisional: true; version: string | null; provisionalYears: number[]; uncoveredYears: number[] };
}

export interface SlaHooks {
  /** Fired once when the reminder fraction has elapsed. */
  onReminder?: (facts: SlaFacts) => Promise<void>;
  /** Fired once at breach for 'reassign-to-supervisor' and 'notify'; the wait then goes on. */
  onEscalate?: (action: BreachAction, facts: SlaFacts) => Promise<void>;
  /** Called whenever the deadline moves (pause/resume), to refresh read models. */
  onDeadlineChanged?: (facts: SlaFacts) => void;
  /**
   * True when the case should go on in a new run (CaseKit: its history passed the process's bound). The wait then
   * runs `onNewRunDue`, which continues the case as new (it throws) or returns to keep waiting. Checked only while
   * the wait idles, so a case without a bound waits exactly as before.
   */
  newRunDue?: () => boolean;
  onNewRunDue?: () => Promise<void>;
}

/**
 * What a clock carries into the case's next run (continue-as-new): its times and pause state, numbers and the
 * policy's enums only. SlaClock.carried() gives back the same clock: the same deadline, reminder, pause.
 */
export interface SlaClockState {
  name: string;
  policy: SlaPolicy;
  dueAtMs: number;
  remindAtMs?: number;
  paused: boolean;
  pausedAtMs?: number;
  remainingAtPause: number;
  remindRemainingAtPause?: number;
  facts: SlaFacts;
}

export interface SlaResult {
  /**
   * 'met': done in time. 'breached': only with onBreach 'default-decision'; the caller applies the
   * policy's default. 'met_after_breach': escalated at the deadline, then done.
   */
  outcome: 'met' | 'breached' | 'met_after_breach';
  facts: SlaFacts;
}

export class SlaClock {
  readonly name: string;
  private readonly working: boolean;
  private readonly totalMs: number;
  private dueAtMs: number;
  private remindAtMs?: number;
  private pausedAtMs?: number;
  private remainingAtPause = 0;
  private remindRemainingAtPause?: number;
  private paused = false;
  private waiting = false;
  /** A clock carried from the case's previous run that was already escalated there: its wait goes on after the breach. */
  private carriedBreach = false;
  readonly facts: SlaFacts;

  constructor(
    name: string,
    private readonly policy: SlaPolicy,
    private calendar: BusinessCalendar,
    startedAt: Date = new Date(),
    /**
     * A wait ends only once this holds too: CaseKit passes "no update handler is still writing", so a
     * handler's own writes finish before the flow it unblocks goes on (the same order on every replay).
     */
    private readonly settled: () => boolean = () => true,
    /** Runs before each wait: CaseKit sends the case's batched writes (so they land before the case waits). */
    private readonly beforeWait?: () => Promise<void>,
    /**
     * A wait that is already over returns without running beforeWait: its writes go with the next step's
     * (CaseKit's STEP_WRITES_PATCH). Cases before it ran beforeWait first, as recorded.
     */
    private readonly metBeforeWait = false,
  ) {
    this.name = name;
    this.working = isWorkingUnit(policy.within);
    this.totalMs = durationMs(policy.within, calendar);
    this.dueAtMs = addClockTime(this.working, calendar, startedAt, this.totalMs).getTime();
    if (policy.remindAt !== undefined) {
      this.remindAtMs = addClockTime(this.working, calendar, startedAt, Math.round(this.totalMs * policy.remindAt)).getTime();
    }
    this.facts = { name, startedAt: startedAt.toISOString(), dueAt: this.dueAt.toISOString(), pausedMs: 0, outcome: 'pending' };
  }

  /** The clock's state for the case's next run (continue-as-new). */
  carryOver(): SlaClockState {
    return {
      name: this.name,
      policy: this.policy,
      dueAtMs: this.dueAtMs,
      ...(this.remindAtMs !== undefined && { remindAtMs: this.remindAtMs }),
      paused: this.paused,
      ...(this.pausedAtMs !== undefined && { pausedAtMs: this.pausedAtMs }),
      remainingAtPause: this.remainingAtPause,
      ...(this.remindRemainingAtPause !== undefined && { remindRemainingAtPause: this.remindRemainingAtPause }),
      facts: { ...this.facts },
    };
  }

  /**
   * The clock of a previous run, as it was: deadline, reminder, pause and facts. The constructor's arguments after the
   * calendar are the same as a new clock's; no time is computed again (a running deadline is never moved).
   */
  static carried(state: SlaClockState, calendar: BusinessCalendar, settled?: () => boolean, beforeWait?: () => Promise<void>, metBeforeWait?: boolean): SlaClock {
    const clock = new SlaClock(state.name, state.policy, calendar, new Date(state.facts.startedAt), settled, beforeWait, metBeforeWait);
    clock.dueAtMs = state.dueAtMs;
    clock.remindAtMs = state.remindAtMs;
    clock.paused = state.paused;
    clock.pausedAtMs = state.pausedAtMs;
    clock.remainingAtPause = state.remainingAtPause;
    clock.remindRemainingAtPause = state.remindRemainingAtPause;
    Object.assign(clock.facts, state.facts);
    if (!state.facts.calendar) delete clock.facts.calendar;
    clock.carriedBreach = state.facts.outcome === 'breached';
    return clock;
  }

  /** The calendar the deadline is computed with. */
  get calendarUsed(): BusinessCalendar {
    return this.calendar;
  }

  /**
   * Computes the deadline again with `calendar` (the same holiday years, read once more), from the same start. Only
   * before the clock is waited on or paused: a running deadline is never moved.
   */
  useCalendar(calendar: BusinessCalendar): void {
    if (this.waiting || this.paused || this.facts.outcome !== 'pending') throw new Error(`SLA clock ${this.name} already runs: its deadline stays`);
    this.calendar = calendar;
    const startedAt = new Date(this.facts.startedAt);
    this.dueAtMs = addClockTime(this.working, calendar, startedAt, this.totalMs).getTime();
    if (this.policy.remindAt !== undefined) {
      this.remindAtMs = addClockTime(this.working, calendar, startedAt, Math.round(this.totalMs * this.policy.remindAt)).getTime();
    }
    this.facts.dueAt = this.dueAt.toISOString();
  }

  get dueAt(): Date {
    return new Date(this.dueAtMs);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Stops the clock (e.g. while waiting on the customer). */
  pause(at: Date = new Date()): void {
    if (this.paused || this.facts.outcome !== 'pending') return;
    this.paused = true;
    this.pausedAtMs = at.getTime();
    this.remainingAtPause = clockTimeBetween(this.working, this.calendar, at, this.dueAt);
    if (this.remindAtMs !== undefined && this.facts.remindedAt === undefined) {
      this.remindRemainingAtPause = clockTimeBetween(this.working, this.calendar, at, new Date(this.remindAtMs));
    }
  }

  /** Restarts the clock; the deadline moves by the paused time. */
  resume(at: Date = new Date()): void {
    if (!this.paused) return;
    this.paused = false;
    this.facts.pausedMs += at.getTime() - (this.pausedAtMs ?? at.getTime());
    this.dueAtMs = addClockTime(this.working, this.calendar, at, this.remainingAtPause).getTime();
    if (this.remindRemainingAtPause !== undefined) {
      this.remindAtMs = addClockTime(this.working, this.calendar, at, this.remindRemainingAtPause).getTime();
    }
    this.facts.dueAt = this.dueAt.toISOString();
  }

  /**
   * Waits until `done()` holds. Fires the reminder, then at the deadline either returns 'breached'
   * (default-decision) or runs the escalation hook and keeps waiting.
   */
  async waitFor(isDone: () => boolean, hooks: SlaHooks = {}): Promise<SlaResult> {
    const done = () => isDone() && this.settled();
    // Without a bound (every case today) `due` is never true and each wait below is the one recorded before.
    const newRunDue = hooks.newRunDue;
    const due = newRunDue && hooks.onNewRunDue ? () => !isDone() && newRunDue() : undefined;
    this.waiting = true;
    let pausedSeen = this.paused;
    if (this.carriedBreach) return this.afterBreach(done, due, hooks);
    for (;;) {
      if (this.metBeforeWait && done()) return this.met();
      if (this.beforeWait) await this.beforeWait();
      if (done()) return this.met();
      if (due?.()) {
        await hooks.onNewRunDue!();
        continue;
      }
      if (this.paused) {
        pausedSeen = true;
        await condition(due ? () => done() || !this.paused || due() : () => done() || !this.paused);
        continue;
      }
      if (pausedSeen) {
        pausedSeen = false;
        hooks.onDeadlineChanged?.(this.facts);
      }
      const now = Date.now();
      const reminderPending = this.remindAtMs !== undefined && this.facts.remindedAt === undefined && this.remindAtMs < this.dueAtMs;
      const nextAt = reminderPending ? this.remindAtMs! : this.dueAtMs;
      if (now < nextAt) {
        const satisfied = await condition(due ? () => done() || this.paused || due() : () => done() || this.paused, nextAt - now, {
          summary: `${this.name} ${reminderPending ? 'reminder' : 'deadline'}`,
        });
        if (satisfied) continue;
      }
      if (reminderPending) {
        this.facts.remindedAt = new Date().toISOString();
        await hooks.onReminder?.(this.facts);
        continue;
      }
      this.facts.breachedAt = new Date().toISOString();
      this.facts.outcome = 'breached';
      if (this.policy.onBreach === 'default-decision') return { outcome: 'breached', facts: this.facts };
      await hooks.onEscalate?.(this.policy.onBreach, this.facts);
      if (!due) {
        // As recorded before cases could switch runs.
        if (this.beforeWait) await this.beforeWait();
        await condition(done);
        this.facts.metAt = new Date().toISOString();
        return { outcome: 'met_after_breach', facts: this.facts };
      }
      return this.afterBreach(done, due, hooks);
    }
  }

  /** Escalated at the deadline: waits until done, in this run or (carried) the next. */
  private async afterBreach(done: () => boolean, due: (() => boolean) | undefined, hooks: SlaHooks): Promise<SlaResult> {
    if (this.beforeWait) await this.beforeWait();
    if (!due) await condition(done);
    else {
      for (;;) {
        await condition(() => done() || due());
        if (done()) break;
        await hooks.onNewRunDue!();
        if (this.beforeWait) await this.beforeWait();
      }
    }
    this.facts.metAt = new Date().toISOString();
    return { outcome: 'met_after_breach', facts: this.facts };
  }

  private met(): SlaResult {
    this.facts.metAt = new Date().toISOString();
    if (this.facts.outcome === 'pending') this.facts.outcome = 'met';
    return { outcome: 'met', facts: this.facts };
  }
}
