-- Inbound mail from a sender no customer's contact names is filed under the sender's own subject (lib/subjects.ts
-- mailSenderRef) and sealed with its key like any other (policy 1.3, 6.3.1):
-- - a held mail's HTML part in a sealed blob of its own (html_blob_key, html_sha256 stays the clear bytes' hash),
-- - an e-mail intake under its sender's subject (subject_id), its address, subject line, words and opening body sealed:
--   a mail received again is found by the address's blind index instead of the (sealed) address.
ALTER TABLE "inbound_mail_quarantine" ADD COLUMN "html_blob_key" TEXT;

ALTER TABLE "mail_intakes" ADD COLUMN "subject_id" TEXT;
CREATE INDEX "mail_intakes_subject_id_idx" ON "mail_intakes"("subject_id");
ALTER TABLE "mail_intakes" ADD CONSTRAINT "mail_intakes_subject_id_fkey" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE SET NULL ON UPDATE CASCADE;

DROP INDEX "mail_intakes_case_type_from_address_message_id_key";
CREATE UNIQUE INDEX "mail_intakes_case_type_from_index_message_id_key" ON "mail_intakes"("case_type", "from_index", "message_id");
