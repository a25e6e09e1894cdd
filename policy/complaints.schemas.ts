// The zod schemas of the complaint's task payloads and action bodies (policy 8.2). Workflows reach them only through
// the lazy getters of policy/complaints.ts.
import { z } from 'zod';
import { complaintClasses, missingInformation, settlementTerms } from './complaints';
import { currencySchema, decimalAmountSchema } from './schemas';

/** 8.2 信息审核 (complaint.information_review). */
export const informationReviewSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('complete') }).strict(),
  z.object({ outcome: z.literal('incomplete'), missing: z.array(z.enum(missingInformation)).min(1).max(missingInformation.length) }).strict(),
]);
/** 8.2 初步判断 (complaint.preliminary_judgement). */
export const preliminaryJudgementSchema = z.object({ classification: z.enum(complaintClasses) }).strict();
/** 7.4: the hand-over done (complaint.handover_review). */
export const handoverReviewSchema = z.object({ outcome: z.literal('handed_over') }).strict();

const termsShape = {
  terms: z.enum(settlementTerms),
  /** Refund and compensation only: the amount. */
  amount: decimalAmountSchema.optional(),
  currency: currencySchema.optional(),
};
const needsAmount = (v: { terms: string; amount?: string }, ctx: z.RefinementCtx) => {
  const paid = v.terms === 'refund' || v.terms === 'compensation';
  if (paid && !v.amount) ctx.addIssue({ code: 'custom', path: ['amount'], message: `a ${v.terms} names its amount` });
  if (paid && v.amount && Number(v.amount) <= 0) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'greater than 0' });
  if (!paid && v.amount) ctx.addIssue({ code: 'custom', path: ['amount'], message: `a ${v.terms} has no amount` });
};
/** A settlement proposal (action propose-settlement). */
export const settlementProposalSchema = z.object(termsShape).strict().superRefine(needsAmount);
/** 3.3 平台调查 (complaint.platform_review): decided for the complainant with terms, or the parties negotiate. */
export const platformReviewSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('for_complainant'), ...termsShape }).strict().superRefine(needsAmount),
  z.object({ decision: z.literal('negotiate') }).strict(),
]);
/** The answer to a proposal (action respond-settlement): its number, accept or decline. */
export const settlementResponseSchema = z.object({ proposal: z.number().int().min(1).max(1000), decision: z.enum(['accept', 'decline']) }).strict();
/** The settlement in kind carried out (action confirm-execution). */
export const executionConfirmationSchema = z.object({ executed: z.literal(true) }).strict();
/** 8.2 执行监督 (complaint.execution_review). */
export const executionReviewSchema = z.object({ executed: z.boolean() }).strict();
/** 8.2 反馈与评价 (action complaint-rating). */
export const complaintRatingSchema = z.object({ rating: z.number().int().min(1).max(5) }).strict();
