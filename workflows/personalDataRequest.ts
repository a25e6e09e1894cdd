// Personal-data requests (policy 2.3.2 公開透明, 2.4.1 信息刪除, 2.4.2 信息修改; PIPL arts. 44-47 and 50). A person (through the storefront,
// or staff on their behalf) asks for access, a copy, a correction, a deletion or the account's cancellation; the
// opening carries ids and enums only (a correction's new values wait in PostgreSQL, personal_data_corrections).
// 1. The identity is checked again: a code to the registered mobile or e-mail; attempts are capped; a lapse closes it.
// 2. A deletion or cancellation stops processing at once (2.4.1): the subject is flagged; the cases that must finish
//    are listed in the answer.
// 3. An agent carries it out within the policy's deadline (15 working days by default, PIPL art. 50 "timely"), with a
//    reminder and a supervisor once late: the export by its signed link, the correction field by field, the erasure
//    from the inventory (kept records stripped and listed with their period).
// 4. The answer says what was done, what is kept, why and until when; a refusal (in whole or in part) gives reasons
//    and may be appealed once; another person, a supervisor, decides the appeal.
// A type written after every CaseKit patch: born with them all (`bornWith: CASE_KIT_PATCHES`).
import { allHandlersFinished, defineUpdate, proxyActivities } from '@temporalio/workflow';
import type { PersonalDataRequestActivities } from '../activities/personalDataRequest';
import type { BusinessCalendar } from '../policy/businessCalendar';
import { durationMs } from '../policy/durations';
import {
  PDR_CASE_TYPE,
  erasingTypes,
  personalDataRequestActions as actions,
  personalDataRequestTasks,
  type PersonalDataRequestPolicy,
  type RefusalReason,
  type RequestOutcome,
  type RequestType,
} from '../policy/personalDataRequest';
import { CASE_KIT_PATCHES, CaseKit } from './caseKit';
import type { ActionResult, Actor } from './definitions';

export { PDR_CASE_TYPE };

/** The request's own work: on the task queue, retried until it answers (each step is idempotent on the case). */
const acts = proxyActivities<PersonalDataRequestActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
/** The code's check answers the person: a short timeout, few retries. */
const checks = proxyActivities<PersonalDataRequestActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

export interface PersonalDataRequestInput {
  caseId: string;
  openedBy: string;
  policy: { version: string; calendar: BusinessCalendar; personalDataRequest: PersonalDataRequestPolicy };
  /** The person, by the reference the opening named (the request's row has its subject). */
  customerId: string;
  requestType: RequestType;
  /** A correction's field codes (the values are in PostgreSQL). */
  fields: string[];
}

export const verifyIdentityUpdate = defineUpdate<ActionResult, [{ actor: Actor; codeMac: string }]>(actions['verify-identity'].update);
export const appealRefusalUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>(actions['appeal-refusal'].update);

export interface PersonalDataRequestResult {
  outcome: RequestOutcome;
  reasons: RefusalReason[];
}

type Decision = { decision: 'fulfil' } | { decision: 'refuse'; reasons: RefusalReason[] } | { decision: 'partial'; reasons: RefusalReason[]; refusedFields?: string[] };

export async function personalDataRequest(input: PersonalDataRequestInput): Promise<PersonalDataRequestResult> {
  const kase = new CaseKit(input.caseId, PDR_CASE_TYPE, input.policy, undefined, personalDataRequestTasks, { bornWith: CASE_KIT_PATCHES });
  const rules = input.policy.personalDataRequest;
  const caseId = input.caseId;
  const person = { kind: 'customer' as const, id: input.customerId };
  const work = kase.afterWrites(acts);
  const receivedAt = new Date();
  const erasing = erasingTypes.includes(input.requestType);
  const f = { verified: false, exhausted: false, attempts: 0, stopped: false, started: false, appealed: false };
  const at = () => new Date().toISOString();

  // The person may withdraw the request until the work starts.
  const cancelled = kase.allowCancellation(() => (f.started ? 'The request is being carried out; it can no longer be withdrawn' : null));

  const close = async (outcome: RequestOutcome, reasons: RefusalReason[] = []): Promise<PersonalDataRequestResult> => {
    await kase.record('case.closed', { outcome, reasons }, { step: 'closed', outcome, closed: true });
    await kase.until(allHandlersFinished);
    return { outcome, reasons };
  };
  /** A request that ends without erasing: the stop it made is lifted (processing goes on). */
  const resume = async () => {
    if (!f.stopped) return;
    await work.resumeProcessing({ caseId, at: at() });
    f.stopped = false;
    await kase.record('pdr.processing_resumed');
  };

  // ---- 1. Identity re-verification (PIPL art. 50) ----
  kase.onAction(actions['verify-identity'], {
    refusal: () => kase.unlessAwaiting('verification', f.verified || f.exhausted),
    run: async ({ codeMac }, actor) => {
      const r = await kase.afterWrites(checks).checkRequestCode({ caseId, codeMac, at: at() });
      f.attempts++;
      if (r.result === 'verified') f.verified = true;
      if (r.result === 'exhausted') f.exhausted = true;
      await kase.record('pdr.code_checked', { result: r.result, attempt: f.attempts, ...(r.result === 'invalid' && { attemptsLeft: r.attemptsLeft }) }, { actor: actor.id });
    },
  });
  let appealActor = '';
  kase.onAction(actions['appeal-refusal'], {
    refusal: () => kase.unlessAwaiting('appeal', f.appealed),
    run: async (_body, actor) => {
      f.appealed = true;
      appealActor = actor.id;
      await kase.record('pdr.appealed', {}, { actor: actor.id });
    },
  });

  await kase.record('pdr.received', { requestType: input.requestType, fields: input.fields }, { step: 'verification' });
  // The code may be typed in before its send is recorded: the step accepts it from here.
  kase.expectParty('verification');
  const sent = await work.sendRequestCode({
    caseId,
    seq: 1,
    ttlMs: durationMs(rules.code.ttl, kase.calendar),
    maxAttempts: rules.code.maxAttempts,
    smsDailyCapPerMobile: rules.smsDailyCapPerMobile,
    timeZone: kase.calendar.timeZone,
    at: at(),
  });
  await kase.record('pdr.code_sent', { channel: sent.channel, expiresAt: sent.channel === 'none' ? null : sent.expiresAt });
  if (sent.channel === 'none') {
    await kase.record('pdr.verification_failed', { reason: 'no_registered_contact' });
    return close('not_verified');
  }
  const verification = kase.awaitParty('verification', 'identityVerification', rules.identityVerification);
  const verified = await verification.until(() => f.verified || f.exhausted || cancelled());
  const lapsed = await kase.endedBy(verified, { event: 'pdr.verification_lapsed', reason: 'no_code_by_deadline', outcome: 'not_verified' as const });
  if (lapsed) return close(lapsed);
  if (f.exhausted) {
    await kase.record('pdr.verification_failed', { reason: 'attempts_used_up', attempts: f.attempts });
    return close('not_verified');
  }
  await kase.record('pdr.identity_verified', { channel: sent.channel }, { step: 'handling' });

  // ---- 2. Processing stops at once (policy 2.4.1) ----
  let mustFinish: { caseId: string; type: string }[] = [];
  if (erasing) {
    const stop = await work.stopProcessing({ caseId, at: at() });
    f.stopped = true;
    mustFinish = stop.openCases.map((c) => ({ caseId: c.caseId, type: c.type }));
    await kase.record('pdr.processing_stopped', { openCases: mustFinish });
  }
  await kase.notify('pdr.received', person, { requestType: input.requestType });

  // ---- 3. The work, within the policy's deadline (PIPL art. 50) ----
  const handling = await kase.humanTask<Decision>({ type: 'pdr.handling', role: 'agent', sla: rules.handling, slaName: 'handling', startedAt: receivedAt, interrupt: cancelled });
  if (handling.kind !== 'completed') {
    await resume();
    return close('cancelled');
  }
  const decider = handling.actor.id;

  /** Carries the request out (all of it, or but the refused fields) and answers. */
  const carryOut = async (refusedFields: string[], outcome: RequestOutcome, reasons: RefusalReason[]): Promise<void> => {
    f.started = true;
    await kase.record('pdr.carrying_out', { refusedFields }, { step: 'carrying_out' });
    if (input.requestType === 'access' || input.requestType === 'copy') {
      // The link is signed inside the activity and goes out in its notice: it never enters the history.
      const ex = await work.deliverExport({ caseId, customerId: input.customerId, linkDays: rules.exportLinkDays, noticeKey: kase.noticeKey('pdr.export_ready', person), eventKey: `${caseId}:export`, at: at() });
      await kase.record('pdr.export_delivered', { exportId: ex.exportId, linkExpiresAt: ex.expiresAt });
      await kase.notify('pdr.answered', person, { requestType: input.requestType, outcome, reasons: reasons.join(','), linkExpiresAt: ex.expiresAt, retained: '' });
    } else if (input.requestType === 'correction') {
      const c = await work.applyCorrections({ caseId, refused: refusedFields, at: at() });
      await kase.record('pdr.corrected', { fields: c.fields });
      await kase.notify('pdr.answered', person, { requestType: input.requestType, outcome, reasons: reasons.join(','), corrected: c.fields.map((x) => x.field).join(','), retained: '' });
    } else {
      const e = await work.eraseRequestSubject({ caseId, at: at() });
      await kase.record('pdr.erased', { erased: e.erased, stripped: e.stripped, retained: e.retained, blobsRemoved: e.blobsRemoved, mustFinish });
      if (e.retained.length) kase.setDeadline('retentionEnds', latestUntil(e.retained));
      // The answer goes to the contact, which stays until the mail server took it (at most answerDeliveryWait).
      await kase.notify('pdr.answered', person, { requestType: input.requestType, outcome, reasons: reasons.join(','), retained: e.retainedList, mustFinish: mustFinish.map((m) => m.caseId).join(',') }, '', { receipt: true });
      const key = kase.noticeKey('pdr.answered', person);
      await kase.until(() => kase.noticeDeliveredAt(key) !== null, durationMs(rules.answerDeliveryWait, kase.calendar));
      const done = await work.finishErasure({ caseId, at: at() });
      f.stopped = false;
      await kase.record('pdr.subject_erased', { parties: done.parties, refs: done.refs, keyDestroyed: done.keyDestroyed, answerDelivered: kase.noticeDeliveredAt(key) !== null });
    }
    await work.recordRequestAnswer({ caseId, outcome, reasons, at: at() });
    await kase.record('pdr.answered', { outcome, reasons }, { step: 'answered' });
  };

  const d = handling.payload;
  if (d.decision === 'fulfil') {
    await carryOut([], 'fulfilled', []);
    return close('fulfilled');
  }

  // ---- 4. A refusal in whole or in part: reasons, and one appeal (PIPL art. 50) ----
  const reasons = d.reasons;
  const partial = d.decision === 'partial';
  if (partial) await carryOut(d.refusedFields ?? [], 'partly_fulfilled', reasons);
  else {
    await kase.record('pdr.refused', { reasons }, { actor: decider });
    await work.recordRequestAnswer({ caseId, outcome: 'refused', reasons, at: at() });
  }
  const appeal = kase.awaitParty('appeal', 'appealWindow', rules.appealWindow);
  await kase.notify(partial ? 'pdr.partly_refused' : 'pdr.refused', person, { requestType: input.requestType, reasons: reasons.join(','), appealBy: appeal.clock.dueAt.toISOString() });
  await kase.record('pdr.appeal_open', { appealBy: appeal.clock.dueAt.toISOString() }, { step: 'appeal' });
  const appealed = await appeal.until(() => f.appealed);
  if (appealed.outcome === 'breached' || !f.appealed) {
    await kase.record('pdr.appeal_lapsed', { dueAt: appealed.facts.dueAt });
    await resume();
    return close(partial ? 'partly_fulfilled' : 'refused', reasons);
  }
  await kase.record('pdr.appeal_review', { appellant: appealActor }, { step: 'appeal_review' });
  // Another person decides: a supervisor who did not make the decision appealed against.
  const review = await kase.humanTask<{ decision: 'uphold' | 'overturn' }>({ type: 'pdr.appeal_review', role: 'supervisor', sla: rules.appealReview, slaName: 'appealReview', notBy: [decider], notifyOnEscalation: { kind: 'role', id: 'supervisor' } });
  if (review.kind !== 'completed' || review.payload.decision === 'uphold') {
    await kase.record('pdr.refusal_upheld', { reasons });
    await kase.notify('pdr.appeal_upheld', person, { requestType: input.requestType, reasons: reasons.join(',') });
    await resume();
    return close(partial ? 'partly_fulfilled' : 'refused', reasons);
  }
  await kase.record('pdr.refusal_overturned', {}, { actor: review.actor.id });
  await carryOut([], 'fulfilled_on_appeal', []);
  return close('fulfilled_on_appeal');
}

/** The latest end of the kept records' periods (an open case's: none yet). */
function latestUntil(retained: { until: string | null }[]): Date | null {
  const days = retained.map((r) => r.until).filter((u): u is string => u !== null).sort();
  return days.length ? new Date(`${days[days.length - 1]}T00:00:00.000Z`) : null;
}
