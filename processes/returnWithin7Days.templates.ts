// E-mail templates of the 7-day return (zh-CN and en): the case id, request type, amounts and deadlines only.
import { within, type Params, type TemplateDef, type TemplateSet } from '../activities/templates';
import { refundRouteTemplates, routeEn, routeZh } from './refundRoute.templates';

const money = (p: Params) => (p.amountMinor == null ? '' : `${(Number(p.amountMinor) / 100).toFixed(2)} ${p.currency ?? ''}`.trim());

/** The return shipping reimbursed to the customer (7.3), when the case paid it (params shippingMinor, shippingCurrency). */
const shipping = (p: Params) => (p.shippingMinor == null ? '' : money({ amountMinor: p.shippingMinor, currency: p.shippingCurrency ?? null }));
const shippingZh = (p: Params) => (shipping(p) ? `退货运费 ${shipping(p)} 已由平台报销给您。` : '');
const shippingEn = (p: Params) => (shipping(p) ? ` The return shipping of ${shipping(p)} was reimbursed to you by the platform.` : '');

/**
 * 消法 art. 39: the routes a customer keeps after a rejection; a platform decision is final within the platform only.
 * Policy 8.3 names negotiation, mediation, arbitration and the courts; the law adds the consumer association and 12315.
 */
const routesZh =
  '平台的处理结果仅为平台内的处理意见。您仍可以:通过平台投诉渠道提出投诉;请求消费者协会或依法成立的其他调解组织调解;拨打 12315 或向有关行政部门投诉;根据与经营者达成的仲裁协议提请仲裁机构仲裁;向人民法院提起诉讼(《消费者权益保护法》第三十九条)。';
const routesEn =
  " The platform's decision is final within the platform only. You may still: complain through the platform's complaint channels; ask the consumer association or another lawful mediation body to mediate; complain to the 12315 hotline or the competent authority; go to arbitration under an arbitration agreement with the seller; or sue in the people's courts (Consumer Rights Protection Law, art. 39).";

const pointsZh = (p: Params) => (p.points == null ? '' : `${p.points} 积分已退回您的账户。`);
const pointsEn = (p: Params) => (p.points == null ? '' : ` ${p.points} points were credited back to your account.`);
const payerZh = (p: Params) => (p.shippingPaidBy === 'merchant' ? '退货运费由商家承担。' : '退货运费由平台承担。');
const payerEn = (p: Params) => (p.shippingPaidBy === 'merchant' ? 'The seller pays the return shipping.' : 'The platform pays the return shipping.');

/** The remedies offered after a refused termination (params `options`: a comma-separated list of qualityRemedyChoices). */
const optionWordsZh: Record<string, string> = { exchange: '换货(运费由商家承担)', repair: '维修', withdraw: '撤回申请' };
const optionWordsEn: Record<string, string> = { exchange: 'an exchange (at the seller’s cost)', repair: 'a repair', withdraw: 'withdrawing the request' };
const optionsZh = (p: Params) => String(p.options ?? '').split(',').filter(Boolean).map((o) => optionWordsZh[o] ?? o).join('、');
const optionsEn = (p: Params) => String(p.options ?? '').split(',').filter(Boolean).map((o) => optionWordsEn[o] ?? o).join(', ');
/** How to open a warranty repair (a case of its own): from the order's after-sales page, or through customer service. */
const repairHowToZh = (p: Params) =>
  `如需维修,请在订单页面的"售后"中选择"维修"提交保修申请,或联系平台客服代为提交;保修期内维修免费,往返运费由商家承担(《消费者权益保护法》第二十四条)。对商品质量提出异议的期限至 ${p.objectionEndsAt} 为止(《民法典》第六百二十一条)。`;
const repairHowToEn = (p: Params) =>
  ` To have the item repaired, open a repair request from the order's after-sales page ("Repair"), or ask customer service to open it for you; within the warranty the repair is free and the seller pays the shipping both ways (Consumer Rights Protection Law, art. 24). You may object to the quality of the goods until ${p.objectionEndsAt} (Civil Code, art. 621).`;

/** The closing summary: the decisions it sums up went out in their own notices, so at most once. */
const closed = (zhWord: string, enWord: string): TemplateDef => ({
  delivery: 'at-most-once',
  'zh-CN': { subject: (p) => `售后申请 ${p.caseId} 已${zhWord}`, text: (p) => `您的售后申请 ${p.caseId} 已${zhWord}。` },
  en: { subject: (p) => `Request ${p.caseId} ${enWord}`, text: (p) => `Your after-sales request ${p.caseId} has been ${enWord}.` },
});


export const returnTemplates: TemplateSet = {
  // An acknowledgement: the merchant's decision follows in its own notice.
  'return.received': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `已收到您的售后申请 ${p.caseId}`, text: (p) => `我们已收到您的售后申请(${p.requestType}),编号 ${p.caseId}。商家审核结果将通过邮件通知您。` },
    en: { subject: (p) => `We received your request ${p.caseId}`, text: (p) => `We received your after-sales request (${p.requestType}), case ${p.caseId}. We will e-mail you the merchant's decision.` },
  },
  // Starts the merchant's review clock: silence approves the request (policy 7.1, 7.2).
  'return.review_requested': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `待处理售后申请 ${p.caseId}`, text: (p) => `订单 ${p.orderId} 有一笔售后申请(${p.requestType})待您审核,案件编号 ${p.caseId}。逾期未处理将自动同意。` },
    en: { subject: (p) => `Return request ${p.caseId} awaits your review`, text: (p) => `Order ${p.orderId} has an after-sales request (${p.requestType}), case ${p.caseId}. Requests not answered in time are approved automatically.` },
  },
  // A rejection with its routes of appeal and the deadline to ask for platform review (消法 art. 39; policy 8.3).
  'return.rejected': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `售后申请 ${p.caseId} 被商家拒绝`, text: (p) => `商家拒绝了您的申请(原因:${p.reasonCode})。如有异议,可在 ${p.platformReviewRequestBy} 前申请平台介入。${routesZh}` },
    en: { subject: (p) => `Request ${p.caseId} was rejected by the merchant`, text: (p) => `The merchant rejected your request (reason: ${p.reasonCode}). You may ask the platform to review it before ${p.platformReviewRequestBy}.${routesEn}` },
  },
  // News of the platform's review; its decision comes in its own notice, which carries the routes.
  'return.rejected_to_platform': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `售后申请 ${p.caseId} 已转平台审核`, text: (p) => `商家拒绝了您的申请(原因:${p.reasonCode})。质量问题或未收到货的申请不由商家单方决定,平台已自动介入审核,结果将通过邮件通知您。` },
    en: { subject: (p) => `Request ${p.caseId} goes to platform review`, text: (p) => `The merchant rejected your request (reason: ${p.reasonCode}). A quality or non-delivery claim is not decided by the merchant alone: the platform reviews it now and will e-mail you its decision.` },
  },
  // A final rejection with its routes of appeal (消法 art. 39).
  'return.rejected_final': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `售后申请 ${p.caseId} 未通过平台审核`, text: (p) => `平台审核后未同意您的申请(原因:${p.reasonCode})。${routesZh}` },
    en: { subject: (p) => `Request ${p.caseId} was not approved on platform review`, text: (p) => `On review, the platform did not approve your request (reason: ${p.reasonCode}).${routesEn}` },
  },
  // Shipping news: the carrier calls anyway, and the case shows the booking.
  'return.pickup_scheduled': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `上门取件已预约(${p.caseId})`, text: (p) => `${p.carrier} 将于 ${p.windowStartsAt} 至 ${p.windowEndsAt} 上门取件,运单号 ${p.trackingNumber}。运费无需您支付。` },
    en: { subject: (p) => `Pickup booked (${p.caseId})`, text: (p) => `${p.carrier} will collect the parcel between ${p.windowStartsAt} and ${p.windowEndsAt}, tracking number ${p.trackingNumber}. You pay nothing for it.` },
  },
  // Starts a deadline with the customer's choice: partial refund, goods sent back, or platform review.
  'return.incomplete': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: (p) => `退回商品验收未通过(${p.caseId})`,
      text: (p) => `商家验收认为退回的商品不完好(${p.reasons}),并提供了凭证。您可以在 ${p.dueAt} 前选择:接受部分退款 ${money(p)};要求将商品寄回;或申请平台审核。逾期未选择将由平台审核。`,
    },
    en: {
      subject: (p) => `Your returned goods were found incomplete (${p.caseId})`,
      text: (p) => `The merchant found the returned goods incomplete (${p.reasons}) and recorded evidence. Before ${p.dueAt} you may accept a partial refund of ${money(p)}, have the goods sent back to you, or ask the platform to review. Without a choice, the platform reviews.`,
    },
  },
  // 消法 art. 24: a quality return is refunded in full; only damage the customer caused beyond the defect is deducted.
  'return.customer_damage': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: (p) => `退回商品存在人为损坏(${p.caseId})`,
      text: (p) =>
        `商家验收认为退回的商品除所述质量问题外,还有您造成的损坏(${p.reasons}),并提供了凭证,拟扣除 ${money(p)}。其余 ${money({ amountMinor: p.refundedMinor, currency: p.currency ?? null })} 已退款。如有异议,请在 ${p.dueAt} 前提出,由平台主管复核;复核未按时作出的,扣款不成立。逾期未提出异议的,扣款成立。`,
    },
    en: {
      subject: (p) => `Damage you caused was found on the returned goods (${p.caseId})`,
      text: (p) =>
        `Besides the quality defect you claimed, the merchant found damage you caused (${p.reasons}) and recorded evidence; it deducts ${money(p)}. The rest, ${money({ amountMinor: p.refundedMinor, currency: p.currency ?? null })}, has been refunded. You may dispute the finding before ${p.dueAt}; a platform supervisor reviews it, and a dispute left unanswered does not stand against you. Without a dispute, the deduction stands.`,
    },
  },
  'return.damage_reviewed': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: (p) => `人为损坏异议复核结果(${p.caseId})`,
      text: (p) => (p.decision === 'overturned' ? `平台复核撤销了人为损坏的认定,扣除的 ${money(p)} 将退还给您。` : `平台复核维持了人为损坏的认定,扣除 ${money(p)}。${routesZh}`),
    },
    en: {
      subject: (p) => `Your damage dispute was reviewed (${p.caseId})`,
      text: (p) => (p.decision === 'overturned' ? `The platform overturned the damage finding: the ${money(p)} deducted is refunded to you.` : `The platform upheld the damage finding: ${money(p)} is deducted.${routesEn}`),
    },
  },
  // A deadline: without a choice, the platform decides.
  'return.incomplete_reminder': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `请选择处理方式(${p.caseId})`, text: (p) => `请在 ${p.dueAt} 前选择:接受部分退款、寄回商品或申请平台审核。逾期未选择将由平台审核。` },
    en: { subject: (p) => `Please choose how your return ends (${p.caseId})`, text: (p) => `Please choose before ${p.dueAt}: the partial refund, the goods sent back, or platform review. Without a choice, the platform reviews.` },
  },
  // A refusal of a right (a late quality return), with the remedies left, the deadline to choose and the routes of
  // 消法 art. 39.
  'return.termination_refused': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: (p) => `退货申请未获支持,请选择其他处理方式(${p.caseId})`,
      text: (p) =>
        `您在签收七日后提出的质量问题退货,需符合法定解除合同的条件(《消费者权益保护法》第二十四条、《民法典》第五百六十三条)。平台审核认为该条件不成立(依据:${p.grounds})。您仍可以选择:${optionsZh(p)}。请在 ${p.dueAt} 前作出选择;逾期未选择的,本申请关闭,您仍可另行申请维修。${routesZh}`,
    },
    en: {
      subject: (p) => `Your return was not accepted: please choose another remedy (${p.caseId})`,
      text: (p) =>
        `A quality return asked more than seven days after delivery is due when the conditions for terminating the contract hold (Consumer Rights Protection Law, art. 24; Civil Code, art. 563). On review, the platform found that they do not (grounds: ${p.grounds}). You may still choose ${optionsEn(p)}. Please choose before ${p.dueAt}; without a choice, this request closes and you may still ask for a repair.${routesEn}`,
    },
  },
  // A deadline: without a choice, the request closes (a repair stays open to the customer).
  'return.quality_remedy_reminder': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `请选择处理方式(${p.caseId})`, text: (p) => `请在 ${p.dueAt} 前选择:${optionsZh(p)}。逾期未选择的,本申请关闭,您仍可另行申请维修。` },
    en: { subject: (p) => `Please choose a remedy (${p.caseId})`, text: (p) => `Please choose before ${p.dueAt}: ${optionsEn(p)}. Without a choice, this request closes and you may still ask for a repair.` },
  },
  // The right to a repair and the deadline to object to quality (消法 art. 24; 民法典 art. 621).
  'return.repair_how_to': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `如何申请维修(${p.caseId})`, text: (p) => `售后申请 ${p.caseId} 将关闭,不再办理退货。${repairHowToZh(p)}` },
    en: { subject: (p) => `How to have your item repaired (${p.caseId})`, text: (p) => `Request ${p.caseId} closes without a return.${repairHowToEn(p)}` },
  },
  // Shipping news.
  'return.sent_back': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `商品已寄回给您(${p.caseId})`, text: (p) => `商家已通过 ${p.carrier} 将商品寄回给您,运单号 ${p.trackingNumber},运费由商家承担。` },
    en: { subject: (p) => `Your goods were sent back (${p.caseId})`, text: (p) => `The merchant sent the goods back to you with ${p.carrier}, tracking number ${p.trackingNumber}, at its cost.` },
  },
  // An approval: the right to return the item, and the deadline to send it (policy 7.1, 7.3).
  'return.approved': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: (p) => `售后申请 ${p.caseId} 已同意`,
      text: (p) => (p.shippingPaidBy ? `您的售后申请 ${p.caseId} 已同意。请寄回商品或预约上门取件,${payerZh(p)}` : `您的售后申请 ${p.caseId} 已同意。如需寄回商品,退货运费由平台承担。`),
    },
    en: {
      subject: (p) => `Request ${p.caseId} approved`,
      text: (p) => (p.shippingPaidBy ? `Your request ${p.caseId} was approved. Please send the item back or book a pickup. ${payerEn(p)}` : `Your request ${p.caseId} was approved. If the item must be sent back, the platform pays the return shipping.`),
    },
  },
  // Starts the merchant's inspection clock: silence confirms receipt.
  'return.approved_merchant': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: (p) => `售后申请 ${p.caseId} 已同意,商品正在退回`,
      text: (p) =>
        `订单 ${p.orderId} 的售后申请 ${p.caseId}(${p.requestType})已同意,顾客已通过 ${p.carrier} 寄回商品,运单号 ${p.trackingNumber}。请在 ${within(p.inspectWithin, 'zh-CN')}内确认收货并完成验收,逾期未处理将自动确认。`,
    },
    en: {
      subject: (p) => `Return ${p.caseId} approved: the item is on its way back`,
      text: (p) =>
        `The after-sales request ${p.caseId} (${p.requestType}) for order ${p.orderId} was approved and the customer sent the item back with ${p.carrier}, tracking number ${p.trackingNumber}. Please confirm receipt and inspect it within ${within(p.inspectWithin, 'en')}; otherwise it is confirmed automatically.`,
    },
  },
  // A deadline: the request closes after it.
  'return.shipment_reminder': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `请尽快寄回商品(${p.caseId})`, text: (p) => `请在 ${p.dueAt} 前提交退货物流单号,逾期申请将关闭。` },
    en: { subject: (p) => `Please send the item back (${p.caseId})`, text: (p) => `Please submit the return tracking number before ${p.dueAt}; otherwise the request closes.` },
  },
  // News of a step; the refund or exchange follows in its own notice.
  'return.item_received': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `商家已收到退回的商品(${p.caseId})`, text: (p) => `商家已收到并验收您退回的商品,售后申请 ${p.caseId} 将继续处理(${p.requestType})。` },
    en: { subject: (p) => `Your returned item arrived (${p.caseId})`, text: (p) => `The merchant received and inspected your returned item; request ${p.caseId} (${p.requestType}) continues.` },
  },
  // A refund: the amount and its route are what the customer checks the bank statement against.
  'return.refunded': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `退款已发起(${p.caseId})`, text: (p) => `退款 ${money(p)} 已发起,${routeZh(p)}。${pointsZh(p)}${shippingZh(p)}` },
    en: { subject: (p) => `Refund issued (${p.caseId})`, text: (p) => `A refund of ${money(p)} was issued ${routeEn(p)}.${pointsEn(p)}${shippingEn(p)}` },
  },
  // 暂行办法 art. 17: the question and its reminder when the original route cannot take the refund (shared with the repair).
  ...refundRouteTemplates('return'),
  // Shipping news.
  'return.replacement_shipped': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `换货商品已发出(${p.caseId})`, text: (p) => `换货商品已由 ${p.carrier} 发出,运单号 ${p.trackingNumber}。${shippingZh(p)}` },
    en: { subject: (p) => `Replacement shipped (${p.caseId})`, text: (p) => `Your replacement was shipped with ${p.carrier}, tracking number ${p.trackingNumber}.${shippingEn(p)}` },
  },
  'return.closed.refunded': closed('完成退款', 'completed with a refund'),
  'return.closed.partially_refunded': closed('完成部分退款', 'completed with a partial refund'),
  'return.closed.exchanged': closed('完成换货', 'completed with an exchange'),
  'return.closed.sent_back': closed('关闭(商品已寄回)', 'closed with the goods sent back'),
  'return.closed.rejected': closed('关闭(未通过)', 'closed as rejected'),
  'return.closed.abandoned': closed('因逾期未寄回而关闭', 'closed because the item was not sent back in time'),
  'return.closed.cancelled': closed('取消', 'cancelled'),
  'return.closed.ineligible': closed('关闭(不符合退换货条件)', 'closed as not eligible'),
  'return.closed.referred_to_repair': closed('关闭(转为维修)', 'closed: a repair is the remedy'),
  'return.closed.withdrawn': closed('撤回', 'withdrawn'),
};
