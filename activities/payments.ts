// Money through the payment port (lib/payments.ts): a payment's outcome and its audit event, recorded together.
import type { Db } from '../lib/db';
import { appendAuditEvent, type AuditInput } from './audit';

/**
 * Records a payment's outcome and its audit event in one transaction: 'succeeded' with the gateway's reference, or
 * 'recorded' when no money moved (a zero amount, or a cost the platform books without a payout).
 */
export async function settlePayment(db: Db, payment: { id: string }, gatewayRef: string | null, event: Omit<AuditInput, 'actor'>): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.payment.update({ where: { id: payment.id }, data: { status: gatewayRef ? 'succeeded' : 'recorded', gatewayRef } });
    await appendAuditEvent(tx, { ...event, actor: 'system' });
  });
}
