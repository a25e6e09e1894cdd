// The complaint's own activities (policy 8.2 问题解决, 8.4): a settlement's or an award's money through the payment port.
import crypto from 'node:crypto';
import { complaintPaymentKey, type ComplaintPaymentPurpose } from '../policy/complaints';
import type { ActivityDeps } from './index';
import { settlePayment } from './payments';

export interface PayComplaintSettlementInput {
  caseId: string;
  /** The number within its purpose (the accepted proposal or agreement; the update that recorded an award). */
  proposal: number;
  /** Absent: a settlement. The idempotency key is `<purpose>:<caseId>:<n>` (policy/complaints.ts complaintPaymentKey). */
  purpose?: ComplaintPaymentPurpose;
  terms: 'refund' | 'compensation';
  amountMinor: number;
  currency: string;
  at: string;
  eventKey: string;
}

export interface PayComplaintSettlementResult {
  paymentId: string;
  gatewayRef: string | null;
}

/**
 * A refund of the order (the merchant pays) or a compensation paid out to the complainant, once per accepted proposal:
 * the payments row is written first ('pending'); a retry pays that row's amount under the same key, which the gateway
 * deduplicates, so an acceptance heard twice pays once.
 */
export function createComplaintActivities(deps: Pick<ActivityDeps, 'db' | 'ports' | 'logger'>) {
  const { db } = deps;
  async function payComplaintSettlement(r: PayComplaintSettlementInput): Promise<PayComplaintSettlementResult> {
    const purpose = r.purpose ?? 'settlement';
    const idempotencyKey = complaintPaymentKey(purpose, r.caseId, r.proposal);
    // An award pays the complainant out (the merchant owes it; the platform collects it from the merchant's settlement).
    const kind = purpose === 'award' ? 'complaint_award' : r.terms === 'refund' ? 'complaint_refund' : 'complaint_compensation';
    const payment = await db.payment.upsert({
      where: { idempotencyKey },
      create: { id: crypto.randomUUID(), caseId: r.caseId, kind, payer: 'merchant', amountMinor: r.amountMinor, currency: r.currency, idempotencyKey, status: 'pending' },
      update: {},
    });
    if (payment.status !== 'pending') return { paymentId: payment.id, gatewayRef: payment.gatewayRef };
    const req = { idempotencyKey, amountMinor: payment.amountMinor, currency: payment.currency };
    const { ref } = r.terms === 'refund' && purpose === 'settlement' ? await deps.ports.payments.refund(req) : await deps.ports.payments.payout(req);
    await settlePayment(db, payment, ref, {
      caseId: r.caseId,
      eventKey: r.eventKey,
      type: purpose === 'award' ? 'payment.complaint_award' : 'payment.complaint_settlement',
      at: new Date(r.at),
      payload: { paymentId: payment.id, ...(purpose === 'award' ? { update: r.proposal } : { proposal: r.proposal }), terms: r.terms, amountMinor: payment.amountMinor, currency: payment.currency, gatewayRef: ref },
    });
    deps.logger.child({ caseId: r.caseId }).info({ paymentId: payment.id, proposal: r.proposal, amountMinor: payment.amountMinor }, 'complaint settlement paid');
    return { paymentId: payment.id, gatewayRef: ref };
  }
  return { payComplaintSettlement };
}

export type ComplaintActivities = ReturnType<typeof createComplaintActivities>;
