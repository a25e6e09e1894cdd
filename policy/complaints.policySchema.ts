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
  maxSettlementMinor: z.number().int().positive(),
  currency: currencySchema,
});
