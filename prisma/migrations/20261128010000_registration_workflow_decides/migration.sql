-- The registration's workflow decides its verifications, and the API only stores what the applicant submitted.
-- An identity row is written by the API with the face match and risk flag still unknown (checked_at NULL),
-- and the workflow's identity check fills them in, once.
ALTER TABLE "registration_identities" ALTER COLUMN "face_result" DROP NOT NULL;
ALTER TABLE "registration_identities" ALTER COLUMN "risk_flag" DROP NOT NULL;
ALTER TABLE "registration_identities" ADD COLUMN "checked_at" TIMESTAMP(3);
UPDATE "registration_identities" SET "checked_at" = "submitted_at" WHERE "face_result" IS NOT NULL;
-- A payment-method token submitted for binding, until the workflow binds it (or the account settings do).
ALTER TABLE "registrations" ADD COLUMN "payment_method_token_pending" TEXT;
