// Request bodies the API tests share.
import crypto from 'node:crypto';

const DAY = 24 * 3_600_000;

export const idem = () => `idem-${crypto.randomUUID()}`;

/** A valid 7-day return for a fresh customer of `merchantId`, delivered two days ago. */
export function returnBody(merchantId: string | null, over: Record<string, any> = {}) {
  const customerId = `cust-${crypto.randomUUID().slice(0, 8)}`;
  return {
    order: {
      orderId: `ORD-${crypto.randomUUID().slice(0, 8)}`,
      lineItemId: 'LI-1',
      category: 'apparel',
      amount: '199.00',
      currency: 'CNY',
      customerId,
      merchantId,
      deliveredAt: new Date(Date.now() - 2 * DAY).toISOString(),
      ...over.order,
    },
    requestType: over.requestType ?? 'return_and_refund',
    reasonCode: over.reasonCode ?? 'no_reason',
    customerContact: { email: `${customerId}@customer.test`, locale: 'en' as const },
  };
}
