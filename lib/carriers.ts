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

/**
 * 上门取件: a carrier collects a parcel at the sender's address on file. Addresses are the parties' references
 * (`customer:<id>`, `merchant:<id>`), resolved by a real adapter; the window is a local day and time slot.
 */
export interface PickupRequest {
  carrier: string;
  from: string;
  to: string;
  /** Local date (YYYY-MM-DD) and slot such as '09-12', in `timeZone`. */
  date: string;
  slot: string;
  timeZone: string;
  /** The same key always answers with the same booking. */
  idempotencyKey: string;
}

export interface PickupBooking {
  pickupId: string;
  carrier: string;
  /** The tracking number of the parcel the carrier will collect. */
  trackingNumber: string;
  windowStartsAt: string;
  windowEndsAt: string;
}

export interface CarrierTracking {
  /** The price of shipping one parcel from `from` to `to` with `carrier`. */
  quote(req: CarrierQuoteRequest): Promise<CarrierQuote>;
  /** Whether the parcel with this tracking number was delivered. */
  status(carrier: string, trackingNumber: string): Promise<DeliveryStatus>;
  /** Books a pickup (上门取件); idempotent on the key. */
  schedulePickup(req: PickupRequest): Promise<PickupBooking>;
}

/** The slot's start and end instants on a local date of `timeZone` (whole hours). */
export function pickupWindow(date: string, slot: string, timeZone: string): { startsAt: Date; endsAt: Date } {
  const [from, to] = slot.split('-').map(Number);
  const at = (hour: number) => {
    // The wall clock of `timeZone`: shift a UTC guess by the zone's offset at that instant.
    const guess = new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(guess);
    const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
    const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
    return new Date(guess.getTime() - (wall - guess.getTime()));
  };
  return { startsAt: at(from), endsAt: at(to) };
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

  /** A booking derived from the key: the same key, the same pickup id and tracking number (`SIMPICK…`). */
  async schedulePickup(req: PickupRequest): Promise<PickupBooking> {
    const digest = crypto.createHash('sha256').update(req.idempotencyKey).digest('hex').slice(0, 16).toUpperCase();
    const { startsAt, endsAt } = pickupWindow(req.date, req.slot, req.timeZone);
    return { pickupId: `SIMPICK-${digest}`, carrier: req.carrier, trackingNumber: `SIMPICK${digest}`, windowStartsAt: startsAt.toISOString(), windowEndsAt: endsAt.toISOString() };
  }
}
