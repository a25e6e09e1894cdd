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
    this.waiting = true;
    let pausedSeen = this.paused;
    for (;;) {
      if (this.metBeforeWait && done()) return this.met();
      if (this.beforeWait) await this.beforeWait();
      if (done()) return this.met();
      if (this.paused) {
        pausedSeen = true;
        await condition(() => done() || !this.paused);
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
        const satisfied = await condition(() => done() || this.paused, nextAt - now, {
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
      if (this.beforeWait) await this.beforeWait();
      await condition(done);
      this.facts.metAt = new Date().toISOString();
      return { outcome: 'met_after_breach', facts: this.facts };
    }
  }

  private met(): SlaResult {
    this.facts.metAt = new Date().toISOString();
    if (this.facts.outcome === 'pending') this.facts.outcome = 'met';
    return { outcome: 'met', facts: this.facts };
  }
}
