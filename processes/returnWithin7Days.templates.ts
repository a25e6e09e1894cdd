// E-mail templates of the 7-day return (zh-CN and en): the case id, request type, amounts and deadlines only.
import { within, type Locale, type Params, type Template, type TemplateSet } from '../activities/templates';

const money = (p: Params) => (p.amountMinor == null ? '' : `${(Number(p.amountMinor) / 100).toFixed(2)} ${p.currency ?? ''}`.trim());

/** The return shipping reimbursed to the customer (7.3), when the case paid it (params shippingMinor, shippingCurrency). */
const shipping = (p: Params) => (p.shippingMinor == null ? '' : money({ amountMinor: p.shippingMinor, currency: p.shippingCurrency ?? null }));
const shippingZh = (p: Params) => (shipping(p) ? `退货运费 ${shipping(p)} 已由平台报销给您。` : '');
const shippingEn = (p: Params) => (shipping(p) ? ` The return shipping of ${shipping(p)} was reimbursed to you by the platform.` : '');

const closed = (zhWord: string, enWord: string): Record<Locale, Template> => ({
  'zh-CN': { subject: (p) => `售后申请 ${p.caseId} 已${zhWord}`, text: (p) => `您的售后申请 ${p.caseId} 已${zhWord}。` },
  en: { subject: (p) => `Request ${p.caseId} ${enWord}`, text: (p) => `Your after-sales request ${p.caseId} has been ${enWord}.` },
});


export const returnTemplates: TemplateSet = {
  'return.received': {
    'zh-CN': { subject: (p) => `已收到您的售后申请 ${p.caseId}`, text: (p) => `我们已收到您的售后申请(${p.requestType}),编号 ${p.caseId}。商家审核结果将通过邮件通知您。` },
    en: { subject: (p) => `We received your request ${p.caseId}`, text: (p) => `We received your after-sales request (${p.requestType}), case ${p.caseId}. We will e-mail you the merchant's decision.` },
  },
  'return.review_requested': {
    'zh-CN': { subject: (p) => `待处理售后申请 ${p.caseId}`, text: (p) => `订单 ${p.orderId} 有一笔售后申请(${p.requestType})待您审核,案件编号 ${p.caseId}。逾期未处理将自动同意。` },
    en: { subject: (p) => `Return request ${p.caseId} awaits your review`, text: (p) => `Order ${p.orderId} has an after-sales request (${p.requestType}), case ${p.caseId}. Requests not answered in time are approved automatically.` },
  },
  'return.rejected': {
    'zh-CN': { subject: (p) => `售后申请 ${p.caseId} 被商家拒绝`, text: (p) => `商家拒绝了您的申请(原因:${p.reasonCode})。如有异议,可在 ${p.platformReviewRequestBy} 前申请平台介入,平台的决定为最终决定。` },
    en: { subject: (p) => `Request ${p.caseId} was rejected by the merchant`, text: (p) => `The merchant rejected your request (reason: ${p.reasonCode}). You may ask the platform to review it before ${p.platformReviewRequestBy}; the platform's decision is final.` },
  },
  'return.approved': {
    'zh-CN': { subject: (p) => `售后申请 ${p.caseId} 已同意`, text: (p) => `您的售后申请 ${p.caseId} 已同意。如需寄回商品,退货运费由平台承担。` },
    en: { subject: (p) => `Request ${p.caseId} approved`, text: (p) => `Your request ${p.caseId} was approved. If the item must be sent back, the platform pays the return shipping.` },
  },
  'return.approved_merchant': {
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
  'return.shipment_reminder': {
    'zh-CN': { subject: (p) => `请尽快寄回商品(${p.caseId})`, text: (p) => `请在 ${p.dueAt} 前提交退货物流单号,逾期申请将关闭。` },
    en: { subject: (p) => `Please send the item back (${p.caseId})`, text: (p) => `Please submit the return tracking number before ${p.dueAt}; otherwise the request closes.` },
  },
  'return.item_received': {
    'zh-CN': { subject: (p) => `商家已收到退回的商品(${p.caseId})`, text: (p) => `商家已收到并验收您退回的商品,售后申请 ${p.caseId} 将继续处理(${p.requestType})。` },
    en: { subject: (p) => `Your returned item arrived (${p.caseId})`, text: (p) => `The merchant received and inspected your returned item; request ${p.caseId} (${p.requestType}) continues.` },
  },
  'return.refunded': {
    'zh-CN': { subject: (p) => `退款已发起(${p.caseId})`, text: (p) => `退款 ${money(p)} 已发起,将原路退回。${shippingZh(p)}` },
    en: { subject: (p) => `Refund issued (${p.caseId})`, text: (p) => `A refund of ${money(p)} was issued to your original payment method.${shippingEn(p)}` },
  },
  'return.replacement_shipped': {
    'zh-CN': { subject: (p) => `换货商品已发出(${p.caseId})`, text: (p) => `换货商品已由 ${p.carrier} 发出,运单号 ${p.trackingNumber}。${shippingZh(p)}` },
    en: { subject: (p) => `Replacement shipped (${p.caseId})`, text: (p) => `Your replacement was shipped with ${p.carrier}, tracking number ${p.trackingNumber}.${shippingEn(p)}` },
  },
  'return.closed.refunded': closed('完成退款', 'completed with a refund'),
  'return.closed.exchanged': closed('完成换货', 'completed with an exchange'),
  'return.closed.rejected': closed('关闭(未通过)', 'closed as rejected'),
  'return.closed.abandoned': closed('因逾期未寄回而关闭', 'closed because the item was not sent back in time'),
  'return.closed.cancelled': closed('取消', 'cancelled'),
  'return.closed.ineligible': closed('关闭(不符合无理由退货条件)', 'closed as not eligible for a no-reason return'),
};
