// The marketplace's listing service behind an interface: taking a listing down (and putting it back) when a
// case decides so. The embedded simulation is deterministic and stateless: a listing's take-down reference
// depends on the listing alone, so a retried take-down returns the same reference.
import crypto from 'node:crypto';

export interface ListingService {
  /** Takes the listing off sale; idempotent on the listing id. */
  takeDown(listingId: string, reason: string): Promise<{ ref: string }>;
  /** Puts a taken-down listing back on sale; idempotent. */
  restore(listingId: string): Promise<void>;
}

export class SimulatedListingService implements ListingService {
  async takeDown(listingId: string, _reason: string): Promise<{ ref: string }> {
    return { ref: `SIMTD-${crypto.createHash('sha256').update(listingId).digest('hex').slice(0, 16)}` };
  }

  async restore(_listingId: string): Promise<void> {
    /* nothing to undo in the simulation */
  }
}
