// Complaints and the dispute ladder (policy 3.3, 7.4, chapter 8): the rules, task types and party actions.
// 8.1: complaints come by online service, phone, e-mail, social media and the platform's own system.
// 8.2: submission, information review, preliminary judgement, the merchant notified and asked to reply in time,
//      negotiation, the solution's execution supervised, the complainant's rating.
// 8.3 / 3.3: negotiation, then mediation, then arbitration or litigation (the platform mediates (8.4) and records,
//      exports for and executes the outside routes' results; 消法 art. 39 names the routes).
// Pure and deterministic: imported by the API (opening) and by the workflow; zod schemas load lazily
// (complaints.schemas.ts, policy/lazySchema.ts).
import type { z } from 'zod';
import { lazySchema } from './lazySchema';
import { defineActions, defineTasks, type HistoryBound } from './process';

type Schemas = typeof import('./complaints.schemas');
const schemas = (): Schemas => require('./complaints.schemas');

export const COMPLAINT_CASE_TYPE = 'complaint';

/** 8.1: the channels a complaint comes by (`email`: the mail intake, confirmed by the sender); `linked_case`: a rejected return handed over. */
export const complaintChannels = ['online', 'phone', 'social_media', 'linked_case', 'email'] as const;
export type ComplaintChannel = (typeof complaintChannels)[number];

/**
 * The merchant of a complaint that came without one (by e-mail: no order registry names it at intake). Reserved: no
 * merchant principal has it. The agent's information review names the real merchant (CaseKit.identifyMerchant).
 */
export const UNASSIGNED_MERCHANT = 'unassigned';

/** What the complainant says the complaint is about (at opening). */
export const complaintCategories = ['product_quality', 'delivery', 'after_sales', 'service', 'return_refused', 'fraud', 'ip', 'privacy', 'other'] as const;
export type ComplaintCategory = (typeof complaintCategories)[number];

/** The complaint's report facets (cases.facets), in this order: what the complaints report groups by beside the merchant. */
export const complaintReportFacets = ['category', 'channel'] as const;
export const complaintFacets = (c: Record<(typeof complaintReportFacets)[number], string>): string[] => complaintReportFacets.map((f) => c[f]);

/** 8.2 preliminary judgement: the class an agent gives the complaint. ip and privacy go to their own processes. */
export const complaintClasses = ['product_quality', 'delivery', 'after_sales', 'service', 'fraud', 'ip', 'privacy'] as const;
export type ComplaintClass = (typeof complaintClasses)[number];
export const handedOverClasses: readonly ComplaintClass[] = ['ip', 'privacy'];

/**
 * The stages of the ladder, in order (the case's `step` while in them; the report's "stage reached"): 8.2 handling,
 * 8.3 协商, 8.4 调解, then the routes beyond the platform (仲裁, 诉讼) whose result the platform executes.
 */
export const complaintStages = [
  'review',
  'awaiting_information',
  'judgement',
  'handover',
  'merchant_reply',
  'platform_review',
  'negotiation',
  'mediation_offered',
  'mediation',
  'mediation_agreement',
  'agreement_execution',
  'outside_route_offered',
  'arbitration',
  'litigation',
  'award_execution',
  'execution',
  'rating',
] as const;
export type ComplaintStage = (typeof complaintStages)[number];

/** How a complaint ends (the case's outcome). */
export const complaintOutcomes = ['settled', 'decided_for_complainant', 'mediated', 'awarded', 'judged', 'withdrawn', 'handed_over', 'unresolved', 'settlement_not_executed'] as const;
export type ComplaintOutcome = (typeof complaintOutcomes)[number];
/** The outcomes that count as settled on the platform (the report's settlement rate, 7.4 / 8.2). */
export const settledOutcomes: readonly ComplaintOutcome[] = ['settled', 'decided_for_complainant', 'mediated'];

/** 8.4: why a mediation failed (codes; the mediator's account is a task note or an attachment). */
export const mediationFailures = ['party_refused', 'no_agreement', 'party_absent', 'other'] as const;
/** 8.3: the routes beyond the platform's mediation, which the parties choose. */
export const outsideRoutes = ['arbitration', 'litigation'] as const;
export type OutsideRoute = (typeof outsideRoutes)[number];
/** The result of an award or judgement, as the agent records it. */
export const outsideResults = ['for_complainant', 'partly_for_complainant', 'for_merchant', 'dismissed', 'settled_in_proceedings'] as const;
/** A mediation session as the mediator records it: how it was held and how it went. */
export const sessionForms = ['in_person', 'phone', 'video', 'written'] as const;
export const sessionResults = ['progress', 'adjourned', 'deadlock'] as const;

/** What information an incomplete complaint lacks (8.2 信息审核): codes only, the question goes in the thread. */
export const missingInformation = ['order_reference', 'evidence', 'description', 'merchant', 'other'] as const;

/** The settlement terms a party proposes (8.2 沟通协商): enums and amounts only. */
export const settlementTerms = ['refund', 'replacement', 'repair', 'compensation', 'apology'] as const;
export type SettlementTerm = (typeof settlementTerms)[number];
/** Terms that move money through the payment port: a refund of the order, a compensation paid out. */
export const paidTerms: readonly SettlementTerm[] = ['refund', 'compensation'];

export type ComplaintPolicy = z.infer<typeof import('./complaints.policySchema').complaintPolicySchema>;

/** The defaults: chapter 8 gives no figures, these are the platform's, each next to the clause it serves. */
export const defaultComplaintPolicy: ComplaintPolicy = {
  // 8.2 信息审核: an agent reviews the complaint's information within 1 working day; late, a supervisor takes it.
  informationReview: { within: { amount: 1, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  // 8.2 信息审核: an incomplete complaint: the complainant answers in the thread within 7 days, else it is withdrawn.
  informationReply: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  // 8.2 初步判断: the agent classifies within 1 working day.
  preliminaryJudgement: { within: { amount: 1, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  // 8.2 通知商家 ("在规定时间内进行回复"): the merchant replies in the thread within 24 working hours.
  merchantReply: { within: { amount: 24, unit: 'working-hours' }, remindAt: 0.5, onBreach: 'default-decision' },
  // 8.2 / 3.3 平台调查: a silent merchant: the platform reviews within 2 working days (it may decide for the complainant).
  platformReview: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  // 7.4 / 8.2: ip and privacy complaints go to their processes: a supervisor hands over within 1 working day.
  handoverReview: { within: { amount: 1, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  // 8.3 协商解决 ("短期内"): the parties settle within 7 days, else the complaint goes up the ladder.
  negotiation: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  // 8.2 问题解决 (the platform supervises the execution): the merchant confirms a settlement in kind within 5 working days.
  execution: { within: { amount: 5, unit: 'working-days' }, remindAt: 0.6, onBreach: 'default-decision' },
  // 8.2 执行监督: an execution not confirmed in time: an agent checks it within 1 working day.
  executionReview: { within: { amount: 1, unit: 'working-days' }, remindAt: 0.5, onBreach: 'reassign-to-supervisor' },
  // 8.2 反馈与评价: the complainant rates the solution 1-5 within 7 days; silence is recorded, not a rating.
  feedback: { within: { amount: 7, unit: 'days' }, remindAt: 0.5, onBreach: 'default-decision' },
  // 8.3 / 8.4 调解 (the platform's mediation body "受理调解申请"): the complainant asks within 7 days of a lapsed negotiation.
  mediationRequest: { within: { amount: 7, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  // 8.4 组织调解 ("长期内"): a mediator reaches an agreement or records a failure within 15 working days; late, a supervisor is told.
  mediation: { within: { amount: 15, unit: 'working-days' }, remindAt: 0.6, onBreach: 'notify' },
  // 8.4 制作调解协议: both parties accept the mediation agreement within 7 days; a decline or silence ends the mediation.
  agreementAcceptance: { within: { amount: 7, unit: 'days' }, remindAt: 0.6, onBreach: 'default-decision' },
  // 8.4 监督执行: an agreement in kind is carried out within 10 working days; late, a supervisor checks it.
  agreementExecution: { within: { amount: 10, unit: 'working-days' }, remindAt: 0.6, onBreach: 'default-decision' },
  agreementExecutionReview: { within: { amount: 2, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  // 8.3 仲裁解决 / 法律途径: the parties name arbitration or the court within 30 days; silence closes the complaint (消法 art. 39 named).
  outsideRouteChoice: { within: { amount: 30, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  // 8.4 ("长期内") while the award or judgement is awaited: an agent's status update every 30 days; a miss escalates to a supervisor.
  statusUpdate: { within: { amount: 30, unit: 'days' }, remindAt: 0.8, onBreach: 'notify' },
  // The most a party may propose as refund or compensation in one settlement (minor units).
  maxSettlementMinor: 10_000_000,
  // The most an award or judgement may order paid out through the platform in one case (minor units).
  maxAwardMinor: 100_000_000,
  currency: 'CNY',
};

/** README "Cases longer than one run": a complaint switches runs between stages once its history passes this. */
export const COMPLAINT_HISTORY: HistoryBound = { events: 2000, bytes: 2_000_000 };

/** Human steps of the complaint. */
export const complaintTasks = defineTasks({
  /** 8.2 信息审核: complete, or incomplete with what is missing (asked of the complainant in the thread). */
  'complaint.information_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().informationReviewSchema);
    },
  },
  /** 8.2 初步判断: the complaint's class. */
  'complaint.preliminary_judgement': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().preliminaryJudgementSchema);
    },
  },
  /** 7.4: an ip or privacy complaint handed over to its process (until those processes exist: by a supervisor). */
  'complaint.handover_review': {
    role: 'supervisor',
    get payload() {
      return lazySchema(() => schemas().handoverReviewSchema);
    },
  },
  /** 3.3 平台调查: the merchant did not reply in time: the platform decides for the complainant, or sends the parties to negotiate. */
  'complaint.platform_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().platformReviewSchema);
    },
  },
  /** 8.2 执行监督: a settlement in kind the merchant did not confirm in time: executed or not. */
  'complaint.execution_review': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().executionReviewSchema);
    },
  },
  /** 8.4 组织调解: the mediator's conclusion: an agreement (an attachment, with its terms) or a failure. */
  'complaint.mediation': {
    role: 'mediator',
    get payload() {
      return lazySchema(() => schemas().mediationConclusionSchema);
    },
  },
  /** 8.4 监督执行: an agreement in kind not confirmed in time: a supervisor finds it carried out or not. */
  'complaint.agreement_execution_review': {
    role: 'supervisor',
    get payload() {
      return lazySchema(() => schemas().executionReviewSchema);
    },
  },
  /** 8.3 仲裁 / 诉讼: the periodic status update while the award or judgement is awaited, or the result once given. */
  'complaint.outside_status_update': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().outsideStatusUpdateSchema);
    },
  },
});

/** What the parties do on a complaint: POST /v1/cases/{id}/actions/{name}. */
export const complaintActions = defineActions({
  'propose-settlement': {
    summary: 'Propose a settlement (refund, replacement, repair, compensation, apology; an amount for refund and compensation) to the other party',
    roles: ['storefront', 'merchant'],
    get body() {
      return lazySchema(() => schemas().settlementProposalSchema);
    },
    update: 'proposeComplaintSettlement',
  },
  'respond-settlement': {
    summary: "Accept or decline the other party's settlement proposal",
    roles: ['storefront', 'merchant'],
    get body() {
      return lazySchema(() => schemas().settlementResponseSchema);
    },
    update: 'respondComplaintSettlement',
  },
  'confirm-execution': {
    summary: 'Confirm that the agreed settlement in kind (replacement, repair, apology) was carried out',
    roles: ['merchant', 'agent', 'supervisor'],
    get body() {
      return lazySchema(() => schemas().executionConfirmationSchema);
    },
    update: 'confirmComplaintExecution',
  },
  'complaint-rating': {
    summary: 'Rate the handling of the complaint 1-5 (policy 8.2 反馈与评价)',
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().complaintRatingSchema);
    },
    update: 'rateComplaint',
  },
  'request-mediation': {
    summary: "Ask for the platform's mediation after a negotiation without settlement (policy 8.3, 8.4)",
    roles: ['storefront'],
    get body() {
      return lazySchema(() => schemas().mediationRequestSchema);
    },
    update: 'requestComplaintMediation',
  },
  'record-mediation-session': {
    summary: 'Record a mediation session: how it was held, who attended, how it went, its minutes (policy 8.4)',
    roles: ['mediator'],
    get body() {
      return lazySchema(() => schemas().mediationSessionSchema);
    },
    update: 'recordMediationSession',
  },
  'respond-mediation-agreement': {
    summary: 'Accept or decline the mediation agreement (policy 8.4 调解协议)',
    roles: ['storefront', 'merchant'],
    get body() {
      return lazySchema(() => schemas().agreementResponseSchema);
    },
    update: 'respondMediationAgreement',
  },
  'choose-outside-route': {
    summary: 'Record the route beyond the platform the parties chose (arbitration or litigation) and its institution or court (policy 8.3)',
    roles: ['storefront', 'merchant', 'agent', 'supervisor'],
    get body() {
      return lazySchema(() => schemas().outsideRouteSchema);
    },
    update: 'chooseOutsideRoute',
  },
});

/** A proposal's party: the complainant (through the storefront) or the merchant. */
export type SettlementParty = 'complainant' | 'merchant';
export const partyOfRole = (role: string): SettlementParty | null => (role === 'storefront' ? 'complainant' : role === 'merchant' ? 'merchant' : null);

/** What a complaint pays for: a settlement (negotiated, decided or mediated) or an award or judgement. */
export type ComplaintPaymentPurpose = 'settlement' | 'award';
/**
 * The payment's idempotency key, one per purpose and number: `settlement:<caseId>:<n>` (the accepted proposal or
 * agreement), `award:<caseId>:<n>` (the status update that recorded the result). Never the case alone.
 */
export const complaintPaymentKey = (purpose: ComplaintPaymentPurpose, caseId: string, n: number): string => `${purpose}:${caseId}:${n}`;
export const settlementPaymentKey = (caseId: string, n: number): string => complaintPaymentKey('settlement', caseId, n);

/** "12.50" → 1250 (minor units). */
export function amountToMinor(amount: string): number {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}
