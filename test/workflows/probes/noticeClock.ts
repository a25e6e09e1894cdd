// A test-only case workflow whose clock runs from the delivery of a notice: it waits for the notice's delivery receipt
// (CaseKit awaitNoticeDelivered, via dayPeriodFromDelivery) and then for a period of civil days counted from the
// acceptance (dayPeriodEndsAt). Born with every CaseKit patch.
import { sleep } from '@temporalio/workflow';
import type { BusinessCalendar } from '../../../policy/businessCalendar';
import { CASE_KIT_PATCHES, CaseKit } from '../../../workflows/caseKit';
import { LOCAL_STEPS_BOUNDED_PATCH } from '../../../workflows/patches';

export interface NoticeClockInput {
  caseId: string;
  policy: { version: string; calendar: BusinessCalendar };
  days: number;
}

export async function noticeClockProbe(input: NoticeClockInput): Promise<{ deliveredAt: string; endsAt: string; endedAt: string }> {
  const kase = new CaseKit(input.caseId, 'notice_clock_probe', input.policy, undefined, {}, { bornWith: [...CASE_KIT_PATCHES, LOCAL_STEPS_BOUNDED_PATCH] });
  await kase.record('case.opened', {}, { step: 'opened' });
  const recipient = { kind: 'customer' as const, id: 'cust-clock' };
  await kase.notify('thread.message_posted', recipient, { from: 'staff', attachments: 0 }, '', { receipt: true });
  const noticeKey = kase.noticeKey('thread.message_posted', recipient);
  await kase.record('step.entered', {}, { step: 'awaiting_delivery' });
  await kase.flush();
  const { deliveredAt, endsAt } = await kase.dayPeriodFromDelivery(noticeKey, input.days, { extendOverHolidays: true });
  await kase.record('notice.period_started', { noticeKey, deliveredAt: deliveredAt.toISOString(), endsAt: endsAt.toISOString() }, { step: 'period_running' });
  await kase.flush();
  await sleep(Math.max(0, endsAt.getTime() - Date.now()));
  const endedAt = new Date().toISOString();
  await kase.record('case.closed', {}, { closed: true, outcome: 'period_ended' });
  await kase.flush();
  return { deliveredAt: deliveredAt.toISOString(), endsAt: endsAt.toISOString(), endedAt };
}
