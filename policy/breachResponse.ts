// Personal-information breach response (policy 6.3.2 应急预案, 6.4.1 泄露处理流程, 6.4.2 法律责任; PIPL art. 57): the rules,
// task types and party actions. 6.4.1: on discovering a breach or a user's complaint the platform starts its emergency
// plan at once (发觉泄露), investigates its cause and scope (调查核实), notifies the affected users and helps them
// (通知用户), and remediates the cause (整改措施). PIPL art. 57: the processor takes remedial measures at once and
// notifies the authority and the individuals of the categories of information, the cause and the possible harm, the
// measures taken, what individuals can do to reduce harm, and how to contact it; where the measures effectively avoid
// harm it may not notify the individuals (the authority may still require it).
// Pure and deterministic: imported by the API (opening) and by the workflow; zod schemas load lazily.
import type { z } from 'zod';
import { lazySchema } from './lazySchema';
import { defineActions, defineTasks, type HistoryBound } from './process';

type Schemas = typeof import('./breachResponse.schemas');
const schemas = (): Schemas => require('./breachResponse.schemas');

export const BREACH_CASE_TYPE = 'breach_response';

/** How a breach reached the platform (6.4.1 发觉泄露: found by the platform, or on a user's complaint). */
export const breachSources = ['staff_report', 'monitoring', 'complaint'] as const;
export type BreachSource = (typeof breachSources)[number];

/** A system or a code the platform names its systems by (suspected or affected): codes only. */
export const SYSTEM_CODE = /^[a-z][a-z0-9_]{1,39}$/;

/**
 * The categories of personal information, as the inventory classifies columns (lib/personalData.ts personalCategories;
 * processes/breachResponse.ts checks at compile time that the two lists are the same).
 */
export const breachDataCategories = ['identity', 'contact', 'id_document', 'biometric', 'free_text', 'transaction', 'device', 'credential', 'technical'] as const;
export type BreachDataCategory = (typeof breachDataCategories)[number];

/** 6.3.2 应急预案: the containment checklist the incident lead works through (codes recorded as done). */
export const containmentItems = ['isolate_systems', 'revoke_credentials', 'preserve_evidence', 'block_exfiltration', 'patch_vulnerability', 'reset_user_sessions'] as const;

/** 6.4.1 调查核实 / 6.4.2 (the table of breach types): the cause found. */
export const breachCauses = ['database_leak', 'network_attack', 'insider', 'misconfiguration', 'vendor', 'lost_device', 'other'] as const;
export type BreachCause = (typeof breachCauses)[number];

/**
 * 6.4.2 处理措施, by type of breach: database leak: encryption, access control, security audit; network attack: the
 * emergency plan, staff training, internal review; insider: internal management, approval process. What the
 * remediation (整改) must at least include; the other causes name their own.
 */
export const remediationMeasures = ['encryption', 'access_control', 'security_audit', 'emergency_plan', 'staff_training', 'internal_review', 'internal_management', 'approval_process', 'vendor_review', 'other'] as const;
export type RemediationMeasure = (typeof remediationMeasures)[number];
export const requiredRemediation: Record<BreachCause, readonly RemediationMeasure[]> = {
  database_leak: ['encryption', 'access_control', 'security_audit'],
  network_attack: ['emergency_plan', 'staff_training', 'internal_review'],
  insider: ['internal_management', 'approval_process'],
  misconfiguration: ['access_control', 'security_audit'],
  vendor: ['vendor_review'],
  lost_device: ['encryption'],
  other: [],
};

/** PIPL art. 57 (1): the possible harm. */
export const breachHarms = ['fraud', 'identity_theft', 'phishing', 'financial_loss', 'reputation', 'discrimination', 'physical_safety', 'unlikely'] as const;
/** PIPL art. 57 (2): the remedial measures taken. */
export const breachMeasures = ['systems_isolated', 'credentials_revoked', 'passwords_reset', 'vulnerability_patched', 'data_recovered', 'police_informed', 'monitoring_increased'] as const;
/** PIPL art. 57 (2): what individuals can do to reduce the harm. */
export const individualActions = ['change_password', 'watch_for_phishing', 'watch_account_activity', 'contact_bank', 'report_fraud'] as const;
/** PIPL art. 57 (3): how to reach the platform (a contact point, by code: its address is the platform's, not a person's). */
export const contactPoints = ['privacy_office', 'customer_service', 'security_hotline'] as const;
/** PIPL art. 57 ¶2: why the measures taken effectively avoid harm, so the individuals are not notified. */
export const noNotificationReasons = ['encrypted_unreadable', 'recovered_before_use', 'contained_before_access', 'no_identifiable_data'] as const;

/** The stages, in order (the case's step). */
export const breachStages = ['lead_assignment', 'containment', 'investigation', 'notify_decision', 'regulator_report', 'individual_notification', 'remediation', 'closing'] as const;
export type BreachStage = (typeof breachStages)[number];

export const breachOutcomes = ['closed_notified', 'closed_not_notified', 'cancelled'] as const;
export type BreachOutcome = (typeof breachOutcomes)[number];

export type BreachPolicy = z.infer<typeof import('./breachResponse.policySchema').breachPolicySchema>;

/** The defaults, each next to its clause. The policy's "立即" is made hours here; the law gives no figure. */
export const defaultBreachPolicy: BreachPolicy = {
  // 6.4.1 发觉泄露 "立即启动应急预案": a supervisor takes the lead within 2 hours (any hour); late, every supervisor is told.
  leadAssignment: { within: { amount: 2, unit: 'hours' }, remindAt: 0.5, onBreach: 'notify' },
  // 6.3.2 应急预案 / PIPL art. 57 "立即采取补救措施": the containment checklist within 24 hours of the lead.
  containment: { within: { amount: 24, unit: 'hours' }, remindAt: 0.5, onBreach: 'notify' },
  // 6.4.1 调查核实: cause and scope within 3 days.
  investigation: { within: { amount: 3, unit: 'days' }, remindAt: 0.5, onBreach: 'notify' },
  // PIPL art. 57 ¶2: notify or record why not; proposal within 1 day, a second person's approval within 1 day.
  notifyDecision: { within: { amount: 1, unit: 'days' }, remindAt: 0.5, onBreach: 'notify' },
  notifyApproval: { within: { amount: 1, unit: 'days' }, remindAt: 0.5, onBreach: 'notify' },
  // PIPL art. 57 "应当立即…通知履行个人信息保护职责的部门": the report approved and sent within 72 hours of detection.
  regulatorReport: { within: { amount: 72, unit: 'hours' }, remindAt: 0.5, onBreach: 'notify' },
  // 6.4.1 通知用户: the notices queued and their delivery followed for up to 3 days, read every 15 minutes.
  notificationFollowUp: { within: { amount: 3, unit: 'days' }, onBreach: 'default-decision' },
  notificationPollMinutes: 15,
  // 6.4.1 整改措施: the remediation done within 30 days.
  remediation: { within: { amount: 30, unit: 'days' }, remindAt: 0.8, onBreach: 'notify' },
  // Fan-out: outbox rows inserted per batch (a heartbeat and a cursor after each).
  fanOutBatch: 1000,
};

/** A breach may touch many people over weeks: its case switches runs past this (README "Cases longer than one run"). */
export const BREACH_HISTORY: HistoryBound = { events: 2000, bytes: 2_000_000 };

export const breachTasks = defineTasks({
  /** 6.4.1 / 6.3.2: a supervisor takes the lead of the incident (whoever completes it is the lead). */
  'breach.assign_lead': { role: 'supervisor', get payload() { return lazySchema(() => schemas().assignLeadSchema); } },
  /** 6.3.2 应急预案: the containment checklist, items done by code. */
  'breach.containment': { role: 'supervisor', get payload() { return lazySchema(() => schemas().containmentSchema); } },
  /** 6.4.1 调查核实: cause, categories, time window, affected systems; the subjects are found from them. */
  'breach.investigation': { role: 'agent', get payload() { return lazySchema(() => schemas().investigationSchema); } },
  /** PIPL art. 57 ¶2: notify the individuals, or why the measures avoid harm. */
  'breach.notify_decision': { role: 'agent', get payload() { return lazySchema(() => schemas().notifyDecisionSchema); } },
  /** The decision approved by a supervisor other than the one who proposed it. */
  'breach.notify_approval': { role: 'supervisor', get payload() { return lazySchema(() => schemas().approvalSchema); } },
  /** PIPL art. 57: the authority's report, its contents approved by a supervisor. */
  'breach.regulator_report': { role: 'supervisor', get payload() { return lazySchema(() => schemas().regulatorReportSchema); } },
  /** 6.4.1 整改措施: the remediation carried out. */
  'breach.remediation': { role: 'supervisor', get payload() { return lazySchema(() => schemas().remediationSchema); } },
});

export const breachActions = defineActions({
  'compensation-claim': {
    summary: 'Open a complaint for an affected customer’s claim for compensation (policy 6.4.2 赔偿损失), linked to the breach',
    roles: ['agent', 'supervisor'],
    get body() {
      return lazySchema(() => schemas().compensationClaimSchema);
    },
    update: 'breachCompensationClaim',
  },
});
