// Request bodies the API tests share: the body of POST /v1/cases for each process (its `type` included).
import crypto from 'node:crypto';

const DAY = 24 * 3_600_000;
const MONTH = 30 * DAY;

export const idem = () => `idem-${crypto.randomUUID()}`;

/** A valid 7-day return for a fresh customer of `merchantId`, delivered two days ago. */
export function returnBody(merchantId: string | null, over: Record<string, any> = {}) {
  const customerId = `cust-${crypto.randomUUID().slice(0, 8)}`;
  return {
    type: 'return' as const,
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

/** A valid warranty repair for a fresh customer of `merchantId`, delivered two months ago, 12 months of warranty, a fresh serial number. */
export function repairBody(merchantId: string | null, over: { warrantyMonths?: number; deliveredAt?: string; description?: string; serialNumber?: string } = {}) {
  const customerId = `cust-${crypto.randomUUID().slice(0, 8)}`;
  return {
    type: 'warranty_repair' as const,
    order: {
      orderId: `ORD-${crypto.randomUUID().slice(0, 8)}`,
      lineItemId: 'LI-1',
      productRef: 'SKU-KETTLE-2000',
      customerId,
      merchantId,
      deliveredAt: over.deliveredAt ?? new Date(Date.now() - 2 * MONTH).toISOString(),
      amount: '399.00',
      currency: 'CNY',
    },
    item: { serialNumber: over.serialNumber ?? `SN-${crypto.randomUUID().slice(0, 18)}` },
    warrantyMonths: over.warrantyMonths ?? 12,
    problemCategory: 'does_not_power_on',
    description: over.description ?? `The kettle stopped heating after the lid cracked ${crypto.randomUUID()}`,
    customerContact: { email: `${customerId}@customer.test`, locale: 'en' as const },
  };
}

/** A complaint by the storefront (channel online; policy 8.1), or by an agent (`channel` phone or social_media). */
export function complaintBody(merchantId: string | null, over: { channel?: 'online' | 'phone' | 'social_media'; category?: string; description?: string } = {}) {
  const customerId = `cust-${crypto.randomUUID().slice(0, 8)}`;
  return {
    type: 'complaint' as const,
    channel: over.channel ?? ('online' as const),
    customerId,
    merchantId,
    orderId: `ORD-${crypto.randomUUID().slice(0, 8)}`,
    category: over.category ?? 'product_quality',
    description: over.description ?? `The kettle leaks and the merchant does not answer ${crypto.randomUUID()}`,
    customerContact: { email: `${customerId}@customer.test`, locale: 'en' as const },
  };
}

/**
 * A delivery at 00:00 Shanghai time whose warranty of `months` months has today as its last day (Civil Code
 * arts. 201-203: from the day after delivery to 24:00 of the corresponding day of the last month). When the month
 * `months` before has no such day (today is 29 February, or the 31st), no delivery gives a period of `months` months
 * ending today, so the period is shortened a month at a time until one does (29 February 2028: 11 months from
 * 29 March 2027).
 */
export function warrantyEndingToday(months: number): { deliveredAt: string; warrantyMonths: number } {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const [y, m, d] = today.split('-').map(Number);
  for (let n = months; n > 0; n--) {
    const daysInMonth = new Date(Date.UTC(y, m - 1 - n + 1, 0)).getUTCDate();
    if (d <= daysInMonth) return { deliveredAt: new Date(Date.UTC(y, m - 1 - n, d) - 8 * 3_600_000).toISOString(), warrantyMonths: n };
  }
  throw new Error(`no period of at most ${months} months ends on ${today}`);
}
