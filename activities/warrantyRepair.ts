// Activities of the warrantyRepair process (merged into createActivities in activities/index.ts):
// the repair_requests row (progress the read model keeps next to the description text) and the
// compensation voucher. Both are idempotent: the row update is a plain overwrite, the voucher is keyed on the case.
import crypto from 'node:crypto';
import { appendAuditEvent } from './audit';
import type { ActivityDeps } from './index';

/** Progress of a repair, by ids, enums and amounts only (the workflow knows nothing else). */
export interface RepairProgressPatch {
  quoteAmountMinor?: number;
  quoteCurrency?: string;
  quoteDecision?: 'accept' | 'decline' | 'lapsed';
  handOverMethod?: 'courier' | 'drop_off';
  handOverCarrier?: string | null;
  handOverReference?: string;
  receivedAt?: string;
  result?: 'repaired' | 'replaced' | 'not_repairable';
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

export interface WarrantyRepairActivities {
  recordRepairProgress(input: RecordRepairProgressInput): Promise<void>;
  issueRepairVoucher(input: IssueRepairVoucherInput): Promise<{ voucherId: string }>;
}

/** Needs only the database and the logger (tests build it with those). */
export function createWarrantyRepairActivities(deps: Pick<ActivityDeps, 'db' | 'logger'> & Partial<ActivityDeps>): WarrantyRepairActivities {
  const { db } = deps;

  async function recordRepairProgress({ caseId, patch }: RecordRepairProgressInput): Promise<void> {
    const { receivedAt, ...rest } = patch;
    await db.repairRequest.update({ where: { caseId }, data: { ...rest, ...(receivedAt && { receivedAt: new Date(receivedAt) }) } });
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

  return { recordRepairProgress, issueRepairVoucher };
}
