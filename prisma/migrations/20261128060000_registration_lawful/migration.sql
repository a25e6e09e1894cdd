-- Registration as the law asks (PIPL art. 24, 28-31, the 2021 necessary-information rules, 未成年人保护法).
-- The applicant may declare a birth date, minors are flagged, and real-name verification records its reason.
ALTER TABLE "registrations" ADD COLUMN "declared_birth_date" TEXT;
ALTER TABLE "registrations" ADD COLUMN "minor_safeguards" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "registrations" ADD COLUMN "real_name_reason" TEXT;
-- An active account verifies its real name later, in a case of its own, when a feature asks for it.
ALTER TABLE "registrations" ADD COLUMN "real_name_case_id" TEXT;
CREATE INDEX "registrations_mobile_idx" ON "registrations"("mobile");
-- Identity documents of several types, and a document reviewed by staff instead of the face match.
ALTER TABLE "registration_identities" ADD COLUMN "document_type" TEXT NOT NULL DEFAULT 'resident_id';
ALTER TABLE "registration_identities" ADD COLUMN "method" TEXT NOT NULL DEFAULT 'face';
ALTER TABLE "registration_identities" ALTER COLUMN "face_image_ref" DROP NOT NULL;
ALTER TABLE "registration_identities" ADD COLUMN "document_image_ref" TEXT;
ALTER TABLE "user_accounts" ADD COLUMN "minor_safeguards" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "user_accounts" ADD COLUMN "real_name_verified_at" TIMESTAMP(3);
UPDATE "user_accounts" SET "real_name_verified_at" = "activated_at";
-- Separate consents for sensitive personal information, with the privacy-policy version and text hash.
CREATE TABLE "registration_consents" (
    "id" TEXT NOT NULL,
    "registration_id" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "given_by" TEXT NOT NULL,
    "guardian_relation" TEXT,
    "privacy_policy_version" TEXT NOT NULL,
    "privacy_policy_sha256" TEXT NOT NULL,
    "notice_sha256" TEXT NOT NULL,
    "given_at" TIMESTAMP(3) NOT NULL,
    "withdrawn_at" TIMESTAMP(3),
    CONSTRAINT "registration_consents_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "registration_consents_registration_id_purpose_idx" ON "registration_consents"("registration_id", "purpose");
-- Daily SMS caps per mobile number and per client address (keyed hashes only).
CREATE TABLE "sms_daily_counters" (
    "day" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    CONSTRAINT "sms_daily_counters_pkey" PRIMARY KEY ("day","kind","key_hash")
);
