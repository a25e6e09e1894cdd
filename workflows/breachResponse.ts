// Personal-information breach response (policy 6.3.2 应急预案, 6.4.1 泄露处理流程, 6.4.2 法律责任; PIPL art. 57), read top
// to bottom like 6.4.1: the breach is discovered (by staff, a monitoring system or a privacy complaint) and the emergency
// plan starts at once: a supervisor takes the lead and works through the containment checklist (发觉泄露, 应急预案);
// an investigation finds the cause and the scope, and the affected subjects are found in the personal-data inventory
// and kept in PostgreSQL (调查核实); whether to notify the individuals is proposed and approved by a second person
// (PIPL art. 57 ¶2); the authority gets its report (art. 57); the individuals are notified through the outbox, paged,
// at least once each (通知用户); remediation follows (整改措施), then a closing report. An affected customer's claim for
// compensation opens a linked complaint (6.4.2 赔偿损失). Ids, codes, times and counts only: the description and the
// affected subjects stay in PostgreSQL (breach_records, breach_affected_subjects).
// A type written after every CaseKit patch: born with them all (`bornWith: CASE_KIT_PATCHES`).
import { allHandlersFinished, proxyActivities } from '@temporalio/workflow';
import type { BreachActivities } from '../activities/breachResponse';
import type { BusinessCalendar } from '../policy/businessCalendar';
import {
  BREACH_CASE_TYPE,
  BREACH_HISTORY,
  breachActions as actions,
  breachTasks,
  requiredRemediation,
  type BreachCause,
  type BreachDataCategory,
  type BreachOutcome,
  type BreachPolicy,
  type BreachSource,
  type BreachStage,
  type RemediationMeasure,
} from '../policy/breachResponse';
import { CASE_KIT_PATCHES, CaseKit } from './caseKit';
import type { Actor } from './definitions';

export { BREACH_CASE_TYPE };

/** Short work on PostgreSQL and the regulator port: retried until it answers (each is idempotent on its key). */
const acts = proxyActivities<BreachActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
/** The investigation's search over the inventory: one statement that may take minutes over many subjects. */
const search = proxyActivities<BreachActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
/** The fan-out: long, paged, heartbeating; a retry resumes from the cursor of its last heartbeat. */
const fanOut = proxyActivities<BreachActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export interface BreachCasePolicy {
  version: string;
  calendar: BusinessCalendar;
  breach: BreachPolicy;
}

/** Ids, codes and times only: the description stays in PostgreSQL (breach_records.description). */
export interface BreachCaseInput {
  caseId: string;
  openedBy: string;
  policy: BreachCasePolicy;
  source: BreachSource;
  /** When the breach was detected (ISO 8601): the authority's deadline counts from it (PIPL art. 57 "立即"). */
  detectedAt: string;
  /** Suspected systems, by code. */
  systems: string[];
  /** A monitoring system's event id, or the privacy complaint that opened the case. */
  monitoringEventId: string | null;
  complaintCaseId: string | null;
  carried?: import('./caseKit').CaseCarry;
}

export interface BreachResult {
  outcome: BreachOutcome;
  subjects: number;
}

/** The case's position, carried to its next run (ids, codes, counters). */
interface Flow {
  [k: string]: string | number | boolean | null;
  stage: BreachStage;
  lead: string | null;
  cause: BreachCause | null;
  /** Comma lists of codes (a carried flow holds scalars only). */
  categories: string;
  measures: string;
  harms: string;
  actions: string;
  contact: string;
  subjects: number;
  notify: boolean;
  reportId: string | null;
  /** The stage whose entry was recorded: a later run taking the case up at this stage records it once. */
  entered: string;
  /** The notices' fan-out finished: a later run (continue-as-new during the follow-up) does not page them again. */
  fannedOut: boolean;
  queued: number;
  claims: number;
}

const list = (s: string) => s.split(',').filter(Boolean);

export async function breachResponse(input: BreachCaseInput): Promise<BreachResult> {
  const kase = new CaseKit(input.caseId, BREACH_CASE_TYPE, input.policy, undefined, breachTasks, { runs: { input, bound: BREACH_HISTORY }, bornWith: CASE_KIT_PATCHES });
  const rules = input.policy.breach;
  const caseId = input.caseId;
  const run = kase.afterWrites(acts);
  const paged = kase.afterWrites(fanOut);
  const searching = kase.afterWrites(search);
  const supervisors = { kind: 'role' as const, id: 'supervisor' };
  const f: Flow = kase.resumed<Flow>() ?? { stage: 'lead_assignment', lead: null, cause: null, categories: '', measures: '', harms: '', actions: '', contact: '', subjects: 0, notify: false, reportId: null, entered: '', fannedOut: false, queued: 0, claims: 0 };
  kase.carries(() => ({ ...f }));

  // 6.4.2 赔偿损失: an affected customer's claim for compensation is a complaint of its own, linked to the breach.
  kase.onAction(actions['compensation-claim'], {
    refusal: () => null,
    run: async ({ customerId, merchantId }, actor) => {
      const n = ++f.claims;
      await kase.record('breach.compensation_claimed', { claim: n }, { actor: actor.id });
      await kase.openLinkedCase('complaint', { channel: 'linked_case', customerId, merchantId: merchantId ?? 'unassigned', category: 'privacy', returnCaseId: caseId, reasonCode: 'breach_compensation' }, 'related');
    },
  });

  // A false alarm (a monitoring event, say) is cancelled by staff, until the authority has the report.
  const cancelled = kase.allowCancellation(() => (f.reportId ? 'The breach was reported to the authority: it ends with its remediation, not a cancellation' : null), ['agent', 'supervisor']);

  const enter = async (stage: BreachStage, data: Record<string, unknown> = {}) => {
    f.stage = stage;
    if (f.entered === stage) return;
    f.entered = stage;
    await kase.record('breach.stage_entered', { stage, ...data }, { step: stage });
  };
  const close = async (outcome: BreachOutcome): Promise<BreachResult> => {
    await kase.record('case.closed', { outcome, subjects: f.subjects }, { step: 'closed', outcome, closed: true });
    await kase.until(allHandlersFinished);
    return { outcome, subjects: f.subjects };
  };
  /** A task under its clock; a lapse escalates (the policy's `notify`: every supervisor hears) and the owner still acts. */
  const task = <P>(type: keyof typeof breachTasks, slaName: keyof BreachPolicy, o: { startedAt?: Date; check?: (p: P, actor: Actor) => string | null } = {}) =>
    kase.humanTask<P>({ type, role: breachTasks[type].role, sla: rules[slaName] as BreachPolicy['containment'], slaName, notifyOnEscalation: supervisors, interrupt: cancelled, ...o });

  if (kase.run === 1) {
    await kase.record(
      'case.opened',
      { source: input.source, detectedAt: input.detectedAt, systems: input.systems, monitoringEventId: input.monitoringEventId, complaintCaseId: input.complaintCaseId, policyVersion: input.policy.version },
      { actor: input.openedBy, step: 'lead_assignment' },
    );
    // 6.4.1 "立即启动应急预案": every supervisor hears of the breach at once.
    await kase.notify('breach.opened', supervisors, { source: input.source, detectedAt: input.detectedAt });
  }

  for (;;) {
    if (cancelled()) return close('cancelled');
    switch (f.stage) {
      // 6.4.1 发觉泄露 / 6.3.2 应急预案: a supervisor takes the lead within the policy's hours.
      case 'lead_assignment': {
        await enter('lead_assignment');
        const r = await task<Record<string, never>>('breach.assign_lead', 'leadAssignment');
        if (r.kind !== 'completed') continue;
        f.lead = r.actor.id;
        await kase.record('breach.lead_assigned', { lead: f.lead }, { actor: r.actor.id });
        f.stage = 'containment';
        break;
      }
      // 6.3.2 应急预案, PIPL art. 57 "立即采取补救措施": the containment checklist, the items done recorded by code.
      case 'containment': {
        await enter('containment', { lead: f.lead });
        const r = await task<{ done: string[] }>('breach.containment', 'containment');
        if (r.kind !== 'completed') continue;
        await kase.record('breach.contained', { done: r.payload.done }, { actor: r.actor.id });
        f.stage = 'investigation';
        await kase.continueAsNewIfDue();
        break;
      }
      // 6.4.1 调查核实: cause and scope; the affected subjects go to PostgreSQL, the history keeps their counts.
      case 'investigation': {
        await enter('investigation');
        const r = await task<{ cause: BreachCause; categories: BreachDataCategory[]; windowFrom: string; windowTo: string; systems: string[] }>('breach.investigation', 'investigation');
        if (r.kind !== 'completed') continue;
        const { cause, categories, windowFrom, windowTo, systems } = r.payload;
        const found = await searching.recordBreachInvestigation({ caseId, cause, categories, windowFrom, windowTo, systems });
        Object.assign(f, { cause, categories: categories.join(','), subjects: found.subjects });
        await kase.record('breach.investigated', { cause, categories, windowFrom, windowTo, systems, subjects: found.subjects, byChannel: found.byChannel }, { actor: r.actor.id });
        f.stage = 'notify_decision';
        break;
      }
      // PIPL art. 57 ¶2: notify the individuals, or record why the measures avoid harm; a second person approves.
      case 'notify_decision': {
        await enter('notify_decision', { subjects: f.subjects });
        const p = await task<{ decision: 'notify' | 'not_notify'; reason?: string; measures?: string[] }>('breach.notify_decision', 'notifyDecision');
        if (p.kind !== 'completed') continue;
        await kase.record('breach.notification_proposed', { decision: p.payload.decision, reason: p.payload.reason ?? null, measures: p.payload.measures ?? [] }, { actor: p.actor.id });
        const proposer = p.actor.id;
        const a = await task<{ approved: boolean }>('breach.notify_approval', 'notifyApproval', {
          check: (_p, actor) => (actor.id === proposer ? 'The decision is approved by a supervisor other than the one who proposed it' : null),
        });
        if (a.kind !== 'completed') continue;
        await kase.record('breach.notification_decided', { decision: p.payload.decision, approved: a.payload.approved, reason: p.payload.reason ?? null }, { actor: a.actor.id });
        // Not approved: the decision is proposed again.
        if (!a.payload.approved) continue;
        f.notify = p.payload.decision === 'notify';
        f.stage = 'regulator_report';
        break;
      }
      // PIPL art. 57: the authority's report, its contents approved by a supervisor, within the deadline from detection.
      case 'regulator_report': {
        await enter('regulator_report');
        const r = await task<{ harms: string[]; measures: string[]; individualActions: string[]; contact: string }>('breach.regulator_report', 'regulatorReport', { startedAt: new Date(input.detectedAt) });
        if (r.kind !== 'completed') continue;
        const sent = await run.reportBreachToRegulator({
          caseId,
          detectedAt: input.detectedAt,
          cause: f.cause!,
          categories: list(f.categories),
          subjects: f.subjects,
          individualsNotified: f.notify,
          ...r.payload,
          approvedBy: r.actor.id,
        });
        Object.assign(f, { reportId: sent.reportId, measures: r.payload.measures.join(','), harms: r.payload.harms.join(','), actions: r.payload.individualActions.join(','), contact: r.payload.contact });
        await kase.record('breach.regulator_reported', { reportId: sent.reportId, harms: r.payload.harms, measures: r.payload.measures, individualActions: r.payload.individualActions, contact: r.payload.contact }, { actor: r.actor.id });
        // The individuals' notice carries the same art. 57 contents as the authority's report.
        f.stage = f.notify ? 'individual_notification' : 'remediation';
        await kase.continueAsNewIfDue();
        break;
      }
      // 6.4.1 通知用户: one notice per affected subject through the outbox (paged, resumable), delivery followed by counts.
      case 'individual_notification': {
        await enter('individual_notification', { subjects: f.subjects });
        const params = { cause: f.cause!, categories: f.categories, harms: f.harms, measures: f.measures, actions: f.actions, contact: f.contact };
        if (!f.fannedOut) {
          const q = await paged.fanOutBreachNotices({ caseId, template: 'breach.individual_notice', params, batch: rules.fanOutBatch });
          Object.assign(f, { queued: q.queued, fannedOut: true });
          await kase.record('breach.notices_queued', { queued: q.queued, email: q.email, sms: q.sms, unreachable: q.unreachable });
        }
        // Followed until nothing is pending, or the follow-up window ends (what is left shows in the closing report).
        let settled = false;
        const window = kase.awaitParty('individual_notification', 'notificationFollowUp', rules.notificationFollowUp);
        const following = (async () => {
          while (!settled) {
            if ((await run.breachNotificationProgress({ caseId })).pending === 0) settled = true;
            else await kase.until(() => settled, rules.notificationPollMinutes * 60_000);
          }
        })();
        await window.until(() => settled);
        settled = true;
        await following;
        const done = await run.breachNotificationProgress({ caseId });
        await kase.record('breach.notices_delivered', { ...done });
        f.stage = 'remediation';
        break;
      }
      // 6.4.1 整改措施 (6.4.2 by type of breach): the remediation carried out, with the measures its cause calls for.
      case 'remediation': {
        await enter('remediation', { cause: f.cause });
        const needed = requiredRemediation[f.cause ?? 'other'];
        const r = await task<{ measures: RemediationMeasure[] }>('breach.remediation', 'remediation', {
          check: (p) => {
            const missing = needed.filter((m) => !p.measures.includes(m));
            return missing.length ? `A ${f.cause} breach is remediated with ${missing.join(', ')} too (policy 6.4.2)` : null;
          },
        });
        if (r.kind !== 'completed') continue;
        await kase.record('breach.remediated', { measures: r.payload.measures }, { actor: r.actor.id });
        f.stage = 'closing';
        break;
      }
      // The closing report: counts only.
      case 'closing': {
        const counts = f.notify ? await run.breachNotificationProgress({ caseId }) : null;
        await kase.record('breach.closing_report', { cause: f.cause, categories: list(f.categories), subjects: f.subjects, notified: f.notify, reportId: f.reportId, claims: f.claims, ...(counts && { notices: counts }) }, { step: 'closing' });
        return close(f.notify ? 'closed_notified' : 'closed_not_notified');
      }
    }
  }
}
