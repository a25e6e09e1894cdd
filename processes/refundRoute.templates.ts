// E-mails of a refund's route, shared by the processes that refund an order (the return, the warranty repair):
// 《网络购买商品七日无理由退货暂行办法》art. 17, 退款方式比照购买商品的支付方式; another way only by the customer's agreement.
import type { Params, TemplateSet } from '../activities/templates';

/**
 * 暂行办法 art. 17 (退款方式比照购买商品的支付方式): "原路退回" only when the refund goes back to the original payment; a way the
 * customer chose says so; the default (no choice by the time the refund fell due) says the balance is free to withdraw.
 */
export const routeZh = (p: Params) =>
  p.route === 'original'
    ? '将原路退回至您的原支付方式'
    : p.route === 'bank_account'
      ? '将退至您指定的银行账户'
      : p.route === 'platform_balance'
        ? p.routeBasis === 'chosen'
          ? '按您的选择退至您的平台账户余额'
          : p.routeBasis === 'default'
            ? '因退款到期时您尚未选择退款方式,款项已退至您的平台账户余额,您可随时免费提现至您指定的账户'
            : '原支付渠道已无法退款,款项将退至您的平台账户余额'
        : '已按订单退款';
export const routeEn = (p: Params) =>
  p.route === 'original'
    ? 'to your original payment method'
    : p.route === 'bank_account'
      ? 'to the bank account you chose'
      : p.route === 'platform_balance'
        ? p.routeBasis === 'chosen'
          ? 'to your platform balance, as you chose'
          : p.routeBasis === 'default'
            ? 'to your platform balance, as no refund method was chosen when the refund fell due; you may withdraw it to an account of your choice at any time, free of charge'
            : 'to your platform balance, as the original payment route can no longer take it'
        : 'through the refund of your order';
/** Why the original payment cannot take the refund (policy/refundRoute.ts whyOriginalRouteClosed). */
const whyZh = (p: Params) => (p.reason === 'cash_on_delivery' ? '您的订单为货到付款' : '原支付渠道已无法退款');
const whyEn = (p: Params) => (p.reason === 'cash_on_delivery' ? 'Your order was paid cash on delivery' : 'The original payment route can no longer take a refund');

/** The question (at opening) and its reminder (when the refund clock runs), as `<prefix>.refund_route_needed` / `_reminder`. */
export function refundRouteTemplates(prefix: string): TemplateSet {
  return {
    // The original route cannot take the refund; only the customer's choice sends it another way. A right: at least once.
    [`${prefix}.refund_route_needed`]: {
      delivery: 'at-least-once',
      'zh-CN': {
        subject: (p) => `请选择退款方式(${p.caseId})`,
        text: (p) =>
          `${whyZh(p)},退款无法原路退回。请选择退款方式:退至您的银行账户,或退至您的平台账户余额。退款期限不因选择而延长;退款到期时仍未选择的,款项将退至您的平台账户余额,您可随时免费提现至您指定的账户。(《网络购买商品七日无理由退货暂行办法》第十七条)`,
      },
      en: {
        subject: (p) => `Choose how you are refunded (${p.caseId})`,
        text: (p) =>
          `${whyEn(p)}, so the refund cannot go back the way you paid. Please choose where it goes: your bank account, or your platform balance. The refund deadline does not wait for the choice: if none is made when the refund falls due, it goes to your platform balance, which you may withdraw to an account of your choice at any time, free of charge.`,
      },
    },
    // The refund clock runs: the last moment to choose the route before the default.
    [`${prefix}.refund_route_reminder`]: {
      delivery: 'at-least-once',
      'zh-CN': { subject: (p) => `请尽快选择退款方式(${p.caseId})`, text: (p) => `请在 ${p.dueAt} 前选择退款方式(银行账户或平台账户余额)。逾期未选择的,退款将退至您的平台账户余额,可随时免费提现。` },
      en: { subject: (p) => `Please choose how you are refunded (${p.caseId})`, text: (p) => `Please choose before ${p.dueAt} where your refund goes (bank account or platform balance). Without a choice, it goes to your platform balance, free to withdraw at any time.` },
    },
  };
}
