// In-memory activities for workflow tests on the time-skipping server: they record every call.
import { ApplicationFailure } from '@temporalio/common';
import type { ReturnActivities } from '../../activities/returns';
import type { CaseActivities, OpenTaskInput } from '../../activities/types';
import { needsCarrierQuote, returnShippingReimbursement, type Money } from '../../policy/returns';
import { snapshotOf } from '../../lib/calendarStore';

/** The shared activities and the return's own (the return workflow runs on this worker too). */
export type FakeActivities = CaseActivities & ReturnActivities;

export interface Recorded {
  /** An activity, or a write of a step's batch (a deadlines write has no activity of its own). */
  name: keyof FakeActivities | 'setDeadlines';
  input: any;
}

/**
 * The fake carrier's quote for one parcel, by carrier code (anything else: 18.00 CNY). The reimbursement fake
 * decides with the real rule (policy/returns.ts returnShippingReimbursement) on these quotes.
 */
export const FAKE_CARRIER_QUOTES: Record<string, Money> = {
  SF: { amountMinor: 2300, currency: 'CNY' },
  JD: { amountMinor: 1500, currency: 'CNY' },
  EMS: { amountMinor: 4500, currency: 'CNY' },
};
export const fakeCarrierQuote = (carrier: string): Money => FAKE_CARRIER_QUOTES[carrier] ?? { amountMinor: 1800, currency: 'CNY' };

export function createFakeActivities() {
  const calls: Recorded[] = [];
  /** Cases whose batches that close a task fail (applyCaseWrites). */
  const failingCloses = new Set<string>();
  const refunds = new Map<string, string>();
  /** Linked cases opened, by idempotency key; case types the fake catalogue lacks. */
  const linkedCases = new Map<string, string>();
  const missingProcesses = new Set<string>();
  let refundAttempts = 0;
  const record = (name: keyof FakeActivities) => async (input: any) => {
    calls.push({ name, input });
  };
  /** The holiday years resolveCalendar answers with: the chinese-days notices and provisional years, plus what a test imports. */
  const calendarYears: { imported: Parameters<typeof snapshotOf>[0] } = { imported: [] };
  const activities: FakeActivities = {
    async resolveCalendar(input) {
      calls.push({ name: 'resolveCalendar', input });
      const s = snapshotOf(calendarYears.imported);
      return { version: s.version, years: s.years.filter((y) => input.years.includes(y.year)).map(({ year, status, holidays, makeUpWorkdays }) => ({ year, status, holidays, makeUpWorkdays })) };
    },
    // A step's batch is recorded as the writes it carries, in order (as the calls of a case without batching).
    async applyCaseWrites(input) {
      // A case in failingCloses: a batch closing one of its tasks fails for good (as a database refusing it would).
      if (failingCloses.has(input.caseId) && input.writes.some((w) => w.kind === 'closeTask')) {
        throw ApplicationFailure.nonRetryable(`closing a task of ${input.caseId} was refused`, 'WriteRefused');
      }
      for (const w of input.writes) calls.push({ name: w.kind, input: w.input });
    },
    recordCaseEvent: record('recordCaseEvent'),
    openTask: record('openTask'),
    closeTask: record('closeTask'),
    escalateTask: record('escalateTask'),
    notify: record('notify'),
    recordReturnShipping: record('recordReturnShipping'),
    // The case-opening service: one case per idempotency key (a retry answers the same case), of any case type unless
    // the test took it out of the catalogue (`fake.missingProcesses`).
    async openLinkedCase(input) {
      calls.push({ name: 'openLinkedCase', input });
      if (missingProcesses.has(input.caseType)) return { status: 'skipped', reason: 'process_not_in_catalogue' };
      const known = linkedCases.get(input.idempotencyKey);
      if (known) return { status: 'linked', caseId: known, caseType: input.caseType, replayed: true };
      const caseId = `${input.caseType.toUpperCase().slice(0, 3)}-LINKED-${linkedCases.size + 1}`;
      linkedCases.set(input.idempotencyKey, caseId);
      return { status: 'linked', caseId, caseType: input.caseType, replayed: false };
    },
    async issueRefund(input) {
      calls.push({ name: 'issueRefund', input });
      refundAttempts++;
      if (!refunds.has(input.caseId)) refunds.set(input.caseId, `REF-${refunds.size + 1}`);
      return { paymentId: `pay-${input.caseId}`, gatewayRef: refunds.get(input.caseId)!, status: 'succeeded' };
    },
    async reimburseReturnShipping(input) {
      calls.push({ name: 'reimburseReturnShipping', input });
      if (input.decided) return { paymentId: `ship-${input.caseId}`, amountMinor: input.decided.amountMinor, currency: input.decided.currency, gatewayRef: input.decided.amountMinor > 0 ? `PAYOUT-${input.caseId}` : null };
      const quote = needsCarrierQuote(input.paid, input.cap!.currency) ? fakeCarrierQuote(input.carrier) : undefined;
      const { amountMinor, currency } = returnShippingReimbursement({ paid: input.paid, quote, cap: input.cap! });
      return { paymentId: `ship-${input.caseId}`, amountMinor, currency, gatewayRef: amountMinor > 0 ? `PAYOUT-${input.caseId}` : null };
    },
    async quoteReturnShipping(input) {
      calls.push({ name: 'quoteReturnShipping', input });
      return fakeCarrierQuote(input.carrier);
    },
    async refundReturn(input) {
      calls.push({ name: 'refundReturn', input });
      refundAttempts++;
      if (!refunds.has(input.caseId)) refunds.set(input.caseId, `REF-${refunds.size + 1}`);
      return { paymentId: `pay-${input.caseId}`, gatewayRef: input.amountMinor > 0 ? refunds.get(input.caseId)! : null, route: input.route, amountMinor: input.amountMinor };
    },
    /** The fake carrier: a return parcel is delivered at the first look, unless its tracking number starts with INTRANSIT. */
    async returnParcelStatus(input) {
      calls.push({ name: 'returnParcelStatus', input });
      return /^INTRANSIT/.test(input.trackingNumber) ? { delivered: false } : { delivered: true };
    },
    async scheduleReturnPickup(input) {
      calls.push({ name: 'scheduleReturnPickup', input });
      return { pickupId: `PICK-${input.caseId}`, carrier: input.carrier, trackingNumber: 'INTRANSITPICK01', windowStartsAt: `${input.date}T01:00:00.000Z`, windowEndsAt: `${input.date}T04:00:00.000Z` };
    },
  };
  return {
    activities,
    calls,
    failingCloses,
    calendarYears,
    refunds,
    /** Case types the fake case-opening service does not know (openLinkedCase answers skipped: process_not_in_catalogue). */
    missingProcesses,
    get refundAttempts() {
      return refundAttempts;
    },
    of(name: keyof FakeActivities): any[] {
      return calls.filter((c) => c.name === name).map((c) => c.input);
    },
    tasks(): OpenTaskInput[] {
      return calls.filter((c) => c.name === 'openTask').map((c) => c.input);
    },
    events(): string[] {
      return calls.filter((c) => c.name === 'recordCaseEvent').map((c) => c.input.type);
    },
    templates(): string[] {
      return calls.filter((c) => c.name === 'notify').map((c) => c.input.template);
    },
  };
}
