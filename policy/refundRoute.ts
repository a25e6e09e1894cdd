// The route of a refund, shared by every process that refunds an order (the return, the warranty repair). Pure.
//
// 《网络购买商品七日无理由退货暂行办法》(国家工商行政管理总局令第90号) art. 17: 退款方式比照购买商品的支付方式。经营者与消费者另有约定的,
// 从其约定。……除征得消费者明确表示同意的以外,网络商品销售者不应当自行指定其他退款方式。
// The refund goes back the way the purchase was paid; another way only with the consumer's express agreement.

/** How the customer paid (the order snapshot's payment reference names the payment itself). */
export const paymentMethods = ['alipay', 'wechat_pay', 'bank_card', 'platform_balance', 'cash_on_delivery'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

/** The payment of the order, as the storefront recorded it: its reference and method, and whether its route can still take a refund. */
export interface OrderPayment {
  ref: string;
  method: PaymentMethod;
  originalRouteOpen: boolean;
}

/**
 * Where a refund goes: the original payment; a way the customer chose (`bank_account`: the payee reference the
 * storefront's payment provider knows; `platform_balance`); or the order's own refund when the case does not know
 * the payment (cases opened without a snapshot).
 */
export type RefundRoute = 'original' | 'platform_balance' | 'bank_account' | 'order_refund';

/** The ways a customer may choose when the original route cannot take the refund (art. 17: by agreement). */
export const refundRouteChoices = ['bank_account', 'platform_balance'] as const;
export type RefundRouteChoice = (typeof refundRouteChoices)[number];

/**
 * A payee reference: the token under which the storefront's payment provider keeps the customer's bank account. The
 * account number itself never reaches the case (PIPL art. 6, minimum necessary): `pye_` and 16 to 64 letters, digits,
 * `_` or `-`. A bare number (an account or card number) never matches.
 */
export const PAYEE_REF_PATTERN = /^pye_[A-Za-z0-9_-]{16,64}$/;

/** What the customer chose: the route, and for a bank account its payee reference (never the number). */
export type ChosenRefundRoute = { route: 'platform_balance' } | { route: 'bank_account'; payeeRef: string };

/** Whether the original payment can take the refund: a payment whose route is open and that was not cash on delivery. */
export function originalRouteCanTake(payment: OrderPayment): boolean {
  return payment.originalRouteOpen && payment.method !== 'cash_on_delivery';
}

/** Why the original payment cannot take the refund (said in the notice and recorded). */
export function whyOriginalRouteClosed(payment: OrderPayment): 'cash_on_delivery' | 'original_route_closed' {
  return payment.method === 'cash_on_delivery' ? 'cash_on_delivery' : 'original_route_closed';
}

/**
 * The rule (art. 17): `original` when the original payment can take the refund; `ask_customer` when it cannot (cash on
 * delivery, a closed card or account): the customer chooses among refundRouteChoices; `order_refund` when the case
 * does not know the payment.
 */
export type RefundRouteRule = { route: 'original' | 'order_refund' } | { route: 'ask_customer'; reason: 'cash_on_delivery' | 'original_route_closed' };
export function refundRouteRule(payment: OrderPayment | undefined): RefundRouteRule {
  if (!payment) return { route: 'order_refund' };
  return originalRouteCanTake(payment) ? { route: 'original' } : { route: 'ask_customer', reason: whyOriginalRouteClosed(payment) };
}

/**
 * The route a refund is paid along once the case asked: the customer's choice; with no choice when the refund falls due,
 * the platform balance, **free to withdraw** to any account the customer names later, and said so in the refund notice
 * (`basis: 'default'`). The refund deadline (消法 art. 25, 暂行办法 art. 16) is not moved for the choice: money in the
 * customer's own balance, withdrawable without charge, is the customer's by the deadline, where an agent chasing an
 * account would let the deadline pass.
 */
export function routeAtPayment(chosen: ChosenRefundRoute | undefined): ChosenRefundRoute & { basis: 'chosen' | 'default' } {
  return chosen ? { ...chosen, basis: 'chosen' } : { route: 'platform_balance', basis: 'default' };
}

/** The refund waits for the customer's choice until this long before it falls due, so that it is paid in time. */
export const ROUTE_DEFAULT_BEFORE_DUE_MS = 60 * 60 * 1000;

/**
 * When the refund stops waiting for the customer's choice: one hour before the refund falls due (`dueAt`, e.g. 7 days
 * after the goods' receipt); with no statutory due instant (a refund without return), `waitMs` after the question, and
 * never before now.
 */
export function routeChoiceEndsAt(o: { now: Date; dueAt?: Date; askedAt: Date; waitMs: number }): Date {
  const end = o.dueAt ? o.dueAt.getTime() - ROUTE_DEFAULT_BEFORE_DUE_MS : o.askedAt.getTime() + o.waitMs;
  return new Date(Math.max(o.now.getTime(), end));
}
