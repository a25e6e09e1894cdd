-- E-mail intake (policy 8.1 channel e-mail): a mail to a process's intake address, pending its sender's confirmation.
CREATE TABLE "mail_intakes" (
    "id" TEXT NOT NULL,
    "case_type" TEXT NOT NULL,
    "from_address" TEXT NOT NULL,
    "message_id" TEXT,
    "subject" TEXT,
    "description" TEXT NOT NULL,
    "attachments" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "opening_body" JSONB,
    "case_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "confirmed_at" TIMESTAMP(3),

    CONSTRAINT "mail_intakes_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "mail_intakes_case_type_from_address_message_id_key" ON "mail_intakes"("case_type", "from_address", "message_id");

CREATE INDEX "mail_intakes_expires_at_idx" ON "mail_intakes"("expires_at");
