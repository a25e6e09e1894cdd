// The return's e-mails say what is true: 原路退回 only for a refund along the original payment route, and a rejection
// names every route the customer keeps (消法 art. 39), never that the platform's decision is final.
import { renderTemplate } from '../../activities/templates';
import { returnTemplates } from '../../processes/returnWithin7Days.templates';

const refund = (route?: string, locale = 'zh-CN') => renderTemplate(returnTemplates, 'return.refunded', locale, { caseId: 'RET-1', amountMinor: 17400, currency: 'CNY', ...(route && { route }) }).text;

test('原路退回 only when the refund goes back along the original payment route', () => {
  expect(refund('original')).toContain('原路退回');
  expect(refund('original', 'en')).toContain('to your original payment method');
  for (const route of ['platform_balance', 'order_refund', undefined]) {
    expect(refund(route)).not.toContain('原路');
    expect(refund(route, 'en')).not.toContain('original payment method');
  }
  expect(refund('platform_balance')).toContain('平台账户余额');
  expect(renderTemplate(returnTemplates, 'return.refunded', 'zh-CN', { caseId: 'RET-1', amountMinor: 17400, currency: 'CNY', route: 'original', points: 500 }).text).toContain('500 积分已退回');
});

test.each(['return.rejected', 'return.rejected_final', 'return.termination_refused'])('%s names the routes of 消法 art. 39 and calls the platform final only within the platform', (name) => {
  const params = { caseId: 'RET-1', reasonCode: 'other', platformReviewRequestBy: '2026-12-01T00:00:00.000Z' };
  const zh = renderTemplate(returnTemplates, name, 'zh-CN', params).text;
  for (const route of ['平台投诉', '消费者协会', '12315', '仲裁', '人民法院', '第三十九条', '仅为平台内']) expect(zh).toContain(route);
  expect(zh).not.toContain('平台的决定为最终决定');
  const en = renderTemplate(returnTemplates, name, 'en', params).text;
  for (const route of ['complaint', 'consumer association', '12315', 'arbitration', 'courts', 'final within the platform only']) expect(en).toContain(route);
});

test('every outcome of the return has its closing e-mail', () => {
  for (const outcome of ['refunded', 'partially_refunded', 'exchanged', 'sent_back', 'rejected', 'abandoned', 'cancelled', 'ineligible', 'referred_to_repair', 'withdrawn']) {
    expect(renderTemplate(returnTemplates, `return.closed.${outcome}`, 'en', { caseId: 'RET-1' }).subject).toContain('RET-1');
  }
});
