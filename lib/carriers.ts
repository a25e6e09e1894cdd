// Carrier tracking behind an interface: shipping quotes and delivery status for the processes that ship goods.
// The embedded simulation is deterministic (no network, no state): the same question always gets the same answer.
import crypto from 'node:crypto';

export interface CarrierQuoteRequest {
  carrier: string;
  /** Origin and destination as the carrier knows them (region code, postcode or address line). */
  from: string;
  to: string;
}

export interface CarrierQuote {
  amountMinor: number;
  currency: string;
}

export interface DeliveryStatus {
  delivered: boolean;
  /** ISO 8601, when the carrier reports the delivery time. */
  deliveredAt?: string;
}

export interface CarrierTracking {
  /** The price of shipping one parcel from `from` to `to` with `carrier`. */
  quote(req: CarrierQuoteRequest): Promise<CarrierQuote>;
  /** Whether the parcel with this tracking number was delivered. */
  status(carrier: string, trackingNumber: string): Promise<DeliveryStatus>;
}

/**
 * Simulated carrier. Quotes: 10.00 to 30.00 CNY in steps of 1.00, fixed by carrier, origin and destination.
 * Status by tracking number: `sim-delivered…` is delivered (a trailing `-YYYYMMDD` gives the delivery day,
 * midnight China time); anything else is still in transit.
 */
export class SimulatedCarrierTracking implements CarrierTracking {
  async quote({ carrier, from, to }: CarrierQuoteRequest): Promise<CarrierQuote> {
    const digest = crypto.createHash('sha256').update(`${carrier.trim().toLowerCase()}|${from.trim()}|${to.trim()}`).digest();
    return { amountMinor: 1000 + (digest.readUInt32BE(0) % 21) * 100, currency: 'CNY' };
  }

  async status(_carrier: string, trackingNumber: string): Promise<DeliveryStatus> {
    if (!/^sim-delivered/i.test(trackingNumber)) return { delivered: false };
    const day = /-(\d{4})(\d{2})(\d{2})$/.exec(trackingNumber);
    const at = day ? new Date(`${day[1]}-${day[2]}-${day[3]}T00:00:00+08:00`) : undefined;
    return at && !Number.isNaN(at.getTime()) ? { delivered: true, deliveredAt: at.toISOString() } : { delivered: true };
  }
}
