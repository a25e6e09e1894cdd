-- A thread message's signal to its case's workflow, once it went through (processes/threadMessages.ts): the case
-- reconciler signals again the messages of open cases it finds without one. Messages already stored count as heard.
ALTER TABLE "thread_messages" ADD COLUMN "signalled_at" TIMESTAMP(3);
UPDATE "thread_messages" SET "signalled_at" = "created_at";
CREATE INDEX "thread_messages_signalled_at_idx" ON "thread_messages"("signalled_at");
