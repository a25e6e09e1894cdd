// The zod schemas of the complaint's task payloads and action bodies (policy 8.2). Workflows reach them only through
// the lazy getters of policy/complaints.ts.
import { z } from 'zod';
import { complaintClasses, mediationFailures, missingInformation, outsideResults, outsideRoutes, sessionForms, sessionResults, settlementTerms } from './complaints';
import { attachmentIdSchema, currencySchema, decimalAmountSchema } from './schemas';

/** 8.2 信息审核 (complaint.information_review). */
export const informationReviewSchema = z.discriminatedUnion('outcome', [
  z
    .object({
      outcome: z.literal('complete'),
      /** A complaint that came without its merchant (by e-mail): the merchant the agent found. */
      merchantId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1-64 letters, digits, _ . : or -').optional(),
    })
    .strict(),
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

/** 8.3 / 8.4: the complainant asks for mediation (action request-mediation). */
export const mediationRequestSchema = z.object({}).strict();
/** 8.4 a mediation session (action record-mediation-session). */
export const mediationSessionSchema = z
  .object({ form: z.enum(sessionForms), attended: z.array(z.enum(['complainant', 'merchant'])).max(2), result: z.enum(sessionResults), minutesId: attachmentIdSchema.optional() })
  .strict();
/** 8.4 组织调解 (complaint.mediation): an agreement, an attachment with its terms, or a failure. */
export const mediationConclusionSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('agreement'), agreementId: attachmentIdSchema, ...termsShape }).strict().superRefine(needsAmount),
  z.object({ outcome: z.literal('failed'), reason: z.enum(mediationFailures) }).strict(),
]);
/** 8.4 调解协议: a party's answer (action respond-mediation-agreement). */
export const agreementResponseSchema = z.object({ decision: z.enum(['accept', 'decline']) }).strict();
/** 8.3: the route and its institution or court, as codes and references (action choose-outside-route). */
export const outsideRouteSchema = z
  .object({
    route: z.enum(outsideRoutes),
    /** The institution or court: its code or name (no personal data), e.g. "CIETAC" or "Hangzhou Internet Court". */
    institution: z.string().regex(/^[\p{L}\p{N} .,()\-]{2,120}$/u, 'the institution or court: letters, digits, spaces, . , ( ) -'),
    /** The institution's case number once known. */
    reference: z.string().regex(/^[\p{L}\p{N} .()\-/]{1,80}$/u).optional(),
  })
  .strict();
/** 8.3 仲裁 / 诉讼 (complaint.outside_status_update): still pending, or decided with the award or judgement attached. */
export const outsideStatusUpdateSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('pending'), stage: z.enum(['filed', 'accepted', 'hearing_scheduled', 'heard', 'other']) }).strict(),
  z
    .object({ status: z.literal('decided'), result: z.enum(outsideResults), decisionId: attachmentIdSchema, amount: decimalAmountSchema.optional(), currency: currencySchema.optional() })
    .strict()
    .superRefine((v, ctx) => {
      if (v.amount && Number(v.amount) <= 0) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'greater than 0' });
      if (v.amount && (v.result === 'for_merchant' || v.result === 'dismissed')) ctx.addIssue({ code: 'custom', path: ['amount'], message: `a result ${v.result} orders no payment to the complainant` });
    }),
]);
