-- Webhooks: the parcels cases wait for (found by tracking number), the outside systems' events (once per source and
-- event id) and the nonces of signed requests (replays refused until they expire).
CREATE TABLE "case_parcels" (
    "case_id" TEXT NOT NULL,
    "leg" TEXT NOT NULL,
    "carrier" TEXT NOT NULL,
    "tracking_number" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "case_parcels_pkey" PRIMARY KEY ("case_id","leg")
);

CREATE TABLE "webhook_events" (
    "source" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "case_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "signalled_at" TIMESTAMP(3),

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("source","event_id")
);

CREATE TABLE "webhook_nonces" (
    "source" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "webhook_nonces_pkey" PRIMARY KEY ("source","nonce")
);

CREATE INDEX "case_parcels_tracking_number_created_at_idx" ON "case_parcels"("tracking_number", "created_at");

CREATE INDEX "webhook_events_case_id_idx" ON "webhook_events"("case_id");

CREATE INDEX "webhook_nonces_expires_at_idx" ON "webhook_nonces"("expires_at");
