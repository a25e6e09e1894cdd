// In-memory activities for workflow tests on the time-skipping server: they record every call.
import type { CaseActivities, OpenTaskInput } from '../../activities/types';

export interface Recorded {
  name: keyof CaseActivities;
  input: any;
}

export function createFakeActivities() {
  const calls: Recorded[] = [];
  const refunds = new Map<string, string>();
  let refundAttempts = 0;
  const record = (name: keyof CaseActivities) => async (input: any) => {
    calls.push({ name, input });
  };
  const activities: CaseActivities = {
    recordCaseEvent: record('recordCaseEvent'),
    openTask: record('openTask'),
    closeTask: record('closeTask'),
    escalateTask: record('escalateTask'),
    notify: record('notify'),
    recordReturnShipping: record('recordReturnShipping'),
    async issueRefund(input) {
      calls.push({ name: 'issueRefund', input });
      refundAttempts++;
      if (!refunds.has(input.caseId)) refunds.set(input.caseId, `REF-${refunds.size + 1}`);
      return { paymentId: `pay-${input.caseId}`, gatewayRef: refunds.get(input.caseId)!, status: 'succeeded' };
    },
  };
  return {
    activities,
    calls,
    refunds,
    get refundAttempts() {
      return refundAttempts;
    },
    of(name: keyof CaseActivities): any[] {
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
