// A test-only case workflow that asks the merchant something and waits for the reply in the case's thread, under an
// SLA in working hours (CaseKit awaitThreadReply). Born with every CaseKit patch.
import type { BusinessCalendar } from '../../../policy/businessCalendar';
import type { HistoryBound } from '../../../policy/process';
import type { SlaPolicy } from '../../../policy/schemas';
import { CASE_KIT_PATCHES, CaseKit, type CaseCarry } from '../../../workflows/caseKit';
import { LOCAL_STEPS_BOUNDED_PATCH } from '../../../workflows/patches';

export interface ThreadReplyInput {
  caseId: string;
  openedBy: string;
  policy: { version: string; calendar: BusinessCalendar };
  sla: SlaPolicy;
  /** A history bound: the case continues as new while it waits (its clock and what it heard carried). */
  bound?: HistoryBound;
  carried?: CaseCarry;
}

export async function threadReplyProbe(input: ThreadReplyInput): Promise<{ messageId: string | null; outcome: string }> {
  const kase = new CaseKit(input.caseId, 'thread_reply_probe', input.policy, undefined, {}, { bornWith: [...CASE_KIT_PATCHES, LOCAL_STEPS_BOUNDED_PATCH], ...(input.bound && { runs: { input, bound: input.bound } }) });
  if (kase.run === 1) {
    await kase.record('case.opened', {}, { step: 'opened' });
    await kase.record('step.entered', {}, { step: 'awaiting_merchant_reply' });
  }
  const reply = await kase.awaitThreadReply({ from: 'merchant', step: 'awaiting_merchant_reply', slaName: 'merchantReply', sla: input.sla });
  await kase.record('case.closed', {}, { closed: true, outcome: reply.messageId ? 'answered' : 'lapsed' });
  await kase.flush();
  return { messageId: reply.messageId, outcome: reply.sla.outcome };
}
