// Personal-data requests (policy 2.3.2 公開透明, 2.4.1 信息刪除, 2.4.2 信息修改; PIPL arts. 44-47 and 50): the rules, task types and party
// actions. A person asks for access (a look at their data), a copy, a correction, a deletion or the account's
// cancellation. Their identity is checked again by a one-time code (PIPL art. 50: the request must be the person's
// own); a deletion or cancellation stops processing at once (2.4.1); the work is done within the policy's deadline;
// the answer says what was done, what is kept, why and until when; a refusal gives reasons and may be appealed once.
// Pure and deterministic: imported by the API (opening) and by the workflow; zod schemas load lazily.
import type { z } from 'zod';
import { lazySchema } from './lazySchema';
import { defineActions, defineTasks } from './process';

type Schemas = typeof import('./personalDataRequest.schemas');
const schemas = (): Schemas => require('./personalDataRequest.schemas');

export const PDR_CASE_TYPE = 'personal_data_request';

/** 2.3 / PIPL arts. 45-47: what the person asks for. */
export const requestTypes = ['access', 'copy', 'correction', 'deletion', 'cancellation'] as const;
export type RequestType = (typeof requestTypes)[number];
/** The requests that stop processing at once (policy 2.4.1) and erase. */
export const erasingTypes: readonly RequestType[] = ['deletion', 'cancellation'];

/** PIPL art. 46: the fields a person may have corrected (lib/personalData.ts correctableColumns names their columns). */
export const correctableFields = ['contact_name', 'contact_email', 'account_name', 'account_email'] as const;
export type CorrectableField = (typeof correctableFields)[number];

/**
 * PIPL art. 50: why a request is refused, in whole or in part (the answer gives the reasons; the person may appeal
 * once, then go to court). Codes only: an agent's explanation, if any, is a task note.
 */
export const refusalReasons = [
  /** PIPL art. 47 para. 2, 电子商务法 art. 31: a record the law requires keeping (it is kept stripped to the minimum). */
  'legal_retention_required',
  /** PIPL art. 18 para. 1, art. 44: a law or administrative regulation requires secrecy or no notice. */
  'law_requires_secrecy',
  /** PIPL art. 45: the request names data that is not the person's, or would disclose another person's. */
  'other_persons_data',
  /** PIPL art. 50: repeated or manifestly unfounded requests. */
  'manifestly_unfounded',
  /** PIPL art. 46: the correction is not shown to be accurate. */
  'correction_not_accurate',
  /** 民法典 / 民事诉讼: the data is needed to establish, exercise or defend a legal claim. */
  'legal_claim_pending',
] as const;
export type RefusalReason = (typeof refusalReasons)[number];

/** The stages of a request (the case's step). */
export const requestStages = ['verification', 'handling', 'carrying_out', 'answered', 'appeal', 'appeal_review'] as const;

/** How a request ends. */
export const requestOutcomes = ['fulfilled', 'partly_fulfilled', 'refused', 'fulfilled_on_appeal', 'not_verified', 'cancelled'] as const;
export type RequestOutcome = (typeof requestOutcomes)[number];

export type PersonalDataRequestPolicy = z.infer<typeof import('./personalDataRequest.policySchema').personalDataRequestPolicySchema>;

/** The defaults, each next to the clause it serves. */
export const defaultPersonalDataRequestPolicy: PersonalDataRequestPolicy = {
  // PIPL art. 50 (the person's request): the identity is checked again, by a code to the registered mobile or e-mail.
  // The code's rules as the registration's (valid 10 minutes, 5 attempts); the case waits 24 hours, then closes.
  identityVerification: { within: { amount: 24, unit: 'hours' }, remindAt: 0.5, onBreach: 'default-decision' },
  code: { ttl: { amount: 10, unit: 'minutes' }, maxAttempts: 5 },
  // SMS abuse (the registration's daily caps, lib/verificationCodes.ts): codes per mobile number per calendar day.
  smsDailyCapPerMobile: 10,
  // PIPL art. 50 ("及时", timely) gives no figure; 15 working days is the platform's, after GB/T 35273-2020 §8.7 c)
  // (信息安全技术 个人信息安全规范: answer within 15 working days or 30 days) and 网络数据安全管理条例 art. 23
  // (15 working days). Reminder at 60 %; late, a supervisor takes the request.
  handling: { within: { amount: 15, unit: 'working-days' }, remindAt: 0.6, onBreach: 'reassign-to-supervisor' },
  // PIPL art. 50 (reasons for a refusal; the person may then go to court): one appeal to a supervisor within 15 days.
  appealWindow: { within: { amount: 15, unit: 'days' }, remindAt: 0.7, onBreach: 'default-decision' },
  // The supervisor decides the appeal within 5 working days; late, the supervisors are told again.
  appealReview: { within: { amount: 5, unit: 'working-days' }, remindAt: 0.5, onBreach: 'notify' },
  // Deletion: the contact stays until the answer reached the mail server, at most this long; then it goes too.
  answerDeliveryWait: { amount: 2, unit: 'days' },
  // PIPL art. 45: the export's signed link is valid this many days (lib/subjectExport.ts, the dataExport retention).
  exportLinkDays: 7,
};

/** Human steps of a request. */
export const personalDataRequestTasks = defineTasks({
  /** PIPL art. 50: an agent carries the request out, or refuses it in whole or in part with reasons. */
  'pdr.handling': {
    role: 'agent',
    get payload() {
      return lazySchema(() => schemas().handlingDecisionSchema);
    },
  },
  /** The appeal against a refusal: a supervisor other than the one who refused upholds or overturns it. */
  'pdr.appeal_review': {
    role: 'supervisor',
    get payload() {
      return lazySchema(() => schemas().appealDecisionSchema);
    },
  },
});

/** What the person (through the storefront) or staff on their behalf do: POST /v1/cases/{id}/actions/{name}. */
export const personalDataRequestActions = defineActions({
  'verify-identity': {
    summary: 'Submit the identity check: the HMAC of the code sent (POST /v1/personal-data-requests/{caseId}/verification takes the code itself)',
    roles: ['storefront', 'agent', 'supervisor'],
    get body() {
      return lazySchema(() => schemas().verifyIdentitySchema);
    },
    update: 'verifyRequestIdentity',
  },
  'appeal-refusal': {
    summary: 'Appeal a refusal (in whole or in part) of a personal-data request once, within the window (PIPL art. 50)',
    roles: ['storefront', 'agent', 'supervisor'],
    get body() {
      return lazySchema(() => schemas().appealSchema);
    },
    update: 'appealRequestRefusal',
  },
});

/** The challenge a request's code answers: <case id>:code:<seq>. */
export const requestChallengeId = (caseId: string, seq: number): string => `${caseId}:code:${seq}`;
