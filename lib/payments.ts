// The payment port: refunds of the order, payouts to the customer (e.g. the return shipping the platform bears),
// and its simulation. Idempotent on the key: a retried activity never pays twice.
import crypto from 'node:crypto';
import type { Db } from './db';

export interface RefundRequest {
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
  /**
   * 暂行办法 art. 17 (退款方式比照购买商品的支付方式): the refund goes back the way the order was paid ('original', to the payment
   * `paymentRef`); when that route cannot take it, the way the customer chose: their platform balance, or a bank account
   * (`payeeRef`). Absent: the order's own refund (its route not known here).
   */
  route?: 'original' | 'platform_balance' | 'bank_account';
  paymentRef?: string;
  /** A bank account refund: the payee reference the payment provider keeps the account under (never the number). */
  payeeRef?: string;
}

/** Money the platform pays the customer that is not a refund of the order (e.g. return shipping, policy 7.3). */
export interface PayoutRequest {
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
}

/** The gateway contract. Real gateways deduplicate on the idempotency key; so must implementations. */
export interface PaymentGateway {
  refund(req: RefundRequest): Promise<{ ref: string }>;
  /** Pays the customer; the same key always answers with the first payout's reference and never pays again. */
  payout(req: PayoutRequest): Promise<{ ref: string }>;
}

/** A simulated gateway with a durable ledger in PostgreSQL; it deduplicates on the key like a real one. */
export class SimulatedPaymentGateway implements PaymentGateway {
  constructor(private readonly db: Db) {}

  /** References name the route: SIMREF (the order's refund, or the original payment), SIMBAL (platform balance) or SIMBNK (a bank account). */
  refund(req: RefundRequest): Promise<{ ref: string }> {
    if (req.route === 'bank_account' && !req.payeeRef) return Promise.reject(new Error('A bank account refund needs the payee reference'));
    return this.book('refund', req.route === 'platform_balance' ? 'SIMBAL' : req.route === 'bank_account' ? 'SIMBNK' : 'SIMREF', req);
  }

  payout(req: PayoutRequest): Promise<{ ref: string }> {
    return this.book('payout', 'SIMPAY', req);
  }

  private async book(operation: 'refund' | 'payout', prefix: string, req: RefundRequest | PayoutRequest): Promise<{ ref: string }> {
    const ref = `${prefix}-${crypto.randomUUID()}`;
    await this.db.$executeRaw`
      INSERT INTO simulated_gateway_ledger (idempotency_key, ref, operation, amount_minor, currency)
      VALUES (${req.idempotencyKey}, ${ref}, ${operation}, ${req.amountMinor}, ${req.currency})
      ON CONFLICT (idempotency_key) DO NOTHING`;
    const row = await this.db.simulatedGatewayCharge.findUniqueOrThrow({ where: { idempotencyKey: req.idempotencyKey } });
    if (row.operation !== operation) {
      throw new Error(`Idempotency key ${req.idempotencyKey} was used for a ${row.operation}, not a ${operation}`);
    }
    if (row.amountMinor !== req.amountMinor || row.currency !== req.currency) {
      throw new Error(`Idempotency key ${req.idempotencyKey} reused with a different amount`);
    }
    return { ref: row.ref };
  }
}
