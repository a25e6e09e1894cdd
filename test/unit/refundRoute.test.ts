// 暂行办法 art. 17: 退款方式比照购买商品的支付方式; another way only with the consumer's express agreement. The shared rule
// (policy/refundRoute.ts), the action's body and the e-mails that carry it.
import { renderTemplate } from '../../activities/templates';
import { refundRouteChoiceSchema } from '../../policy/returns.schemas';
import {
  PAYEE_REF_PATTERN,
  ROUTE_DEFAULT_BEFORE_DUE_MS,
  originalRouteCanTake,
  refundRouteRule,
  routeAtPayment,
  routeChoiceEndsAt,
  type OrderPayment,
} from '../../policy/refundRoute';
import { refundRouteOf } from '../../policy/returns';
import { returnTemplates } from '../../processes/returnWithin7Days.templates';

const pay = (over: Partial<OrderPayment> = {}): OrderPayment => ({ ref: 'PAY-1', method: 'alipay', originalRouteOpen: true, ...over });

describe('the rule', () => {
  test.each([
    ['alipay, open', pay(), { route: 'original' }],
    ['bank card, open', pay({ method: 'bank_card' }), { route: 'original' }],
    ['platform balance, open', pay({ method: 'platform_balance' }), { route: 'original' }],
    ['bank card, closed', pay({ method: 'bank_card', originalRouteOpen: false }), { route: 'ask_customer', reason: 'original_route_closed' }],
    ['wechat pay, closed', pay({ method: 'wechat_pay', originalRouteOpen: false }), { route: 'ask_customer', reason: 'original_route_closed' }],
    ['cash on delivery (the storefront says open)', pay({ method: 'cash_on_delivery', originalRouteOpen: true }), { route: 'ask_customer', reason: 'cash_on_delivery' }],
    ['cash on delivery, closed', pay({ method: 'cash_on_delivery', originalRouteOpen: false }), { route: 'ask_customer', reason: 'cash_on_delivery' }],
  ])('%s', (_name, payment, expected) => {
    expect(refundRouteRule(payment)).toEqual(expected);
    expect(originalRouteCanTake(payment)).toBe(expected.route === 'original');
  });

  test('without the payment the case refunds through the order', () => {
    expect(refundRouteRule(undefined)).toEqual({ route: 'order_refund' });
  });

  test('never another way without the customer: the former rule sent cash on delivery to the balance unasked, the new one asks', () => {
    const cod = pay({ method: 'cash_on_delivery' });
    expect(refundRouteOf({ discountMinor: 0, exclusionConfirmedAtPurchase: false, payment: cod })).toBe('platform_balance'); // cases opened before the patch
    expect(refundRouteRule(cod).route).toBe('ask_customer');
  });

  test('at payment: the choice, else the platform balance as a recorded default', () => {
    expect(routeAtPayment({ route: 'bank_account', payeeRef: 'pye_0123456789abcdef' })).toEqual({ route: 'bank_account', payeeRef: 'pye_0123456789abcdef', basis: 'chosen' });
    expect(routeAtPayment({ route: 'platform_balance' })).toEqual({ route: 'platform_balance', basis: 'chosen' });
    expect(routeAtPayment(undefined)).toEqual({ route: 'platform_balance', basis: 'default' });
  });
});

describe('how long the refund waits for the choice: the refund clock is not paused', () => {
  const askedAt = new Date('2026-12-01T02:00:00.000Z');
  const dueAt = new Date('2026-12-08T15:59:59.999Z'); // 24:00 Shanghai of the 7th day after receipt
  test('a return: until an hour before the refund falls due, never later', () => {
    expect(ROUTE_DEFAULT_BEFORE_DUE_MS).toBe(3_600_000);
    expect(routeChoiceEndsAt({ now: new Date('2026-12-02T00:00:00.000Z'), dueAt, askedAt, waitMs: 0 }).toISOString()).toBe('2026-12-08T14:59:59.999Z');
    expect(routeChoiceEndsAt({ now: new Date('2026-12-02T00:00:00.000Z'), dueAt, askedAt, waitMs: 30 * 86_400_000 }).getTime()).toBeLessThan(dueAt.getTime());
  });
  test('ready inside the last hour: at once', () => {
    const now = new Date('2026-12-08T15:30:00.000Z');
    expect(routeChoiceEndsAt({ now, dueAt, askedAt, waitMs: 0 })).toEqual(now);
  });
  test('no statutory due instant (refund without return): the wait counts from the question, not from the refund step', () => {
    expect(routeChoiceEndsAt({ now: new Date('2026-12-02T02:00:00.000Z'), askedAt, waitMs: 3 * 86_400_000 }).toISOString()).toBe('2026-12-04T02:00:00.000Z');
    const late = new Date('2026-12-05T00:00:00.000Z');
    expect(routeChoiceEndsAt({ now: late, askedAt, waitMs: 3 * 86_400_000 })).toEqual(late);
  });
});

describe('the action body: the enum and a payee reference, never an account number', () => {
  test.each([
    [{ route: 'platform_balance' }, true],
    [{ route: 'bank_account', payeeRef: 'pye_0123456789abcdef' }, true],
    [{ route: 'bank_account', payeeRef: 'pye_' + 'A'.repeat(64) }, true],
    [{ route: 'bank_account' }, false],
    [{ route: 'bank_account', payeeRef: '6222021234567890123' }, false], // a card or account number
    [{ route: 'bank_account', payeeRef: 'pye_6222 0212 3456 7890' }, false],
    [{ route: 'bank_account', payeeRef: 'pye_short' }, false],
    [{ route: 'bank_account', payeeRef: 'pye_' + 'A'.repeat(65) }, false],
    [{ route: 'platform_balance', payeeRef: 'pye_0123456789abcdef' }, false],
    [{ route: 'bank_account', payeeRef: 'pye_0123456789abcdef', accountNumber: '6222021234567890123' }, false],
    [{ route: 'original' }, false],
    [{ route: 'cash' }, false],
  ])('%j → %s', (body, ok) => {
    expect(refundRouteChoiceSchema.safeParse(body).success).toBe(ok);
  });
  test('the pattern refuses every digit-only string', () => {
    for (const n of ['62220212345678901', '1234567890123456789012']) expect(PAYEE_REF_PATTERN.test(n)).toBe(false);
  });
});

describe('the e-mails', () => {
  const text = (name: string, params: Record<string, unknown>, locale = 'zh-CN') => renderTemplate(returnTemplates, name, locale, { caseId: 'RET-1', ...params } as never).text;
  test('the question names the reason, both ways, and what happens without a choice', () => {
    const zh = text('return.refund_route_needed', { reason: 'cash_on_delivery' });
    for (const s of ['货到付款', '银行账户', '平台账户余额', '免费提现', '第十七条']) expect(zh).toContain(s);
    const en = text('return.refund_route_needed', { reason: 'original_route_closed' }, 'en');
    for (const s of ['can no longer take a refund', 'bank account', 'platform balance', 'free of charge', 'does not wait']) expect(en).toContain(s);
    expect(returnTemplates['return.refund_route_needed'].delivery).toBe('at-least-once');
    expect(returnTemplates['return.refund_route_reminder'].delivery).toBe('at-least-once');
    expect(text('return.refund_route_reminder', { dueAt: '2026-12-08T14:59:59.999Z' })).toContain('2026-12-08T14:59:59.999Z');
  });
  test('the refund says where it went and why: chosen bank account, chosen balance, default balance with free withdrawal', () => {
    const r = (route: string, routeBasis?: string, locale = 'zh-CN') => text('return.refunded', { amountMinor: 19900, currency: 'CNY', route, ...(routeBasis && { routeBasis }) }, locale);
    expect(r('bank_account', 'chosen')).toContain('银行账户');
    expect(r('bank_account', 'chosen', 'en')).toContain('bank account you chose');
    expect(r('platform_balance', 'chosen')).toContain('按您的选择');
    expect(r('platform_balance', 'default')).toContain('免费提现');
    expect(r('platform_balance', 'default', 'en')).toContain('free of charge');
    for (const basis of ['chosen', 'default']) expect(r('platform_balance', basis)).not.toContain('原路');
  });
});
