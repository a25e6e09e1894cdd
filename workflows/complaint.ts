// Complaints and the dispute ladder (policy 3.3, 7.4, chapter 8; 消法 art. 39). A complaint comes by the storefront,
// an agent (phone, social media) or a rejected return (linked_case); an agent reviews its information (8.2 信息审核:
// an incomplete one is asked of the complainant in the thread), classifies it (8.2 初步判断: ip and privacy are handed
// over), the merchant is told and replies in the thread in working time (8.2 通知商家; silence: the platform reviews and
// may decide for the complainant), the parties negotiate a settlement through party actions (8.3 协商解决), the platform
// sees it executed (8.2 问题解决) and the complainant rates the handling (8.2 反馈与评价). No settlement in the window:
// the case closes `unresolved` naming the routes beyond the platform (mediation, arbitration and litigation are later
// stages of this same workflow: the flow is a list of stages, so a stage added later leaves running cases on theirs).
// A type written after every CaseKit patch: born with them all (`bornWith: CASE_KIT_PATCHES`), so no patch marker.
import { allHandlersFinished, defineUpdate, proxyActivities } from '@temporalio/workflow';
import type { ComplaintActivities } from '../activities/complaint';
import type { BusinessCalendar } from '../policy/businessCalendar';
import {
  COMPLAINT_CASE_TYPE,
  COMPLAINT_HISTORY,
  amountToMinor,
  complaintActions as actions,
  complaintTasks,
  handedOverClasses,
  paidTerms,
  partyOfRole,
  type ComplaintCategory,
  type ComplaintChannel,
  type ComplaintClass,
  type ComplaintOutcome,
  type ComplaintStage,
  type ComplaintPolicy,
  type SettlementParty,
  type SettlementTerm,
} from '../policy/complaints';
import type { SlaResult } from './sla';
import { CASE_KIT_PATCHES, CaseKit, failure, type CaseCarry } from './caseKit';
import { CaseErrors, type ActionResult, type Actor } from './definitions';

export { COMPLAINT_CASE_TYPE };

/** Calls to the payment port: on the task queue, retried until they answer (the key makes a retry pay once). */
const ports = proxyActivities<ComplaintActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export interface ComplaintCasePolicy {
  version: string;
  calendar: BusinessCalendar;
  complaint: ComplaintPolicy;
}

/** Ids and enums only: the complainant's words stay in PostgreSQL (complaints.description). */
export interface ComplaintCaseInput {
  caseId: string;
  openedBy: string;
  policy: ComplaintCasePolicy;
  complainantId: string;
  merchantId: string;
  orderId: string | null;
  category: ComplaintCategory;
  channel: ComplaintChannel;
  /** A complaint a rejected return handed over: the return and its reason code. */
  linkedFrom: { returnCaseId: string; reasonCode: string } | null;
  carried?: CaseCarry;
}

/** The party actions' updates (policy/complaints.ts complaintActions), for tests and scripts that drive a case. */
export const proposeSettlementUpdate = defineUpdate<ActionResult, [{ actor: Actor; terms: SettlementTerm; amount?: string; currency?: string }]>(actions['propose-settlement'].update);
export const respondSettlementUpdate = defineUpdate<ActionResult, [{ actor: Actor; proposal: number; decision: 'accept' | 'decline' }]>(actions['respond-settlement'].update);
export const confirmExecutionUpdate = defineUpdate<ActionResult, [{ actor: Actor; executed: true }]>(actions['confirm-execution'].update);
export const rateComplaintUpdate = defineUpdate<ActionResult, [{ actor: Actor; rating: number }]>(actions['complaint-rating'].update);

export type { ComplaintOutcome };

export interface ComplaintResult {
  outcome: ComplaintOutcome;
  /** 1-5; 'no_rating' when the feedback window passed in silence; null when the case closed before feedback. */
  rating: number | 'no_rating' | null;
}

/** The stages, in order of the ladder; a later stage (mediation, arbitration) is a new name here. */
type Stage = ComplaintStage;

/** The case's position, carried to its next run (ids, enums, counters). */
interface Flow {
  [k: string]: string | number | boolean | null;
  stage: Stage;
  /** The stage whose entry (event, notices) was written: a later run entering the same stage writes it once. */
  entered: string;
  informationRounds: number;
  classification: ComplaintClass | null;
  /** Proposals made so far (the platform's decision counts as one): its number keys the payment. */
  proposals: number;
  openProposal: number;
  openBy: SettlementParty | null;
  openTerms: SettlementTerm | null;
  openAmountMinor: number;
  /** The settlement: its proposal number, terms, amount, and who decided it. */
  agreed: number;
  terms: SettlementTerm | null;
  amountMinor: number;
  decidedBy: 'agreement' | 'platform' | null;
  executed: boolean;
  rating: number;
}

export async function complaint(input: ComplaintCaseInput): Promise<ComplaintResult> {
  const kase = new CaseKit(input.caseId, COMPLAINT_CASE_TYPE, input.policy, input.merchantId, complaintTasks, {
    runs: { input, bound: COMPLAINT_HISTORY },
    bornWith: CASE_KIT_PATCHES,
  });
  const rules = input.policy.complaint;
  const caseId = input.caseId;
  const pay = kase.afterWrites(ports);
  const customer = { kind: 'customer' as const, id: input.complainantId };
  const merchant = { kind: 'merchant' as const, id: input.merchantId };
  const f: Flow = kase.resumed<Flow>() ?? {
    stage: 'review',
    entered: '',
    informationRounds: 0,
    classification: null,
    proposals: 0,
    openProposal: 0,
    openBy: null,
    openTerms: null,
    openAmountMinor: 0,
    agreed: 0,
    terms: null,
    amountMinor: 0,
    decidedBy: null,
    executed: false,
    rating: 0,
  };
  kase.carries(() => ({ ...f }));

  // Withdrawal (the complainant through the storefront, or staff): until a settlement is agreed.
  const withdrawn = kase.allowCancellation(() => (f.agreed ? 'A settlement was agreed; the complaint can no longer be withdrawn' : null));

  const negotiating = () => (f.stage === 'negotiation' && !f.agreed ? null : `The complaint is not in negotiation (step: ${kase.view.step})`);
  kase.onAction(actions['propose-settlement'], {
    refusal: negotiating,
    check: ({ terms, amount }) => (amount && amountToMinor(amount) > rules.maxSettlementMinor ? `A ${terms} is at most ${rules.maxSettlementMinor / 100} ${rules.currency}` : null),
    run: async ({ terms, amount, currency }, actor) => {
      const by = partyOfRole(actor.role)!;
      const n = ++f.proposals;
      Object.assign(f, { openProposal: n, openBy: by, openTerms: terms, openAmountMinor: amount ? amountToMinor(amount) : 0 });
      const amountMinor = f.openAmountMinor;
      if (currency && currency !== rules.currency) throw failure(CaseErrors.PolicyRefused, `Settlements are in ${rules.currency}`);
      await kase.record('complaint.settlement_proposed', { proposal: n, by, terms, amountMinor, currency: rules.currency }, { actor: actor.id });
      await kase.notify('complaint.settlement_proposed', by === 'complainant' ? merchant : customer, { proposal: n, terms, amountMinor, currency: rules.currency });
    },
  });
  kase.onAction(actions['respond-settlement'], {
    refusal: () => negotiating() ?? (f.openProposal ? null : 'No settlement proposal waits for an answer'),
    check: ({ proposal }) => (proposal === f.openProposal ? null : `Proposal ${proposal} is not the one waiting for an answer (${f.openProposal})`),
    run: async ({ proposal, decision }, actor) => {
      // The proposer does not answer its own proposal (refused before anything changes).
      if (partyOfRole(actor.role) === f.openBy) throw failure(CaseErrors.NotAllowedNow, 'The other party answers a settlement proposal');
      const terms = f.openTerms;
      const amountMinor = f.openAmountMinor;
      f.openProposal = 0;
      if (decision === 'accept') Object.assign(f, { agreed: proposal, terms, amountMinor, decidedBy: 'agreement' });
      await kase.record(decision === 'accept' ? 'complaint.settlement_accepted' : 'complaint.settlement_declined', { proposal, terms, amountMinor }, { actor: actor.id });
      if (decision === 'decline') await kase.notify('complaint.settlement_declined', f.openBy === 'complainant' ? customer : merchant, { proposal }, `:${proposal}`);
    },
  });
  kase.onAction(actions['confirm-execution'], {
    refusal: () => kase.unlessAwaiting('execution', f.executed),
    run: async (_b, actor) => {
      f.executed = true;
      await kase.record('complaint.settlement_executed', { proposal: f.agreed, terms: f.terms, confirmedBy: actor.role }, { actor: actor.id });
    },
  });
  kase.onAction(actions['complaint-rating'], {
    refusal: () => kase.unlessAwaiting('rating', f.rating > 0),
    run: async ({ rating }, actor) => {
      f.rating = rating;
      await kase.record('complaint.rated', { rating }, { actor: actor.id });
    },
  });

  const close = async (outcome: ComplaintOutcome, rating: ComplaintResult['rating'] = null): Promise<ComplaintResult> => {
    await kase.record('case.closed', { outcome, rating }, { step: 'closed', outcome, closed: true });
    // 消法 art. 39 names the routes beyond the platform in the notices of an unresolved or unexecuted complaint.
    await kase.notify(`complaint.closed.${outcome}`, customer, { ...(f.classification && { classification: f.classification }) });
    await kase.until(allHandlersFinished);
    return { outcome, rating };
  };
  /** Enters `stage` once per case (a later run taking the case up at this stage writes nothing again). */
  const enter = async (stage: Stage, data: Record<string, unknown> = {}): Promise<boolean> => {
    f.stage = stage;
    if (f.entered === stage) return false;
    f.entered = stage;
    await kase.record('complaint.stage_entered', { stage, ...data }, { step: stage });
    return true;
  };
  /** The next stage: the case may go on in a new run here (README "Cases longer than one run"). */
  const next = async (stage: Stage) => {
    f.stage = stage;
    await kase.continueAsNewIfDue();
  };
  /** A wait on the thread that the complainant's withdrawal ends too. */
  const threadReply = async (from: 'customer' | 'merchant', step: string, slaName: string, sla: typeof rules.merchantReply) => {
    let reply: { messageId: string | null; sla: SlaResult } | undefined;
    const waiting = kase.awaitThreadReply({ from, step, slaName, sla }).then((r) => void (reply = r));
    await Promise.race([waiting, kase.until(() => withdrawn())]);
    return reply;
  };

  if (kase.run === 1) {
    await kase.record(
      'case.opened',
      { channel: input.channel, category: input.category, orderId: input.orderId, merchantId: input.merchantId, ...(input.linkedFrom && { returnCaseId: input.linkedFrom.returnCaseId, reasonCode: input.linkedFrom.reasonCode }), policyVersion: input.policy.version },
      { actor: input.openedBy, step: 'review' },
    );
    await kase.notify('complaint.received', customer, {});
  }

  for (;;) {
    if (withdrawn()) return close('withdrawn');
    switch (f.stage) {
      // 8.2 信息审核: complete, or incomplete and asked of the complainant.
      case 'review': {
        await enter('review');
        const r = await kase.humanTask<{ outcome: 'complete' | 'incomplete'; missing?: string[] }>({ type: 'complaint.information_review', role: 'agent', sla: rules.informationReview, slaName: 'informationReview', interrupt: withdrawn });
        if (r.kind === 'interrupted') continue;
        const outcome = r.kind === 'completed' ? r.payload.outcome : 'complete';
        await kase.record('complaint.information_reviewed', { outcome, ...(r.kind === 'completed' && r.payload.missing && { missing: r.payload.missing }), round: f.informationRounds + 1 }, r.kind === 'completed' ? { actor: r.actor.id } : {});
        if (outcome === 'incomplete') {
          f.informationRounds++;
          if (r.kind === 'completed') await kase.notify('complaint.information_requested', customer, { missing: (r.payload.missing ?? []).join(',') }, `:${f.informationRounds}`);
          await next('awaiting_information');
        } else await next('judgement');
        break;
      }
      // The complainant answers in the thread; a lapse closes the complaint withdrawn (the notice says how to reopen).
      case 'awaiting_information': {
        await enter('awaiting_information', { round: f.informationRounds });
        const reply = await threadReply('customer', 'awaiting_information', 'informationReply', rules.informationReply);
        if (!reply) continue;
        if (!reply.messageId) {
          await kase.record('complaint.information_lapsed', { dueAt: reply.sla.facts.dueAt, round: f.informationRounds });
          return close('withdrawn');
        }
        f.entered = '';
        await next('review');
        break;
      }
      // 8.2 初步判断: the class; ip and privacy are handed over (7.4).
      case 'judgement': {
        await enter('judgement');
        const r = await kase.humanTask<{ classification: ComplaintClass }>({ type: 'complaint.preliminary_judgement', role: 'agent', sla: rules.preliminaryJudgement, slaName: 'preliminaryJudgement', interrupt: withdrawn });
        if (r.kind !== 'completed') continue;
        f.classification = r.payload.classification;
        await kase.record('complaint.classified', { classification: f.classification }, { actor: r.actor.id });
        await next(handedOverClasses.includes(f.classification) ? 'handover' : 'merchant_reply');
        break;
      }
      case 'handover': {
        await enter('handover', { classification: f.classification });
        if (await handOver(f.classification!)) return close('handed_over');
        continue;
      }
      // 8.2 通知商家: the merchant replies in the thread within working hours; silence: a platform review.
      case 'merchant_reply': {
        if (await enter('merchant_reply')) await kase.notify('complaint.merchant_notified', merchant, { classification: f.classification });
        const reply = await threadReply('merchant', 'merchant_reply', 'merchantReply', rules.merchantReply);
        if (!reply) continue;
        if (!reply.messageId) {
          await kase.record('complaint.merchant_silent', { dueAt: reply.sla.facts.dueAt });
          await next('platform_review');
        } else await next('negotiation');
        break;
      }
      // 3.3 平台调查: the platform decides for the complainant (a settlement it orders) or sends the parties to negotiate.
      case 'platform_review': {
        await enter('platform_review');
        const r = await kase.humanTask<{ decision: 'for_complainant' | 'negotiate'; terms?: SettlementTerm; amount?: string }>({
          type: 'complaint.platform_review',
          role: 'agent',
          sla: rules.platformReview,
          slaName: 'platformReview',
          interrupt: withdrawn,
        });
        if (r.kind !== 'completed') continue;
        if (r.payload.decision === 'for_complainant') {
          const n = ++f.proposals;
          Object.assign(f, { agreed: n, terms: r.payload.terms!, amountMinor: r.payload.amount ? amountToMinor(r.payload.amount) : 0, decidedBy: 'platform' });
          await kase.record('complaint.decided_for_complainant', { proposal: n, terms: f.terms, amountMinor: f.amountMinor }, { actor: r.actor.id });
          await kase.notify('complaint.decided', merchant, { terms: f.terms!, amountMinor: f.amountMinor, currency: rules.currency });
          await next('execution');
        } else {
          await kase.record('complaint.sent_to_negotiation', {}, { actor: r.actor.id });
          await next('negotiation');
        }
        break;
      }
      // 8.3 协商解决: a settlement within the window, or the case closes unresolved (later: mediation).
      case 'negotiation': {
        const wait = kase.awaitParty('negotiation', 'negotiation', rules.negotiation);
        if (await enter('negotiation', { dueAt: wait.clock.dueAt.toISOString() })) {
          for (const to of [customer, merchant]) await kase.notify('complaint.negotiation_opened', to, { dueAt: wait.clock.dueAt.toISOString() });
        }
        const r = await wait.until(() => f.agreed > 0 || withdrawn());
        if (withdrawn() && !f.agreed) continue;
        if (!f.agreed) {
          await kase.record('complaint.negotiation_lapsed', { dueAt: r.facts.dueAt, proposals: f.proposals });
          return close('unresolved');
        }
        await next('execution');
        break;
      }
      // 8.2 问题解决: money through the payment port; a settlement in kind confirmed by its own deadline.
      case 'execution': {
        await enter('execution', { proposal: f.agreed, terms: f.terms });
        if (paidTerms.includes(f.terms!) && f.amountMinor > 0) {
          const paid = await pay.payComplaintSettlement({ caseId, proposal: f.agreed, terms: f.terms as 'refund' | 'compensation', amountMinor: f.amountMinor, currency: rules.currency, at: new Date().toISOString(), eventKey: `${caseId}:settlement:${f.agreed}` });
          f.executed = true;
          await kase.record('complaint.settlement_paid', { proposal: f.agreed, terms: f.terms, amountMinor: f.amountMinor, paymentId: paid.paymentId });
          await kase.notify('complaint.settlement_paid', customer, { terms: f.terms!, amountMinor: f.amountMinor, currency: rules.currency });
        } else if (!f.executed) {
          const r = await kase.awaitParty('execution', 'execution', rules.execution).until(() => f.executed);
          if (!f.executed) {
            await kase.record('complaint.execution_lapsed', { dueAt: r.facts.dueAt, proposal: f.agreed });
            const review = await kase.humanTask<{ executed: boolean }>({ type: 'complaint.execution_review', role: 'agent', sla: rules.executionReview, slaName: 'executionReview' });
            const executed = review.kind === 'completed' && review.payload.executed;
            await kase.record('complaint.execution_reviewed', { executed }, review.kind === 'completed' ? { actor: review.actor.id } : {});
            if (!executed) return close('settlement_not_executed');
            f.executed = true;
          }
        }
        await next('rating');
        break;
      }
      // 8.2 反馈与评价: a 1-5 rating within the window; a lapse is recorded, not a rating.
      case 'rating': {
        const wait = kase.awaitParty('rating', 'feedback', rules.feedback);
        if (await enter('rating')) await kase.notify('survey.requested', customer);
        const r = await wait.until(() => f.rating > 0);
        if (!f.rating) await kase.record('complaint.no_rating', { dueAt: r.facts.dueAt });
        return close(f.decidedBy === 'platform' ? 'decided_for_complainant' : 'settled', f.rating || 'no_rating');
      }
    }
  }

  /**
   * 7.4: an ip or privacy complaint goes to its own process. Until those exist, a supervisor hands it over (task
   * complaint.handover_review); later this is the place for kase.openLinkedCase(<process>, ids, 'handed_over_to').
   * True once handed over; false when the complaint was withdrawn meanwhile.
   */
  async function handOver(classification: ComplaintClass): Promise<boolean> {
    const r = await kase.humanTask<{ outcome: 'handed_over' }>({ type: 'complaint.handover_review', role: 'supervisor', sla: rules.handoverReview, slaName: 'handoverReview', interrupt: withdrawn });
    if (r.kind !== 'completed') return false;
    await kase.record('complaint.handed_over', { classification }, { actor: r.actor.id });
    return true;
  }
}
