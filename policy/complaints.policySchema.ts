// The zod schema of the complaint's policy section (policy 3.3, 7.4, chapter 8): server code only.
import { z } from 'zod';
import { currencySchema, slaSchema } from './schemas';

export const complaintPolicySchema = z.object({
  /** 8.2 信息审核: the agent's review of the complaint's information. */
  informationReview: slaSchema,
  /** 8.2 信息审核: the complainant's answer in the thread to an incomplete complaint; a lapse withdraws it. */
  informationReply: slaSchema,
  /** 8.2 初步判断: the agent's classification. */
  preliminaryJudgement: slaSchema,
  /** 8.2 通知商家: the merchant's reply in the thread, in working time; silence goes to a platform review. */
  merchantReply: slaSchema,
  /** 3.3 平台调查: the platform's review after a silent merchant. */
  platformReview: slaSchema,
  /** 7.4: the hand-over of an ip or privacy complaint (supervisor). */
  handoverReview: slaSchema,
  /** 8.3 协商解决: the negotiation window; no settlement in it: the case closes unresolved (later: mediation). */
  negotiation: slaSchema,
  /** 8.2 问题解决: the merchant confirms a settlement in kind; a lapse goes to an agent (executionReview). */
  execution: slaSchema,
  executionReview: slaSchema,
  /** 8.2 反馈与评价: the window for the complainant's 1-5 rating; silence is recorded. */
  feedback: slaSchema,
  /** 8.3 / 8.4: after a lapsed negotiation, the complainant's window to ask for mediation; silence: closed unresolved. */
  mediationRequest: slaSchema,
  /** 8.4 组织调解: the mediator's work, from the request to an agreement or a failure (working days). */
  mediation: slaSchema,
  /** 8.4 制作调解协议: both parties accept the agreement within this; a lapse or a decline offers the outside routes. */
  agreementAcceptance: slaSchema,
  /** 8.4 监督执行: the agreement in kind carried out within this; a lapse goes to a supervisor (agreementExecutionReview). */
  agreementExecution: slaSchema,
  agreementExecutionReview: slaSchema,
  /** 8.3 仲裁 / 法律途径: the parties' window to name their route and its institution; silence: closed unresolved. */
  outsideRouteChoice: slaSchema,
  /** While an award or judgement is awaited: the agent's periodic status update (one per period); a miss escalates. */
  statusUpdate: slaSchema,
  maxSettlementMinor: z.number().int().positive(),
  /** The most an award or judgement may order the platform to pay out in one case (minor units). */
  maxAwardMinor: z.number().int().positive(),
  currency: currencySchema,
});
