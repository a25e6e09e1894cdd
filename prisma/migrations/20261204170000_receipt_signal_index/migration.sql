-- The outbox's look for receipts to signal again (receipt, sent, not signalled) reads this index, not every sent notice.
CREATE INDEX "notifications_receipt_status_receipt_signalled_at_idx" ON "notifications"("receipt", "status", "receipt_signalled_at");
