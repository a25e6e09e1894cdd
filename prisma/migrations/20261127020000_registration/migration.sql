-- Registration review (policy chapter 1): registrations, one-time code challenges, real-name facts, the SMS capture outbox, user accounts.
-- Personal data lives only in registrations (nullable, erased on abandonment) and in rows deleted with it.
-- CreateTable
CREATE TABLE "registrations" (
    "id" TEXT NOT NULL,
    "user_ref" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "username" TEXT,
    "full_name" TEXT,
    "mobile" TEXT,
    "email" TEXT,
    "locale" TEXT NOT NULL DEFAULT 'zh-CN',
    "password_hash" TEXT,
    "agreement_version" TEXT NOT NULL,
    "mobile_verified_at" TIMESTAMP(3),
    "email_verified_at" TIMESTAMP(3),
    "identity_submitted_at" TIMESTAMP(3),
    "payment_method_token" TEXT,
    "payment_bound_at" TIMESTAMP(3),
    "reason_code" TEXT,
    "personal_data_erased_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "closed_at" TIMESTAMP(3),

    CONSTRAINT "registrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registration_challenges" (
    "id" TEXT NOT NULL,
    "registration_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "code_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL,
    "locked_until" TIMESTAMP(3),
    "sent_at" TIMESTAMP(3) NOT NULL,
    "verified_at" TIMESTAMP(3),

    CONSTRAINT "registration_challenges_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registration_identities" (
    "registration_id" TEXT NOT NULL,
    "id_number_hash" TEXT NOT NULL,
    "birth_date" TEXT NOT NULL,
    "id_last4" TEXT NOT NULL,
    "face_image_ref" TEXT NOT NULL,
    "face_result" TEXT NOT NULL,
    "risk_flag" TEXT NOT NULL,
    "submitted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registration_identities_pkey" PRIMARY KEY ("registration_id")
);

-- CreateTable
CREATE TABLE "sms_outbox" (
    "idempotency_key" TEXT NOT NULL,
    "registration_id" TEXT,
    "to_number" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sms_outbox_pkey" PRIMARY KEY ("idempotency_key")
);

-- CreateTable
CREATE TABLE "user_accounts" (
    "id" TEXT NOT NULL,
    "registration_id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "activated_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "registrations_user_ref_key" ON "registrations"("user_ref");

-- CreateIndex
CREATE UNIQUE INDEX "registrations_username_key" ON "registrations"("username");

-- CreateIndex
CREATE INDEX "registrations_status_idx" ON "registrations"("status");

-- CreateIndex
CREATE UNIQUE INDEX "registration_challenges_registration_id_channel_seq_key" ON "registration_challenges"("registration_id", "channel", "seq");

-- CreateIndex
CREATE INDEX "registration_identities_id_number_hash_idx" ON "registration_identities"("id_number_hash");

-- CreateIndex
CREATE INDEX "sms_outbox_registration_id_idx" ON "sms_outbox"("registration_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_accounts_registration_id_key" ON "user_accounts"("registration_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_accounts_username_key" ON "user_accounts"("username");

