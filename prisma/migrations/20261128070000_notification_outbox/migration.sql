-- The e-mail outbox: a case step queues a row (template, parameters and the audit event to record once it is
-- sent), and a dispatcher delivers due rows in the background. Times are UTC, as Prisma stores them.
ALTER TABLE "notifications" ADD COLUMN "params" JSONB;
ALTER TABLE "notifications" ADD COLUMN "event_key" TEXT;
ALTER TABLE "notifications" ADD COLUMN "event_at" TIMESTAMP(3);
ALTER TABLE "notifications" ADD COLUMN "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT timezone('UTC', now());
ALTER TABLE "notifications" ADD COLUMN "claimed_at" TIMESTAMP(3);
-- The locale is the recipient's when the message is rendered, not when it is queued.
ALTER TABLE "notifications" ALTER COLUMN "locale" DROP NOT NULL;
CREATE INDEX "notifications_due_idx" ON "notifications" ("next_attempt_at") WHERE status IN ('pending', 'failed');
