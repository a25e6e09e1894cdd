// Activities of the warrantyRepair process (merged into createActivities in activities/index.ts):
// the repair_requests row (progress the read model keeps next to the description text), the compensation
// voucher, the item's repair record (repair_item_history), the carrier's word on the item's arrival, and the
// shipping the platform bears in warranty (消法 art. 24). All idempotent: the row update is a plain overwrite,
// the voucher, the shipping and the repair record are keyed on the case (or the event).
import crypto from 'node:crypto';
import { appendAuditEvent } from './audit';
import type { ActivityDeps } from './index';
import { settlePayment } from './payments';

/** Progress of a repair, by ids, enums and amounts only (the workflow knows nothing else). */
export interface RepairProgressPatch {
  quoteAmountMinor?: number;
  quoteCurrency?: string;
  quoteDecision?: 'accept' | 'decline' | 'lapsed';
  handOverMethod?: 'courier' | 'drop_off';
  handOverCarrier?: string | null;
  handOverReference?: string;
  receivedAt?: string;
  result?: 'repaired' | 'replaced' | 'not_repairable' | 'user_damage';
  inWarranty?: boolean;
  warrantyEndsAt?: string;
  entitlement?: string;
  remedyChoice?: 'repair' | 'replacement' | 'refund';
  arrivalSource?: 'carrier' | 'drop_off' | 'staff';
  faultCode?: string;
  damageDispute?: string;
  remedy?: 'replacement' | 'voucher';
  remedyDecision?: 'accept' | 'decline' | 'lapsed' | 'withdrawn';
  returnCarrier?: string;
  returnTracking?: string;
  rating?: number | null;
  feedback?: 'rated' | 'no_rating';
}

export interface RecordRepairProgressInput {
  caseId: string;
  patch: RepairProgressPatch;
}

export interface IssueRepairVoucherInput {
  caseId: string;
  amountMinor: number;
  currency: string;
  at: string;
  eventKey: string;
}

/** The technician's report, for the item's repair record (three-guarantee rules art. 11). Codes and ids only. */
export interface RecordItemRepairInput {
  caseId: string;
  itemId: string | null;
  problemCategory: string;
  faultCode: string;
  result: 'repaired' | 'replaced' | 'not_repairable' | 'user_damage';
  partsUsed: string[];
  evidenceRefs: string[];
  technicianId: string;
  inWarranty: boolean;
  arrivedAt: string | null;
  completedAt: string;
  eventKey: string;
}

/** Art. 11: an agent's review of another repairer's record the customer attached (repair_external_records). */
export interface RecordExternalRepairReviewInput {
  caseId: string;
  recordId: string;
  decision: 'confirmed' | 'rejected';
  reasonCode: string | null;
  /** The reviewing principal; null when a lapse counted the record (policy externalRecordReview, default-decision). */
  reviewedBy: string | null;
  at: string;
}

export interface CheckRepairArrivalInput {
  caseId: string;
  carrier: string;
  trackingNumber: string;
}

/** The platform's shipping of a repair in warranty (消法 art. 24): to the centre reimbursed, back from it borne. */
export interface PayRepairShippingInput {
  caseId: string;
  /** to_centre: the customer's courier, paid back to the customer; from_centre: the platform's own shipment, booked. */
  leg: 'to_centre' | 'from_centre';
  carrier: string;
  /** Party references for the carrier quote (`customer:<id>`, `merchant:<id>`): workflows carry no addresses. */
  from: string;
  to: string;
  /** Cases opened before patch repair-shipping-uncapped: the carrier's quote, capped. */
  cap?: { amountMinor: number; currency: string };
  /** 消法 art. 24, from patch repair-shipping-uncapped: the amount the case decided, uncapped; no quote is asked again. */
  decided?: { amountMinor: number; currency: string; basis: 'paid' | 'carrier_quote' | 'agent_approved'; quote?: { amountMinor: number; currency: string } };
  at: string;
  eventKey: string;
}

export const repairShippingKey = (caseId: string, leg: PayRepairShippingInput['leg']) => `repair_shipping:${leg}:${caseId}`;

export interface WarrantyRepairActivities {
  recordRepairProgress(input: RecordRepairProgressInput): Promise<void>;
  issueRepairVoucher(input: IssueRepairVoucherInput): Promise<{ voucherId: string }>;
  recordItemRepair(input: RecordItemRepairInput): Promise<void>;
  recordExternalRepairReview(input: RecordExternalRepairReviewInput): Promise<void>;
  checkRepairArrival(input: CheckRepairArrivalInput): Promise<{ arrived: boolean; arrivedAt?: string }>;
  payRepairShipping(input: PayRepairShippingInput): Promise<{ paymentId: string; amountMinor: number; currency: string; gatewayRef: string | null }>;
  /** The carrier's quote for a leg: the evidence of the necessary shipping cost (消法 art. 24). */
  quoteRepairShipping(input: { carrier: string; from: string; to: string }): Promise<{ amountMinor: number; currency: string }>;
}

/** Needs only the database and the logger (tests build it with those). */
export function createWarrantyRepairActivities(deps: Pick<ActivityDeps, 'db' | 'logger' | 'ports'>): WarrantyRepairActivities {
  const { db } = deps;

  async function recordRepairProgress({ caseId, patch }: RecordRepairProgressInput): Promise<void> {
    const { receivedAt, warrantyEndsAt, ...rest } = patch;
    await db.repairRequest.update({
      where: { caseId },
      data: { ...rest, ...(receivedAt && { receivedAt: new Date(receivedAt) }), ...(warrantyEndsAt && { warrantyEndsAt: new Date(warrantyEndsAt) }) },
    });
  }

  /** One row per report in the item's history (keyed on the event): the repair record the law asks for. */
  async function recordItemRepair(r: RecordItemRepairInput): Promise<void> {
    await db.repairItemHistory.upsert({
      where: { eventKey: r.eventKey },
      update: {},
      create: {
        id: crypto.randomUUID(),
        itemId: r.itemId,
        caseId: r.caseId,
        eventKey: r.eventKey,
        problemCategory: r.problemCategory,
        faultCode: r.faultCode,
        result: r.result,
        partsUsed: r.partsUsed,
        evidenceRefs: r.evidenceRefs,
        technicianId: r.technicianId,
        inWarranty: r.inWarranty,
        arrivedAt: r.arrivedAt ? new Date(r.arrivedAt) : null,
        completedAt: new Date(r.completedAt),
      },
    });
  }

  /** The review of an attached record: a plain overwrite of its status, keyed on the record (idempotent). */
  async function recordExternalRepairReview(r: RecordExternalRepairReviewInput): Promise<void> {
    await db.repairExternalRecord.updateMany({
      where: { id: r.recordId, caseId: r.caseId },
      data: { status: r.decision, reasonCode: r.reasonCode, reviewedBy: r.reviewedBy, reviewedAt: new Date(r.at) },
    });
  }

  /** The carrier's delivery event for the item's parcel to the repair centre (the carrier port's status). */
  async function checkRepairArrival(r: CheckRepairArrivalInput): Promise<{ arrived: boolean; arrivedAt?: string }> {
    const status = await deps.ports.carriers.status(r.carrier, r.trackingNumber);
    return status.delivered ? { arrived: true, ...(status.deliveredAt && { arrivedAt: status.deliveredAt }) } : { arrived: false };
  }

  /**
   * The shipping of a repair in warranty: the amount the case decided (消法 art. 24, no cap), or, for cases opened
   * before, the carrier's quote capped by the policy. To the centre: paid out to
   * the customer through the payment port (the row is written first, 'pending'; a retry pays that row's amount with
   * the same key, which the gateway deduplicates). From the centre: the platform's own shipment, booked 'recorded'.
   */
  async function payRepairShipping(r: PayRepairShippingInput) {
    const idempotencyKey = repairShippingKey(r.caseId, r.leg);
    const seen = await db.payment.findUnique({ where: { idempotencyKey } });
    if (seen && seen.status !== 'pending') return { paymentId: seen.id, amountMinor: seen.amountMinor, currency: seen.currency, gatewayRef: seen.gatewayRef };
    const quote = r.decided ? r.decided.quote : await deps.ports.carriers.quote({ carrier: r.carrier, from: r.from, to: r.to });
    const cap = r.cap;
    const amountMinor = r.decided ? r.decided.amountMinor : quote!.currency === cap!.currency ? Math.min(quote!.amountMinor, cap!.amountMinor) : cap!.amountMinor;
    const currency = r.decided ? r.decided.currency : cap!.currency;
    const payment =
      seen ??
      (await db.payment.upsert({
        where: { idempotencyKey },
        create: { id: crypto.randomUUID(), caseId: r.caseId, kind: r.leg === 'to_centre' ? 'repair_shipping' : 'repair_return_shipping', payer: 'platform', amountMinor, currency, idempotencyKey, status: 'pending' },
        update: {},
      }));
    const payout = r.leg === 'to_centre' && payment.amountMinor > 0;
    const ref = payout ? (await deps.ports.payments.payout({ idempotencyKey, amountMinor: payment.amountMinor, currency: payment.currency })).ref : null;
    await settlePayment(db, payment, ref, {
      caseId: r.caseId,
      eventKey: r.eventKey,
      type: 'payment.repair_shipping',
      at: new Date(r.at),
      payload: { paymentId: payment.id, leg: r.leg, carrier: r.carrier, amountMinor: payment.amountMinor, currency: payment.currency, quotedMinor: quote?.amountMinor ?? null, capMinor: cap?.amountMinor ?? null, ...(r.decided && { basis: r.decided.basis }), gatewayRef: ref },
    });
    deps.logger.child({ caseId: r.caseId }).info({ paymentId: payment.id, leg: r.leg, amountMinor: payment.amountMinor, gatewayRef: ref }, 'repair shipping paid');
    return { paymentId: payment.id, amountMinor: payment.amountMinor, currency: payment.currency, gatewayRef: ref };
  }

  /** A platform-paid voucher, recorded once per case in the payments ledger with its audit event. */
  async function issueRepairVoucher(v: IssueRepairVoucherInput): Promise<{ voucherId: string }> {
    const idempotencyKey = `voucher:${v.caseId}`;
    return db.$transaction(async (tx) => {
      const existing = await tx.payment.findUnique({ where: { idempotencyKey } });
      if (existing) return { voucherId: existing.id };
      const voucherId = `vch_${crypto.randomUUID()}`;
      await tx.payment.create({
        data: { id: voucherId, caseId: v.caseId, kind: 'voucher', payer: 'platform', amountMinor: v.amountMinor, currency: v.currency, idempotencyKey, status: 'issued' },
      });
      await appendAuditEvent(tx, {
        caseId: v.caseId,
        eventKey: v.eventKey,
        type: 'payment.voucher_issued',
        actor: 'system',
        at: new Date(v.at),
        payload: { voucherId, amountMinor: v.amountMinor, currency: v.currency },
      });
      deps.logger.child({ caseId: v.caseId }).info({ voucherId, amountMinor: v.amountMinor }, 'repair voucher issued');
      return { voucherId };
    });
  }

  async function quoteRepairShipping(r: { carrier: string; from: string; to: string }) {
    return deps.ports.carriers.quote({ carrier: r.carrier, from: r.from, to: r.to });
  }

  return { recordRepairProgress, issueRepairVoucher, recordItemRepair, recordExternalRepairReview, checkRepairArrival, payRepairShipping, quoteRepairShipping };
}
