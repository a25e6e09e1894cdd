-- Encryption at rest of the remaining personal fields (policy 1.3, 2.2.1, 6.3.1) and keyed blind indexes for the
-- equality look-ups over them (lib/blindIndex.ts). This migration only adds columns and relaxes one constraint: a
-- migration cannot reach the key-management port, so the rows written before are sealed by the backfill
-- (lib/sealingBackfill.ts, run at start-up and by scripts/seal-backfill.ts), which also nulls the clear columns.
-- The clear columns (registrations.mobile and username, user_accounts.username) are dropped by a later migration
-- once every deployment has run the backfill to the end.

ALTER TABLE "parties" ADD COLUMN "email_index" TEXT;
CREATE INDEX "parties_email_index_idx" ON "parties"("email_index");

ALTER TABLE "registrations" ADD COLUMN "username_sealed" TEXT,
  ADD COLUMN "username_index" TEXT,
  ADD COLUMN "mobile_sealed" TEXT,
  ADD COLUMN "mobile_index" TEXT;
CREATE UNIQUE INDEX "registrations_username_index_key" ON "registrations"("username_index");
CREATE INDEX "registrations_mobile_index_idx" ON "registrations"("mobile_index");

ALTER TABLE "user_accounts" ADD COLUMN "username_sealed" TEXT,
  ADD COLUMN "username_index" TEXT,
  ALTER COLUMN "username" DROP NOT NULL;
CREATE UNIQUE INDEX "user_accounts_username_index_key" ON "user_accounts"("username_index");

-- An attachment whose bytes are sealed with the case customer key: the key of the sealed bytes in the blob store.
ALTER TABLE "attachments" ADD COLUMN "blob_key" TEXT;

-- A mail intake names its sender by the blind index of the address too: the sender contact is sealed in parties.
ALTER TABLE "mail_intakes" ADD COLUMN "from_index" TEXT;
CREATE INDEX "mail_intakes_from_index_idx" ON "mail_intakes"("from_index");
