// A test-only case workflow that lives for several runs: stage after stage, an agent's review task under an SLA, with
// party actions that write to the case (notes) and pause or resume the review's clock. Its process declares its history
// bound through the input, so a test can make the case continue as new while a task is open. A type written after
// every CaseKit patch: born with them all, so its histories carry no patch marker.
import { defineQuery, setHandler } from '@temporalio/workflow';
import type { z } from 'zod';
import type { BusinessCalendar } from '../../../policy/businessCalendar';
import type { HistoryBound, PartyActionDef } from '../../../policy/process';
import type { SlaPolicy } from '../../../policy/schemas';
import { CASE_KIT_PATCHES, CaseKit, type CaseCarry } from '../../../workflows/caseKit';
import { LOCAL_STEPS_BOUNDED_PATCH } from '../../../workflows/patches';

export const LONG_CASE_TYPE = 'long_case_probe';

export interface LongCaseInput {
  caseId: string;
  openedBy: string;
  policy: { version: string; calendar: BusinessCalendar };
  stages: number;
  bound: HistoryBound;
  carried?: CaseCarry;
}

export const REVIEW_SLA: SlaPolicy = { within: { amount: 48, unit: 'hours' }, remindAt: 0.5, onBreach: 'notify' };

/** A body taken as it comes (the probe's actions carry a counter only). */
const anyBody = { safeParse: (v: unknown) => ({ success: true, data: v }) } as unknown as z.ZodType<any>;
const action = (update: string): PartyActionDef<any> => ({ summary: update, roles: ['agent', 'supervisor'], body: anyBody, update });
export const noteAction = action('note');
export const pauseAction = action('pauseReview');
export const resumeAction = action('resumeReview');

export const runQuery = defineQuery<{ run: number; stage: number }>('run');
/** What the case heard from outside, as its current run knows it: a notice's delivery receipt, a parcel's delivery. */
export const heardQuery = defineQuery<{ noticeAcceptedAt: string | null; delivery: { eventId: string; deliveredAt: string } | null }, [string, string]>('heard');

export async function longCase(input: LongCaseInput): Promise<{ stages: number; run: number }> {
  const kase = new CaseKit(input.caseId, LONG_CASE_TYPE, input.policy, undefined, {}, { runs: { input, bound: input.bound }, bornWith: [...CASE_KIT_PATCHES, LOCAL_STEPS_BOUNDED_PATCH] });
  let stage = kase.resumed<{ stage: number }>()?.stage ?? 0;
  kase.carries(() => ({ stage }));
  setHandler(runQuery, () => ({ run: kase.run, stage }));
  setHandler(heardQuery, (noticeKey, trackingNumber) => {
    const d = kase.carrierDelivery(trackingNumber);
    return { noticeAcceptedAt: kase.noticeDeliveredAt(noticeKey)?.toISOString() ?? null, delivery: d ? { eventId: d.eventId, deliveredAt: d.deliveredAt } : null };
  });
  const cancelled = kase.allowCancellation(() => null);
  kase.onAction<{ n: number }>(noteAction, {
    refusal: () => null,
    run: (body, actor) => kase.record('case.noted', { n: body.n, run: kase.run, stage }, { actor: actor.id }),
  });
  kase.onAction(pauseAction, { refusal: () => null, run: () => kase.pauseClock('review') });
  kase.onAction(resumeAction, { refusal: () => null, run: () => kase.resumeClock('review') });

  if (kase.run === 1) await kase.record('case.opened', { stages: input.stages }, { step: 'opened' });
  while (stage < input.stages) {
    const r = await kase.humanTask({ type: 'review', role: 'agent', sla: REVIEW_SLA, slaName: 'review', interrupt: cancelled });
    if (r.kind === 'interrupted') break;
    stage++;
    await kase.record('stage.reviewed', { stage, sla: r.sla.outcome }, { step: `stage_${stage}` });
    await kase.continueAsNewIfDue();
  }
  await kase.record('case.closed', { stages: stage }, { closed: true, outcome: cancelled() ? 'cancelled' : 'reviewed' });
  await kase.flush();
  return { stages: stage, run: kase.run };
}
