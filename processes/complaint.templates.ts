// E-mail templates of the complaint (zh-CN and en). Only what the parties already know: the case id, codes,
// amounts and deadlines; the complainant's words never go into an e-mail. 消法 art. 39 names the routes beyond the
// platform in the notices of a complaint the platform could not resolve.
import type { Delivery, Params, TemplateDef, TemplateSet } from '../activities/templates';

const money = (p: Params) => `${(Number(p.amountMinor) / 100).toFixed(2)} ${p.currency ?? ''}`.trim();
const t = (delivery: Delivery, zhSubject: (p: Params) => string, zhText: (p: Params) => string, enSubject: (p: Params) => string, enText: (p: Params) => string): TemplateDef => ({
  delivery,
  'zh-CN': { subject: zhSubject, text: zhText },
  en: { subject: enSubject, text: enText },
});
const termsZh: Record<string, string> = { refund: '退款', replacement: '换货', repair: '维修', compensation: '赔偿', apology: '赔礼道歉' };
const termsEn: Record<string, string> = { refund: 'a refund', replacement: 'a replacement', repair: 'a repair', compensation: 'a compensation', apology: 'an apology' };
const termsOf = (p: Params, names: Record<string, string>) => `${names[String(p.terms)] ?? p.terms}${p.amountMinor ? ` ${money(p)}` : ''}`;
const missingZh: Record<string, string> = { order_reference: '订单号', evidence: '证据材料', description: '问题描述', merchant: '商家信息', other: '其他信息' };
const missingEn: Record<string, string> = { order_reference: 'the order reference', evidence: 'evidence', description: 'a description of the problem', merchant: 'the merchant', other: 'other information' };
const list = (p: Params, names: Record<string, string>, sep: string) => String(p.missing ?? '').split(',').filter(Boolean).map((m) => names[m] ?? m).join(sep);
/** 消法 art. 39: the routes beyond the platform. */
const routesZh = '您可以请求消费者协会或者依法成立的其他调解组织调解,向 12315 或有关行政部门投诉,根据仲裁协议提请仲裁,或者向人民法院提起诉讼(《消费者权益保护法》第三十九条)。';
const routesEn = 'You may ask a consumer association or another mediation body to mediate, complain to 12315 or the competent authority, go to arbitration under an arbitration agreement, or bring the matter to court (Consumer Rights Protection Law art. 39).';
/** A closing notice that names a right (to submit again, the routes beyond the platform) is sent at least once. */
const closed = (zh: string, en: string, zhMore = '', enMore = '') =>
  t(zhMore ? 'at-least-once' : 'at-most-once', (p) => `投诉 ${p.caseId} 已${zh}`, (p) => `您的投诉 ${p.caseId} 已${zh}。${zhMore}`, (p) => `Complaint ${p.caseId} ${en}`, (p) => `Your complaint ${p.caseId} has been ${en}.${enMore ? ` ${enMore}` : ''}`);

/** The stages as the parties read them (complaint.stage_changed). */
const stageZh: Record<string, string> = {
  awaiting_information: '等待补充信息',
  judgement: '初步判断',
  handover: '转交专项处理',
  merchant_reply: '等待商家回复',
  platform_review: '平台审查',
  mediation_offered: '可申请平台调解',
  mediation: '平台调解中',
  mediation_agreement: '调解协议待双方确认',
  agreement_execution: '调解协议执行中',
  outside_route_offered: '可选择仲裁或诉讼',
  arbitration: '仲裁中',
  litigation: '诉讼中',
  award_execution: '执行裁决或判决',
  execution: '方案执行中',
  rating: '待评价',
};
const stageEn: Record<string, string> = {
  awaiting_information: 'waiting for more information',
  judgement: 'preliminary judgement',
  handover: 'handed over to the team in charge',
  merchant_reply: "waiting for the merchant's reply",
  platform_review: 'platform review',
  mediation_offered: "open to the platform's mediation on request",
  mediation: 'in mediation',
  mediation_agreement: 'mediation agreement awaiting both parties',
  agreement_execution: 'mediation agreement being carried out',
  outside_route_offered: 'open to arbitration or litigation',
  arbitration: 'in arbitration',
  litigation: 'before the court',
  award_execution: 'award or judgement being carried out',
  execution: 'settlement being carried out',
  rating: 'waiting for your rating',
};
const dueZh = (p: Params) => (p.dueAt ? `请在 ${p.dueAt} 前处理。` : '');
const dueEn = (p: Params) => (p.dueAt ? ` Please act by ${p.dueAt}.` : '');

export const complaintTemplates: TemplateSet = {
  // 8.2 结果反馈: every stage change, to both parties; a stage with a deadline names it (sent at least once).
  'complaint.stage_changed': t(
    'at-least-once',
    (p) => `投诉 ${p.caseId} 进入新阶段:${stageZh[String(p.stage)] ?? p.stage}`,
    (p) => `投诉 ${p.caseId} 现处于「${stageZh[String(p.stage)] ?? p.stage}」阶段。${dueZh(p)}`,
    (p) => `Complaint ${p.caseId}: ${stageEn[String(p.stage)] ?? p.stage}`,
    (p) => `Complaint ${p.caseId} is now ${stageEn[String(p.stage)] ?? p.stage}.${dueEn(p)}`,
  ),
  'complaint.award_paid': t(
    'at-least-once',
    (p) => `裁决或判决款项已支付(${p.caseId})`,
    (p) => `依投诉 ${p.caseId} 的仲裁裁决或判决,${money(p)} 已支付给您。`,
    (p) => `Award paid (${p.caseId})`,
    (p) => `${money(p)} ordered by the award or judgement on complaint ${p.caseId} has been paid to you.`,
  ),
  'complaint.received': t(
    'at-least-once',
    (p) => `我们已收到您的投诉(${p.caseId})`,
    (p) => `我们已收到您的投诉 ${p.caseId},工作人员将审核信息并与您联系(政策 8.2)。`,
    (p) => `We received your complaint (${p.caseId})`,
    (p) => `We received your complaint ${p.caseId}; our staff will review it and come back to you.`,
  ),
  'complaint.information_requested': t(
    'at-least-once',
    (p) => `请补充投诉信息(${p.caseId})`,
    (p) => `为处理您的投诉 ${p.caseId},请在案件对话中补充:${list(p, missingZh, '、')}。逾期未补充的,投诉将视为撤回,您可随时重新提交。`,
    (p) => `More information needed (${p.caseId})`,
    (p) => `To handle your complaint ${p.caseId}, please add in the case thread: ${list(p, missingEn, ', ')}. Without it in time the complaint is withdrawn; you may submit it again at any time.`,
  ),
  'complaint.merchant_notified': t(
    'at-least-once',
    (p) => `您有一项用户投诉待回复(${p.caseId})`,
    (p) => `用户就您店铺的交易提出投诉 ${p.caseId},请在规定时间内在案件对话中回复(政策 8.2)。逾期未回复的,平台将直接审查处理。`,
    (p) => `A customer complaint awaits your reply (${p.caseId})`,
    (p) => `A customer complained about an order of your shop (${p.caseId}). Please reply in the case thread in time; without a reply the platform reviews and decides.`,
  ),
  'complaint.negotiation_opened': t(
    'at-least-once',
    (p) => `投诉协商已开始(${p.caseId})`,
    (p) => `投诉 ${p.caseId} 进入协商阶段,双方可在 ${p.dueAt} 前提出并确认解决方案。`,
    (p) => `Negotiation opened (${p.caseId})`,
    (p) => `Complaint ${p.caseId} is open for negotiation: either party may propose a settlement until ${p.dueAt}.`,
  ),
  'complaint.settlement_proposed': t(
    'at-least-once',
    (p) => `收到解决方案提议(${p.caseId})`,
    (p) => `投诉 ${p.caseId} 的对方提出解决方案(第 ${p.proposal} 号):${termsOf(p, termsZh)}。请接受或拒绝。`,
    (p) => `Settlement proposed (${p.caseId})`,
    (p) => `The other party proposes a settlement of complaint ${p.caseId} (no. ${p.proposal}): ${termsOf(p, termsEn)}. Please accept or decline.`,
  ),
  'complaint.settlement_declined': t(
    'at-most-once',
    (p) => `解决方案未被接受(${p.caseId})`,
    (p) => `您对投诉 ${p.caseId} 提出的第 ${p.proposal} 号方案未被对方接受,协商期内可再次提议。`,
    (p) => `Settlement declined (${p.caseId})`,
    (p) => `Your proposal no. ${p.proposal} for complaint ${p.caseId} was declined; you may propose again while the negotiation is open.`,
  ),
  'complaint.decided': t(
    'at-least-once',
    (p) => `平台已就投诉作出处理决定(${p.caseId})`,
    (p) => `因未在规定时间内回复,平台经审查对投诉 ${p.caseId} 作出有利于用户的决定:${termsOf(p, termsZh)}。`,
    (p) => `The platform decided the complaint (${p.caseId})`,
    (p) => `As no reply came in time, the platform reviewed complaint ${p.caseId} and decided for the customer: ${termsOf(p, termsEn)}.`,
  ),
  'complaint.settlement_paid': t(
    'at-least-once',
    (p) => `投诉解决款项已支付(${p.caseId})`,
    (p) => `投诉 ${p.caseId} 的${termsOf(p, termsZh)}已支付。`,
    (p) => `Settlement paid (${p.caseId})`,
    (p) => `${termsOf(p, termsEn).replace(/^./, (c) => c.toUpperCase())} for complaint ${p.caseId} has been paid.`,
  ),
  'complaint.closed.settled': closed('按双方达成的方案解决', 'settled as agreed'),
  'complaint.closed.decided_for_complainant': closed('按平台决定解决', 'resolved as the platform decided'),
  'complaint.closed.withdrawn': closed('撤回', 'withdrawn', '如需继续处理,您可随时重新提交投诉。', 'You may submit the complaint again at any time.'),
  'complaint.closed.handed_over': closed('转交相关专项流程处理', 'handed over to the team in charge (intellectual property or privacy)'),
  'complaint.closed.unresolved': closed('结束平台协商,双方未能达成一致', 'closed without a settlement', routesZh, routesEn),
  'complaint.closed.mediated': closed('经平台调解解决', 'resolved by mediation'),
  'complaint.closed.awarded': closed('按仲裁裁决处理完毕', 'closed: the arbitral award was carried out'),
  'complaint.closed.judged': closed('按法院判决处理完毕', 'closed: the judgement was carried out'),
  'complaint.closed.settlement_not_executed': closed('结束,约定方案未能执行', 'closed: the agreed settlement was not carried out', routesZh, routesEn),
  // 8.1 e-mail: the confirmation of a complaint e-mailed to the intake address (processes/mailIntake.ts); no case yet.
  'complaint.email_confirmation': t(
    'at-least-once',
    () => '请确认您的投诉邮件',
    (p) => `我们收到了从本邮箱发送到投诉邮箱的邮件${Number(p.files) ? `(附件 ${p.files} 个${Number(p.refused) ? `,另有 ${p.refused} 个附件因类型或大小不符未被接收` : ''})` : ''}。请打开以下链接并点击"确认",以提交投诉:\n${p.link}\n链接有效期至 ${p.expiresAt}。如果您没有发送过这封邮件,请忽略本邮件,不会提交任何投诉。`,
    () => 'Please confirm your complaint e-mail',
    (p) => `We received an e-mail from this address to our complaints address${Number(p.files) ? ` (${p.files} attachment(s)${Number(p.refused) ? `; ${p.refused} more refused for their type or size` : ''})` : ''}. To submit it as a complaint, open this link and press "Confirm":\n${p.link}\nThe link is valid until ${p.expiresAt}. If you did not send it, ignore this e-mail: no complaint is submitted.`,
  ),
};
