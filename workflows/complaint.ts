// Complaints and the dispute ladder (policy 3.3, 7.4, chapter 8; 消法 art. 39). A complaint comes by the storefront,
// an agent (phone, social media) or a rejected return (linked_case); an agent reviews its information (8.2 信息审核:
// an incomplete one is asked of the complainant in the thread), classifies it (8.2 初步判断: ip and privacy are handed
// over), the merchant is told and replies in the thread in working time (8.2 通知商家; silence: the platform reviews and
// may decide for the complainant), the parties negotiate a settlement through party actions (8.3 协商解决), the platform
// sees it executed (8.2 问题解决) and the complainant rates the handling (8.2 反馈与评价). No settlement in the window:
// the complainant may ask for the platform's mediation (8.4: a mediator, sessions, an agreement both parties accept,
// its execution supervised); a failed or unaccepted mediation offers arbitration or litigation (8.3), for which the
// platform exports the signed dossier, awaits the award or judgement with a periodic status update, and pays what it
// orders. Cases started before the ladder (patch complaint-dispute-ladder) close `unresolved` after the negotiation.
// A type written after every CaseKit patch: born with them all (`bornWith: CASE_KIT_PATCHES`), so no CaseKit marker.
import { allHandlersFinished, defineUpdate, patched, proxyActivities } from '@temporalio/workflow';
import type { ComplaintActivities } from '../activities/complaint';
import type { DossierActivities } from '../activities/types';
import type { BusinessCalendar } from '../policy/businessCalendar';
import {
  COMPLAINT_CASE_TYPE,
  COMPLAINT_HISTORY,
  UNASSIGNED_MERCHANT,
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
  type OutsideRoute,
  type SettlementParty,
  type SettlementTerm,
} from '../policy/complaints';
import type { SlaResult } from './sla';
import { CASE_KIT_PATCHES, CaseKit, failure, type CaseCarry } from './caseKit';
import { CaseErrors, type ActionResult, type Actor } from './definitions';
import { COMPLAINT_LADDER_PATCH, COMPLAINT_PRIVACY_BREACH_PATCH } from './patches';

export { COMPLAINT_CASE_TYPE };

/** Calls to the payment port: on the task queue, retried until they answer (the key makes a retry pay once). */
const ports = proxyActivities<ComplaintActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
/** The signed dossier for an arbitration institution or a court (8.4): the whole history, so more time. */
const dossiers = proxyActivities<DossierActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
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
export const requestMediationUpdate = defineUpdate<ActionResult, [{ actor: Actor }]>(actions['request-mediation'].update);
export const recordMediationSessionUpdate = defineUpdate<ActionResult, [{ actor: Actor; form: string; attended: string[]; result: string; minutesId?: string }]>(actions['record-mediation-session'].update);
export const respondMediationAgreementUpdate = defineUpdate<ActionResult, [{ actor: Actor; decision: 'accept' | 'decline' }]>(actions['respond-mediation-agreement'].update);
export const chooseOutsideRouteUpdate = defineUpdate<ActionResult, [{ actor: Actor; route: OutsideRoute; institution: string; reference?: string }]>(actions['choose-outside-route'].update);

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
  decidedBy: 'agreement' | 'platform' | 'mediation' | null;
  executed: boolean;
  rating: number;
  /** 8.4: asked for, the agreement drafted (its proposal number, attachment, terms), each party's acceptance. */
  mediationRequested: boolean;
  sessions: number;
  agreementProposal: number;
  agreementId: string | null;
  agreementTerms: SettlementTerm | null;
  agreementAmountMinor: number;
  complainantAccepted: boolean;
  merchantAccepted: boolean;
  agreementDeclined: boolean;
  /** 8.3: the route beyond the platform, the status updates given, the one that recorded the result, its amount. */
  route: OutsideRoute | null;
  updates: number;
  resultUpdate: number;
  awardMinor: number;
  /** The merchant an agent named for a complaint that came without one (by e-mail). */
  merchantId: string | null;
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
    mediationRequested: false,
    sessions: 0,
    agreementProposal: 0,
    agreementId: null,
    agreementTerms: null,
    agreementAmountMinor: 0,
    complainantAccepted: false,
    merchantAccepted: false,
    agreementDeclined: false,
    route: null,
    updates: 0,
    resultUpdate: 0,
    awardMinor: 0,
    merchantId: null,
  };
  kase.carries(() => ({ ...f }));
  if (f.merchantId) kase.identifyMerchant(f.merchantId);
  /** The merchant: as opened, or as an agent named it later. */
  const merchant = () => ({ kind: 'merchant' as const, id: f.merchantId ?? input.merchantId });
  const merchantUnknown = () => input.merchantId === UNASSIGNED_MERCHANT && !f.merchantId;
  // Cases opened before the ladder keep their flow: no mediation, no outside routes, no stage notices.
  const ladder = patched(COMPLAINT_LADDER_PATCH);

  // Withdrawal (the complainant through the storefront, or staff): until a settlement is agreed or a result recorded.
  const withdrawn = kase.allowCancellation(() =>
    f.agreed ? 'A settlement was agreed; the complaint can no longer be withdrawn' : f.resultUpdate ? 'The award or judgement is recorded; the complaint can no longer be withdrawn' : null,
  );

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
      await kase.notify('complaint.settlement_proposed', by === 'complainant' ? merchant() : customer, { proposal: n, terms, amountMinor, currency: rules.currency });
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
      if (decision === 'decline') await kase.notify('complaint.settlement_declined', f.openBy === 'complainant' ? customer : merchant(), { proposal }, `:${proposal}`);
    },
  });
  kase.onAction(actions['confirm-execution'], {
    refusal: () => (f.stage === 'agreement_execution' ? kase.unlessAwaiting('agreement_execution', f.executed) : kase.unlessAwaiting('execution', f.executed)),
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

  // 8.3 / 8.4: the complainant asks for mediation after a negotiation without settlement.
  kase.onAction(actions['request-mediation'], {
    refusal: () => kase.unlessAwaiting('mediation_offered', f.mediationRequested),
    run: async (_b, actor) => {
      f.mediationRequested = true;
      await kase.record('complaint.mediation_requested', {}, { actor: actor.id });
    },
  });
  // 8.4 组织调解: the mediator records each session while the mediation runs.
  kase.onAction(actions['record-mediation-session'], {
    refusal: () => (f.stage === 'mediation' ? null : `The complaint is not in mediation (step: ${kase.view.step})`),
    run: async ({ form, attended, result, minutesId }, actor) => {
      const session = ++f.sessions;
      await kase.record('complaint.mediation_session', { session, form, attended, result, ...(minutesId && { minutesId }) }, { actor: actor.id });
    },
  });
  // 8.4 调解协议: each party accepts or declines the agreement; the acceptance is recorded with its actor and time.
  kase.onAction(actions['respond-mediation-agreement'], {
    refusal: () => kase.unlessAwaiting('mediation_agreement', f.agreementDeclined || (f.complainantAccepted && f.merchantAccepted)),
    run: async ({ decision }, actor) => {
      const party = partyOfRole(actor.role)!;
      if (party === 'complainant' ? f.complainantAccepted : f.merchantAccepted) throw failure(CaseErrors.NotAllowedNow, `The ${party} has accepted the agreement already`);
      if (decision === 'accept') f[party === 'complainant' ? 'complainantAccepted' : 'merchantAccepted'] = true;
      else f.agreementDeclined = true;
      await kase.record(decision === 'accept' ? 'complaint.mediation_agreement_accepted' : 'complaint.mediation_agreement_declined', { party, agreementId: f.agreementId, proposal: f.agreementProposal }, { actor: actor.id });
    },
  });
  // 8.3: the parties' route beyond the platform, and its institution or court.
  kase.onAction(actions['choose-outside-route'], {
    refusal: () => kase.unlessAwaiting('outside_route_offered', f.route !== null),
    run: async ({ route, institution, reference }, actor) => {
      f.route = route;
      // The institution's name is no personal data; it goes into the record and the dossier.
      await kase.record('complaint.outside_route_chosen', { route, institution, ...(reference && { reference }), by: actor.role }, { actor: actor.id });
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
    // 8.2 结果反馈: both parties hear of every stage change (a stage with a notice of its own tells that instead).
    if (ladder) {
      const due: Record<string, string> = typeof data.dueAt === 'string' ? { dueAt: data.dueAt } : {};
      if (!ownNotice.complainant.includes(stage)) await kase.notify('complaint.stage_changed', customer, { stage, ...due }, `:${stage}`);
      if (!ownNotice.merchant.includes(stage)) await kase.notify('complaint.stage_changed', merchant(), { stage, ...due }, `:${stage}`);
    }
    return true;
  };
  /** Stages whose own notice tells a party (the opening's receipt, the merchant's notice, the negotiation's). */
  const ownNotice: Record<'complainant' | 'merchant', readonly Stage[]> = { complainant: ['review', 'negotiation'], merchant: ['merchant_reply', 'negotiation'] };
  /**
   * The next stage: the case may go on in a new run here (README "Cases longer than one run"); a rung of the ladder
   * (mediation, an outside route, each month's wait for its result) always starts a new run, so no run grows with the dispute.
   */
  const next = async (stage: Stage, opts: { newRun?: boolean } = {}) => {
    f.stage = stage;
    await kase.continueAsNewIfDue({ force: ladder && opts.newRun === true });
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
        const r = await kase.humanTask<{ outcome: 'complete' | 'incomplete'; missing?: string[]; merchantId?: string }>({
          type: 'complaint.information_review',
          role: 'agent',
          sla: rules.informationReview,
          slaName: 'informationReview',
          interrupt: withdrawn,
          // A complaint that came without its merchant is complete only once the agent names it.
          check: (p) =>
            merchantUnknown() && p.outcome === 'complete' && !p.merchantId
              ? 'This complaint came without its merchant: name it (merchantId), or ask the complainant (incomplete, missing merchant)'
              : !merchantUnknown() && p.merchantId
                ? 'The merchant of this complaint is known already'
                : null,
        });
        if (r.kind === 'interrupted') continue;
        if (r.kind === 'completed' && r.payload.merchantId) {
          f.merchantId = r.payload.merchantId;
          kase.identifyMerchant(f.merchantId);
          await kase.record('complaint.merchant_identified', { merchantId: f.merchantId }, { actor: r.actor.id, merchantId: f.merchantId });
        }
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
        if (await enter('merchant_reply')) await kase.notify('complaint.merchant_notified', merchant(), { classification: f.classification });
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
          await kase.notify('complaint.decided', merchant(), { terms: f.terms!, amountMinor: f.amountMinor, currency: rules.currency });
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
          for (const to of [customer, merchant()]) await kase.notify('complaint.negotiation_opened', to, { dueAt: wait.clock.dueAt.toISOString() });
        }
        const r = await wait.until(() => f.agreed > 0 || withdrawn());
        if (withdrawn() && !f.agreed) continue;
        if (!f.agreed) {
          await kase.record('complaint.negotiation_lapsed', { dueAt: r.facts.dueAt, proposals: f.proposals });
          if (!ladder) return close('unresolved');
          await next('mediation_offered');
          break;
        }
        await next('execution');
        break;
      }
      // 8.3 / 8.4: the complainant may ask for the platform's mediation; silence closes the complaint unresolved.
      case 'mediation_offered': {
        const wait = kase.awaitParty('mediation_offered', 'mediationRequest', rules.mediationRequest);
        await enter('mediation_offered', { dueAt: wait.clock.dueAt.toISOString() });
        await wait.until(() => f.mediationRequested || withdrawn());
        if (withdrawn()) continue;
        if (!f.mediationRequested) {
          await kase.record('complaint.mediation_not_requested', { dueAt: wait.clock.dueAt.toISOString() });
          return close('unresolved');
        }
        await next('mediation', { newRun: true });
        break;
      }
      // 8.4 组织调解: a mediator claims the task from the inbox, records the sessions, and concludes: an agreement or a failure.
      case 'mediation': {
        await enter('mediation');
        const r = await kase.humanTask<{ outcome: 'agreement'; agreementId: string; terms: SettlementTerm; amount?: string } | { outcome: 'failed'; reason: string }>({
          type: 'complaint.mediation',
          role: 'mediator',
          sla: rules.mediation,
          slaName: 'mediation',
          interrupt: withdrawn,
          notifyOnEscalation: { kind: 'role', id: 'supervisor' },
        });
        if (r.kind === 'interrupted') continue;
        // A policy whose mediation lapses by default (onBreach default-decision) ends it as failed.
        if (r.kind === 'breached' || r.payload.outcome === 'failed') {
          const reason = r.kind === 'breached' ? 'lapsed' : r.payload.outcome === 'failed' ? r.payload.reason : 'lapsed';
          await kase.record('complaint.mediation_failed', { reason, sessions: f.sessions }, r.kind === 'completed' ? { actor: r.actor.id } : {});
          await next('outside_route_offered', { newRun: true });
          break;
        }
        const n = ++f.proposals;
        Object.assign(f, { agreementProposal: n, agreementId: r.payload.agreementId, agreementTerms: r.payload.terms, agreementAmountMinor: r.payload.amount ? amountToMinor(r.payload.amount) : 0 });
        await kase.record('complaint.mediation_agreement_drafted', { proposal: n, agreementId: f.agreementId, terms: f.agreementTerms, amountMinor: f.agreementAmountMinor, sessions: f.sessions }, { actor: r.actor.id });
        await next('mediation_agreement');
        break;
      }
      // 8.4 调解协议: both parties accept within the deadline; a decline or silence ends the mediation.
      case 'mediation_agreement': {
        const wait = kase.awaitParty('mediation_agreement', 'agreementAcceptance', rules.agreementAcceptance);
        await enter('mediation_agreement', { dueAt: wait.clock.dueAt.toISOString(), agreementId: f.agreementId });
        const both = () => f.complainantAccepted && f.merchantAccepted;
        await wait.until(() => both() || f.agreementDeclined || withdrawn());
        if (withdrawn() && !both()) continue;
        if (both()) {
          Object.assign(f, { agreed: f.agreementProposal, terms: f.agreementTerms, amountMinor: f.agreementAmountMinor, decidedBy: 'mediation' });
          await kase.record('complaint.mediation_agreed', { proposal: f.agreed, agreementId: f.agreementId, terms: f.terms, amountMinor: f.amountMinor });
          await next('agreement_execution');
        } else {
          if (!f.agreementDeclined) {
            const accepted = [...(f.complainantAccepted ? ['complainant'] : []), ...(f.merchantAccepted ? ['merchant'] : [])];
            await kase.record('complaint.mediation_agreement_lapsed', { dueAt: wait.clock.dueAt.toISOString(), agreementId: f.agreementId, accepted });
          }
          await next('outside_route_offered', { newRun: true });
        }
        break;
      }
      // 8.4 监督执行: money paid through the port; an agreement in kind confirmed in time, else a supervisor checks it.
      case 'agreement_execution': {
        await enter('agreement_execution', { proposal: f.agreed, terms: f.terms });
        if (paidTerms.includes(f.terms!) && f.amountMinor > 0) await paySettlement();
        else if (!f.executed) {
          const r = await kase.awaitParty('agreement_execution', 'agreementExecution', rules.agreementExecution).until(() => f.executed);
          if (!f.executed) {
            await kase.record('complaint.agreement_execution_lapsed', { dueAt: r.facts.dueAt, proposal: f.agreed });
            const review = await kase.humanTask<{ executed: boolean }>({ type: 'complaint.agreement_execution_review', role: 'supervisor', sla: rules.agreementExecutionReview, slaName: 'agreementExecutionReview', notifyOnEscalation: { kind: 'role', id: 'supervisor' } });
            const executed = review.kind === 'completed' && review.payload.executed;
            await kase.record('complaint.agreement_execution_reviewed', { executed }, review.kind === 'completed' ? { actor: review.actor.id } : {});
            if (!executed) {
              // Not carried out: the agreement failed; the parties may go beyond the platform.
              Object.assign(f, { agreed: 0, terms: null, amountMinor: 0, decidedBy: null });
              await next('outside_route_offered', { newRun: true });
              break;
            }
            f.executed = true;
          }
        }
        await next('rating');
        break;
      }
      // 8.3 仲裁解决 / 法律途径: the parties name their route and its institution or court; silence closes the complaint.
      case 'outside_route_offered': {
        const wait = kase.awaitParty('outside_route_offered', 'outsideRouteChoice', rules.outsideRouteChoice);
        await enter('outside_route_offered', { dueAt: wait.clock.dueAt.toISOString() });
        await wait.until(() => f.route !== null || withdrawn());
        if (withdrawn() && !f.route) continue;
        if (!f.route) {
          await kase.record('complaint.outside_route_not_chosen', { dueAt: wait.clock.dueAt.toISOString() });
          return close('unresolved');
        }
        await next(f.route, { newRun: true });
        break;
      }
      // The platform does not arbitrate or judge: it exports the signed dossier, then awaits the result with a status
      // update owed every period (a miss escalates to a supervisor), each in a run of its own.
      case 'arbitration':
      case 'litigation': {
        if (await enter(f.stage, { route: f.route })) {
          const dossier = await kase.afterWrites(dossiers).exportCaseDossier({ caseId, purpose: f.stage, at: new Date().toISOString(), eventKey: `${caseId}:dossier:${f.stage}` });
          await kase.record('complaint.dossier_exported', { route: f.stage, attachmentId: dossier.attachmentId, sha256: dossier.sha256, sizeBytes: dossier.sizeBytes });
        }
        const r = await kase.humanTask<{ status: 'pending'; stage: string } | { status: 'decided'; result: string; decisionId: string; amount?: string }>({
          type: 'complaint.outside_status_update',
          role: 'agent',
          sla: rules.statusUpdate,
          slaName: 'statusUpdate',
          interrupt: withdrawn,
          notifyOnEscalation: { kind: 'role', id: 'supervisor' },
        });
        if (r.kind !== 'completed') continue;
        const update = ++f.updates;
        if (r.payload.status === 'pending') {
          await kase.record('complaint.status_updated', { route: f.stage, update, stage: r.payload.stage }, { actor: r.actor.id });
          await next(f.stage, { newRun: true });
          break;
        }
        const awardMinor = r.payload.amount ? amountToMinor(r.payload.amount) : 0;
        if (awardMinor > rules.maxAwardMinor) throw failure(CaseErrors.PolicyRefused, `An award above ${rules.maxAwardMinor / 100} ${rules.currency} is paid outside the platform`);
        Object.assign(f, { resultUpdate: update, awardMinor });
        await kase.record('complaint.outside_result', { route: f.stage, update, result: r.payload.result, decisionId: r.payload.decisionId, amountMinor: awardMinor, currency: rules.currency }, { actor: r.actor.id });
        await next('award_execution');
        break;
      }
      // What the award or judgement orders paid, through the payment port under its own key (award:<caseId>:<n>).
      case 'award_execution': {
        await enter('award_execution', { route: f.route, amountMinor: f.awardMinor });
        if (f.awardMinor > 0) {
          const paid = await pay.payComplaintSettlement({ caseId, purpose: 'award', proposal: f.resultUpdate, terms: 'compensation', amountMinor: f.awardMinor, currency: rules.currency, at: new Date().toISOString(), eventKey: `${caseId}:award:${f.resultUpdate}` });
          await kase.record('complaint.award_paid', { route: f.route, update: f.resultUpdate, amountMinor: f.awardMinor, paymentId: paid.paymentId });
          await kase.notify('complaint.award_paid', customer, { amountMinor: f.awardMinor, currency: rules.currency });
        }
        f.executed = true;
        await next('rating');
        break;
      }
      // 8.2 问题解决: money through the payment port; a settlement in kind confirmed by its own deadline.
      case 'execution': {
        await enter('execution', { proposal: f.agreed, terms: f.terms });
        if (paidTerms.includes(f.terms!) && f.amountMinor > 0) await paySettlement();
        else if (!f.executed) {
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
        return close(finalOutcome(), f.rating || 'no_rating');
      }
    }
  }

  /** The settlement's money (negotiated, decided or mediated), once per accepted proposal: settlement:<caseId>:<n>. */
  async function paySettlement(): Promise<void> {
    const paid = await pay.payComplaintSettlement({ caseId, proposal: f.agreed, terms: f.terms as 'refund' | 'compensation', amountMinor: f.amountMinor, currency: rules.currency, at: new Date().toISOString(), eventKey: `${caseId}:settlement:${f.agreed}` });
    f.executed = true;
    await kase.record('complaint.settlement_paid', { proposal: f.agreed, terms: f.terms, amountMinor: f.amountMinor, paymentId: paid.paymentId });
    await kase.notify('complaint.settlement_paid', customer, { terms: f.terms!, amountMinor: f.amountMinor, currency: rules.currency });
  }

  /** How a complaint that reached its rating ends. */
  function finalOutcome(): ComplaintOutcome {
    if (f.route) return f.route === 'arbitration' ? 'awarded' : 'judged';
    return f.decidedBy === 'platform' ? 'decided_for_complainant' : f.decidedBy === 'mediation' ? 'mediated' : 'settled';
  }

  /**
   * 7.4: an ip or privacy complaint goes to its own process. A privacy complaint opens a linked breach response
   * (policy 6.4.1 "接到用户投诉后,立即启动应急预案"; patch complaint-privacy-opens-breach): ids only, the complaint as
   * the source. Cases before the patch, an ip complaint, or a breach case the catalogue refuses: a supervisor hands it
   * over (task complaint.handover_review). True once handed over; false when the complaint was withdrawn meanwhile.
   */
  async function handOver(classification: ComplaintClass): Promise<boolean> {
    if (classification === 'privacy' && patched(COMPLAINT_PRIVACY_BREACH_PATCH)) {
      const opened = await kase.openLinkedCase('breach_response', { source: 'complaint', detectedAt: new Date().toISOString(), complaintCaseId: caseId }, 'handed_over_to');
      if (opened.status === 'linked') {
        await kase.record('complaint.handed_over', { classification, caseId: opened.caseId, caseType: opened.caseType });
        return true;
      }
    }
    const r = await kase.humanTask<{ outcome: 'handed_over' }>({ type: 'complaint.handover_review', role: 'supervisor', sla: rules.handoverReview, slaName: 'handoverReview', interrupt: withdrawn });
    if (r.kind !== 'completed') return false;
    await kase.record('complaint.handed_over', { classification }, { actor: r.actor.id });
    return true;
  }
}
