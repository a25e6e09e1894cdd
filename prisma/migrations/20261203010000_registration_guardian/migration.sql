-- The guardian step of a child under 14 (PIPL art. 31, 未成年人保护法 art. 72): the guardian's record, and the
-- guardian a consent came from. (No semicolon in comments: the migration engine splits the script at each one.)
CREATE TABLE "registration_guardians" (
    "id" TEXT NOT NULL,
    "registration_id" TEXT NOT NULL,
    "mobile" TEXT,
    "mobile_pending" TEXT,
    "mobile_verified_at" TIMESTAMP(3),
    "relation" TEXT,
    "adult_proof" TEXT,
    "account_id" TEXT,
    "full_name" TEXT,
    "id_number_hash" TEXT,
    "id_last4" TEXT,
    "birth_date" TEXT,
    "real_name_result" TEXT,
    "privacy_policy_version" TEXT,
    "privacy_policy_sha256" TEXT,
    "notice_sha256" TEXT,
    "decision" TEXT,
    "decided_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "registration_guardians_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "registration_guardians_registration_id_key" ON "registration_guardians"("registration_id");

ALTER TABLE "registration_consents" ADD COLUMN "guardian_id" TEXT;
