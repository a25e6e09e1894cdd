// Activities of the warrantyRepair process (merged into createActivities in activities/index.ts):
// the repair_requests row (progress the read model keeps next to the description text) and the
// compensation voucher. Both are idempotent: the row update is a plain overwrite, the voucher is keyed on the case.
import crypto from 'node:crypto';
import { appendAuditEvent } from './audit';
import type { ActivityDeps } from './index';
import type { Locale, Params, Template, TemplateSet } from './templates';

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

// ---------------------------------------------------------------------------------------------
// E-mail templates of this process (merged into activities/templates.ts). Only what the customer
// already knows: the case id, amounts, deadlines, carrier and tracking number.
// ---------------------------------------------------------------------------------------------

const money = (p: Params) => `${(Number(p.amountMinor) / 100).toFixed(2)} ${p.currency ?? ''}`.trim();
const t = (zhSubject: (p: Params) => string, zhText: (p: Params) => string, enSubject: (p: Params) => string, enText: (p: Params) => string): Record<Locale, Template> => ({
  'zh-CN': { subject: zhSubject, text: zhText },
  en: { subject: enSubject, text: enText },
});
const closed = (zh: string, en: string) =>
  t((p) => `维修申请 ${p.caseId} 已${zh}`, (p) => `您的维修申请 ${p.caseId} 已${zh}。`, (p) => `Repair ${p.caseId} ${en}`, (p) => `Your repair request ${p.caseId} has been ${en}.`);
const remedyZh = (p: Params) => (p.remedy === 'voucher' ? `补偿券 ${money(p)}` : '更换新品');
const remedyEn = (p: Params) => (p.remedy === 'voucher' ? `a compensation voucher of ${money(p)}` : 'a replacement product');

export const warrantyRepairTemplates: TemplateSet = {
  'repair.received': t(
    (p) => `已收到您的维修申请 ${p.caseId}`,
    (p) => `我们已收到您的维修申请 ${p.caseId},客服将在 2 个工作小时内回复您的解决方案。${p.inWarranty === 'yes' ? '商品在保修期内,维修免费(含配件与人工)。' : '商品已过保修期,我们将提供维修报价。'}`,
    (p) => `We received your repair request ${p.caseId}`,
    (p) => `We received your repair request ${p.caseId}; an agent will propose a solution within 2 working hours. ${p.inWarranty === 'yes' ? 'The item is in warranty: the repair is free, parts and labour included.' : 'The item is out of warranty: we will send you a quote.'}`,
  ),
  'repair.response_delayed': t(
    (p) => `维修申请 ${p.caseId} 回复延迟`,
    (p) => `很抱歉,您的维修申请 ${p.caseId} 未能在 2 个工作小时内得到回复,已转交主管优先处理。`,
    (p) => `Your repair request ${p.caseId} is delayed`,
    (p) => `We are sorry: your repair request ${p.caseId} was not answered within 2 working hours. A supervisor is now handling it with priority.`,
  ),
  'repair.quote_offered': t(
    (p) => `维修报价(${p.caseId})`,
    (p) => `商品已过保修期,维修报价为 ${money(p)}。请在 ${p.dueAt} 前确认接受或拒绝,逾期申请将关闭。`,
    (p) => `Repair quote (${p.caseId})`,
    (p) => `The item is out of warranty; the repair costs ${money(p)}. Please accept or decline before ${p.dueAt}; otherwise the request closes.`,
  ),
  'repair.hand_over_requested': t(
    (p) => `请寄送或送修商品(${p.caseId})`,
    (p) => `请在 ${p.dueAt} 前寄出商品并提交运单号,或送至服务网点并提交凭证号,逾期申请将关闭。`,
    (p) => `Please hand over the item (${p.caseId})`,
    (p) => `Please ship the item and submit the tracking number, or drop it off at a service point and submit the receipt reference, before ${p.dueAt}; otherwise the request closes.`,
  ),
  'repair.reminder': t(
    (p) => `提醒:请尽快处理维修申请(${p.caseId})`,
    (p) => `您的维修申请 ${p.caseId} 正在等待您的操作(${p.action}),截止时间 ${p.dueAt}。`,
    (p) => `Reminder: your repair request ${p.caseId} awaits you`,
    (p) => `Your repair request ${p.caseId} is waiting for you (${p.action}) until ${p.dueAt}.`,
  ),
  'repair.item_received': t(
    (p) => `已收到您的商品(${p.caseId})`,
    (p) => `我们已收到您的商品,将在 5 个工作日内完成维修(${p.repairDueAt} 前)。`,
    (p) => `Your item arrived (${p.caseId})`,
    (p) => `We received your item and will complete the repair within 5 working days (by ${p.repairDueAt}).`,
  ),
  'repair.remedy_offered': t(
    (p) => `维修补救方案(${p.caseId})`,
    (p) => `${p.reason === 'not_repairable' ? '您的商品无法修复' : '维修未能在 5 个工作日内完成'},我们为您提供:${remedyZh(p)}。请在 ${p.dueAt} 前选择接受或拒绝。`,
    (p) => `A remedy for your repair (${p.caseId})`,
    (p) => `${p.reason === 'not_repairable' ? 'Your item cannot be repaired' : 'The repair was not completed within 5 working days'}; we offer you ${remedyEn(p)}. Please accept or decline before ${p.dueAt}.`,
  ),
  'repair.voucher_issued': t(
    (p) => `补偿券已发放(${p.caseId})`,
    (p) => `补偿券 ${money(p)} 已发放到您的账户。`,
    (p) => `Voucher issued (${p.caseId})`,
    (p) => `A compensation voucher of ${money(p)} was issued to your account.`,
  ),
  'repair.item_shipped': t(
    (p) => `商品已寄回(${p.caseId})`,
    (p) => `您的商品已由 ${p.carrier} 寄回,运单号 ${p.trackingNumber}。`,
    (p) => `Your item is on its way back (${p.caseId})`,
    (p) => `Your item was shipped back with ${p.carrier}, tracking number ${p.trackingNumber}.`,
  ),
  'repair.closed.repaired': closed('维修完成', 'completed: repaired'),
  'repair.closed.replaced': closed('以换新完成', 'completed with a replacement'),
  'repair.closed.voucher_issued': closed('以补偿券完成', 'completed with a voucher'),
  'repair.closed.returned_unrepaired': closed('关闭(商品无法修复并已寄回)', 'closed: the item could not be repaired and was returned'),
  'repair.closed.quote_declined': closed('关闭(您拒绝了报价)', 'closed: the quote was declined'),
  'repair.closed.quote_lapsed': closed('关闭(报价逾期未确认)', 'closed: the quote was not answered in time'),
  'repair.closed.abandoned': closed('因逾期未寄送商品而关闭', 'closed because the item was not handed over in time'),
  'repair.closed.cancelled': closed('取消', 'cancelled'),
};
