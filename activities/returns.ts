// Activities of the 7-day return (merged into createActivities through the process catalogue): the return
// shipping the platform bears (policy 7.3), reimbursed to the customer through the payment port. One activity
// decides the amount (the customer's, or the carrier's quote, capped by the policy) and pays it, so the
// workflow history holds one command for it. Idempotent on the case: a retry never pays twice.
import crypto from 'node:crypto';
import type { DeliveryStatus, PickupBooking, PickupRequest } from '../lib/carriers';
import { needsCarrierQuote, returnShippingReimbursement, type Money, type RefundRoute } from '../policy/returns';
import { appendAuditEvent } from './audit';
import type { ActivityDeps } from './index';
import { settlePayment } from './payments';

export interface ReimburseReturnShippingInput {
  caseId: string;
  /** Who bears the freight (policy returnShippingPaidBy); the customer is paid either way. */
  payer: 'platform' | 'merchant';
  carrier: string;
  /** What the customer says the carrier charged, if the storefront sent it. */
  paid?: Money;
  /**
   * Origin and destination as the carrier port is asked for its quote. Workflows carry no addresses, so these are
   * the parties' references (`customer:<id>`, `merchant:<id>`); a real carrier adapter resolves them.
   */
  from: string;
  to: string;
  /** The policy's cap (returnShippingCapMinor) in its currency (returnShippingCurrency), as the case started with. */
  cap?: Money;
  /**
   * A quality claim (消法 art. 24): the amount the case decided, uncapped (the amount paid within the margin above the
   * carrier's quote, the quote, or an agent's approval); no quote is asked again. Either `cap` or `decided`.
   */
  decided?: { amountMinor: number; currency: string; basis: 'paid' | 'carrier_quote' | 'agent_approved'; quote?: Money };
  at: string;
  eventKey: string;
}

export interface ReimburseReturnShippingResult {
  paymentId: string;
  amountMinor: number;
  currency: string;
  /** The payout's reference at the gateway; null when nothing was due (a zero amount moves no money). */
  gatewayRef: string | null;
}

/** 4./5. A refund of the return: the amount due for the line, along the route the order snapshot names. */
export interface RefundReturnInput {
  caseId: string;
  amountMinor: number;
  currency: string;
  route: RefundRoute;
  /** The order's payment reference (order snapshot); required for the original route. */
  paymentRef?: string;
  /** A bank account refund (暂行办法 art. 17, by the customer's choice): the payment provider's payee reference, never the number. */
  payeeRef?: string;
  /** How the route was settled when the case asked the customer: their choice, or the default (platform balance, free withdrawal). */
  routeBasis?: 'chosen' | 'default';
  /** Points spent on the line, credited back as points. */
  points?: { count: number };
  /** 'partial': a partial refund by agreement. */
  kind: 'full' | 'partial';
  /**
   * 'deduction': the amount deducted for customer damage on a quality return, refunded after a dispute overturned
   * the finding (消法 art. 24). A payment of its own, once per case, beside the refund.
   */
  part?: 'deduction';
  at: string;
  eventKey: string;
}

export interface RefundReturnResult {
  paymentId: string;
  gatewayRef: string | null;
  route: RefundRoute;
  amountMinor: number;
}

export interface ReturnParcelStatusInput {
  carrier: string;
  trackingNumber: string;
}

/** The carrier port's pickup request for the case's parcel (the idempotency key is the case's). */
export interface ScheduleReturnPickupInput extends Omit<PickupRequest, 'idempotencyKey'> {
  caseId: string;
  at: string;
  eventKey: string;
}

export interface QuoteReturnShippingInput {
  carrier: string;
  from: string;
  to: string;
}

export interface ReturnActivities {
  /** The carrier's quote for the return parcel: the evidence of a quality claim's necessary shipping cost (消法 art. 24). */
  quoteReturnShipping(input: QuoteReturnShippingInput): Promise<Money>;
  reimburseReturnShipping(input: ReimburseReturnShippingInput): Promise<ReimburseReturnShippingResult>;
  refundReturn(input: RefundReturnInput): Promise<RefundReturnResult>;
  /** The carrier's delivery status of the return parcel (the receipt of the goods, from which 消法 art. 25 counts the refund). */
  returnParcelStatus(input: ReturnParcelStatusInput): Promise<DeliveryStatus>;
  scheduleReturnPickup(input: ScheduleReturnPickupInput): Promise<PickupBooking>;
}

export const returnShippingKey = (caseId: string) => `return_shipping:${caseId}`;

export function createReturnActivities(deps: Pick<ActivityDeps, 'db' | 'logger' | 'ports'>): ReturnActivities {
  const { db } = deps;
  const { payments: gateway, carriers } = deps.ports;

  /**
   * Quote (when the customer gave no amount) + cap + payout. The payments row is written first with the decided
   * amount (status 'pending'); a retry pays that row's amount with the same key, which the gateway deduplicates.
   */
  async function reimburseReturnShipping(r: ReimburseReturnShippingInput): Promise<ReimburseReturnShippingResult> {
    const idempotencyKey = returnShippingKey(r.caseId);
    const l = deps.logger.child({ caseId: r.caseId });
    const seen = await db.payment.findUnique({ where: { idempotencyKey } });
    if (seen && seen.status !== 'pending') {
      return { paymentId: seen.id, amountMinor: seen.amountMinor, currency: seen.currency, gatewayRef: seen.gatewayRef }; // done before
    }

    const quote = r.decided ? r.decided.quote : needsCarrierQuote(r.paid, r.cap!.currency) ? await carriers.quote({ carrier: r.carrier, from: r.from, to: r.to }) : undefined;
    const decided = r.decided
      ? { amountMinor: r.decided.amountMinor, currency: r.decided.currency, basis: r.decided.basis, uncappedMinor: r.decided.amountMinor, capped: false }
      : returnShippingReimbursement({ paid: r.paid, quote, cap: r.cap! });
    const payment =
      seen ??
      (await db.payment.upsert({
        where: { idempotencyKey },
        create: {
          id: crypto.randomUUID(),
          caseId: r.caseId,
          kind: 'return_shipping',
          payer: r.payer,
          amountMinor: decided.amountMinor,
          currency: decided.currency,
          idempotencyKey,
          status: 'pending',
        },
        update: {},
      }));
    if (payment.amountMinor !== decided.amountMinor) {
      // A retry whose quote moved: the amount decided first stands (the gateway would refuse another one anyway).
      l.warn({ paymentId: payment.id, decidedMinor: payment.amountMinor, quotedNowMinor: decided.amountMinor }, 'return shipping: keeping the amount decided first');
    }

    // A zero amount (a cap of 0, or "0.00" paid) moves no money: the row is 'recorded' without a gateway call.
    const ref = payment.amountMinor > 0 ? (await gateway.payout({ idempotencyKey, amountMinor: payment.amountMinor, currency: payment.currency })).ref : null;
    await settlePayment(db, payment, ref, {
      caseId: r.caseId,
      eventKey: r.eventKey,
      type: 'payment.return_shipping_reimbursed',
      at: new Date(r.at),
      payload: {
        paymentId: payment.id,
        payer: r.payer,
        carrier: r.carrier,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        basis: decided.basis,
        ...(r.paid && { paidMinor: r.paid.amountMinor, paidCurrency: r.paid.currency }),
        ...(quote && { quotedMinor: quote.amountMinor, quotedCurrency: quote.currency }),
        capMinor: r.cap?.amountMinor ?? null,
        capped: payment.amountMinor < decided.uncappedMinor,
        gatewayRef: ref,
      },
    });
    l.info({ paymentId: payment.id, gatewayRef: ref, amountMinor: payment.amountMinor, basis: decided.basis }, 'return shipping reimbursed');
    return { paymentId: payment.id, amountMinor: payment.amountMinor, currency: payment.currency, gatewayRef: ref };
  }

  /**
   * The refund, once per case (the key is the order refund's: a case never refunds twice, whichever path it took),
   * and, on a quality return whose customer-damage deduction was overturned, that deduction once (part 'deduction').
   * A zero amount (everything was paid in points or discounts) moves no money and is recorded.
   */
  async function refundReturn(r: RefundReturnInput): Promise<RefundReturnResult> {
    const idempotencyKey = r.part ? `refund:${r.caseId}:${r.part}` : `refund:${r.caseId}`;
    const gatewayRoute = r.route === 'order_refund' ? undefined : r.route;
    const payment = await db.payment.upsert({
      where: { idempotencyKey },
      create: {
        id: crypto.randomUUID(),
        caseId: r.caseId,
        kind: r.kind === 'partial' ? 'partial_refund' : 'refund',
        payer: 'merchant',
        amountMinor: r.amountMinor,
        currency: r.currency,
        idempotencyKey,
        status: 'pending',
        route: r.route,
        paymentRef: r.paymentRef ?? null,
      },
      update: {},
    });
    if (payment.status !== 'pending') return { paymentId: payment.id, gatewayRef: payment.gatewayRef, route: r.route, amountMinor: payment.amountMinor };
    const ref =
      payment.amountMinor > 0
        ? (await gateway.refund({ idempotencyKey, amountMinor: payment.amountMinor, currency: payment.currency, ...(gatewayRoute && { route: gatewayRoute }), ...(r.paymentRef && { paymentRef: r.paymentRef }), ...(r.payeeRef && { payeeRef: r.payeeRef }) })).ref
        : null;
    await settlePayment(db, payment, ref, {
      caseId: r.caseId,
      eventKey: r.eventKey,
      type: 'payment.refunded',
      at: new Date(r.at),
      payload: { paymentId: payment.id, kind: payment.kind, amountMinor: payment.amountMinor, currency: payment.currency, route: r.route, paymentRef: r.paymentRef ?? null, ...(r.payeeRef && { payeeRef: r.payeeRef }), ...(r.routeBasis && { routeBasis: r.routeBasis }), pointsRestored: r.points?.count ?? 0, gatewayRef: ref },
    });
    deps.logger.child({ caseId: r.caseId }).info({ paymentId: payment.id, gatewayRef: ref, amountMinor: payment.amountMinor, route: r.route }, 'refund issued');
    return { paymentId: payment.id, gatewayRef: ref, route: r.route, amountMinor: payment.amountMinor };
  }

  async function returnParcelStatus(r: ReturnParcelStatusInput): Promise<DeliveryStatus> {
    return carriers.status(r.carrier, r.trackingNumber);
  }

  /** 上门取件 through the carrier port, keyed on the case: a retry books nothing twice. */
  async function scheduleReturnPickup(r: ScheduleReturnPickupInput): Promise<PickupBooking> {
    const booking = await carriers.schedulePickup({ carrier: r.carrier, from: r.from, to: r.to, date: r.date, slot: r.slot, timeZone: r.timeZone, idempotencyKey: `return_pickup:${r.caseId}` });
    await db.$transaction(async (tx) => {
      await appendAuditEvent(tx, {
        caseId: r.caseId,
        eventKey: r.eventKey,
        type: 'carrier.pickup_scheduled',
        actor: 'system',
        at: new Date(r.at),
        payload: { ...booking },
      });
    });
    return booking;
  }

  async function quoteReturnShipping(r: QuoteReturnShippingInput): Promise<Money> {
    return carriers.quote({ carrier: r.carrier, from: r.from, to: r.to });
  }

  return { reimburseReturnShipping, refundReturn, returnParcelStatus, scheduleReturnPickup, quoteReturnShipping };
}
