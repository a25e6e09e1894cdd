// Refunds through a payment gateway. Idempotent on the case: a retried activity never pays twice.
import crypto from 'node:crypto';
import type { Db } from '../lib/db';

export interface RefundRequest {
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
}

/** The gateway contract. Real gateways deduplicate on the idempotency key; so must implementations. */
export interface PaymentGateway {
  refund(req: RefundRequest): Promise<{ ref: string }>;
}

/** A simulated gateway with a durable ledger in PostgreSQL; it deduplicates on the key like a real one. */
export class SimulatedPaymentGateway implements PaymentGateway {
  constructor(private readonly db: Db) {}

  async refund(req: RefundRequest): Promise<{ ref: string }> {
    const ref = `SIMREF-${crypto.randomUUID()}`;
    await this.db.$executeRaw`
      INSERT INTO simulated_gateway_ledger (idempotency_key, ref, operation, amount_minor, currency)
      VALUES (${req.idempotencyKey}, ${ref}, 'refund', ${req.amountMinor}, ${req.currency})
      ON CONFLICT (idempotency_key) DO NOTHING`;
    const row = await this.db.simulatedGatewayCharge.findUniqueOrThrow({ where: { idempotencyKey: req.idempotencyKey } });
    if (row.amountMinor !== req.amountMinor || row.currency !== req.currency) {
      throw new Error(`Idempotency key ${req.idempotencyKey} reused with a different amount`);
    }
    return { ref: row.ref };
  }
}
