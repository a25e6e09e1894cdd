-- A delivery receipt's signal to the case's workflow, once it went through (activities/notificationOutbox.ts): the
-- outbox signals again the receipts of sent notices that have none. Receipts of notices already sent count as signalled.
ALTER TABLE "notifications" ADD COLUMN "receipt_signalled_at" TIMESTAMP(3);
UPDATE "notifications" SET "receipt_signalled_at" = "sent_at" WHERE "receipt" AND "status" = 'sent';
