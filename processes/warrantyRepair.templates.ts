// E-mail templates of the warranty repair (zh-CN and en). Only what the customer already knows: the case
// id, amounts, deadlines, carrier and tracking number. SLA wording comes from the policy values the
// workflow passes (responseWithin, repairWithin), never from literals.
import { within, type Delivery, type Params, type TemplateDef, type TemplateSet } from '../activities/templates';
import { refundRouteTemplates, routeEn, routeZh } from './refundRoute.templates';


const money = (p: Params) => `${(Number(p.amountMinor) / 100).toFixed(2)} ${p.currency ?? ''}`.trim();
const t = (delivery: Delivery, zhSubject: (p: Params) => string, zhText: (p: Params) => string, enSubject: (p: Params) => string, enText: (p: Params) => string): TemplateDef => ({
  delivery,
  'zh-CN': { subject: zhSubject, text: zhText },
  en: { subject: enSubject, text: enText },
});
/** The closing summary: the decisions it sums up went out in their own notices, so at most once. */
const closed = (zh: string, en: string) =>
  t('at-most-once', (p) => `维修申请 ${p.caseId} 已${zh}`, (p) => `您的维修申请 ${p.caseId} 已${zh}。`, (p) => `Repair ${p.caseId} ${en}`, (p) => `Your repair request ${p.caseId} has been ${en}.`);
const remedyZh = (p: Params) => (p.remedy === 'voucher' ? `补偿券 ${money(p)}` : '更换新品');
const remedyEn = (p: Params) => (p.remedy === 'voucher' ? `a compensation voucher of ${money(p)}` : 'a replacement product');
const choiceZh: Record<string, string> = { repair: '继续维修', replacement: '免费更换同型号新品', refund: '退货并退款' };
const choiceEn: Record<string, string> = { repair: 'the repair', replacement: 'a free replacement of the same model', refund: 'a return with a refund' };
const reasonZh: Record<string, string> = {
  early_fault_return: '商品签收后 7 日内出现性能故障',
  early_fault_exchange: '商品签收后 15 日内出现性能故障',
  repeat_fault: '商品同一故障已修理两次仍不能正常使用',
  not_repairable: '您的商品无法修复',
  repair_sla_breached: '维修未能在承诺时间内完成',
  repair_overdue: '维修已超过 30 日',
};
const reasonEn: Record<string, string> = {
  early_fault_return: 'A performance fault appeared within 7 days of delivery',
  early_fault_exchange: 'A performance fault appeared within 15 days of delivery',
  repeat_fault: 'The item was repaired twice for this fault and still fails',
  not_repairable: 'Your item cannot be repaired',
  repair_sla_breached: 'The repair was not completed in the promised time',
  repair_overdue: 'The repair has taken more than 30 days',
};
const options = (p: Params, names: Record<string, string>, sep: string) => String(p.options ?? '').split(',').filter(Boolean).map((o) => names[o] ?? o).join(sep);
/** 消法 art. 39: the customer's routes beyond the platform. */
const routesZh = '如有异议,您可通过平台投诉、消费者协会调解、12315 热线、仲裁或向人民法院起诉维护您的权益。';
const routesEn = 'If you disagree, you may complain to the platform, ask a consumer association to mediate, call the 12315 hotline, go to arbitration or to court.';

export const warrantyRepairTemplates: TemplateSet = {
  // An acknowledgement; the solution follows in its own notice.
  'repair.received': t(
    'at-most-once',
    (p) => `已收到您的维修申请 ${p.caseId}`,
    (p) => `我们已收到您的维修申请 ${p.caseId},客服将在 ${within(p.responseWithin, 'zh-CN')}内回复您的解决方案。${p.inWarranty === 'yes' ? '商品在保修期内,维修免费(含配件与人工)。' : '商品已过保修期,我们将提供维修报价。'}`,
    (p) => `We received your repair request ${p.caseId}`,
    (p) => `We received your repair request ${p.caseId}; an agent will propose a solution within ${within(p.responseWithin, 'en')}. ${p.inWarranty === 'yes' ? 'The item is in warranty: the repair is free, parts and labour included.' : 'The item is out of warranty: we will send you a quote.'}`,
  ),
  // An apology; the case shows the escalation.
  'repair.response_delayed': t(
    'at-most-once',
    (p) => `维修申请 ${p.caseId} 回复延迟`,
    (p) => `很抱歉,您的维修申请 ${p.caseId} 未能在 ${within(p.responseWithin, 'zh-CN')}内得到回复,已转交主管优先处理。`,
    (p) => `Your repair request ${p.caseId} is delayed`,
    (p) => `We are sorry: your repair request ${p.caseId} was not answered within ${within(p.responseWithin, 'en')}. A supervisor is now handling it with priority.`,
  ),
  // A quote with a deadline: the request closes if it is not answered.
  'repair.quote_offered': t(
    'at-least-once',
    (p) => `维修报价(${p.caseId})`,
    (p) => `商品已过保修期,维修报价为 ${money(p)}。请在 ${p.dueAt} 前确认接受或拒绝,逾期申请将关闭。`,
    (p) => `Repair quote (${p.caseId})`,
    (p) => `The item is out of warranty; the repair costs ${money(p)}. Please accept or decline before ${p.dueAt}; otherwise the request closes.`,
  ),
  // A deadline: the request closes if the item is not handed over.
  'repair.hand_over_requested': t(
    'at-least-once',
    (p) => `请寄送或送修商品(${p.caseId})`,
    (p) => `请在 ${p.dueAt} 前寄出商品并提交运单号,或送至服务网点并提交凭证号,逾期申请将关闭。`,
    (p) => `Please hand over the item (${p.caseId})`,
    (p) => `Please ship the item and submit the tracking number, or drop it off at a service point and submit the receipt reference, before ${p.dueAt}; otherwise the request closes.`,
  ),
  // A deadline reminder.
  'repair.reminder': t(
    'at-least-once',
    (p) => `提醒:请尽快处理维修申请(${p.caseId})`,
    (p) => `您的维修申请 ${p.caseId} 正在等待您的操作(${p.action}),截止时间 ${p.dueAt}。`,
    (p) => `Reminder: your repair request ${p.caseId} awaits you`,
    (p) => `Your repair request ${p.caseId} is waiting for you (${p.action}) until ${p.dueAt}.`,
  ),
  // Starts the repair clock whose breach gives the customer a remedy (policy 7.1: repair within the promised time; the 三包 remedies when it is not).
  'repair.item_received': t(
    'at-least-once',
    (p) => `已收到您的商品(${p.caseId})`,
    (p) => `我们已收到您的商品,将在 ${within(p.repairWithin, 'zh-CN')}内完成维修(${p.repairDueAt} 前)。`,
    (p) => `Your item arrived (${p.caseId})`,
    (p) => `We received your item and will complete the repair within ${within(p.repairWithin, 'en')} (by ${p.repairDueAt}).`,
  ),
  // A remedy the customer is entitled to, with the deadline to accept it.
  'repair.remedy_offered': t(
    'at-least-once',
    (p) => `维修补救方案(${p.caseId})`,
    (p) => `${p.reason === 'not_repairable' ? '您的商品无法修复' : `维修未能在 ${within(p.repairWithin, 'zh-CN')}内完成`},我们为您提供:${remedyZh(p)}。请在 ${p.dueAt} 前选择接受或拒绝。`,
    (p) => `A remedy for your repair (${p.caseId})`,
    (p) => `${p.reason === 'not_repairable' ? 'Your item cannot be repaired' : `The repair was not completed within ${within(p.repairWithin, 'en')}`}; we offer you ${remedyEn(p)}. Please accept or decline before ${p.dueAt}.`,
  ),
  // The customer's statutory choice of remedy, with its deadline (三包 remedies; policy 7.3).
  'repair.remedy_choice_offered': t(
    'at-least-once',
    (p) => `请选择处理方式(${p.caseId})`,
    (p) => `${reasonZh[String(p.reason)] ?? ''},您可选择:${options(p, choiceZh, '、')}。请在 ${p.dueAt} 前选择;逾期未选择的,我们将为您办理${choiceZh[String(p.onSilence)] ?? p.onSilence},您的权利不会因此丧失。`,
    (p) => `Please choose a remedy (${p.caseId})`,
    (p) => `${reasonEn[String(p.reason)] ?? ''}. You may choose ${options(p, choiceEn, ', ')}. Please choose before ${p.dueAt}; if we do not hear from you, we will arrange ${choiceEn[String(p.onSilence)] ?? p.onSilence}: you lose no right by staying silent.`,
  ),
  // A refund.
  // With its route when the case knows the order's payment (暂行办法 art. 17; processes/refundRoute.templates.ts).
  'repair.refunded': t(
    'at-least-once',
    (p) => `退款已办理(${p.caseId})`,
    (p) => (p.route ? `我们已为您办理退款 ${money(p)},${routeZh(p)}。` : `我们已为您办理退款 ${money(p)}。`),
    (p) => `Your refund is on its way (${p.caseId})`,
    (p) => (p.route ? `We refunded ${money(p)} ${routeEn(p)}.` : `We refunded ${money(p)} to you.`),
  ),
  // 暂行办法 art. 17: the question and its reminder when the original route cannot take the refund (shared with the return).
  ...refundRouteTemplates('repair'),
  // A finding against the warranty, with the right to dispute it, the routes of appeal and a deadline (消法 art. 39).
  'repair.damage_quote_offered': t(
    'at-least-once',
    (p) => `检测结果与维修报价(${p.caseId})`,
    (p) => `检测发现商品损坏系使用不当所致,不在保修范围内,维修报价为 ${money(p)}。请在 ${p.dueAt} 前确认接受或拒绝${p.disputable === 'yes' ? ',如不认同检测结论,可提出异议,平台将复核' : ''};拒绝或逾期未确认的,商品将寄回给您。${routesZh}`,
    (p) => `Inspection result and repair quote (${p.caseId})`,
    (p) => `The inspection found damage from improper use, which the warranty does not cover; the repair costs ${money(p)}. Please accept or decline before ${p.dueAt}${p.disputable === 'yes' ? '; if you disagree with the finding, you may dispute it and the platform will review it' : ''}. Declined or unanswered, the item is shipped back to you. ${routesEn}`,
  ),
  // The decision on a dispute, with the routes of appeal (消法 art. 39).
  'repair.damage_reviewed': t(
    'at-least-once',
    (p) => `异议复核结果(${p.caseId})`,
    (p) => (p.decision === 'overturned' ? '平台复核后撤销了人为损坏的结论,您的商品将按保修免费维修。' : `平台复核后维持了人为损坏的结论。${routesZh}`),
    (p) => `The review of your dispute (${p.caseId})`,
    (p) => (p.decision === 'overturned' ? 'The platform overturned the user-damage finding: your item is repaired free under the warranty.' : `The platform upheld the user-damage finding. ${routesEn}`),
  ),
  // A compensation the customer is entitled to.
  'repair.voucher_issued': t(
    'at-least-once',
    (p) => `补偿券已发放(${p.caseId})`,
    (p) => `补偿券 ${money(p)} 已发放到您的账户。`,
    (p) => `Voucher issued (${p.caseId})`,
    (p) => `A compensation voucher of ${money(p)} was issued to your account.`,
  ),
  // Shipping news.
  'repair.item_shipped': t(
    'at-most-once',
    (p) => `商品已寄回(${p.caseId})`,
    (p) => `您的商品已由 ${p.carrier} 寄回,运单号 ${p.trackingNumber}。`,
    (p) => `Your item is on its way back (${p.caseId})`,
    (p) => `Your item was shipped back with ${p.carrier}, tracking number ${p.trackingNumber}.`,
  ),
  'repair.closed.repaired': closed('维修完成', 'completed: repaired'),
  'repair.closed.replaced': closed('以换新完成', 'completed with a replacement'),
  'repair.closed.voucher_issued': closed('以补偿券完成', 'completed with a voucher'),
  'repair.closed.returned_unrepaired': closed('关闭(商品无法修复并已寄回)', 'closed: the item could not be repaired and was returned'),
  'repair.closed.refunded': closed('以退货退款完成', 'completed with a refund'),
  'repair.closed.quote_declined': closed('关闭(您拒绝了报价)', 'closed: the quote was declined'),
  'repair.closed.quote_lapsed': closed('关闭(报价逾期未确认)', 'closed: the quote was not answered in time'),
  'repair.closed.abandoned': closed('因逾期未寄送商品而关闭', 'closed because the item was not handed over in time'),
  'repair.closed.cancelled': closed('取消', 'cancelled'),
};
