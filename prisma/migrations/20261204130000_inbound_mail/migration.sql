-- Inbound e-mail held for an agent: a reply without a valid reply token, from a sender who is not the party's
-- contact, or with an attachment the uploads refuse. The words stay here, the HTML and the raw message as blobs.
CREATE TABLE "inbound_mail_quarantine" (
    "id" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "mail_from" TEXT NOT NULL,
    "from_address" TEXT,
    "rcpt_to" TEXT[],
    "subject" TEXT,
    "message_id" TEXT,
    "reason" TEXT NOT NULL,
    "case_id" TEXT,
    "party" TEXT,
    "text_body" TEXT NOT NULL,
    "html_sha256" TEXT,
    "raw_sha256" TEXT NOT NULL,
    "attachments" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'quarantined',
    "decided_by" TEXT,
    "decided_at" TIMESTAMP(3),
    "thread_message_id" TEXT,

    CONSTRAINT "inbound_mail_quarantine_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "inbound_mail_quarantine_status_received_at_id_idx" ON "inbound_mail_quarantine"("status", "received_at", "id");

-- Delivery receipts: a notice whose case asked for one is signalled to the case once SMTP accepted it.
ALTER TABLE "notifications" ADD COLUMN "receipt" BOOLEAN NOT NULL DEFAULT false;
